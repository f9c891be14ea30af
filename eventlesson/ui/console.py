"""Build the rich consoles every command writes through.

The theme is the one palette (`eventlesson.ui.styles`), so console markup and render functions
share style names. Whether colour is wanted is decided by the caller from the `Environment`
(NO_COLOR, TERM=dumb); this module reads no environment variables itself. Imports only rich.
"""

from __future__ import annotations

from typing import IO

from rich.console import Console, RenderableType
from rich.theme import Theme

from eventlesson.ui.styles import PALETTE

THEME = Theme(PALETTE)


def make_console(
    file: IO[str] | None = None,
    *,
    stderr: bool = False,
    width: int | None = None,
    plain: bool = False,
) -> Console:
    """A console for learner-facing output; markup in content is never interpreted by it.

    `plain`: no colour at all (NO_COLOR or a dumb terminal).
    """
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


def print_trimmed(console: Console, *parts: RenderableType) -> None:
    """Print without the padding rich adds to line ends: cleaner in files and for screen readers.

    Nothing is cropped: a web address longer than the width stays whole on its line.
    """
    with console.capture() as captured:
        for part in parts:
            console.print(part, crop=False)
    console.file.write("\n".join(line.rstrip() for line in captured.get().split("\n")))
    console.file.flush()


def say(console: Console, text: str) -> None:
    """A message as plain text, control characters replaced: broken at words on a terminal
    (where the terminal would break it mid-word), one line into a pipe or a log."""
    from eventlesson.text import clean

    console.print(clean(text), soft_wrap=not console.is_terminal, markup=False, highlight=False)
