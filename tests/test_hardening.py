"""Faults and bad input, run as real processes: no stdin, closed stdin, bad files, no permission."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .support import FIXTURE_COURSE, REPO, ended, fixture_lesson, position

ESC = "\x1b"


def run(
    args: list[str],
    home: Path,
    *,
    stdin: int | None = subprocess.DEVNULL,
    close_stdin: bool = False,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    full_env.update(EVENTLESSON_HOME=str(home), PYTHONPATH=str(REPO), **env)
    argv = [sys.executable, "-m", "eventlesson", *args]
    if close_stdin:  # the program starts with file descriptor 0 closed
        argv = ["bash", "-c", 'exec "$@" <&-', "bash", *argv]
        stdin = None
    return subprocess.run(
        argv, stdin=stdin, capture_output=True, text=True, env=full_env, timeout=60, cwd=REPO
    )


COMMANDS = [
    (["learn"], 0, position("wrap-up")),
    (["quiz"], 2, "--answers"),
    (["quiz", "--set", "practice"], 2, "--answers"),
    (["simulate", "happy", "--purchases", "3", "--speed", "1000"], 0, "enrollment"),
    (["lessons"], 0, "sample"),
    (["progress"], 0, "pages done"),
    (["progress", "--reset"], 2, "--yes"),
    (["content", "check"], 0, "ok:"),
]


@pytest.mark.parametrize(
    ("args", "code", "needle"), COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
@pytest.mark.parametrize("closed", [False, True], ids=["piped", "closed"])
def test_no_terminal_never_hangs(
    args: list[str], code: int, needle: str, closed: bool, home: Path
) -> None:
    result = run(args, home, close_stdin=closed)
    assert result.returncode == code, result.stderr
    assert needle in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert ESC not in result.stdout  # not a terminal: plain text only
    if code == 2:
        assert result.stderr.count("\n") == 1  # one clear line


@pytest.mark.parametrize(
    "args", [["learn", "--print"], ["simulate", "happy", "--plain", "--purchases", "3"]]
)
def test_plain_outputs_have_no_escape_codes_with_no_color(args: list[str], home: Path) -> None:
    result = run(args, home, NO_COLOR="1", TERM="xterm-256color")
    assert result.returncode == 0
    assert ESC not in result.stdout


def test_markup_typed_by_the_learner_is_shown_literally(home: Path) -> None:
    result = run(["learn", "[bold]x[/]"], home)
    assert result.returncode == 2
    assert (
        result.stderr
        == "eventlesson: error: unknown lesson '[bold]x[/]'; available: sample, mini\n"
    )


def test_toml_syntax_error_names_the_file(home: Path, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_COURSE, content)
    (content / "sample" / "quiz.toml").write_text("format_version = 1\n[[questions]\nid = 3\n")
    result = run(["--content-dir", str(content), "quiz", "--answers", "A,A,A"], home)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "eventlesson: error: content/sample/quiz.toml: -: TOML syntax error"
    )
    assert result.stderr.count("\n") == 1


def test_unwritable_progress_still_runs_with_one_warning(home: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run(["quiz", "--answers", "A,A,A", "--json"], blocker / "home")
    assert result.returncode == 0
    assert '"score": 3' in result.stdout
    assert result.stderr.count("warning:") == 1 and "progress will not be kept" in result.stderr


# -- progress: bad files, resets, a home that cannot be written -------------------------------


def _write_progress(home: Path, lessons: dict) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "progress.json"
    path.write_text(json.dumps({"format_version": 1, "lessons": lessons}))
    return path


@pytest.mark.parametrize(
    "record",
    [{"attempts": "3"}, {"answers": {"kc-event": "b"}}, {"best": True}],
    ids=["attempts-text", "answer-letter", "best-bool"],
)
def test_progress_field_of_the_wrong_type_warns_backs_up_and_quiz_runs(
    home: Path, record: dict
) -> None:
    _write_progress(home, {"sample": {"quiz": {"knowledge-check": record}}})
    result = run(["quiz", "--answers", "A,A,A", "--json"], home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("warning:") == 1 and "starting fresh" in result.stderr
    assert len(list(home.glob("progress.bad-*.json"))) == 1
    saved = json.loads((home / "progress.json").read_text())
    assert saved["lessons"]["sample"]["quiz"]["knowledge-check"]["attempts"] == 1


def test_check_answer_of_the_wrong_type_does_not_break_rendering(home: Path) -> None:
    check = {"chosen": "b", "correct": True, "at": "2026-01-01T00:00:00+00:00"}
    _write_progress(home, {"sample": {"current": "check-kinds", "checks": {"q": check}}})
    result = run(["progress"], home)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert result.stderr.count("warning:") == 1
    assert "checks.q.chosen: expected a whole number" in result.stderr


def _progress_is_a_directory(tmp_path: Path) -> Path:
    (tmp_path / "h" / "progress.json").mkdir(parents=True)
    return tmp_path / "h"


def _home_is_a_file(tmp_path: Path) -> Path:
    (tmp_path / "h").write_text("")
    return tmp_path / "h"


@pytest.mark.parametrize("make_home", [_progress_is_a_directory, _home_is_a_file])
def test_reset_that_cannot_remove_the_file_is_one_line(tmp_path: Path, make_home) -> None:
    result = run(["progress", "--reset", "--yes"], make_home(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("eventlesson: error: cannot clear progress at ")
    assert result.stderr.count("\n") == 1


def test_reset_of_an_unknown_lesson_changes_nothing(home: Path) -> None:
    path = _write_progress(home, {"sample": {"current": "panels"}})
    before = path.read_bytes()
    result = run(["progress", "nope", "--reset", "--yes"], home)
    assert result.returncode == 2
    assert result.stderr == "eventlesson: error: unknown lesson 'nope'; available: sample, mini\n"
    assert "cleared" not in result.stdout
    assert path.read_bytes() == before


def test_reset_of_one_lesson_keeps_the_others(home: Path) -> None:
    path = _write_progress(home, {"sample": {"current": "panels"}, "day-090": {"current": "x"}})
    result = run(["progress", "sample", "--reset", "--yes"], home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Progress in sample cleared."
    assert list(json.loads(path.read_text())["lessons"]) == ["day-090"]
    again = run(["progress", "sample", "--reset", "--yes"], home)
    assert again.stdout.strip() == "There was no progress in sample to clear."
    everything = run(["progress", "--reset", "--yes"], home)
    assert everything.stdout.strip() == "Progress cleared." and not path.exists()


def test_progress_shows_times_readably_in_local_time(home: Path) -> None:
    stamp = "2026-11-26T13:28:51+00:00"
    record = {"attempts": 1, "best": 2, "last": 2, "total": 3, "at": stamp}
    _write_progress(
        home, {"sample": {"current": "panels", "updated_at": stamp, "quiz": {"kc": record}}}
    )
    result = run(["progress"], home, TZ="Asia/Tokyo", COLUMNS="100")  # UTC+9, no summer time
    assert result.returncode == 0, result.stderr
    assert "Last active: 2026-11-26 22:28" in result.stdout
    assert "2026-11-26 22:28" in result.stdout.split("Quiz", 1)[1]  # the quiz table too
    assert "T13:28" not in result.stdout and "+00:00" not in result.stdout


def test_bare_group_prints_its_help_readably(home: Path) -> None:
    result = run(["content"], home)
    assert result.returncode == 2  # as click does for a group with no subcommand
    assert "error:" not in result.stderr and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "Usage: eventlesson content [OPTIONS] COMMAND [ARGS]..."
    assert "Tools for lesson authors." in [line.strip() for line in lines]
    assert any(line.strip().startswith("check ") for line in lines)  # one command a line


def _parent_is_a_file(tmp_path: Path) -> Path:
    (tmp_path / "f").write_text("")
    return tmp_path / "f" / "h"


@pytest.mark.pty
@pytest.mark.parametrize("make_home", [_home_is_a_file, _parent_is_a_file])
def test_learn_in_an_unwritable_home_runs_with_one_warning(
    spawn: Any, tmp_path: Path, make_home
) -> None:
    """End to end in a terminal, as root too: a session saves on every page, warns once, before
    the full-screen view opens (so the warning is on the screen the view gives back)."""
    pytest.importorskip("pexpect")
    home = make_home(tmp_path)
    child = spawn("learn", EVENTLESSON_HOME=str(home))
    seen = io.StringIO()
    child.logfile_read = seen
    first, second = (s.id for s in fixture_lesson().sections[:2])  # no check on these two
    child.expect(position(first))
    for key, section_id in (("n", second), ("b", first), ("n", second)):
        child.send(key)
        child.expect(position(section_id))
    child.send("q")
    ended(child, 0)
    output = seen.getvalue()
    # said once, before the full-screen view opens: still on the screen when it closes
    before, _, rest = output.partition("\x1b[?1049h")
    assert before.count("warning:") == 1 and "progress will not be kept" in before
    assert "warning:" not in rest


LONG_WARNING = (
    "cannot write /tmp/a/rather/long/path/to/progress.json: Permission denied; progress will "
    "not be kept"
)


@pytest.mark.parametrize("width", [80, 40])
def test_a_warning_on_a_terminal_wraps_at_words_under_its_label(home: Path, width: int) -> None:
    from rich.console import Console

    from eventlesson.app import App
    from eventlesson.environment import Environment
    from eventlesson.ui.console import THEME

    buffer = io.StringIO()
    err = Console(file=buffer, width=width, force_terminal=True, color_system=None, theme=THEME)
    app = App(
        console=Console(file=io.StringIO()),
        err=err,
        stdin_tty=False,
        stdout_tty=False,
        env=Environment(home=home),
    )
    app.warn(LONG_WARNING)
    lines = buffer.getvalue().splitlines()
    assert len(lines) > 1 and all(len(line) <= width for line in lines)
    assert lines[0].startswith("warning: cannot write")
    assert all(line.startswith(" " * len("warning: ")) for line in lines[1:])  # under the label
    words = " ".join(line.strip() for line in lines).split()
    whole = [w for w in LONG_WARNING.split() if "/" not in w]  # a path may be folded
    assert all(w in words for w in whole)  # no word cut in two
    assert all(line == line.rstrip() for line in lines)


def test_an_error_from_a_flow_begins_as_the_clis_own_error_lines(make_app) -> None:
    app = make_app()
    app.error("the run did not drain")
    assert make_app.errors.getvalue() == "eventlesson: error: the run did not drain\n"


def test_a_warning_into_a_pipe_stays_one_line(make_app) -> None:
    app = make_app()
    app.warn(LONG_WARNING)
    assert make_app.errors.getvalue() == f"warning: {LONG_WARNING}\n"


BAD_SET = (
    "eventlesson: error: unknown question set 'nope'; use one of: knowledge-check, practice, all"
)


@pytest.mark.parametrize(("width", "indent"), [(80, len("eventlesson: error: ")), (40, 2)])
def test_an_error_for_a_person_wraps_at_words(width: int, indent: int) -> None:
    from eventlesson.text import hanging

    lines = hanging(BAD_SET, width, len("eventlesson: error: ")).splitlines()
    assert len(lines) > 1 and all(len(line) <= width for line in lines)
    assert all(line.startswith(" " * indent) and line[indent] != " " for line in lines[1:])
    assert " ".join(line.strip() for line in lines) == BAD_SET  # no word cut in two
    assert hanging("eventlesson: error: short", width, 20) == "eventlesson: error: short"


@pytest.mark.pty
def test_an_error_on_a_narrow_terminal_breaks_at_words(spawn: Any) -> None:
    child = spawn("quiz", "--set", "nope", cols=40)
    out = ended(child, 2)
    lines = [line.rstrip() for line in out.replace("\r", "").splitlines() if line.strip()]
    assert lines[0] == "eventlesson: error: unknown question set"
    assert " ".join(line.strip() for line in lines) == BAD_SET
