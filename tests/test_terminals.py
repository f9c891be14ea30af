"""Every command on every kind of terminal, checked on the screen a learner would actually see.

`learn`, `quiz` and `simulate happy` run in a pseudo-terminal at 80×24, 40×20 and 200×50, with
NO_COLOR=1 and with TERM=dumb. Everything the program writes is replayed into pyte, a VT100
emulator, so the assertions are about the screen (what wrapped where, what is visible), not about
escape codes. The one exception is deliberate: NO_COLOR and TERM=dumb are promises about the raw
bytes, so those are checked on the raw output.

"No word is cut" is checked by token order: the words of a content text, in order, must appear as
a contiguous run in the words read off the screen, line after line. A word split across two lines
("conseq" / "uences") or a line skipped while scrolling breaks the run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from eventlesson.models import (
    CodeBlock,
    Lesson,
    MarkdownBlock,
    SimulationBlock,
    TableBlock,
    TreeBlock,
    TreeNode,
)
from eventlesson.quiz import Session
from eventlesson.sim import CONSUMER_NAMES, SCENARIOS

from .support import fixture_lesson, page_of, position

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

pytestmark = pytest.mark.pty

DOWN = "\x1b[B"
ENTER = "\r"
QUIT = r"q(?:\x1b\[[0-9;]*m)* quit"  # the pager's footer always ends with it, coloured or not
COMMAND = r"q quit\r\n> "  # TERM=dumb: the footer, then the command prompt ("-> " is in pages)
SGR_ANY = r"(?:\x1b\[[0-9;]*m)*"
ALT_SCREEN = re.compile(r"\x1b\[\?1049([hl])")
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
TOTAL = len(fixture_lesson().sections)


def _seed() -> int:
    """A quiz seed with which Enter (the first option shown) is wrong, wrong, right; the right
    option of question 1 is shown third (C)."""
    questions = fixture_lesson().quiz_questions("knowledge-check")
    for seed in range(1000):
        shown = Session("x", "knowledge-check", questions, seed=seed).start_round()
        rights = [s.display(s.question.answer) for s in shown]
        if rights[0] == 2 and rights[1] != 0 and rights[2] == 0:
            return seed
    raise AssertionError("no seed found")


SEED = _seed()  # quiz option order: Enter on every question gets 1 of 3 right (see below)

# (rows, cols, extra environment): the terminals a learner may bring
TERMINALS = [
    pytest.param(24, 80, {}, id="80x24"),
    pytest.param(20, 40, {}, id="40x20"),
    pytest.param(50, 200, {}, id="200x50"),
    pytest.param(24, 80, {"NO_COLOR": "1"}, id="no-color"),
    pytest.param(24, 80, {"TERM": "dumb"}, id="dumb"),
]


# -- what the terminal shows ------------------------------------------------------------------


class Term:
    """A pexpect child and a replay of its output through pyte, as a terminal would show it.

    pyte ignores the alternate screen (`ESC[?1049h/l`), so the replay switches to a second pyte
    screen itself: the pager's pages then never bleed into the main screen, as in a real terminal.
    Resizes are replayed at the point in the output where they happened.
    """

    def __init__(self, child: Any, rows: int, cols: int) -> None:
        self.child = child
        self.rows, self.cols = rows, cols
        self._parts: list[str] = []
        self._resizes: list[tuple[int, int, int]] = []  # (offset in raw, rows, cols)
        child.logfile_read = self  # pexpect hands us everything it reads, as it reads it

    # pexpect's logfile protocol
    def write(self, data: str) -> None:
        self._parts.append(data)

    def flush(self) -> None:
        pass

    @property
    def raw(self) -> str:
        return "".join(self._parts)

    def resize(self, rows: int, cols: int) -> None:
        self._resizes.append((len(self.raw), rows, cols))
        self.child.setwinsize(rows, cols)

    def _replay(self) -> tuple[Any, Any]:
        """(main screen with scrollback, alternate screen or None when not in use)."""
        raw = self.raw
        rows, cols = self.rows, self.cols
        main = pyte.HistoryScreen(cols, rows, history=10_000)
        streams = {id(main): pyte.Stream(main)}
        alt: Any = None
        events: list[tuple[int, int, str, Any]] = [
            (offset, 0, "resize", (r, c)) for offset, r, c in self._resizes
        ]
        events += [(m.start(), 1, m.group(1), m.end()) for m in ALT_SCREEN.finditer(raw)]
        position = 0
        for offset, _, kind, arg in sorted(events, key=lambda e: (e[0], e[1])):
            active = alt if alt is not None else main
            streams[id(active)].feed(raw[position:offset])
            position = offset
            if kind == "resize":
                rows, cols = arg
                for screen in (main, alt):
                    if screen is not None:
                        screen.resize(rows, cols)  # lines are cut on the right, like xterm
            elif kind == "h":
                alt = pyte.Screen(cols, rows)
                streams[id(alt)] = pyte.Stream(alt)
                position = arg
            else:
                alt, position = None, arg
        active = alt if alt is not None else main
        streams[id(active)].feed(raw[position:])
        return main, alt

    def screen(self) -> list[str]:
        """The lines visible right now."""
        main, alt = self._replay()
        return list((alt or main).display)

    def scrollback(self) -> list[str]:
        """Every line that went by on the main screen, then the visible ones."""
        main, _ = self._replay()
        width = main.columns
        gone = ["".join(line[x].data for x in range(width)) for line in main.history.top]
        return gone + list(main.display)


def words(text: str) -> list[str]:
    """The words of a text, ignoring punctuation, Markdown emphasis and box drawing."""
    return re.findall(r"[A-Za-z0-9]+", text)


def shows_whole(lines: list[str], text: str) -> bool:
    """Whether `text`'s words appear in order, uncut, reading the lines top to bottom."""
    screen = " " + " ".join(words("\n".join(lines))) + " "
    return " " + " ".join(words(text)) + " " in screen


