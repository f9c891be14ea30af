"""Shared fixtures: a fixture course, an App wired to StringIO, and a pseudo-terminal launcher."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from eventlesson.app import App
from eventlesson.broker.server import NatsServer
from eventlesson.environment import Environment
from eventlesson.ui.console import make_console
from eventlesson.ui.prompts import Prompter

from .support import FIXTURE_COURSE, REPO, foreground_signals, pty_env

# Shared, noisy machines: a slow example is not a failure (we never assert on time).
settings.register_profile("eventlesson", deadline=None)
settings.load_profile("eventlesson")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real progress file; run on the fixture course; plain output, 80 columns.

    Child processes (CliRunner, pexpect, subprocess) inherit the fixture course through
    EVENTLESSON_CONTENT_DIR; only the smoke tests of the shipped lesson unset it.
    """
    home = tmp_path / "home"
    monkeypatch.setenv("EVENTLESSON_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("EVENTLESSON_CONTENT_DIR", str(FIXTURE_COURSE))
    return home


@pytest.fixture
def home(_isolated_home: Path) -> Path:
    return _isolated_home


class AppFactory:
    """Builds an App whose output lands in StringIO buffers."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.out = io.StringIO()
        self.errors = io.StringIO()

    def __call__(
        self, prompter: Prompter | None = None, content_dir: Path | None = FIXTURE_COURSE
    ) -> App:
        return App(
            console=make_console(self.out, width=80),
            err=make_console(self.errors, width=80),
            stdin_tty=prompter is not None,
            stdout_tty=prompter is not None,
            env=Environment(home=self.home, content_dir=str(content_dir) if content_dir else None),
            prompter_override=prompter,
        )


@pytest.fixture
def make_app(home: Path) -> AppFactory:
    return AppFactory(home)


@pytest.fixture
def spawn(home: Path) -> Iterator[Callable[..., object]]:
    """Start `python -m eventlesson ARGS` in a real pseudo-terminal (24x80 unless told)."""
    pexpect = pytest.importorskip("pexpect")
    children: list[object] = []

    def start(
        *args: str, rows: int = 24, cols: int = 80, timeout: float = 15, **env: str
    ) -> object:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "eventlesson", *args],
            env=pty_env(home, **env),
            dimensions=(rows, cols),
            encoding="utf-8",
            codec_errors="replace",  # a Ctrl-C can cut a character in half mid-write
            timeout=timeout,
            cwd=str(REPO),
            preexec_fn=foreground_signals,
        )
        children.append(child)
        return child

    yield start
    for child in children:
        if child.isalive():  # type: ignore[attr-defined]
            child.terminate(force=True)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    """One real nats-server with JetStream for the whole session: a free loopback port, its store
    in a temporary folder, stopped (and the folder removed) at the end, also after failures.

    Never skipped: `make test` installs the broker extra, and a missing server is a failure."""
    with NatsServer() as server:
        yield server


@pytest.fixture
def broker(nats_server: NatsServer) -> NatsServer:
    """The session's server, running: a test that stopped or killed it has it started again."""
    if not nats_server.running:
        nats_server.start()
    return nats_server
