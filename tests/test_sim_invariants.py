"""Every invariant can fail: each is fed a mutated trace or store that breaks it.

A check that cannot fail proves nothing. The invariants read a trace (folded by a `Ledger`) and
the stores, never the engine; here a finished run's records or database are tampered with, then
checked through the same functions the summary uses, and each named invariant breaks alone (or
with exactly the others the mutation must break too).
"""

from __future__ import annotations

import copy
import io

import pytest

from eventlesson.sim import (
    CONSUMER_NAMES,
    SCENARIOS,
    Faults,
    Simulation,
    TraceWriter,
    read_trace,
    run_scenario,
)
from eventlesson.sim.invariants import INTERNAL, NAMES, check, find
from eventlesson.sim.ledger import Ledger
from eventlesson.sim.readout import summarize
from eventlesson.sim.scenarios import CONSUMERS, effect_once


def checked(run, records, scenario: str = "happy", complete: bool = True) -> dict:
    has_events = SCENARIOS[scenario].has_events
    ledger = Ledger.from_records(CONSUMER_NAMES, records)
    findings = find(
        ledger, run.store, run.consumer_stores, complete=complete, has_events=has_events
    )
    return check(ledger, findings, has_events=has_events, complete=complete)


def broken(invariants: dict) -> set[str]:
    return {name for name, ok in invariants.items() if ok is False}


@pytest.fixture
def run():
    with run_scenario("happy", seed=7, purchases=4) as result:
        yield result


def first(records: list, kind: str, **match) -> int:
    return next(
        i
        for i, r in enumerate(records)
        if r["type"] == kind and all(r.get(k) == v for k, v in match.items())
    )


def test_the_summary_checks_exactly_the_named_invariants(run) -> None:
    assert tuple(run.summary.invariants) == NAMES
    assert set(INTERNAL) < set(NAMES)


def test_an_untouched_run_holds_every_invariant_through_the_same_path(run) -> None:
    assert checked(run, run.trace) == run.summary.invariants
    assert not broken(run.summary.invariants)


# -- publish_only_after_commit ---------------------------------------------------------------


def test_a_publish_moved_before_its_commit_breaks_publish_only_after_commit(run) -> None:
    records = copy.deepcopy(run.trace)
    commit = records[first(records, "commit", purchase_id=2)]
    publish = records.pop(first(records, "publish", purchase_id=2))
    publish["t"] = commit["t"] - 0.001
    records.insert(records.index(commit), publish)
    assert broken(checked(run, records)) == {"publish_only_after_commit"}


# -- no_ghost_events -------------------------------------------------------------------------


def test_a_store_without_a_published_purchase_has_a_ghost(run) -> None:
    run.store.execute("DELETE FROM purchases WHERE purchase_id = 2")
    assert broken(checked(run, run.trace)) == {
        "no_ghost_events",
        "publish_only_after_commit",  # published while the store never had it
        "confirmed_at_commit",  # and the learner was confirmed for nothing
    }


# -- no_lost_events --------------------------------------------------------------------------


def test_a_stored_purchase_no_trace_announced_is_lost(run) -> None:
    run.store.execute("INSERT INTO purchases VALUES (3000, 'x', 100, 1.0)")
    assert broken(checked(run, run.trace)) == {"no_lost_events"}


def test_a_trace_missing_a_publish_loses_that_purchase(run) -> None:
    records = [r for r in run.trace if not (r.get("purchase_id") == 4 and r["type"] != "command")]
    records = [
        r for r in records if r["type"] not in ("commit", "confirm") or r["purchase_id"] != 4
    ]
    run.store.execute("DELETE FROM purchases WHERE purchase_id = 4")
    assert not broken(checked(run, records))  # neither stored nor published: nothing owed
    run.store.execute("INSERT INTO purchases VALUES (4, 'x', 100, 9.0)")
    assert broken(checked(run, records)) == {"no_lost_events"}


# -- confirmed_at_commit ---------------------------------------------------------------------


def test_a_store_that_recorded_another_commit_time_breaks_confirmed_at_commit(run) -> None:
    run.store.execute(
        "UPDATE purchases SET committed_at = committed_at - 0.5 WHERE purchase_id = 1"
    )
    assert broken(checked(run, run.trace)) == {"confirmed_at_commit"}


