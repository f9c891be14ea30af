"""The classroom in a real pseudo-terminal at 80x24, keys pressed like a person: the host's
dashboard (rehearsing with simulated learners) and a learner's live view of simulate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .support import ended
from .test_classroom_procs import Class

pytestmark = pytest.mark.pty


def test_the_dashboard_rehearses_with_simulated_learners(spawn: Callable[..., Any]) -> None:
    host = spawn("classroom", "host", "--port", "0", "--demo", "3", "--burst", "5", timeout=30)
    host.expect("classroom join nats://join:")
    host.expect("demo-03")  # three rows, read from the server
    host.expect(" start")  # the steady purchases wait for the first space (README)
    host.send("b")
    host.expect("log end 5 ")  # read back from the server
    host.send(" ")  # the steady purchases start
    host.expect("1 a second")
    host.send("q")
    host.expect("Class summary")
    out = ended(host, 0)
    assert "demo-01" in out and "demo-02" in out


def test_a_learner_sees_simulate_and_the_server_refuses_their_publish(
    spawn: Callable[..., Any], tmp_path: Path
) -> None:
    room = Class(tmp_path)
    try:
        learner = spawn("classroom", "join", room.url, "--name", "pat", timeout=30)
        learner.expect("classroom · pat")
        learner.expect("try to publish")
        room.host.expect(r"pat joined the class")
        learner.send("p")
        learner.expect("Publish refused by the server")
        learner.send("s")
        learner.expect("enrollment now takes 2 s per event")
        learner.send("2")
        learner.expect("email will crash")
        room.publish("p")
        learner.expect("email crashed after")
        learner.send("q")
        learner.expect("Your session · pat")
        ended(learner, 0)
    finally:
        room.close()
