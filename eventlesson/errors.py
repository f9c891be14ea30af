"""One exception hierarchy and the exit codes it maps to.

Core module: standard library only (no rich, questionary or typer).
"""

from __future__ import annotations

from enum import IntEnum

ERROR = "eventlesson: error: "  # how every failure's line begins, from the CLI or from a flow


class ExitCode(IntEnum):
    """Process exit codes, in one place."""

    OK = 0
    FAILURE = 1  # content problems, unreadable files, a failed check
    USAGE = 2  # bad options or arguments, or a prompt that cannot be shown
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


class EventlessonError(Exception):
    """An error the learner should see as one clear line, never a traceback."""

    exit_code: ExitCode = ExitCode.FAILURE


class ContentError(EventlessonError):
    """The lesson content is missing, unreadable or malformed."""


class UsageError(EventlessonError):
    """An option or argument the command cannot use."""

    exit_code = ExitCode.USAGE


class NotInteractiveError(UsageError):
    """A prompt was needed but there is no terminal to show it on."""


class Interrupted(EventlessonError):
    """The learner pressed Ctrl-C or closed the input (Ctrl-D) at a prompt."""

    exit_code = ExitCode.INTERRUPTED


class OutputError(EventlessonError):
    """Output could not be written: a full disk, a closed standard output, a file too large."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"cannot write to {target}: {reason}")
        self.target = target


class OutputClosed(EventlessonError):
    """Whoever read our output went away (`eventlesson learn --print | head`): stop quietly."""

    exit_code = ExitCode.OK


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: leave through the normal exit path (restore the terminal, save).

    A BaseException, like KeyboardInterrupt, so that no `except Exception` on the way swallows
    it. The process exits with 128 + the signal's number (143, 129), as if killed by it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum
