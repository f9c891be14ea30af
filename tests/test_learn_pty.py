"""The guided lesson in a real pseudo-terminal, driven like a person: keys, arrows, Ctrl-C."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .support import SAMPLE, ended, fixture_lesson, jump_to, page_of, position

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.pty

DOWN = "\x1b[B"
UP = "\x1b[A"
ENTER = "\r"
CTRL_C = "\x03"
MENU_DRAWN = "\u00bb A\\).*C\\) Event"  # the arrow-key menu is up, pointer on A, last choice drawn
PREDICTION_DRAWN = "\u00bb A\\).*C\\) They wait"  # the prediction's menu, drawn to its last choice
SGR = r"(?:\x1b\[[0-9;]*m)*"  # colour codes between words, if any


def saved(home: Path) -> dict:
    return json.loads((home / "progress.json").read_text())["lessons"][SAMPLE]


SECTIONS = [s.id for s in fixture_lesson().sections]
TOTAL = len(SECTIONS)


def page(child, number: int) -> None:
    child.expect(f"{number}/{TOTAL}")


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
    for _ in range(page_of("check-kinds") - 1):  # down to "3. Practice: Kinds"
        child.send(DOWN)
    child.send(ENTER)
    page(child, page_of("check-kinds"))
    child.expect("Practice")
    child.send(ENTER)  # start the check
    child.expect("Practice · Question 1 of 3")
    child.expect(f"What kind of message is {SGR}DoThing{SGR}\\?")  # no backticks
    child.expect("Esc/q leave")  # the key line stays under the choices
    child.send(DOWN)  # B) Query: wrong on purpose
    child.send(ENTER)
    child.expect(f"Not quite\\.{SGR} You chose {SGR}B\\)")
    child.expect(f"The right answer is {SGR}A\\)")
    child.send(ENTER)
    child.expect("thing.happened")
    child.expect(MENU_DRAWN)
    child.send("c")  # a letter answers at once: C) Event, right
    child.expect("Right.")
    child.send("x")  # a key other than Enter, q, b or Esc does not skip the pause
    child.send("q")  # q leaves the check, keeping both answers
    page(child, page_of("check-kinds"))
    child.expect("2 of 3 answered")
    child.send(ENTER)  # carry on where it stopped
    child.expect("Question 3 of 3")
    child.expect(MENU_DRAWN)  # the menu is on screen
    child.sendcontrol("c")
    ended(child, 130)
    state = saved(home)
    assert state["current"] == "check-kinds"
    assert state["checks"]["kinds-do-thing"]["correct"] is False
    assert state["checks"]["kinds-thing-happened"]["correct"] is True

    again = spawn("learn")
    again.expect(position("check-kinds"))  # resumes on the page where it stopped
    again.expect("Welcome back")
    again.expect("you covered:")  # then the recap lines
    again.send("q")
    again.expect(f"Saved at page {position('check-kinds')}")
    ended(again, 0)


def test_ctrl_c_on_a_page_saves_and_exits_130(spawn, home: Path) -> None:
    child = spawn("learn")
    page(child, 1)
    child.send("n")
    page(child, 2)
    child.send("n")
    page(child, 3)
    child.expect("quit")
    child.send(CTRL_C)
    child.expect("Stopped. Your progress is saved.")
    ended(child, 130)
    state = saved(home)
    assert state["current"] == SECTIONS[2] and state["done"] == SECTIONS[:2]


def test_walk_from_first_page_to_last(spawn, home: Path) -> None:
    """Every page, check and prediction (its run watched), the knowledge check inside the
    session, then `progress` shows its score."""
    child = spawn("learn", EVENTLESSON_SIM_SPEED="100", timeout=30)
    seen = set()
    for _ in range(200):
        index = child.expect(
            [
                rf"(\d+)/{TOTAL}.*?q(?:\x1b\[0m)? quit",
                "\u00bb A\\)",
                "Press Enter (?:to continue|for the next question|to start the run)",
                r"Retry the (?:one|\d+) you missed\?",
                r"Try the practice set now\?",
                "Press any key to see how your prediction did",  # a prediction's run, at its end
                "You finished",
            ]
        )
        if index == 0:  # a whole page, header to footer
            seen.add(int(child.match.group(1)))
            child.send("n")
        elif index in (1, 2, 5):
            child.send(ENTER)
        elif index in (3, 4):
            child.send("n")
        else:
            break
    ended(child, 0)
    assert seen == set(range(1, TOTAL + 1))
    state = saved(home)
    assert len(state["done"]) == TOTAL and state["finished_at"]
    assert len(state["checks"]) == sum(len(c.questions) for c in fixture_lesson().checks)
    record = state["quiz"]["knowledge-check"]
    assert record["attempts"] == 1 and record["total"] == 3
    shown = spawn("progress")
    shown.expect(rf"knowledge-check.*{record['last']}/3")
    ended(shown, 0)


def test_restart_starts_over(spawn, home: Path) -> None:
    child = spawn("learn")
    page(child, 1)
    child.send("n")
    page(child, 2)
    child.send("q")
    child.expect(pexpect.EOF)
    child = spawn("learn", "--restart")
    child.expect(r"Start the lesson over\?")  # asks before it forgets anything
    child.send("n")
    page(child, 2)  # kept
    child.send("q")
    child.expect(pexpect.EOF)
    assert saved(home)["done"] == [SECTIONS[0]]
    child = spawn("learn", "--restart")
    child.expect(r"Start the lesson over\?")
    child.send("y")
    page(child, 1)
    child.send("q")
    child.expect(pexpect.EOF)
    assert saved(home)["done"] == []


def test_resize_redraws_at_the_new_size(spawn) -> None:
    child = spawn("learn", rows=24, cols=80)
    gap = r"(?:\x1b\[[0-9;]*m)* {%d}(?:\x1b\[[0-9;]*m)*"
    title, first = fixture_lesson().title, position(SECTIONS[0])
    at_80, at_40 = 80 - len(title) - len(first), 40 - len(title) - len(first)
    child.expect(re.escape(title) + gap % at_80 + first)  # title left, position right, at 80
    child.expect("quit")
    child.setwinsize(20, 40)
    child.expect(re.escape(title) + gap % at_40 + first)  # redrawn for 40 columns
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
        jump_to(child, "check-kinds")
        child.expect("quit")
        child.send(ENTER)
        child.expect(MENU_DRAWN)
    child.sendcontrol("d")
    ended(child, 130)
    assert (home / "progress.json").exists()


def test_s_on_a_prediction_page_asks_the_prediction_before_the_run(spawn, home: Path) -> None:
    page_number = page_of("failure")
    child = spawn("learn", EVENTLESSON_SIM_SPEED="60", timeout=30)
    page(child, 1)
    child.expect("quit")
    jump_to(child, "failure")
    child.expect(r"s(?:\x1b\[0m)? simulate")
    child.send("s")  # a run with an open prediction: predict first
    child.expect("Predict what happens.")
    child.expect(PREDICTION_DRAWN)
    child.send("b")
    child.expect("Press Enter to start the run")
    child.send(ENTER)
    child.expect("enrollment")  # the live view
    child.expect(f"q{SGR} see the result")  # the run leads to the comparison, not the page
    child.expect("Press any key to see how your prediction did")
    child.send(ENTER)
    child.expect("What this run showed")
    child.expect(r"\(ghost\s+events:\s+P\d+")
    child.expect(r"Right\.")
    child.expect("Press Enter to continue")
    child.send(ENTER)
    page(child, page_number)
    child.expect(r"Predict, then watch: Too early \(1/1 right\)")
    child.send("q")
    ended(child, 0)
    assert saved(home)["checks"]["predict-ghost-1"]["correct"] is True


def frame(child) -> str:
    """The next full frame the pager draws, from its clear-screen to its footer's last key, as
    text without colour codes."""
    child.expect(r"\x1b\[H\x1b\[2J")
    child.expect(f"q{SGR} quit")
    return re.sub(r"\x1b\[[0-9;]*m", "", child.before)


def test_after_a_prediction_the_page_comes_back_where_it_is_asked(spawn, home: Path) -> None:
    """On a page taller than the screen, the learner scrolls to its end and predicts; after the
    run and the comparison, the page is back at the prediction (not at its top), so the next
    Enter goes on to the next page."""
    page_number = page_of("failure")
    child = spawn("learn", rows=12, EVENTLESSON_SIM_SPEED="60", timeout=30)
    page(child, 1)
    child.expect("quit")
    child.send("m")
    child.expect("Stay on this page")
    child.send(DOWN * (page_number - 1) + ENTER)
    top = frame(child)
    assert "Publish before the commit" in top and "Enter more" in top  # it scrolls
    assert "space/↑↓ scroll" in top  # the pager's scroll keys (← and → are back and next)
    for _ in range(20):  # Enter scrolls on, until the footer offers the prediction
        child.send(ENTER)
        if "Enter predict" in frame(child):
            break
    child.send(ENTER)
    child.expect(PREDICTION_DRAWN)
    child.send("b")
    child.expect("Press Enter to start the run")
    child.send(ENTER)
    child.expect("Press any key to see how your prediction did")
    child.send(ENTER)
    child.expect("What this run showed")
    child.expect("Press Enter to continue")
    child.send(ENTER)
    back = frame(child)
    assert f"{page_number}/{TOTAL}" in back
    assert "Publish before the commit" not in back  # not the page's top...
    assert "Predict, then watch: Too early (1/1 right)" in back  # ...its check
    child.send(ENTER)  # on from there: the rest of the page, then the next page
    for _ in range(20):
        shown = frame(child)
        if f"{page_number + 1}/{TOTAL}" in shown:
            break
        child.send(ENTER)
    else:
        raise AssertionError("Enter did not reach the next page")
    child.send("q")
    ended(child, 0)


@pytest.mark.parametrize(("section_id", "scenario"), [("fan-out", "happy")])
def test_lesson_plays_its_simulation_inline_and_continues(
    spawn, section_id: str, scenario: str
) -> None:
    page_number = page_of(section_id)
    child = spawn("learn", EVENTLESSON_SIM_SPEED="60", timeout=30)
    page(child, 1)
    child.expect("quit")
    jump_to(child, section_id)
    child.expect(r"s(?:\x1b\[0m)? simulate")  # the footer offers it
    child.send("s")
    child.expect("enrollment")  # the live view
    child.expect(f"Summary · {scenario}")
    child.expect("Takeaway")
    child.expect("Press any key to return to the lesson")
    child.send(ENTER)
    page(child, page_number)  # back on the same page
    child.expect("quit")
    child.send("n")
    page(child, page_number + 1)
    child.send("q")
    ended(child, 0)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("learn", "--print"), "thing.happened"),
        (("simulate", "happy", "--plain", "--purchases", "2", "--speed", "50"), "purchase"),
    ],
)
def test_print_and_plain_on_a_terminal_with_no_color_have_no_escape_codes(
    spawn, args, needle: str
) -> None:
    child = spawn(*args, NO_COLOR="1")
    seen = ended(child, 0)
    assert "\x1b" not in seen
    assert needle in seen


def test_a_pause_prompt_breaks_at_words_on_a_narrow_screen(spawn) -> None:
    from .support import PtyScreen

    child = spawn("learn", rows=24, cols=40)
    screen = PtyScreen(child, rows=24, cols=40)
    page(child, 1)
    child.expect("quit")
    child.send("m")
    child.expect("Stay on this page")
    child.send(DOWN * (page_of("check-kinds") - 1) + ENTER)
    screen.wait_for("start check")
    child.send(ENTER)
    screen.wait_for("or letter")
    child.send("a")
    shown = screen.wait_for("Press Enter")
    lines = shown.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Press Enter"))
    prompt = " ".join(line.strip() for line in lines[at:] if line.strip())
    assert prompt == "Press Enter for the next question (q leaves)"  # no word cut in two
    assert all(len(line) <= 40 for line in lines[at:])
    child.send("q")
    screen.wait_for("quit")
    child.send("q")
    ended(child, 0)
