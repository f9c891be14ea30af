"""The guided lesson in a real pseudo-terminal, driven like a person: keys, arrows, Ctrl-C."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .support import ended

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.pty

DOWN = "\x1b[B"
UP = "\x1b[A"
ENTER = "\r"
CTRL_C = "\x03"
MENU_DRAWN = "\u00bb A\\).*C\\) Event"  # the arrow-key menu is up, pointer on A, last choice drawn
SGR = r"(?:\x1b\[[0-9;]*m)*"  # colour codes between words, if any


def saved(home: Path) -> dict:
    return json.loads((home / "progress.json").read_text())["lessons"]["day-089"]


def page(child, number: int) -> None:
    child.expect(f"{number}/15")


def test_next_back_menu_check_quit_and_resume(spawn, home: Path) -> None:
    child = spawn("learn")
    page(child, 1)
    child.expect("Welcome")
    child.send("n")
    page(child, 2)
    child.send("b")
    page(child, 1)
    child.send("m")
    child.expect("Jump to which page")
    child.expect(f"\u00bb {SGR}here  1\\. Welcome")  # the cursor starts on this page; no letters
    for _ in range(5):  # down to "6. Practice: ..."
        child.send(DOWN)
    child.send(ENTER)
    page(child, 6)
    child.expect("Practice")
    child.send(ENTER)  # start the check
    child.expect("Practice · Question 1 of 8")
    child.expect(f"What kind of message is {SGR}CompletePurchase{SGR}\\?")  # no backticks
    child.send(DOWN)  # B) Query: wrong on purpose
    child.send(ENTER)
    child.expect(f"Not quite\\.{SGR} You chose {SGR}B\\)")
    child.expect(f"The right answer is {SGR}A\\)")
    child.send(ENTER)
    child.expect("purchase.completed")
    child.send(DOWN * 2 + ENTER)  # C) Event: right
    child.expect("Right.")
    child.send("q")  # a key other than Enter does not skip the pause
    child.send(ENTER)
    child.expect("Question 3 of 8")
    child.expect(MENU_DRAWN)  # the menu is on screen
    child.sendcontrol("c")
    ended(child, 130)
    state = saved(home)
    assert state["current"] == "check-1"
    assert state["checks"]["classify-complete-purchase"]["correct"] is False
    assert state["checks"]["classify-purchase-completed"]["correct"] is True

    again = spawn("learn")
    again.expect("6/15")  # resumes on the page where it stopped
    again.expect("Welcome back")
    again.expect("you covered:")  # then the recap lines
    again.send("q")
    again.expect("Saved at page 6/15")
    ended(again, 0)


def test_ctrl_c_on_a_page_saves_and_exits_130(spawn, home: Path) -> None:
    child = spawn("learn")
    page(child, 1)
    child.send("n")
    page(child, 2)
    child.send("n")
    page(child, 3)
    child.send(CTRL_C)
    child.expect("Stopped. Your progress is saved.")
    ended(child, 130)
    state = saved(home)
    assert state["current"] == "why" and state["done"] == ["start", "aha"]


def test_walk_from_first_page_to_last(spawn, home: Path) -> None:
    child = spawn("learn", "--restart")
    seen = set()
    for _ in range(200):
        index = child.expect(
            [
                r"(\d+)/15.*?q(?:\x1b\[0m)? quit",
                "\u00bb A\\)",
                "Press Enter to continue",
                "You finished",
            ]
        )
        if index == 0:  # a whole page, header to footer
            seen.add(int(child.match.group(1)))
            child.send("n")
        elif index == 1 or index == 2:
            child.send(ENTER)
        else:
            break
    ended(child, 0)
    assert seen == set(range(1, 16))
    state = saved(home)
    assert len(state["done"]) == 15 and state["finished_at"]
    assert len(state["checks"]) >= 10


def test_restart_starts_over(spawn, home: Path) -> None:
    child = spawn("learn")
    page(child, 1)
    child.send("n")
    page(child, 2)
    child.send("q")
    child.expect(pexpect.EOF)
    child = spawn("learn", "--restart")
    page(child, 1)
    child.send("q")
    child.expect(pexpect.EOF)
    assert saved(home)["done"] == []


def test_resize_redraws_at_the_new_size(spawn) -> None:
    child = spawn("learn", rows=24, cols=80)
    gap = r"(?:\x1b\[[0-9;]*m)* {%d}(?:\x1b\[[0-9;]*m)*"
    child.expect("Fundamentals" + gap % 42 + "1/15")  # title left, position right, at 80
    child.expect("quit")
    child.setwinsize(20, 40)
    child.expect("Fundamentals" + gap % 2 + "1/15")  # redrawn for 40 columns
    child.expect("quit")
    child.send("q")
    child.expect(pexpect.EOF)


@pytest.mark.parametrize("where", ["page", "menu", "check"])
def test_ctrl_d_leaves_cleanly_with_130(spawn, home: Path, where: str) -> None:
    child = spawn("learn")
    page(child, 1)
    child.expect("quit")
    if where == "menu":
        child.send("m")
        child.expect("Stay on this page")
    elif where == "check":
        child.send("m")
        child.expect("Stay on this page")
        child.send(DOWN * 5 + ENTER)
        page(child, 6)
        child.expect("quit")
        child.send(ENTER)
        child.expect(MENU_DRAWN)
    child.sendcontrol("d")
    ended(child, 130)
    assert (home / "progress.json").exists()


@pytest.mark.parametrize(("page_number", "scenario"), [(7, "happy"), (11, "publish-before-commit")])
def test_lesson_plays_its_simulation_inline_and_continues(
    spawn, page_number: int, scenario: str
) -> None:
    child = spawn("learn", EVENTLESSON_SIM_SPEED="60", timeout=30)
    page(child, 1)
    child.expect("quit")
    child.send("m")
    child.expect("Stay on this page")
    child.send(DOWN * (page_number - 1) + ENTER)
    page(child, page_number)
    child.expect(r"s(?:\x1b\[0m)? simulate")  # the footer offers it
    child.send("s")
    child.expect("enrollment")  # the live view
    child.expect(f"Summary · {scenario}")
    child.expect("Takeaway")
    child.expect("Press Enter to return to the lesson")
    child.send(ENTER)
    page(child, page_number)  # back on the same page
    child.expect("quit")
    child.send("n")
    page(child, page_number + 1)
    child.send("q")
    ended(child, 0)


@pytest.mark.parametrize(
    "args",
    [("learn", "--print"), ("simulate", "happy", "--plain", "--purchases", "2", "--speed", "50")],
)
def test_print_and_plain_on_a_terminal_with_no_color_have_no_escape_codes(spawn, args) -> None:
    child = spawn(*args, NO_COLOR="1")
    seen = ended(child, 0)
    assert "\x1b" not in seen
    assert "purchase" in seen
