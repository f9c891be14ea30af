"""Terminal primitives: single keys without echo, the alternate screen, Ctrl-Z, the real size.

The reusable API for anything that reads raw keys (the lesson pager, the live simulation's run
controls):

    with KeyReader() as keys:          # cbreak, no echo, Ctrl-C/Ctrl-Z arrive as keys
        key = keys.read()              # a key name: "enter", "up", "q", ...; blocks
        key = keys.read(timeout=0)     # None when no key is waiting (poll from a loop)

The terminal mode is restored on any exit (an exception, Ctrl-C, SIGTERM/SIGHUP turned into an
exception by the CLI). Ctrl-C raises KeyboardInterrupt, Ctrl-D raises `Interrupted`, and Ctrl-Z
suspends the process the way `less` does: the terminal is given back (callers pass what to undo
and redo, e.g. leave and re-enter the alternate screen) and `read` returns "redraw" after `fg`.

POSIX only (termios): callers ask `Environment.single_keys` first and use line input otherwise.
Imports no rich, questionary or typer.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TextIO

from eventlesson.errors import Interrupted, OutputClosed, OutputError, Terminated

KEYS = {
    "\r": "enter",
    "\n": "enter",
    " ": "space",
    "\x1b[A": "up",
    "\x1b[B": "down",
    "\x1b[5~": "pgup",
    "\x1b[6~": "pgdn",
    # Home and End: xterm (normal and application mode), the VT220 keypad that tmux and screen
    # send, and rxvt's
    "\x1b[H": "home",
    "\x1b[F": "end",
    "\x1bOH": "home",
    "\x1bOF": "end",
    "\x1b[1~": "home",
    "\x1b[4~": "end",
    "\x1b[7~": "home",
    "\x1b[8~": "end",
    "\x1bOA": "up",
    "\x1bOB": "down",
    "\x1b[C": "right",
    "\x1b[D": "left",
    "\x1bOC": "right",
    "\x1bOD": "left",
    "\x7f": "backspace",
    "\x1b": "escape",
}
CTRL_C, CTRL_D, CTRL_Z = "\x03", "\x04", "\x1a"
SHOW_CURSOR, HIDE_CURSOR = "\x1b[?25h", "\x1b[?25l"
ENTER_ALTERNATE, LEAVE_ALTERNATE = "\x1b[?1049h", "\x1b[?1049l"


def write(text: str, stream: TextIO | None = None) -> None:
    """Write control text to the terminal; a terminal that is gone (hang-up, EIO) is not an error.

    Restoring the screen must never turn a clean exit into a traceback.
    """
    out = sys.stdout if stream is None else stream
    with contextlib.suppress(OSError, ValueError, OutputError, OutputClosed):
        out.write(text)
        out.flush()


class KeyReader:
    """Keys one at a time, unechoed, in cbreak mode; the terminal is restored however we leave.

    `on_suspend` runs before the process stops on Ctrl-Z (give the screen back: leave the
    alternate screen, show the cursor) and `on_resume` after `fg` (take it again); `read` then
    returns "redraw" so the caller draws its screen once. `suspend=False`: for a screen that
    cannot be drawn again after `fg`, Ctrl-Z is only the key "ctrl-z".
    """

    def __init__(
        self,
        fd: int | None = None,
        *,
        suspend: bool = True,
        on_suspend: Callable[[], None] | None = None,
        on_resume: Callable[[], None] | None = None,
    ) -> None:
        self.fd = sys.stdin.fileno() if fd is None else fd
        self.can_suspend = suspend
        self.on_suspend = on_suspend
        self.on_resume = on_resume
        self._saved: list[Any] | None = None

    def __enter__(self) -> KeyReader:
        import termios

        self._saved = termios.tcgetattr(self.fd)
        self._cbreak()
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()
        self._saved = None

    def _cbreak(self) -> None:
        import termios
        import tty

        # TCSANOW, not setcbreak's default TCSAFLUSH: that throws away keys typed before the
        # reader started (between two pages, or just after a prompt was written), so a quick
        # learner's Enter was lost and the program sat waiting for another.
        tty.setcbreak(self.fd, termios.TCSANOW)
        mode = termios.tcgetattr(self.fd)
        # Ctrl-C and Ctrl-Z arrive as keys: Ctrl-C so the caller can save before leaving,
        # Ctrl-Z so the screen is given back before the process stops
        mode[3] &= ~termios.ISIG
        termios.tcsetattr(self.fd, termios.TCSANOW, mode)

    def _restore(self) -> None:
        import termios

        if self._saved is not None:
            with contextlib.suppress(termios.error, OSError):  # a hung-up terminal
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)

    def suspend(self) -> None:
        """Stop like Ctrl-Z in a shell, with the terminal as we found it; back in cbreak after `fg`."""
        if self.on_suspend is not None:
            self.on_suspend()
        self._restore()
        os.kill(os.getpid(), signal.SIGTSTP)  # the default action stops us here until SIGCONT
        self._cbreak()
        if self.on_resume is not None:
            self.on_resume()

    def read(
        self, timeout: float | None = None, on_idle: Callable[[], bool] | None = None
    ) -> str | None:
        """The next key's name, or None when `timeout` seconds pass with none.

        `on_idle` runs every 0.2 s while waiting and may return True to ask for a redraw (the
        key "redraw"), e.g. when the terminal was resized. Ctrl-C raises KeyboardInterrupt,
        Ctrl-D `Interrupted`; Ctrl-Z suspends and returns "redraw" once resumed.
        """
        step = 0.2 if timeout is None else min(timeout, 0.2)
        waited = 0.0
        while True:
            ready, _, _ = select.select([self.fd], [], [], step)
            if ready:
                break
            if on_idle is not None and on_idle():
                return "redraw"
            waited += step
            if timeout is not None and waited >= timeout:
                return None
        try:
            data = os.read(self.fd, 1).decode(errors="replace")
        except OSError:  # EIO: the terminal is gone (its window closed)
            data = ""
        if not data:  # no end of file in cbreak mode: only a hang-up reads nothing
            terminate(getattr(signal, "SIGHUP", signal.SIGTERM))
        if data == "\x1b":
            # an escape sequence arrives in one burst; a lone Esc does not
            while not sequence_done(data) and select.select([self.fd], [], [], 0.03)[0]:
                data += os.read(self.fd, 1).decode(errors="replace")
        if data == CTRL_C:
            raise KeyboardInterrupt
        if data == CTRL_D:
            raise Interrupted("end of input")
        if data == CTRL_Z:
            if not self.can_suspend:
                return "ctrl-z"
            self.suspend()
            return "redraw"
        return KEYS.get(data, data.lower() if len(data) == 1 else "unknown")


def sequence_done(data: str) -> bool:
    """Whether `data`, which starts with Esc, is a whole key: Esc alone is not yet (more may
    follow), "Esc O x" (SS3, application mode) is after its third character, and "Esc [ ..." (CSI)
    at its final character (@ to ~); Esc and any other character is Alt and that key.

    (Ending at any letter instead, as this once did, split "Esc O A", the up arrow of a terminal
    in application mode, into an unknown key and "a".)"""
    if len(data) < 2:
        return False
    if data[1] == "O":
        return len(data) >= 3
    if data[1] == "[":
        # the Linux console's F1-F5 are "Esc [ [ A" to "Esc [ [ E": that second [ is no final
        return len(data) >= 3 and "@" <= data[-1] <= "~" and data != "\x1b[["
    return True


def terminate(signum: int) -> NoReturn:
    """Leave the way Ctrl-C does, for SIGTERM or SIGHUP: raise `Terminated`.

    Both signals are ignored from here on, so a second one (a hang-up sends SIGHUP and then
    the terminal's reads fail) cannot break into the restoring and saving on the way out.
    """
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    raise Terminated(signum)


def _exit_prompt(signum: int) -> bool:
    """Ask a running prompt_toolkit prompt (a questionary menu) to end with `Terminated`.

    Raised from inside its event loop instead, the exception would cut its coroutines short
    ("coroutine ... was never awaited" printed at exit); this way it restores the terminal and
    re-raises from the prompt call. prompt_toolkit is only looked up, never imported here.
    """
    current = sys.modules.get("prompt_toolkit.application.current")
    app = current.get_app_or_none() if current is not None else None
    if app is None or not app.is_running:
        return False
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    try:
        app.exit(exception=Terminated(signum))
    except Exception:  # already exiting: leave the ordinary way
        return False
    return True


def exit_on_signals() -> None:
    """Make SIGTERM and SIGHUP raise `Terminated` (the CLI exits 128 + the signal number)."""

    def leave(signum: int, frame: object) -> None:
        if not _exit_prompt(signum):
            terminate(signum)

    for name in ("SIGTERM", "SIGHUP"):  # no SIGHUP on Windows
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), leave)


def terminal_size() -> os.terminal_size:
    """The real size of the screen (not COLUMNS/LINES, which would hide a resize)."""
    try:
        return os.get_terminal_size(sys.stdout.fileno())
    except (OSError, ValueError):
        return shutil.get_terminal_size()


_alternate = False  # inside `alternate_screen()`: what Ctrl-Z must give back and take again


@contextlib.contextmanager
def alternate_screen() -> Iterator[None]:
    """Use the terminal's alternate screen, like `less`, and always come back (cursor shown)."""
    global _alternate
    write(ENTER_ALTERNATE)
    _alternate = True
    try:
        yield
    finally:
        _alternate = False
        write(SHOW_CURSOR + LEAVE_ALTERNATE)


def give_back() -> None:
    """Before stopping on Ctrl-Z: the shell gets the normal screen and a visible cursor."""
    write(SHOW_CURSOR + (LEAVE_ALTERNATE if _alternate else ""))


def take_again() -> None:
    """After `fg`: back on the alternate screen (if we were), cleared, for one redraw."""
    if _alternate:
        write(ENTER_ALTERNATE + "\x1b[H\x1b[2J")


def wait_for_enter(prompt: str = "Press Enter to continue") -> None:
    """Pause until Enter (cbreak; Ctrl-C and Ctrl-D behave as everywhere else).

    What is above the prompt was printed, not kept, so it could not be drawn again after `fg`:
    Ctrl-Z does nothing here.
    """
    write(f"\r\n{prompt}")
    with KeyReader(suspend=False) as keys:
        while keys.read() != "enter":
            pass
    write("\r\n")


def live_suspend_hooks(live: Any) -> tuple[Callable[[], None], Callable[[], None]]:
    """`KeyReader` Ctrl-Z hooks for a rich `Live` view: erase the frame before the shell takes
    the screen, and draw it once after `fg`, below whatever the shell printed meanwhile.

    Without them the frame drawn after `fg` starts where the old one did, over the shell's
    "Stopped" lines, and half of the old frame stays on screen: the view appears twice. On the
    lesson's alternate screen the whole screen is given back instead (`give_back`).
    """

    def erase() -> None:
        render: Any = getattr(live, "_live_render", None)  # rich keeps the frame's shape there
        height = getattr(render, "last_render_height", 0)
        if not _alternate and height:
            write("\r\x1b[2K" + "\x1b[1A\x1b[2K" * (height - 1))
        if render is not None:
            render._shape = None  # the next frame starts at the cursor, moving nothing up
        give_back()

    def redraw() -> None:
        take_again()
        write(HIDE_CURSOR)
        live.refresh()

    return erase, redraw
