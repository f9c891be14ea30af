"""Reading a file we did not write: only a regular file, and only up to a size limit.

Core module: standard library only (no rich, questionary or typer). A FIFO or a device named like
a lesson or progress file would block forever or never end; a file of hundreds of megabytes would
keep a command busy for minutes. Both are refused here, before anything is parsed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class FileError(Exception):
    """A file that cannot be used; the message says why in a few words ("not found", ...)."""


class NotFound(FileError):
    """There is no such file (or a folder on its way is missing)."""


class TooLarge(FileError):
    """The file is larger than the limit it was read with (it may have grown while read)."""


def read_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; FileError otherwise."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)  # a FIFO opens at once
    try:
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound("not found") from None
    except OSError as exc:
        raise FileError(f"cannot open ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileError("is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise FileError("not a regular file")
        if info.st_size > limit:
            raise TooLarge(f"larger than the {limit:,} byte limit ({info.st_size:,} bytes)")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while we read
            raise TooLarge(f"larger than the {limit:,} byte limit")
        return b"".join(chunks)
    except OSError as exc:
        raise FileError(f"cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
