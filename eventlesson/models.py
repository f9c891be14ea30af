"""The typed schema of lesson content: what a lesson, a page and a question are.

Core module: standard library only (no rich, questionary or typer). The TOML files
under `content/` are parsed into these dataclasses by `eventlesson.content`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

FORMAT_VERSION = 1  # the content format this code reads; lesson.toml and quiz.toml state theirs

QUESTION_SETS = ("knowledge-check", "practice")  # the sets a quiz question may belong to
BlockKind = Literal[
    "markdown",  # prose from a Markdown file: file
    "code",  # a highlighted snippet: language, code, caption
    "tree",  # a fan-out picture: tree (a TreeNode), caption
    "table",  # a small grid: columns, rows, caption
    "callout",  # a titled panel of Markdown: title, text
    "check",  # an in-lesson practice check: check (a Check id)
    "objectives",  # the lesson's learning objectives
    "resources",  # the lesson's optional resources
    "insights",  # the lesson's key insights
    "glossary",  # the lesson's glossary
    "simulation",  # an offer to play a simulation scenario inline: scenario, text
]
BLOCK_KINDS: tuple[str, ...] = get_args(BlockKind)  # the same list, for checking and messages


def letter(index: int) -> str:
    """The display letter of the option at `index` (0 -> "A")."""
    return chr(ord("A") + index)


@dataclass(frozen=True)
class Option:
    """One answer a learner can pick."""

    text: str  # what the learner reads in the list
    explanation: str  # why picking it is right, or which confusion it reflects


@dataclass(frozen=True)
class Question:
    """A single-choice question: a quiz item or one step of an in-lesson check."""

    id: str  # unique within the lesson
    prompt: str  # the question as the learner reads it
    options: tuple[Option, ...]  # in authored order; letters A, B, C... follow this order
    # (classify checks build one option per shared choice: the right one explains with the
    # item's `why`, each wrong one with "Not a <kind>." and that choice's `note`)
    answer: int  # index into options of the correct one
    section: str  # id of the lesson section it tests
    set: str = "practice"  # "knowledge-check" or "practice" (quiz questions); "check" otherwise
    kind: str = "choice"  # "choice", or "predict" for what-happens-next questions

    @property
    def answer_letter(self) -> str:
        """The authored-order letter of the correct option."""
        return letter(self.answer)

    def is_correct(self, chosen: int) -> bool:
        """Whether the option at authored index `chosen` is the right one."""
        return chosen == self.answer


@dataclass(frozen=True)
class Check:
    """An in-lesson practice check: one or more questions asked on a page."""

    id: str  # unique within the lesson
    title: str  # short heading shown above the questions
    intro: str  # one or two sentences of Markdown before the first question
    questions: tuple[Question, ...]  # asked in order


@dataclass(frozen=True)
class TreeNode:
    """One node of a tree picture (the purchase fan-out)."""

    label: str  # the text of the node
    children: tuple[TreeNode, ...] = ()  # nodes under it, in order


@dataclass(frozen=True)
class Block:
    """One piece of a page, rendered by kind."""

    kind: BlockKind  # one of BLOCK_KINDS
    text: str = ""  # Markdown (markdown: the file's text; callout, simulation: inline text)
    file: str = ""  # for markdown: the file it came from, relative to the lesson folder
    title: str = ""  # for callout: the panel title
    language: str = ""  # for code: the language for highlighting
    code: str = ""  # for code: the snippet
    caption: str = ""  # for code, tree and table: one line under or above the picture
    tree: TreeNode | None = None  # for tree: the root
    columns: tuple[str, ...] = ()  # for table: the headings
    rows: tuple[tuple[str, ...], ...] = ()  # for table: the cells, one tuple a row
    check: str = ""  # for check: the id of a Check in the lesson
    scenario: str = ""  # for simulation: the scenario to offer


@dataclass(frozen=True)
class Section:
    """One page of the guided lesson."""

    id: str  # unique within the lesson; progress refers to it
    title: str  # the heading shown on the page and in the menu
    blocks: tuple[Block, ...]  # the page's content, top to bottom
    recap: str = ""  # one short line used when greeting a returning learner


@dataclass(frozen=True)
class Resource:
    """An optional further reading."""

    kind: str  # BOOK, ARTICLE, ...
    title: str  # as published
    link: str  # where to find it
    focus: str  # what to read it for


@dataclass(frozen=True)
class Objective:
    """One thing the learner can do after the lesson."""

    title: str  # the skill, short
    detail: str  # what it means in practice


@dataclass(frozen=True)
class Insight:
    """One key take-away."""

    title: str  # the insight, short
    detail: str  # why it matters


@dataclass(frozen=True)
class Term:
    """One glossary entry."""

    term: str  # the word or phrase
    meaning: str  # its meaning in this lesson


@dataclass(frozen=True)
class Course:
    """The lessons on offer (course.toml at the content root): their order and the default."""

    lessons: tuple[str, ...]  # lesson folder names, which are also the lesson ids, in order
    default: str = ""  # the lesson opened when none is named; "" means the first listed

    @property
    def default_lesson(self) -> str:
        """The lesson `learn`, `quiz` and `progress` open without a LESSON argument."""
        return self.default or (self.lessons[0] if self.lessons else "")


@dataclass(frozen=True)
class Lesson:
    """A whole lesson: its pages, checks, quiz questions and reference lists."""

    id: str  # short id used on the command line, e.g. "day-089"
    title: str  # full title, e.g. "Day 089: Event-Driven Fundamentals"
    summary: str  # one sentence: what the lesson teaches
    minutes: int  # the expected time of the core path
    sections: tuple[Section, ...]  # the pages, in order
    checks: tuple[Check, ...] = ()  # in-lesson practice checks
    questions: tuple[Question, ...] = ()  # quiz questions (knowledge-check and practice)
    objectives: tuple[Objective, ...] = ()  # learning objectives
    resources: tuple[Resource, ...] = ()  # optional deepening resources
    insights: tuple[Insight, ...] = ()  # key insights
    glossary: tuple[Term, ...] = ()  # glossary entries
    path: str = ""  # the folder it was loaded from

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
