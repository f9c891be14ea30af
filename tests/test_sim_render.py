"""The simulation's render functions, printed at 80 and 40 columns into a StringIO console."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from rich.console import Console

from eventlesson.sim import CONSUMER_NAMES, SCENARIOS, ConsumerView, Simulation
from eventlesson.ui import render_sim
from eventlesson.ui.render_sim import (
    lag_bar,
    plain_line,
    render_compact_summary,
    render_live,
    render_scenarios,
    render_summary,
)


def text_of(renderable, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def mid_run(scenario: str, steps: int = 80, **kw) -> Simulation:
    sim = Simulation(scenario, seed=7, observe=True, **kw)
    for _ in range(steps):
        if sim.done:
            break
        sim.step()
    return sim


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize("width", [80, 40])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_live_screen_fits_the_width_and_names_every_consumer(scenario: str, width: int) -> None:
    out = text_of(render_live(mid_run(scenario).snapshot(), width=width, speed=2.0), width)
    assert widest(out) <= width
    for name in CONSUMER_NAMES:
        assert name in out or name[: width // 4] in out
    assert "What just happened:" in out
    assert "\x1b[" not in out  # no escape codes without colour


def test_live_screen_fits_in_24_rows_at_80_columns() -> None:
    for scenario in SCENARIOS:
        out = text_of(render_live(mid_run(scenario).snapshot(), width=80, speed=1.0), 80)
        assert len(out.splitlines()) <= 22, scenario  # room left for the shell prompt


def test_live_screen_says_status_and_steps_in_words_and_symbols() -> None:
    sim = mid_run("happy", steps=4)
    out = text_of(render_live(sim.snapshot(), width=80, speed=1.0), 80)
    assert "command ✓" in out
    assert "busy" in out or "idle" in out
    assert "ghost events 0" in out and "lost events 0" in out and "duplicate effects 0" in out


def test_a_failed_step_is_spelled_out() -> None:
    sim = Simulation("crash-after-commit", seed=7, purchases=3, observe=True)
    while not sim.done:
        sim.step()
        snap = sim.snapshot()
        if any(s.state == "failed" for s in snap.steps):
            out = text_of(render_live(snap, width=80), 80)
            assert "publish ✗ lost" in out
            assert "lost events 1" in out
            return
    pytest.fail("the crash never showed as a failed step")


@pytest.mark.parametrize("width", [80, 40])
def test_outbox_screen_shows_backlog_and_the_brokers_actual_state(width: int) -> None:
    snap = mid_run("broker-outage", steps=20).snapshot()
    down_snap = dataclasses.replace(snap, outbox_backlog=7, broker_up=False)
    down = text_of(render_live(down_snap, width=width), width)
    assert "outbox backlog 7" in down
    assert "broker DOWN" in down and "broker up" not in down
    up_snap = dataclasses.replace(snap, outbox_backlog=0, broker_up=True)
    up = text_of(render_live(up_snap, width=width), width)
    assert "outbox backlog 0" in up
    assert "broker up" in up and "broker DOWN" not in up


def test_designs_without_an_outbox_show_no_broker_line() -> None:
    snap = dataclasses.replace(mid_run("happy", steps=20).snapshot(), broker_up=False)
    assert "broker" not in text_of(render_live(snap, width=80), 80)


def test_narrow_lag_cell_gives_both_numbers_a_unit() -> None:
    snap = mid_run("slow-consumer", steps=60).snapshot()
    lagging = ConsumerView("analytics", "busy", 3, 0, 0, 0, 9, 8.5, False)
    snap = dataclasses.replace(snap, consumers=(lagging,))
    out = text_of(render_live(snap, width=40), 40)
    assert "9 ev 8.5s" in out


def test_lag_bar_is_visible_for_any_lag_and_full_at_scale() -> None:
    assert lag_bar(0.0, 1.0, 5) == "░░░░░"
    assert lag_bar(0.0001, 1.0, 5).startswith("▏")
    assert lag_bar(1.0, 1.0, 5) == "█████"
    assert lag_bar(9.0, 1.0, 5) == "█████"
    assert len(lag_bar(0.37, 1.0, 10)) == 10


@pytest.mark.parametrize("width", [80, 40])
def test_summary_shows_lags_latency_invariants_and_takeaway(width: int) -> None:
    summary = Simulation("publish-before-commit", seed=7).run()
    out = text_of(render_summary(summary, width=width), width)
    assert widest(out) <= width
    assert "p50" in out and "p95" in out and "max" in out
    assert "Learner confirmed" in out
    assert "✗ BROKEN" in out and "✓ holds" in out
    assert "what this scenario shows" in " ".join(out.split())  # it may wrap at 40
    assert "Troubleshooting" in out  # the takeaway names the lesson item
    assert "ghost events" in out
    assert "(events behind, seconds)" in out  # the heading says both units the table shows
    assert "Lag in seconds" not in out


# -- the compact summary (inline in the lesson) ------------------------------------------------

COMPACT_LIMIT = {80: 18, 40: 20}


@pytest.mark.parametrize("width", [80, 40])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_compact_summary_fits_one_screen(scenario: str, width: int) -> None:
    summary = Simulation(scenario, seed=7).run()
    out = text_of(render_compact_summary(summary, width=width), width)
    lines = out.rstrip("\n").splitlines()
    assert len(lines) <= COMPACT_LIMIT[width], out
    assert widest(out) <= width
    assert lines[0].startswith(f"Summary · {scenario}")
    assert "committed" in out and "published" in out and "confirmed p50" in out
    assert "ghost" in out and "lost" in out and "duplicate" in out
    for name in CONSUMER_NAMES:
        assert name in out
    assert summary.takeaway.split()[-1] in out and "Takeaway" in out


def test_compact_summary_names_only_the_broken_invariants() -> None:
    broken = Simulation("publish-before-commit", seed=7).run()
    out = " ".join(text_of(render_compact_summary(broken, width=80), 80).split())
    assert "as this scenario shows: publish only after commit, no ghost events" in out
    assert "no lost events" not in out and "holds" not in out
    happy = text_of(render_compact_summary(Simulation("happy", seed=7).run(), width=40), 40)
    assert "all invariants hold" in happy and "✗" not in happy


def test_compact_summary_calls_an_unexpected_break_broken_in_capitals() -> None:
    summary = Simulation("happy", seed=7, purchases=3).run()
    invariants = dict(summary.invariants, no_lost_events=False)
    out = text_of(render_compact_summary(dataclasses.replace(summary, invariants=invariants)), 80)
    assert "✗ BROKEN: no lost events" in out


def test_compact_summary_of_a_stopped_run_leaves_end_checks_open() -> None:
    sim = mid_run("slow-consumer", steps=60)
    out = text_of(render_compact_summary(sim.summary(), width=40), 40)
    assert "Stopped early" in out and "checks open" in out
    assert "lags drained" not in out


def test_render_uses_the_shared_style_names_only() -> None:
    source = Path(render_sim.__file__).read_text(encoding="utf-8")
    for literal in ('"bold', '"dim"', '"yellow"', '"green"', '"red"', '"cyan"', '"magenta"'):
        assert literal not in source, literal


def test_sync_chain_summary_shows_happys_confirmation_beside_it() -> None:
    out = text_of(render_summary(Simulation("sync-chain", seed=7).run(), width=80), 80)
    assert "happy" in out


def test_a_stopped_run_says_so_and_leaves_end_checks_open() -> None:
    sim = mid_run("slow-consumer", steps=60)
    out = text_of(render_summary(sim.summary(), width=80), 80)
    assert "Stopped early" in out
    assert "not checked" in out


@pytest.mark.parametrize("width", [80, 40])
def test_scenario_list_has_every_name(width: int) -> None:
    out = text_of(render_scenarios(SCENARIOS.values(), width=width), width)
    for name in SCENARIOS:
        assert name in out
    assert widest(out) <= width


def test_plain_line_has_time_type_and_words() -> None:
    line = plain_line({"t": 1.5, "type": "commit", "purchase_id": 3})
    assert line.strip().startswith("1.500s")
    assert "commit" in line and "P3 is committed" in line
