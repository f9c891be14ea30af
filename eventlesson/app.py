"""The application object every command talks to (the terminal side of the program).

It owns the consoles, the environment (resolved once, in `from_environment`), decides whether a
person is at the keyboard and which screen and prompter suit the terminal, and loads content and
progress on demand. Tests build one with StringIO consoles, an `Environment` and a scripted
prompter instead of patching internals. Imports rich lazily-cheap pieces only; never questionary
or SimPy at import time, nor the prompters (a scripted `quiz --answers` never asks).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from eventlesson.environment import Environment
from eventlesson.errors import ExitCode
from eventlesson.progress import Progress, ProgressStore

if TYPE_CHECKING:
    from rich.console import Console

    from eventlesson.models import Lesson
    from eventlesson.ui.prompts import Prompter


class LazyConsole:
    """Stands in for a rich Console until something is printed, so `--json` runs never load rich."""

    def __init__(self, *, stderr: bool = False, plain: bool = False) -> None:
        self._stderr = stderr
        self._plain = plain
        self._real: Console | None = None

    @property
    def file(self) -> IO[str]:
        return sys.stderr if self._stderr else sys.stdout

    @property
    def real(self) -> Console:
        """The rich Console itself, made on first use."""
        if self._real is None:
            from eventlesson.ui.console import make_console

            self._real = make_console(stderr=self._stderr, plain=self._plain)
        return self._real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    # `with console:` (rich Live, capture) looks these up on the type, not through __getattr__
    def __enter__(self) -> Console:
        return self.real.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.real.__exit__(*exc)


def _is_tty(stream: IO[str] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # a closed stream
        return False


@dataclass
class App:
    """Side channels in one place: streams, terminal flags, the environment, content and progress."""

    console: Console  # learner-facing output (stdout)
    err: Console  # warnings and errors (stderr)
    stdin_tty: bool  # a person can type at us
    stdout_tty: bool  # what we print lands on a screen, not in a pipe
    env: Environment  # variables and platform abilities, read once
    prompter_override: Prompter | None = None  # tests and scripts inject answers here
    _store: ProgressStore | None = field(default=None, repr=False)
    _progress: Progress | None = field(default=None, repr=False)
    _kept: bool = field(default=True, repr=False)  # the latest save reached the file

    @classmethod
    def from_environment(
        cls, content_dir: str | None = None, environ: Mapping[str, str] | None = None
    ) -> App:
        """The real terminal; `content_dir` (the --content-dir option) wins over the variable."""
        env = Environment.detect(environ)
        if content_dir:
            env = replace(env, content_dir=content_dir)
        return cls(
            console=LazyConsole(plain=env.no_color),  # type: ignore[arg-type]
            err=LazyConsole(stderr=True, plain=env.no_color),  # type: ignore[arg-type]
            stdin_tty=_is_tty(sys.stdin),
            stdout_tty=_is_tty(sys.stdout),
            env=env,
        )

    @property
    def content_dir(self) -> str | None:
        """The lessons' folder asked for (option or variable); None: the shipped lessons."""
        return self.env.content_dir

    @property
    def home(self) -> Path:
        """Where progress.json lives."""
        return self.env.home

    # -- terminal --

    @property
    def interactive(self) -> bool:
        """Both ends are a terminal (or a test injected a prompter)."""
        return self.prompter_override is not None or (self.stdin_tty and self.stdout_tty)

    @property
    def dumb(self) -> bool:
        """A terminal that cannot redraw: ask line by line."""
        return self.env.dumb

    @property
    def full_screen(self) -> bool:
        """Whether the full-screen pager can run: a real terminal that redraws, and single keys.

        Otherwise (TERM=dumb, a platform without termios, a test's scripted prompter) pages are
        printed whole and a typed command answers them.
        """
        return (
            self.prompter_override is None
            and self.interactive
            and not self.env.dumb
            and self.env.single_keys
        )

    def prompter(self, advice: str) -> Prompter:
        """Who asks the learner: `advice` is the error shown when nobody can answer."""
        if self.prompter_override is not None:
            return self.prompter_override
        # imported here: a scripted run (`quiz --answers`) never asks, so never loads them
        from eventlesson.ui.prompts import LinePrompter, NoPrompter, QuestionaryPrompter

        if not self.interactive:
            return NoPrompter(advice)
        if self.env.dumb or not self.env.menus:
            return LinePrompter()
        return QuestionaryPrompter()

    # -- messages --

    def emit(self, text: str) -> None:
        """Raw text on stdout, no rich involved (machine-readable output)."""
        self.console.file.write(text + "\n")
        self.console.file.flush()

    def emit_json(self, data: object) -> None:
        """One JSON document on stdout; control and bidi characters in it are escaped."""
        from eventlesson.text import json_text

        self.emit(json_text(data, indent=2))

    def warn(self, message: str) -> None:
        """One line on stderr; the text is shown literally, control characters replaced."""
        self._say("warning:", "warn", message)

    def error(self, message: str) -> None:
        """Like `warn`, for a failure; it begins as the CLI's own error lines do."""
        from eventlesson.errors import ERROR

        self._say(ERROR.rstrip(), "bad", message)

    def _say(self, label: str, style: str, message: str) -> None:
        """`label message` on stderr: one logical line for a pipe or a log (a script reads one
        line a warning); on a terminal, wrapped at words below the label, never mid-word."""
        from rich.table import Table
        from rich.text import Text

        from eventlesson.text import clean

        text = Text(clean(message))
        if not self.err.is_terminal:
            self.err.print(Text(label, style=style), text, soft_wrap=True)
            return
        from eventlesson.ui.console import print_trimmed

        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")  # a path longer than a line is folded, never cut
        grid.add_row(Text(label, style=style), text)
        print_trimmed(self.err, grid)

    def goodbye(self) -> int:
        """The one line shown on Ctrl-C; returns the exit code to use.

        It saves first, so "saved" is said only when the file really holds this session's work.
        """
        if self.save():
            self.err.print("\n[muted]Stopped. Your progress is saved.[/]")
        else:
            self.err.print("\nStopped. Your progress could not be saved.")
        return int(ExitCode.INTERRUPTED)

    # -- content and progress --

    def lesson(self, lesson_id: str | None = None) -> Lesson:
        from eventlesson.content import load_lesson

        return load_lesson(lesson_id, self.content_dir)

    @property
    def store(self) -> ProgressStore:
        if self._store is None:
            self._store = ProgressStore(self.home)
        return self._store

    @property
    def progress(self) -> Progress:
        if self._progress is None:
            self._progress = self.store.load()
            self.flush_warnings()
        return self._progress

    @property
    def progress_kept(self) -> bool:
        """Whether the latest save reached the file (True before any: nothing is at stake yet)."""
        return self._kept

    def save(self) -> bool:
        """Write progress now; a failure becomes a single warning, never an error.

        Only what this session changed is written: the store merges it into the file as it is
        now, so a `quiz` run in another terminal is not undone by this session's next save.
        Returns whether the file holds this session's progress (True when none was loaded).
        """
        if self._progress is not None:
            self._kept = self.store.save(self._progress)
            self.flush_warnings()
        return self._kept

    def flush_warnings(self, *, again: bool = False) -> None:
        """Show the store's pending warnings once each.

        `again`: also repeat why this session's progress is not kept, for a full-screen view that
        hid the first warning (call it once the view has closed).
        """
        store = self._store
        if again and store is not None and store.not_kept and store.not_kept not in store.warnings:
            self.warn(store.not_kept)
        while self.store.warnings:
            self.warn(self.store.warnings.pop(0))
