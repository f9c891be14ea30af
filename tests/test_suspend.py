"""Ctrl-Z wherever a learner waits for a key in `learn` and `quiz`, not only in the pager.

A "Press Enter" pause, a check's arrow-key menu, a yes/no confirmation, a run's final screen, and
(TERM=dumb) a typed line: Ctrl-Z gives the shell its terminal back (the lesson's alternate screen
left, the cursor shown), and `fg` brings back the same prompt, drawn again with what was above
it, the menu's cursor on the same choice; answering it then works and is saved.

The program runs under `bash -i` (`support.job_shell`): only a job control shell's child can be
stopped. bash's "Stopped" line is the proof the process stopped. The emulated screen (pyte)
ignores the alternate screen, so after `fg` it shows only what the program drew again. First,
the copy of the alternate screen that `fg` writes again (`ScreenCopy`) on its own.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eventlesson.ui.terminal import ScreenCopy

from .support import SAMPLE, PtyScreen, job_shell, jump_to, position
from .test_interrupts import (
    DOWN,
    ENTER,
    dumb_check_pause,
    pager_check_pause,
    quiz_retry_offer,
    wait_for_raw_mode,
)

CTRL_Z = "\x1a"
GIVEN_BACK = "\x1b[?25h\x1b[?1049l"  # the cursor shown, the alternate screen left


# -- the copy of the alternate screen ------------------------------------------------------------


def recording() -> ScreenCopy:
    copy = ScreenCopy()
    copy.start()
    return copy


def test_the_copy_starts_at_the_last_clear_even_one_split_between_writes() -> None:
    copy = recording()
    copy.add(b"old page\x1b[H\x1b")
    copy.add(b"[2Jheader\r\n")
    copy.add(b"? question")
    assert copy.replay() == b"\x1b[2Jheader\r\n? question"


def test_the_copy_leaves_out_cursor_position_requests() -> None:
    copy = recording()
    copy.add(b"\x1b[2J? menu\x1b[6n")  # replayed, the terminal would answer it as typed keys
    assert copy.replay() == b"\x1b[2J? menu"


def test_what_is_written_while_suspended_is_not_kept() -> None:
    copy = recording()
    copy.add(b"\x1b[2JPress Enter")
    copy.recording = False  # `give_back`: leaving the alternate screen is not part of it
    copy.add(b"\x1b[?25h\x1b[?1049l")
    assert copy.replay() == b"\x1b[2JPress Enter"


def test_past_its_limit_the_copy_is_dropped_until_the_next_clear(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ScreenCopy, "LIMIT", 16)
    copy = recording()
    copy.add(b"\x1b[2J" + b"frame " * 4)
    assert copy.replay() == b""  # a screen cut short would be drawn wrong: nothing instead
    copy.add(b"more frames")
    assert copy.replay() == b""
    copy.add(b"\x1b[2Jsummary")
    assert copy.replay() == b"\x1b[2Jsummary"


# -- Ctrl-Z and `fg` in a real terminal ------------------------------------------------------------


class Seen(PtyScreen):
    """The emulated screen, and all the output as it came (for the escape codes themselves)."""

    def __init__(self, child: Any) -> None:
        super().__init__(child)
        self.raw = io.StringIO()

    def write(self, data: str) -> None:
        self.raw.write(data)
        super().write(data)


@pytest.fixture
def shell(home: Path) -> Iterator[tuple[Any, Seen]]:
    pytest.importorskip("pexpect")
    child = job_shell(home)
    yield child, Seen(child)
    if child.isalive():
        child.terminate(force=True)


def checks(home: Path) -> dict[str, Any]:
    lesson = json.loads((home / "progress.json").read_text())["lessons"][SAMPLE]
    return lesson["checks"]  # type: ignore[no-any-return]


def run(child: Any, *args: str, env: str = "") -> None:
    child.sendline(f"{env} {sys.executable} -m eventlesson {' '.join(args)}".strip())


def suspend_and_resume(child: Any, seen: Seen, *, alternate: bool) -> str:
    """Ctrl-Z: the job stops with the terminal given back; `fg`: the output until it is back."""
    child.send(CTRL_Z)
    child.expect("Stopped", timeout=10)
    child.expect(r"\$ ")
    given = seen.raw.getvalue()
    if alternate:
        assert given.rstrip().rfind(GIVEN_BACK) > given.rfind("\x1b[?25l"), "cursor hidden"
    start = len(given)
    child.sendline("fg")
    return seen.raw.getvalue()[start:]


def answer_menu(child: Any) -> None:
    """Open the first check's first question (a classify one; A is right) in the lesson."""
    child.expect("quit")
    jump_to(child, "check-kinds")
    child.expect("quit")
    child.send(ENTER)  # start the check
    child.expect(r"\(arrows\+Enter or letter\)")


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    reach: Callable[[Any], None]
    back: tuple[str, ...]  # all on screen again after `fg`
    answer: str  # what to type then
    answered: str  # on screen once that was taken
    env: str = ""
    alternate: bool = True  # the lesson's alternate screen (else the normal one)
    raw: bool = True  # single keys (else a typed line)
    kept: Callable[[Path], bool] = lambda home: True


