"""The quiz's rules: which questions, in what option order, how answers are read, graded and kept.

Core module: standard library only (no rich, questionary or typer). It knows nothing of
terminals: the flow asks, this module decides what to ask next and what an answer means.

Letters come in two orders. *Authored* letters follow the options as written in quiz.toml; they
are what `--answers`, `--json` and progress use. *Display* letters follow the order a learner was
shown after shuffling; a `Shown` question maps one to the other.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import field
from typing import Any

from eventlesson.errors import UsageError
from eventlesson.models import QUESTION_SETS, Lesson, Option, Question, letter
from eventlesson.progress import QuizRecord, now_iso
from eventlesson.records import record
from eventlesson.schema import LETTERS
from eventlesson.text import quoted

ALL = "all"
SET_CHOICES = (*QUESTION_SETS, ALL)  # what --set accepts
DEFAULT_SET = "knowledge-check"


# -- choosing questions -----------------------------------------------------------------------


def check_set(name: str) -> str:
    """The set name, normalised; a `UsageError` for an unknown one."""
    wanted = name.strip().lower()
    if wanted not in SET_CHOICES:
        raise UsageError(
            f"unknown question set {quoted(name)}; use one of: {', '.join(SET_CHOICES)}"
        )
    return wanted


def questions_for(lesson: Lesson, set_name: str) -> tuple[Question, ...]:
    """The questions of a set, in authored order; a `UsageError` when the set is empty."""
    questions = lesson.quiz_questions(check_set(set_name))
    if not questions:
        raise UsageError(
            f"lesson {quoted(lesson.id)} has no quiz questions in the {quoted(set_name)} set"
        )
    return questions


def example_answers(count: int) -> str:
    """A sample answers string of the right length ("A,B,C"), for messages."""
    return ",".join(letter(i % 3) for i in range(count))


def parse_answers(raw: str, questions: Sequence[Question]) -> list[int]:
    """Read answers given as text ("A,c,B": authored letters, one per question) into indices.

    A `UsageError` says what is wrong without naming any option: the caller adds where the text
    came from (e.g. "--answers: ").
    """
    items = [part.strip() for part in raw.split(",")] if raw.strip() else []
    if len(items) != len(questions):
        count = len(questions)
        raise UsageError(
            f"expected {count} {'letter' if count == 1 else 'letters'}, got {len(items)}: "
            f"one per question, comma-separated (e.g. {example_answers(count)})"
        )
    chosen = []
    for number, (item, question) in enumerate(zip(items, questions, strict=True), start=1):
        last = letter(len(question.options) - 1)
        upper = item.upper()
        index = LETTERS.find(upper) if len(upper) == 1 else -1
        if index < 0:
            shown = quoted(item) if item else "nothing"
            raise UsageError(f"answer {number} is {shown}, not a letter (A-{last})")
        if index >= len(question.options):
            raise UsageError(
                f"answer {number} is {quoted(upper)}, but question {number} "
                f"({question.id}) has options A-{last}"
            )
        chosen.append(index)
    return chosen


# -- showing and grading ----------------------------------------------------------------------


@record
class Shown:
    """One question as the learner sees it: its options in display order."""

    question: Question
    order: tuple[int, ...]  # order[display index] = authored index

    @property
    def options(self) -> tuple[Option, ...]:
        """The options in display order."""
        return tuple(self.question.options[i] for i in self.order)

    @property
    def choices(self) -> tuple[str, ...]:
        """The option texts in display order, as the prompt lists them."""
        return tuple(option.text for option in self.options)

    def authored(self, display_index: int) -> int:
        """The authored index of the option shown at `display_index`."""
        return self.order[display_index]

    def display(self, authored_index: int) -> int:
        """Where the option with `authored_index` is shown."""
        return self.order.index(authored_index)

    def display_letter(self, authored_index: int) -> str:
        """The letter the learner saw next to the option with `authored_index`."""
        return letter(self.display(authored_index))


def show(question: Question, rng: random.Random | None = None) -> Shown:
    """Present a question: options shuffled by `rng`, or in authored order without one."""
    order = list(range(len(question.options)))
    if rng is not None:
        rng.shuffle(order)
    return Shown(question, tuple(order))


@record
class Result:
    """The learner's answer to one question, graded."""

    shown: Shown  # the question and the option order it was asked in
    chosen: int  # authored index of the option picked

    @property
    def question(self) -> Question:
        return self.shown.question

    @property
    def is_correct(self) -> bool:
        return self.question.is_correct(self.chosen)

    @property
    def chosen_option(self) -> Option:
        return self.question.options[self.chosen]

    @property
    def correct_option(self) -> Option:
        return self.question.options[self.question.answer]

    @property
    def chosen_letter(self) -> str:
        """Authored-order letter of the option picked."""
        return letter(self.chosen)

    @property
    def correct_letter(self) -> str:
        """Authored-order letter of the right option."""
        return self.question.answer_letter

    @property
    def explanation(self) -> str:
        """The explanation of the option picked."""
        return self.chosen_option.explanation

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.question.id,
            "prompt": self.question.prompt,
            "chosen": self.chosen_letter,
            "correct": self.correct_letter,
            "is_correct": self.is_correct,
            "explanation": self.explanation,
        }


