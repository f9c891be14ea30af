"""`eventlesson exercise NAME` in a real pseudo-terminal: save the file, see the verdict redrawn.

The learner's editor is played by the test, which writes the file; the keys are typed like a
person's. Full screen (the pager) and line by line (TERM=dumb, as a screen reader uses it).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from .support import FIXTURE_COURSE, PtyScreen, ended

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

pytestmark = pytest.mark.pty

CTRL_C = "\x03"
ORDER = FIXTURE_COURSE / "sample" / "exercises" / "order"
START = (ORDER / "start.py").read_text(encoding="utf-8")
SOLUTION = (ORDER / "solution.py").read_text(encoding="utf-8")


def save(path: Path, text: str) -> None:
    """What an editor does: write the file (here, in one go)."""
    path.write_text(text, encoding="utf-8")


def test_each_save_redraws_the_verdict_h_shows_a_hint_q_leaves(spawn, home: Path) -> None:
    child = spawn("exercise", "order", timeout=30)
    screen = PtyScreen(child)
    mine = home / "exercises" / "sample" / "order.py"
    screen.wait_for("✗ Failing: ghost events")
    text = screen.wait_for("q quit")  # the footer: the whole frame is drawn
    assert "Exercise 1/2 · Commit first" in text and "failing" in text
    assert "Save the file to check again" in text and "h hint (1 of 2)" in text
    assert mine.read_text(encoding="utf-8") == START

    save(mine, SOLUTION)
    text = screen.wait_for("✓ Passing")
    assert "Failing" not in text and "passing" in text.splitlines()[0]
    assert "Reference solution" in screen.wait_for("Reference solution")

    child.send("h")
    screen.wait_for("Hint 1 of 2: Which line makes the purchase true?")
    assert "h hint (2 of 2)" in screen.wait_for("q quit")

    save(mine, START)  # breaking it again is seen too
    screen.wait_for("✗ Failing: ghost events")

    child.send("q")
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", ended(child, 0))  # printed after the pager
    out = " ".join(out.split())
    assert "order: failing. Your file stays at" in out
    assert re.search(r"Come back with \S*eventlesson exercise order", out)


def test_an_error_in_the_learners_code_is_shown_then_fixed(spawn, home: Path) -> None:
    child = spawn("exercise", "order", timeout=30)
    screen = PtyScreen(child)
    screen.wait_for("✗ Failing")
    mine = home / "exercises" / "sample" / "order.py"
    save(mine, "def complete_purchase(store, bus, purchase):\n    while True:\n        pass\n")
    text = screen.wait_for("✗ Your code did not finish")
    assert "complete_purchase() did not finish within 1 s: an endless loop?" in text
    assert 'File "order.py", line 2, in complete_purchase' in text
    save(mine, SOLUTION)
    screen.wait_for("✓ Passing")
    child.send(CTRL_C)
    ended(child, 130)
    assert "Your progress is saved" in screen.text()


def test_line_by_line_for_a_dumb_terminal(spawn, home: Path) -> None:
    child = spawn("exercise", "order", TERM="dumb", timeout=30)
    child.logfile_read = everything = io.StringIO()  # all of it, not only after the last expect
    child.expect("Wrote the starting file")
    child.expect("Failing: ghost events")
    child.expect(r"type h and Enter for a hint,\s+q and Enter\s+to\s+quit")
    child.sendline("h")
    child.expect("Hint 1 of 2")
    save(home / "exercises" / "sample" / "order.py", SOLUTION)
    child.expect("checking again")
    child.expect("Passing")
    child.expect("Reference solution")
    child.sendline("q")
    ended(child, 0)
    assert "\x1b[2J" not in everything.getvalue()  # nothing is cleared or redrawn


@pytest.mark.parametrize(("rows", "cols"), [(24, 80), (20, 40)])
def test_h_scrolls_the_new_hint_into_view(spawn, home: Path, rows: int, cols: int) -> None:
    """The verdict with its trace is taller than the screen, and the hints come after it: `h`
    must bring the new hint on screen, not only change the footer's count."""
    child = spawn("exercise", "order", rows=rows, cols=cols, timeout=30)
    screen = PtyScreen(child, rows, cols)
    screen.wait_for("✗ Failing")
    screen.wait_for("q quit")
    assert "Hint 1" not in screen.text()
    child.send("h")
    text = screen.wait_for("Hint 1 of 2")
    assert "(2 of 2)" in screen.wait_for("q quit")
    child.send("h")
    text = screen.wait_for("Hint 2 of 2")
    assert "Hint 1 of 2" in text  # the one before is still in view
    assert "no more hints" in screen.wait_for("q quit")
    child.send("\x1b[1~")  # Home, as tmux sends it: back to the top
    text = screen.wait_for("What to do")
    assert "Hint" not in text
    child.send("q")
    ended(child, 0)
