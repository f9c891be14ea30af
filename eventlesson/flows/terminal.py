"""A small full-screen pager: a fixed header and footer around a scrollable page body.

Reads single keys in raw mode (termios), redraws when the terminal is resized, and turns Ctrl-C
into KeyboardInterrupt and Ctrl-D into `Interrupted`. Used only when both stdin and stdout are a
terminal that can redraw; TERM=dumb and pipes get the line-by-line path in `flows.learn`.
"""

from __future__ import annotations

import contextlib
import io
import os
import select
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rich.console import Console, RenderableType

from eventlesson.errors import Interrupted
from eventlesson.ui.console import THEME

READING_WIDTH = 100  # prose wider than this is hard to read; wide terminals get a margin

KEYS = {
    "\r": "enter",
    "\n": "enter",
    " ": "space",
    "\x1b[A": "up",
    "\x1b[B": "down",
    "\x1b[5~": "pgup",
    "\x1b[6~": "pgdn",
    "\x1b[H": "home",
    "\x1b[F": "end",
    "\x1bOA": "up",
    "\x1bOB": "down",
    "\x1b[C": "right",
    "\x1b[D": "left",
    "\x1bOC": "right",
    "\x1bOD": "left",
    "\x7f": "backspace",
}


@contextlib.contextmanager
def raw_mode(fd: int) -> Iterator[None]:
    """Keys arrive one at a time and unechoed; the terminal is restored whatever happens."""
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        mode = termios.tcgetattr(fd)
        mode[3] &= ~termios.ISIG  # Ctrl-C arrives as a key, so we can save before leaving
        termios.tcsetattr(fd, termios.TCSANOW, mode)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def read_key(fd: int, on_idle: Callable[[], bool] | None = None) -> str:
    """The next key's name; `on_idle` runs while waiting and may return True to ask for a redraw."""
    while True:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            if on_idle and on_idle():
                return "redraw"
            continue
        data = os.read(fd, 1).decode(errors="replace")
        if data == "\x1b":
            # an escape sequence arrives in one burst; a lone Esc does not
            while select.select([fd], [], [], 0.03)[0]:
                data += os.read(fd, 1).decode(errors="replace")
                if data[-1].isalpha() or data[-1] == "~":
                    break
        if data == "\x03":
            raise KeyboardInterrupt
        if data == "\x04":
            raise Interrupted("end of input")
        return KEYS.get(data, data.lower() if len(data) == 1 else "unknown")


def terminal_size() -> os.terminal_size:
    """The real size of the screen (not COLUMNS/LINES, which would hide a resize)."""
    try:
        return os.get_terminal_size(sys.stdout.fileno())
    except (OSError, ValueError):
        return shutil.get_terminal_size()


@dataclass
class Frame:
    """What the pager shows: header, body and footer renderables, and a note when scrolled."""

    header: RenderableType
    body: RenderableType
    footer: Callable[[bool], RenderableType]  # given "is there more below?", the footer to show


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
    console.print(renderable)
    return buffer.getvalue().rstrip("\n").split("\n")


class Pager:
    """Owns the screen while a page is shown."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.fd = sys.stdin.fileno()
        self.offset = 0
        self._size = terminal_size()
        self._room = 1  # body lines visible in the last draw: header and footer may wrap

    def _resized(self) -> bool:
        size = terminal_size()
        if size != self._size:
            self._size = size
            return True
        return False

    def show(self, frame: Frame, keys: set[str]) -> str:
        """Draw the frame and return the first key in `keys` (scroll keys are handled here)."""
        self.offset = 0
        with raw_mode(self.fd):
            while True:
                more = self._draw(frame)
                key = read_key(self.fd, self._resized)
                # a page is the body room actually drawn, less one line kept for context: a
                # header or footer wrapped at a narrow width must not make a page skip lines
                page = max(self._room - 1, 1)
                if key == "redraw":
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
                    return key
                self.offset = max(self.offset, 0)

    def _draw(self, frame: Frame) -> bool:
        width, height = min(self._size.columns, READING_WIDTH), self._size.lines
        head = render_lines(frame.header, width, self.console)
        body = render_lines(frame.body, width, self.console)
        foot_more = render_lines(frame.footer(True), width, self.console)
        room = max(height - len(head) - len(foot_more), 1)
        self._room = room
        self.offset = min(self.offset, max(len(body) - room, 0))
        more = self.offset + room < len(body)
        foot = foot_more if more else render_lines(frame.footer(False), width, self.console)
        visible = body[self.offset : self.offset + room]
        visible += [""] * (room - len(visible) + len(foot_more) - len(foot))
        out = sys.stdout
        out.write("\x1b[?25l\x1b[H\x1b[2J")  # hide cursor, home, clear
        out.write("\r\n".join(head + visible + foot))
        out.flush()
        return more

    def leave(self) -> None:
        """Clear the pager's screen and show the cursor again."""
        sys.stdout.write("\x1b[H\x1b[2J\x1b[?25h")
        sys.stdout.flush()


@contextlib.contextmanager
def alternate_screen() -> Iterator[None]:
    """Use the terminal's alternate screen, like `less`, and always come back."""
    sys.stdout.write("\x1b[?1049h")
    sys.stdout.flush()
    try:
        yield
    finally:
        sys.stdout.write("\x1b[?25h\x1b[?1049l")
        sys.stdout.flush()


def wait_for_enter(fd: int | None = None, prompt: str = "Press Enter to continue") -> None:
    """Pause until Enter (raw mode; Ctrl-C and Ctrl-D behave as everywhere else)."""
    fd = sys.stdin.fileno() if fd is None else fd
    sys.stdout.write(f"\r\n{prompt}")
    sys.stdout.flush()
    with raw_mode(fd):
        while read_key(fd) != "enter":
            pass
    sys.stdout.write("\r\n")
