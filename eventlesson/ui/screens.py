"""How a lesson page reaches the learner and a key comes back: the full-screen pager or lines.

- `PagerScreen`: the alternate screen, scrolling, single keys (a terminal that redraws, termios);
- `LineScreen`: each page printed in full and a typed command read with Enter (TERM=dumb, screen
  readers, platforms without termios).

`App.full_screen` says which one fits. Terminal-facing code: imports rich and the lesson's render
functions; never questionary or typer.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import ClassVar, Protocol

from rich.console import Console, RenderableType

from eventlesson.errors import Interrupted
from eventlesson.ui import render_lesson as view
from eventlesson.ui.console import print_trimmed

NAV_KEYS = {"enter", "n", "right", "b", "left", "m", "q", "s", "r", "g"}
LEAVE_KEYS = {"q", "b", "escape"}  # at a pause that may be left (inside a check)

Keys = list[tuple[str, str]]  # (key, action) pairs a page offers, e.g. ("b", "back")
# A part of a page to bring into view: what comes before it in the body, and the part itself
# (the body must render as the first followed by the second, then anything else).
Part = tuple[RenderableType, RenderableType]


class Screen(Protocol):
    """How a page reaches the learner and a key comes back."""

    def show(
        self,
        header: RenderableType,
        body: RenderableType,
        keys: Keys,
        *,
        reveal: Part | None = None,
        keep: bool = False,
        aside: bool = False,
    ) -> str:
        """Show a page with the keys that apply; return the key pressed (a name from NAV_KEYS).

        Where a screen scrolls, a page is shown from its top, unless `reveal` names a part of it
        to bring into view (scrolling from where the learner was only as far as needed), or
        `keep` shows it where the learner had scrolled to. `aside`: shown over the page (the
        glossary), so where the page was scrolled to is kept for its return.
        """
        ...

    def clear(self) -> None:
        """Make room for prompts or a simulation."""
        ...

    def pause(self, prompt: str, *, leave: bool = False) -> bool:
        """Wait until the learner is ready to go on (True); with `leave`, Esc/q/b leave (False)."""
        ...

    def close(self) -> None:
        """Give the terminal back."""
        ...


class PagerScreen:
    """Full screen, alternate buffer, scrolling, single keys."""

    def __init__(self, console: Console) -> None:
        from eventlesson.ui import pager, terminal

        self._pager_module = pager
        self._terminal = terminal
        self._pager = pager.Pager(console)
        self._aside = pager.Pager(console)  # its own scrolling, so the page's is kept
        self._screen = terminal.alternate_screen()
        self._screen.__enter__()
        self._open = True

    def show(
        self,
        header: RenderableType,
        body: RenderableType,
        keys: Keys,
        *,
        reveal: Part | None = None,
        keep: bool = False,
        aside: bool = False,
    ) -> str:
        def footer(more: bool) -> RenderableType:
            if not more:
                return view.footer(keys)
            scrolled = [("Enter", "more"), *(k for k in keys if k[0] != "Enter")]
            return view.footer(scrolled, view.SCROLL_NOTE)

        pager = self._pager_module
        part = pager.Reveal(*reveal) if reveal is not None else None
        frame = pager.Frame(header, body, footer, reveal=part, keep=keep)
        return (self._aside if aside else self._pager).show(frame, NAV_KEYS | {"more"})

    def clear(self) -> None:
        self._pager.leave()

    def pause(self, prompt: str, *, leave: bool = False) -> bool:
        return self._terminal.wait_for_enter(prompt, leave_keys=LEAVE_KEYS if leave else ())

    def close(self) -> None:
        if self._open:
            self._open = False
            self._screen.__exit__(None, None, None)


class LineScreen:
    """Print each page in full and read a typed command: nothing is redrawn or hidden."""

    COMMANDS: ClassVar[dict[str, str]] = {"": "enter", "n": "enter", "next": "enter"}
    COMMANDS |= {"b": "b", "back": "b", "m": "m", "menu": "m", "q": "q", "quit": "q"}
    COMMANDS |= {"s": "s", "simulate": "s", "r": "r", "retry": "r", "g": "g", "glossary": "g"}

    def __init__(self, console: Console, read: Callable[[], str] | None = None) -> None:
        self.console = console
        self._read = read or sys.stdin.readline

    def _line(self, prompt: str) -> str:
        from eventlesson.ui.terminal import said_again_after_fg

        def say() -> None:
            self.console.print(prompt, end="", markup=False)
            self.console.file.flush()

        with said_again_after_fg(say):  # Ctrl-Z, then `fg`: the prompt under the shell's lines
            say()
            line = self._read()
        if line == "":
            raise Interrupted("end of input")
        return line.strip().lower()

    def show(
        self,
        header: RenderableType,
        body: RenderableType,
        keys: Keys,
        *,
        reveal: Part | None = None,
        keep: bool = False,
        aside: bool = False,
    ) -> str:
        # Printed whole every time, so there is nothing to scroll to: `reveal`, `keep` and
        # `aside` change nothing here.
        print_trimmed(self.console, header, body, view.footer(keys, plain=True))
        valid = {key.lower() for key, _ in keys}
        while True:
            key = self.COMMANDS.get(self._line("> "))
            if key in valid:
                return key
            self.console.print(hint(keys), markup=False)

    def clear(self) -> None:
        self.console.print()

    def pause(self, prompt: str, *, leave: bool = False) -> bool:
        typed = self._line(prompt + " ")
        return not (leave and typed in ("q", "b"))

    def close(self) -> None:
        pass


def hint(keys: Keys) -> str:
    """What may be typed on a page, e.g. "Type Enter for next, b back, s simulate, q quit."."""
    said = [f"{key} {'for ' if key == 'Enter' else ''}{action}" for key, action in keys]
    return f"Type {', '.join(said)}."