def assert_shown_whole(lines: list[str], texts: list[str]) -> None:
    missing = [text for text in texts if not shows_whole(lines, text)]
    assert not missing, (
        "cut or missing on screen:\n"
        + "\n".join(missing)
        + "\n--- screen:\n"
        + ("\n".join(line.rstrip() for line in lines))
    )


def colour_codes(raw: str) -> list[str]:
    """SGR sequences that set a foreground or background colour (bold and dim are fine)."""
    found = []
    for match in SGR.finditer(raw):
        params = [int(p) for p in re.split("[;:]", match.group(1)) if p.isdigit()]
        if any(30 <= p <= 38 or 40 <= p <= 48 or 90 <= p <= 97 or 100 <= p <= 107 for p in params):
            found.append(match.group(0))
    return found


def check_raw(term: Term, env: dict[str, str]) -> None:
    """What every run must satisfy, whatever the terminal."""
    raw = term.raw
    assert "Traceback" not in raw
    if env.get("NO_COLOR"):
        assert colour_codes(raw) == []
    if env.get("TERM") == "dumb":
        # a dumb terminal understands no escape codes at all: no colour, cursor moves or clears
        assert "\x1b" not in raw, repr(raw[raw.index("\x1b") - 40 : raw.index("\x1b") + 40])


def finish(term: Term) -> int:
    term.child.expect(pexpect.EOF)
    term.child.close()
    return term.child.exitstatus


@pytest.fixture
def term(spawn: Callable[..., Any]) -> Iterator[Callable[..., Term]]:
    def start(*args: str, rows: int, cols: int, **env: str) -> Term:
        return Term(spawn(*args, rows=rows, cols=cols, **env), rows, cols)

    yield start


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return fixture_lesson()


# -- the lesson -------------------------------------------------------------------------------


def tree_labels(node: TreeNode) -> str:
    """A fan-out tree's labels, top to bottom as drawn."""
    return " ".join([node.label, *(tree_labels(child) for child in node.children)])


def page_texts(lesson: Lesson, section_id: str) -> list[str]:
    """The prose of a page that must be readable whole (its code: see `code_tokens`)."""
    section = lesson.sections[lesson.section_index(section_id)]
    texts = [section.title]
    for block in section.blocks:
        if isinstance(block, MarkdownBlock | SimulationBlock):
            texts.append(block.text)
        if isinstance(block, TreeBlock):
            texts.append(tree_labels(block.tree))
        if isinstance(block, CodeBlock | TreeBlock | TableBlock) and block.caption:
            texts.append(block.caption)
    return texts


def code_tokens(lesson: Lesson, section_id: str) -> list[str]:
    """Every whitespace-separated token of a page's code: each must be on screen uncut."""
    section = lesson.sections[lesson.section_index(section_id)]
    return [
        token
        for block in section.blocks
        if isinstance(block, CodeBlock)
        for token in block.code.split()
    ]


def assert_tokens_whole(lines: list[str], tokens: list[str]) -> None:
    """Each token on one line, whole: "store.mark_completed(purchase.id" then ")" fails."""
    seen = {token.strip("│") for line in lines for token in line.split()}
    missing = [token for token in tokens if token not in seen]
    assert not missing, f"code cut or missing: {missing}\n" + "\n".join(lines)


def is_rule(line: str) -> bool:
    return bool(line.strip()) and set(line.strip()) == {"─"}


def body_of(screen: list[str]) -> list[str]:
    """The pager's body: between the rule under the header and the rule over the footer."""
    rules = [i for i, line in enumerate(screen) if is_rule(line)]
    return screen[rules[0] + 1 : rules[-1]]


