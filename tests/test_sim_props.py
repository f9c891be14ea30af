"""Properties of the model over seeds and fault schedules (hypothesis, small runs, no timing)."""

from __future__ import annotations

import io
import json
from collections import Counter
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlesson.sim import (
    CONSUMER_NAMES,
    SAFE_SCENARIOS,
    SCENARIOS,
    Faults,
    Simulation,
    TraceWriter,
)

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IDEMPOTENT = ("enrollment", "affiliate")


@st.composite
def fault_plans(draw: st.DrawFn, purchases: int) -> Faults:
    ids = st.integers(min_value=1, max_value=purchases)
    pairs = st.tuples(st.sampled_from(CONSUMER_NAMES), ids)
    outages = st.tuples(
        st.floats(min_value=0.0, max_value=15.0, allow_nan=False),
        st.floats(min_value=0.1, max_value=8.0, allow_nan=False),
    )
    return Faults(
        fail_commits=frozenset(draw(st.sets(ids, max_size=3))),
        service_crashes=frozenset(draw(st.sets(ids, max_size=3))),
        mid_transaction_crashes=frozenset(draw(st.sets(ids, max_size=2))),
        relay_crashes=frozenset(draw(st.sets(ids, max_size=3))),
        relay_crash_rate=draw(st.sampled_from([0.0, 0.3])),
        consumer_crashes=frozenset(draw(st.sets(pairs, max_size=4))),
        consumer_crash_rate=draw(st.sampled_from([0.0, 0.2])),
        crashing_consumers=tuple(draw(st.sets(st.sampled_from(CONSUMER_NAMES), max_size=3))),
        broker_outages=tuple(draw(st.lists(outages, max_size=2))),
        poison=frozenset(draw(st.sets(pairs, max_size=2))),
    )


@st.composite
def runs(draw: st.DrawFn, scenarios: list[str]) -> tuple[str, int, int, Faults]:
    scenario = draw(st.sampled_from(scenarios))
    purchases = draw(st.integers(min_value=1, max_value=10))
    seed = draw(st.integers(min_value=0, max_value=10_000))
    return scenario, seed, purchases, draw(fault_plans(purchases))


def play(scenario: str, seed: int, purchases: int, faults: Faults):
    buffer = io.StringIO()
    sim = Simulation(scenario, seed=seed, purchases=purchases, faults=faults)
    sim.add_listener(TraceWriter(buffer))
    summary = sim.run()
    sim.close()
    return summary, [json.loads(line) for line in buffer.getvalue().splitlines()]


@SETTINGS
@given(runs(list(SAFE_SCENARIOS)))
def test_safe_designs_publish_only_committed_purchases_after_their_commit(run) -> None:
    summary, records = play(*run)
    committed: set[int] = set()
    failed: set[int] = set()
    for r in records:
        if r["type"] == "commit":
            committed.add(r["purchase_id"])
        elif r["type"] == "commit_failed":
            failed.add(r["purchase_id"])
        elif r["type"] == "publish":
            assert r["purchase_id"] in committed  # committed, and before this publish
    assert not failed & {r["purchase_id"] for r in records if r["type"] == "publish"}
    assert summary.invariants["publish_only_after_commit"] is not False  # None: no events
    assert summary.ghost_events == 0


@SETTINGS
@given(runs(["outbox", "broker-outage"]))
def test_outbox_loses_no_committed_purchase_once_faults_heal(run) -> None:
    summary, records = play(*run)
    committed = {r["purchase_id"] for r in records if r["type"] == "commit"}
    published = {r["purchase_id"] for r in records if r["type"] == "publish"}
    assert committed == published
    assert summary.lost_events == 0
    assert summary.invariants["no_lost_events"] and summary.invariants["no_ghost_events"]


@SETTINGS
@given(runs(list(SCENARIOS)))
def test_idempotent_consumers_apply_each_purchase_exactly_once(run) -> None:
    summary, records = play(*run)
    announced = {r["purchase_id"] for r in records if r["type"] == "publish"}
    if run[0] == "sync-chain":
        announced = {r["purchase_id"] for r in records if r["type"] == "commit"}
    effects = Counter((r["consumer"], r["purchase_id"]) for r in records if r["type"] == "handle")
    dead = {(r["consumer"], r["purchase_id"]) for r in records if r["type"] == "dead_letter"}
    for consumer in IDEMPOTENT:
        for pid in announced:
            expected = 0 if (consumer, pid) in dead else 1
            assert effects[(consumer, pid)] == expected, (consumer, pid)
    assert summary.invariants["idempotent_consumers_once"]


@SETTINGS
@given(runs(list(SCENARIOS)))
def test_lags_drain_to_zero_and_virtual_time_never_goes_back(run) -> None:
    summary, records = play(*run)
    times = [r["t"] for r in records]
    assert all(a <= b for a, b in pairwise(times))
    assert summary.invariants["time_never_goes_back"]
    expected = True if SCENARIOS[run[0]].has_events else None
    assert summary.invariants["lags_drained"] is expected
    assert summary.invariants["every_event_handled"] is expected
    assert summary.complete


@SETTINGS
@given(runs(list(SCENARIOS)))
def test_effect_once_breaks_exactly_for_the_consumers_the_trace_shows_applying_twice(run) -> None:
    summary, records = play(*run)
    effects = Counter((r["consumer"], r["purchase_id"]) for r in records if r["type"] == "handle")
    twice = {consumer for (consumer, _pid), n in effects.items() if n > 1}
    for consumer in CONSUMER_NAMES:
        assert summary.invariants[f"no_effect_applied_twice.{consumer}"] is (consumer not in twice)
    assert not twice & set(IDEMPOTENT)


@SETTINGS
@given(runs([n for n, s in SCENARIOS.items() if s.mode != "sync"]))
def test_learners_are_confirmed_exactly_when_the_store_says_they_committed(run) -> None:
    scenario, seed, purchases, faults = run
    buffer = io.StringIO()
    sim = Simulation(scenario, seed=seed, purchases=purchases, faults=faults)
    sim.add_listener(TraceWriter(buffer))
    summary = sim.run()
    records = [json.loads(line) for line in buffer.getvalue().splitlines()]
    confirms = {r["purchase_id"]: r for r in records if r["type"] == "confirm"}
    commands = {r["purchase_id"]: r["t"] for r in records if r["type"] == "command"}
    assert len(commands) == purchases  # every learner arrived, crashes or not
    for pid, confirm in confirms.items():
        stored = sim.store.committed_at(pid)
        assert stored is not None and confirm["t"] == round(stored, 6)
        assert (
            confirm["t"]
            < next(  # told before the event went out (or it never did)
                (r["t"] for r in records if r["type"] == "publish" and r["purchase_id"] == pid),
                float("inf"),
            )
            or SCENARIOS[scenario].mode == "publish-first"
        )
        assert confirm["latency"] >= 0.02 - 1e-9  # at least the transaction, maybe a queue
    assert set(confirms) == {pid for pid in commands if sim.store.has_purchase(pid)}
    assert summary.invariants["confirmed_at_commit"]
    sim.close()
