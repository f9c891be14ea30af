"""`eventlesson classroom` through the CLI: every bad input is one line and the usual exit code,
before anything starts (no server is left behind, none is even started)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eventlesson.cli import app

from .support import modules_after
from .test_broker_cli import our_folders, our_servers


def invoke(home: Path, *args: str) -> Any:
    env = {"NO_COLOR": "1", "COLUMNS": "80", "EVENTLESSON_HOME": str(home)}
    return CliRunner().invoke(app, ["classroom", *args], env=env, catch_exceptions=False)


def one_line(result: Any, code: int, *words: str) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


GOOD = "nats://join:abcd2345@127.0.0.1:4222"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["join", "nats://127.0.0.1:4222", "--name", "ada"], ["no join secret"]),
        (["join", "http://join:x@127.0.0.1:4222", "--name", "ada"], ["not a class address"]),
        (["join", "nats://join:x@127.0.0.1:0", "--name", "ada"], ["port must be from 1"]),
        (["join", GOOD, "--name", "a.b"], ["--name", "letters, digits"]),
        (["join", GOOD, "--name", "ad a"], ["--name", "'ad a'"]),
        (["join", GOOD, "--name", "x" * 25], ["up to 24"]),
        (["join", GOOD, "--name", ""], ["--name", "empty"]),
        (["join", GOOD, "--name", "ada", "--speed", "0"], ["--speed must be from 0.1"]),
        (["join", GOOD, "--name", "ada", "--speed", "nan"], ["--speed"]),
        (["host", "--port", "70000"], ["--port must be from 0"]),
        (["host", "--demo", "61"], ["--demo must be from 0 to 60"]),
        (["host", "--rate", "-1"], ["--rate must be from 0 to 20"]),
        (["host", "--rate", "inf"], ["--rate"]),
        (["host", "--burst", "0"], ["--burst must be from 1"]),
        (["host", "--bind", "no such host!"], ["--bind must be an IP address or a host name"]),
        (["host", "--save", "/no/such/dir/class.json"], ["--save", "no such directory"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    one_line(invoke(tmp_path, *args), 2, *words)


def test_odd_characters_in_a_name_never_reach_the_terminal(tmp_path: Path) -> None:
    line = one_line(invoke(tmp_path, "join", GOOD, "--name", "ada\x1b]52;c;x\x07\u202e"), 2)
    assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line
    assert "--name" in line


def test_save_never_replaces_a_file_that_is_not_a_class_summary(tmp_path: Path) -> None:
    precious = tmp_path / "notes.txt"
    precious.write_text("my notes\n")
    one_line(invoke(tmp_path, "host", "--save", str(precious)), 2, "not a class summary")
    assert precious.read_text() == "my notes\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_no_class_at_the_address_is_one_line(tmp_path: Path) -> None:
    url = f"nats://join:abcd2345@127.0.0.1:{free_port()}"
    one_line(invoke(tmp_path, "join", url, "--name", "ada"), 1, "no class answers", "refused")


def test_a_port_taken_by_any_program_is_one_line_and_nothing_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke(tmp_path, "host", "--port", str(port))
    one_line(result, 1, f"cannot open a class on 127.0.0.1:{port}", "--port")
    assert not our_servers(scratch) and not our_folders(scratch)


def test_classroom_help_loads_no_client() -> None:
    code = (
        "import contextlib, io\n"
        "from eventlesson.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    app(['classroom', 'join', '--help'], standalone_mode=False, prog_name='x')\n"
    )
    loaded = modules_after(code)
    assert "typer" in loaded
    assert not {"nats", "rich", "sqlite3", "eventlesson.classroom.learner"} & loaded