def merge(seen: list[str], more: list[str]) -> list[str]:
    """Join two scroll positions of one page, dropping the lines both show."""
    for overlap in range(min(len(seen), len(more)), 0, -1):
        if seen[-overlap:] == more[:overlap]:
            return seen + more[overlap:]
    return seen + more


def read_page_in_pager(term: Term) -> list[str]:
    """The whole body of the page on screen, scrolling down with space while the footer says more."""
    screen = term.screen()
    body = body_of(screen)
    for _ in range(20):
        if not any("Enter more" in line for line in screen[-3:]):
            return body
        term.child.send(" ")
        term.child.expect(QUIT)
        screen = term.screen()
        body = merge(body, body_of(screen))
    raise AssertionError("the page never reached its end")


@pytest.mark.parametrize(("rows", "cols", "env"), TERMINALS)
def test_learn(term: Callable[..., Term], lesson: Lesson, rows: int, cols: int, env: dict) -> None:
    t = term("learn", rows=rows, cols=cols, **env)
    child = t.child
    texts = page_texts(lesson, "fan-out")  # prose, a fan-out tree, captions, an offer
    code = code_tokens(lesson, "fan-out")  # and a snippet wider than 40 columns
    here = position("fan-out")
    if env.get("TERM") == "dumb":  # pages printed one after another; typed commands and Enter
        child.expect(position("welcome"))
        child.expect(COMMAND)
        child.send(ENTER)
        child.expect(position("panels"))
        child.expect(COMMAND)
        child.send("m" + ENTER)
        child.expect(rf"Your choice \(1-{TOTAL}, Enter for 2\): ")  # a page number, or Enter
        child.send(f"{page_of('fan-out')}{ENTER}")
        child.expect(here)
        child.expect(COMMAND)
        lines = t.scrollback()
        first = next(
            i for i, line in enumerate(lines) if line.rstrip().endswith(position("welcome"))
        )
        assert lines[first].startswith(lesson.title)
        assert lines[first + 1].rstrip() == "Welcome"
        page = lines[next(i for i, line in enumerate(lines) if line.rstrip().endswith(here)) :]
        assert_shown_whole(page, texts)
        assert_tokens_whole(page, code)
        assert page[-1].startswith("> ")
        child.send("q" + ENTER)
    else:  # the full-screen pager
        child.expect(position("welcome"))
        child.expect(QUIT)
        screen = t.screen()
        assert screen[0].startswith(lesson.title)
        assert screen[0].rstrip().endswith(position("welcome"))
        assert screen[1].rstrip() == "Welcome"
        assert any(line.rstrip().endswith("q quit") for line in screen[-3:])
        assert all(line.rstrip() == "" for line in t.scrollback())  # all of it on the alt screen
        child.send("n")
        child.expect(position("panels"))
        child.expect(QUIT)
        assert "Panels and tables" in t.screen()[1]
        child.send("m")
        child.expect(f"\u00bb {SGR_ANY}here  2\\. ")  # the menu starts on this page, 2
        child.expect(lesson.sections[-1].title)  # drawn down to the last page, even at 40x20
        child.send(DOWN * (page_of("fan-out") - 2) + ENTER)
        child.expect(here)
        child.expect(QUIT)
        screen = t.screen()
        assert_shown_whole(screen[: screen.index(next(filter(is_rule, screen)))], texts[:1])
        body = read_page_in_pager(t)
        assert_shown_whole(body, texts[1:])
        assert_tokens_whole(body, code)
        child.send("q")
    child.expect(f"Saved at page {here}")
    assert finish(t) == 0
    assert_shown_whole(t.scrollback(), [f"Saved at page {here}. Pick up where you left off with"])
    check_raw(t, env)


# -- the quiz ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_question(lesson: Lesson) -> tuple[list[str], list[str]]:
    """Question 1 as seed SEED shows it: (its options, texts that must stay readable whole).

    The options must be readable whole while the learner chooses: in the picker when they fit,
    else in the list above it. Once answered, a picker that fit is gone from the scrollback.
    """
    session = Session(
        lesson.id, "knowledge-check", lesson.quiz_questions("knowledge-check"), seed=SEED
    )
    shown_list = session.start_round()
    rights = [shown.display(shown.question.answer) for shown in shown_list]
    # Enter (or A) picks the first option every time: with this seed that is wrong, wrong, right
    assert rights[0] == 2 and rights[1] != 0 and rights[2] == 0  # as `_seed` chose
    shown = shown_list[0]
    picked = shown.options[0]
    right = shown.question.options[shown.question.answer]
    return list(shown.choices), [shown.question.prompt, picked.explanation, right.explanation]


