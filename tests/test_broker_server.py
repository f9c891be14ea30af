"""The nats-server lifecycle: start on a free loopback port, answer, stop, leave nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from eventlesson.broker.server import (
    OWNER_FILE,
    SERVER_ENV,
    NatsServer,
    ServerError,
    answers,
    find_server,
    new_folder,
    sweep,
)
from eventlesson.environment import Environment


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes; `ps` says which
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return bool(state.stdout.strip()) and not state.stdout.strip().startswith("Z")


def test_session_server_answers_on_loopback(nats_server: NatsServer) -> None:
    assert nats_server.url.startswith("nats://127.0.0.1:")
    assert answers("127.0.0.1", nats_server.port)
    assert nats_server.store_dir.is_dir()


def test_an_ipv6_host_stands_in_brackets_in_a_url() -> None:
    """nats://[::1]:PORT, as clients parse it (a pure check: tests talk only to 127.0.0.1)."""
    from urllib.parse import urlsplit

    from eventlesson.broker.server import url_host

    for host in ("::1", "fe80::1", "[::1]"):
        url = f"nats://{url_host(host)}:4222"
        assert urlsplit(url).hostname == host.strip("[]") and urlsplit(url).port == 4222
    assert url_host("127.0.0.1") == "127.0.0.1" and url_host("class.local") == "class.local"
    wildcard = NatsServer(binary="nats-server", host="::", port=4222)
    assert wildcard.url == "nats://127.0.0.1:4222"  # a wildcard bind is reached on loopback


def test_close_stops_the_process_and_removes_the_folder() -> None:
    server = NatsServer().start()
    pid, folder, port = server.pid, server.folder, server.port
    assert pid is not None and folder is not None and _alive(pid)
    server.close()
    assert not _alive(pid)
    assert not folder.exists()
    assert not answers("127.0.0.1", port, timeout=0.2)


def test_an_error_inside_the_block_still_stops_the_server() -> None:
    seen: dict[str, object] = {}
    with pytest.raises(RuntimeError), NatsServer() as server:
        seen.update(pid=server.pid, folder=server.folder)
        raise RuntimeError("boom")
    assert not _alive(seen["pid"])  # type: ignore[arg-type]
    assert not Path(str(seen["folder"])).exists()


def test_restart_keeps_port_and_store(nats_server: NatsServer) -> None:
    server = NatsServer().start()
    try:
        port, marker = server.port, server.store_dir / "marker"
        marker.write_text("kept")
        server.kill()
        assert not server.running
        server.restart()
        assert server.port == port and marker.read_text() == "kept"
        assert answers("127.0.0.1", port)
    finally:
        server.close()


def test_another_binary_can_be_chosen(tmp_path: Path) -> None:
    link = tmp_path / "my-nats-server"
    link.symlink_to(find_server())
    assert find_server(str(link)) == str(link)
    with NatsServer(binary=find_server(str(link))) as server:
        assert server.binary == str(link)
        assert answers("127.0.0.1", server.port)


def test_the_environment_names_the_chosen_binary(tmp_path: Path) -> None:
    env = Environment.detect({SERVER_ENV: " /opt/nats/nats-server ", "EVENTLESSON_HOME": "h"})
    assert env.nats_server == "/opt/nats/nats-server"
    assert Environment.detect({"EVENTLESSON_HOME": "h"}).nats_server is None


def test_a_chosen_binary_that_is_not_there_is_one_clear_line() -> None:
    with pytest.raises(ServerError, match=r"^EVENTLESSON_NATS_SERVER=/no/such/nats-server: not an"):
        find_server("/no/such/nats-server")


def test_a_server_that_refuses_to_start_says_why_in_one_line() -> None:
    server = NatsServer(config="this is { not a config")
    with pytest.raises(ServerError) as caught:
        server.start()
    try:
        message = str(caught.value)
        assert message.startswith("nats-server stopped at start-up: ")
        assert "\n" not in message
        assert not server.running
    finally:
        server.close()


def test_pause_freezes_and_resume_thaws() -> None:
    with NatsServer() as server:
        server.pause()
        assert not answers("127.0.0.1", server.port, timeout=0.3)
        server.resume()
        assert answers("127.0.0.1", server.port)


