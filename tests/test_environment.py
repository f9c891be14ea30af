"""The environment is read once, in one module; the palette is one table; no termios, no pager."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest

from eventlesson.app import App
from eventlesson.environment import DEFAULT_SIM_SPEED, Environment, data_home
from eventlesson.flows.learn import run_learn
from eventlesson.ui import styles
from eventlesson.ui.console import THEME
from eventlesson.ui.screens import LineScreen, PagerScreen

from .support import FIXTURE_COURSE, REPO, ended, foreground_signals, pty_env

PACKAGE = REPO / "eventlesson"


def sources() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(REPO)): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


# -- one place reads the environment ------------------------------------------------------------


def test_only_the_environment_module_reads_environment_variables() -> None:
    readers = set()
    for name, tree in sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
                readers.add(name)
            if isinstance(node, ast.keyword) and node.arg == "envvar":  # typer's own reading
                readers.add(name)
    assert readers == {"eventlesson/environment.py"}


def test_detect_reads_every_variable(tmp_path: Path) -> None:
    env = Environment.detect(
        {
            "EVENTLESSON_HOME": str(tmp_path / "h"),
            "EVENTLESSON_CONTENT_DIR": "/lessons",
            "EVENTLESSON_SIM_SPEED": "0.5",
            "NO_COLOR": "",
            "TERM": "xterm-256color",
        }
    )
    assert env.home == tmp_path / "h"
    assert env.content_dir == "/lessons"
    assert env.sim_speed == 0.5
    assert env.no_color and not env.dumb


@pytest.mark.parametrize("term", ["dumb", "unknown", "DUMB"])
def test_a_dumb_terminal_is_also_colourless(term: str, tmp_path: Path) -> None:
    env = Environment.detect({"TERM": term, "EVENTLESSON_HOME": str(tmp_path)})
    assert env.dumb and env.no_color


@pytest.mark.parametrize("raw", ["", "fast", "0", "-2", "inf", "nan"])
def test_a_speed_that_is_not_a_positive_number_is_the_default(raw: str, tmp_path: Path) -> None:
    env = Environment.detect({"EVENTLESSON_SIM_SPEED": raw, "EVENTLESSON_HOME": str(tmp_path)})
    assert env.sim_speed == DEFAULT_SIM_SPEED


def test_data_home_follows_the_platform_and_ignores_a_relative_xdg_dir() -> None:
    home = Path.home()
    assert data_home({}, "linux") == home / ".local" / "share" / "eventlesson"
    assert data_home({"XDG_DATA_HOME": "/data"}, "linux") == Path("/data/eventlesson")
    assert data_home({"XDG_DATA_HOME": "rel/data"}, "linux") == data_home({}, "linux")
    assert data_home({"APPDATA": r"C:\Users\a\AppData"}, "win32").name == "eventlesson"
    assert data_home({}, "darwin") == home / "Library" / "Application Support" / "eventlesson"
    assert data_home({"EVENTLESSON_HOME": "~/el", "XDG_DATA_HOME": "/d"}, "linux") == home / "el"


def test_the_app_hands_the_environment_on(tmp_path: Path) -> None:
    environ = {"EVENTLESSON_HOME": str(tmp_path), "EVENTLESSON_CONTENT_DIR": "/from-env"}
    app = App.from_environment(environ=environ)
    assert app.home == tmp_path and app.store.home == tmp_path
    assert app.content_dir == "/from-env"
    assert App.from_environment("/from-option", environ=environ).content_dir == "/from-option"
    dumb = App.from_environment(environ={**environ, "TERM": "dumb"})
    assert dumb.dumb and not dumb.full_screen


# -- one palette --------------------------------------------------------------------------------


def test_every_style_is_named_in_the_palette() -> None:
    """No literal style strings outside ui/styles.py: `style="bold"` is a palette entry's job."""
    literals = []
    for name, tree in sources().items():
        if name == "eventlesson/ui/styles.py":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.keyword)
                and node.arg is not None
                and node.arg.endswith("style")
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
                and node.value.value  # "" means "no style"
                and not node.value.value.startswith("class:")  # prompt_toolkit's own classes
            ):
                literals.append(f"{name}:{node.lineno}: {node.value.value}")
    assert literals == []


def test_console_markup_names_are_the_palette() -> None:
    from rich.style import Style

    for name, style in styles.PALETTE.items():
        assert THEME.styles[name] == Style.parse(style)


# -- no termios: the line-by-line screen ----------------------------------------------------------


@pytest.fixture
def no_termios(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on Windows: `import termios` fails."""
    monkeypatch.setitem(sys.modules, "termios", None)
    monkeypatch.setitem(sys.modules, "tty", None)


@pytest.mark.usefixtures("no_termios")
def test_without_termios_there_are_no_single_keys(tmp_path: Path) -> None:
    env = Environment.detect({"EVENTLESSON_HOME": str(tmp_path)}, platform="linux")
    assert not env.single_keys and not env.menus  # prompt_toolkit needs termios here too
    windows = Environment.detect({"EVENTLESSON_HOME": str(tmp_path)}, platform="win32")
    assert not windows.single_keys and windows.menus  # its console API draws the menus


def terminal_app(env: Environment) -> App:
    import io

    from eventlesson.ui.console import make_console

    return App(
        console=make_console(io.StringIO(), width=80),
        err=make_console(io.StringIO(), width=80),
        stdin_tty=True,
        stdout_tty=True,
        env=env,
    )


@pytest.mark.usefixtures("no_termios")
def test_learn_picks_the_line_screen_without_termios(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = Environment.detect(
        {"EVENTLESSON_HOME": str(tmp_path), "EVENTLESSON_CONTENT_DIR": str(FIXTURE_COURSE)},
        platform="linux",
    )
    app = terminal_app(env)
    assert app.interactive and not app.full_screen
    shown: list[str] = []

    def show(self: LineScreen, header: Any, body: Any, keys: Any, **_: Any) -> str:
        shown.append(type(self).__name__)
        return "q"

    monkeypatch.setattr(LineScreen, "show", show)
    monkeypatch.setattr(PagerScreen, "__init__", lambda *a: pytest.fail("the pager opened"))
    assert run_learn(app, "mini") == 0
    assert shown == ["LineScreen"]


@pytest.mark.pty
def test_a_platform_without_termios_gets_the_line_by_line_lesson(home: Path) -> None:
    """The real program in a terminal, with `import termios` failing as it does on Windows."""
    pexpect = pytest.importorskip("pexpect")
    code = (
        "import sys; sys.modules['termios'] = sys.modules['tty'] = None\n"
        "from eventlesson.cli import main; sys.argv[0] = 'eventlesson'; main()"
    )
    child = pexpect.spawn(
        sys.executable,
        ["-c", code, "learn", "mini"],
        env=pty_env(home, EVENTLESSON_CONTENT_DIR=str(FIXTURE_COURSE)),
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=15,
        cwd=str(REPO),
        preexec_fn=foreground_signals,
    )
    child.expect("1/3")
    child.expect(r"quit(?:\x1b\[[0-9;]*m)*\r\n> ")  # a typed command, not single keys
    child.sendline("n")
    child.expect("2/3")
    child.expect("> ")
    child.sendline("q")
    out = ended(child, 0)
    assert "\x1b[?1049h" not in out  # never the alternate screen
    assert "Saved at page 2" in out
