"""The `exercise` flow: list the exercises, open one, check the learner's file on every save.

Flow layer: the only exercise code that waits for keys or polls the file. It reaches the terminal
through the `App`, checks through `eventlesson.exercise.runner` (the learner's code runs in a
child process, never here) and records each outcome in the progress file, which only this
process writes. Three ways to watch, by what the terminal can do:

- full screen (a terminal that redraws, with termios): the pager, redrawn after every save, keys
  `h` (the next hint) and `q`, scrolling with space and the arrows;
- line by line (TERM=dumb, or no termios): each verdict printed below the last, a typed `h` or
  `q` and Enter;
- once (`--once`, or stdin or stdout not a terminal): one check, exit 0 when it passes, else 1.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.text import Text

from eventlesson.app import App
from eventlesson.errors import EventlessonError, ExitCode, Interrupted, UsageError
from eventlesson.exercise.learner import Output
from eventlesson.exercise.runner import check_source, read_source
from eventlesson.exercise.verdict import Plan, Problem, Verdict, error
from eventlesson.exercise.workspace import (
    SOLUTION,
    START,
    Watcher,
    default_folder,
    learner_path,
    plan_for,
    prepare,
    read_exercise_file,
)
from eventlesson.flows.invocation import command_name
from eventlesson.models import Exercise, Lesson
from eventlesson.progress import ExerciseRecord
from eventlesson.ui import render_exercise as view
from eventlesson.ui import styles as S
from eventlesson.ui.console import print_trimmed
from eventlesson.ui.render_lesson import SCROLL_NOTE, footer

POLL_SECONDS = 0.2  # how often the line-by-line watch looks at the file


class CodeProblem(EventlessonError):
    """`simulate --with FILE`: the learner's file cannot take part in the run (see `problem`)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def show_problem(app: App, problem: Problem) -> int:
    """What stopped the learner's code, on stderr: one line, then their frames; exit 1."""
    print_trimmed(app.err, view.problem_view(problem))
    return int(ExitCode.FAILURE)


@dataclass
class LearnerParts:
    """`simulate --with FILE`: the learner's functions as the parts of one run."""

    kwargs: dict[str, Any]  # for `Simulation(...)`: service=, relay=, handlers=
    restarted: Callable[[dict[str, Any]], None]  # a trace listener: a restart reruns the module
    path: str  # the file, as the learner named it
    functions: tuple[str, ...]  # what it replaces: complete_purchase, relay, handle_<consumer>
    output: Output  # what their code printed during the run (the first lines, and the count)

    def described(self) -> dict[str, Any]:
        """For the run's summary (and its JSON): the file, what it replaced, what it printed."""
        return {
            "file": self.path,
            "functions": list(self.functions),
            "printed_lines": self.output.count,
            "printed": list(self.output.lines),
        }


def learner_parts(path: str, scenario: str, seed: int, purchases: int | None) -> LearnerParts:
    """`simulate --with FILE`: the file's functions as the parts of this run.

    The same run goes through the child process first, so that an exception, an endless loop or
    a wrong call in the learner's code is reported as a check reports it (CodeProblem), before
    the live view starts. Then the functions run here, where the view can watch them, each call
    still under its time limit (what they print is kept, not shown, until the run is over).
    """
    from eventlesson.exercise.learner import Components, LearnerCode, LearnerFailed, functions_in
    from eventlesson.sim import SCENARIOS

    source = read_source(Path(path))
    if not isinstance(source, str):
        raise CodeProblem(source)
    label = Path(path).name
    try:
        code = LearnerCode(source, label)  # compiled only: nothing of theirs runs here yet
    except LearnerFailed as stop:
        raise CodeProblem(stop.problem) from None
    names = tuple(functions_in(source))
    if not names:
        raise CodeProblem(
            Problem(
                "missing",
                "",
                f"{label} defines none of complete_purchase(store, bus, purchase), "
                "relay(outbox, bus) or handle_<consumer>(store, event).",
            )
        )
    count = purchases if purchases is not None else SCENARIOS[scenario].purchases
    plan = Plan("simulate", names, (scenario,), (), 1, count, seed)
    verdict = check_source(source, label, plan)
    if verdict.problem is not None:
        raise CodeProblem(verdict.problem)
    components = Components(code, names)
    code.output = Output()  # the module ran to list its functions: count this run's prints only
    return LearnerParts(
        components.as_parts().as_kwargs(), components.restarted, path, names, code.output
    )


