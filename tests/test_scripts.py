"""The repository's helper scripts: their command lines (the pictures themselves are looked at)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .support import REPO

SCREENSHOTS = REPO / "scripts" / "screenshots.py"


def screenshots(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCREENSHOTS), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_screenshots_help_is_help_not_a_folder(tmp_path: Path) -> None:
    shown = screenshots("--help", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "usage: screenshots.py [-h] [OUT_DIR]" in shown.stdout
    assert "default: docs/img" in shown.stdout
    assert not list(tmp_path.iterdir())  # no folder called --help, nothing written


def test_screenshots_refuses_an_unknown_option_and_a_second_folder(tmp_path: Path) -> None:
    for args in (["--out", "x"], ["a", "b"]):
        refused = screenshots(*args, cwd=tmp_path)
        assert refused.returncode == 2, args
        assert "error:" in refused.stderr and "Traceback" not in refused.stderr
    assert not list(tmp_path.iterdir())
