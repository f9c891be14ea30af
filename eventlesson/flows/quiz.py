"""The quiz as the learner meets it: ask, explain, score, offer retries; or answer from a script.

This is the only quiz module that waits for the learner. The rules (shuffling, grading, what
to retry, what progress keeps) live in `eventlesson.quiz`; the pictures in
`eventlesson.ui.render_quiz`. It reaches the terminal only through the `App` (consoles, prompter,
progress); it must not import typer.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

from eventlesson.errors import Interrupted, NotInteractiveError, UsageError
from eventlesson.flows.ask import ask
from eventlesson.models import Lesson, Question
from eventlesson.progress import QuizRecord
from eventlesson.quiz import (
    Run,
    Session,
    example_answers,
    grade_answers,
    parse_answers,
    questions_for,
    record_answer,
    record_run,
)

if TYPE_CHECKING:
    from rich.console import RenderableType

    from eventlesson.app import App
    from eventlesson.quiz import Shown
    from eventlesson.ui.prompts import Prompter


def _views() -> ModuleType:
    """The quiz's render functions, imported on first use so `--json` never loads rich."""
    from eventlesson.ui import render_quiz

    return render_quiz


def advice(count: int) -> str:
    """The one line shown when there is nobody to ask."""
    return (
        f"no terminal to ask on; use --answers {example_answers(count)} "
        "(one letter per question; add --json for machine output) or --key"
    )


def run_quiz(
    app: App,
    lesson_id: str | None,
    *,
    set_name: str,
    seed: int | None = None,
    shuffle: bool = True,
    answers: str | None = None,
    as_json: bool = False,
    key: bool = False,
) -> int:
    """Run `eventlesson quiz` once; returns the exit code."""
    lesson = app.lesson(lesson_id)
    questions = questions_for(lesson, set_name)
    if key:
        app.console.print(_views().render_key(lesson, questions, set_name))
        return 0
    if answers is not None:
        return _scripted(app, lesson, set_name, questions, answers, as_json=as_json)
    if not app.interactive:  # before printing anything, so the error is the only output
        raise NotInteractiveError(advice(len(questions)))
    session = Session(lesson.id, set_name, questions, seed=seed, shuffle=shuffle)
    try:
        return _interactive(app, lesson, session)
    except (Interrupted, KeyboardInterrupt):  # between prompts Ctrl-C arrives as a signal
        return app.goodbye()


def _record(app: App, lesson: Lesson, set_name: str) -> QuizRecord:
    return app.progress.lesson(lesson.id).quiz.setdefault(set_name, QuizRecord())


def _scripted(
    app: App,
    lesson: Lesson,
    set_name: str,
    questions: tuple[Question, ...],
    raw: str,
    *,
    as_json: bool,
) -> int:
    try:
        chosen = parse_answers(raw, questions)
    except UsageError as exc:  # the core's message, named after the option it came from
        raise UsageError(f"--answers: {exc}") from None
    run = grade_answers(lesson.id, set_name, questions, chosen)
    record_run(_record(app, lesson, set_name), run)
    app.progress.lesson(lesson.id).touch()
    app.save()  # warnings, if any, go to stderr: stdout stays one JSON object
    if as_json:
        app.emit_json(run.to_json())
        return 0
    for number, result in enumerate(run.results, start=1):
        question = result.question
        app.console.print(_views().render_question(number, run.total, question))
        app.console.print(_views().render_feedback(result, lesson=lesson))
        app.console.print()
    app.console.print(_views().render_score(run, lesson=lesson))
    return 0


def _interactive(app: App, lesson: Lesson, session: Session) -> int:
    prompter = app.prompter(advice(len(session.questions)))
    administer(app, prompter, lesson, session)
    return 0


def administer(
    app: App,
    prompter: Prompter,
    lesson: Lesson,
    session: Session,
    *,
    before: Callable[[], None] | None = None,
    after: Callable[[], None] | None = None,
    leave: bool = False,
) -> Run:
    """Ask a set, explain each answer, score it, offer retries of the missed ones; keep the record.

    The one way a quiz set is administered, by `eventlesson quiz` and inside the guided lesson
    alike, so both save exactly the same record. `before()` runs before each question and before
    the score (the lesson clears its screen there), `after()` after each explanation (the lesson
    waits for a key; it may raise `Left`). With `leave`, Esc or q leaves a question: `Left`
    propagates, and the answers given so far stay saved. Returns the first, scored round.
    """
    record = _record(app, lesson, session.set)
    while True:
        run = _ask_round(app, prompter, lesson, session, record, before, after, leave)
        if session.round_number == 1:
            record_run(record, run)
            app.save()
        if before is not None:
            before()
        views = _views()
        score = views.render_score(
            run,
            retry=session.is_retry,
            lesson=lesson,
            plain=app.dumb,
            rule=before is None,  # `before` gave it a fresh screen, under a header of its own
        )
        app.console.print(score)
        if session.all_right:
            app.console.print(views.render_all_right(session.round_number - 1))
            return session.run(1)
        app.console.print()
        if not prompter.confirm(retry_offer(len(session.to_retry)), default=True):
            return session.run(1)


def _hold_in_view(
    app: App,
    feedback: RenderableType,
    following: Shown | None,
    number: int,
    total: int,
    retry: bool,
    leave: bool,
) -> None:
    """Wait for Enter when the explanation and what comes next (the next question, or the
    score with a line per question) would not fit on the screen together: printed at once,
    the explanation would scroll away before it was read (a short or narrow terminal)."""
    from eventlesson.flows.ask import height
    from eventlesson.ui.terminal import wait_for_enter

    console = app.console
    rows = len(console.render_lines(feedback, console.options, pad=False))
    if following is not None:
        rows += height(app, following, number=number, total=total, retry=retry, leave=leave)
    else:
        rows += 2 * total + 5  # the score's table (a row or two each), its rule and the offer
    if rows > console.height - 1:
        more = following is not None
        wait_for_enter("Press Enter for the next question" if more else "Press Enter for the score")


def retry_offer(count: int) -> str:
    """The question after a round with misses."""
    return "Retry the one you missed?" if count == 1 else f"Retry the {count} you missed?"


def _ask_round(
    app: App,
    prompter: Prompter,
    lesson: Lesson,
    session: Session,
    record: QuizRecord,
    before: Callable[[], None] | None,
    after: Callable[[], None] | None,
    leave: bool,
) -> Run:
    shown_list = session.start_round()
    first_pass = session.round_number == 1
    progress = app.progress.lesson(lesson.id)
    for number, shown in enumerate(shown_list, start=1):
        if before is not None:
            before()
        picked = ask(
            app,
            prompter,
            shown,
            number=number,
            total=len(shown_list),
            retry=not first_pass,
            leave=leave,
        )
        result = session.answer(shown, picked)
        if first_pass:
            record_answer(record, result, total=len(session.questions), first=number == 1)
        progress.touch()
        app.save()  # after every answer: Ctrl-C keeps what was answered
        feedback = _views().render_feedback(result, lesson=lesson)
        app.console.print(feedback)
        if after is not None:
            after()
        elif app.full_screen:  # on the normal screen: what comes next must not push it away
            following = shown_list[number] if number < len(shown_list) else None
            _hold_in_view(
                app, feedback, following, number + 1, len(shown_list), not first_pass, leave
            )
    app.console.print()
    return session.end_round()
