"""Where output goes, and what happens when it cannot get there.

Core module: standard library only (no rich, questionary or typer).

- `guard_standard_streams()` (once, at process start): standard output becomes a stream whose
  failures are one `OutputError` line ("cannot write to standard output: No space left on
  device") or, for a reader that went away (`| head`), a quiet `OutputClosed`; characters the
  output encoding cannot show (PYTHONIOENCODING=ascii) are replaced instead of crashing; a closed
  descriptor 0, 1 or 2 is held by /dev/null so no file opened later can take its number.
- `open_output()`: a file a command writes, with the same one-line failures.
- `refuse_overwrite()`: `--events` and `--svg` never replace a file eventlesson did not write.
- `removed_on_failure()`: when a write fails mid-run, the partial files are removed.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from eventlesson.errors import OutputClosed, OutputError, UsageError
from eventlesson.text import quoted_path

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

STDOUT = "standard output"
FALLBACK = "eventlesson-ascii"  # the codec error handler below, by the name codecs knows it

# One character for one character, so tables and bars keep their alignment.
_ASCII = {
    "✓": "+", "✗": "x", "·": ".", "…": ".", "→": ">", "←": "<", "↑": "^", "↓": "v", "–": "-", "—": "-",
    "‘": "'", "’": "'", "“": '"', "”": '"', "•": "*", "»": ">", "«": "<", "\u00a0": " ",
}  # fmt: skip


def _fallback(char: str) -> str:
    """An ASCII stand-in for a character the output encoding cannot show."""
    if char in _ASCII:
        return _ASCII[char]
    if "\u2500" <= char <= "\u257f":  # box drawing: rich's own ASCII boxes look like this
        import unicodedata

        name = unicodedata.name(char, "")
        return "-" if "HORIZONTAL" in name else "|" if "VERTICAL" in name else "+"
    if "\u2580" <= char <= "\u259f":  # block elements: the lag bars
        return "#" if char != "\u2591" else "."
    return "?"


def _encode_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    text = exc.object[exc.start : exc.end]
    return "".join(_fallback(char) for char in text), exc.end


codecs.register_error(FALLBACK, _encode_fallback)
SNIFF_BYTES = 64 * 1024  # how much of an existing file is read to recognise it as ours


class GuardedRaw(io.RawIOBase):
    """A file descriptor whose write failures become `OutputError` (or `OutputClosed`), once.

    After the first failure the rest is dropped silently: the failure has been reported, and
    the interpreter's final flush must not report it again as "Exception ignored" (exit 120).
    """

    def __init__(self, fd: int, target: str, *, closefd: bool = True, quiet: bool = False) -> None:
        super().__init__()
        self.fd = fd
        self.target = target
        self.closefd = closefd
        self.quiet = quiet  # standard error: there is nowhere to report its own failure
        self.failed = False
        # sees every byte that reached the descriptor, in order (the terminal's copy of the
        # alternate screen, `ui.terminal`, redraws it from them after Ctrl-Z and `fg`)
        self.tap: Callable[[bytes], None] | None = None

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        try:
            return os.isatty(self.fd)
        except OSError:
            return False

    def write(self, data: ReadableBuffer, /) -> int:
        if self.failed:
            return memoryview(data).nbytes
        try:
            written = os.write(self.fd, data)
        except OSError as exc:
            self.failed = True
            if self.quiet:
                return memoryview(data).nbytes
            if isinstance(exc, BrokenPipeError):
                raise OutputClosed(self.target) from exc
            reason = "it is closed" if exc.errno == errno.EBADF else exc.strerror or str(exc)
            raise OutputError(self.target, reason) from exc
        if self.tap is not None:
            self.tap(bytes(memoryview(data)[:written]))
        return written

    def close(self) -> None:
        if not self.closed and self.closefd:
            with contextlib.suppress(OSError):
                os.close(self.fd)
        super().close()


def guarded_text(
    raw: GuardedRaw, encoding: str, *, errors: str = FALLBACK, line_buffering: bool = False
) -> io.TextIOWrapper:
    """Text on top of a guarded descriptor; unencodable characters become replacements.

    An ASCII or Latin-1 terminal (PYTHONIOENCODING=ascii) gets "+" for a tick, "-" and "|" for
    box lines and "?" for the rest, rather than a UnicodeEncodeError.
    """
    return io.TextIOWrapper(
        io.BufferedWriter(raw), encoding=encoding, errors=errors, line_buffering=line_buffering
    )


def _hold_closed_descriptors() -> bool:
    """Put /dev/null on a closed 0, 1 or 2; returns whether standard output was closed.

    Standard input and output get it read-only, so writing to a closed stdout still fails
    (EBADF) as it should; standard error gets it write-only, so errors vanish quietly.
    """
    stdout_closed = False
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        stdout_closed = stdout_closed or fd == 1
        held = os.open(os.devnull, os.O_WRONLY if fd == 2 else os.O_RDONLY)
        if held != fd:
            os.dup2(held, fd)
            os.close(held)
    return stdout_closed


def _replace(old: IO[str] | None, raw: GuardedRaw, errors: str) -> io.TextIOWrapper:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        if old is not None:
            old.flush()
    return guarded_text(
        raw,
        getattr(old, "encoding", None) or "utf-8",
        errors=errors,
        line_buffering=bool(getattr(old, "line_buffering", False)) or raw.isatty(),
    )


def guard_standard_streams() -> None:
    """Replace sys.stdout and sys.stderr with guarded streams (see the module docstring).

    Standard error's own failures are dropped silently (a hung-up terminal): there is nowhere
    left to report them, and the exit must still be the normal one.
    """
    _hold_closed_descriptors()
    sys.stdout = _replace(sys.stdout, GuardedRaw(1, STDOUT, closefd=False), FALLBACK)
    sys.stderr = _replace(
        sys.stderr, GuardedRaw(2, "standard error", closefd=False, quiet=True), FALLBACK
    )


def open_output(path: str, target: str) -> IO[str]:
    """Open `path` for writing UTF-8 text; write failures name `target` in one line.

    `target` is how the learner named it, e.g. "--events 'trace.jsonl'".
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    except OSError as exc:
        raise OutputError(target, exc.strerror or str(exc)) from exc
    return guarded_text(GuardedRaw(fd, target), "utf-8")


