"""`eventlesson simulate` live in a real 24x80 pseudo-terminal: the view, the end, Ctrl-C."""

from __future__ import annotations

import pytest

from eventlesson.sim import CONSUMER_NAMES

from .support import ended

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.pty


def test_live_view_names_the_consumers_and_exits_zero(spawn) -> None:
    child = spawn("simulate", "happy", "--speed", "40", "--purchases", "8", timeout=30)
    for name in CONSUMER_NAMES:
        child.expect(name)
    child.expect("What just happened")
    child.expect("Summary · happy")
    child.expect("Takeaway")
    ended(child, 0)
    assert "Traceback" not in child.before


def test_ctrl_c_mid_run_prints_the_summary_so_far_and_exits_130(spawn) -> None:
    child = spawn("simulate", "slow-consumer", "--speed", "2", timeout=30)
    child.expect("recommendations")  # the live view is up
    child.expect("purchase [1-9]")  # and at least one purchase has arrived
    child.sendintr()
    child.expect("Stopped")
    child.expect("Summary · slow-consumer")
    child.expect("Stopped early")
    ended(child, 130)