def grade(shown: Shown, display_index: int) -> Result:
    """Grade the option picked at `display_index` of a shown question."""
    if not 0 <= display_index < len(shown.order):
        raise ValueError(f"no option at display index {display_index}")
    return Result(shown, shown.authored(display_index))


@record
class Run:
    """One pass over a list of questions: the whole set, or a retry of the missed ones."""

    lesson: str  # lesson id
    set: str  # set name as asked: knowledge-check, practice or all
    results: tuple[Result, ...]  # in the order asked

    @property
    def score(self) -> int:
        return sum(1 for r in self.results if r.is_correct)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def missed(self) -> tuple[Question, ...]:
        return tuple(r.question for r in self.results if not r.is_correct)

    def to_json(self) -> dict[str, Any]:
        """The `--json` document."""
        return {
            "lesson": self.lesson,
            "set": self.set,
            "score": self.score,
            "total": self.total,
            "questions": [r.to_json() for r in self.results],
        }


def grade_answers(
    lesson_id: str, set_name: str, questions: Sequence[Question], chosen: Sequence[int]
) -> Run:
    """Grade authored-order answers (from `--answers`) as one run, options unshuffled."""
    return Run(
        lesson_id,
        set_name,
        tuple(Result(show(q), c) for q, c in zip(questions, chosen, strict=True)),
    )


# -- the interactive session ------------------------------------------------------------------


@record(frozen=False)
class Session:
    """The first pass over a set, then retries of whatever is still missed.

    The flow calls `start_round()`, asks each `Shown` in turn and passes the pick to `answer()`,
    then `end_round()`; `to_retry` says what another round would ask. One seeded generator serves
    every round, so a seed reproduces the first pass and every retry (given the same answers).
    """

    lesson: str
    set: str
    questions: tuple[Question, ...]
    seed: int | None = None  # None: a different order every time
    shuffle: bool = True  # False: authored order, every round
    rounds: list[list[Result]] = field(default_factory=list)  # answers so far, one list a round
    _pending: tuple[Question, ...] = field(init=False)  # set from `questions`, then each round
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._pending = tuple(self.questions)

    @property
    def round_number(self) -> int:
        """1 for the first pass, 2 for the first retry, and so on (0 before starting)."""
        return len(self.rounds)

    @property
    def is_retry(self) -> bool:
        return self.round_number > 1

    @property
    def to_retry(self) -> tuple[Question, ...]:
        """The questions the next round would ask: those missed in the latest round."""
        return self._pending

    @property
    def all_right(self) -> bool:
        """Every question has been answered right at least once (by the end of the latest round)."""
        return bool(self.rounds) and not self._pending

    def start_round(self) -> list[Shown]:
        """Begin a round over the pending questions, each with a fresh option order."""
        if not self._pending:
            raise ValueError("nothing left to ask")
        self.rounds.append([])
        rng = self._rng if self.shuffle else None
        return [show(q, rng) for q in self._pending]

    def answer(self, shown: Shown, display_index: int) -> Result:
        """Record the pick for one question of the current round."""
        if not self.rounds:
            raise ValueError("start a round first")
        result = grade(shown, display_index)
        self.rounds[-1].append(result)
        return result

    def end_round(self) -> Run:
        """Close the current round; what it missed becomes the next round's questions."""
        run = self.run(self.round_number)
        self._pending = run.missed
        return run

    def run(self, number: int = 1) -> Run:
        """The results of a round as a `Run` (1: the first pass, the one that is scored)."""
        return Run(self.lesson, self.set, tuple(self.rounds[number - 1]))


# -- progress ---------------------------------------------------------------------------------


def record_answer(record: QuizRecord, result: Result, *, total: int, first: bool) -> None:
    """Keep one first-pass answer at once, so an interrupted run still leaves it in progress.

    `first` marks the first answer of a new run: the previous run's answers and misses are
    replaced. attempts, best and last change only when a run is complete (`record_run`).
    """
    if first:
        record.answers = {}
        record.missed = []
        record.total = total
    qid = result.question.id
    record.answers[qid] = result.chosen
    if result.is_correct:
        if qid in record.missed:
            record.missed.remove(qid)
    elif qid not in record.missed:
        record.missed.append(qid)


def record_run(record: QuizRecord, run: Run, *, at: str | None = None) -> None:
    """A completed first pass: count the attempt and keep its score, misses and answers."""
    record.attempts += 1
    record.last = run.score
    record.best = max(record.best, run.score)
    record.total = run.total
    record.at = at or now_iso()
    record.missed = [q.id for q in run.missed]
    record.answers = {r.question.id: r.chosen for r in run.results}