# -- never replace a file we did not write --------------------------------------------------------


def _is_trace(head: bytes) -> bool:
    """Whether a file starts like our JSON Lines trace: {"t": <number>, "type": <text>, ...}."""
    import json  # only a run that writes over a file needs it

    line = head.split(b"\n", 1)[0]
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return (
        isinstance(record, dict)
        and list(record)[:2] == ["t", "type"]
        and isinstance(record["t"], int | float)
        and isinstance(record["type"], str)
    )


def _is_our_svg(head: bytes) -> bool:
    """Whether a file is rich's SVG export titled by `simulate --svg`."""
    return head.lstrip().startswith(b"<svg") and (
        b"eventlesson&#160;simulate" in head or b"eventlesson simulate" in head
    )


RECOGNISERS: dict[str, Callable[[bytes], bool]] = {"trace": _is_trace, "svg": _is_our_svg}


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _stat(path: str | Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def refuse_overwrite(
    outputs: Iterable[tuple[str, str | None, str]],
    *,
    force: bool,
    protected: Iterable[Path] = (),
) -> None:
    """Refuse, with one line (exit 2), to write over a file eventlesson did not write.

    `outputs`: (flag, path or None, kind) for each file the command writes; `kind` is "trace",
    "svg" (recognised by their content) or "" (checked elsewhere, e.g. --db by its SQLite
    application id). An empty file holds nothing to lose. Hard links and symbolic links count
    as the file they point at: two options naming one file are refused, and so is any path that
    is the progress file (`protected`), even with `force`.
    """
    named = [(flag, path, kind) for flag, path, kind in outputs if path is not None]
    guarded = [(p, s) for p in protected if (s := _stat(p)) is not None]
    seen: list[tuple[str, os.stat_result]] = []
    for flag, path, kind in named:
        info = _stat(path)
        if info is None:
            continue  # a new file (its folder is checked elsewhere)
        where = f"{flag} {quoted_path(path)}"
        for other_flag, other in seen:
            if _same(info, other):
                raise UsageError(f"{other_flag} and {flag} name the same file {quoted_path(path)}")
        seen.append((flag, info))
        for keep, keep_info in guarded:
            if _same(info, keep_info):
                raise UsageError(
                    f"{where} is the progress file {quoted_path(keep)}; choose another"
                )
        if not kind or force or not stat.S_ISREG(info.st_mode):
            continue  # a terminal, /dev/null or a pipe: nothing to overwrite
        if info.st_size == 0:
            continue
        try:
            with open(path, "rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError:
            head = b""  # unreadable: not recognisably ours
        if not RECOGNISERS[kind](head):
            raise UsageError(
                f"{where} exists and eventlesson did not write it; "
                "choose another name, or add --force to replace it"
            )


# -- a failed run leaves no partial files -----------------------------------------------------------


def _identity(path: str) -> tuple[int, int, int, int] | None:
    info = _stat(path)
    if info is None or not stat.S_ISREG(info.st_mode):
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


@contextlib.contextmanager
def removed_on_failure(
    outputs: Iterable[tuple[str, str | None]],
    translate: Callable[[BaseException], OutputError | None] = lambda exc: None,
) -> Iterator[None]:
    """Remove the files of `outputs` ((flag, path) pairs) that this run changed, if it fails.

    A failure is an `OutputError`, or an exception that `translate` turns into one (e.g. an
    SQLite "database or disk is full" for --db). Files the run did not touch stay as they were;
    an interrupted run (Ctrl-C) keeps what it wrote, as it says.
    """
    paths = [path for _, path in outputs if path is not None]
    before = {path: _identity(path) for path in paths}
    try:
        yield
    except Exception as exc:
        failure = exc if isinstance(exc, OutputError) else translate(exc)
        if failure is None:
            raise
        for path in paths:
            now = _identity(path)
            if now is not None and now != before[path]:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        if failure is exc:
            raise
        raise failure from exc


SQLITE_FULL = 13  # "database or disk is full"


def sqlite_failure(flag: str, path: str) -> Callable[[BaseException], OutputError | None]:
    """For `removed_on_failure`: an SQLite error writing the file `path` becomes one line.

    sqlite3 is looked up, not imported: a run that never opened a database never loads it.
    """

    def translate(exc: BaseException) -> OutputError | None:
        sqlite3 = sys.modules.get("sqlite3")
        if path == ":memory:" or sqlite3 is None or not isinstance(exc, sqlite3.Error):
            return None
        full = getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL
        return OutputError(
            f"{flag} {quoted_path(path)}", os.strerror(errno.ENOSPC) if full else str(exc)
        )

    return translate
