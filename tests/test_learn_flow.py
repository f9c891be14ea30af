"""The guided lesson walked in-process: a scripted screen gives the keys, a scripted prompter the
answers, and the fixture course (three pages, one check question) is the lesson.

Every page shown is recorded with the keys it offered and the progress file as it was on disk at
that moment, so "saved at every step" is checked on what a crash would leave behind.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console, RenderableType

from eventlesson.content import load_lesson
from eventlesson.errors import Interrupted
from eventlesson.flows.ask import leave_footer
from eventlesson.flows.learn import MENU, PRACTICE_NOW, practice_offer, run_learn
from eventlesson.models import Question
from eventlesson.ui.prompts import LinePrompter, ScriptedPrompter
from eventlesson.ui.screens import LineScreen, hint

from .conftest import AppFactory
from .support import FIXTURE_COURSE, position


def text_of(renderable: RenderableType) -> str:
    console = Console(file=io.StringIO(), width=80, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


class ScriptedScreen:
    """A `Screen` that answers each page with the next key of a list and remembers the pages."""

    def __init__(self, keys: Sequence[str], home: Path, leave_at: Sequence[int] = ()) -> None:
        self.keys = list(keys)
        self.home = home
        self.leave_at = set(leave_at)  # pauses (counted from 0) answered with q
        self.pages: list[dict[str, Any]] = []
        self.pauses: list[str] = []
        self.closed = False

    def show(
        self,
        header: RenderableType,
        body: RenderableType,
        keys: list[tuple[str, str]],
        *,
        reveal: tuple[RenderableType, RenderableType] | None = None,
        keep: bool = False,
        aside: bool = False,
    ) -> str:
        head = text_of(header)
        saved = self.home / "progress.json"
        whole = text_of(body)
        if reveal is not None:  # the body must render as `above`, then the part, then the rest
            above, part = text_of(reveal[0]), text_of(reveal[1]).rstrip("\n")
            assert whole.startswith(above + part)
        self.pages.append(
            {
                "position": head.splitlines()[0].split()[-1],
                "header": head,
                "body": whole,
                "reveal": text_of(reveal[1]) if reveal is not None else None,
                "keep": keep,
                "aside": aside,
                "keys": [key for key, _ in keys],
                "saved": json.loads(saved.read_text())["lessons"].get("mini", {})
                if saved.exists()
                else {},
            }
        )
        if not self.keys:
            raise Interrupted("end of script")
        return self.keys.pop(0)

    def clear(self) -> None:
        pass

    def pause(self, prompt: str, *, leave: bool = False) -> bool:
        self.pauses.append(prompt)
        return not (leave and len(self.pauses) - 1 in self.leave_at)

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
        return super().select(message, choices, **options)


@pytest.fixture(autouse=True)
def _redrawing_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")  # the arrow-key path, whatever runs the tests


def walk(
    make_app: AppFactory,
    keys: Sequence[str],
    answers: Sequence[int | str | bool] = (),
    *,
    leave_at: Sequence[int] = (),
    **options: Any,
) -> tuple[int, ScriptedScreen, RecordingPrompter]:
    prompter = RecordingPrompter(answers)
    screen = ScriptedScreen(keys, make_app.home, leave_at)
    code = run_learn(make_app(prompter), "mini", screen=screen, **options)
    assert screen.closed
    return code, screen, prompter


def saved(home: Path, lesson: str = "mini") -> dict[str, Any]:
    return json.loads((home / "progress.json").read_text())["lessons"][lesson]


# -- moving -------------------------------------------------------------------------------------


def test_next_back_check_knowledge_check_and_finish(make_app: AppFactory) -> None:
    keys = ["enter", "b", "n", "enter", "enter", "enter"]
    code, screen, prompter = walk(make_app, keys, [2, "thing.happened", False])
    assert code == 0
    assert screen.positions == ["1/3", "2/3", "1/3", "2/3", "2/3", "3/3"]
    assert screen.pages[0]["keys"] == ["Enter", "m", "g", "q"]  # no "back" on the first page
    assert screen.pages[3]["keys"] == ["Enter", "b", "m", "g", "q"]  # "start check"
    assert screen.pages[4]["keys"] == ["Enter", "b", "m", "g", "r", "q"]  # retry offered
    assert "Press Enter to start" in screen.pages[5]["body"]  # the knowledge check's page
    assert screen.pauses == ["Press Enter to continue (q leaves)"] * 2
    assert prompter.asked == ["Your answer", "Your answer", PRACTICE_NOW]
    assert practice_offer(practice()) in make_app.out.getvalue()
    out = make_app.out.getvalue()
    assert "Practice · Question 1 of 1" in out
    assert "What is thing.happened?" in out  # inline code without its backticks
    assert "Right. You chose C) Event" in out
    assert "Question 1 of 1" in out and "Score: 1 of 1." in out  # the quiz's own screens
    rows = [row.strip() for row in out.splitlines()]
    score = rows.index("Score: 1 of 1.")
    assert set(rows[score - 1]) == {"─"} and set(rows[score - 2]) != {"─"}  # one rule above it
    assert "You finished Mini: A Fixture Lesson." in out
    assert "Knowledge check: 1 of 1 right." in out
    assert "Practice checks: 1 of 1 right." in out
    state = saved(make_app.home)
    assert state["done"] == ["one", "two", "three"] and state["finished_at"]
    assert state["checks"]["mini-thing-happened"]["correct"] is True
    record = state["quiz"]["knowledge-check"]  # exactly what `eventlesson quiz` keeps
    assert (record["attempts"], record["last"], record["best"], record["total"]) == (1, 1, 1, 1)
    assert record["answers"] == {"mini-q1": 1} and record["missed"] == []


def practice() -> tuple[Question, ...]:
    return load_lesson("mini", FIXTURE_COURSE).quiz_questions("practice")


def test_a_missed_knowledge_check_question_is_explained_retried_then_practice_offered(
    make_app: AppFactory,
) -> None:
    answers = [2, "DoThing", True, "thing.happened", True, "A ghost event"]
    code, screen, prompter = walk(make_app, ["n", "enter", "enter", "enter"], answers)
    assert code == 0
    out = " ".join(make_app.out.getvalue().split())
    assert "Not quite. You chose" in out and "A command: it asks." in out
    assert "The right answer is" in out and "An event: it states a fact." in out
    assert "Retry the one you missed?" in prompter.asked
    assert "Retry 1 of 1" in out and "All right now, after 1 retry." in out
    assert prompter.asked[-2] == PRACTICE_NOW
    assert "The practice set: 1 more question, 1 of them a prediction." in out
    assert "Predict what happens." in out  # the practice set's prediction
    assert "3/3 Practice set ─" in out  # its questions' header, on the knowledge check's page
    assert screen.pauses[-1] == "Press Enter to finish"
    state = saved(make_app.home)
    assert state["quiz"]["knowledge-check"]["last"] == 0  # the first pass is the score
    assert state["quiz"]["knowledge-check"]["missed"] == ["mini-q1"]
    assert state["quiz"]["practice"]["last"] == 1
    assert "Knowledge check: 0 of 1 right." in out


def test_leaving_the_knowledge_check_keeps_the_page_and_nothing_is_finished(
    make_app: AppFactory,
) -> None:
    code, screen, _ = walk(make_app, ["n", "enter", "enter", "enter", "q"], [2, "q"])
    assert code == 0
    assert screen.positions[-1] == "3/3"  # back on the knowledge check's page
    assert screen.pages[-1]["keys"][0] == "Enter"
    assert "Knowledge check" in screen.pages[-1]["reveal"]  # where its block is, not the top
    assert "Saved at page 3/3." in make_app.out.getvalue()
    state = saved(make_app.home)
    assert state["quiz"]["knowledge-check"]["attempts"] == 0 and not state["finished_at"]


def test_after_a_check_the_page_comes_back_where_the_check_is(make_app: AppFactory) -> None:
    """Not at the page's top: the check's block is brought into view, so Enter moves on."""
    _, screen, _ = walk(make_app, ["n", "enter", "enter", "q"], [2])
    assert screen.positions == ["1/3", "2/3", "2/3", "3/3"]
    assert screen.pages[1]["reveal"] is None  # a page reached by moving starts at its top
    back = screen.pages[2]
    assert back["reveal"] is not None and "Practice: Kinds (1/1 right)" in back["reveal"]
    assert back["keys"][0] == "Enter"  # "next": the check is done
    assert screen.pages[3]["reveal"] is None and not screen.pages[3]["keep"]


def test_leaving_a_check_keeps_the_answers_given(make_app: AppFactory) -> None:
    # the sample lesson's classify check: three questions; leave after the second explanation
    prompter = RecordingPrompter([2, "A", "B"])  # the menu (page 3), then two right answers
    screen = ScriptedScreen(["m", "enter", "q"], make_app.home, leave_at=[1])
    code = run_learn(make_app(prompter), "sample", screen=screen)
    assert code == 0
    assert screen.pauses == ["Press Enter for the next question (q leaves)"] * 2
    assert "2 of 3 answered" in " ".join(screen.pages[-1]["body"].split())
    assert screen.pages[-1]["keys"][0] == "Enter"  # carries on with the third
    checks = json.loads((make_app.home / "progress.json").read_text())["lessons"]["sample"][
        "checks"
    ]
    assert set(checks) == {"kinds-do-thing", "kinds-thing-happened"}


def test_esc_or_q_at_a_question_leaves_the_check(make_app: AppFactory) -> None:
    code, screen, _ = walk(make_app, ["n", "enter", "q"], ["q"])
    assert code == 0
    assert screen.positions == ["1/3", "2/3", "2/3"]
    assert screen.pages[-1]["keys"][0] == "Enter"  # still "start check"
    assert "Press Enter to start" in screen.pages[-1]["body"]
    assert "checks" not in saved(make_app.home) or not saved(make_app.home)["checks"]


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


# -- finishing, returning, restarting -----------------------------------------------------------


def finish_mini(make_app: AppFactory) -> None:
    walk(make_app, ["n", "enter", "enter", "enter"], [2, "thing.happened", False])
    assert saved(make_app.home)["finished_at"]


def test_returning_after_finishing_says_so_and_offers_the_knowledge_check(
    make_app: AppFactory,
) -> None:
    finish_mini(make_app)
    code, screen, prompter = walk(
        make_app, [], ["Take the knowledge check again", "DoThing", False]
    )
    assert code == 0
    out = " ".join(make_app.out.getvalue().split())
    assert "You finished Mini: A Fixture Lesson on " in out
    assert "Knowledge check: best 1 of 1, latest 1." in out
    menu = prompter.menus[0]
    assert menu["message"] == "What would you like to do?"
    assert menu["choices"] == [
        "Review the lesson from the first page",
        "Take the knowledge check again",
        "Try the practice set (1 question)",
        "Leave for now",
    ]
    record = saved(make_app.home)["quiz"]["knowledge-check"]
    assert (record["attempts"], record["last"], record["best"]) == (2, 0, 1)
    assert screen.pages == []  # straight to the quiz, no page shown


def test_a_finish_from_before_the_lesson_grew_is_not_a_finish(make_app: AppFactory) -> None:
    """Saved as finished, but a page of the lesson as it is now was never seen (as if added
    since): the learner is welcomed back to go on, not told they finished."""
    finish_mini(make_app)
    path = make_app.home / "progress.json"
    data = json.loads(path.read_text())
    data["lessons"]["mini"]["done"].remove("two")
    path.write_text(json.dumps(data))
    before = len(make_app.out.getvalue())
    _, screen, prompter = walk(make_app, ["q"])
    out = " ".join(make_app.out.getvalue()[before:].split())
    assert "You finished" not in out and prompter.menus == []
    assert "Welcome back" in screen.pages[0]["body"]
    assert not saved(make_app.home)["finished_at"]  # worked out again on load


def test_returning_after_finishing_can_review_from_the_first_page(make_app: AppFactory) -> None:
    finish_mini(make_app)
    _, screen, _ = walk(make_app, ["n", "q"], ["Review the lesson"])
    assert screen.positions == ["1/3", "2/3"]
    assert "Welcome back" not in screen.pages[0]["body"]


def test_restart_asks_first_and_yes_skips_the_question(make_app: AppFactory) -> None:
    walk(make_app, ["n", "q"])
    _, screen, prompter = walk(make_app, ["q"], [False], restart=True)
    assert prompter.asked[0].startswith("Start the lesson over?")
    assert screen.positions == ["2/3"]  # declined: nothing forgotten
    assert "Kept your progress" in make_app.out.getvalue()
    _, screen, prompter = walk(make_app, ["q"], [True], restart=True)
    assert screen.positions == ["1/3"] and saved(make_app.home)["done"] == []
    walk(make_app, ["n", "q"])
    _, screen, prompter = walk(make_app, ["q"], [], restart=True, yes=True)
    assert prompter.asked == [] and screen.positions == ["1/3"]


def test_the_glossary_opens_from_any_page_and_comes_back(make_app: AppFactory) -> None:
    _, screen, _ = walk(make_app, ["n", "g", "enter", "q"], [])
    assert screen.positions == ["1/3", "2/3", "glossary", "2/3"]
    assert "g" in screen.pages[1]["keys"]
    glossary = screen.pages[2]
    assert "Glossary" in glossary["header"] and "Something that happened." in glossary["body"]
    assert glossary["keys"] == ["Enter"]
    assert glossary["aside"]  # shown over the page, whose scrolling is kept...
    assert screen.pages[3]["keep"]  # ...and the page comes back where it was


def test_staying_on_the_page_from_the_menu_keeps_where_it_was(make_app: AppFactory) -> None:
    _, screen, _ = walk(make_app, ["n", "m", "m", "q"], [1, 0])  # stay; then jump to page 1
    assert screen.positions == ["1/3", "2/3", "2/3", "1/3"]
    assert screen.pages[2]["keep"] and not screen.pages[3]["keep"]


def test_the_menu_shows_each_checks_score(make_app: AppFactory) -> None:
    _, _, prompter = walk(make_app, ["n", "enter", "m", "q"], [0, 1])
    labels = prompter.menus[-1]["choices"]
    assert labels[1].startswith("here  2. Page two (0/1 right)")


# -- TERM=dumb ----------------------------------------------------------------------------------

BOX = re.compile("[\u2500-\u257f]")  # box-drawing and line characters


def test_dumb_terminal_pages_have_no_box_or_rule_characters(make_app: AppFactory) -> None:
    """Every kind of page from the first to the end, typed line by line like a screen reader."""
    out = make_app.out

    def reply() -> str:  # what a person would type at the prompt now showing
        last = out.getvalue().rstrip(" ").rsplit("\n", 1)[-1]
        if last.startswith("Type a letter"):
            return "a\n"
        if "practice set" in last or last.startswith("Retry"):
            return "n\n"
        return "\n"

    app = make_app(None)
    app.env = replace(app.env, dumb=True)  # TERM=dumb, as the environment would say
    app.env = replace(app.env, sim_speed=1000.0)  # the predictions' runs, unpaced
    app.prompter_override = LinePrompter(write=out.write, read=reply)
    code = run_learn(app, "sample", screen=LineScreen(app.console, read=reply))
    assert code == 0
    text = out.getvalue()
    assert not BOX.findall(text), sorted(set(BOX.findall(text)))
    assert "Type a letter from A to C and press Enter (q leaves): " in text
    assert "Type a letter and Enter to answer; q leaves." in text  # a check's how-to
    assert "Knowledge check: " in text and "Score: " in text
    shown = re.findall(r"Sample: Every Kind of Block +(\d/8)", text)
    pages = list(dict.fromkeys(shown))  # first showings, in order
    assert pages == [f"{n}/8" for n in range(1, 9)]  # every page, in order, as plain text


# -- predict, watch, explain --------------------------------------------------------------------


def test_a_prediction_is_asked_then_the_run_plays_then_it_is_compared(
    make_app: AppFactory,
) -> None:
    page = position("failure").split("/")[0]
    prompter = RecordingPrompter([int(page) - 1, "They wait for the store"])
    screen = ScriptedScreen(["m", "enter", "q"], make_app.home)
    app = make_app(prompter)
    app.env = replace(app.env, sim_speed=1000.0)
    code = run_learn(app, "sample", screen=screen)
    assert code == 0
    assert screen.pages[1]["keys"][0] == "Enter"  # "predict"
    assert "Predict, then watch: Too early" in screen.pages[1]["body"]
    assert screen.pauses == [
        "Press Enter to start the run (q leaves)",
        "Press Enter to see how your prediction did",  # a plain run printed line by line first
        "Press Enter to continue (q leaves)",
    ]
    out = " ".join(make_app.out.getvalue().split())
    assert "Predict what happens." in out
    assert "Summary · publish-before-commit" in out  # the run played, here, after the answer
    after = out[out.index("What this run showed") :]
    assert re.search(r"never stored \(ghost events: P\d+", after)  # a fact from this run's read-out
    assert "Not quite. You chose C) They wait for the store" in after
    assert "The right answer is B) They act on a purchase that was never stored" in after
    state = saved(make_app.home, "sample")
    assert state["checks"]["predict-ghost-1"] == {
        "chosen": 2,
        "correct": False,
        "at": state["checks"]["predict-ghost-1"]["at"],
    }
    assert "(0/1 right)" in screen.pages[-1]["body"]  # the review, with s to watch again
    assert "s" in screen.pages[-1]["keys"]
    assert "Predict, then watch: Too early (0/1 right)" in screen.pages[-1]["reveal"]


def test_leaving_before_the_run_keeps_the_prediction(make_app: AppFactory) -> None:
    page = position("failure").split("/")[0]
    prompter = RecordingPrompter([int(page) - 1, "They act on a purchase"])
    screen = ScriptedScreen(["m", "enter", "q"], make_app.home, leave_at=[0])
    code = run_learn(make_app(prompter), "sample", screen=screen)
    assert code == 0
    assert screen.pauses == ["Press Enter to start the run (q leaves)"]
    assert "What this run showed" not in make_app.out.getvalue()
    assert saved(make_app.home, "sample")["checks"]["predict-ghost-1"]["correct"] is True


def test_s_after_a_prediction_plays_the_run_again_next_to_the_answer(make_app: AppFactory) -> None:
    page = position("failure").split("/")[0]
    prompter = RecordingPrompter([int(page) - 1, "They act on a purchase"])
    screen = ScriptedScreen(["m", "enter", "s", "q"], make_app.home)
    app = make_app(prompter)
    app.env = replace(app.env, sim_speed=1000.0)
    assert run_learn(app, "sample", screen=screen) == 0
    out = " ".join(make_app.out.getvalue().split())
    assert out.count("Summary · publish-before-commit") == 2  # the first run, then the replay
    assert "Your prediction: B) They act on a purchase that was never stored" in out
    assert out.count("What this run showed") == 2
    assert prompter.asked == [MENU, "Your answer"]  # asked once, not again on the replay


# -- a question on a small screen ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "cols", "compact", "intro"),
    [(40, 80, False, True), (21, 40, False, True), (20, 40, True, True), (17, 40, True, False)],
)
def test_a_question_keeps_the_page_header_in_view(
    make_app: AppFactory, rows: int, cols: int, compact: bool, intro: bool
) -> None:
    """Header, intro and question printed above the picker all fit the screen: where they would
    not, the header takes one line, then the intro (shown on the page just before) is left out."""
    page = position("failure").split("/")[0]
    above: list[str] = []

    class Watching(RecordingPrompter):
        def select(self, message: str, choices: Sequence[str], **options: Any) -> int:
            if message == "Your answer":  # what the question screen holds above the picker
                above.append(make_app.out.getvalue().rsplit("\f", 1)[-1])
                picker = 1 + len(choices) + 1  # "? Your answer", the choices, the key line
                assert len(above[-1].rstrip("\n").split("\n")) + picker <= rows - 1
            return super().select(message, choices, **options)

    screen = ScriptedScreen(["m", "enter", "q"], make_app.home, leave_at=[0])
    screen.clear = lambda: make_app.out.write("\f")  # type: ignore[method-assign]
    app = make_app(Watching([int(page) - 1, 2]))
    app.console.width, app.console.height = cols, rows
    assert run_learn(app, "sample", screen=screen) == 0
    (shown,) = above
    lines = [line.rstrip() for line in shown.strip("\n").split("\n")]
    title = "When publishing comes first"
    if compact:  # one line: the page's title and position
        assert lines[0].startswith(title) and lines[0].endswith(position("failure"))
    else:
        assert lines[0].startswith("Sample: Every Kind of Block") and lines[1] == title
    assert ("The event goes out first" in shown) is intro


@pytest.mark.parametrize("width", [40, 60, 80])
def test_the_key_line_under_a_question_takes_one_row(width: int) -> None:
    said = leave_footer(4, width)
    assert len(said) < width and said.startswith("A-D or arrows") and "Esc/q leave" in said


def test_the_practice_offer_says_what_it_holds_and_its_y_n_fits_40_columns() -> None:
    twelve = tuple(
        replace(practice()[0], id=f"q{n}", kind="predict" if n < 4 else "choice") for n in range(12)
    )
    assert practice_offer(twelve) == "The practice set: 12 more questions, 4 of them predictions."
    assert len(f"? {PRACTICE_NOW} (Y/n) ") < 40


def test_line_prompter_wraps_long_choices_at_words_under_their_text() -> None:
    """TERM=dumb: a long choice is not cut mid-word by the terminal ("either w" / "ay.")."""
    out = io.StringIO()
    prompter = LinePrompter(write=out.write, read=lambda: "b\n", width=40)
    long = "No longer than with events: the commit is what a learner waits for either way."
    assert prompter.select("Your answer", ["As long as the chain takes.", long]) == 1
    lines = out.getvalue().splitlines()
    assert lines[1:5] == [
        "  A) As long as the chain takes.",
        "  B) No longer than with events: the",
        "     commit is what a learner waits for",
        "     either way.",
    ]
