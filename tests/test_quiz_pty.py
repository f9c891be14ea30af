"""`eventlesson quiz` in a real pseudo-terminal, driven like a person: arrows, Enter, y, Ctrl-C."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eventlesson.quiz import Session

from .support import SAMPLE, ended, fixture_lesson

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.pty

DOWN = "\x1b[B"
ENTER = "\r"
SEED = 1


def first_round_right_positions(seed: int) -> list[int]:
    """Where the right option is shown in the first round, as the program will shuffle it."""
    lesson = fixture_lesson()
    twin = Session(
        lesson.id, "knowledge-check", lesson.quiz_questions("knowledge-check"), seed=seed
    )
    return [s.display(s.question.answer) for s in twin.start_round()]


def explanation_start(number: int) -> str:
    """The first words of the right option's explanation of knowledge-check question `number`."""
    question = fixture_lesson().quiz_questions("knowledge-check")[number]
    return " ".join(question.options[question.answer].explanation.split()[:4])


def pick(child, position: int) -> None:
    """Wait for the picker, move down `position` times, press Enter."""
    child.expect(r"\(arrows\+Enter or letter\)")
    child.send(DOWN * position + ENTER)


def saved(home: Path) -> dict:
    return json.loads((home / "progress.json").read_text())["lessons"][SAMPLE]["quiz"]


def test_answer_with_arrows_see_explanations_score_and_retry_the_missed(spawn, home: Path) -> None:
    right = first_round_right_positions(SEED)
    child = spawn("quiz", "--seed", str(SEED), timeout=10)
    child.expect("Question 1 of 3")
    pick(child, right[0])
    child.expect(r"Right\.")
    child.expect(re.escape(explanation_start(0)))  # the explanation of the option chosen
    child.expect("Question 2 of 3")
    pick(child, (right[1] + 1) % 3)  # wrong on purpose
    child.expect(r"Not quite\.")
    child.expect("The right answer is")
    child.expect("Question 3 of 3")
    pick(child, right[2])
    child.expect(r"Right\.")
    child.expect(r"Score: 2 of 3\.")
    child.expect("missed")
    child.expect(r"Retry the one you missed\?")
    child.send("y")
    child.expect("Retry 1 of 1")
    child.expect("Why publish")
    # Shuffled again: find the right option by its text in the full list above the picker.
    child.expect(r"([ABC])\)(?:\x1b\[[0-9;]*m| )+So that several consumers")
    position = "ABC".index(child.match.group(1))
    pick(child, position)
    child.expect(r"Right\.")
    child.expect(r"Retry: 1 of 1 right this time\.")
    child.expect(r"All right now, after 1 retry\.")
    ended(child, 0)
    record = saved(home)["knowledge-check"]
    assert (record["attempts"], record["best"], record["last"]) == (1, 2, 2)
    assert record["missed"] == ["kc-fan-out"]


def test_ctrl_c_mid_quiz_keeps_what_was_answered(spawn, home: Path) -> None:
    right = first_round_right_positions(SEED)
    child = spawn("quiz", "--seed", str(SEED), timeout=10)
    pick(child, right[0])
    child.expect(r"Right\.")
    child.expect("Question 2 of 3")
    child.expect(r"\(arrows\+Enter or letter\)")
    child.sendcontrol("c")
    child.expect(r"Stopped\. Your progress is saved\.")
    ended(child, 130)
    record = saved(home)["knowledge-check"]
    assert record["answers"] == {"kc-event": 0}
    assert record["attempts"] == 0


def test_declining_the_retry_ends_cleanly(spawn, home: Path) -> None:
    child = spawn("quiz", "--no-shuffle", timeout=10)
    for _ in range(3):
        pick(child, 1)  # B: wrong for every knowledge-check question
        child.expect(r"Not quite\.")
    child.expect(r"Score: 0 of 3\.")
    child.expect(r"Retry the 3 you missed\?")
    child.send("n")
    ended(child, 0)
    assert saved(home)["knowledge-check"]["last"] == 0


def test_on_a_short_screen_an_explanation_waits_for_enter_before_the_next_question(
    spawn, home: Path
) -> None:
    from .support import PtyScreen

    right = first_round_right_positions(SEED)
    child = spawn("quiz", "--seed", str(SEED), rows=10, cols=40, timeout=10)
    screen = PtyScreen(child, rows=10, cols=40)
    pick(child, (right[0] + 1) % 3)  # wrong: the longer explanation, and the right answer's
    shown = screen.wait_for("Press Enter for the next question")
    assert "The right answer is" in shown and "Question 2 of 3" not in shown  # still to read
    child.send(ENTER)
    child.expect("Question 2 of 3")
    pick(child, right[1])
    child.expect("Press Enter for the next question")  # every answer, on a screen this short
    child.send(ENTER)
    pick(child, right[2])
    child.expect("Press Enter for the score")
    child.send(ENTER)
    child.expect("Score:")
    child.expect(r"\(Y/n\)")
    child.send("n")
    ended(child, 0)
    assert saved(home)["knowledge-check"]["attempts"] == 1


def test_on_a_tall_screen_the_quiz_does_not_stop_between_questions(spawn, home: Path) -> None:
    right = first_round_right_positions(SEED)
    child = spawn("quiz", "--seed", str(SEED), rows=60, cols=80, timeout=10)
    for position in right:
        pick(child, position)
    child.expect("Score:")
    assert "Press Enter" not in child.before
    ended(child, 0)
