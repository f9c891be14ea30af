"""Paths and environments the tests share (importable, unlike conftest)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FIXTURE_COURSE = REPO / "tests" / "fixtures" / "course"
SHIPPED_CONTENT = REPO / "content"


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
