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
from typing import TYPE_CHECKING, Any, Literal

from eventlesson.text import counted

if TYPE_CHECKING:
    from eventlesson.sim.simulation import Simulation
    from eventlesson.sim.state import ConsumerReport, RunReport


@dataclass(frozen=True)
class Measured:
    """What one run showed: the simulation's read-out, and for a design without events the
    confirmation the same learners would have had in the event design."""

    report: RunReport
    event_design: Mapping[str, Any] | None = None  # Simulation.compare_with_event_design()

    @classmethod
    def of(cls, sim: Simulation) -> Measured:
        """What a finished run measured; a design without events is also set against the same
        learners' arrivals with events."""
        report = sim.report()
        return cls(report, None if report.has_events else sim.compare_with_event_design())

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
    evidence: Callable[[Measured], list[str]]  # statements of fact from the run, true or not


def _ids(purchases: Sequence[int], count: int) -> str:
    shown = ", ".join(f"P{p}" for p in purchases[:5])
    more = count - min(len(purchases), 5)
    return shown + (f" and {more} more" if more > 0 else "")


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _number(n: int) -> str:
    """A small count as a word ("five"), a larger one as digits."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _names(names: Sequence[str]) -> str:
    """'email', 'email and analytics', 'enrollment, recommendations and affiliate'."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


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
# A list of statements: each states one thing with its own numbers, so it reads on its own (the
# lesson shows each as a bullet).

Statements = list[str]


def _waiting(m: Measured) -> Statements:
    r = m.report
    if r.learner_waited_for_consumers:
        said = [
            f"Learners waited {_ms(r.confirmation_p50)} (median), up to "
            f"{_ms(r.confirmation_max)}: each was told only after all "
            f"{_number(len(r.consumers))} services had answered."
        ]
        event = m.event_confirmation
        if event is not None:
            said.append(f"With events, the same learners would have been told in {_ms(event)}.")
        return said
    said = [
        f"Learners were told at the commit, {_ms(r.confirmation_p50)} after pressing Buy (median)."
    ]
    slowest = _slowest(m)
    if slowest is not None:
        said.append(
            f"The consumers caught up afterwards: the slowest, {slowest.name}, reacted "
            f"{_ms(slowest.lag_seconds_p50)} after the commit (median)."
        )
    return said


def _lagging(m: Measured) -> Statements:
    busy = _overloaded(m)
    r = m.report
    told = f"{_ms(r.confirmation_p50)} (median), up to {_ms(r.confirmation_max)}"
    if busy is None:
        return ["Every consumer kept up with the purchases.", f"Learners were told in {told}."]
    return [
        f"{_sentence(busy.name)} handles {busy.capacity_per_second:.1f} purchases a second, "
        f"but {r.arrival_rate:.1f} arrived each second: its backlog grew to "
        f"{counted(busy.lag_events_max, 'event')}, up to {_ms(busy.lag_seconds_max)} behind.",
        f"Learners were still told at the commit, in {told}.",
    ]


def _failures(m: Measured) -> Statements:
    r = m.report
    if r.commit_failed:
        return [f"{r.commit_failed} of {counted(r.purchases, 'purchase')} failed to commit."]
    return [f"All {counted(r.committed, 'purchase')} committed: none failed."]


def _ghosts(m: Measured) -> Statements:
    r = m.report
    if not r.ghost_count:
        return ["No ghost events: every purchase announced was in the store."]
    one = r.ghost_count == 1
    which = f"({'a ghost event' if one else 'ghost events'}: {_ids(r.ghost_events, r.ghost_count)})"
    if r.ghost_effects:
        return [
            f"The consumers acted {counted(r.ghost_effects, 'time')} on "
            f"{counted(r.ghost_count, 'purchase')} that {'was' if one else 'were'} never "
            f"stored {which}."
        ]
    return [
        f"{counted(r.ghost_count, 'purchase')} {'was' if one else 'were'} announced but never "
        f"stored {which}; no consumer had acted on {'it' if one else 'them'} yet."
    ]


def _losses(m: Measured) -> Statements:
    r = m.report
    if not r.lost_count:
        return ["No lost events: every committed purchase was announced."]
    one = r.lost_count == 1
    return [
        f"{counted(r.lost_count, 'purchase')} {'was' if one else 'were'} committed but never "
        f"announced ({'a lost event' if one else 'lost events'}: "
        f"{_ids(r.lost_events, r.lost_count)}): no consumer heard of {'it' if one else 'them'}."
    ]


def _grouped(said: dict[str, str]) -> Statements:
    """Consumers whose statement ends the same, named together: {name: tail} -> statements."""
    by_tail: dict[str, list[str]] = {}
    for name, tail in said.items():
        by_tail.setdefault(tail, []).append(name)
    return [
        _sentence(f"{_names(names)}{' each' if len(names) > 1 else ''} {tail}.")
        for tail, names in by_tail.items()
    ]


