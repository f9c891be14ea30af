"""The typed schema of lesson content: what a course, a lesson, a page and a question are.

Core module: standard library only (no rich, questionary or typer). These dataclasses *are* the
content format: `eventlesson.schema` reads the TOML files into them (field types, `Annotated`
rules and `validate()` say what is allowed) and content/FORMAT.md documents every field. A new
block kind is one `Block` subclass here plus its renderer in ui/render_lesson.py. `@record` is
`@dataclass(frozen=True)`, the same behaviour defined in less start-up time (see `records`).
"""

# No `from __future__ import annotations` here: the field types are built once, at import, so
# `schema.fields_of` reads them as they are instead of re-evaluating annotation strings on every
# start (a few ms of each `quiz` run). A name used before its class is defined is quoted.

from dataclasses import field
from typing import Annotated, ClassVar, Literal, get_args

from eventlesson.records import record
from eventlesson.schema import (
    LETTERS,
    Derived,
    Items,
    Kinds,
    Letter,
    Markdown,
    Max,
    MaxLen,
    Min,
    letter,
)

FORMAT_VERSION = 1  # the content format this code reads; each TOML file states its own

QuestionSet = Literal["knowledge-check", "practice"]  # the sets a quiz question may belong to
QUESTION_SETS: tuple[str, ...] = get_args(QuestionSet)
MAX_OPTIONS = len(LETTERS)  # options are lettered A to Z

Title = Annotated[str, MaxLen(200)]  # a heading or a short label: one line
Id = Annotated[str, MaxLen(100)]  # an id: unique where its table says


@record
class Option:
    """One answer a learner can pick."""

    text: str  # what the learner reads in the list
    explanation: str  # why picking it is right, or which confusion it reflects


Options = Annotated[tuple[Option, ...], Items(2, MAX_OPTIONS, "options")]


def _answer_problems(answer: int, count: int, what: str = "options") -> list[tuple[str, str]]:
    if count and answer >= count:
        return [("answer", f"{letter(answer)!r} is not one of the {what} (A-{letter(count - 1)})")]
    return []


@record
class Question:
    """A single-choice question: a quiz item or one step of an in-lesson check."""

    id: Id  # unique within the lesson (across checks and quiz)
    prompt: str  # the question as the learner reads it
    options: Options  # in authored order; letters A, B, C... follow this order
    answer: Annotated[int, Letter]  # the right option: a letter in the file, its index here
    section: str = ""  # the id of the lesson section it tests
    set: str = "check"  # quiz questions: a QuestionSet; "check" for a check's questions
    kind: Literal["choice", "predict"] = "choice"  # "predict": what happens next in a situation
    context: str = ""  # one line of setting, shown with the prompt (a classify item's context)

    @property
    def answer_letter(self) -> str:
        """The authored-order letter of the correct option."""
        return letter(self.answer)

    def is_correct(self, chosen: int) -> bool:
        """Whether the option at authored index `chosen` is the right one."""
        return chosen == self.answer

    def validate(self) -> list[tuple[str, str]]:
        return _answer_problems(self.answer, len(self.options))


@record
class PredictOption(Option):
    """An answer to a prediction: what it claims the simulation will show."""

    outcome: str = ""  # the measured outcome it claims (a name from eventlesson.predict.OUTCOMES)


def _unnamed_outcome(answer: int, options: tuple[PredictOption, ...]) -> list[tuple[str, str]]:
    """A prediction's right answer (an index in range) must name the outcome a run shows."""
    if options[answer].outcome:
        return []
    return [(f"options[{answer}].outcome", "the right answer must name the outcome a run shows")]


@record
class QuizQuestion(Question):
    """A question of quiz.toml: it names the section it tests and the set it belongs to.

    A "predict" question describes a situation one of the simulation's scenarios plays out: it
    names that `scenario`, and its options the outcomes they claim (as a lesson's prediction
    does; the right one must), so a test can pin its answer to what every run of it measures.
    """

    options: Annotated[tuple[PredictOption, ...], Items(2, MAX_OPTIONS, "options")]
    section: str = field()  # the id of the lesson section it tests (required here)
    set: QuestionSet = field()  # required, so the knowledge check cannot shrink unnoticed
    scenario: str = ""  # a "predict" question: the simulation scenario of its situation

    def validate(self) -> list[tuple[str, str]]:
        found = super().validate()
        if self.kind != "predict":
            if self.scenario:
                found.append(("scenario", 'only a question of kind "predict" names a scenario'))
            found += [
                (f"options[{n}].outcome", 'only a question of kind "predict" names outcomes')
                for n, option in enumerate(self.options)
                if option.outcome
            ]
        elif not self.scenario:
            found.append(("scenario", "a predict question names the scenario it describes"))
        elif not found:
            found += _unnamed_outcome(self.answer, self.options)
        return found