def test_a_confirmation_later_than_the_commit_breaks_it_too(run) -> None:
    records = copy.deepcopy(run.trace)
    confirm = records.pop(first(records, "confirm", purchase_id=1))
    confirm["t"] = records[first(records, "handle", purchase_id=1, consumer="recommendations")]["t"]
    records.insert(first(records, "handle", purchase_id=1, consumer="recommendations") + 1, confirm)
    assert broken(checked(run, records)) == {"confirmed_at_commit"}


def test_sync_chain_confirms_later_than_the_store_says_it_committed() -> None:
    with run_scenario("sync-chain", purchases=8, faults=Faults()) as run:
        confirms = {r["purchase_id"]: r["t"] for r in run.trace if r["type"] == "confirm"}
        stored = dict(run.store.purchases())
        assert set(confirms) == set(stored)
        for pid, committed_at in stored.items():  # the data says the learner waited past it
            assert confirms[pid] > committed_at
        assert run.summary.invariants["confirmed_at_commit"] is False


# -- no_effect_applied_twice (per consumer) and idempotent_consumers_once ----------------------

IDEMPOTENT = {spec.name for spec in CONSUMERS if spec.idempotent}


@pytest.mark.parametrize("consumer", CONSUMER_NAMES)
def test_a_repeated_handle_record_breaks_that_consumers_effect_once(run, consumer: str) -> None:
    records = copy.deepcopy(run.trace)
    at = first(records, "handle", consumer=consumer, purchase_id=2)
    records.insert(at + 1, dict(records[at]))
    expected = {effect_once(consumer)}
    if consumer in IDEMPOTENT:
        expected.add("idempotent_consumers_once")
    assert broken(checked(run, records)) == expected


@pytest.mark.parametrize("consumer", CONSUMER_NAMES)
def test_a_consumer_store_holding_an_effect_twice_breaks_it_too(run, consumer: str) -> None:
    run.consumer_stores[consumer].effects[3] = 2
    expected = {effect_once(consumer)}
    if consumer in IDEMPOTENT:
        expected.add("idempotent_consumers_once")
    assert broken(checked(run, run.trace)) == expected


# -- every_event_handled and lags_drained ----------------------------------------------------


def test_a_missing_handling_breaks_every_event_handled_and_the_drain(run) -> None:
    records = list(run.trace)
    del records[first(records, "handle", consumer="recommendations", purchase_id=2)]
    assert broken(checked(run, records)) == {"every_event_handled", "lags_drained"}


def test_a_lost_last_offset_commit_leaves_a_lag_undrained(run) -> None:
    records = list(run.trace)
    last = max(i for i, r in enumerate(records) if r["type"] == "offset_commit")
    del records[last]
    assert broken(checked(run, records)) == {"lags_drained"}


def test_end_checks_are_open_while_a_run_is_going() -> None:
    sim = Simulation("happy", seed=7, purchases=6)
    for _ in range(40):
        sim.step()
    summary = sim.summary()
    assert not summary.complete
    assert summary.invariants["every_event_handled"] is None
    assert summary.invariants["lags_drained"] is None
    sim.close()


def test_a_design_without_events_reads_its_event_invariants_as_not_applicable() -> None:
    with run_scenario("sync-chain", purchases=4) as run:
        for name in ("publish_only_after_commit", "no_ghost_events", "no_lost_events"):
            assert run.summary.invariants[name] is None
        assert run.summary.invariants[effect_once("email")] is True


# -- time_never_goes_back --------------------------------------------------------------------


def test_two_records_out_of_order_break_the_time_check(run) -> None:
    records = list(run.trace)
    records[3], records[20] = records[20], records[3]
    assert records[3]["t"] > records[4]["t"] or records[20]["t"] < records[19]["t"]
    assert "time_never_goes_back" in broken(checked(run, records))


# -- a trace read back from JSON Lines gives the same read-out --------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_read_out_of_a_replayed_trace_equals_the_live_one(name: str) -> None:
    buffer = io.StringIO()
    sim = Simulation(name, seed=11, purchases=12)
    sim.add_listener(TraceWriter(buffer))
    live = sim.run()
    ledger = Ledger.from_records(CONSUMER_NAMES, read_trace(buffer.getvalue().splitlines()))
    scenario = SCENARIOS[name]
    findings = find(ledger, sim.store, sim.consumer_stores, has_events=scenario.has_events)
    replayed = summarize(
        scenario, ledger, findings, seed=11, planned=12, virtual_seconds=sim.now, complete=True
    )
    assert replayed.to_dict() == live.to_dict()
    sim.close()
