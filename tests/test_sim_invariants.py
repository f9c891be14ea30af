"""Every invariant can fail: each check is fed data (or a store, or a clock) that breaks it.

A check that cannot fail proves nothing. The failure scenarios break four invariants on their
own (see test_sim_core); here each of the eight is broken on purpose, through the same code path
the summary uses, so none of them is true by construction.
"""

from __future__ import annotations

import io
import json

import pytest

from eventlesson.sim import SCENARIOS, Faults, Simulation, TraceWriter
from eventlesson.sim.invariants import (
    NAMES,
    TimeOrder,
    confirmed_at_commit,
    lags_drained,
    time_never_goes_back,
    unhandled,
)


def finished(sim: Simulation) -> dict[str, bool]:
    """Run without asking for the summary, so a test can tamper before it is made."""
    sim.env.run()
    return sim.summary().invariants


def broken(invariants: dict[str, bool]) -> set[str]:
    return {name for name, ok in invariants.items() if not ok}


def test_the_summary_checks_exactly_the_named_invariants() -> None:
    summary = Simulation("happy", seed=7, purchases=3).run()
    assert tuple(summary.invariants) == NAMES


# -- time_never_goes_back --------------------------------------------------------------------


def test_time_check_fails_on_a_sequence_that_goes_back() -> None:
    assert time_never_goes_back([0.0, 0.5, 0.5, 2.0])
    assert not time_never_goes_back([0.0, 1.0, 0.999999, 2.0])
    order = TimeOrder()
    for t in (3.0, 1.0, 2.0):
        order.see(t)
    assert not order.ok and order.backwards == 1


def test_time_check_reads_the_records_as_emitted() -> None:
    sim = Simulation("happy", seed=7, purchases=3)
    seen: list[float] = []
    sim.add_listener(lambda record: seen.append(record["t"]))
    original = sim._emit

    def stamped_a_second_early(kind: str, *args, **kw) -> None:
        if kind != "publish":
            original(kind, *args, **kw)
            return
        now = sim.env._now
        sim.env._now = now - 1.0  # as if this record were written with a clock that jumped back
        try:
            original(kind, *args, **kw)
        finally:
            sim.env._now = now

    sim._emit = stamped_a_second_early  # type: ignore[method-assign]
    assert broken(finished(sim)) == {"time_never_goes_back"}
    assert not time_never_goes_back(seen)  # what the listener received says the same


def test_a_trace_out_of_order_fails_the_same_check() -> None:
    buffer = io.StringIO()
    sim = Simulation("outbox", seed=7, purchases=4)
    sim.add_listener(TraceWriter(buffer))
    sim.run()
    times = [json.loads(line)["t"] for line in buffer.getvalue().splitlines()]
    assert time_never_goes_back(times)
    times[3], times[-1] = times[-1], times[3]
    assert not time_never_goes_back(times)


# -- confirmed_at_commit ---------------------------------------------------------------------


def test_confirmation_is_measured_against_the_stored_commit_time() -> None:
    assert confirmed_at_commit(1.5, 1.5)
    assert not confirmed_at_commit(1.52, 1.5)
    assert not confirmed_at_commit(1.5, None)  # the store does not have it at all


def test_a_store_that_recorded_another_commit_time_breaks_confirmed_at_commit() -> None:
    sim = Simulation("happy", seed=7, purchases=3)
    commit = sim.store.commit_purchase

    def earlier(*args, **kw) -> float:
        commit(*args, **kw)
        return -1.0  # what a clock-skewed database would hand back

    sim.store.commit_purchase = earlier  # type: ignore[method-assign]
    assert broken(finished(sim)) == {"confirmed_at_commit", "time_never_goes_back"}


def test_sync_chain_confirms_later_than_the_store_says_it_committed() -> None:
    buffer = io.StringIO()
    sim = Simulation("sync-chain", seed=7, purchases=4)
    sim.add_listener(TraceWriter(buffer))
    summary = sim.run()
    confirms = {
        r["purchase_id"]: r["t"]
        for r in map(json.loads, buffer.getvalue().splitlines())
        if r["type"] == "confirm"
    }
    rows = sim.store._db.execute("SELECT purchase_id, committed_at FROM purchases").fetchall()
    assert len(rows) == len(confirms) == 4
    for pid, committed_at in rows:  # the data says the learner waited past the commit
        assert confirms[pid] > committed_at
    assert sim.late_confirms == 4
    assert not summary.invariants["confirmed_at_commit"]


# -- publish_only_after_commit ---------------------------------------------------------------


def test_publish_check_asks_the_store_not_the_model() -> None:
    sim = Simulation("happy", seed=7, purchases=3)
    sim.store.has_purchase = lambda _pid: False  # type: ignore[method-assign]
    assert "publish_only_after_commit" in broken(finished(sim))
    assert sim.unstored_publishes == 3


# -- idempotent_consumers_once ---------------------------------------------------------------


def test_a_dedupe_table_that_forgets_breaks_idempotency() -> None:
    sim = Simulation("consumer-crash", seed=7, purchases=4)
    sim.store.mark_processed = lambda *_a: True  # type: ignore[method-assign]
    assert broken(finished(sim)) == {"idempotent_consumers_once"}


# -- every_event_handled and lags_drained ----------------------------------------------------


def test_lags_drained_fails_when_an_offset_is_behind_the_log_end() -> None:
    effects = bytearray([0, 1, 1, 1])
    assert lags_drained(3, [(3, effects, set())], lambda _pid: True)
    assert not lags_drained(3, [(3, effects, set()), (2, effects, set())], lambda _pid: True)


def test_lags_drained_fails_when_the_store_holds_an_unhandled_purchase() -> None:
    effects = bytearray([0, 1, 0, 1])  # purchase 2 never handled
    assert list(unhandled(effects, set())) == [2]
    assert not lags_drained(3, [(3, effects, set())], lambda pid: pid == 2)
    assert lags_drained(3, [(3, effects, {2})], lambda _pid: True)  # dead-lettered is handled
    assert lags_drained(3, [(3, effects, set())], lambda _pid: False)  # never committed/published


def test_a_consumer_left_behind_breaks_the_end_checks_of_a_real_run() -> None:
    sim = Simulation("happy", seed=7, purchases=4)
    sim.env.run()
    analytics = next(c for c in sim.consumers if c.name == "analytics")
    analytics.offset -= 1  # as if its last offset commit had been lost
    analytics.effects[4] = 0
    analytics.distinct -= 1
    assert broken(sim.summary().invariants) == {"lags_drained", "every_event_handled"}


def test_the_store_decides_what_is_owed() -> None:
    sim = Simulation("happy", seed=7, purchases=4)
    sim.env.run()
    for c in sim.consumers:
        c.effects[2] = 0  # nobody handled purchase 2 ...
    sim.store._exec("DELETE FROM purchases WHERE purchase_id = 2")  # ... nor does the store have it
    assert sim._drained()
    sim.store._exec("INSERT INTO purchases VALUES (2, 'x', 1, 0.0)")
    assert not sim._drained()


# -- the scenarios still keep or break what they should --------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_scenario_breaks_only_its_expected_invariants(name: str) -> None:
    summary = Simulation(name, seed=11).run()
    assert broken(summary.invariants) == set(SCENARIOS[name].expected_broken)


def test_explicit_faults_cannot_break_the_safe_design() -> None:
    faults = Faults(fail_commits=frozenset({1}), service_crashes=frozenset({2}))
    summary = Simulation("outbox", seed=3, purchases=5, faults=faults).run()
    assert not broken(summary.invariants)
