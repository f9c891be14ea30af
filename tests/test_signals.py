"""SIGTERM, SIGHUP and Ctrl-Z in a real terminal (issue 14, item 9).

SIGTERM and SIGHUP leave `learn` the way Ctrl-C does: the terminal restored (normal screen,
cursor shown, echo back), progress saved, exit 143 or 129. Ctrl-Z suspends the pager like `less`
and the live simulation too; `fg` draws each of them once. Ctrl-Z needs a shell with job control
(a process group that is not orphaned), so those tests run the program under `bash -i`.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .support import REPO, SAMPLE, fixture_lesson, foreground_signals, job_shell, pty_env

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

pytestmark = pytest.mark.pty

TOTAL = len(fixture_lesson().sections)
SECOND = fixture_lesson().sections[1].id
RESTORED = "\x1b[?25h\x1b[?1049l"  # cursor shown, alternate screen left


def current(home: Path) -> str:
    return json.loads((home / "progress.json").read_text())["lessons"][SAMPLE]["current"]


def on_second_page(spawn: Any) -> Any:
    child = spawn("learn")
    child.logfile_read = io.StringIO()
    child.expect(f"1/{TOTAL}")
    child.send("n")
    child.expect(f"2/{TOTAL}")
    assert child.waitnoecho(timeout=10)  # the pager reads single keys: echo is off
    return child


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_during_the_lesson_restores_the_terminal_and_saves(
    spawn: Any, home: Path, signum: int
) -> None:
    child = on_second_page(spawn)
    child.kill(signum)
    child.expect(pexpect.EOF)
    output = child.logfile_read.getvalue()
    assert output.rstrip().endswith(RESTORED)
    assert child.getecho()  # echo is back on for the shell
    child.close()
    assert child.exitstatus == 128 + signum
    assert "Traceback" not in output
    assert current(home) == SECOND


def test_closing_the_terminal_window_saves_and_exits_129(home: Path) -> None:
    """A real hang-up: the terminal goes away (writes fail), the kernel sends SIGHUP."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "eventlesson", "learn"],
        env=pty_env(home),
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=15,
        cwd=str(REPO),
        preexec_fn=foreground_signals,
    )
    child.expect(f"1/{TOTAL}")
    child.send("n")
    child.expect(f"2/{TOTAL}")
    assert child.waitnoecho(timeout=10)
    os.close(child.child_fd)  # the window is closed
    child.closed = True  # pexpect must not touch the closed descriptor again
    _, status = os.waitpid(child.pid, 0)
    assert os.WIFEXITED(status), status  # left through the normal exit path, not killed
    assert os.WEXITSTATUS(status) == 129
    assert current(home) == SECOND


def test_sigterm_at_a_lesson_check_restores_the_terminal(spawn: Any, home: Path) -> None:
    child = spawn("learn")
    seen = io.StringIO()
    child.logfile_read = seen
    child.expect(f"1/{TOTAL}")
    for number in range(2, TOTAL + 1):  # to the first page with a check, then start it
        child.send("n")
        index = child.expect([f"{number}/{TOTAL}", "Practice · Question 1"])
        if index == 1:
            break
    child.expect("\u00bb A\\)")  # questionary's menu is up
    child.kill(signal.SIGTERM)
    child.expect(pexpect.EOF)
    assert child.getecho()
    child.close()
    assert child.exitstatus == 143
    assert "Traceback" not in seen.getvalue()
    assert "never awaited" not in seen.getvalue()  # the menu's event loop ended cleanly
    assert seen.getvalue().rstrip().endswith(RESTORED)


# -- Ctrl-Z under a shell with job control ----------------------------------------------------------


def shell(home: Path, rows: int = 24, cols: int = 80) -> tuple[Any, io.StringIO, Any]:
    child = job_shell(home, rows, cols)
    seen = io.StringIO()
    child.logfile_read = seen
    screen = pyte.Screen(cols, rows)
    return child, seen, screen


def shown(seen: io.StringIO, screen: Any) -> str:
    stream = pyte.Stream(screen)
    screen.reset()
    stream.feed(seen.getvalue())
    return "\n".join(line.rstrip() for line in screen.display)


def settle(child: Any, seconds: float = 0.5) -> None:
    """Read what arrives for a moment, so the emulated screen is up to date."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            child.read_nonblocking(65536, timeout=0.1)
        except pexpect.TIMEOUT:
            continue
        except pexpect.EOF:
            break


def test_ctrl_z_suspends_the_pager_and_fg_draws_it_again(home: Path) -> None:
    child, seen, screen = shell(home)
    child.sendline(f"{sys.executable} -m eventlesson learn")
    child.expect(f"1/{TOTAL}")
    child.send("n")
    child.expect(f"2/{TOTAL}")
    child.send("\x1a")
    child.expect("Stopped")
    child.expect(r"\$ ")
    settle(child)
    after_stop = shown(seen, screen)
    assert "Stopped" in after_stop and f"2/{TOTAL}" not in after_stop  # the shell's screen
    assert seen.getvalue().count("\x1b[?1049l") == 1  # left the alternate screen
    child.sendline("fg")
    child.expect(f"2/{TOTAL}")
    settle(child)
    page = shown(seen, screen)
    assert f"2/{TOTAL}" in page and "Stopped" not in page  # the page, drawn again, alone
    child.send("q")
    child.expect("Saved at page")
    child.expect(r"\$ ")
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_ctrl_z_during_the_live_simulation_and_fg_draw_one_frame(home: Path) -> None:
    child, seen, screen = shell(home, rows=30)
    child.sendline(f"{sys.executable} -m eventlesson simulate --speed 0.5")
    child.expect("P1:")
    child.send("\x1a")
    child.expect("Stopped")
    child.expect(r"\$ ")
    child.sendline("fg")
    child.expect("P2:")
    settle(child)
    picture = shown(seen, screen)
    assert picture.count("simulate · happy") == 1, picture
    # no rows of the frame from before the stop are left on screen above the new one
    top = picture.index("simulate · happy")
    assert "│" not in picture[:top], picture
    child.sendcontrol("c")
    child.expect("Stopped. The summary so far")
    child.expect(r"\$ ")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    assert "Traceback" not in seen.getvalue()