@record
class CheckQuestion(Question):
    """A question of a choice check: its section is the check's; it has no set or kind."""

    section: Annotated[str, Derived] = ""
    set: Annotated[str, Derived] = "check"
    kind: Annotated[Literal["choice", "predict"], Derived] = "choice"
    context: Annotated[str, Derived] = ""


@record(kw_only=True)
class Check(Kinds):
    """An in-lesson practice check: one or more questions asked on a page (a kind below)."""

    family: ClassVar[str] = "check kind"
    default_kind: ClassVar[str | None] = "choice"

    id: Id  # unique within the lesson
    section: str  # the id of the section whose page shows it
    title: Title  # short heading; its page is titled "Practice: " + this
    intro: Annotated[str, Markdown] = ""  # one or two sentences before the first question
    questions: Annotated[tuple[Question, ...], Derived] = ()  # asked in order


@record(kw_only=True)
class ChoiceCheck(Check):
    """A check of ordinary questions."""

    kind: ClassVar[str] = "choice"
    questions: Annotated[tuple[CheckQuestion, ...], Items(1, None, "questions")]


@record
class PredictQuestion(Question):
    """The question of a prediction, asked before its scenario plays."""

    options: Annotated[tuple[PredictOption, ...], Items(2, MAX_OPTIONS, "options")]
    section: Annotated[str, Derived] = ""
    set: Annotated[str, Derived] = "check"
    kind: Annotated[Literal["choice", "predict"], Derived] = "predict"

    def validate(self) -> list[tuple[str, str]]:
        return _answer_problems(self.answer, len(self.options)) or _unnamed_outcome(
            self.answer, self.options
        )


@record(kw_only=True)
class PredictCheck(Check):
    """Predict, then watch: one question answered before a scenario plays, then compared with
    what that run measured (each option may name the outcome it claims; the right one must)."""

    kind: ClassVar[str] = "predict"
    scenario: str  # the simulation played once the question is answered
    questions: Annotated[tuple[PredictQuestion, ...], Items(1, 1, "questions")]


@record
class Choice:
    """One shared choice of a classify check."""

    text: str  # e.g. "Event: this happened"; up to the colon it names the kind
    note: str  # what that kind of message is, in general


@record
class ClassifyItem:
    """One message of a classify check."""

    id: Id  # the question's id
    message: str  # replaces {message} in the check's prompt
    answer: Annotated[int, Letter]  # the right choice
    why: str  # why the message is that kind
    context: str = ""  # who sends it to whom, when the name alone is ambiguous
    wrong: dict[str, str] = field(default_factory=dict)  # letter -> why that tempting pick is wrong


@record(kw_only=True)
class ClassifyCheck(Check):
    """The same question of several messages, with shared choices.

    Each item becomes one question: the right choice is explained by the item's `why`, each
    wrong one by "Not a <kind>." and the item's rebuttal for that letter (`wrong`), else that
    choice's `note`.
    """

    kind: ClassVar[str] = "classify"
    prompt: str  # the question, with {message} where each item's message goes
    choices: Annotated[tuple[Choice, ...], Items(2, MAX_OPTIONS, "choices")]
    items: Annotated[tuple[ClassifyItem, ...], Items(1, None, "items")]

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions", tuple(self._question(i) for i in self.items))

    def _question(self, item: ClassifyItem) -> Question:
        return Question(
            id=item.id,
            prompt=self.prompt.replace("{message}", item.message),
            options=tuple(
                Option(
                    c.text,
                    item.why
                    if j == item.answer
                    else _not_this(c.text, item.wrong.get(letter(j)) or c.note),
                )
                for j, c in enumerate(self.choices)
            ),
            answer=item.answer,
            section=self.section,
            context=item.context,
        )

    def validate(self) -> list[tuple[str, str]]:
        found = []
        if "{message}" not in self.prompt:
            found.append(("prompt", "must contain {message}"))
        for i, item in enumerate(self.items):
            for where, message in _answer_problems(item.answer, len(self.choices), "choices"):
                found.append((f"items[{i}].{where}", message))
            letters = [letter(j) for j in range(len(self.choices))]
            for key in item.wrong:
                if key not in letters:
                    found.append(
                        (
                            f"items[{i}].wrong.{key}",
                            f"not a letter of the choices (A-{letters[-1]})",
                        )
                    )
                elif key == letter(item.answer):
                    found.append(
                        (f"items[{i}].wrong.{key}", "is the right answer, not a wrong one")
                    )
        return found


