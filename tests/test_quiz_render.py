"""Quiz render functions, printed into a plain StringIO console at 80 and 40 columns."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console, RenderableType

from eventlesson.models import Option, Question
from eventlesson.quiz import grade, grade_answers, questions_for, show
from eventlesson.ui.render_quiz import (
    render_all_right,
    render_feedback,
    render_key,
    render_question,
    render_score,
)

from .support import fixture_lesson

MARKUP = "[bold red]not markup[/] and [link=x]y[/link]"
LONG = "an option long enough to need wrapping at forty columns " * 2


def text_of(renderable: RenderableType, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert all(len(line) <= width for line in out.splitlines())
    return out


def flat(text: str) -> str:
    """The words in order, whatever the wrapping and indentation (code spans lose backticks)."""
    return " ".join(text.replace("`", "").split())


def tricky() -> Question:
    return Question(
        id="tricky",
        prompt=f"Which is right? {MARKUP}",
        options=(
            Option(f"Right one {MARKUP}", f"Because {MARKUP}"),
            Option(LONG.strip(), "Long explanation " * 12),
            Option("[dim]third[/dim]", "Why [i]third[/i] is wrong"),
        ),
        answer=0,
        section="panels",
        set="practice",
        kind="predict",
    )


@pytest.fixture(scope="module")
def lesson():
    return fixture_lesson()


@pytest.mark.parametrize("width", [80, 40])
def test_question_header_numbers_the_question_and_shows_the_prompt(width: int) -> None:
    question = tricky()
    shown = show(question, random.Random(2))
    out = text_of(render_question(2, 3, question, options=shown.options), width)
    assert "Question 2 of 3" in out
    assert "Predict what happens." in out
    assert MARKUP in flat(out)
    for index, option in enumerate(shown.options):
        assert f"{'ABC'[index]})" in out
        assert flat(option.text) in flat(out)  # wrapped, never cut short


def test_retry_header_says_retry() -> None:
    out = text_of(render_question(1, 2, tricky(), retry=True))
    assert "Retry 1 of 2" in out
    assert " A)" not in out  # no options listed unless asked


@pytest.mark.parametrize("width", [80, 40])
def test_feedback_when_right_says_so_in_words_with_the_explanation(width: int, lesson) -> None:
    question = tricky()
    shown = show(question)
    out = flat(text_of(render_feedback(grade(shown, 0), lesson=lesson), width))
    assert out.startswith("Right. You chose A) Right one")
    assert f"Because {MARKUP}" in out
    assert "The right answer" not in out
    assert out.endswith("Lesson section: Panels and tables")


def test_feedback_points_to_a_page_once(lesson) -> None:
    question = next(q for q in lesson.questions if q.id == "kc-event")
    shown = show(question)
    wrong = next(i for i in range(3) if not question.is_correct(i))
    explanation = question.options[wrong].explanation
    named = [s.title for s in lesson.sections if s.title in explanation]
    assert named, "the content's wrong answer should name the page to reread"
    out = flat(text_of(render_feedback(grade(shown, wrong), lesson=lesson)))
    assert "Lesson section:" not in out  # the explanation already says where to look
    assert out.count(named[0]) == 1


def test_question_with_backticks_shows_code_without_them() -> None:
    question = Question(
        id="code",
        prompt="What does `bus.publish` do?",
        options=(Option("Sends `x`", "Yes"), Option("Nothing", "No")),
        answer=0,
        section="s",
    )
    out = text_of(render_question(1, 1, question, options=question.options))
    assert "What does bus.publish do?" in out and "A) Sends x" in out and "`" not in out


@pytest.mark.parametrize("width", [80, 40])
def test_feedback_when_wrong_gives_both_explanations_with_displayed_letters(width: int) -> None:
    question = tricky()
    shown = show(question, random.Random(5))
    picked = shown.display(2)
    out = flat(text_of(render_feedback(grade(shown, picked)), width))
    assert out.startswith(f"Not quite. You chose {'ABC'[picked]}) [dim]third[/dim]")
    assert "Why [i]third[/i] is wrong" in out
    right_letter = "ABC"[shown.display(0)]
    assert f"The right answer is {right_letter}) Right one {MARKUP}" in out
    assert f"Because {MARKUP}" in out


@pytest.mark.parametrize("width", [80, 40])
def test_score_table_lists_each_question_with_its_result(width: int, lesson) -> None:
    questions = questions_for(lesson, "knowledge-check")
    run = grade_answers(lesson.id, "knowledge-check", questions, [0, 1, 0])
    out = text_of(render_score(run, lesson=lesson), width)
    assert "Score: 2 of 3." in out
    assert out.count("right") >= 2 and "missed" in out
    for question in questions:  # the Result column interleaves wrapped prompts: check the words
        assert all(word in out for word in question.prompt.replace("`", "").split())
    assert "see: One fact, many consumers" in flat(out)
    assert out.lstrip().startswith("─")  # a rule parts it from the round above
    fresh = text_of(render_score(run, lesson=lesson, rule=False), width)
    assert fresh.lstrip().startswith("Score: 2 of 3.")  # under a header that ends in a rule


def test_retry_score_and_closing_lines() -> None:
    run = grade_answers("x", "practice", (tricky(),), [0])
    assert "Retry: 1 of 1 right this time." in text_of(render_score(run, retry=True))
    assert "All right on the first try." in text_of(render_all_right(0))
    assert "after 1 retry." in text_of(render_all_right(1))
    assert "after 2 retries." in text_of(render_all_right(2))


@pytest.mark.parametrize("width", [80, 40])
def test_answer_key_shows_every_option_explained_and_the_correct_one_marked(
    width: int, lesson
) -> None:
    questions = questions_for(lesson, "all")
    out = flat(text_of(render_key(lesson, questions, "all"), width))
    assert "Answer key: Sample: Every Kind of Block, all" in out
    for question in questions:
        assert flat(question.prompt) in out
        for option in question.options:
            assert flat(option.explanation) in out
        right = question.options[question.answer].text
        assert f"{flat(right)} (correct)" in out
    assert out.count("(correct)") == len(questions)


def test_answer_key_shows_markup_literally(lesson) -> None:
    out = flat(text_of(render_key(lesson, (tricky(),), "practice"), 40))
    assert MARKUP in out
    assert "[dim]third[/dim]" in out
    assert "id tricky, predict what happens; tests: Panels and tables" in out
