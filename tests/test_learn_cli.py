"""The learn, lessons, progress and content commands through typer's CliRunner."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventlesson import __version__
from eventlesson.cli import app
from eventlesson.flows.info import when

from .support import FIXTURE_COURSE, fixture_lesson, position

ESC = "\x1b"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def test_version(runner: CliRunner) -> None:
    result = run(runner, "--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"eventlesson {__version__}"


def test_help_on_every_command(runner: CliRunner) -> None:
    for args in ([], ["learn"], ["lessons"], ["progress"], ["content"], ["content", "check"]):
        result = run(runner, *args, "--help")
        assert result.exit_code == 0, args
        assert "Usage" in result.stdout


def test_print_shows_every_block_kind_as_plain_text(runner: CliRunner) -> None:
    result = run(runner, "learn", "--print")
    assert result.exit_code == 0
    text = result.stdout
    assert ESC not in text
    for needle in (
        "Sample: Every Kind of Block",  # the default lesson of the fixture course
        "A sample lesson",  # markdown, with its heading
        "Walk every kind of page",
        "Remember",  # a callout
        "tell me this",  # a table cell
        "thing.happened",  # the tree
        "def complete(store, bus, thing):",  # code
        "To watch it live: .venv/bin/eventlesson simulate happy",  # as the quick start names it
        "Facts follow commits",  # insights
        "A Sample Resource",
        "A fact that already happened.",  # glossary
        "[bold]markup[/]",  # shown literally, never as markup
    ):
        assert needle in text, needle
    # a page's checks are asked first, their answers and reasons follow on the same page
    page = text[text.index(position("check-kinds")) : text.index(position("fan-out"))]
    assert page.index("What kind of message is GetThing?") < page.index("Answers")
    assert "(The dashboard sends it and shows what comes back.)" in page  # an item's context
    assert re.search(rf"{position('wrap-up')}\s+Wrap-up", text)
    end = text[text.index(position("knowledge-check")) :]  # the handout ends with the knowledge
    assert end.index("Which message states a fact?") < end.index("Answers")  # check and answers
    assert "A (right): An event: it states something that already happened." in end
    assert not any(line.endswith(" ") for line in text.splitlines())


def test_no_terminal_means_linear_and_no_wait(runner: CliRunner) -> None:
    result = run(runner, "learn")  # CliRunner gives no terminal: prints, never waits
    assert result.exit_code == 0
    assert position("welcome") in result.stdout and position("wrap-up") in result.stdout


def test_bare_command_starts_the_default_lesson(runner: CliRunner) -> None:
    result = run(runner)
    assert result.exit_code == 0 and "Sample: Every Kind of Block" in result.stdout


def test_unknown_lesson_is_one_line_exit_2(runner: CliRunner) -> None:
    result = run(runner, "learn", "day-999")
    assert result.exit_code == 2
    assert (
        result.stderr == "eventlesson: error: unknown lesson 'day-999'; available: sample, mini\n"
    )


def test_bad_option_is_one_line_exit_2(runner: CliRunner) -> None:
    result = run(runner, "learn", "--bogus")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "No such option: --bogus" in result.stderr


def test_missing_content_dir_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "--content-dir", str(tmp_path / "nope"), "learn", "--print")
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("nope: content directory not found")
    assert "Traceback" not in result.output


def test_content_dir_from_environment(runner: CliRunner, tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_COURSE, tmp_path / "course")
    course = tmp_path / "course" / "course.toml"
    course.write_text(course.read_text().replace('default = "sample"', 'default = "mini"'))
    result = runner.invoke(
        app, ["learn", "--print"], env={"EVENTLESSON_CONTENT_DIR": str(tmp_path / "course")}
    )
    assert result.exit_code == 0 and "Mini: A Fixture Lesson" in result.stdout
    assert "[bold]markup-looking text[/]" in result.stdout  # shown literally, never as markup


def test_markdown_missing_names_the_file(runner: CliRunner, tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_COURSE, tmp_path / "content")
    (tmp_path / "content" / "sample" / "pages" / "failure.md").unlink()
    result = run(runner, "--content-dir", str(tmp_path / "content"), "learn", "--print")
    assert result.exit_code == 1
    assert "failure.md not found" in result.stderr and result.stderr.count("\n") == 1


def test_content_check_ok_and_broken(runner: CliRunner, tmp_path: Path) -> None:
    ok = run(runner, "content", "check")
    assert ok.exit_code == 0 and ok.stdout.startswith("ok:")
    shutil.copytree(FIXTURE_COURSE, tmp_path / "content")
    lesson = tmp_path / "content" / "sample" / "lesson.toml"
    lesson.write_text(
        lesson.read_text().replace('file = "pages/failure.md"', 'file = "pages/missing.md"')
    )
    bad = run(runner, "content", "check", str(tmp_path / "content"))
    assert bad.exit_code == 1
    assert "content/sample/lesson.toml: sections[5].blocks[0].file:" in bad.stdout
    assert "missing.md not found" in bad.stdout


def test_lessons_and_progress(
    runner: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = run(runner, "lessons")
    assert listing.exit_code == 0 and "new" in listing.stdout
    assert listing.stdout.index("sample") < listing.stdout.index("mini")  # course.toml's order
    total = len(fixture_lesson().sections)
    empty = run(runner, "progress")
    assert empty.exit_code == 0 and f"0 of {total} pages done" in empty.stdout
    home.mkdir(parents=True, exist_ok=True)
    (home / "progress.json").write_text(
        json.dumps(
            {
                "format_version": 1,
                "lessons": {
                    "sample": {
                        "current": "fan-out",
                        "done": ["welcome", "panels", "check-kinds"],
                        "quiz": {
                            "knowledge-check": {
                                "attempts": 2,
                                "best": 3,
                                "last": 2,
                                "total": 3,
                                "at": "2026-01-01T00:00:00+00:00",
                            }
                        },
                    }
                },
            }
        )
    )
    shown = run(runner, "progress")
    assert f"3 of {total} pages done" in shown.stdout
    assert "One fact, many consumers" in shown.stdout
    assert "knowledge-check" in shown.stdout and "3/3" in shown.stdout
    assert "started" in run(runner, "lessons").stdout
    # below 60 columns: one line of facts per quiz set, not five columns breaking every word
    monkeypatch.setenv("COLUMNS", "40")
    narrow = run(runner, "progress").stdout
    assert "┃" not in narrow and max(len(line) for line in narrow.splitlines()) <= 40
    assert "2 attempts · best 3/3 · last 2/3 ·" in narrow


STAMP = "2026-01-01T10:00:00+00:00"


def test_progress_and_lessons_show_each_exercises_state(
    runner: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = " ".join(run(runner, "progress").stdout.split())
    assert "Exercises: 0/2 passing order not started once not started" in shown
    assert "0/2 passing" in run(runner, "lessons").stdout
    home.mkdir(parents=True, exist_ok=True)
    exercises = {
        "order": {"state": "passing", "checks": 3, "hints": 1, "passed_at": STAMP},
        "once": {"state": "failing", "checks": 1},
    }
    data = {"format_version": 1, "lessons": {"sample": {"exercises": exercises}}}
    (home / "progress.json").write_text(json.dumps(data))
    shown = " ".join(run(runner, "progress").stdout.split())
    assert "Exercises: 1/2 passing" in shown
    assert f"order passing · 3 checks · 1 of 2 hints · first passed {when(STAMP)}" in shown
    assert "once failing · 1 check " in shown + " "
    listing = run(runner, "lessons").stdout
    assert re.search(r"sample .* 1/2 passing", listing)
    assert re.search(r"mini .* - ", listing)  # a lesson without exercises
    # below 60 columns: a lesson's lines, its title whole, not a table squeezed to nothing
    monkeypatch.setenv("COLUMNS", "40")
    narrow = run(runner, "lessons").stdout
    assert "┃" not in narrow
    sample = fixture_lesson()
    words = " ".join(narrow.split())
    assert (
        f"sample {sample.title} new · 0/{len(sample.sections)} pages · 1/2 exercises passing"
        in words
    )
    assert max(len(line) for line in narrow.splitlines()) <= 40


def test_progress_reset(runner: CliRunner, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "progress.json").write_text('{"format_version": 1, "lessons": {}}')
    refused = run(runner, "progress", "--reset")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert (home / "progress.json").exists()
    done = run(runner, "progress", "--reset", "--yes")
    assert done.exit_code == 0 and "Progress cleared." in done.stdout
    assert not (home / "progress.json").exists()
    assert run(runner, "progress", "--yes").exit_code == 2


def test_learn_yes_without_restart_is_refused_like_progress_yes(runner: CliRunner) -> None:
    result = run(runner, "learn", "--yes")
    assert result.exit_code == 2
    assert result.stderr.strip() == "eventlesson: error: --yes only goes with --restart"
    assert result.stdout == ""


def test_damaged_progress_warns_once_and_keeps_backup(runner: CliRunner, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "progress.json").write_text("{broken")
    result = run(runner, "progress")
    assert result.exit_code == 0
    assert result.stderr.count("warning:") == 1 and "starting fresh" in result.stderr
    assert list(home.glob("progress.bad-*.json"))


def test_progress_of_an_unfinished_quiz_shows_no_score(runner: CliRunner, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    record = {"attempts": 0, "total": 3, "answers": {"kc-event": 0}}
    data = {"format_version": 1, "lessons": {"sample": {"quiz": {"knowledge-check": record}}}}
    (home / "progress.json").write_text(json.dumps(data))
    shown = run(runner, "progress")
    assert "1 answered, not finished" in shown.stdout
    assert "0/3" not in shown.stdout


def test_progress_shows_names_from_the_file_literally(runner: CliRunner, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    record = {"attempts": 1, "best": 1, "last": 1, "total": 3}
    quiz = {"[reverse]x[/]": record, "y\x1b]0;title\x07": {"answers": {"q": 0}}}
    data = {"format_version": 1, "lessons": {"sample": {"quiz": quiz}}}
    (home / "progress.json").write_text(json.dumps(data))
    shown = run(runner, "progress")
    assert shown.exit_code == 0
    assert "[reverse]x[/]" in shown.stdout  # not taken as rich markup
    assert "\x1b" not in shown.stdout and "y\ufffd]0;title\ufffd" in shown.stdout


def test_progress_marked_finished_before_the_lesson_grew_is_not_finished(
    runner: CliRunner, home: Path
) -> None:
    """A progress file from before the lesson gained a page: its finish time and its pages do
    not make the lesson as it is now finished."""
    sample = fixture_lesson()
    *seen, _added = [s.id for s in sample.sections]  # as if the last page were new
    home.mkdir(parents=True, exist_ok=True)
    state = {"current": seen[-1], "done": seen, "finished_at": "2024-05-01T10:00:00+00:00"}
    data = {"format_version": 1, "lessons": {"sample": state}}
    (home / "progress.json").write_text(json.dumps(data))
    shown = run(runner, "progress").stdout
    total = len(sample.sections)
    assert f"Lesson: started, {total - 1} of {total} pages done." in shown
    assert "Next time you start at:" in shown
    listed = " ".join(run(runner, "lessons").stdout.split())
    assert "started" in listed and "finished" not in listed
