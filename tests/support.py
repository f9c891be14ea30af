"""Paths and environments the tests share (importable, unlike conftest)."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventlesson.models import Lesson

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


def ended(child: Any, status: int) -> str:
    """Wait for a pexpect child to exit; check its status and that no traceback was printed."""
    import pexpect

    child.expect(pexpect.EOF)
    seen = child.before or ""
    child.close()
    assert child.exitstatus == status, seen[-500:]
    assert "Traceback" not in seen
    return seen


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