def find_exercise(lesson: Lesson, name: str) -> Exercise:
    """The exercise called `name`, or one line naming the ones there are."""
    wanted = name.strip().lower()
    for exercise in lesson.exercises:
        if exercise.id.lower() == wanted:
            return exercise
    if not lesson.exercises:
        raise UsageError(f"{lesson.id} has no exercises")
    names = ", ".join(e.id for e in lesson.exercises)
    raise UsageError(f"no exercise {name!r} in {lesson.id}; choose one of: {names}")


def workspace(app: App, lesson: Lesson, folder: str | None) -> Path:
    """Where the learner's files go: --dir, else a folder beside the progress file."""
    return Path(folder).expanduser() if folder else default_folder(app.home, lesson.id)


def run_list(app: App, lesson_id: str | None, folder: str | None) -> int:
    """`eventlesson exercise`: every exercise of the lesson with its state."""
    lesson = app.lesson(lesson_id)
    if not lesson.exercises:
        app.console.print(Text(f"{lesson.title} has no exercises."))
        return int(ExitCode.OK)
    records = app.progress.lesson(lesson.id).exercises
    folder_path = workspace(app, lesson, folder)
    print_trimmed(
        app.console, view.exercise_list(lesson, records, folder_path, command=command_name())
    )
    return int(ExitCode.OK)


@dataclass
class Session:
    """One exercise open: its file, its progress record, the latest verdict."""

    app: App
    lesson: Lesson
    exercise: Exercise
    path: Path
    verdict: Verdict | None = None
    reference: str | None = None
    command: str = view.COMMAND  # how to name our commands in what the screen says
    checks: int = 0  # checks run since the exercise opened
    _record: ExerciseRecord | None = field(default=None, repr=False)

    @property
    def number(self) -> int:
        return self.lesson.exercises.index(self.exercise) + 1

    @property
    def next_exercise(self) -> Exercise | None:
        exercises = self.lesson.exercises
        return exercises[self.number] if self.number < len(exercises) else None

    @property
    def record(self) -> ExerciseRecord:
        """This exercise's progress (created on first use)."""
        if self._record is None:
            records = self.app.progress.lesson(self.lesson.id).exercises
            self._record = records.setdefault(self.exercise.id, ExerciseRecord())
        return self._record

    def check(self) -> Verdict:
        """Check the file as it is now, record the outcome, and save it."""
        source = read_source(self.path)
        if isinstance(source, str):
            verdict = check_source(source, self.path.name, plan_for(self.exercise))
        else:
            verdict = error(self.exercise.id, source)
        self.verdict = verdict
        self.checks += 1
        self.record.record(verdict.passed)
        self.app.progress.lesson(self.lesson.id).touch()
        self.app.save()
        if verdict.passed and self.reference is None:
            self.reference = read_exercise_file(self.lesson, self.exercise, SOLUTION)
        return verdict

    def hint(self) -> bool:
        """Reveal the next hint; False when every hint is already shown."""
        if self.record.hints >= len(self.exercise.hints):
            return False
        self.record.hints += 1
        self.app.save()
        return True

    # -- what the screen shows --

    def header(self) -> RenderableType:
        total = len(self.lesson.exercises)
        return Group(
            view.header(self.exercise, self.number, total, self.path, self.record),
            Rule(style=S.MUTED),
        )

    def body(self) -> view.Body:
        return view.body(
            self.exercise,
            self.verdict,
            self.path,
            hints_shown=self.record.hints,
            reference=self.reference,
            nxt=self.next_exercise,
            command=self.command,
            task_first=self.checks == 1,
        )

    def keys(self) -> list[tuple[str, str]]:
        return list(view.keys(self.exercise, self.record.hints))

    def goodbye(self) -> RenderableType:
        """The lines left on the screen after the learner leaves."""
        words, style = view.state_words(self.record)
        line = Text(f"{self.exercise.id}: ")
        line.append(words, style=style)
        line.append(". Your file stays at ")
        line.append(view.shown_path(self.path), style=S.KEY)
        back = Text("Come back with ", style=S.MUTED)
        back.append(f"{self.command} exercise {self.exercise.id}", style=S.KEY)
        back.append("; see them all with ", style=S.MUTED)
        back.append(f"{self.command} exercise", style=S.KEY)
        back.append(".", style=S.MUTED)
        return Group(line, back)


