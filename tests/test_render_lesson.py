"""Lesson render functions at 80 and 40 columns, into a plain StringIO console."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console, RenderableType

from eventlesson.content import load_lesson
from eventlesson.models import Lesson
from eventlesson.progress import CheckResult
from eventlesson.ui import render_lesson as view

from .support import FIXTURE_COURSE, SHIPPED_CONTENT


def text_of(renderable: RenderableType, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return load_lesson("day-089", SHIPPED_CONTENT)


def test_header_shows_lesson_section_and_position(lesson: Lesson) -> None:
    out = text_of(view.header(lesson, lesson.sections[3], "4/15"))
    first = out.splitlines()[0]
    assert first.startswith("Day 089: Event-Driven Fundamentals") and first.rstrip().endswith(
        "4/15"
    )
    assert lesson.sections[3].title in out


def test_footer_wraps_between_keys_never_inside_one() -> None:
    keys = [
        ("Enter", "next"),
        ("b", "back"),
        ("m", "menu"),
        ("s", "simulate"),
        ("r", "retry check"),
        ("q", "quit"),
    ]
    out = text_of(view.footer(keys, "space/arrows scroll"), width=40)
    lines = [line.strip() for line in out.splitlines()[1:]]
    assert len(lines) >= 2
    for label in ("Enter next", "r retry check", "q quit"):
        assert any(label in line for line in lines), label


@pytest.mark.parametrize("width", [80, 40])
def test_every_page_renders_without_cutting_words(lesson: Lesson, width: int) -> None:
    for section in lesson.sections:
        out = text_of(view.body(lesson, section, answers={}), width)
        assert all(len(line) <= width for line in out.splitlines()), section.id
        words = set(re.findall(r"[A-Za-z]{4,}", out))
        # every long word of the page's prose appears whole: nothing was cut mid-word
        for block in section.blocks:
            if block.kind == "markdown":
                for word in re.findall(
                    r"[A-Za-z]{4,}", block.text.replace("**", "").replace("`", "")
                ):
                    assert word in words, (section.id, word)


def test_fan_out_tree_and_code(lesson: Lesson) -> None:
    section = lesson.sections[lesson.section_index("concept-2")]
    out = text_of(view.body(lesson, section))
    assert "learner -> purchase service -> purchase committed" in out
    assert "└── purchase.completed" in out
    for leaf in ("enrollment access", "email", "analytics", "recommendations", "affiliate"):
        assert f"── {leaf}" in out
    assert "store.mark_completed(purchase.id)" in out
    assert out.index("store.mark_completed") < out.index('bus.publish("purchase.completed"')
    assert "Press s to watch the 'happy' scenario live" in out


def test_check_pending_then_reviewed(lesson: Lesson) -> None:
    section = lesson.sections[lesson.section_index("check-2")]
    pending = text_of(view.body(lesson, section, answers={}))
    assert "Press Enter to start" in pending
    check = lesson.check("before-publish")
    answers = {q.id: CheckResult(chosen=q.answer, correct=True, at="now") for q in check.questions}
    reviewed = text_of(view.body(lesson, section, answers=answers))
    assert f"({len(check.questions)}/{len(check.questions)} right)" in reviewed
    assert "Right." in reviewed


def test_handout_reveals_answers_and_offers_commands(lesson: Lesson) -> None:
    out = "".join(text_of(part) for part in view.handout(lesson))
    assert "Run eventlesson simulate happy to watch it live." in out
    assert "Run eventlesson simulate publish-before-commit" in out
    assert "* A) Command" in out


def test_feedback_says_right_or_wrong_in_words(lesson: Lesson) -> None:
    question = lesson.check("classify-messages").questions[0]
    wrong = text_of(view.question_feedback(question, (question.answer + 1) % 3))
    assert "Not quite. The answer is A)" in wrong
    assert "Right." in text_of(view.question_feedback(question, question.answer))


def test_markup_in_content_is_shown_literally() -> None:
    mini = load_lesson("mini", FIXTURE_COURSE)
    out = text_of(view.body(mini, mini.sections[0]))
    assert "[bold]markup-looking text[/]" in out


def test_welcome_back_and_finish(lesson: Lesson) -> None:
    out = text_of(
        view.welcome(lesson, recap=["one", "two"], position="3/15", resume_title="Why"), 40
    )
    assert "Welcome back." in out and "- two" in out and "3/15" in out
    end = text_of(view.finish(lesson, right=5, asked=6))
    assert "Practice checks: 5 of 6 right." in end
    assert "eventlesson quiz" in end and "eventlesson simulate" in end
    assert lesson.insights[0].title in end


def test_menu_marks_done_and_current(lesson: Lesson) -> None:
    labels = view.menu_choices(lesson, ["start"], "aha")
    assert labels[0].startswith("[done]  1.")
    assert labels[1].startswith("[here]  2.")
    assert labels[2].startswith("[    ]  3.")
    assert len(labels) == len(lesson.sections)
