"""A non-editable install finds its packaged content, run from another folder."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from eventlesson.content import load_lesson

from .support import REPO

pytestmark = pytest.mark.slow


def test_wheel_install_runs_the_lesson_from_elsewhere(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Reuse this environment's dependencies (and hatchling) so the test needs no network;
    # a plain path line does not run the editable-install hooks found there.
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            str(REPO),
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": "/usr/bin:/bin", "EVENTLESSON_HOME": str(tmp_path / "home"), "NO_COLOR": "1"}
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import eventlesson.content as c; print(c.__file__); print(c.default_content_dir())",
        ],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        check=True,
    ).stdout.split()
    assert where[0].startswith(str(target)), "imported the checkout, not the installed copy"
    assert where[1].endswith("_content") and where[1].startswith(str(target))
    result = subprocess.run(
        [str(target / "bin" / "eventlesson"), "learn", "--print"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    shipped = load_lesson(None, REPO / "content")  # the default lesson of course.toml
    assert shipped.title in result.stdout
    assert f"{len(shipped.sections)}/{len(shipped.sections)}" in result.stdout
    check = subprocess.run(
        [str(target / "bin" / "eventlesson"), "content", "check"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
    )
    assert check.returncode == 0 and check.stdout.startswith("ok:")
    assert sys.executable  # the outer interpreter is untouched