def _not_this(text: str, note: str) -> str:
    """The explanation of a wrong classify choice: which kind it is not, and what that kind is."""
    kind = text.split(":", 1)[0].strip().lower()
    article = "an" if kind[:1] in ("a", "e", "i", "o", "u") else "a"
    return f"Not {article} {kind}. {note}"


@record
class TreeNode:
    """One node of a tree picture (the purchase fan-out)."""

    label: Title  # the text of the node
    children: tuple["TreeNode", ...] = ()  # nodes under it, in order


# -- blocks: one dataclass per kind; its renderer is in ui/render_lesson.py ----------------------


@record(kw_only=True)
class Block(Kinds):
    """One piece of a page, rendered by kind (a subclass below names its `kind`)."""

    family: ClassVar[str] = "block kind"


@record(kw_only=True)
class MarkdownBlock(Block):
    """Prose from a Markdown file of the lesson folder."""

    kind: ClassVar[str] = "markdown"
    file: str  # the file, relative to the lesson folder
    text: Annotated[str, Derived, Markdown] = ""  # its text (read by the loader)


@record(kw_only=True)
class CodeBlock(Block):
    """A highlighted snippet."""

    kind: ClassVar[str] = "code"
    code: str  # the snippet
    language: str = "text"  # for highlighting, e.g. "python"
    caption: str = ""  # one line under the snippet


@record(kw_only=True)
class TreeBlock(Block):
    """A fan-out picture."""

    kind: ClassVar[str] = "tree"
    tree: TreeNode  # the root
    caption: str = ""  # one line under the picture


@record(kw_only=True)
class TableBlock(Block):
    """A small grid of text."""

    kind: ClassVar[str] = "table"
    columns: Annotated[tuple[Title, ...], Items(1, None, "columns")]  # the headings
    rows: tuple[tuple[str, ...], ...]  # the cells, one list a row, as many as columns
    caption: str = ""  # one line above the grid

    def validate(self) -> list[tuple[str, str]]:
        width = len(self.columns)
        return [
            (f"rows[{i}]", f"has {len(row)} cells; expected {width}, one per column")
            for i, row in enumerate(self.rows)
            if len(row) != width
        ]


@record(kw_only=True)
class CalloutBlock(Block):
    """A titled panel of Markdown."""

    kind: ClassVar[str] = "callout"
    title: Title  # the panel title
    text: Annotated[str, Markdown]  # the panel's prose


@record(kw_only=True)
class CheckBlock(Block):
    """An in-lesson practice check, by id."""

    kind: ClassVar[str] = "check"
    check: Id  # the id of a check of the lesson


@record(kw_only=True)
class SimulationBlock(Block):
    """An offer to play a simulation scenario inline (key s)."""

    kind: ClassVar[str] = "simulation"
    scenario: str  # a name from `eventlesson simulate --list`
    text: Annotated[str, Markdown]  # one line: what the learner will watch


@record(kw_only=True)
class QuizBlock(Block):
    """A quiz set administered on the page, as `eventlesson quiz` does (the knowledge check)."""

    kind: ClassVar[str] = "quiz"
    quiz: QuestionSet  # the set: its questions come from quiz.toml


@record(kw_only=True)
class ExerciseBlock(Block):
    """A pointer to the hands-on exercise that practises the page (`eventlesson exercise ID`)."""

    kind: ClassVar[str] = "exercise"
    exercise: Id  # the id of an exercise in the lesson's exercises.toml


@record(kw_only=True)
class ObjectivesBlock(Block):
    """The lesson's learning objectives."""

    kind: ClassVar[str] = "objectives"


@record(kw_only=True)
class InsightsBlock(Block):
    """The lesson's key insights."""

    kind: ClassVar[str] = "insights"


@record(kw_only=True)
class ResourcesBlock(Block):
    """The lesson's optional resources."""

    kind: ClassVar[str] = "resources"


