"""Output under faults (issue 14): what the program says about saving, files it must not overwrite,
closed and full outputs, hostile text in messages, encodings that cannot draw boxes.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from eventlesson.app import App
from eventlesson.content import load_lesson
from eventlesson.environment import Environment
from eventlesson.flows.quiz import run_quiz
from eventlesson.text import has_unsafe, json_text, unsafe_characters
from eventlesson.ui.console import make_console
from eventlesson.ui.prompts import ScriptedPrompter

from .support import FIXTURE_COURSE, REPO


def app_in(home: Path, prompter: ScriptedPrompter) -> tuple[App, io.StringIO]:
    errors = io.StringIO()
    app = App(
        console=make_console(io.StringIO(), width=80),
        err=make_console(errors, width=80),
        stdin_tty=True,
        stdout_tty=True,
        env=Environment(home=home, content_dir=str(FIXTURE_COURSE)),
        prompter_override=prompter,
    )
    return app, errors


# -- "Your progress is saved" only when it is ----------------------------------------------------


def test_stopping_where_nothing_can_be_saved_does_not_say_it_was(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    app, errors = app_in(blocker / "home", ScriptedPrompter([]))  # Ctrl-D at the first question
    assert run_quiz(app, "mini", set_name="knowledge-check") == 130
    said = errors.getvalue()
    assert "Your progress is saved" not in said
    assert "Stopped. Your progress could not be saved." in said
    assert said.count("progress will not be kept") == 1  # the store's warning, once


def test_stopping_where_progress_is_kept_says_so(tmp_path: Path) -> None:
    app, errors = app_in(tmp_path / "home", ScriptedPrompter([]))
    assert run_quiz(app, "mini", set_name="knowledge-check") == 130
    assert "Stopped. Your progress is saved." in errors.getvalue()
    assert (tmp_path / "home" / "progress.json").exists()


# -- real processes: closed, full and vanishing outputs (item 8) ------------------------------------


def run(
    args: list[str],
    home: Path,
    *,
    stdout: Any = subprocess.PIPE,
    shell_redirect: str = "",
    preexec: Any = None,
    cwd: Path = REPO,
    encoding: str = "utf-8",
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """`python -m eventlesson ARGS` as a learner's shell would start it."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS",)}
    full_env.update(EVENTLESSON_HOME=str(home), PYTHONPATH=str(REPO), **env)
    argv = [sys.executable, "-m", "eventlesson", *args]
    if shell_redirect:  # e.g. ">&-": the program starts with its stdout closed
        argv = ["bash", "-c", f'exec "$@" {shell_redirect}', "bash", *argv]
        stdout = None
    return subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        encoding=encoding,  # strict: bytes the encoding cannot hold fail the test
        env=full_env,
        timeout=60,
        cwd=cwd,
        preexec_fn=preexec,
    )


def one_error_line(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("eventlesson: error: cannot write to "), result.stderr
    assert needle in lines[-1], lines[-1]
    assert sum("error:" in line for line in lines) == 1


QUIZ_JSON = ["quiz", "mini", "--answers", "A", "--json"]
PRINT = ["learn", "--print"]
SIM_FAST = ["simulate", "--fast", "--purchases", "3"]


@pytest.mark.parametrize(
    "args",
    [QUIZ_JSON, PRINT, [*SIM_FAST, "--events", "-"]],
    ids=["quiz --json", "learn --print", "simulate --events -"],
)
def test_a_closed_stdout_is_one_line(args: list[str], home: Path) -> None:
    result = run(args, home, shell_redirect=">&-")
    one_error_line(result, "standard output: it is closed")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [
        PRINT,
        QUIZ_JSON,
        ["simulate", "--plain", "--purchases", "3", "--speed", "1000"],
        ["--version"],
    ],
    ids=["learn --print", "quiz --json", "simulate --plain", "--version"],
)
def test_stdout_on_a_full_disk_is_one_line(args: list[str], home: Path) -> None:
    with open("/dev/full", "w") as full:
        result = run(args, home, stdout=full)
    one_error_line(result, "standard output: No space left on device")


