"""Ctrl-C and Ctrl-D at every kind of prompt: exit 130, one goodbye line, no traceback, progress kept.

The prompts come in two builds: the full-screen ones (the pager, questionary's menus and
confirmations, the raw-mode "Press Enter" pause) and the TERM=dumb ones (a typed line read with
readline). Each is reached the way a learner would, then interrupted with both keys.

Already covered elsewhere, so not repeated here: Ctrl-C on a lesson page and at a lesson check and
Ctrl-D on a page, the menu and a check (test_learn_pty.py); Ctrl-C at a quiz question
(test_quiz_pty.py); Ctrl-C during `simulate` (test_sim_pty.py).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eventlesson.flows.info import reset_progress
from eventlesson.flows.quiz import run_quiz
from eventlesson.progress import Progress, ProgressStore

from .support import SAMPLE, fixture_lesson, jump_to, page_of, position

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.pty

DOWN = "\x1b[B"
ENTER = "\r"
KEYS = {"ctrl-c": "\x03", "ctrl-d": "\x04"}
QUIT = r"q(?:\x1b\[[0-9;]*m)* quit"  # the end of every pager footer, coloured or not
COMMAND = r"q quit\r\n> "  # TERM=dumb: a page's footer, then the command prompt
DUMB = {"TERM": "dumb"}
TOTAL = len(fixture_lesson().sections)


def lesson_state(home: Path) -> dict[str, Any]:
    return json.loads((home / "progress.json").read_text())["lessons"][SAMPLE]


def quiz_record(home: Path) -> dict[str, Any]:
    return lesson_state(home)["quiz"]["knowledge-check"]


def wait_for_raw_mode(child: Any) -> None:
    """Wait until the program reads single keys (echo off) before sending one.

    The "Press Enter" pause prints its prompt before it switches the terminal to raw mode; a
    Ctrl-D typed in that gap would reach a line-mode terminal and be lost, hanging the test.
    """
    assert child.waitnoecho(timeout=10), "the program never switched to raw mode"


# -- how to reach each prompt ---------------------------------------------------------------


def pager_menu(child: Any) -> None:
    child.expect(position("welcome"))
    child.expect(QUIT)
    child.send("n")
    child.expect(position("panels"))
    child.expect(QUIT)
    child.send("m")
    child.expect("Stay on this page")


def pager_check_pause(child: Any) -> None:
    """Answer the first practice check (a classify one), then stop at its "Press Enter" pause."""
    child.expect(QUIT)
    jump_to(child, "check-kinds")
    child.expect(QUIT)
    child.send(ENTER)  # start the check
    child.expect("Question 1 of")
    child.expect(r"\(arrows\+Enter or letter\)")
    child.send(ENTER)  # A) Command: right for DoThing
    child.expect("Press Enter for the next question")


def inline_simulation(child: Any) -> None:
    """The fan-out page plays the happy scenario inside the lesson; a first Ctrl-C while it runs
    goes back to the page (the second, sent by the test, leaves the lesson)."""
    child.expect(QUIT)
    jump_to(child, "fan-out")
    child.expect(r"s(?:\x1b\[0m)? simulate")
    child.send("s")
    child.expect("purchase [1-9]")  # the live view is up and running
    wait_for_raw_mode(child)
    child.send(KEYS["ctrl-c"])
    child.expect(position("fan-out"))  # back on the page
    child.expect(QUIT)


def quiz_second_question(child: Any) -> None:
    child.expect("Question 1 of 3")
    child.expect(r"\(arrows\+Enter or letter\)")
    child.send(ENTER)  # A, unshuffled: right
    child.expect(r"Right\.")
    child.expect("Question 2 of 3")
    child.expect(r"\(arrows\+Enter or letter\)")


def quiz_retry_offer(child: Any) -> None:
    for _ in range(3):
        child.expect(r"\(arrows\+Enter or letter\)")
        child.send(DOWN + ENTER)  # B, unshuffled: wrong every time
        child.expect(r"Not quite\.")
    child.expect(r"Score: 0 of 3\.")
    child.expect(r"Retry the 3 you missed\?")


def quiz_retry_question(child: Any) -> None:
    quiz_retry_offer(child)
    child.send("y")
    child.expect("Retry 1 of 3")
    child.expect(r"\(arrows\+Enter or letter\)")


def reset_confirmation(child: Any) -> None:
    child.expect(r"Forget all your progress in every lesson and quiz\?")


def dumb_page(child: Any) -> None:
    child.expect(position("welcome"))
    child.expect(COMMAND)
    child.send(ENTER)
    child.expect(position("panels"))
    child.expect(COMMAND)


def dumb_menu(child: Any) -> None:
    dumb_page(child)
    child.send("m" + ENTER)
    child.expect(rf"Your choice \(1-{TOTAL}, Enter for 2\): ")  # a page number, or Enter to stay


def dumb_check(child: Any) -> None:
    child.expect(COMMAND)
    child.send("m" + ENTER)
    child.expect(rf"Your choice \(1-{TOTAL}, Enter for 1\): ")
    child.send(f"{page_of('check-kinds')}{ENTER}")
    child.expect(position("check-kinds"))
    child.expect(COMMAND)
    child.send(ENTER)  # start the check
    child.expect("Question 1 of")
    child.expect(r"Type a letter from A to C and press Enter \(q leaves\): ")


def dumb_check_pause(child: Any) -> None:
    dumb_check(child)
    child.send("A" + ENTER)  # Command: right for DoThing
    child.expect(r"Press Enter for the next question \(q leaves\) ")


def dumb_quiz_second_question(child: Any) -> None:
    child.expect(r"Type a letter from A to C and press Enter: ")
    child.send("A" + ENTER)
    child.expect(r"Right\.")
    child.expect("Question 2 of 3")
    child.expect(r"Type a letter from A to C and press Enter: ")


def dumb_retry_offer(child: Any) -> None:
    for _ in range(3):
        child.expect(r"Type a letter from A to C and press Enter: ")
        child.send("B" + ENTER)
        child.expect(r"Not quite\.")
    child.expect(r"Retry the 3 you missed\? \[Y/n\] ")


# -- what must have been kept -------------------------------------------------------------------


def kept_page_2(home: Path) -> None:
    state = lesson_state(home)
    assert state["current"] == "panels" and state["done"] == ["welcome"]


def kept_check_answer(home: Path) -> None:
    state = lesson_state(home)
    assert state["current"] == "check-kinds"
    assert state["checks"]["kinds-do-thing"]["correct"] is True


def kept_page_7(home: Path) -> None:
    assert lesson_state(home)["current"] == "fan-out"


def kept_check_page(home: Path) -> None:
    state = lesson_state(home)
    assert state["current"] == "check-kinds" and state["checks"] == {}


def kept_first_answer(home: Path) -> None:
    record = quiz_record(home)
    assert record["answers"] == {"kc-event": 0}
    assert record["attempts"] == 0  # an unfinished round is not an attempt


def kept_scored_round(home: Path) -> None:
    record = quiz_record(home)
    assert (record["attempts"], record["last"], record["best"], record["total"]) == (1, 0, 0, 3)
    assert len(record["missed"]) == 3


def kept_everything(home: Path) -> None:
    assert lesson_state(home)["done"] == ["welcome", "panels"]  # what `seeded` wrote, untouched


@dataclass(frozen=True)
class Prompt:
    """One kind of prompt: how to start, how to get there, what progress must survive."""

    args: tuple[str, ...]
    reach: Callable[[Any], None]
    kept: Callable[[Path], None]
    env: tuple[tuple[str, str], ...] = ()
    seeded: bool = False  # start with saved progress (the reset must not lose it)
    keys: tuple[str, ...] = tuple(KEYS)  # the keys that mean "stop" here

    @property
    def raw(self) -> bool:
        """Whether the prompt reads single keys (full screen) rather than typed lines."""
        return dict(self.env).get("TERM") != "dumb"


PROMPTS = {
    # full-screen prompts (Ctrl-D at the menu and Ctrl-C at a quiz question are tested already)
    "menu": Prompt(("learn",), pager_menu, kept_page_2, keys=("ctrl-c",)),
    "check-pause": Prompt(("learn",), pager_check_pause, kept_check_answer),
    # Ctrl-C in an inline simulation returns to the page; a second one leaves the lesson
    "inline-simulation": Prompt(
        ("learn",),
        inline_simulation,
        kept_page_7,
        env=(("EVENTLESSON_SIM_SPEED", "2"),),
        keys=("ctrl-c",),
    ),
    "quiz-question": Prompt(
        ("quiz", "--no-shuffle"), quiz_second_question, kept_first_answer, keys=("ctrl-d",)
    ),
    "retry-offer": Prompt(("quiz", "--no-shuffle"), quiz_retry_offer, kept_scored_round),
    "retry-question": Prompt(("quiz", "--no-shuffle"), quiz_retry_question, kept_scored_round),
    "reset": Prompt(("progress", "--reset"), reset_confirmation, kept_everything, seeded=True),
    # TERM=dumb: the same prompts read as typed lines
    "dumb-page": Prompt(("learn",), dumb_page, kept_page_2, env=tuple(DUMB.items())),
    "dumb-menu": Prompt(("learn",), dumb_menu, kept_page_2, env=tuple(DUMB.items())),
    "dumb-check": Prompt(("learn",), dumb_check, kept_check_page, env=tuple(DUMB.items())),
    "dumb-check-pause": Prompt(
        ("learn",), dumb_check_pause, kept_check_answer, env=tuple(DUMB.items())
    ),
    "dumb-quiz-question": Prompt(
        ("quiz", "--no-shuffle"),
        dumb_quiz_second_question,
        kept_first_answer,
        env=tuple(DUMB.items()),
    ),
    "dumb-retry-offer": Prompt(
        ("quiz", "--no-shuffle"), dumb_retry_offer, kept_scored_round, env=tuple(DUMB.items())
    ),
    "dumb-reset": Prompt(
        ("progress", "--reset"),
        reset_confirmation,
        kept_everything,
        env=tuple(DUMB.items()),
        seeded=True,
    ),
}


def seed_progress(home: Path) -> bytes:
    """Two pages done in the lesson, saved the way the program saves; returns the file's bytes."""
    progress = Progress()
    lesson = progress.lesson(SAMPLE)
    for section_id in ("welcome", "panels"):
        lesson.mark_done(section_id)
    assert ProgressStore(home).save(progress)
    return (home / "progress.json").read_bytes()


