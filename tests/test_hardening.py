"""Faults and bad input, run as real processes: no stdin, closed stdin, bad files, no permission."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .support import REPO, SHIPPED_CONTENT

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
    (["learn"], 0, "15/15"),
    (["quiz"], 2, "--answers"),
    (["quiz", "--set", "practice"], 2, "--answers"),
    (["simulate", "happy", "--purchases", "3", "--speed", "1000"], 0, "enrollment"),
    (["lessons"], 0, "day-089"),
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
    assert result.stderr == "eventlesson: error: unknown lesson '[bold]x[/]'; available: day-089\n"


def test_toml_syntax_error_names_the_file(home: Path, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(SHIPPED_CONTENT, content)
    (content / "day-089" / "quiz.toml").write_text("format_version = 1\n[[questions]\nid = 3\n")
    result = run(["--content-dir", str(content), "quiz", "--answers", "A,A,A"], home)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "eventlesson: error: content/day-089/quiz.toml: -: TOML syntax error"
    )
    assert result.stderr.count("\n") == 1


def test_unwritable_progress_still_runs_with_one_warning(home: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run(["quiz", "--answers", "A,A,A", "--json"], blocker / "home")
    assert result.returncode == 0
    assert '"score": 3' in result.stdout
    assert result.stderr.count("warning:") == 1 and "progress will not be kept" in result.stderr
