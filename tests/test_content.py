"""Content loading and linting, on the fixture course and on broken copies of the shipped one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eventlesson.content import check_tree, find_lesson_dir, load_lesson, resolve_content_dir
from eventlesson.errors import ContentError, UsageError

from .support import FIXTURE_COURSE, REPO, SHIPPED_CONTENT, modules_after


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


def _problems(root: Path) -> list[str]:
    return [str(p) for p in check_tree(root)]


def test_unknown_simulation_scenario_is_named(broken: Path) -> None:
    _edit(broken / "day-089" / "lesson.toml", 'scenario = "happy"', 'scenario = "hapy"')
    assert any(
        p.startswith(
            "content/day-089/lesson.toml: sections[6].blocks[4].scenario: unknown scenario 'hapy'"
        )
        and "happy" in p
        for p in _problems(broken)
    )


def test_loading_for_the_quiz_does_not_import_the_simulation() -> None:
    """Scenario names are checked by `content check` only: the quiz must not pay for SimPy."""
    loaded = modules_after("from eventlesson.content import load_lesson\nload_lesson('day-089')")
    assert "eventlesson.content" in loaded
    assert not {"simpy", "eventlesson.sim", "eventlesson.sim.scenarios"} & loaded


QUIZ_ARGS = ("quiz", "--answers", "A,A,A", "--json")


def test_quiz_answers_json_does_not_import_simpy() -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "eventlesson", *QUIZ_ARGS],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr[-500:]
    assert '"score": 3' in run.stdout
    assert "eventlesson.content" in run.stderr  # importtime works
    assert "simpy" not in run.stderr


def test_quiz_question_without_set_is_reported(broken: Path) -> None:
    _edit(broken / "day-089" / "quiz.toml", 'set = "knowledge-check"\n', "")
    assert "content/day-089/quiz.toml: questions[0].set: missing" in _problems(broken)


UNKNOWN_KEYS = [
    # (file, old, new, the problem line expected)
    ("lesson.toml", 'summary = "', 'sumary = "', "sumary: unknown key (did you mean 'summary'?)"),
    ("lesson.toml", 'recap = "One', 'recpa = "One', "sections[0].recpa: unknown key"),
    (
        "lesson.toml",
        'file = "pages/start.md"',
        'file = "pages/start.md"\n  caption = "x"',
        "sections[0].blocks[0].caption: unknown key",
    ),
    (
        "lesson.toml",
        'scenario = "happy"',
        'scenario = "happy"\n  titel = "x"',
        "sections[6].blocks[4].titel: unknown key",
    ),
    (
        "lesson.toml",
        'label = "purchase.completed"',
        'labl = "purchase.completed"',
        "sections[6].blocks[1].tree.children[0].labl: unknown key (did you mean 'label'?)",
    ),
    ("lesson.toml", 'intro = "Sort each', 'intra = "Sort each', "checks[0].intra: unknown key"),
    (
        "lesson.toml",
        'note = "A query',
        'notes = "A query',
        "checks[0].choices[1].notes: unknown key (did you mean 'note'?)",
    ),
    (
        "lesson.toml",
        'message = "CompletePurchase"',
        'mesage = "CompletePurchase"',
        "checks[0].items[0].mesage: unknown key (did you mean 'message'?)",
    ),
    (
        "lesson.toml",
        'id = "before-publish-1"',
        'id = "before-publish-1"\n  set = "practice"',
        "checks[1].questions[0].set: unknown key",
    ),
    (
        "lesson.toml",
        'text = "The purchase is committed',
        'txt = "The purchase is committed',
        "checks[1].questions[0].options[0].txt: unknown key (did you mean 'text'?)",
    ),
    (
        "lesson.toml",
        'detail = "Tell the three',
        'details = "Tell the three',
        "objectives[0].details: unknown key (did you mean 'detail'?)",
    ),
    (
        "lesson.toml",
        'detail = "What sets them',
        'detial = "What sets them',
        "insights[0].detial: unknown key (did you mean 'detail'?)",
    ),
    (
        "lesson.toml",
        'focus = "Go further',
        'focsu = "Go further',
        "resources[0].focsu: unknown key (did you mean 'focus'?)",
    ),
    (
        "lesson.toml",
        'meaning = "A message that asks its receiver',
        'meanin = "A message that asks its receiver',
        "glossary[0].meanin: unknown key (did you mean 'meaning'?)",
    ),
    ("quiz.toml", 'set = "knowledge-check"', 'sett = "knowledge-check"', "questions[0].sett:"),
    (
        "quiz.toml",
        "format_version = 1",
        'format_version = 1\nextra = "x"',
        "extra: unknown key (expected one of: format_version, questions)",
    ),
    (
        "quiz.toml",
        "  explanation = ",
        "  explantion = ",
        "questions[0].options[0].explantion: unknown key (did you mean 'explanation'?)",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), UNKNOWN_KEYS)
def test_unknown_keys_are_reported(
    broken: Path, file: str, old: str, new: str, expected: str
) -> None:
    _edit(broken / "day-089" / file, old, new)
    problems = _problems(broken)
    assert any(p.startswith(f"content/day-089/{file}: {expected}") for p in problems), problems


def test_duplicate_question_ids_are_reported_where_they_occur(broken: Path) -> None:
    _edit(
        broken / "day-089" / "lesson.toml",
        'id = "classify-get-course-access"',
        'id = "classify-complete-purchase"',
    )
    _edit(broken / "day-089" / "quiz.toml", 'id = "pr-same-broker"', 'id = "before-publish-2"')
    problems = _problems(broken)
    assert (
        "content/day-089/lesson.toml: checks[0].items[2].id: question id "
        "'classify-complete-purchase' is used more than once (first at checks[0].items[0].id)"
    ) in problems
    assert (
        "content/day-089/quiz.toml: questions[3].id: question id 'before-publish-2' is used more "
        "than once (first at content/day-089/lesson.toml: checks[1].questions[1].id)"
    ) in problems


def test_classify_choices_need_a_note(broken: Path) -> None:
    lesson = broken / "day-089" / "lesson.toml"
    text = lesson.read_text()
    start = text.index('  note = "A query')
    lesson.write_text(text[:start] + text[text.index("\n", start) + 1 :])
    assert "content/day-089/lesson.toml: checks[0].choices[1].note: missing" in _problems(broken)


def test_classify_choices_as_plain_strings_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "course"
    shutil.copytree(FIXTURE_COURSE / "mini", root / "mini")
    lesson = root / "mini" / "lesson.toml"
    text = lesson.read_text()
    start = text.index("  [[checks.choices]]")
    end = text.index("  [[checks.items]]")
    lesson.write_text(text[:start] + 'choices = ["Command", "Query", "Event"]\n' + text[end:])
    problems = _problems(root)
    assert "course/mini/lesson.toml: checks[0].choices[0]: expected a table with text and note" in (
        problems
    )


def test_every_classify_option_explains_itself() -> None:
    lesson = load_lesson("day-089", SHIPPED_CONTENT)
    for question in lesson.check("classify-messages").questions:
        explanations = [o.explanation for o in question.options]
        assert len(set(explanations)) == len(explanations), question.id
        for i, option in enumerate(question.options):
            kind = option.text.split(":")[0].lower()
            if i == question.answer:
                assert not option.explanation.startswith("Not ")
            else:
                assert option.explanation.startswith(
                    f"Not a{'n' if kind == 'event' else ''} {kind}."
                )


def test_fixture_classify_explanations() -> None:
    question = load_lesson("mini", FIXTURE_COURSE).check("mini-check").questions[0]
    assert [o.explanation for o in question.options] == [
        "Not a command. A command asks for work.",
        "Not a query. A query asks for information.",
        "It states a fact.",
    ]


def test_practice_pages_are_titled_after_their_check() -> None:
    lesson = load_lesson("day-089", SHIPPED_CONTENT)
    pages = [(s, b.check) for s in lesson.sections for b in s.blocks if b.kind == "check"]
    assert len(pages) == 3
    for section, check_id in pages:
        assert section.title == f"Practice: {lesson.check(check_id).title}"


def test_knowledge_check_answers_stay_a_a_a() -> None:
    lesson = load_lesson("day-089", SHIPPED_CONTENT)
    questions = lesson.quiz_questions("knowledge-check")
    assert [q.answer_letter for q in questions] == ["A", "A", "A"]
    assert all(len(q.options) == 3 for q in questions)


def test_predict_answers_are_not_given_away_by_length() -> None:
    lesson = load_lesson("day-089", SHIPPED_CONTENT)
    predicts = [q for q in lesson.questions if q.kind == "predict"]
    assert len(predicts) >= 3
    for q in predicts:
        lengths = sorted(len(o.text) for o in q.options)
        assert len(q.options[q.answer].text) < lengths[-1] or lengths[-1] - lengths[-2] <= 5, q.id


def test_section_index_and_unknown_section() -> None:
    lesson = load_lesson("mini", FIXTURE_COURSE)
    assert lesson.section_index("three") == 2
    assert lesson.section_title("nope") == "nope"
    with pytest.raises(KeyError):
        lesson.section_index("nope")