# -- sweeping the folders of runs that were killed ------------------------------------------------


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own temp dir for server folders, here and in child processes."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    monkeypatch.setenv("TMPDIR", str(root))
    return root


def _dead_runs_folder() -> Path:
    """A folder as a run killed outright leaves it: made and marked, its lock let go."""
    folder, owner = new_folder()
    assert owner is not None
    os.close(owner)
    return folder


def _folders(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()}


def test_a_dead_runs_folder_is_swept_and_only_that(temp_root: Path, tmp_path: Path) -> None:
    """Never delete what eventlesson did not make, what another user owns, or what a live
    process holds: only the dead run's folder goes. (Making a folder sweeps: dead one last.)"""
    kept: list[Path] = []
    if os.geteuid() == 0:  # another user's dead run (only root can give a folder away)
        foreign = _dead_runs_folder()
        os.chown(foreign, 65534, 65534)
        os.chown(foreign / OWNER_FILE, 65534, 65534)
        kept.append(foreign)
    held = _dead_runs_folder()  # a live process holds its lock: a run, its server, anything
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys\n"
            f"fd = os.open({str(held / OWNER_FILE)!r}, os.O_RDONLY)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        dead = _dead_runs_folder()
        (temp_root / "eventlesson-nats-nolock").mkdir()  # someone else's name-alikes
        (temp_root / "eventlesson-nats-other").mkdir()
        (temp_root / "eventlesson-nats-other" / OWNER_FILE).write_text("not ours")
        (temp_root / "eventlesson-nats-file").write_text("a file")
        (temp_root / "eventlesson-nats-fifo").mkdir()
        os.mkfifo(temp_root / "eventlesson-nats-fifo" / OWNER_FILE)  # opening it must not hang
        elsewhere = tmp_path / "elsewhere"  # looks like a dead run's, reached through links
        elsewhere.mkdir()
        (elsewhere / OWNER_FILE).write_bytes((dead / OWNER_FILE).read_bytes())
        (temp_root / "eventlesson-nats-link").symlink_to(elsewhere)
        (temp_root / "eventlesson-nats-linked-owner").mkdir()
        (temp_root / "eventlesson-nats-linked-owner" / OWNER_FILE).symlink_to(
            elsewhere / OWNER_FILE
        )
        before = _folders(temp_root)
        assert sweep() == [dead]
        assert _folders(temp_root) == before - {dead.name}
        assert (elsewhere / OWNER_FILE).exists() and all(k.exists() for k in kept)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
    assert sweep() == [held]  # its holder is gone now


def test_a_sweep_that_cannot_look_never_stops_a_start(temp_root: Path) -> None:
    assert sweep(str(temp_root / "missing")) == []
    dead = _dead_runs_folder()
    with NatsServer(jetstream=False, monitor=False) as server:
        assert not dead.exists()  # starting it swept
        assert server.folder is not None and (server.folder / OWNER_FILE).is_file()
    assert not any(temp_root.iterdir())


def test_a_server_that_outlives_its_run_keeps_its_folder_until_it_stops(temp_root: Path) -> None:
    """Outside Linux nothing stops the server when its run is killed (started from a worker
    thread, as here, Linux does not either): it shares its run's lock, so its store is never
    swept while it runs; once it is stopped, the next sweep takes the folder."""
    code = (
        "import threading, time\n"
        "from eventlesson.broker.server import NatsServer\n"
        "server = NatsServer(monitor=False)\n"
        "worker = threading.Thread(target=server.start)\n"
        "worker.start(); worker.join()\n"
        "print(server.pid, server.port, flush=True)\n"
        "time.sleep(600)\n"
    )
    run = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    pid = 0
    try:
        assert run.stdout is not None
        pid, port = map(int, run.stdout.readline().split())
        (folder,) = temp_root.iterdir()
        run.kill()
        run.wait()
        assert answers("127.0.0.1", port)  # the orphan runs on
        assert sweep() == [] and folder.exists()
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)
        assert sweep() == [folder]
    finally:
        if run.poll() is None:  # failed before it was killed: no sleeping child is left
            run.kill()
            run.wait()
        if pid and _alive(pid):
            os.kill(pid, signal.SIGKILL)
