"""The simulation's render functions, printed into a StringIO console at 40 to 200 columns."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from rich.console import Console

from eventlesson.sim import CONSUMER_NAMES, SCENARIOS, ConsumerView, Simulation
from eventlesson.sim.story import LogLine
from eventlesson.ui import render_sim
from eventlesson.ui.render_sim import (
    WIDE,
    fit_log,
    lag_bar,
    nice_scale,
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


def live(sim: Simulation, width: int, height: int = 24, **kw) -> str:
    assert sim.story is not None
    log = [(line, line.key) for line in sim.story.recent(40)]
    view = render_live(sim.snapshot(), width=width, height=height, speed=1.0, log=log, **kw)
    return text_of(view, width)


def flat(text: str) -> str:
    """The words, without panel borders or line breaks: what a person reads."""
    return " ".join(text.replace("│", " ").split())


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize("width", [40, 52, 64, 71, 72, 80, 120, 200])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_live_screen_fits_every_width_and_24_rows(scenario: str, width: int) -> None:
    out = live(mid_run(scenario), width, controls=True)
    assert widest(out) <= width
    assert len(out.splitlines()) <= 23, out  # one row left for the cursor
    for name in CONSUMER_NAMES:
        assert name in out or name[:10] in out
    assert "Stat…" not in out and "Lag…" not in out  # no heading cut to an ellipsis
    heading = next(line for line in out.splitlines() if "Consumer" in line)
    assert "…" not in heading, heading  # no column of the table cut off at its edge
    if width >= WIDE:
        assert "Lag ev" in heading and heading.rstrip(" │").endswith(" s"), heading
    assert "q quit" in out
    assert "\x1b[" not in out  # no escape codes without colour


def test_the_wide_layout_starts_where_its_table_fits() -> None:
    sim = mid_run("happy")
    assert "Offset" in live(sim, WIDE) and "Offset" not in live(sim, WIDE - 1)
    assert "╭" in live(sim, WIDE) and "╭" not in live(sim, WIDE - 1)


def test_live_screen_shows_commit_and_publish_at_two_times_and_the_learner() -> None:
    sim = mid_run("happy", steps=30)
    out = live(sim, 80)
    commit = next(s for s in sim.snapshot().steps if s.name == "commit")
    assert f"commit ✓ {commit.at:.2f} s" in out
    assert "Learner: 'successful' at" in out and "at the commit" in out


def test_the_broker_line_spells_out_lag_as_log_end_minus_offset() -> None:
    snap = mid_run("slow-consumer", steps=120).snapshot()
    behind = max(snap.consumers, key=lambda c: c.lag_events)
    out = flat(text_of(render_live(snap, width=80), 80))
    assert f"Broker log end {snap.log_end}" in out
    assert f"{behind.name} {snap.log_end} − {behind.offset} = {behind.lag_events}" in out
    assert "Lag ev = log end − Offset" in out  # the legend says what the columns mean
    assert "- not idempotent" in out


def test_the_bars_have_a_labelled_scale() -> None:
    snap = dataclasses.replace(mid_run("slow-consumer", steps=120).snapshot(), peak_lag_seconds=7)
    assert "0–10 s" in text_of(render_live(snap, width=80), 80)
    assert nice_scale(0.3) == 1 and nice_scale(7) == 10 and nice_scale(1500) == 10_000


def test_a_lost_purchase_is_spelled_out_with_what_its_learner_was_told() -> None:
    sim = Simulation("crash-after-commit", seed=7, purchases=3, observe=True)
    while not sim.done:
        sim.step()
        snap = sim.snapshot(focus=3)
        if any(s.state == "failed" for s in snap.steps):
            out = flat(text_of(render_live(snap, width=80), 80))
            assert "publish ✗ lost" in out
            assert "paid, never enrolled" in out
            assert "lost events 1" in out
            return
    pytest.fail("the crash never showed as a failed step")


def _line(seq: int, key: bool = False) -> LogLine:
    return LogLine(seq, float(seq), "crash" if key else "commit", f"line {seq}", key, None)


def test_highlighted_lines_stay_in_the_log_when_newer_ones_push_them_out() -> None:
    log = [(_line(1), False), (_line(2, key=True), True)] + [(_line(n), False) for n in range(3, 9)]
    kept = fit_log(log, 4)
    assert [line.seq for line, _ in kept] == [2, 6, 7, 8]
    assert fit_log(log, 20) == log
    unhighlighted = [(line, False) for line, _ in log]
    assert [line.seq for line, _ in fit_log(unhighlighted, 3)] == [6, 7, 8]


def test_highlighted_lines_are_marked_in_words_not_only_colour() -> None:
    sim = mid_run("crash-after-commit", steps=90)
    assert sim.story is not None
    log = [(line, line.key) for line in sim.story.recent(40)]
    out = text_of(render_live(sim.snapshot(), width=80, log=log), 80)
    assert any(line.lstrip("│ ").startswith("!") for line in out.splitlines())


def test_paused_view_says_so_and_lists_the_step_key() -> None:
    out = live(mid_run("happy"), 80, paused=True, controls=True)
    assert "PAUSED" in out and ". → step" in out and "space resume" in out
    inline = live(mid_run("happy"), 40, controls=True, inline=True)
    assert "q back to the page" in " ".join(inline.split())


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


def test_narrow_table_keeps_both_lag_numbers() -> None:
    snap = mid_run("slow-consumer", steps=60).snapshot()
    lagging = ConsumerView("analytics", "busy", 3, 0, 0, 0, 9, 8.5, False, 4)
    snap = dataclasses.replace(snap, consumers=(lagging,))
    out = text_of(render_live(snap, width=40), 40)
    row = next(line for line in out.splitlines() if line.startswith("analytics"))
    assert row.split()[-2:] == ["9", "8.5"]


def test_lag_bar_is_visible_for_any_lag_and_full_at_scale() -> None:
    assert lag_bar(0.0, 1.0, 5) == "░░░░░"
    assert lag_bar(0.0001, 1.0, 5).startswith("▏")
    assert lag_bar(1.0, 1.0, 5) == "█████"
    assert lag_bar(9.0, 1.0, 5) == "█████"
    assert len(lag_bar(0.37, 1.0, 10)) == 10


# -- the summaries -----------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 40])
def test_summary_shows_lags_latency_invariants_and_takeaway(width: int) -> None:
    summary = Simulation("publish-before-commit", seed=7).run()
    out = text_of(render_summary(summary, width=width), width)
    words = flat(out)
    assert widest(out) <= width
    assert "p50" in out and "p95" in out and "max" in out
    assert "Learner confirmed" in out
    assert "✗ BROKEN" in out and "✓ holds" in out
    assert "what this scenario shows" in words  # it may wrap at 40
    assert "Publishing an event before the authoritative change is committed" in words
    assert "ghost events" in out
    assert "(events behind, seconds)" in out
    assert "time never went back" not in words  # internal checks stay in --json


def test_summary_shows_effect_once_per_consumer() -> None:
    summary = Simulation("outbox", seed=7).run()
    words = flat(text_of(render_summary(summary, width=80), 80))
    assert "✗ BROKEN email applied each effect once (not idempotent)" in words
    assert "✓ holds enrollment applied each effect once (idempotent by event id)" in words
    assert "(1 repeat by the relay)" in words or "repeats by the relay" in words


def test_sync_chain_summary_reads_event_checks_as_not_applicable_and_compares() -> None:
    from eventlesson.flows.simulate import with_comparison

    sim = Simulation("sync-chain", seed=7)
    summary = with_comparison(sim, sim.run())
    words = flat(text_of(render_summary(summary, width=80), 80))
    assert "n/a no lost events" in words and "(no events in this design)" in words
    assert "with events, happy: p50" in words
    assert "shown an error" in words


def test_slow_consumer_summary_puts_capacity_beside_the_arrival_rate() -> None:
    summary = Simulation("slow-consumer", seed=7).run()
    words = flat(text_of(render_summary(summary, width=80), 80))
    assert "arrivals 1/s" in words and "Cap/s" in words
    assert "analytics handles 0.50/s, fewer than the 1.00/s arriving" in words
    assert "drained only because they stopped" in words


def test_poison_summary_tells_how_long_the_events_behind_waited() -> None:
    summary = Simulation("poison-event", seed=7).run()
    words = flat(text_of(render_summary(summary, width=80), 80))
    assert "waited" in words and "(head-of-line)" in words


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
    outbox = " ".join(text_of(render_compact_summary(Simulation("outbox").run()), 80).split())
    assert "effect applied twice by email, analytics" in outbox


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


def test_a_key_moment_keeps_its_words_at_40_columns_in_two_rows_at_most() -> None:
    sim = mid_run("crash-after-commit", steps=90)
    out = live(sim, 40)
    rows = out.splitlines()
    first = next(i for i, row in enumerate(rows) if row.startswith("!"))
    assert "crashed after" in rows[first] and "lost" in rows[first + 1]
    assert len(rows) <= 23


@pytest.mark.parametrize("width", [WIDE, 80, 120])
def test_a_key_moment_keeps_all_its_words_in_the_wide_layout(width: int) -> None:
    """Issue 8: key moments stay readable. A long one takes a second row, broken at a word,
    and the whole screen still fits 24 rows."""
    shown = 0
    for scenario in SCENARIOS:
        for steps in (60, 90, 140):
            sim = mid_run(scenario, steps=steps)
            assert sim.story is not None
            log = [(line, line.key) for line in sim.story.recent(40)]
            out = text_of(
                render_live(sim.snapshot(), width=width, log=log, speed=1.0, controls=True), width
            )
            assert len(out.splitlines()) <= 23 and widest(out) <= width
            for line, hot in log:
                if hot and f"! {line.t:8.2f} s  {line.text.split()[0]} " in out:  # its first row
                    shown += 1
                    assert " ".join(line.text.split()) in flat(out), (scenario, line.text)
                    assert f"{line.text[:20]}…" not in out
    assert shown > len(SCENARIOS)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_predictions_run_keeps_its_keys_in_view_at_40_by_20(scenario: str) -> None:
    """The key line of a run played before a prediction's comparison (q: "see the result")
    takes one row at 40 columns, so at 40x20 the whole view, keys included, fits (a two-row
    key line pushed its end below the screen: "q skip to the")."""
    from eventlesson.flows.predict import SKIP

    out = live(mid_run(scenario), 40, height=20, controls=True, inline=True, leave=SKIP)
    rows = out.rstrip("\n").split("\n")
    assert len(rows) <= 20, out
    assert rows[-1].rstrip().endswith(f"q {SKIP}"), out


LONG = {"t": 2.608, "type": "handle", "purchase_id": 1, "consumer": "recommendations"}


@pytest.mark.parametrize(("width", "indent"), [(80, 30), (40, 2)])
def test_plain_lines_break_at_words_on_a_terminal_and_stay_whole_in_a_log(
    width: int, indent: int
) -> None:
    from eventlesson.flows.simulate import plain_printer

    record = {**LONG, "event_id": "evt-000001", "offset": 0, "effect": "recommendations"}
    whole = plain_line(record)
    assert len(whole) > 80  # the case that the terminal cut mid-word
    screen = Console(file=io.StringIO(), width=width, force_terminal=True)
    plain_printer(screen)(record)
    lines = screen.file.getvalue().splitlines()
    assert len(lines) > 1 and all(len(line) <= width for line in lines)
    assert all(line.startswith(" " * indent) and line[indent] != " " for line in lines[1:])
    assert " ".join(" ".join(line.split()) for line in lines) == " ".join(whole.split())
    log = Console(file=io.StringIO(), width=width)  # not a terminal: a file, a pipe
    plain_printer(log)(record)
    assert log.file.getvalue() == whole + "\n"
    plain_printer(log)({"t": 1.0, "type": "lag", "consumer": "email"})  # trace-only
    assert log.file.getvalue() == whole + "\n"


def test_on_a_short_narrow_screen_a_key_moment_keeps_its_words_before_the_legend() -> None:
    sim = Simulation("publish-before-commit", seed=7, observe=True)
    while not sim.done:  # to the first key moment too long for two rows at 40 columns
        sim.step()
        assert sim.story is not None
        newest = sim.story.recent(1)
        if newest and newest[0].key and len(newest[0].text) > 70:
            break
    moment = newest[0].text
    out = live(sim, 40, 20, controls=True, inline=True)
    rows = out.splitlines()
    assert len(rows) <= 19  # the cursor's row is left free
    assert " ".join(moment.split()) in flat(out)  # every word of it, none cut off
    assert "Ev = log end" not in out  # the legend gave way
    roomy = live(sim, 40, 30, controls=True, inline=True)
    assert "Ev = log end" in roomy and " ".join(moment.split()) in flat(roomy)  # both, with room
