"""Predict, watch, explain: ask a prediction, play its scenario, compare the answer with the run.

Used by the guided lesson (a page's prediction) and by `eventlesson simulate SCENARIO --predict`.
Flow layer: it asks through the prompter, plays through `flows.simulate.play_inline` (the live view
with its controls) and saves the answer in progress like a check's. What a run showed comes from
the simulation's own read-out; `eventlesson.predict` turns it into the facts of each outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlesson.errors import NotInteractiveError, UsageError
from eventlesson.models import Lesson, PredictCheck, Question
from eventlesson.predict import Measured, covers, statements
from eventlesson.progress import CheckResult, now_iso

if TYPE_CHECKING:
    from rich.console import RenderableType

    from eventlesson.app import App
    from eventlesson.quiz import Result
    from eventlesson.sim.simulation import Simulation

# The run comes before the comparison (in the lesson and under `simulate --predict` alike): its
# keys and final screen lead there, not back to a page.
SKIP = "see the result"  # q: the rest of the run plays unwatched, and is compared whole
THEN = "see how your prediction did"
ADVICE = "--predict asks a question first: run it in a terminal (without --json, --fast or --plain)"


def predictions(lesson: Lesson) -> list[PredictCheck]:
    """The lesson's predictions, in authored order."""
    return [c for c in lesson.checks if isinstance(c, PredictCheck)]


def prediction_for(lesson: Lesson, scenario: str) -> PredictCheck:
    """The lesson's (first) prediction about `scenario`; a UsageError naming those there are."""
    found = [c for c in predictions(lesson) if c.scenario == scenario]
    if found:
        return found[0]
    have = ", ".join(dict.fromkeys(c.scenario for c in predictions(lesson))) or "none"
    raise UsageError(f"the lesson has no prediction about {scenario!r}; scenarios with one: {have}")


def watch(app: App, scenario: str, speed: float | None = None) -> tuple[Measured | None, bool]:
    """Play `scenario` inline; (what the run measured, whether the view was left already).

    A run left early with `q` is finished without the view, so the comparison covers all of it;
    a Ctrl-C that arrives as a signal leaves nothing to compare (None).
    """
    from eventlesson.flows.simulate import play_inline

    measured: list[Measured] = []

    def keep(sim: Simulation) -> None:
        if not sim.done:
            sim.run()  # the learner left the view: the rest runs unwatched
        measured.append(Measured.of(sim))

    pace = app.env.sim_speed if speed is None else speed
    left = play_inline(app.console, scenario, pace, on_end=keep, leave=SKIP, then=THEN)
    return (measured[0] if measured else None), left


def facts(question: Question, chosen: int, measured: Measured) -> list[str]:
    """What the run showed about the right answer's claim and about the learner's, if it speaks
    of something else: statements from the read-out (a wrong claim's show it did not hold)."""
    said: list[str] = []
    spoken: set[str] = set()
    for index in dict.fromkeys((question.answer, chosen)):
        outcome = getattr(question.options[index], "outcome", "")
        if outcome and not covers(outcome) <= spoken:  # else the right answer's said it all
            said += statements(outcome, measured)
            spoken |= covers(outcome)
    return said


def record(app: App, lesson: Lesson, question: Question, chosen: int) -> CheckResult:
    """Keep a prediction in progress exactly as a check's answer is kept, and save at once."""
    progress = app.progress.lesson(lesson.id)
    result = CheckResult(chosen=chosen, correct=question.is_correct(chosen), at=now_iso())
    progress.checks[question.id] = result
    progress.touch()
    app.save()
    return result


def run_predict(app: App, scenario: str, speed: float | None = None) -> int:
    """`simulate SCENARIO --predict`: the lesson's question first, then the run, then how it went."""
    from eventlesson.flows.ask import ask
    from eventlesson.quiz import grade, show
    from eventlesson.ui import render_lesson as view

    lesson = app.lesson(None)
    check = prediction_for(lesson, scenario)
    if not app.interactive:
        raise NotInteractiveError(ADVICE)
    prompter = app.prompter(ADVICE)
    question = check.questions[0]
    console = app.console
    console.print(view.md(check.intro))
    shown = show(question)  # authored order, as in the lesson
    result = grade(shown, ask(app, prompter, shown, number=1, total=1))
    record(app, lesson, question, result.chosen)
    measured, _ = watch(app, scenario, speed)
    console.print()
    console.print(comparison(result, measured, plain=app.dumb))
    return 0


def comparison(result: Result, measured: Measured | None, *, plain: bool = False) -> RenderableType:
    """The prediction next to what the run showed, then the explanations."""
    from eventlesson.ui import render_lesson as view

    shown = facts(result.question, result.chosen, measured) if measured is not None else []
    return view.prediction_result(result, shown, left_early=measured is None, plain=plain)
