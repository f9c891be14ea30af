"""`eventlesson simulate` live in a real pseudo-terminal, driven like a person.

The keys (space, `.`, `+`, `q`, Ctrl-C), the layout at 40, 64, 80 and 200 columns, typed keys that
must not echo into the picture, and the lesson playing a scenario inline: `q` and Ctrl-C go back
to the page, a second Ctrl-C leaves the lesson. Everything the program writes is replayed into
pyte, a VT100 emulator, so the assertions read the screen a learner would see.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from eventlesson.sim import CONSUMER_NAMES

from .support import PtyScreen, ended, jump_to, position

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

pytestmark = pytest.mark.pty

DOWN = "\x1b[B"
ENTER = "\r"
CTRL_C = "\x03"
CLOCK = re.compile(r"t = (\d+\.\d\d) s")
BACK = r"q(?:\x1b\[[0-9;]*m)* back to the page"  # the inline footer, coloured or not


def clock_of(text: str) -> float:
    """The run's clock as a screen shows it."""
    found = CLOCK.search(text)
    assert found, text
    return float(found.group(1))


class Screen(PtyScreen):
    def clock(self) -> float:
        return clock_of(self.text())


def start(spawn: Any, *args: str, rows: int = 24, cols: int = 80, **env: str) -> tuple[Any, Screen]:
    child = spawn(*args, rows=rows, cols=cols, timeout=30, **env)
    return child, Screen(child, rows, cols)


def test_live_view_names_the_consumers_and_exits_zero(spawn) -> None:
    child, _ = start(spawn, "simulate", "happy", "--speed", "40", "--purchases", "8")
    child.expect("Learner:")
    for name in CONSUMER_NAMES:
        child.expect(name)
    child.expect("Summary · happy")
    child.expect("Takeaway")
    ended(child, 0)


def test_ctrl_c_mid_run_prints_the_summary_so_far_and_exits_130(spawn) -> None:
    child, _ = start(spawn, "simulate", "slow-consumer", "--speed", "2")
    child.expect("recommendations")  # the live view is up
    child.expect("purchase [1-9]")  # and at least one purchase has arrived
    assert child.waitnoecho(timeout=10)  # reading single keys
    child.send(CTRL_C)
    child.expect("Stopped")
    child.expect("Summary · slow-consumer")
    child.expect("Stopped early")
    ended(child, 130)


def test_space_pauses_dot_steps_plus_speeds_up_and_q_quits(spawn) -> None:
    child, screen = start(spawn, "simulate", "happy", "--purchases", "40")
    child.expect("purchase [1-9]")
    assert child.waitnoecho(timeout=10)
    child.send(" ")
    child.expect("PAUSED")
    paused = screen.wait_for("space resume")  # the footer lists the keys: the frame is whole
    assert ". → step" in paused
    at = screen.clock()
    assert screen.settle(0.8) and screen.clock() == at  # the clock stands still
    child.send(".")
    screen.wait_until(lambda text: clock_of(text) > at, "the clock one event later")
    stepped = screen.clock()
    assert screen.settle(0.6) and screen.clock() == stepped  # and still paused
    child.send("+")
    child.send(" ")
    child.expect("speed 2×")  # twice as fast
    screen.wait_until(
        lambda text: "PAUSED" not in text and clock_of(text) > stepped, "the run going again"
    )
    child.send("q")
    child.expect("Summary · happy")
    child.expect("Stopped early")
    ended(child, 0)  # q is a way to finish, not an interruption


def test_typed_keys_never_echo_into_the_picture(spawn) -> None:
    child, screen = start(spawn, "simulate", "happy", "--purchases", "40", "--speed", "2")
    child.expect("purchase [1-9]")
    assert child.waitnoecho(timeout=10)
    child.send("zzhello")
    child.send(" ")
    child.expect("PAUSED")
    shown = screen.wait_for("space resume")  # the paused frame, whole
    assert "zz" not in shown and "hello" not in shown
    child.send("q")
    ended(child, 0)


def test_layout_fits_40_64_80_and_200_columns(spawn) -> None:
    """One paused run, resized: each size gets its own layout, redrawn while paused."""
    child, screen = start(spawn, "simulate", "slow-consumer", "--speed", "20", "--purchases", "40")
    child.expect("purchase (?:[4-9]|[1-9][0-9])/40")
    assert child.waitnoecho(timeout=10)
    child.send(" ")
    child.expect("PAUSED")
    for cols in (40, 64, 80, 200):
        screen.resize(24, cols)
        # the frame redrawn for the new size, whole: its header and its footer
        shown = screen.wait_until(
            lambda text: "PAUSED" in text and "q quit" in text, f"a frame at {cols} columns"
        )
        for name in CONSUMER_NAMES:
            assert name in shown or name[:13] in shown, (cols, name, shown)
        assert "Stat…" not in shown and "Lag…" not in shown  # no column cut to an ellipsis
        assert "Learner:" in shown and "q quit" in shown and "PAUSED" in shown
        assert all(len(line) <= cols for line in screen.lines())
        if cols >= 72:
            assert "Offset" in shown and "Broker log end" in shown and "╭" in shown, shown
        else:
            assert "log end" in shown and "╭" not in shown, shown
            assert "Ev = log end − offset" in " ".join(shown.split())
        lines = screen.lines()
        top = [i for i, line in enumerate(lines) if "simulate · slow-consumer" in line]
        keys = [i for i, line in enumerate(lines) if "q quit" in line]
        assert len(top) == 1 and keys and keys[-1] > top[0], (cols, shown)  # one whole frame
    child.send("q")
    ended(child, 0)


# -- inline, in the lesson ----------------------------------------------------------------------


PAGE = "fan-out"  # the fixture course's page with the happy scenario


def _to_the_simulation_page(child: Any) -> None:
    child.expect(position("welcome"))
    child.expect("quit")
    jump_to(child, PAGE)
    child.expect(r"s(?:\x1b\[0m)? simulate")


def test_inline_q_and_ctrl_c_go_back_to_the_page_and_a_second_ctrl_c_leaves(spawn, home) -> None:
    child, screen = start(spawn, "learn", EVENTLESSON_SIM_SPEED="1")
    _to_the_simulation_page(child)
    child.send("s")
    child.expect(BACK)
    assert child.waitnoecho(timeout=10)
    child.send("q")
    child.expect(position(PAGE))  # back on the page
    child.expect(r"s(?:\x1b\[0m)? simulate")
    child.send("s")
    child.expect(BACK)
    assert child.waitnoecho(timeout=10)
    child.send(CTRL_C)
    child.expect(position(PAGE))  # Ctrl-C in the run: back on the page, not out of the lesson
    child.expect("quit")
    assert "Takeaway" not in screen.settle(0.3)
    child.send(CTRL_C)  # Ctrl-C again: leave the lesson
    child.expect(r"Stopped\. Your progress is saved\.")
    ended(child, 130)
    assert (home / "progress.json").exists()


def test_inline_final_screen_stays_until_a_key(spawn) -> None:
    child, screen = start(spawn, "learn", EVENTLESSON_SIM_SPEED="60")
    _to_the_simulation_page(child)
    child.send("s")
    child.expect("Summary · happy")
    child.expect("Press any key to return to the lesson")
    assert child.waitnoecho(timeout=10)
    assert "Takeaway" in screen.settle(1.0)  # it stays
    assert position(PAGE) not in screen.text()
    child.send("x")
    child.expect(position(PAGE))
    child.expect("quit")
    child.send("q")
    ended(child, 0)