def run_exercise(
    app: App, name: str, lesson_id: str | None, *, folder: str | None, once: bool
) -> int:
    """`eventlesson exercise NAME`: write the file if needed, then check it (once, or on saves)."""
    lesson = app.lesson(lesson_id)
    exercise = find_exercise(lesson, name)
    path = learner_path(workspace(app, lesson, folder), exercise.id)
    created = prepare(path, read_exercise_file(lesson, exercise, START))
    session = Session(app, lesson, exercise, path, command=command_name())
    try:
        if once or not app.interactive:
            return _once(session, created)
        if app.full_screen:
            _watch_full_screen(session)
        else:
            _watch_lines(session, created)
    except (KeyboardInterrupt, Interrupted):
        app.flush_warnings(again=True)
        app.console.print(session.goodbye())
        return app.goodbye()
    app.flush_warnings(again=True)
    print_trimmed(app.console, session.goodbye())
    return int(ExitCode.OK)


def _once(session: Session, created: bool) -> int:
    app = session.app
    verdict = session.check()
    parts: list[RenderableType] = [session.header()]
    if created:
        parts.append(view.opened(session.exercise, session.path, created=True))
        parts.append(Text(""))
    parts.append(view.verdict_view(session.exercise, verdict, session.path, session.command))
    print_trimmed(app.console, *parts)
    return int(ExitCode.OK) if verdict.passed else int(ExitCode.FAILURE)


def _watch_full_screen(session: Session) -> None:
    """The pager, redrawn after each save; `h` shows the next hint, `q` leaves."""
    from eventlesson.ui import pager, terminal

    watcher = Watcher(session.path)
    with terminal.alternate_screen():
        screen = pager.Pager(session.app.console)
        session.check()
        hinted = False  # the learner just asked for a hint: scroll to it, wherever it is
        while True:
            keys = session.keys()

            def foot(more: bool, keys: list[tuple[str, str]] = keys) -> RenderableType:
                return footer(keys, view.SAVE_NOTE + (f" · {SCROLL_NOTE}" if more else ""))

            body = session.body()
            newest = body.up_to_newest_hint() if hinted else None
            reveal = pager.Reveal(*newest) if newest is not None else None
            frame = pager.Frame(session.header(), body, foot, reveal=reveal)
            key = screen.show(frame, {"h", "q"}, poll=watcher.saved)
            hinted = key == "h"
            if key == pager.POLLED:
                session.check()
            elif key == "h":
                session.hint()
            elif key == "q":
                return


def _watch_lines(session: Session, created: bool) -> None:
    """Each verdict printed below the last; a typed `h` or `q` and Enter (screen readers)."""
    console = session.app.console
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:  # a thread, so that waiting for a line does not stop the polling
        for line in sys.stdin:
            lines.put(line)
        lines.put("")  # end of input

    threading.Thread(target=read, daemon=True).start()
    watcher = Watcher(session.path)
    print_trimmed(
        console,
        session.header(),
        view.opened(session.exercise, session.path, created=created),
    )
    session.check()
    while True:
        print_trimmed(console, Text(""), _latest(session))
        console.print(Text(_typed(session), style=S.MUTED))
        while True:
            if watcher.saved():
                console.print(Rule("checking again", style=S.MUTED))
                session.check()
                break
            try:
                line = lines.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if line == "":
                raise Interrupted("end of input")
            typed = line.strip().lower()
            if typed in ("q", "quit"):
                return
            if typed in ("h", "hint"):
                if session.hint():
                    hints = view.hints(session.exercise, session.record.hints)
                    assert hints is not None
                    print_trimmed(console, hints)
                else:
                    console.print(Text("No more hints."))
            console.print(Text(_typed(session), style=S.MUTED))


def _latest(session: Session) -> RenderableType:
    """After a save, line by line: the verdict (and the solution once it passes), not the task."""
    assert session.verdict is not None
    parts: list[RenderableType] = [
        view.verdict_view(session.exercise, session.verdict, session.path, session.command)
    ]
    if session.verdict.passed and session.reference is not None:
        parts += [
            Text(""),
            view.solution(
                session.exercise, session.reference, session.next_exercise, session.command
            ),
        ]
    return Group(*parts)


def _typed(session: Session) -> str:
    left = len(session.exercise.hints) - session.record.hints
    hint = "h and Enter for a hint, " if left > 0 else ""
    return f"Save the file to check it again; type {hint}q and Enter to quit."
