"""The nats-server lifecycle: start on a free loopback port, answer, stop, leave nothing behind."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest

from eventlesson.broker.server import SERVER_ENV, NatsServer, ServerError, answers, find_server
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


def test_an_ipv6_server_gives_a_url_a_client_can_connect_to() -> None:
    """An IPv6 address stands in brackets in the URL (nats://[::1]:PORT), as clients parse it."""
    with NatsServer(host="::1", jetstream=False, monitor=False) as server:
        assert server.url == f"nats://[::1]:{server.port}"
        assert answers("::1", server.port)

        async def connect() -> bool:
            import nats

            nc = await nats.connect(server.url, allow_reconnect=False, connect_timeout=5)
            try:
                return bool(nc.is_connected)
            finally:
                await nc.close()

        assert asyncio.run(connect())
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
