"""Pure render functions for the exercises: the list, a check's verdict, hints, the solution.

Nothing here prints, waits or reads a key. Text from the learner's code (messages, tracebacks,
what it printed) and from paths arrives cleaned (`text.clean`) and is shown as `Text`, never as
rich markup; content prose goes through `ui.prose`.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from eventlesson import NAME
from eventlesson.exercise.judge import OUTBOX_DRAINED, PURCHASES_RECORDED, RUN_FINISHES
from eventlesson.exercise.verdict import ERROR, PASSING, Failure, Problem, Verdict
from eventlesson.models import CodeBlock, Exercise, ExerciseBlock, Lesson
from eventlesson.progress import ExerciseRecord
from eventlesson.text import clean
from eventlesson.ui import styles as S
from eventlesson.ui.prose import inline, prose
from eventlesson.ui.render_lesson import code as code_block
from eventlesson.ui.render_sim import invariant_words

COMMAND = NAME  # how commands are named when the caller does not say
OWN_WORDS = {
    PURCHASES_RECORDED: "every purchase committed, or refused by the store",
    OUTBOX_DRAINED: "every outbox row marked published by the end",
    RUN_FINISHES: "the run came to an end",
}
HEADLINES = {  # a broken check, as the headline of a failing verdict
    "no_ghost_events": "ghost events",
    "publish_only_after_commit": "an event published before its commit",
    "no_lost_events": "lost events",
    "confirmed_at_commit": "a learner not confirmed at the commit",
    "every_event_handled": "an event never handled",
    "lags_drained": "a consumer left behind",
    PURCHASES_RECORDED: "purchases never committed",
    OUTBOX_DRAINED: "outbox rows never marked published",
    RUN_FINISHES: "a run that never ends",
}
PROBLEMS = {  # what stopped a check, as the headline of an error verdict
    "syntax": "Your file is not valid Python",
    "exception": "Your code raised an error",
    "misuse": "Your code called the API in a way it does not allow",
    "timeout": "Your code did not finish",
    "missing": "Your file is missing a function",
    "signature": "A function takes the wrong arguments",
    "unreadable": "Your file cannot be read",
    "crashed": "The check stopped",
}


def check_words(name: str) -> str:
    """What a check says, in words."""
    return OWN_WORDS.get(name) or invariant_words(name)


def headline(name: str) -> str:
    prefix, _, consumer = name.partition(".")
    if prefix == "no_effect_applied_twice" and consumer:
        return f"{consumer} applied an effect twice"
    return HEADLINES.get(name, name.replace("_", " "))


def state_words(record: ExerciseRecord | None) -> tuple[str, str]:
    """The state of an exercise, in words and its style."""
    if record is None or not record.checks:
        return "not started", S.MUTED
    if record.passing:
        return "passing", S.GOOD
    return "failing", S.BAD


def shown_path(path: Path) -> str:
    return clean(str(path))


def replay_command(failure: Failure, path: Path, command: str = COMMAND) -> str:
    """The command that replays the failing run with the learner's file in place."""
    from eventlesson.exercise.judge import replay_args

    args = ["simulate", *replay_args(failure), "--with", str(path)]
    return clean(f"{command} {shlex.join(args)}")


def pages_of(lesson: Lesson) -> dict[str, str]:
    """Each exercise's page: the title of the first page that points to it."""
    found: dict[str, str] = {}
    for section in lesson.sections:
        for block in section.blocks:
            if isinstance(block, ExerciseBlock):
                found.setdefault(block.exercise, section.title)
    return found


# -- the list ------------------------------------------------------------------------------------


def exercise_list(
    lesson: Lesson,
    records: Mapping[str, ExerciseRecord],
    folder: Path,
    command: str = COMMAND,
) -> RenderableType:
    """Every exercise of the lesson with its state, and what to run next."""
    grid = Table(show_header=True, header_style=S.STRONG, box=None, pad_edge=False, expand=False)
    grid.add_column("#", justify="right", no_wrap=True)
    grid.add_column("Exercise", overflow="fold", ratio=1)
    grid.add_column("State", no_wrap=True)
    pages = pages_of(lesson)
    for number, exercise in enumerate(lesson.exercises, 1):
        words, style = state_words(records.get(exercise.id))
        about = Text()
        about.append(exercise.id, style=S.KEY)
        about.append(f"  {exercise.title}\n", style=S.STRONG)
        about.append_text(inline(exercise.summary))
        if exercise.id in pages:
            about.append(f"\nTaught on: {pages[exercise.id]}", style=S.MUTED)
        grid.add_row(str(number), about, Text(words, style=style))
    parts: list[RenderableType] = [
        Text(f"Exercises · {lesson.title}", style=S.TITLE),
        Text(""),
        grid,
        Text(""),
    ]
    upcoming = next(
        (e for e in lesson.exercises if not (records.get(e.id) and records[e.id].passing)), None
    )
    nxt = Text()
    if upcoming is not None:
        nxt.append("Next: ", style=S.STRONG)
        nxt.append(f"{command} exercise {upcoming.id}", style=S.KEY)
        nxt.append(" writes your file (or opens it again) and checks every save.")
    else:
        nxt.append("Every exercise passes. ", style=S.GOOD)
        nxt.append("Replay any of them with ")
        nxt.append(f"{command} exercise NAME", style=S.KEY)
        nxt.append(".")
    parts.append(nxt)
    parts.append(Text(f"Your files are kept in {shown_path(folder)}", style=S.MUTED))
    return Group(*parts)