def _repeats(m: Measured) -> Statements:
    twice: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for c in m.report.consumers.values():
        if c.duplicates:
            twice[c.name] = (
                f"acted twice on {counted(c.duplicates, 'purchase')} "
                f"({_ids(c.duplicate_purchases, c.duplicates)})"
            )
        elif c.skipped:
            them = "it" if c.skipped == 1 else "them"
            skipped[c.name] = (
                f"recognised {counted(c.skipped, 'repeat')} by event id and skipped {them}"
            )
    said: Statements = []
    relay = m.report.relay_repeats
    if relay:
        said.append(f"The relay published {counted(relay, 'row')} a second time.")
    said += _grouped(twice) + _grouped(skipped)
    if not twice:
        said.append("No effect was applied twice.")
    return said


def _email_ghosts(m: Measured) -> Statements:
    r = m.report
    if not r.ghost_count:
        return _ghosts(m)
    acted = _count_of(m, "email", "ghost_effects")
    which = _ids(r.ghost_events, r.ghost_count)
    if acted:
        return [
            f"Email acted {counted(acted, 'time')} on purchases that were never stored "
            f"(ghost events: {which})."
        ]
    return [f"Email did not act on the purchases that were never stored (ghost events: {which})."]


def _republished(m: Measured) -> Statements:
    again = m.report.relay_repeats
    if again:
        return [f"{counted(again, 'event')} went out a second time."]
    return ["No event was published twice: each went out once."]


def _missed(m: Measured) -> Statements:
    said: Statements = []
    for c in m.report.consumers.values():
        if c.unhandled:
            said.append(
                f"{_sentence(c.name)} never handled {counted(len(c.unhandled), 'purchase')} "
                f"({_ids(c.unhandled, len(c.unhandled))})."
            )
        if c.dead_lettered:
            said.append(
                f"{_sentence(c.name)} parked {counted(len(c.dead_lettered), 'event')} "
                f"({_ids(c.dead_lettered, len(c.dead_lettered))})."
            )
    return said or ["Every consumer handled every purchase announced, in the end."]


def _outbox(m: Measured) -> Statements:
    r = m.report
    if r.ghost_count or r.lost_count:
        return _ghosts(m) + _losses(m) + _repeats(m)
    clean = (
        "No ghost or lost events: every purchase announced was stored, and every stored "
        "purchase was announced."
    )
    return [clean, *_repeats(m)]


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


def _count_of(
    m: Measured, name: str, count: Literal["ghost_effects", "duplicates", "skipped"]
) -> int:
    """One of the named consumer's counts in the run; 0 when the run has no such consumer."""
    consumer = m.report.consumers.get(name)
    return int(getattr(consumer, count)) if consumer is not None else 0


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
        Outcome(
            "consumer-misses-events",
            lambda m: any(c.unhandled or c.dead_lettered for c in m.report.consumers.values()),
            _missed,
        ),
        # ghosts and losses
        Outcome("ghost-events", lambda m: m.report.ghost_count > 0, _ghosts),
        Outcome("no-ghost-events", lambda m: m.report.ghost_count == 0, _ghosts),
        Outcome(
            "email-acts-on-ghosts",
            lambda m: _count_of(m, "email", "ghost_effects") > 0,
            _email_ghosts,
        ),
        Outcome(
            "email-ignores-ghosts",
            lambda m: m.report.ghost_count > 0 and _count_of(m, "email", "ghost_effects") == 0,
            _email_ghosts,
        ),
        Outcome("lost-events", lambda m: m.report.lost_count > 0, _losses),
        Outcome("no-lost-events", lambda m: m.report.lost_count == 0, _losses),
        # redelivery and idempotence
        Outcome(
            "email-twice-enrollment-once",
            lambda m: (
                _count_of(m, "email", "duplicates") > 0
                and _count_of(m, "enrollment", "duplicates") == 0
                and _count_of(m, "enrollment", "skipped") > 0
            ),
            _repeats,
        ),
        Outcome(
            "every-crashed-consumer-twice",
            lambda m: (
                _count_of(m, "email", "duplicates") > 0
                and _count_of(m, "enrollment", "duplicates") > 0
            ),
            _repeats,
        ),
        Outcome("email-twice", lambda m: _count_of(m, "email", "duplicates") > 0, _repeats),
        Outcome("email-once", lambda m: _count_of(m, "email", "duplicates") == 0, _repeats),
        Outcome("event-published-again", lambda m: m.report.relay_repeats > 0, _republished),
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
            _outbox,
        ),
    )
}


def holds(name: str, measured: Measured) -> bool:
    """Whether the named outcome holds in a run; KeyError for an unknown name."""
    return bool(OUTCOMES[name].holds(measured))


def statements(name: str, measured: Measured) -> list[str]:
    """What the run shows about the named outcome: one statement of fact each, with its numbers
    (a wrong claim's statements show that it did not hold)."""
    return OUTCOMES[name].evidence(measured)


def evidence(name: str, measured: Measured) -> str:
    """What the run shows about the named outcome, as one paragraph."""
    return " ".join(statements(name, measured))


# The outbox's read-out speaks about ghosts, losses and repeats at once.
_COVERS: dict[Callable[[Measured], list[str]], frozenset[str]] = {
    _outbox: frozenset({_ghosts.__name__, _losses.__name__, _repeats.__name__}),
}


def covers(name: str) -> frozenset[str]:
    """What the named outcome's evidence speaks about: two outcomes with the same (or one
    within the other's) say nothing new about a run when shown together."""
    said = OUTCOMES[name].evidence
    return _COVERS.get(said, frozenset({said.__name__}))
