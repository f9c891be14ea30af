"""Predictions against the simulation: the outcomes a run can show, each measured from its read-out.

A prediction's options each name an outcome (`PredictOption.outcome`): a claim about what a run of
the prediction's scenario will show, such as "ghost-events". Here each name has a test over the
simulation's own read-out (`RunReport`, plus the event design's confirmation times for a design
without events) and a sentence of evidence from that run. Nothing is measured here: the facts are
the read-out's. `content check` refuses a name that is not in `OUTCOMES`, and a test runs every
predicted scenario with several seeds to pin each authored answer to what the runs measure.

Core module: standard library only (no rich, questionary or typer; the simulation's types only
for type checking, so loading content never loads SimPy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventlesson.sim.state import ConsumerReport, RunReport


@dataclass(frozen=True)
class Measured:
    """What one run showed: the simulation's read-out, and for a design without events the
    confirmation the same learners would have had in the event design."""

    report: RunReport
    event_design: Mapping[str, Any] | None = None  # Simulation.compare_with_event_design()

    @property
    def event_confirmation(self) -> float | None:
        """The event design's median confirmation for the same learners, when compared."""
        if self.event_design is None:
            return None
        return float(self.event_design["confirm_latency"]["p50"])


@dataclass(frozen=True)
class Outcome:
    """A claim about a run: whether it holds, and what the run shows about it."""

    name: str
    holds: Callable[[Measured], bool]
    evidence: Callable[[Measured], str]  # one sentence of fact from the run, true or not


def _ids(purchases: Sequence[int], count: int) -> str:
    shown = ", ".join(f"P{p}" for p in purchases[:5])
    more = count - min(len(purchases), 5)
    return shown + (f" and {more} more" if more > 0 else "")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _confirmed_at_commit(m: Measured) -> bool:
    r = m.report
    return not r.learner_waited_for_consumers and r.invariants.get("confirmed_at_commit") is True


def _slowest(m: Measured) -> ConsumerReport | None:
    name = m.report.slowest_consumer
    return m.report.consumers.get(name) if name else None


def _overloaded(m: Measured) -> ConsumerReport | None:
    busy = [c for c in m.report.consumers.values() if c.overloaded]
    return max(busy, key=lambda c: c.lag_events_max, default=None)


# -- evidence: what a run shows about a topic, whichever way it went ---------------------------


def _waiting(m: Measured) -> str:
    r = m.report
    slowest = _slowest(m)
    lag = (
        f"; the slowest consumer, {slowest.name}, took {_ms(slowest.lag_seconds_p50)}"
        if slowest
        else ""
    )
    if r.learner_waited_for_consumers:
        event = m.event_confirmation
        then = (
            f"; the event design would have told the same learners in {_ms(event)}"
            if event is not None
            else ""
        )
        last = (
            f" (the slowest, {slowest.name}, took {_ms(slowest.lag_seconds_p50)} by median)"
            if slowest
            else ""
        )
        return (
            f"Learners were told only after every consumer had answered{last}: "
            f"{_ms(r.confirmation_p50)} (median), up to {_ms(r.confirmation_max)}{then}."
        )
    return (
        f"Learners were told at the commit: {_ms(r.confirmation_p50)} (median){lag} to react "
        "(median lag)."
    )


def _lagging(m: Measured) -> str:
    busy = _overloaded(m)
    r = m.report
    if busy is None:
        return f"No consumer fell behind for good; learners were confirmed in {_ms(r.confirmation_p50)} (median)."
    return (
        f"{busy.name} handles {busy.capacity_per_second:.1f} purchases a second while "
        f"{r.arrival_rate:.1f} arrive: its lag reached {busy.lag_events_max} events "
        f"({_ms(busy.lag_seconds_max)}), and learners were confirmed in "
        f"{_ms(r.confirmation_p50)} (median), up to {_ms(r.confirmation_max)}."
    )


def _failures(m: Measured) -> str:
    failed = m.report.commit_failed
    return (
        f"{_count(failed, 'purchase')} failed to commit." if failed else "Every purchase committed."
    )


def _ghosts(m: Measured) -> str:
    r = m.report
    if r.ghost_count:
        return (
            f"Ghost events: {_ids(r.ghost_events, r.ghost_count)} announced but never stored, "
            f"and consumers acted on {'it' if r.ghost_count == 1 else 'them'}."
        )
    return "No ghost events: every purchase announced was in the store."


