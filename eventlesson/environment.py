"""The process environment, read once: every environment variable the program honours, and what the
platform can do (single-key input).

Core module: standard library only (no rich, questionary or typer). Nothing else in the package
reads `os.environ`; the `App` resolves an `Environment` at start-up and hands its fields on, and
tests build one from a plain dict instead of patching variables.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from eventlesson.records import record

HOME_ENV = "EVENTLESSON_HOME"  # folder for progress.json
CONTENT_ENV = "EVENTLESSON_CONTENT_DIR"  # read lessons from here (the --content-dir option wins)
SPEED_ENV = "EVENTLESSON_SIM_SPEED"  # speed of the simulations the lesson plays inline
NATS_SERVER_ENV = "EVENTLESSON_NATS_SERVER"  # another nats-server binary for simulate --broker
DEFAULT_SIM_SPEED = 1.0  # virtual seconds per real second


def data_home(environ: Mapping[str, str], platform: str = sys.platform) -> Path:
    """The per-user data folder: EVENTLESSON_HOME, else the platform's usual place.

    A relative XDG_DATA_HOME is ignored, as the XDG Base Directory spec says: it would name a
    different folder in every working directory.
    """
    explicit = environ.get(HOME_ENV)
    if explicit:
        return Path(explicit).expanduser()
    if platform == "win32":
        base = Path(environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "eventlesson"


def sim_speed(raw: str) -> float:
    """EVENTLESSON_SIM_SPEED's value as a speed; anything but a finite number above 0 is the default."""
    try:
        speed = float(raw) if raw.strip() else DEFAULT_SIM_SPEED
    except ValueError:
        return DEFAULT_SIM_SPEED
    return speed if speed > 0 and math.isfinite(speed) else DEFAULT_SIM_SPEED


def single_keys_supported() -> bool:
    """Whether this platform can read single unechoed keys (POSIX `termios`).

    Without it (Windows) the full-screen pager cannot run and the lesson uses the line-by-line
    screen; prompt_toolkit's menus still work there through its own Windows console input.
    """
    # Found, not imported: loading termios costs a scripted run (`quiz --json`) ~1 ms for
    # nothing; the screens import it when they take the keyboard. (A name blocked in sys.modules,
    # as the tests do to act as Windows, is not found either.)
    from importlib.util import find_spec

    return find_spec("termios") is not None and find_spec("tty") is not None


@record
class Environment:
    """What the environment asks for and what the platform allows, resolved once."""

    home: Path  # where progress.json lives
    content_dir: str | None = None  # EVENTLESSON_CONTENT_DIR; None: the shipped lessons
    sim_speed: float = DEFAULT_SIM_SPEED  # inline simulations in the lesson
    nats_server: str | None = None  # EVENTLESSON_NATS_SERVER; None: the broker extra's binary
    dumb: bool = False  # TERM=dumb or unknown: no colour, no redrawing, typed answers
    no_color: bool = False  # NO_COLOR (any value) or a dumb terminal
    single_keys: bool = True  # termios: the full-screen pager can read keys one at a time
    menus: bool = True  # prompt_toolkit can draw arrow-key menus on this platform

    @classmethod
    def detect(
        cls, environ: Mapping[str, str] | None = None, platform: str = sys.platform
    ) -> Environment:
        """Read the environment (os.environ unless given) and probe the platform."""
        env = os.environ if environ is None else environ
        dumb = env.get("TERM", "").lower() in ("dumb", "unknown")
        keys = single_keys_supported()
        return cls(
            home=data_home(env, platform),
            content_dir=env.get(CONTENT_ENV) or None,
            sim_speed=sim_speed(env.get(SPEED_ENV, "")),
            nats_server=env.get(NATS_SERVER_ENV, "").strip() or None,
            dumb=dumb,
            no_color="NO_COLOR" in env or dumb,
            single_keys=keys,
            # prompt_toolkit reads keys through termios on POSIX and the console API on Windows
            menus=keys or platform == "win32",
        )
