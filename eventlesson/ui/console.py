"""Build the rich consoles every command writes through.

Honours NO_COLOR (rich reads it), TERM=dumb (no colour, no cursor tricks) and a forced width from
COLUMNS. Knows nothing of lessons; imports only rich.
"""

from __future__ import annotations

import os
from typing import IO

from rich.console import Console
from rich.theme import Theme

THEME = Theme(
    {
        "title": "bold",
        "muted": "dim",
        "key": "bold cyan",
        "good": "bold green",
        "bad": "bold red",
        "warn": "yellow",
        "accent": "cyan",
        "event": "magenta",
        "command": "blue",
        "query": "green",
    }
)


def is_dumb_terminal() -> bool:
    """Whether TERM says the terminal understands no escape codes."""
    return os.environ.get("TERM", "").lower() in ("dumb", "unknown")


def plain_wanted() -> bool:
    """Whether the learner asked for output with no colour at all."""
    return "NO_COLOR" in os.environ or is_dumb_terminal()


def make_console(
    file: IO[str] | None = None, *, stderr: bool = False, width: int | None = None
) -> Console:
    """A console for learner-facing output; markup in content is never interpreted by it."""
    plain = plain_wanted()
    return Console(
        file=file,
        stderr=stderr,
        width=width,
        theme=THEME,
        highlight=False,
        emoji=False,
        no_color=plain or None,
        color_system=None if plain else "auto",
    )
