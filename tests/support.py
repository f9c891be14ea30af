"""Paths and environments the tests share (importable, unlike conftest)."""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventlesson.classroom.state import ClassSummary, LearnerRow
    from eventlesson.models import Lesson
    from eventlesson.predict import Measured

REPO = Path(__file__).resolve().parent.parent
# The course every test runs on unless it is about the shipped lesson (tests/test_shipped.py).
# Its default lesson, "sample", uses every block kind and every question kind; "mini" is three
# short pages for the walk-through tests.
FIXTURE_COURSE = REPO / "tests" / "fixtures" / "course"
SAMPLE = "sample"
# The shipped content, for the smoke tests only; test_shipped.py re-runs them on a copy with more
# lessons added by pointing this variable at it.
FORMAT_MD = REPO / "content" / "FORMAT.md"  # the content format, documented
SHIPPED_CONTENT = Path(os.environ.get("EVENTLESSON_TEST_SHIPPED_CONTENT") or REPO / "content")


@functools.cache
def fixture_lesson(lesson_id: str = SAMPLE) -> Lesson:
    """A lesson of the fixture course, loaded once."""
    from eventlesson.content import load_lesson

    return load_lesson(lesson_id, FIXTURE_COURSE)


def page_of(section_id: str, lesson_id: str = SAMPLE) -> int:
    """The page number (from 1) of a section of a fixture lesson."""
    return fixture_lesson(lesson_id).section_index(section_id) + 1


def position(section_id: str, lesson_id: str = SAMPLE) -> str:
    """What the header shows on that page, e.g. "4/7"."""
    total = len(fixture_lesson(lesson_id).sections)
    return f"{page_of(section_id, lesson_id)}/{total}"


@functools.cache
def measure(scenario: str, seed: int = 7) -> Measured:
    """What a whole run of `scenario` measured (cached: a run is the same for the same seed)."""
    from eventlesson.predict import Measured
    from eventlesson.sim.simulation import Simulation

    sim = Simulation(scenario, seed=seed)
    try:
        sim.run()
        return Measured.of(sim)
    finally:
        sim.close()


def jump_to(child: Any, section_id: str) -> None:
    """In a lesson's pager: open the menu (m), pick `section_id`'s page with the arrow keys and
    Enter, and wait until its header shows that page."""
    child.send("m")
    child.expect("Stay on this page")
    child.send("\x1b[B" * (page_of(section_id) - 1) + "\r")
    child.expect(position(section_id))