@pytest.mark.parametrize(
    "args",
    [["simulate", "--plain", "--speed", "100000", "--purchases", "2000"], PRINT],
    ids=["simulate --plain", "learn --print"],
)
def test_a_reader_that_leaves_early_is_no_error(args: list[str], home: Path) -> None:
    """`eventlesson ... | head -1`: the pipe closes under the program; it stops quietly with 0."""
    import fcntl

    full_env = {**os.environ, "EVENTLESSON_HOME": str(home), "PYTHONPATH": str(REPO)}
    read_end, write_end = os.pipe()
    if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux: a 4 KiB pipe, so the output (10 KiB+) outgrows it
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    child = subprocess.Popen(
        [sys.executable, "-m", "eventlesson", *args],
        stdin=subprocess.DEVNULL,
        stdout=write_end,
        stderr=subprocess.PIPE,
        env=full_env,
        cwd=REPO,
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        assert reader.readline()
    # the reader is gone (what `head -1` does after its line)
    assert child.stderr is not None
    errors = child.stderr.read().decode()
    assert child.wait(timeout=60) == 0, errors
    assert errors == ""


def file_size_limit(limit: int) -> Any:
    """A child whose files may not grow past `limit` bytes: writes then fail with EFBIG.

    Reliable on any POSIX machine without privileges, unlike filling a real disk; SIGXFSZ is
    ignored so the write fails instead of killing the process. test_a_full_tmpfs_* below shows
    the same path with a real ENOSPC where mounting is allowed.
    """

    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_files


BIG_RUN = ["simulate", "--fast", "--purchases", "3000"]


@pytest.mark.parametrize("flag", ["--events", "--db"])
def test_a_file_that_fills_up_mid_run_is_one_line_and_removed(
    flag: str, home: Path, tmp_path: Path
) -> None:
    target = tmp_path / ("trace.jsonl" if flag == "--events" else "run.db")
    result = run([*BIG_RUN, flag, str(target)], home, preexec=file_size_limit(64 * 1024))
    one_error_line(result, f"{flag} '{target}'")
    assert not target.exists()  # no partial file left behind


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, where the machine lets us mount one (root); skipped elsewhere."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root); the file-size-limit test covers it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.parametrize("flag", ["--events", "--db"])
def test_a_full_tmpfs_mid_run_says_no_space_left(flag: str, home: Path, small_disk: Path) -> None:
    target = small_disk / ("trace.jsonl" if flag == "--events" else "run.db")
    result = run([*BIG_RUN, flag, str(target)], home)
    one_error_line(result, f"{flag} '{target}': No space left on device")
    assert list(small_disk.iterdir()) == []


# -- never write over a file eventlesson did not write (item 4) ------------------------------------


def progress_file(home: Path) -> Path:
    result = run(QUIZ_JSON, home)
    assert result.returncode == 0, result.stderr
    return home / "progress.json"


@pytest.mark.parametrize("flag", ["--events", "--svg"])
def test_the_progress_file_is_never_an_output(flag: str, home: Path, tmp_path: Path) -> None:
    saved = progress_file(home)
    before = saved.read_bytes()
    hard = tmp_path / "hard-link.out"
    os.link(saved, hard)
    soft = tmp_path / "soft-link.out"
    soft.symlink_to(saved)
    for path in (saved, hard, soft):
        for force in ([], ["--force"]):
            result = run([*SIM_FAST, flag, str(path), *force], home)
            assert result.returncode == 2, result.stderr
            assert "is the progress file" in result.stderr
            assert result.stderr.count("\n") == 1
    assert saved.read_bytes() == before


@pytest.mark.parametrize("flag", ["--events", "--svg"])
def test_a_file_eventlesson_did_not_write_needs_force(
    flag: str, home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    refused = run([*SIM_FAST, flag, str(notes)], home)
    assert refused.returncode == 2
    assert refused.stderr == (
        f"eventlesson: error: {flag} '{notes}' exists and eventlesson did not write it; "
        "choose another name, or add --force to replace it\n"
    )
    assert notes.read_text() == "my notes\n"
    forced = run([*SIM_FAST, flag, str(notes), "--force"], home)
    assert forced.returncode == 0, forced.stderr
    assert notes.read_text() != "my notes\n"


def test_files_eventlesson_wrote_are_replaced_without_asking(home: Path, tmp_path: Path) -> None:
    trace, picture, empty = tmp_path / "t.jsonl", tmp_path / "s.svg", tmp_path / "empty"
    empty.touch()
    outputs = ["--events", str(trace), "--svg", str(picture)]
    for _ in range(2):
        result = run([*SIM_FAST, *outputs], home)
        assert result.returncode == 0, result.stderr
    assert trace.read_text().startswith('{"t":')
    assert run([*SIM_FAST, "--events", str(empty)], home).returncode == 0


def test_two_options_naming_one_file_through_a_hard_link_are_refused(
    home: Path, tmp_path: Path
) -> None:
    trace = tmp_path / "t.jsonl"
    assert run([*SIM_FAST, "--events", str(trace)], home).returncode == 0
    other = tmp_path / "same.svg"
    os.link(trace, other)
    result = run([*SIM_FAST, "--events", str(trace), "--svg", str(other)], home)
    assert result.returncode == 2
    assert "--events and --svg name the same file" in result.stderr


# -- hostile text in what we print (item 5) ------------------------------------------------------------

HOSTILE = "\x1b]0;pwned\x07 \x9b31m \u202eevil"  # window title, C1 CSI, right-to-left override


def test_json_never_carries_raw_control_or_bidi_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`content check` and the loader refuse such content today; --json must hold anyway."""
    lesson = load_lesson("mini", FIXTURE_COURSE)
    first = replace(lesson.questions[0], prompt=HOSTILE)
    hostile = replace(lesson, questions=(first, *lesson.questions[1:]))
    out = io.StringIO()
    app = App(
        console=make_console(out, width=80),
        err=make_console(io.StringIO(), width=80),
        stdin_tty=False,
        stdout_tty=False,
        env=Environment(home=tmp_path / "home", content_dir=str(FIXTURE_COURSE)),
    )
    monkeypatch.setattr(app, "lesson", lambda lesson_id=None: hostile)
    assert run_quiz(app, "mini", set_name="knowledge-check", answers="B", as_json=True) == 0
    assert not has_unsafe(out.getvalue()), unsafe_characters(out.getvalue())
    assert json.loads(out.getvalue())["questions"][0]["prompt"] == HOSTILE  # the same value


def test_json_text_escapes_what_a_terminal_would_act_on_and_keeps_the_value() -> None:
    data = {"prompt": HOSTILE + " café → ok", "lines": "a\tb\nc"}
    text = json_text(data, indent=2)
    assert not has_unsafe(text)
    assert "\\u009b" in text and "\\u202e" in text and "café → ok" in text
    assert json.loads(text) == data


@pytest.mark.parametrize(
    "args",
    [
        ["learn", f"x{HOSTILE}"],
        ["quiz", "--set", HOSTILE],
        ["simulate", "--events", f"/nowhere{HOSTILE}/t.jsonl"],
        ["simulate", HOSTILE],
        [f"no-such-command{HOSTILE}"],
    ],
    ids=["lesson", "set", "events path", "scenario", "command"],
)
def test_names_in_error_lines_are_quoted_and_harmless(args: list[str], home: Path) -> None:
    result = run(args, home)
    assert result.returncode == 2
    line = result.stderr
    assert line.startswith("eventlesson: error: ") and line.count("\n") == 1
    assert not has_unsafe(line), unsafe_characters(line)
    assert "'" in line  # the name is shown quoted
    assert "\ufffd]0;pwned\ufffd" in line or "\\x1b" in line


def test_a_progress_folder_named_with_escape_codes_is_shown_harmlessly(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    home = blocker / f"home{HOSTILE}"
    result = run(["progress", "mini"], home)
    assert result.returncode == 0, result.stderr
    assert "Progress file:" in result.stdout
    assert not has_unsafe(result.stdout + result.stderr)


# -- an output encoding that cannot show every character (item 10) ---------------------------------


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize(
    "args",
    [
        ["learn", "--print"],
        ["quiz", "--answers", "A,B,C"],
        ["quiz", "--key"],
        ["simulate", "--fast", "--purchases", "3"],
        ["simulate", "--plain", "--purchases", "2", "--speed", "1000"],
        ["lessons"],
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value,
)
def test_a_narrow_output_encoding_gets_ascii_drawing_not_a_crash(
    args: list[str], encoding: str, home: Path
) -> None:
    result = run(args, home, encoding=encoding, PYTHONIOENCODING=encoding)
    assert result.returncode == 0, result.stderr[-800:]
    assert "Traceback" not in result.stderr
    assert result.stdout.strip()


def test_ascii_output_keeps_the_meaning_of_ticks_and_boxes(home: Path) -> None:
    result = run(
        ["simulate", "--fast", "--purchases", "3"], home, encoding="ascii", PYTHONIOENCODING="ascii"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.isascii()
    assert "+ holds" in result.stdout  # the tick, not a bare "?"
    assert "+---" in result.stdout or "+-" in result.stdout  # a box drawn in ASCII
