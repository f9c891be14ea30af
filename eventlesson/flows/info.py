"""`lessons` and `progress`: read-only views of where the learner stands, and the reset."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from eventlesson.app import App
from eventlesson.content import lesson_dirs, load_folder, resolve_content_dir
from eventlesson.errors import EventlessonError, Interrupted
from eventlesson.flows.invocation import command_name
from eventlesson.lesson import lesson_status
from eventlesson.models import Lesson
from eventlesson.progress import ExerciseRecord, LessonProgress
from eventlesson.text import clean
from eventlesson.ui import styles as S

ADVICE = "no terminal to confirm on; add --yes to reset without asking"


def done_pages(lesson: Lesson, mine: LessonProgress) -> list[str]:
    """Ids of the pages marked done that the lesson still has (an edited lesson may drop some)."""
    known = {s.id for s in lesson.sections}
    return [d for d in mine.done if d in known]


def when(stamp: str) -> str:
    """An ISO 8601 time as the learner reads it: local time, to the minute; other text as is."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:  # ours are UTC; a naive one is shown as written
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


NARROW = 60  # below this many columns the lessons are listed as lines, not as a table


def show_lessons(app: App) -> int:
    root = resolve_content_dir(app.content_dir)
    rows = []
    for folder in lesson_dirs(root):
        lesson = load_folder(folder, root)
        mine = app.progress.lessons.get(lesson.id, LessonProgress())
        done = len(set(done_pages(lesson, mine)))
        rows.append(
            (
                lesson,
                lesson_status(lesson, mine),
                f"{done}/{len(lesson.sections)}",
                passing_count(lesson, mine.exercises),
            )
        )
    console = app.console
    if console.width >= NARROW:
        table = Table(title="Lessons", title_justify="left", show_lines=False)
        table.add_column("Id", no_wrap=True)
        table.add_column("Title", overflow="fold")
        table.add_column("Status", no_wrap=True)
        table.add_column("Pages", justify="right", no_wrap=True)
        table.add_column("Exercises", justify="right", no_wrap=True)
        for lesson, status, pages, exercises in rows:
            passing = f"{exercises} passing" if lesson.exercises else exercises
            table.add_row(lesson.id, Text(lesson.title), status, pages, passing)
        console.print(table)
    else:  # a table's five columns leave a narrow terminal no room for the title
        console.print(Text("Lessons", style=S.TITLE))
        for lesson, status, pages, exercises in rows:
            about = f"{status} · {pages} pages"
            if lesson.exercises:
                about += f" · {exercises} exercises passing"
            console.print(Text(lesson.id, style=S.KEY))
            console.print(
                Padding(
                    Group(Text(lesson.title), Text(about, style=S.MUTED)),
                    (0, 0, 0, 2),
                    expand=False,
                )
            )
    console.print(Text(f"Start one with: {command_name()} learn ID", style=S.MUTED))
    return 0


def show_progress(app: App, lesson_id: str | None) -> int:
    lesson = app.lesson(lesson_id)
    mine = app.progress.lessons.get(lesson.id, LessonProgress())
    console = app.console
    console.print(Text(lesson.title, style=S.TITLE))
    status = lesson_status(lesson, mine)
    done = done_pages(lesson, mine)
    console.print(
        f"Lesson: {status}, {len(done)} of {len(lesson.sections)} pages done.", markup=False
    )
    if mine.current in {s.id for s in lesson.sections} and status != "finished":
        console.print(f"Next time you start at: {lesson.section_title(mine.current)}", markup=False)
    if mine.checks:
        right = sum(r.correct for r in mine.checks.values())
        console.print(
            f"Practice checks: {right} of {len(mine.checks)} answered right.", markup=False
        )
    if mine.updated_at:
        console.print(f"Last active: {when(mine.updated_at)}", markup=False, style=S.MUTED)
    if mine.quiz:
        console.print(_quiz_records(mine, narrow=console.width < NARROW))
    else:
        console.print(f"Quiz: not taken yet ({command_name()} quiz).", markup=False)
    if lesson.exercises:
        console.print(exercise_states(lesson, mine.exercises))
    console.print(Text(f"Progress file: {clean(str(app.store.path))}", style=S.MUTED))
    return 0