@record(kw_only=True)
class GlossaryBlock(Block):
    """The lesson's glossary."""

    kind: ClassVar[str] = "glossary"


# -- hands-on exercises (exercises.toml) ---------------------------------------------------------


@record
class Exercise:
    """A hands-on exercise: the learner writes a few lines, the simulation judges them.

    Its starting file and its reference solution are `exercises/<id>/start.py` and
    `exercises/<id>/solution.py` in the lesson folder. The learner's file defines `functions`;
    each run of each scenario on seeds 1 to `seeds` must keep every check in `holds`.
    """

    id: Id  # the name on the command line (eventlesson exercise ID); unique in the lesson
    title: Title  # a short heading
    summary: Title  # one line: what the learner writes (the list, the lesson's pointer)
    task: Annotated[str, Markdown]  # what to change, shown when the exercise opens
    functions: Annotated[tuple[Id, ...], Items(1, 3, "functions")]  # what the file defines
    scenarios: Annotated[tuple[Id, ...], Items(1, 5, "scenarios")]  # fault scenarios to run
    holds: Annotated[tuple[Id, ...], Items(1, None, "checks")]  # checks, in reporting order
    teaches: Id  # the check the starting file breaks: the point of the exercise
    hints: Annotated[tuple[str, ...], Items(2, 3, "hints")]  # shown one at a time, on request
    explanation: Annotated[str, Markdown]  # shown with the reference solution after a pass
    seeds: Annotated[int, Min(1), Max(100)] = 20  # each scenario runs on seeds 1 to this
    purchases: Annotated[int, Min(1), Max(500)] = 20  # learners buying a course in each run

    def validate(self) -> list[tuple[str, str]]:
        found = []
        if self.holds and self.teaches not in self.holds:
            found.append(("teaches", f"{self.teaches!r} is not one of the checks in `holds`"))
        for label, names in (
            ("functions", self.functions),
            ("scenarios", self.scenarios),
            ("holds", self.holds),
        ):
            for dup in _duplicates(list(names)):
                found.append((label, f"{dup!r} is listed twice"))
        for i, name in enumerate(self.functions):
            if not name.isidentifier():
                found.append((f"functions[{i}]", f"{name!r} is not a Python function name"))
        return found


@record
class Exercises:
    """A lesson's exercises.toml: its hands-on exercises, in the order they are meant to be done."""

    exercises: tuple[Exercise, ...] = ()  # in order

    def validate(self) -> list[tuple[str, str]]:
        return [
            ("exercises", f"id {dup!r} is used more than once")
            for dup in _duplicates([e.id for e in self.exercises])
        ]


@record
class Section:
    """One page of the guided lesson."""

    id: Id  # unique within the lesson; progress refers to it
    title: Title  # the heading shown on the page and in the menu
    blocks: Annotated[tuple[Block, ...], Items(1, None, "blocks")]  # top to bottom
    recap: str = ""  # one short line used when greeting a returning learner


@record
class Resource:
    """An optional further reading."""

    kind: Title  # BOOK, ARTICLE, ...
    title: Title  # as published
    link: str  # where to find it: an http(s) address
    focus: str  # what to read it for

    def validate(self) -> list[tuple[str, str]]:
        if not self.link.startswith(("https://", "http://")):
            return [("link", "expected an http(s) address")]
        return []


@record
class Objective:
    """One thing the learner can do after the lesson."""

    title: Title  # the skill, short
    detail: str  # what it means in practice


@record
class Insight:
    """One key take-away."""

    title: Title  # the insight, short
    detail: str  # why it matters


@record
class Term:
    """One glossary entry."""

    term: Title  # the word or phrase
    meaning: Annotated[str, Markdown]  # its meaning in this lesson


@record
class Course:
    """The lessons on offer (course.toml at the content root): their order and the default."""

    lessons: Annotated[tuple[Id, ...], Items(1, None, "lessons")]  # lesson folders, in order
    default: str = ""  # the lesson opened when none is named; "" means the first listed

    def validate(self) -> list[tuple[str, str]]:
        found = []
        for i, name in enumerate(self.lessons):
            if not name or name in (".", "..") or "/" in name or "\\" in name:
                found.append((f"lessons[{i}]", f"{name!r} is not a folder name"))
            elif name in self.lessons[:i]:
                found.append((f"lessons[{i}]", f"{name!r} is listed twice"))
        if self.default and self.default not in self.lessons:
            found.append(("default", f"{self.default!r} is not one of the lessons"))
        return found

    @property
    def default_lesson(self) -> str:
        """The lesson `learn`, `quiz` and `progress` open without a LESSON argument."""
        return self.default or (self.lessons[0] if self.lessons else "")