def pty_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for a program under pexpect: fast prompt_toolkit, our repo on the path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "COLUMNS", "LINES", "PYTHONDONTWRITEBYTECODE")
    }
    env.update(
        PROMPT_TOOLKIT_NO_CPR="1",
        TERM="xterm-256color",
        EVENTLESSON_HOME=str(home),
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    env.update(extra)
    return env


def foreground_signals() -> None:
    """A pexpect child's `preexec_fn`: Ctrl-C and Ctrl-\\ act as in a shell's foreground job even
    when the tests run as a background job (`cmd &` in a script ignores SIGINT and SIGQUIT, a
    child inherits that, and Python then never raises KeyboardInterrupt)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def job_shell(home: Path, rows: int = 24, cols: int = 80) -> Any:
    """`bash -i` in a pseudo-terminal, at its "$ " prompt, for Ctrl-Z tests: a job control shell
    puts a program in a process group of its own, which the kernel may stop. (A pexpect child is
    a session leader whose group is orphaned: SIGTSTP would be discarded.)"""
    import shutil

    import pexpect
    import pytest

    if shutil.which("bash") is None:
        pytest.skip("needs bash for job control")
    child = pexpect.spawn(
        "bash",
        ["--norc", "--noprofile", "-i"],
        env=pty_env(home, PS1="$ "),
        dimensions=(rows, cols),
        encoding="utf-8",
        codec_errors="replace",
        timeout=15,
        cwd=str(REPO),
        preexec_fn=foreground_signals,
    )
    child.expect(r"\$ ")
    return child


def ended(child: Any, status: int) -> str:
    """Wait for a pexpect child to exit; check its status and that no traceback was printed."""
    import pexpect

    child.expect(pexpect.EOF)
    seen = child.before or ""
    child.close()
    assert child.exitstatus == status, seen[-500:]
    assert "Traceback" not in seen
    return seen


class PtyScreen:
    """A pexpect child's output replayed into a pyte screen (a VT100 emulator) of the terminal's
    size, as it arrives: what a person at that terminal would see."""

    def __init__(self, child: Any, rows: int = 24, cols: int = 80) -> None:
        import pyte

        self.child = child
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.Stream(self.screen)
        child.logfile_read = self

    # pexpect's logfile protocol
    def write(self, data: str) -> None:
        self.stream.feed(data)

    def flush(self) -> None:
        pass

    def resize(self, rows: int, cols: int) -> None:
        """Resize the terminal (the program gets SIGWINCH) and the emulated screen alike."""
        self.child.setwinsize(rows, cols)
        self.screen.resize(rows, cols)
        self.screen.erase_in_display(2)  # what a real terminal shows until the next frame varies

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def settle(self, seconds: float = 0.4) -> str:
        """Read whatever arrives for a moment, then the screen as it stands: for what must NOT
        change or appear meanwhile. To wait for something, use `wait_for` or `wait_until`."""
        import pexpect

        with contextlib.suppress(pexpect.EOF):
            self.child.expect(pexpect.TIMEOUT, timeout=seconds)
        return self.text()

    def wait_until(self, shows: Callable[[str], bool], what: str, timeout: float = 20) -> str:
        """Read until the screen `shows` it (not merely somewhere in the output); the screen."""
        import pexpect

        deadline = time.monotonic() + timeout
        while not shows(self.text()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} never showed:\n{self.text()}")
            with contextlib.suppress(pexpect.TIMEOUT):
                self.child.expect(pexpect.TIMEOUT, timeout=0.2)
        return self.text()

    def wait_for(self, needle: str, timeout: float = 20) -> str:
        """Read until `needle` is on the screen; the screen."""
        return self.wait_until(lambda text: needle in text, repr(needle), timeout)


def learner_row(
    name: str, lags: list[int], *, connected: bool = True, down: str = ""
) -> LearnerRow:
    """A classroom learner's row as the host reads it from the server, 40 events out: each
    consumer (in the lesson's order) this many behind; `down`, a consumer whose connection is
    down and which had one redelivery."""
    from eventlesson.classroom.state import ConsumerCell, LearnerRow
    from eventlesson.sim import CONSUMER_NAMES

    cells = tuple(
        ConsumerCell(
            consumer=c,
            pending=max(lag - 1, 0),
            ack_pending=min(lag, 1),
            ack_floor=40 - lag,
            redeliveries=1 if c == down else 0,
            dead_letters=0,
            up=c != down,
        )
        for c, lag in zip(CONSUMER_NAMES, lags, strict=True)
    )
    return LearnerRow(name, connected, cells)


def class_summary(learners: list[LearnerRow]) -> ClassSummary:
    """A class of 12:34 with these learners, 40 purchases in (one a ghost, one poison)."""
    from eventlesson.classroom.state import ClassSummary, furthest_behind_first

    return ClassSummary(
        url="nats://127.0.0.1:4222",
        started_at="2026-12-01T10:00:00+00:00",
        seconds=754.0,
        purchases=40,
        committed=39,
        ghosts=1,
        poison=1,
        published=40,
        learners=furthest_behind_first(learners),
        read_back=True,
    )


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `code` (layering checks)."""
    import subprocess
    import sys

    script = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    return set(out.stdout.split())


def as_learner(argv: list[str]) -> list[str]:
    """`argv` run so that file permissions apply to it: as root, without the capabilities that let
    root read any file (so a file or folder made unreadable really is, for that process)."""
    import shutil

    import pytest

    if os.geteuid() != 0:
        return argv
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *argv]