def _quiz_records(mine: LessonProgress, *, narrow: bool) -> RenderableType:
    """Each quiz set's attempts, best and last score and when: a table, or on a narrow
    terminal (where five columns would break every word) one line of facts per set."""
    rows: list[tuple[str, str, str, str, str]] = []
    for name, record in sorted(mine.quiz.items()):
        if record.attempts:
            best, last = f"{record.best}/{record.total}", f"{record.last}/{record.total}"
            rows.append((name, str(record.attempts), best, last, when(record.at)))
        else:  # started but never finished: no score to show yet
            rows.append((name, "0", "-", "-", f"{len(record.answers)} answered, not finished"))
    if narrow:
        lines: list[RenderableType] = [Text("Quiz", style=S.TITLE)]
        for name, attempts, best, last, at in rows:
            tried = "attempt" if attempts == "1" else "attempts"
            facts = f"{attempts} {tried} · best {best} · last {last} · {at}"
            lines += [Text(name, style=S.KEY), Padding(Text(facts), (0, 0, 0, 2), expand=False)]
        return Group(*lines)
    table = Table(title="Quiz", title_justify="left")
    for column in ("Set", "Attempts", "Best", "Last", "When"):
        table.add_column(column, overflow="fold")
    for name, attempts, best, last, at in rows:
        table.add_row(Text(name), attempts, best, last, at)  # a name from the file: not markup
    return table


def passing_count(lesson: Lesson, records: Mapping[str, ExerciseRecord]) -> str:
    """How many of the lesson's exercises pass, as "1/3" ("-" for a lesson without any)."""
    if not lesson.exercises:
        return "-"
    passing = sum(1 for e in lesson.exercises if (r := records.get(e.id)) and r.passing)
    return f"{passing}/{len(lesson.exercises)}"


def exercise_states(lesson: Lesson, records: Mapping[str, ExerciseRecord]) -> RenderableType:
    """Each exercise of the lesson with its state (not started, failing, passing, as `exercise`
    lists them), then how many checks and hints, and when it first passed."""
    from eventlesson.ui.render_exercise import state_words

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)  # ids are short: kept whole
    grid.add_column()  # wraps at words when it must
    for exercise in lesson.exercises:
        record = records.get(exercise.id)
        words, style = state_words(record)
        state = Text(words, style=style)
        if record is not None and record.checks:
            details = [f"{record.checks} check" + ("s" if record.checks != 1 else "")]
            if record.hints:
                details.append(f"{record.hints} of {len(exercise.hints)} hints")
            if record.passing and record.passed_at:
                details.append(f"first passed {when(record.passed_at)}")
            state.append(" · " + " · ".join(details), style=S.MUTED)
        grid.add_row(Text(exercise.id, style=S.KEY), state)
    head = Text(f"Exercises: {passing_count(lesson, records)} passing", style=S.STRONG)
    return Group(head, Padding(grid, (0, 0, 0, 2), expand=False))


def reset_progress(app: App, *, yes: bool, lesson_id: str | None = None) -> int:
    """Forget one lesson (when named) or everything, after a confirmation unless `yes`."""
    lesson = app.lesson(lesson_id).id if lesson_id is not None else None  # unknown id: exit 2
    if not yes:
        prompter = app.prompter(ADVICE)
        question = (
            f"Forget your progress in {lesson} (pages, checks and quiz)?"
            if lesson
            else "Forget all your progress in every lesson and quiz?"
        )
        try:
            sure = prompter.confirm(question, default=False)
        except (Interrupted, KeyboardInterrupt):  # nothing forgotten: the goodbye, not an error
            return app.goodbye()
        if not sure:
            app.console.print("Nothing was changed.")
            return 0
    try:
        forgot = app.store.reset(lesson)
    except OSError as exc:
        raise EventlessonError(
            f"cannot clear progress at {app.store.path}: {exc.strerror or exc}"
        ) from None
    app.flush_warnings()  # a damaged file met on the way was backed up: say so
    where = f" in {lesson}" if lesson else ""
    app.console.print(
        f"Progress{where} cleared." if forgot else f"There was no progress{where} to clear.",
        markup=False,
    )
    return 0