@record
class Lesson:
    """A whole lesson (lesson.toml): its pages, checks and reference lists; quiz.toml's questions."""

    id: Id  # used on the command line, e.g. "day-089"; the name of the lesson's folder
    title: Title  # full title, e.g. "Day 089: Event-Driven Fundamentals"
    summary: str  # one sentence: what the lesson teaches
    minutes: Annotated[int, Min(0)]  # the expected time of the core path
    sections: Annotated[tuple[Section, ...], Items(1, None, "sections")]  # the pages, in order
    checks: tuple[Check, ...] = ()  # in-lesson practice checks
    objectives: tuple[Objective, ...] = ()  # learning objectives
    resources: tuple[Resource, ...] = ()  # optional deepening resources
    insights: tuple[Insight, ...] = ()  # key insights
    glossary: tuple[Term, ...] = ()  # glossary entries
    questions: Annotated[tuple[Question, ...], Derived] = ()  # quiz.toml's questions
    exercises: Annotated[tuple[Exercise, ...], Derived] = ()  # exercises.toml's exercises
    path: Annotated[str, Derived] = ""  # the folder it was loaded from

    def validate(self) -> list[tuple[str, str]]:
        """References resolve, ids are unique, a page that shows a list has one."""
        found: list[tuple[str, str]] = []
        for label, ids in (
            ("sections", [s.id for s in self.sections]),
            ("checks", [c.id for c in self.checks]),
        ):
            for dup in _duplicates(ids):
                found.append((label, f"id {dup!r} is used more than once"))
        section_ids = {s.id for s in self.sections}
        check_ids = {c.id for c in self.checks}
        for i, check in enumerate(self.checks):
            if check.section not in section_ids:
                found.append((f"checks[{i}].section", f"unknown section {check.section!r}"))
        shown: set[str] = set()
        for i, section in enumerate(self.sections):
            for j, block in enumerate(section.blocks):
                where = f"sections[{i}].blocks[{j}]."
                if isinstance(block, CheckBlock):
                    shown.add(block.check)
                    if block.check not in check_ids:
                        found.append((f"{where}check", f"unknown check {block.check!r}"))
                elif block.kind in LISTS and not getattr(self, block.kind):
                    found.append(
                        (f"{where}kind", f"the page shows {block.kind} but the lesson lists none")
                    )
        for i, check in enumerate(self.checks):
            if check.id not in shown:
                found.append((f"checks[{i}].id", f"check {check.id!r} is not shown on any page"))
        return found

    def section_index(self, section_id: str) -> int:
        """Position of a section by id; raises KeyError for an unknown id."""
        for index, section in enumerate(self.sections):
            if section.id == section_id:
                return index
        raise KeyError(section_id)

    def check(self, check_id: str) -> Check:
        """The check with this id; raises KeyError for an unknown id."""
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(check_id)

    def exercise(self, exercise_id: str) -> Exercise:
        """The exercise with this id; raises KeyError for an unknown id."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    def quiz_questions(self, question_set: str) -> tuple[Question, ...]:
        """The quiz questions of one set, or of every set for "all"."""
        if question_set == "all":
            return self.questions
        return tuple(q for q in self.questions if q.set == question_set)

    def section_title(self, section_id: str) -> str:
        """The title of a section, or the id itself when unknown."""
        try:
            return self.sections[self.section_index(section_id)].title
        except KeyError:
            return section_id


@record
class Quiz:
    """A lesson's quiz.toml."""

    questions: tuple[QuizQuestion, ...] = ()  # the knowledge check and the practice set


LISTS = ("objectives", "resources", "insights", "glossary")  # blocks that show a lesson's list
BLOCK_KINDS: tuple[str, ...] = tuple(Block.kinds)  # every block kind, for checks and messages
FILES: dict[str, type] = {  # each file of a lesson folder and the dataclass it is read into
    "course.toml": Course,
    "lesson.toml": Lesson,
    "quiz.toml": Quiz,
    "exercises.toml": Exercises,
}


def _duplicates(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    dups = []
    for item in ids:
        if item and item in seen and item not in dups:
            dups.append(item)
        seen.add(item)
    return dups