# -- one exercise ----------------------------------------------------------------------------------


def header(
    exercise: Exercise, number: int, total: int, path: Path, record: ExerciseRecord | None
) -> RenderableType:
    """The exercise's title, its state, and the learner's file."""
    words, style = state_words(record)
    grid = Table.grid(expand=True)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_column(justify="right", no_wrap=True)
    grid.add_row(
        Text(f"Exercise {number}/{total} · {exercise.title}", style=S.TITLE),
        Text(words, style=style),
    )
    where = Text("Your file: ", style=S.MUTED)
    where.append(shown_path(path), style=S.KEY)
    return Group(grid, where)


def opened(exercise: Exercise, path: Path, *, created: bool) -> RenderableType:
    """What to do: the task, and where the file is (printed once, when the exercise opens)."""
    how = Text()
    how.append("Wrote the starting file. " if created else "Your file from last time is kept. ")
    how.append("Open it in your editor and save it: each save runs the checks again.")
    return Group(prose(exercise.task), Text(""), how)


def task(exercise: Exercise) -> RenderableType:
    return Panel(
        prose(exercise.task),
        title=Text("What to do", style=S.STRONG),
        title_align="left",
        border_style=S.ACCENT,
    )


def checks_list(exercise: Exercise, verdict: Verdict) -> RenderableType:
    """Each check of the exercise: held in every run, or broken in how many."""
    broken = {tally.check: tally.broken for tally in verdict.checks}
    lines = []
    for name in (*exercise.holds, RUN_FINISHES):
        count = broken.get(name, 0)
        if name == RUN_FINISHES and not count:
            continue
        line = Text("  ")
        if count:
            line.append("✗ ", style=S.BAD)
            line.append(check_words(name))
            line.append(f"  broken in {count} of {verdict.runs} runs", style=S.MUTED)
        else:
            line.append("✓ ", style=S.GOOD)
            line.append(check_words(name))
        lines.append(line)
    return Group(*lines)


def verdict_view(
    exercise: Exercise, verdict: Verdict, path: Path, command: str = COMMAND
) -> RenderableType:
    """A check's outcome: passing, the first failing run with its evidence, or what stopped it."""
    if verdict.status == ERROR and verdict.problem is not None:
        return Group(problem_view(verdict.problem), *_output(verdict))
    runs = _runs(verdict)
    if verdict.status == PASSING:
        head = Text("✓ Passing: ", style=S.GOOD)
        head.append(f"every check held in all {runs}.", style="")
        return Group(head, checks_list(exercise, verdict), *_output(verdict))
    failure = verdict.failure
    assert failure is not None
    head = Text("✗ Failing: ", style=S.BAD)
    head.append(headline(failure.check), style=S.STRONG)
    where = Text(  # the verdict's text is cleaned when it is read; here again, whatever made it
        f"{verdict.failed_runs} of {verdict.runs} runs broke a check. The first: "
        f"{failure.scenario}, seed {failure.seed} (a run of {failure.purchases} purchases)"
        + (f", at purchase P{failure.purchase_id}." if failure.purchase_id else ".")
    )
    parts: list[RenderableType] = [head, where, Text(""), Text(clean(failure.what))]
    if failure.trace:
        parts.append(Text(""))
        parts.append(Text(f"The trace of P{failure.purchase_id}:", style=S.MUTED))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(justify="right", no_wrap=True, style=S.MUTED)
        grid.add_column(overflow="fold")
        for line in failure.trace:
            grid.add_row(clean(f"{line.t}s"), Text(clean(line.text)))
        if failure.more:
            grid.add_row("", Text(f"… and {failure.more} more", style=S.MUTED))
        parts.append(Padding(grid, (0, 0, 0, 2)))
    parts.append(Text(""))
    parts.append(Text("Replay it in the simulation:", style=S.STRONG))
    # one line however long, so that it can be copied whole (the terminal wraps it, not us)
    replay = Text("  ")
    replay.append(replay_command(failure, path, command), style=S.KEY)
    replay.no_wrap, replay.overflow = True, "ignore"
    parts.append(replay)
    parts.append(Text(""))
    parts.append(checks_list(exercise, verdict))
    parts.extend(_output(verdict))
    return Group(*parts)