def _losses(m: Measured) -> str:
    r = m.report
    if r.lost_count:
        return (
            f"Lost events: {_ids(r.lost_events, r.lost_count)} committed but never announced; "
            "no consumer heard of them."
        )
    return "No lost events: every committed purchase was announced."


def _repeats(m: Measured) -> str:
    said = []
    for c in m.report.consumers.values():
        if c.duplicates:
            said.append(
                f"{c.name} applied {_count(c.duplicates, 'effect')} twice "
                f"({_ids(c.duplicate_purchases, c.duplicates)})"
            )
        elif c.skipped:
            said.append(f"{c.name}, idempotent, skipped {_count(c.skipped, 'repeat')} by event id")
    relay = m.report.relay_repeats
    head = f"The relay published {_count(relay, 'row')} again. " if relay else ""
    if not said:
        return head + "No effect was applied twice."
    return head + "; ".join(said) + "."


def _both(
    first: Callable[[Measured], str], second: Callable[[Measured], str]
) -> Callable[[Measured], str]:
    return lambda m: f"{first(m)} {second(m)}"


def _lag_after_confirmation(m: Measured) -> bool:
    """Confirmed at the commit, while the slowest consumer reacts later than that."""
    slowest = _slowest(m)
    return (
        _confirmed_at_commit(m)
        and slowest is not None
        and slowest.lag_seconds_p50 > m.report.confirmation_p50
    )


def _lag_grows(m: Measured) -> bool:
    """A consumer slower than the arrivals builds a backlog, while learners are confirmed at once."""
    busy = _overloaded(m)
    return _confirmed_at_commit(m) and busy is not None and busy.lag_events_max > 1


def _duplicates(m: Measured, name: str) -> int:
    consumer = m.report.consumers.get(name)
    return consumer.duplicates if consumer is not None else 0


OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in (
        # who waits for what
        Outcome(
            "learner-waits-for-consumers",
            lambda m: (
                m.report.learner_waited_for_consumers
                and (
                    m.event_confirmation is None or m.report.confirmation_p50 > m.event_confirmation
                )
            ),
            _waiting,
        ),
        Outcome("learner-confirmed-at-commit", _confirmed_at_commit, _waiting),
        Outcome(
            "sync-confirms-sooner",
            lambda m: (
                m.event_confirmation is not None
                and m.report.confirmation_p50 < m.event_confirmation
            ),
            _waiting,
        ),
        Outcome("consumers-lag-behind-confirmation", _lag_after_confirmation, _waiting),
        # what may lag
        Outcome("slow-consumer-lag-grows", _lag_grows, _lagging),
        Outcome(
            "checkout-slows-to-slowest-consumer",
            lambda m: (
                m.report.confirmation_max
                >= 1 / min(c.capacity_per_second for c in m.report.consumers.values())
            ),
            _lagging,
        ),
        Outcome("purchases-fail", lambda m: m.report.commit_failed > 0, _failures),
        # ghosts and losses
        Outcome("ghost-events", lambda m: m.report.ghost_count > 0, _ghosts),
        Outcome("no-ghost-events", lambda m: m.report.ghost_count == 0, _ghosts),
        Outcome("lost-events", lambda m: m.report.lost_count > 0, _losses),
        Outcome("no-lost-events", lambda m: m.report.lost_count == 0, _losses),
        # redelivery and idempotence
        Outcome(
            "email-twice-enrollment-once",
            lambda m: (
                _duplicates(m, "email") > 0
                and _duplicates(m, "enrollment") == 0
                and m.report.consumers["enrollment"].skipped > 0
            ),
            _repeats,
        ),
        Outcome(
            "every-crashed-consumer-twice",
            lambda m: _duplicates(m, "email") > 0 and _duplicates(m, "enrollment") > 0,
            _repeats,
        ),
        Outcome(
            "no-effect-twice",
            lambda m: all(c.duplicates == 0 for c in m.report.consumers.values()),
            _repeats,
        ),
        Outcome(
            "outbox-duplicates-only",
            lambda m: (
                m.report.ghost_count == 0
                and m.report.lost_count == 0
                and any(c.duplicates for c in m.report.consumers.values())
            ),
            _both(_both(_ghosts, _losses), _repeats),
        ),
    )
}


def holds(name: str, measured: Measured) -> bool:
    """Whether the named outcome holds in a run; KeyError for an unknown name."""
    return bool(OUTCOMES[name].holds(measured))


def evidence(name: str, measured: Measured) -> str:
    """What the run shows about the named outcome, in one or two sentences."""
    return OUTCOMES[name].evidence(measured)
