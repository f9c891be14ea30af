"""The guided lesson walked in-process: a scripted screen gives the keys, a scripted prompter the
answers, and the fixture course (three pages, one check question) is the lesson.

Every page shown is recorded with the keys it offered and the progress file as it was on disk at
that moment, so "saved at every step" is checked on what a crash would leave behind.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console, RenderableType

from eventlesson.errors import Interrupted
from eventlesson.flows.learn import MENU, run_learn
from eventlesson.ui.prompts import LinePrompter, ScriptedPrompter
from eventlesson.ui.screens import LineScreen, hint

from .conftest import AppFactory


def text_of(renderable: RenderableType) -> str:
    console = Console(file=io.StringIO(), width=80, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


class ScriptedScreen:
    """A `Screen` that answers each page with the next key of a list and remembers the pages."""

    def __init__(self, keys: Sequence[str], home: Path) -> None:
        self.keys = list(keys)
        self.home = home
        self.pages: list[dict[str, Any]] = []
        self.pauses: list[str] = []
        self.closed = False

    def show(
        self, header: RenderableType, body: RenderableType, keys: list[tuple[str, str]]
    ) -> str:
        head = text_of(header)
        saved = self.home / "progress.json"
        self.pages.append(
            {
                "position": head.splitlines()[0].split()[-1],
                "header": head,
                "body": text_of(body),
                "keys": [key for key, _ in keys],
                "saved": json.loads(saved.read_text())["lessons"]["mini"] if saved.exists() else {},
            }
        )
        if not self.keys:
            raise Interrupted("end of script")
        return self.keys.pop(0)

    def clear(self) -> None:
        pass

    def pause(self, prompt: str) -> None:
        self.pauses.append(prompt)

    def close(self) -> None:
        self.closed = True

    @property
    def positions(self) -> list[str]:
        return [page["position"] for page in self.pages]


class RecordingPrompter(ScriptedPrompter):
    """A scripted prompter that also keeps what each menu was given."""

    def __init__(self, answers: Sequence[int | str | bool]) -> None:
        super().__init__(answers)
        self.menus: list[dict[str, Any]] = []

    def select(self, message: str, choices: Sequence[str], **options: Any) -> int:
        self.menus.append({"message": message, "choices": list(choices), **options})
        return super().select(message, choices)


@pytest.fixture(autouse=True)
def _redrawing_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")  # the arrow-key path, whatever runs the tests


def walk(
    make_app: AppFactory, keys: Sequence[str], answers: Sequence[int | str | bool] = ()
) -> tuple[int, ScriptedScreen, RecordingPrompter]:
    prompter = RecordingPrompter(answers)
    screen = ScriptedScreen(keys, make_app.home)
    code = run_learn(make_app(prompter), "mini", screen=screen)
    assert screen.closed
    return code, screen, prompter


def saved(home: Path) -> dict[str, Any]:
    return json.loads((home / "progress.json").read_text())["lessons"]["mini"]


# -- moving -------------------------------------------------------------------------------------


def test_next_back_check_and_finish(make_app: AppFactory) -> None:
    code, screen, _ = walk(make_app, ["enter", "b", "n", "enter", "enter", "enter"], [2])
    assert code == 0
    assert screen.positions == ["1/3", "2/3", "1/3", "2/3", "2/3", "3/3"]
    assert screen.pages[0]["keys"] == ["Enter", "m", "q"]  # no "back" on the first page
    assert screen.pages[3]["keys"] == ["Enter", "b", "m", "q"]  # "start check"
    assert screen.pages[4]["keys"] == ["Enter", "b", "m", "r", "q"]  # answered: retry offered
    assert screen.pauses == ["Press Enter to continue"]
    out = make_app.out.getvalue()
    assert "Practice · Question 1 of 1" in out
    assert "What is thing.happened?" in out  # inline code without its backticks
    assert "Right. You chose C) Event" in out
    assert "You finished Mini: A Fixture Lesson." in out
    assert "Practice checks: 1 of 1 right." in out
    state = saved(make_app.home)
    assert state["done"] == ["one", "two", "three"] and state["finished_at"]
    assert state["checks"]["mini-thing-happened"]["correct"] is True


def test_saved_state_follows_each_move(make_app: AppFactory) -> None:
    _, screen, _ = walk(make_app, ["n", "enter", "n", "b", "q"], [1])
    currents = [page["saved"]["current"] for page in screen.pages]
    assert currents == ["one", "two", "two", "three", "two"]
    assert [page["saved"]["done"] for page in screen.pages] == [
        [],
        ["one"],
        ["one"],
        ["one", "two"],
        ["one", "two"],
    ]
    assert "mini-thing-happened" not in screen.pages[1]["saved"].get("checks", {})
    assert screen.pages[2]["saved"]["checks"]["mini-thing-happened"]["chosen"] == 1


def test_a_wrong_answer_is_explained_and_the_check_can_be_retried(make_app: AppFactory) -> None:
    code, screen, prompter = walk(make_app, ["n", "enter", "r", "q"], [0, 2])
    assert code == 0
    out = " ".join(make_app.out.getvalue().split())
    assert "Not quite. You chose A) Command" in out
    assert "The right answer is C) Event" in out
    assert out.count("It states a fact.") >= 1
    assert "Right. You chose C) Event" in out
    assert prompter.asked == ["Your answer", "Your answer"]
    assert "(0/1 right)" in screen.pages[2]["body"]  # the review after the wrong answer
    assert "(1/1 right)" in screen.pages[3]["body"]  # and after the retry
    assert saved(make_app.home)["checks"]["mini-thing-happened"]["correct"] is True


def test_menu_starts_on_this_page_and_jumps(make_app: AppFactory) -> None:
    code, screen, prompter = walk(make_app, ["n", "m", "m", "q"], [2, 3])
    assert code == 0
    assert screen.positions == ["1/3", "2/3", "3/3", "3/3"]
    first, second = prompter.menus
    assert first["message"] == MENU
    assert first["default"] == 1 and first["letters"] is False
    assert first["choices"][:3] == ["done  1. Page one", "here  2. Page two", "      3. Page three"]
    assert first["choices"][3].strip() == "Stay on this page"
    assert second["default"] == 2  # now on page three; the pick of "Stay" keeps it there
    assert saved(make_app.home)["current"] == "three"


def test_quit_says_where_it_saved(make_app: AppFactory) -> None:
    code, _, _ = walk(make_app, ["n", "q"])
    assert code == 0
    assert "Saved at page 2/3." in make_app.out.getvalue()
    assert saved(make_app.home)["current"] == "two"


def test_running_out_of_keys_is_like_ctrl_d(make_app: AppFactory) -> None:
    code, _, _ = walk(make_app, ["n"])
    assert code == 130
    assert "Stopped. Your progress is saved." in make_app.errors.getvalue()
    assert saved(make_app.home)["current"] == "two"


def test_a_returning_learner_gets_a_recap_once(make_app: AppFactory) -> None:
    walk(make_app, ["n", "n", "n", "q"], [2])
    _, screen, _ = walk(make_app, ["b", "q"])
    first = " ".join(screen.pages[0]["body"].split())
    assert screen.positions == ["3/3", "2/3"]
    assert "Welcome back. So far in Mini: A Fixture Lesson you covered:" in first
    assert "- Page one said hello." in first and "- Page two asked a question." in first
    assert "Picking up at 3/3: Page three" in first
    assert "Welcome back" not in screen.pages[1]["body"]


# -- the line-by-line screen (TERM=dumb) --------------------------------------------------------


def line_screen(typed: list[str]) -> tuple[LineScreen, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    return LineScreen(console, read=lambda: typed.pop(0)), out


def test_line_screen_takes_only_the_keys_the_page_offers_and_says_which() -> None:
    keys = [("Enter", "next"), ("b", "back"), ("m", "menu"), ("s", "simulate"), ("q", "quit")]
    screen, out = line_screen(["r\n", "x\n", "s\n"])
    assert screen.show("head", "body", keys) == "s"
    said = out.getvalue()
    assert said.count("Type Enter for next, b back, m menu, s simulate, q quit.") == 2
    assert hint([("Enter", "start check"), ("r", "retry check"), ("q", "quit")]) == (
        "Type Enter for start check, r retry check, q quit."
    )
    enter, _ = line_screen(["\n"])
    assert enter.show("head", "body", keys) == "enter"
    words, _ = line_screen(["next\n"])
    assert words.show("head", "body", keys) == "enter"


def test_line_prompter_reads_a_page_number_or_enter_for_the_default() -> None:
    written: list[str] = []
    typed = ["", "9", "2"]
    prompter = LinePrompter(write=written.append, read=lambda: typed.pop(0) + "\n")
    labels = ["done  1. One", "here  2. Two", "      3. Three"]
    assert prompter.select(MENU, labels, default=1, letters=False) == 1  # Enter: stay
    assert "  done  1. One\n" in written and not any("A)" in line for line in written)
    assert "Your choice (1-3, Enter for 2): " in written
    assert prompter.select(MENU, labels, letters=False) == 1  # "9" refused, then "2"
    assert "Please type a number from 1 to 3.\n" in written