def _runs(verdict: Verdict) -> str:
    seeds = f"seeds 1-{verdict.seeds}" if verdict.seeds > 1 else "seed 1"
    return f"{verdict.runs} runs ({', '.join(verdict.scenarios)}; {seeds})"


def problem_view(problem: Problem) -> RenderableType:
    """What stopped the check: one line, then the learner's own frames (never ours)."""
    head = Text("✗ ", style=S.BAD)
    head.append(PROBLEMS.get(problem.kind, "The check could not run"), style=S.STRONG)
    parts: list[RenderableType] = [head, Text(clean(problem.message))]
    if problem.traceback:
        parts.append(Padding(Text(clean(problem.traceback), style=S.MUTED), (0, 0, 0, 2)))
    return Group(*parts)


def _output(verdict: Verdict) -> list[RenderableType]:
    return printed_output(verdict.output, verdict.output_lines)


def printed_output(lines: Sequence[str], count: int) -> list[RenderableType]:
    """What the learner's code printed: the first `lines` of `count` in all (none: nothing)."""
    if not count:
        return []
    more = count - len(lines)
    title = f"Your code printed {count} line" + ("s" if count != 1 else "")
    body = Text(clean("\n".join(lines)))
    if more:
        body.append(f"\n… and {more} more", style=S.MUTED)
    return [Text(""), Text(title + (", the first:" if more else ":"), style=S.MUTED), body]


def hint_lines(exercise: Exercise, shown: int) -> list[Text]:
    """The hints asked for so far, numbered, one `Text` each."""
    lines = []
    for number, hint in enumerate(exercise.hints[: max(shown, 0)], 1):
        line = Text(f"Hint {number} of {len(exercise.hints)}: ", style=S.ACCENT)
        line.append_text(inline(hint))
        lines.append(line)
    return lines


def hints(exercise: Exercise, shown: int) -> RenderableType | None:
    """The hints asked for so far, numbered; None before the first."""
    lines = hint_lines(exercise, shown)
    return Group(*lines) if lines else None


def solution(
    exercise: Exercise, reference: str, nxt: Exercise | None, command: str = COMMAND
) -> RenderableType:
    """After a pass: the reference solution, why it works, and what comes next."""
    parts: list[RenderableType] = [
        Text("Reference solution", style=S.TITLE),
        code_block(CodeBlock(code=clean(reference), language="python")),
        Text(""),
        Text("Why it works", style=S.TITLE),
        prose(exercise.explanation),
        Text(""),
    ]
    after = Text()
    if nxt is not None:
        after.append("Next: ", style=S.STRONG)
        after.append(f"{command} exercise {nxt.id}", style=S.KEY)
        after.append(f" ({nxt.title}).")
    else:
        after.append("That was the last exercise. ", style=S.GOOD)
        after.append("See them all with ")
        after.append(f"{command} exercise", style=S.KEY)
        after.append(".")
    parts.append(after)
    return Group(*parts)


@dataclass(frozen=True)
class Body:
    """The watch screen's body, in parts: the verdict, the hints so far, the solution after a
    pass, the task. `newest_hint` is the index of the last hint shown among `parts` (-1: none).
    Rich renders it as its parts, one after the other."""

    parts: tuple[RenderableType, ...]
    newest_hint: int = -1

    def __rich__(self) -> Group:
        return Group(*self.parts)

    def up_to_newest_hint(self) -> tuple[RenderableType, RenderableType] | None:
        """What comes before the newest hint, and that hint (the screen scrolls to it)."""
        if self.newest_hint < 0:
            return None
        return Group(*self.parts[: self.newest_hint]), self.parts[self.newest_hint]


def body(
    exercise: Exercise,
    verdict: Verdict | None,
    path: Path,
    *,
    hints_shown: int,
    reference: str | None,
    nxt: Exercise | None,
    command: str = COMMAND,
    task_first: bool = False,
) -> Body:
    """The watch screen's body: the verdict, the hints so far, the solution after a pass, the task.

    `task_first`: when the exercise has just opened, what to do comes before the first verdict.
    """
    parts: list[RenderableType] = [task(exercise), Text("")] if task_first else []
    if verdict is not None:
        parts += [verdict_view(exercise, verdict, path, command), Text("")]
    newest = -1
    shown = hint_lines(exercise, hints_shown)
    if shown:
        parts += shown
        newest = len(parts) - 1
        parts.append(Text(""))
    if verdict is not None and verdict.passed and reference is not None:
        parts += [solution(exercise, reference, nxt, command), Text("")]
    if not task_first:
        parts.append(task(exercise))
    return Body(tuple(parts), newest)


def keys(exercise: Exercise, hints_shown: int) -> Sequence[tuple[str, str]]:
    """The watch screen's keys."""
    left = len(exercise.hints) - hints_shown
    hint = f"hint ({hints_shown + 1} of {len(exercise.hints)})" if left > 0 else "no more hints"
    return [("h", hint), ("q", "quit")]


SAVE_NOTE = "Save the file to check again"
