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

Ctrl-Z everywhere else a learner waits (a "Press Enter" pause, a questionary menu) goes through
the same `stop_job`: while the alternate screen is up, everything written to it since it was last
cleared is kept (`ScreenCopy`), so after `fg` it is written again and the screen is as it was,
whoever drew it (rich, a prompt, the pager).

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
from collections.abc import Callable, Collection, Iterator
from typing import Any, NoReturn, TextIO

from eventlesson.errors import Interrupted, OutputClosed, OutputError, Terminated
from eventlesson.outputs import GuardedRaw

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
    returns "redraw" so the caller draws its screen once (`give_back` and `restore_screen`
    bring back whatever was on the alternate screen, for callers that cannot draw it themselves).
    """

    def __init__(
        self,
        fd: int | None = None,
        *,
        on_suspend: Callable[[], None] | None = None,
        on_resume: Callable[[], None] | None = None,
    ) -> None:
        self.fd = sys.stdin.fileno() if fd is None else fd
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

        def before() -> None:
            if self.on_suspend is not None:
                self.on_suspend()
            self._restore()

        def after() -> None:
            self._cbreak()
            if self.on_resume is not None:
                self.on_resume()

        stop_job(before, after)

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


def stop_job(
    before: Callable[[], None] | None = None, after: Callable[[], None] | None = None
) -> None:
    """Stop the process as Ctrl-Z in a shell does, and return once `fg` (SIGCONT) continues it.

    `before` gives the terminal back (by default `give_back`; a key reader also leaves cbreak),
    `after` takes it again and redraws (by default `restore_screen`). Under a shell without job
    control nothing stops, and `after` simply follows `before`.
    """
    (give_back if before is None else before)()
    os.kill(os.getpid(), signal.SIGTSTP)  # the default action stops us here until SIGCONT
    (restore_screen if after is None else after)()


class ScreenCopy:
    """The bytes written to the alternate screen since it was last cleared: written again after
    `fg`, they draw the screen as it was (the pause's prompt under the answer it follows, a
    question's menu where the cursor was), whoever wrote them. Cursor-position requests are left
    out of the replay (the terminal would answer them as typed keys).

    Past `LIMIT` bytes without a clear (a long live simulation, which redraws itself) the copy is
    dropped until the next clear, and `fg` gives a cleared screen to whoever redraws on it.
    """

    LIMIT = 1 << 20
    CLEAR = b"\x1b[2J"
    ASK_POSITION = b"\x1b[6n"

    def __init__(self) -> None:
        self.data = bytearray()
        self.whole = True  # False: past LIMIT since the last clear
        self.recording = False

    def start(self) -> None:
        self.data.clear()
        self.whole = True
        self.recording = True

    def add(self, written: bytes) -> None:
        if not self.recording:
            return
        seen = len(self.data)
        self.data += written
        # a clear split between two writes is found too
        cut = self.data.rfind(self.CLEAR, max(seen - len(self.CLEAR) + 1, 0))
        if cut >= 0:
            del self.data[:cut]
            self.whole = True
        if len(self.data) > self.LIMIT:
            self.whole = False
        if not self.whole:  # keep only what may be the start of a clear
            del self.data[: -len(self.CLEAR) + 1]

    def replay(self) -> bytes:
        return bytes(self.data).replace(self.ASK_POSITION, b"") if self.whole else b""


_copy = ScreenCopy()


def _taps() -> list[GuardedRaw]:
    """The guarded descriptors that reach the screen: standard output, and standard error when
    it is the same terminal (a warning printed mid-lesson); none where the streams are not
    guarded (a test's own streams)."""
    out, err = (getattr(getattr(s, "buffer", None), "raw", None) for s in (sys.stdout, sys.stderr))
    if not isinstance(out, GuardedRaw):
        return []
    try:
        same = isinstance(err, GuardedRaw) and os.path.samestat(os.fstat(out.fd), os.fstat(err.fd))
    except OSError:
        same = False
    return [out, err] if same else [out]  # type: ignore[list-item]


@contextlib.contextmanager
def alternate_screen() -> Iterator[None]:
    """Use the terminal's alternate screen, like `less`, and always come back (cursor shown)."""
    global _alternate
    write(ENTER_ALTERNATE)
    _alternate = True
    taps = _taps()
    _copy.start()
    for raw in taps:
        raw.tap = _copy.add
    try:
        yield
    finally:
        _alternate = False
        for raw in taps:
            raw.tap = None
        _copy.recording = False
        _copy.data.clear()
        write(SHOW_CURSOR + LEAVE_ALTERNATE)


def give_back() -> None:
    """Before stopping on Ctrl-Z: the shell gets the normal screen and a visible cursor."""
    write("")  # what is pending reaches the screen, and its copy, first
    _copy.recording = False
    write(SHOW_CURSOR + (LEAVE_ALTERNATE if _alternate else ""))


def take_again() -> None:
    """After `fg`: back on the alternate screen (if we were), cleared, for one redraw."""
    if _alternate:
        _copy.recording = True
        write(ENTER_ALTERNATE + "\x1b[H\x1b[2J")


def restore_screen() -> None:
    """After `fg`: back on the alternate screen (if we were) as it was before Ctrl-Z.

    On the normal screen there is nothing to restore: what was written is still there, above
    the shell's lines.
    """
    if not _alternate:
        return
    saved = _copy.replay()
    take_again()
    with contextlib.suppress(OSError, ValueError, OutputError, OutputClosed):
        sys.stdout.flush()
        sys.stdout.buffer.write(saved)
        sys.stdout.flush()


def write_prompt(prompt: str) -> None:
    """A pause's prompt on a line of its own, broken at words to fit the screen (the terminal
    would break "(q leaves)" mid-word at 40 columns)."""
    from eventlesson.text import hanging

    lines = hanging(prompt, max(terminal_size().columns - 1, 20), 0).split("\n")
    write("\r\n" + "\r\n".join(lines))


def wait_for_enter(
    prompt: str = "Press Enter to continue", *, leave_keys: Collection[str] = ()
) -> bool:
    """Pause until Enter, or one of `leave_keys`; returns whether it was Enter (cbreak; Ctrl-C
    and Ctrl-D behave as everywhere else).

    Ctrl-Z gives the terminal back; after `fg` the screen is written again as it was, prompt
    and all (`restore_screen`), and the pause goes on waiting.
    """
    write_prompt(prompt)
    with KeyReader(on_suspend=give_back, on_resume=restore_screen) as keys:
        while (key := keys.read()) != "enter" and key not in leave_keys:
            pass
    write("\r\n")
    return key == "enter"


@contextlib.contextmanager
def said_again_after_fg(say: Callable[[], None]) -> Iterator[None]:
    """While a line is typed in the terminal's own mode (TERM=dumb, screen readers), where Ctrl-Z
    stops the process without asking us: after `fg`, `say` runs again (the prompt, written anew
    under the shell's lines, since the first one is now above them). What was typed before the
    Ctrl-Z is dropped by the terminal, as in any shell. Outside the main thread, or without
    job control signals, nothing is added.
    """
    if not hasattr(signal, "SIGCONT"):
        yield
        return
    try:
        old = signal.signal(signal.SIGCONT, lambda signum, frame: say())
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGCONT, old)


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
