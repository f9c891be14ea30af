"""Content loading and linting, on the fixture course and on broken copies of the shipped one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from eventlesson.content import check_tree, find_lesson_dir, load_lesson, resolve_content_dir
from eventlesson.errors import ContentError, UsageError

from .support import FIXTURE_COURSE, SHIPPED_CONTENT


def test_fixture_course_loads() -> None:
    lesson = load_lesson("mini", FIXTURE_COURSE)
    assert [s.id for s in lesson.sections] == ["one", "two", "three"]
    check = lesson.check("mini-check")
    assert check.questions[0].prompt == "What is `thing.happened`?"
    assert check.questions[0].answer_letter == "C"
    assert [q.id for q in lesson.quiz_questions("knowledge-check")] == ["mini-q1"]
    assert len(lesson.quiz_questions("all")) == 2


def test_shipped_content_is_clean() -> None:
    assert check_tree(SHIPPED_CONTENT) == []


def test_shipped_lesson_has_every_part_of_the_seed() -> None:
    lesson = load_lesson("day-089", SHIPPED_CONTENT)
    assert lesson.title == "Day 089: Event-Driven Fundamentals"
    assert len(lesson.sections) >= 12
    assert len(lesson.objectives) == 3
    assert len(lesson.insights) == 3
    assert {r.link for r in lesson.resources} == {
        "https://www.confluent.io/designing-event-driven-systems/",
        "https://www.enterpriseintegrationpatterns.com/",
        "https://martinfowler.com/articles/201701-event-driven.html",
        "https://www.oreilly.com/library/view/building-event-driven-microservices/9781492057888/",
    }
    terms = " ".join(t.term.lower() for t in lesson.glossary)
    for word in (
        "command",
        "query",
        "event",
        "source of truth",
        "producer",
        "consumer",
        "broker",
        "lag",
        "eventual",
    ):
        assert word in terms
    kinds = {b.kind for s in lesson.sections for b in s.blocks}
    assert {
        "tree",
        "code",
        "table",
        "check",
        "simulation",
        "glossary",
        "resources",
        "insights",
    } <= kinds
    classify = lesson.check("classify-messages")
    messages = " ".join(q.prompt for q in classify.questions)
    for name in ("CompletePurchase", "purchase.completed", "GetCourseAccess", "SendReceiptEmail"):
        assert name in messages
    for name in ("course.access.granted", "RecommendationsForLearner"):
        assert name in messages
    assert len(lesson.quiz_questions("knowledge-check")) == 3


def test_lesson_is_found_by_id_folder_or_unique_fragment() -> None:
    assert find_lesson_dir(SHIPPED_CONTENT, "day-089").name == "day-089"
    assert find_lesson_dir(SHIPPED_CONTENT, "089").name == "day-089"
    assert find_lesson_dir(SHIPPED_CONTENT, None).name == "day-089"
    with pytest.raises(UsageError, match="unknown lesson 'nope'; available: day-089"):
        find_lesson_dir(SHIPPED_CONTENT, "nope")


def test_missing_content_dir_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="content directory not found"):
        resolve_content_dir(tmp_path / "nowhere")


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(SHIPPED_CONTENT / "day-089", root / "day-089")
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_missing_markdown_file_is_named(broken: Path) -> None:
    (broken / "day-089" / "pages" / "aha.md").unlink()
    problems = [str(p) for p in check_tree(broken)]
    assert any(
        p.startswith("content/day-089/lesson.toml: sections[1].blocks[0].file:")
        and "aha.md not found" in p
        for p in problems
    )
    with pytest.raises(ContentError, match=r"aha\.md not found"):
        load_lesson("day-089", broken)


def test_toml_syntax_error_is_named(broken: Path) -> None:
    (broken / "day-089" / "lesson.toml").write_text("format_version = 1\nid = \n")
    problems = [str(p) for p in check_tree(broken)]
    assert problems and problems[0].startswith("content/day-089/lesson.toml: -: TOML syntax error")


def test_answer_outside_options_and_duplicate_ids(broken: Path) -> None:
    lesson_toml = broken / "day-089" / "lesson.toml"
    _edit(lesson_toml, 'id = "classify-get-course-access"', 'id = "classify-complete-purchase"')
    quiz = broken / "day-089" / "quiz.toml"
    _edit(quiz, 'answer = "A"', 'answer = "F"')
    problems = [str(p) for p in check_tree(broken)]
    assert any(
        "question id 'classify-complete-purchase' is used more than once" in p for p in problems
    )
    assert any(
        p.startswith(
            "content/day-089/quiz.toml: questions[0].answer: 'F' is not one of the options"
        )
        for p in problems
    )


def test_unexplained_option_and_unknown_set(broken: Path) -> None:
    quiz = broken / "day-089" / "quiz.toml"
    text = quiz.read_text()
    start = text.index("explanation = ")
    end = text.index("\n", start)
    quiz.write_text(text[:start] + text[end:].replace('set = "practice"', 'set = "homework"', 1))
    problems = [str(p) for p in check_tree(broken)]
    assert any(
        p.startswith("content/day-089/quiz.toml: questions[0].options[0].explanation: missing")
        for p in problems
    )
    assert any("'homework' is not a known set" in p for p in problems)


def test_newer_format_is_refused(broken: Path) -> None:
    _edit(broken / "day-089" / "lesson.toml", "format_version = 1", "format_version = 99")
    problems = [str(p) for p in check_tree(broken)]
    assert (
        "content/day-089/lesson.toml: format_version: 99 is not supported (this tool reads 1)"
        in problems
    )


def test_empty_tree_reports_no_lessons(tmp_path: Path) -> None:
    assert [str(p) for p in check_tree(tmp_path)] == [
        f"{tmp_path}: -: no lessons found (no */lesson.toml)"
    ]