CASES = [
    pytest.param(name, key, id=f"{name}-{key}")
    for name, prompt in PROMPTS.items()
    for key in prompt.keys
]


@pytest.mark.parametrize(("name", "key"), CASES)
def test_interrupt_exits_130_and_keeps_progress(
    spawn: Callable[..., Any], home: Path, name: str, key: str
) -> None:
    prompt = PROMPTS[name]
    before = seed_progress(home) if prompt.seeded else None
    child = spawn(*prompt.args, timeout=15, **dict(prompt.env))
    seen = io.StringIO()
    child.logfile_read = seen  # all of the output, not just what follows the last match
    prompt.reach(child)
    if prompt.raw:
        wait_for_raw_mode(child)
    child.send(KEYS[key])
    child.expect(r"Stopped\. Your progress is saved\.")
    child.expect(pexpect.EOF)
    child.close()
    output = seen.getvalue()
    assert child.exitstatus == 130
    assert "Traceback" not in output
    assert "error:" not in output  # backing out is not a failure
    if before is not None:
        assert (home / "progress.json").read_bytes() == before  # the reset did not happen
    prompt.kept(home)


# -- Ctrl-C as a signal, between two prompts ----------------------------------------------------


class SignalledPrompter:
    """Ctrl-C landing while the terminal is in line mode between prompts: SIGINT, not a key.

    It surfaces as KeyboardInterrupt wherever the program happens to be, not as the prompt
    seam's `Interrupted`; every flow must still say goodbye and return 130.
    """

    def select(self, message: str, choices: Any, **options: Any) -> int:
        raise KeyboardInterrupt

    def confirm(self, message: str, *, default: bool = False) -> bool:
        raise KeyboardInterrupt


def run_guarded(call: Callable[[], int]) -> int:
    """Run a flow; a KeyboardInterrupt escaping it fails the test instead of stopping pytest."""
    try:
        return call()
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped the flow")


def test_sigint_mid_quiz_says_goodbye(make_app: Any) -> None:
    app = make_app(SignalledPrompter())
    code = run_guarded(lambda: run_quiz(app, None, set_name="knowledge-check"))
    assert code == 130
    assert "Stopped. Your progress is saved." in make_app.errors.getvalue()


def test_sigint_at_reset_confirmation_keeps_everything(make_app: Any, home: Path) -> None:
    before = seed_progress(home)
    app = make_app(SignalledPrompter())
    assert run_guarded(lambda: reset_progress(app, yes=False)) == 130
    assert "Stopped. Your progress is saved." in make_app.errors.getvalue()
    assert (home / "progress.json").read_bytes() == before
