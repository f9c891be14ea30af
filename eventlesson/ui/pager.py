"""A small full-screen pager: a fixed header and footer around a scrollable page body.

Draws on the alternate screen with single keys (`eventlesson.ui.terminal.KeyReader`), redraws when
the terminal is resized or the learner comes back from Ctrl-Z, and returns the first key that is
not a scroll key. Used only where `App.full_screen` holds (a terminal that redraws, with termios);
the line-by-line screen covers the rest. Imports rich; never questionary or typer.

Why not prompt_toolkit (installed with questionary), which could own full-screen input? Measured
with bench-style runs in a 24x80 pty (9 runs each): a minimal prompt_toolkit pager (header, body,
footer, no resize or Ctrl-Z handling yet) put the first page on screen in 0.24 s min / 0.30 s
median, against 0.16 s / 0.19 s for this one: importing and starting prompt_toolkit costs
~0.08-0.1 s, which takes the 0.3 s first-page budget, and rich's output would be parsed a second
time as ANSI text. The key reading it would replace (`ui.terminal`, ~150 lines) is also what the
live simulation's controls use, so it would stay anyway.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType

from eventlesson.ui import terminal
from eventlesson.ui.console import THEME

READING_WIDTH = 100  # prose wider than this is hard to read; wide terminals get a margin
POLLED = "polled"  # what `Pager.show` returns when its `poll` said so


@dataclass
class Reveal:
    """A part of the body to bring into view: what comes before it in the body, and the part.

    The body must render as `above` followed by `part` (and then anything else)."""

    above: RenderableType
    part: RenderableType


@dataclass
class Frame:
    """What the pager shows: header, body and footer renderables, and a note when scrolled.

    Without `reveal` or `keep` the body is shown from its top; with `reveal`, the pager keeps
    where the learner had scrolled to and scrolls only as far as needed to show the whole part
    (its start, when it is taller than the screen): the body has just grown, say by a hint the
    learner asked for, or a check on it has just been answered. With `keep`, the body is shown
    where the learner had scrolled to (the same page, back from something shown over it).
    """

    header: RenderableType
    body: RenderableType
    footer: Callable[[bool], RenderableType]  # given "is there more below?", the footer to show
    reveal: Reveal | None = None
    keep: bool = False


def render_lines(renderable: RenderableType, width: int, like: Console) -> list[str]:
    """A renderable as lines of text with escape codes, at `width` columns."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=like.color_system is not None,
        color_system=like.color_system,  # type: ignore[arg-type]
        no_color=like.no_color,
        theme=THEME,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    console.print(renderable, crop=False)  # a line wider than `width` is a whole web address
    return buffer.getvalue().rstrip("\n").split("\n")


_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\]8;[^\x1b]*\x1b\\")  # SGR, hyperlinks


def soft_rows(lines: list[str], width: int) -> list[str | None]:
    """Screen rows of `lines`: a line wider than `width` (a web address kept whole) is followed
    by None for each further row the terminal's own wrapping gives it, so it is never broken."""
    rows: list[str | None] = []
    for line in lines:
        rows.append(line)
        length = cell_len(_CONTROL.sub("", line))
        rows.extend([None] * ((length - 1) // width if length > width else 0))
    return rows


def joined(rows: list[str | None]) -> str:
    """Rows as text to write: a wrapped line's extra rows need no line break of their own."""
    out: list[str] = []
    for index, row in enumerate(rows):
        if row is None:
            if index == 0 or all(r is None for r in rows[:index]):
                out.append("\r\n" if out else "")  # its start is scrolled away: blank rows
            continue
        out.append(("\r\n" if out else "") + row)
    return "".join(out)


class Pager:
    """Owns the screen while a page is shown."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.offset = 0
        self._size = terminal.terminal_size()
        self._room = 1  # body lines visible in the last draw: header and footer may wrap
        self._reveal: Reveal | None = None  # to bring into view at the next draw

    def _resized(self) -> bool:
        size = terminal.terminal_size()
        if size != self._size:
            self._size = size
            return True
        return False

    def show(self, frame: Frame, keys: set[str], *, poll: Callable[[], bool] | None = None) -> str:
        """Draw the frame and return the first key in `keys` (scroll keys are handled here).

        `poll`, if given, is asked a few times a second while no key comes; when it returns
        True, `show` returns POLLED (the exercise watcher: the learner saved their file).
        """
        self._reveal = frame.reveal
        if frame.reveal is None and not frame.keep:
            self.offset = 0
        polled = [False]

        def idle() -> bool:
            if poll is not None and poll():
                polled[0] = True
                return True
            return self._resized()

        with terminal.KeyReader(
            on_suspend=terminal.give_back, on_resume=terminal.take_again
        ) as reader:
            while True:
                more = self._draw(frame)
                key = reader.read(on_idle=idle)
                if polled[0]:
                    return POLLED
                # a page is the body room actually drawn, less one line kept for context: a
                # header or footer wrapped at a narrow width must not make a page skip lines
                page = max(self._room - 1, 1)
                if key == "redraw":
                    self._resized()  # a resize while suspended: draw at the new size
                    continue
                if key in ("down", "j"):
                    self.offset += 1
                elif key in ("up", "k"):
                    self.offset -= 1
                elif key in ("space", "pgdn"):
                    self.offset += page
                elif key in ("pgup",):
                    self.offset -= page
                elif key == "home":
                    self.offset = 0
                elif key == "end":
                    self.offset = 10**9
                elif key == "enter" and more and "more" in keys:
                    self.offset += page
                elif key in keys:
                    assert key is not None  # read() without a timeout always returns a key
                    return key
                self.offset = max(self.offset, 0)

    def _draw(self, frame: Frame) -> bool:
        width, height = min(self._size.columns, READING_WIDTH), self._size.lines
        head = render_lines(frame.header, width, self.console)
        body = soft_rows(render_lines(frame.body, width, self.console), width)
        foot_more = render_lines(frame.footer(True), width, self.console)
        room = max(height - len(head) - len(foot_more), 1)
        self._room = room
        if self._reveal is not None:
            self.offset = self._into_view(self._reveal, width, room)
            self._reveal = None
        self.offset = min(self.offset, max(len(body) - room, 0))
        more = self.offset + room < len(body)
        foot = foot_more if more else render_lines(frame.footer(False), width, self.console)
        visible = body[self.offset : self.offset + room]
        visible += [""] * (room - len(visible) + len(foot_more) - len(foot))
        out = sys.stdout
        out.write(terminal.HIDE_CURSOR + "\x1b[H\x1b[2J")  # hide cursor, home, clear
        out.write(joined([*head, *visible, *foot]))
        out.flush()
        return more

    def _into_view(self, reveal: Reveal, width: int, room: int) -> int:
        """The offset nearest the current one at which `reveal.part` is on screen."""
        end = len(
            soft_rows(render_lines(Group(reveal.above, reveal.part), width, self.console), width)
        )
        start = end - len(soft_rows(render_lines(reveal.part, width, self.console), width))
        offset = self.offset
        if end > offset + room:
            offset = end - room
        return max(min(offset, start), 0)

    def leave(self) -> None:
        """Clear the pager's screen and show the cursor again."""
        terminal.write("\x1b[H\x1b[2J" + terminal.SHOW_CURSOR)
