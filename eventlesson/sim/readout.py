"""The read-out of a run: its summary, a report of what happened, and the comparison with events.

Core module: standard library only (no rich, questionary or typer, no SimPy). Everything here is
computed from a trace (a `Ledger`) and the stores, never from the engine, so the same functions
read a run on a real broker. Nothing here runs a simulation: the synchronous chain's comparison
with the event design is worked out from the trace's own arrival times.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventlesson.sim.invariants import LISTED, Findings, check, over_one
from eventlesson.sim.ledger import Ledger
from eventlesson.sim.scenarios import COMMIT_SECONDS, CONSUMERS, SCENARIOS, Scenario
from eventlesson.sim.state import ConsumerReport, ConsumerSummary, RunReport, Summary
from eventlesson.sim.stats import StreamingQuantiles
from eventlesson.sim.store import ConsumerStore

SPECS = {spec.name: spec for spec in CONSUMERS}


def summarize(
    scenario: Scenario,
    ledger: Ledger,
    findings: Findings,
    *,
    seed: int,
    planned: int,
    virtual_seconds: float,
    complete: bool,
) -> Summary:
    """The statistics and the invariants of a run (or of the part that ran)."""
    consumers = {
        name: ConsumerSummary(
            handled=ledger.handled[i],
            duplicates_skipped=ledger.skipped[i],
            duplicates=ledger.duplicates[i],
            crashes=ledger.crashes[i],
            dead_letters=len(ledger.dead[i]),
            lag_events_max=ledger.lag_events_max[i],
            lag_seconds_p50=ledger.lags[i].quantile(0.5),
            lag_seconds_p95=ledger.lags[i].quantile(0.95),
            lag_seconds_max=ledger.lags[i].max,
            idempotent=SPECS[name].idempotent,
            capacity_per_second=scenario.capacity(SPECS[name]),
            redeliveries=ledger.redeliveries[i],
            blocked_seconds=ledger.blocked[i],
        )
        for i, name in enumerate(ledger.consumers)
    }
    invariants = check(ledger, findings, has_events=scenario.has_events, complete=complete)
    confirm = ledger.confirm_latency
    return Summary(
        scenario=scenario.name,
        seed=seed,
        purchases=ledger.commands,
        planned=planned,
        committed=ledger.committed,
        commit_failed=ledger.commits_failed,
        published=ledger.published,
        ghost_events=findings.ghosts,
        ghost_effects=findings.ghost_effects,
        lost_events=findings.losts,
        duplicate_effects=sum(ledger.duplicates),
        dead_letters=len(ledger.dead_letters),
        confirm_latency={
            "p50": confirm.quantile(0.5),
            "p95": confirm.quantile(0.95),
            "max": confirm.max,
        },
        consumers=consumers,
        invariants=invariants,
        expected_broken=tuple(sorted(scenario.expected_broken)),
        virtual_seconds=virtual_seconds,
        complete=complete,
        takeaway=scenario.takeaway,
        published_repeats=ledger.repeats,
        told_failed=ledger.told_failed,
        arrival_rate=scenario.arrival_rate,
        has_events=scenario.has_events,
        pages=scenario.pages,
    )


def report(
    summary: Summary,
    ledger: Ledger,
    findings: Findings,
    consumer_stores: Mapping[str, ConsumerStore],
) -> RunReport:
    """What happened, as plain data: which purchases were ghosts or lost, who applied what twice,
    how the learner's confirmation compares with each consumer's lag, what was parked."""
    consumers: dict[str, ConsumerReport] = {}
    for i, name in enumerate(ledger.consumers):
        c = summary.consumers[name]
        consumers[name] = ConsumerReport(
            name=name,
            idempotent=c.idempotent,
            handled=c.handled,
            lag_seconds_p50=c.lag_seconds_p50,
            lag_seconds_max=c.lag_seconds_max,
            lag_events_max=c.lag_events_max,
            capacity_per_second=c.capacity_per_second,
            duplicates=max(c.duplicates, _store_repeats(consumer_stores.get(name))),
            duplicate_purchases=tuple(findings.duplicates.get(name, ())),
            skipped=c.duplicates_skipped,
            ghost_effects=findings.ghost_effects_by.get(name, 0),
            redeliveries=c.redeliveries,
            crashes=c.crashes,
            dead_lettered=tuple(sorted(ledger.dead[i]))[:LISTED],
            unhandled=tuple(findings.unhandled.get(name, ())),
            overloaded=c.capacity_per_second < summary.arrival_rate,
        )
    slowest = max(consumers.values(), key=lambda r: r.lag_seconds_p50, default=None)
    broken = tuple(name for name, ok in summary.invariants.items() if ok is False)
    return RunReport(
        scenario=summary.scenario,
        seed=summary.seed,
        purchases=summary.purchases,
        complete=summary.complete,
        has_events=summary.has_events,
        committed=summary.committed,
        commit_failed=summary.commit_failed,
        rolled_back=ledger.rolled_back,
        ghost_events=tuple(findings.ghost),
        ghost_count=findings.ghosts,
        ghost_effects=findings.ghost_effects,
        lost_events=tuple(findings.lost),
        lost_count=findings.losts,
        told_failed_but_committed=tuple(findings.misled),
        confirmation_p50=summary.confirm_latency["p50"],
        confirmation_max=summary.confirm_latency["max"],
        slowest_consumer=slowest.name if slowest is not None and slowest.handled else None,
        consumers=consumers,
        published=summary.published,
        relay_repeats=summary.published_repeats,
        redeliveries=sum(ledger.redeliveries),
        dead_letters=tuple(ledger.dead_letters[:LISTED]),
        arrival_rate=summary.arrival_rate,
        invariants=summary.invariants,
        broken=broken,
        expected_broken=summary.expected_broken,
        learner_waited_for_consumers=not summary.has_events,
    )


def _store_repeats(store: ConsumerStore | None) -> int:
    """Effects the consumer's own store holds beyond one per purchase."""
    if store is None:
        return 0
    effects = store.effects
    return sum(effects[pid] - 1 for pid in over_one(effects))


def compare_with_event_design(ledger: Ledger, design: str = "happy") -> dict[str, Any]:
    """What the same learners would have waited in the event design, worked out from the trace.

    In that design the learner is confirmed at the commit, and the service completes one
    purchase at a time (a commit, then a publish). So from the arrival times alone each learner's
    wait follows: start when both the learner and the service are ready, confirm one commit
    later. No second simulation: one pass over the arrivals this run recorded.
    """
    if not ledger.arrivals:
        raise ValueError("this ledger did not keep arrival times (Ledger(arrivals=True))")
    scenario = SCENARIOS[design]
    busy = COMMIT_SECONDS + scenario.publish_seconds  # one purchase's hold on the service
    latency = StreamingQuantiles()
    free = 0.0  # when the service can take the next learner
    asked = ledger.asked
    for pid in range(1, ledger.size):
        arrived = asked[pid]
        if arrived != arrived:  # NaN: no such learner came
            continue
        start = arrived if arrived > free else free
        free = start + busy
        latency.add(start + COMMIT_SECONDS - arrived)
    return {
        "scenario": design,
        "confirm_latency": {
            "p50": latency.quantile(0.5),
            "p95": latency.quantile(0.95),
            "max": latency.max,
        },
    }
