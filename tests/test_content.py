"""Content loading and linting, on the fixture course and on broken copies of the shipped one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eventlesson.content import (
    check_tree,
    find_lesson_dir,
    lesson_dirs,
    load_course,
    load_lesson,
    resolve_content_dir,
)
from eventlesson.errors import ContentError, UsageError
from eventlesson.models import BLOCK_KINDS, QUESTION_SETS

from .support import FIXTURE_COURSE, REPO, as_learner, fixture_lesson, modules_after


def test_fixture_course_loads() -> None:
    lesson = load_lesson("mini", FIXTURE_COURSE)
    assert [s.id for s in lesson.sections] == ["one", "two", "three"]
    check = lesson.check("mini-check")
    assert check.questions[0].prompt == "What is `thing.happened`?"
    assert check.questions[0].answer_letter == "C"
    assert [q.id for q in lesson.quiz_questions("knowledge-check")] == ["mini-q1"]
    assert len(lesson.quiz_questions("all")) == 2


def test_fixture_course_is_clean() -> None:
    assert check_tree(FIXTURE_COURSE) == []


def test_the_sample_lesson_uses_every_block_kind_and_question_kind() -> None:
    """The fixture the CLI, pty and hardening tests run on must exercise everything we render."""
    lesson = load_lesson("sample", FIXTURE_COURSE)
    assert {b.kind for s in lesson.sections for b in s.blocks} == set(BLOCK_KINDS)
    assert {q.kind for q in lesson.questions} == {"choice", "predict"}
    assert {q.set for q in lesson.questions} == set(QUESTION_SETS)
    assert [c.kind for c in lesson.checks] == ["classify", "choice", "predict"]  # every kind


def test_lesson_order_and_default_come_from_course_toml() -> None:
    assert [d.name for d in lesson_dirs(FIXTURE_COURSE)] == ["sample", "mini"]  # not by name
    assert load_course(FIXTURE_COURSE).default_lesson == "sample"
    assert find_lesson_dir(FIXTURE_COURSE, None).name == "sample"
    assert find_lesson_dir(FIXTURE_COURSE, "MINI").name == "mini"
    assert find_lesson_dir(FIXTURE_COURSE, "samp").name == "sample"  # a unique fragment
    with pytest.raises(UsageError, match="unknown lesson 'nope'; available: sample, mini"):
        find_lesson_dir(FIXTURE_COURSE, "nope")


def test_missing_content_dir_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="content directory not found"):
        resolve_content_dir(tmp_path / "nowhere")


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the fixture course to break; problems name its files `course/...`."""
    root = tmp_path / "course"
    shutil.copytree(FIXTURE_COURSE, root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _problems(root: Path) -> list[str]:
    return [str(p) for p in check_tree(root)]


def test_missing_markdown_file_is_named(broken: Path) -> None:
    (broken / "sample" / "pages" / "fan-out.md").unlink()
    assert any(
        p.startswith("course/sample/lesson.toml: sections[3].blocks[0].file:")
        and "fan-out.md not found" in p
        for p in _problems(broken)
    )
    with pytest.raises(ContentError, match=r"fan-out\.md not found"):
        load_lesson("sample", broken)


def test_toml_syntax_error_is_named(broken: Path) -> None:
    (broken / "sample" / "lesson.toml").write_text("format_version = 1\nid = \n")
    problems = _problems(broken)
    assert problems and problems[0].startswith("course/sample/lesson.toml: -: TOML syntax error")


def test_answer_outside_options_and_duplicate_ids(broken: Path) -> None:
    _edit(broken / "sample" / "lesson.toml", 'id = "kinds-get-thing"', 'id = "kinds-do-thing"')
    _edit(broken / "sample" / "quiz.toml", 'answer = "A"', 'answer = "F"')
    problems = _problems(broken)
    assert any("question id 'kinds-do-thing' is used more than once" in p for p in problems)
    assert any(
        p.startswith("course/sample/quiz.toml: questions[0].answer: 'F' is not one of the options")
        for p in problems
    )


def test_unexplained_option_and_unknown_set(broken: Path) -> None:
    quiz = broken / "sample" / "quiz.toml"
    text = quiz.read_text()
    start = text.index("explanation = ")
    end = text.index("\n", start)
    quiz.write_text(text[:start] + text[end:].replace('set = "practice"', 'set = "homework"', 1))
    problems = _problems(broken)
    assert any(
        p.startswith("course/sample/quiz.toml: questions[0].options[0].explanation: missing")
        for p in problems
    )
    assert (
        "course/sample/quiz.toml: questions[3].set: 'homework' is not one of: knowledge-check, practice"
        in problems
    )


def test_newer_format_is_refused(broken: Path) -> None:
    _edit(broken / "sample" / "lesson.toml", "format_version = 1", "format_version = 99")
    assert (
        "course/sample/lesson.toml: format_version: 99 is not supported (this tool reads 1)"
        in _problems(broken)
    )


def test_empty_tree_reports_the_missing_course_file(tmp_path: Path) -> None:
    assert _problems(tmp_path) == [
        f"{tmp_path.name}/course.toml: -: file not found (it lists the lessons, in order)"
    ]


COURSE_PROBLEMS = [
    # (edit of course.toml: old, new), the problem expected
    (
        ("default = ", "defualt = "),
        "course/course.toml: defualt: unknown key (did you mean 'default'?)",
    ),
    (
        ('default = "sample"', 'default = "other"'),
        "course/course.toml: default: 'other' is not one of the lessons",
    ),
    (
        ('"mini"]', '"mini", "gone"]'),
        "course/course.toml: lessons[2]: course/gone/lesson.toml not found",
    ),
    (('"mini"]', '"mini", "mini"]'), "course/course.toml: lessons[2]: 'mini' is listed twice"),
    (('"mini"]', '"../x"]'), "course/course.toml: lessons[1]: '../x' is not a folder name"),
    (
        ('["sample", "mini"]', '["sample"]'),
        "course/course.toml: lessons: 'mini' holds a lesson but is not listed",
    ),
    (
        ("format_version = 1", "format_version = 2"),
        "course/course.toml: format_version: 2 is not supported (this tool reads 1)",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), COURSE_PROBLEMS)
def test_course_problems_are_named(broken: Path, edit: tuple[str, str], expected: str) -> None:
    _edit(broken / "course.toml", *edit)
    assert expected in _problems(broken)


def test_a_lesson_id_must_be_its_folder_name(broken: Path) -> None:
    shutil.copytree(broken / "mini", broken / "day-050")
    _edit(broken / "course.toml", '"mini"]', '"mini", "day-050"]')
    assert _problems(broken) == [
        "course/day-050/lesson.toml: id: 'mini' must be the lesson's folder name, 'day-050'"
    ]


def test_unknown_simulation_scenario_is_named(broken: Path) -> None:
    _edit(broken / "sample" / "lesson.toml", 'scenario = "happy"', 'scenario = "hapy"')
    assert any(
        p.startswith(
            "course/sample/lesson.toml: sections[3].blocks[3].scenario: unknown scenario 'hapy'"
        )
        and "happy" in p
        for p in _problems(broken)
    )


def test_loading_for_the_quiz_does_not_import_the_simulation() -> None:
    """Scenario names are checked by `content check` only: the quiz must not pay for SimPy."""
    loaded = modules_after(
        f"from eventlesson.content import load_lesson\nload_lesson(None, {str(FIXTURE_COURSE)!r})"
    )
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
    _edit(broken / "sample" / "quiz.toml", 'set = "knowledge-check"\n', "")
    assert "course/sample/quiz.toml: questions[0].set: missing" in _problems(broken)


UNKNOWN_KEYS = [
    # (file, old, new, the problem line expected)
    ("lesson.toml", 'summary = "', 'sumary = "', "sumary: unknown key (did you mean 'summary'?)"),
    (
        "lesson.toml",
        'recap = "The welcome',
        'recpa = "The welcome',
        "sections[0].recpa: unknown key",
    ),
    (
        "lesson.toml",
        'file = "pages/welcome.md"',
        'file = "pages/welcome.md"\n  caption = "x"',
        "sections[0].blocks[0].caption: unknown key",
    ),
    (
        "lesson.toml",
        'scenario = "happy"',
        'scenario = "happy"\n  titel = "x"',
        "sections[3].blocks[3].titel: unknown key",
    ),
    (
        "lesson.toml",
        'label = "thing.happened"',
        'labl = "thing.happened"',
        "sections[3].blocks[1].tree.children[0].labl: unknown key (did you mean 'label'?)",
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
        'message = "DoThing"',
        'mesage = "DoThing"',
        "checks[0].items[0].mesage: unknown key (did you mean 'message'?)",
    ),
    (
        "lesson.toml",
        'id = "order-first"',
        'id = "order-first"\n  set = "practice"',
        "checks[1].questions[0].set: unknown key",
    ),
    (
        "lesson.toml",
        'text = "Every consumer agrees"',
        'txt = "Every consumer agrees"',
        "checks[1].questions[0].options[0].txt: unknown key (did you mean 'text'?)",
    ),
    (
        "lesson.toml",
        'detail = "Prose, panels',
        'details = "Prose, panels',
        "objectives[0].details: unknown key (did you mean 'detail'?)",
    ),
    (
        "lesson.toml",
        'detail = "Publish only',
        'detial = "Publish only',
        "insights[0].detial: unknown key (did you mean 'detail'?)",
    ),
    (
        "lesson.toml",
        'focus = "Nothing',
        'focsu = "Nothing',
        "resources[0].focsu: unknown key (did you mean 'focus'?)",
    ),
    (
        "lesson.toml",
        'meaning = "A fact',
        'meanin = "A fact',
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
    _edit(broken / "sample" / file, old, new)
    problems = _problems(broken)
    assert any(p.startswith(f"course/sample/{file}: {expected}") for p in problems), problems


def test_duplicate_question_ids_are_reported_where_they_occur(broken: Path) -> None:
    _edit(broken / "sample" / "lesson.toml", 'id = "kinds-get-thing"', 'id = "kinds-do-thing"')
    _edit(broken / "sample" / "quiz.toml", 'id = "pr-lag"', 'id = "order-wait"')
    problems = _problems(broken)
    assert (
        "course/sample/lesson.toml: checks[0].items[2].id: question id "
        "'kinds-do-thing' is used more than once (first at checks[0].items[0].id)"
    ) in problems
    assert (
        "course/sample/quiz.toml: questions[4].id: question id 'order-wait' is used more "
        "than once (first at course/sample/lesson.toml: checks[1].questions[1].id)"
    ) in problems


def test_classify_choices_need_a_note(broken: Path) -> None:
    lesson = broken / "sample" / "lesson.toml"
    text = lesson.read_text()
    start = text.index('  note = "A query')
    lesson.write_text(text[:start] + text[text.index("\n", start) + 1 :])
    assert "course/sample/lesson.toml: checks[0].choices[1].note: missing" in _problems(broken)


def test_classify_choices_as_plain_strings_are_refused(broken: Path) -> None:
    lesson = broken / "mini" / "lesson.toml"
    text = lesson.read_text()
    start = text.index("  [[checks.choices]]")
    end = text.index("  [[checks.items]]")
    lesson.write_text(text[:start] + 'choices = ["Command", "Query", "Event"]\n' + text[end:])
    problems = _problems(broken)
    assert (
        "course/mini/lesson.toml: checks[0].choices[0]: expected a table (text, note), got text"
        in (problems)
    )


def test_fixture_classify_explanations() -> None:
    question = load_lesson("mini", FIXTURE_COURSE).check("mini-check").questions[0]
    assert [o.explanation for o in question.options] == [
        "Not a command. A command asks for work.",
        "Not a query. A query asks for information.",
        "It states a fact.",
    ]


def test_section_index_and_unknown_section() -> None:
    lesson = load_lesson("mini", FIXTURE_COURSE)
    assert lesson.section_index("three") == 2
    assert lesson.section_title("nope") == "nope"
    with pytest.raises(KeyError):
        lesson.section_index("nope")


# -- hostile and broken files: reported, never a crash, a hang or a control code ----------------


def test_control_characters_are_reported_where_they_are(broken: Path) -> None:
    _edit(broken / "sample" / "lesson.toml", 'title = "Remember"', 'title = "Re\\u001b]0;x\\u0007"')
    page = broken / "sample" / "pages" / "failure.md"
    page.write_text(page.read_text() + "\nclipboard \x1b]52;c;cm0gLXJmIH4=\x07 here\n")
    _edit(broken / "sample" / "quiz.toml", 'text = "DoThing"', 'text = "Do\\u009bThing"')
    problems = _problems(broken)
    assert (
        "course/sample/lesson.toml: sections[1].blocks[0].title: control character (U+001B, U+0007)"
        in problems
    )
    assert "course/sample/pages/failure.md: line 4: control character (U+001B, U+0007)" in problems
    assert "course/sample/quiz.toml: questions[0].options[1].text: control character (U+009B)" in (
        problems
    )
    with pytest.raises(ContentError, match="control character"):
        load_lesson("sample", broken)


def test_deeply_nested_toml_is_reported(broken: Path) -> None:
    (broken / "sample" / "quiz.toml").write_text("format_version = 1\nx = " + "[" * 100_000)
    tree = '{label = "leaf"}'
    for _ in range(60):  # valid TOML, but a tree 60 levels deep
        tree = f'{{label = "x", children = [{tree}]}}'
    mini = broken / "mini" / "lesson.toml"
    mini.write_text(
        mini.read_text().replace(
            "[[checks]]",
            f'[[sections]]\nid = "deep"\ntitle = "Deep"\n[[sections.blocks]]\nkind = "tree"\n'
            f"tree = {tree}\n\n[[checks]]",
            1,
        )
    )
    problems = _problems(broken)
    assert any(p.startswith("course/sample/quiz.toml: -: TOML") for p in problems), problems
    assert any(
        p.startswith("course/mini/lesson.toml: sections[3].blocks[0].tree.children[0]")
        and p.endswith("nested too deeply (more than 40 levels)")
        for p in problems
    ), problems


def test_a_folder_that_cannot_be_entered_is_reported(
    broken: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_glob = Path.glob

    def denied(self: Path, pattern: str):  # what a folder without the x bit gives a non-root user
        if self == broken:
            raise PermissionError(13, "Permission denied")
        return real_glob(self, pattern)

    monkeypatch.setattr(Path, "glob", denied)
    assert _problems(broken) == [f"{broken}: -: cannot open (Permission denied)"]


def test_a_lesson_folder_that_is_a_symlink_loop_is_reported(broken: Path) -> None:
    shutil.rmtree(broken / "mini")
    (broken / "mini").symlink_to(broken / "mini")
    assert _problems(broken) == [
        "course/course.toml: lessons[1]: course/mini/lesson.toml cannot be opened "
        "(Too many levels of symbolic links)"
    ]


def test_a_lesson_folder_the_learner_cannot_enter_is_reported(broken: Path) -> None:
    """For real, as root too: the check runs without the power to read any file (see as_learner)."""
    (broken / "mini").chmod(0o000)
    try:
        argv = as_learner([sys.executable, "-m", "eventlesson", "content", "check", str(broken)])
        result = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=60)
    finally:
        (broken / "mini").chmod(0o755)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stdout.splitlines() == [
        "course/course.toml: lessons[1]: course/mini/lesson.toml cannot be opened "
        "(Permission denied)"
    ]


def test_a_fifo_or_a_huge_file_is_refused_without_reading_it(broken: Path) -> None:
    page = broken / "sample" / "pages" / "failure.md"
    page.unlink()
    os.mkfifo(page)  # opening it for reading would wait for a writer forever
    quiz = broken / "sample" / "quiz.toml"
    with quiz.open("a") as handle:
        handle.write("# " + "x" * 1_000_000 + "\n")
    problems = _problems(broken)
    assert (
        "course/sample/lesson.toml: sections[5].blocks[0].file: course/sample/pages/failure.md "
        "not a regular file" in problems
    )
    assert any(
        p.startswith("course/sample/quiz.toml: -: larger than the 1,000,000 byte limit")
        for p in problems
    )


def test_a_title_of_fifty_megabytes_is_refused_fast(broken: Path) -> None:
    _edit(broken / "sample" / "lesson.toml", 'title = "Welcome"', f'title = "{"W" * 50_000_000}"')
    assert any("larger than the 1,000,000 byte limit" in p for p in _problems(broken))
    _edit(broken / "sample" / "lesson.toml", "W" * 50_000_000, "W" * 300)
    assert "course/sample/lesson.toml: sections[0].title: longer than 200 characters (300)" in (
        _problems(broken)
    )


def test_answers_are_letters_a_to_z_and_at_most_26_options(broken: Path) -> None:
    quiz = broken / "sample" / "quiz.toml"
    _edit(quiz, 'answer = "A"', 'answer = "["')
    many = "".join(
        f'  [[questions.options]]\n  text = "o{i}"\n  explanation = "e{i}"\n' for i in range(27)
    )
    quiz.write_text(
        quiz.read_text()
        + f'[[questions]]\nid = "many"\nset = "practice"\nsection = "panels"\nprompt = "?"\nanswer = "A"\n{many}'
    )
    problems = _problems(broken)
    assert (
        'course/sample/quiz.toml: questions[0].answer: expected one letter, A to Z, e.g. "A"'
        in (problems)
    )
    assert "course/sample/quiz.toml: questions[6].options: has 27 options; at most 26" in problems


@pytest.mark.parametrize(
    ("where", "old", "new", "expected"),
    [
        (
            "pages/failure.md",
            "a ghost event.",
            "a ghost event.\n\n> quoted",
            "course/sample/pages/failure.md: line 4: unsupported Markdown: a block quote (>)",
        ),
        (
            "pages/welcome.md",
            "- a bullet point",
            "- a bullet point\n  - nested",
            "course/sample/pages/welcome.md: line 8: unsupported Markdown: a nested list",
        ),
        (
            "lesson.toml",
            'text = "A **command** asks; an *event* tells."',
            'text = "A **command asks; an *event* tells."',
            "course/sample/lesson.toml: sections[1].blocks[0].text: unclosed ** or `",
        ),
        (
            "lesson.toml",
            'meaning = "A fact that already happened."',
            'meaning = "A fact <b>that</b> already happened."',
            "course/sample/lesson.toml: glossary[0].meaning: unsupported Markdown: an HTML tag",
        ),
    ],
)
def test_prose_outside_the_markdown_subset_is_reported(
    broken: Path, where: str, old: str, new: str, expected: str
) -> None:
    _edit(broken / "sample" / where, old, new)
    problems = _problems(broken)
    assert any(p.startswith(expected) for p in problems), problems


def test_classify_items_carry_context_and_rebuttals(broken: Path) -> None:
    question = fixture_lesson().check("kinds").questions[2]  # GetThing
    assert question.context == "The dashboard sends it and shows what comes back."
    assert (
        question.options[0].explanation
        == "Not a command. Nothing is done on anyone's behalf: it reads."
    )
    assert question.options[2].explanation.startswith("Not an event. An event states a fact")
    lesson = broken / "sample" / "lesson.toml"
    _edit(lesson, '  wrong.A = "Nothing', '  wrong.D = "Nothing')
    _edit(lesson, '  why = "It reports a fact."', '  why = "It reports a fact."\n  wrong.C = "x"')
    problems = _problems(broken)
    assert (
        "course/sample/lesson.toml: checks[0].items[2].wrong.D: not a letter of the choices (A-C)"
        in problems
    )
    assert (
        "course/sample/lesson.toml: checks[0].items[1].wrong.C: is the right answer, not a wrong one"
        in problems
    )


def test_a_quiz_block_needs_a_set_with_questions(broken: Path) -> None:
    _edit(broken / "sample" / "lesson.toml", 'quiz = "knowledge-check"', 'quiz = "practise"')
    problems = _problems(broken)
    assert any(
        p.startswith("course/sample/lesson.toml: sections[7].blocks[0].quiz:") for p in problems
    )
    (broken / "mini" / "quiz.toml").write_text(
        (broken / "mini" / "quiz.toml")
        .read_text()
        .replace('set = "knowledge-check"', 'set = "practice"')
    )
    assert (
        "course/mini/lesson.toml: sections[2].blocks[2].quiz: the lesson has no quiz questions "
        "in the 'knowledge-check' set"
    ) in _problems(broken)


def test_a_prediction_must_name_a_known_scenario_and_known_outcomes(broken: Path) -> None:
    lesson = broken / "sample" / "lesson.toml"
    _edit(
        lesson,
        'scenario = "publish-before-commit"\ntitle = "Too early"',
        'scenario = "publish-first"\ntitle = "Too early"',
    )
    _edit(lesson, 'outcome = "no-ghost-events"', 'outcome = "no-ghosts"')
    _edit(lesson, '    outcome = "ghost-events"\n', "")
    problems = _problems(broken)
    assert any(
        p.startswith(
            "course/sample/lesson.toml: checks[2].scenario: unknown scenario 'publish-first'"
        )
        for p in problems
    ), problems
    assert (
        "course/sample/lesson.toml: checks[2].questions[0].options[0].outcome: unknown outcome "
        "'no-ghosts' (did you mean 'no-ghost-events'?)"
    ) in problems
    assert (
        "course/sample/lesson.toml: checks[2].questions[0].options[1].outcome: the right answer "
        "must name the outcome a run shows"
    ) in problems


def test_a_practice_prediction_is_pinned_like_a_lesson_prediction(broken: Path) -> None:
    """A quiz "predict" question names the scenario of its situation and the outcomes its
    options claim; `content check` refuses what no run could measure."""
    quiz = broken / "sample" / "quiz.toml"
    _edit(quiz, 'scenario = "publish-before-commit"\n', 'scenario = "publish-first"\n')
    _edit(quiz, 'outcome = "no-ghost-events"', 'outcome = "no-ghosts"')
    _edit(quiz, 'scenario = "slow-consumer"\n', "")
    mini = broken / "mini" / "quiz.toml"
    _edit(mini, '  outcome = "ghost-events"\n', "")
    problems = _problems(broken)
    assert any(
        p.startswith(
            "course/sample/quiz.toml: questions[3].scenario: unknown scenario 'publish-first'"
        )
        for p in problems
    ), problems
    assert (
        "course/sample/quiz.toml: questions[3].options[0].outcome: unknown outcome 'no-ghosts' "
        "(did you mean 'no-ghost-events'?)"
    ) in problems
    assert (
        "course/sample/quiz.toml: questions[4].scenario: a predict question names the scenario "
        "it describes"
    ) in problems
    assert (
        "course/mini/quiz.toml: questions[1].options[0].outcome: the right answer must name the "
        "outcome a run shows"
    ) in problems


def test_only_a_predict_question_names_a_scenario_or_outcomes(broken: Path) -> None:
    quiz = broken / "sample" / "quiz.toml"
    _edit(
        quiz,
        'kind = "choice"\nprompt = "Who decides',
        'kind = "choice"\nscenario = "happy"\nprompt = "Who decides',
    )
    _edit(quiz, '  text = "The broker"\n', '  text = "The broker"\n  outcome = "ghost-events"\n')
    problems = _problems(broken)
    assert (
        'course/sample/quiz.toml: questions[5].scenario: only a question of kind "predict" names '
        "a scenario"
    ) in problems, problems
    assert (
        "course/sample/quiz.toml: questions[5].options[0].outcome: only a question of kind "
        '"predict" names outcomes'
    ) in problems