def shown_whole_soon(term: Term, texts: list[str], seconds: float = 5) -> list[str]:
    """The screen once every text is on it whole (the picker is drawn in several writes)."""
    for _ in range(int(seconds / 0.1)):
        screen = term.screen()
        if all(shows_whole(screen, text) for text in texts):
            return screen
        term.child.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=0.1)  # read what came
    assert_shown_whole(term.screen(), texts)
    return []


@pytest.mark.parametrize(("rows", "cols", "env"), TERMINALS)
def test_quiz(
    term: Callable[..., Term],
    first_question: tuple[list[str], list[str]],
    rows: int,
    cols: int,
    env: dict,
) -> None:
    t = term("quiz", "--seed", str(SEED), rows=rows, cols=cols, timeout=15, **env)
    child = t.child
    dumb = env.get("TERM") == "dumb"
    options, texts = first_question
    child.expect("Question 1 of 3")
    for number in (1, 2, 3):
        if dumb:  # the line prompter: type a letter and Enter
            child.expect(r"Type a letter from A to C and press Enter: ")
            if number == 1:
                assert_shown_whole(t.screen(), options)
            child.send("A" + ENTER)
        else:  # the arrow-key picker: Enter takes the first option
            child.expect(r"\(arrows\+Enter or letter\)")
            if number == 1:
                shown_whole_soon(t, options)
            child.send(ENTER)
        child.expect(r"Right\.|Not quite\.")
        upcoming = f"Question {number + 1} of 3" if number < 3 else r"Score: 1 of 3\."
        # a short screen holds the explanation until Enter, lest the next part push it away
        if not dumb and child.expect([r"Press Enter for", upcoming]) == 0:
            child.send(ENTER)
            child.expect(upcoming)
        elif dumb:
            child.expect(upcoming)
    child.expect(r"Retry the 2 you missed\?")
    child.send("n" + ENTER if dumb else "n")
    assert finish(t) == 0
    lines = t.scrollback()
    assert_shown_whole(lines, ["Question 1 of 3", *texts, "Score: 1 of 3"])
    assert any(line.startswith("Not quite. You chose A)") for line in lines)
    assert any(line.startswith("The right answer is C)") for line in lines)
    check_raw(t, env)


# -- the simulation ---------------------------------------------------------------------------


@pytest.mark.parametrize(("rows", "cols", "env"), TERMINALS)
def test_simulate(term: Callable[..., Term], rows: int, cols: int, env: dict) -> None:
    t = term("simulate", "happy", "--speed", "40", "--purchases", "6", rows=rows, cols=cols, **env)
    t.child.expect("Summary · happy")
    assert finish(t) == 0
    lines = t.scrollback()
    seen = set(words("\n".join(lines)))
    assert set(CONSUMER_NAMES) <= seen  # every consumer named whole somewhere
    assert any(line.startswith("Summary · happy") for line in lines)
    assert_shown_whole(lines, ["Takeaway", SCENARIOS["happy"].takeaway])
    check_raw(t, env)


def last_frame(screen: list[str], title: str) -> list[str]:
    """The lowest live frame on screen: from its title line to its footer of keys."""
    start = max(i for i, line in enumerate(screen) if line.startswith(title))
    end = next(i for i in range(start, len(screen)) if "q quit" in screen[i])
    return screen[start : end + 1]


def test_live_simulation_redraws_at_the_new_size(term: Callable[..., Term]) -> None:
    t = term("simulate", "slow-consumer", "--speed", "6", rows=24, cols=80, timeout=15)
    child = t.child
    child.expect("╭─ simulate · slow-consumer")  # the full layout, in a panel, at 80 columns
    child.expect("purchase [1-9]")

    t.resize(24, 50)
    # below 72 columns the live view switches to its compact layout: no panel, whole names
    child.expect(rf"\d×{SGR_ANY} · {SGR_ANY}purchase")
    child.expect("Learner:")
    child.expect(rf"q{SGR_ANY} quit")
    frame = last_frame(t.screen(), "simulate · slow-consumer")
    assert any(line.startswith("recommendations ") for line in frame), frame
    header = next(line for line in frame if line.startswith("Consumer"))
    assert words(header) == ["Consumer", "St", "Done", "Ev", "Sec"], frame
    assert not any(line.startswith(("│", "╭", "╰")) for line in frame), frame

    t.resize(24, 100)
    child.expect("speed 6×")  # the panel's header line is back
    child.expect(rf"q{SGR_ANY} quit")
    frame = last_frame(t.screen(), "╭─ simulate · slow-consumer")
    assert frame[0].rstrip().endswith("╮") and len(frame[0].rstrip()) == 100, frame[0]

    child.expect("Summary · slow-consumer")
    assert finish(t) == 0
    assert "Traceback" not in t.raw
