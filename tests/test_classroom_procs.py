"""A class for real: `classroom host` and `classroom join` as separate processes on 127.0.0.1,
with the server's permissions tried by a raw nats-py client, crashes, rejoins and hosts leaving.

One host serves the tests that only need a class to be there (each uses its own learner names);
the tests about a host ending or dying start their own. Learners run with `--speed 50` so their
consumers take milliseconds, and everything waits on what the processes say, never on time.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import nats.errors
import pytest
from nats.js.api import ConsumerConfig
from typer.testing import CliRunner

from eventlesson.cli import app
from eventlesson.sim import CONSUMER_NAMES

from .support import REPO
from .test_broker_cli import left_running, our_folders, our_servers

WAIT = 30.0  # generous for a loaded machine; nothing waits this long when things work


class Proc:
    """An eventlesson process whose output is read, line by line, as it comes."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.args = args
        self.process = subprocess.Popen(
            [sys.executable, "-m", "eventlesson", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._seen = 0
        self._readers = [
            threading.Thread(target=self._drain, args=(stream, sink), daemon=True)
            for stream, sink in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _drain(stream: Any, sink: list[str]) -> None:
        for line in stream:
            sink.append(line)

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def _read_to_the_end(self) -> bool:
        """Whether the process has exited; if so, every line it wrote has been read (its pipes
        reach their end once it is gone, and the readers stop there)."""
        if self.process.poll() is None:
            return False
        for reader in self._readers:
            reader.join(WAIT)
        return True

    def expect(self, pattern: str, timeout: float = WAIT) -> re.Match[str]:
        """The next line (after the last one matched) that matches `pattern`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            ended = self._read_to_the_end()
            while self._seen < len(self.out):
                line = self.out[self._seen]
                self._seen += 1
                match = regex.search(line)
                if match is not None:
                    return match
            if ended or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        raise AssertionError(
            f"{self.args[:2]}: no line matching {pattern!r}; output:\n{''.join(self.out)[-3000:]}"
            f"\nerrors:\n{''.join(self.err)[-2000:]}"
        )

    def finish(self, timeout: float = WAIT) -> int:
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        self._read_to_the_end()  # every last line, before anyone reads stdout or stderr
        return code

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def environment(home: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(
        EVENTLESSON_HOME=str(home),
        TMPDIR=str(tmp),  # the host's server folder lands here, where we can look for leftovers
        NO_COLOR="1",
        COLUMNS="80",
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


class Class:
    """A running `classroom host` in plain mode, driven by typed commands."""

    def __init__(self, root: Path, *extra: str) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.env = environment(root / "home", self.tmp)
        self.host = Proc(["classroom", "host", "--port", "0", *extra], self.env)
        try:
            match = self.host.expect(r"classroom join (nats://join:\S+@127\.0\.0\.1:(\d+))")
        except BaseException:
            self.host.stop()  # no Class to close: stop the host here
            raise
        self.url, self.port = match[1], int(match[2])
        self.learners: list[Proc] = []

    def join(self, name: str, *extra: str) -> Proc:
        learner = Proc(
            ["classroom", "join", self.url, "--name", name, "--speed", "50", *extra], self.env
        )
        self.learners.append(learner)
        return learner

    def joined(self, name: str) -> Proc:
        learner = self.join(name, "--json")
        self.host.expect(rf"\b{name} (joined the class|is back)")
        return learner

    def publish(self, command: str = "p") -> int:
        """A purchase (or a burst: "b"); the stream sequence of the last event published."""
        self.host.send(command)
        count = BURST if command == "b" else 1
        seq = 0
        for _ in range(count):
            seq = int(self.host.expect(r"stream seq (\d+)")[1])
        return seq

    def status(self, name: str) -> tuple[int, str]:
        """The log's end and the learner's line, as the host last read them from the server."""
        self.host.send("status")
        head = self.host.expect(r"^purchases \d+.* log end (\d+),.*; (\d+) learners?:$")
        rows = [self.host.expect(r"^\s+\S+: ").string.rstrip() for _ in range(int(head[2]))]
        mine = [row for row in rows if row.startswith(f"  {name}: ")]
        return int(head[1]), mine[0] if mine else ""

    def wait_until(self, name: str, pattern: str, log_end: int = 0) -> str:
        """The learner's status line once it matches, in a reading that saw `log_end`."""
        deadline = time.monotonic() + WAIT
        line = ""
        while time.monotonic() < deadline:
            end, line = self.status(name)
            if end >= log_end and re.search(pattern, line):
                return line
            time.sleep(0.2)
        raise AssertionError(f"{name}: never {pattern!r}; last status: {line}")

    def close(self) -> None:
        for learner in self.learners:
            learner.stop()
        if self.host.process.poll() is None:
            with_stdin = self.host.process.stdin
            if with_stdin is not None and not with_stdin.closed:
                try:
                    self.host.send("q")
                    self.host.finish(10)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        self.host.stop()


BURST = 5


def leave(learner: Proc) -> dict[str, Any]:
    """`q`: the learner leaves; its session's summary, as JSON."""
    learner.send("q")
    assert learner.finish() == 0, learner.stderr
    return json.loads(learner.stdout)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Class]:
    """One class for the tests that need one to be there (each with its own learners)."""
    room = Class(tmp_path_factory.mktemp("class"), "--burst", str(BURST))
    try:
        yield room
    finally:
        room.close()


def test_learners_join_and_every_consumer_handles_every_event(shared: Class) -> None:
    ann = shared.joined("ann")
    shared.publish("b")
    shared.publish("g")  # a ghost: published, then its commit fails
    last = shared.publish("x")  # a poison event: analytics parks it after three deliveries
    line = shared.wait_until("ann", r"lag 0, .*dead letters 1 \|", last)
    assert line.startswith("  ann: on")  # dead letters counted on the server's stream
    summary = leave(ann)
    assert summary["name"] == "ann" and summary["log_end"] == last
    assert summary["ghosts_seen"] == 1
    for consumer in CONSUMER_NAMES:  # read back from the server as ann left
        c = summary["consumers"][consumer]
        assert c["ack_floor"] == last and c["lag"] == 0
        parked = consumer == "analytics"
        assert c["handled"] == last - parked and c["dead_letters"] == parked, consumer
    assert summary["consumers"]["analytics"]["redeliveries"] == 2
    assert "Traceback" not in ann.stderr


async def _as_mallory(url: str, victim: str) -> dict[str, str]:
    """A raw nats-py client: joins through the lobby with a password of its own, then tries
    what a learner must not do. Returns the server's words on each attempt."""
    match = re.fullmatch(r"nats://join:(\S+)@(127\.0\.0\.1:\d+)", url)
    assert match is not None
    secret, where = match[1], f"nats://{match[2]}"
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    lobby = await nats.connect(
        where, user="join", password=secret, inbox_prefix="_INBOX.lobby", error_cb=on_error
    )
    try:
        request = json.dumps({"name": "mallory", "password": "m" * 20}).encode()
        answer = json.loads((await lobby.request("classroom.join", request, timeout=10)).data)
        assert answer["ok"], answer
        outcome = {"the join user publishes a purchase": await _attempt(
            lobby.publish("purchase.completed", b"{}"), lobby, errors
        )}  # fmt: skip
    finally:
        await lobby.close()
    nc = await nats.connect(
        where,
        user="learner-mallory",
        password="m" * 20,
        inbox_prefix="_INBOX.learner.mallory",
        error_cb=on_error,
        allow_reconnect=False,
    )
    # short timeouts: a refused request gets no reply (the server's refusal arrives as an error
    # on the connection, which _attempt waits for), so its timeout only bounds a wait for nothing
    js = nc.jetstream(timeout=0.2)
    try:
        # the one thing mallory may do: read her own consumer (the check that can pass); its
        # reply is the point, and on a loaded machine it may take longer than 0.2 s
        own = await nc.jetstream(timeout=WAIT).consumer_info("PURCHASES", "mallory_email")
        outcome["own consumer"] = f"ok {own.name}"
        attempts = {
            "publish a purchase": js.publish("purchase.completed", b"{}", timeout=0.2),
            "fetch from another's consumer": nc.request(
                f"$JS.API.CONSUMER.MSG.NEXT.PURCHASES.{victim}_email", b"1", timeout=0.2
            ),
            "read another's consumer": js.consumer_info("PURCHASES", f"{victim}_email"),
            "delete another's consumer": js.delete_consumer("PURCHASES", f"{victim}_email"),
            "create a consumer": js.add_consumer(
                "PURCHASES", ConsumerConfig(durable_name="sneaky", ack_policy="none")
            ),
            "ack for another": nc.publish(f"$JS.ACK.PURCHASES.{victim}_email.1.1.1.0.0", b"+ACK"),
            "listen on another's inbox": nc.subscribe(f"_INBOX.learner.{victim}.>"),
        }
        for what, attempt in attempts.items():
            outcome[what] = await _attempt(attempt, nc, errors)
    finally:
        await nc.close()
    return outcome


async def _attempt(attempt: Any, nc: Any, errors: list[str]) -> str:
    """The server's words when it reported a permissions violation, else "allowed"."""
    before = len(errors)
    try:
        await attempt
        await nc.flush(timeout=2)
    except (nats.errors.Error, TimeoutError):
        pass
    deadline = time.monotonic() + 5
    while len(errors) == before and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    said = [e for e in errors[before:] if "permissions violation" in e.lower()]
    return said[0].lower() if said else f"allowed ({errors[before:]})"


def test_the_server_refuses_what_a_learner_may_not_do(shared: Class) -> None:
    bea = shared.joined("bea")
    outcome = asyncio.run(_as_mallory(shared.url, "bea"))
    assert outcome.pop("own consumer") == "ok mallory_email"
    expected = {  # each refusal names what was refused
        "the join user publishes a purchase": 'publish to "purchase.completed"',
        "publish a purchase": 'publish to "purchase.completed"',
        "fetch from another's consumer": "msg.next.purchases.bea_email",
        "read another's consumer": "info.purchases.bea_email",
        "delete another's consumer": "delete.purchases.bea_email",
        "create a consumer": "create.purchases.sneaky",
        "ack for another": "$js.ack.purchases.bea_email",
        "listen on another's inbox": 'subscription to "_inbox.learner.bea.>"',
    }
    for what, words in expected.items():
        assert "permissions violation" in outcome[what] and words in outcome[what], (
            f"{what}: {outcome[what]}"
        )
    # bea's consumers are untouched and still at work
    last = shared.publish("p")
    shared.wait_until("bea", r"lag 0, ", last)
    summary = leave(bea)
    assert all(c["ack_floor"] == last for c in summary["consumers"].values())


def test_a_crash_is_redelivered_to_that_consumer_only(shared: Class) -> None:
    cal = shared.join("cal")  # without --json: a line per step, and its keys typed
    cal.expect(r"Joined the class")
    dan = shared.joined("dan")
    cal.send("2")  # email crashes after its next side effect, before the ack
    cal.expect(r"email will crash")
    shared.publish("p")
    cal.expect(r"email crashed after its side effect")
    cal.expect(r"email pulls evt-\d+ .*\(delivery 2: redelivered by the server\)")
    cal.expect(r"email handled offset \d+: .* again: a duplicate effect")
    cal.send("i")  # now idempotent: the next redelivery changes nothing
    cal.expect(r"email is idempotent now")
    cal.send("2")
    cal.expect(r"email will crash")
    last = shared.publish("p")
    cal.expect(r"email pulls evt-\d+ .*\(delivery 2: redelivered by the server\)")
    cal.expect(r"email already processed evt-\d+: skipped")
    shared.wait_until(
        "cal", r"lag 0, .*email lag 0 redelivered 2 ", last
    )  # as the server counts them
    shared.wait_until("dan", r"lag 0, .*email lag 0 redelivered 0 ", last)
    cal.send("q")
    assert cal.finish() == 0, cal.stderr
    row = re.search(r"^email ⟲\s+" + r"\s+".join([r"(\d+)"] * 8), cal.stdout, re.M)
    assert row is not None, cal.stdout[-2000:]
    done, dup, skip, crashes, redel, dead, floor, lag = map(int, row.groups())
    assert (dup, skip, crashes, redel, dead, floor, lag) == (1, 1, 2, 2, 0, last, 0)
    assert done == last + 1  # every event once, and the first crash's once more
    theirs = leave(dan)
    for consumer in ("enrollment", "analytics", "recommendations", "affiliate"):
        other = re.search(rf"^{consumer}(?: ⟲)?\s+" + r"\s+".join([r"(\d+)"] * 8), cal.stdout, re.M)
        assert other is not None, consumer
        _, dup, _, crashes, redel, *_ = map(int, other.groups())
        # the same as dan's, who crashed nothing (a poison event earlier in the class is
        # redelivered to every analytics consumer alike)
        dans = theirs["consumers"][consumer]
        assert (dup, crashes, redel) == (0, 0, dans["redeliveries"]), consumer
    for consumer in theirs["consumers"].values():
        assert consumer["crashes"] == 0 and consumer["duplicates"] == 0
        assert consumer["ack_floor"] == last
    assert theirs["consumers"]["email"]["redeliveries"] == 0


def test_rejoining_continues_from_the_durable_consumers_without_loss(shared: Class) -> None:
    eve = shared.joined("eve")
    floor = shared.publish("b")
    # caught up, and seen connected by the host: only then can it notice that she is gone
    shared.wait_until("eve", r": on, lag 0, ", floor)
    os.kill(eve.pid, signal.SIGKILL)  # the laptop closes: no goodbye
    eve.finish()
    shared.host.expect(r"eve is gone")
    last = shared.publish("b")  # while eve is away
    shared.wait_until("eve", rf": gone, lag {5 * BURST},", last)
    again = shared.joined("eve")
    shared.wait_until("eve", r": on, ")  # connected again, as the server lists it
    twin = shared.join("EVE")  # the same name while eve is connected
    assert twin.finish() == 1
    assert "eve is already in the class" in twin.stderr
    assert len(twin.stderr.strip().splitlines()) == 1 and "Traceback" not in twin.stderr
    shared.wait_until("eve", r"lag 0, ", last)
    second = leave(again)
    for consumer in CONSUMER_NAMES:
        c = second["consumers"][consumer]
        assert c["ack_floor"] == last == floor + BURST
        assert c["handled"] == BURST, consumer  # exactly the events missed, none twice
        assert c["redeliveries"] == 0


def test_ending_the_class_tells_the_learners_and_saves_the_summary(tmp_path: Path) -> None:
    saved = tmp_path / "class.json"
    room = Class(tmp_path, "--burst", str(BURST), "--save", str(saved))
    try:
        fay = room.joined("fay")
        room.wait_until("fay", r"lag 0, ", room.publish("b"))
        room.host.send("q")
        assert room.host.finish() == 0, room.host.stderr
        assert fay.finish() == 0, fay.stderr
        summary = json.loads(fay.stdout)
        assert summary["ended"] == "The instructor ended the class."
        assert "Class summary" in room.host.stdout
        data = json.loads(saved.read_text())
        assert data["purchases"] == BURST and data["read_back"]
        (learner,) = data["learners"]
        assert learner["name"] == "fay" and learner["connected_at_end"]
        assert {c["ack_floor"] for c in learner["consumers"].values()} == {BURST}
    finally:
        room.close()
    assert not left_running(room.tmp) and not our_folders(room.tmp)


def test_a_host_stopped_by_a_signal_ends_the_class_in_order(tmp_path: Path) -> None:
    room = Class(tmp_path)
    try:
        hal = room.joined("hal")
        room.wait_until("hal", r": on, (?!.*down)")  # all five consumers connected
        os.kill(room.host.pid, signal.SIGTERM)
        assert room.host.finish() == 143
        assert "Class summary" in room.host.stdout and "Traceback" not in room.host.stderr
        assert hal.finish() == 0, hal.stderr
        assert json.loads(hal.stdout)["ended"] == "The instructor ended the class."
    finally:
        room.close()
    assert not left_running(room.tmp) and not our_folders(room.tmp)


def test_a_host_that_dies_leaves_no_server_and_the_learner_says_so(tmp_path: Path) -> None:
    room = Class(tmp_path)
    try:
        gus = room.joined("gus")
        room.wait_until("gus", r": on, (?!.*down)")  # all five consumers connected
        assert our_servers(room.tmp)
        os.kill(room.host.pid, signal.SIGKILL)
        assert gus.finish() == 1
        lines = gus.stderr.strip().splitlines()
        assert len(lines) == 1 and "went away" in lines[0] and "Traceback" not in gus.stderr
        assert json.loads(gus.stdout)["consumers"]["email"]["ack_floor"] is None
        assert not left_running(room.tmp, wait=10), "the host's server outlived it"
    finally:
        room.close()
        left_running(room.tmp)  # on a failure above: stop what the killed host left


# -- bad input, through the CLI ------------------------------------------------------------------


def invoke(home: Path, *args: str) -> Any:
    env = {"NO_COLOR": "1", "COLUMNS": "80", "EVENTLESSON_HOME": str(home)}
    return CliRunner().invoke(app, ["classroom", *args], env=env, catch_exceptions=False)


def test_a_wrong_secret_is_one_line(shared: Class, tmp_path: Path) -> None:
    wrong = re.sub(r"join:\w+@", "join:wrongpw@", shared.url)
    result = invoke(tmp_path, "join", wrong, "--name", "zed")
    assert result.exit_code == 1
    assert "refused the join secret" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_second_host_on_the_same_port_is_one_line_and_starts_nothing(
    shared: Class, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    result = invoke(tmp_path, "host", "--port", str(shared.port))
    assert result.exit_code == 1
    assert f"cannot open a class on 127.0.0.1:{shared.port}" in result.stderr
    assert "--port" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not left_running(scratch) and not our_folders(scratch)
    assert shared.host.process.poll() is None  # the first class is untouched