def moved_to_b(child: Any) -> None:
    answer_menu(child)
    child.send(DOWN)  # the cursor on B: it must still be there after `fg`
    child.expect("\u00bb B\\)")


def final_screen(child: Any) -> None:
    child.expect("quit")
    jump_to(child, "fan-out")
    child.expect(r"s(?:\x1b\[0m)? simulate")
    child.send("s")
    child.expect("Press any key to return to the lesson")


CASES = {
    "check-pause": Case(
        ("learn",),
        pager_check_pause,
        back=(position("check-kinds"), "Question 1 of", "Right.", "Press Enter for the next"),
        answer=ENTER,
        answered="Question 2 of",
        kept=lambda home: checks(home)["kinds-do-thing"]["correct"] is True,
    ),
    "check-menu": Case(
        ("learn",),
        moved_to_b,
        back=(position("check-kinds"), "Sort each message.", "Question 1 of", "\u00bb B)"),
        answer=ENTER,
        answered="Not quite.",
        kept=lambda home: checks(home)["kinds-do-thing"]["correct"] is False,  # B was taken
    ),
    "run-final-screen": Case(
        ("learn",),
        final_screen,
        back=("Summary · happy", "Press any key to return to the lesson"),
        answer=ENTER,
        answered=position("fan-out"),
        env="EVENTLESSON_SIM_SPEED=60",
    ),
    "quiz-menu": Case(
        ("quiz", "--no-shuffle"),
        lambda child: (child.expect(r"\(arrows\+Enter or letter\)"), child.send(DOWN)),
        back=("\u00bb B)",),
        answer=ENTER,
        answered="Not quite.",
        alternate=False,
    ),
    "quiz-retry-confirm": Case(
        ("quiz", "--no-shuffle"),
        quiz_retry_offer,
        back=("Retry the 3 you missed? (Y/n)",),
        answer="y",
        answered="Retry 1 of 3",
        alternate=False,
    ),
    "dumb-check-pause": Case(
        ("learn",),
        dumb_check_pause,
        back=("Press Enter for the next question (q leaves)",),
        answer=ENTER,
        answered="Question 2 of",
        env="TERM=dumb",
        alternate=False,
        raw=False,
        kept=lambda home: checks(home)["kinds-do-thing"]["correct"] is True,
    ),
    "dumb-quiz-question": Case(
        ("quiz", "--no-shuffle"),
        lambda child: child.expect(r"Type a letter from A to C and press Enter: "),
        back=("Type a letter from A to C and press Enter:",),
        answer="A" + ENTER,
        answered="Right.",
        env="TERM=dumb",
        alternate=False,
        raw=False,
    ),
}


@pytest.mark.pty
@pytest.mark.parametrize("name", list(CASES))
def test_ctrl_z_then_fg_comes_back_to_the_same_prompt(
    shell: tuple[Any, Seen], home: Path, name: str
) -> None:
    pytest.importorskip("pyte")
    case = CASES[name]
    child, seen = shell
    run(child, *case.args, env=case.env)
    case.reach(child)
    if case.raw:
        wait_for_raw_mode(child)
    after = suspend_and_resume(child, seen, alternate=case.alternate)
    if case.alternate:  # the screen written again from the top: nothing of the shell's left
        seen.wait_until(
            lambda text: "Stopped" not in text and all(n in text for n in case.back),
            f"{case.back} alone",
        )
    else:  # the prompt again, under the shell's "fg" line
        seen.wait_until(
            lambda text: "$ fg" in text and all(n in text.split("$ fg")[-1] for n in case.back),
            f"{case.back} after fg",
        )
    if case.raw:
        wait_for_raw_mode(child)
    child.send(case.answer)
    seen.wait_for(case.answered)
    assert case.kept(home)
    assert "Traceback" not in after
