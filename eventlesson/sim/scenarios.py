"""The simulation's catalogue: consumers, fault plans and the nine scenarios, as plain data.

Core module: standard library only (no rich, questionary or typer, no SimPy). Each scenario says
in one line what it shows and ends with a takeaway naming the lesson concept or troubleshooting
item it illustrates (day 089, "Event-Driven Fundamentals").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["event", "sync", "publish-first", "outbox"]

TIME_SCALE = 0.1  # consumer means are scaled like the benchmark reference's
COMMIT_SECONDS = 0.02  # one purchase transaction, as in the reference
ARRIVAL_RATE = 1.0  # learners per virtual second, as in the reference
SERVICE_RESTART_SECONDS = 0.5
RELAY_RESTART_SECONDS = 0.5
CONSUMER_RESTART_SECONDS = 1.0
RELAY_PUBLISH_SECONDS = 0.005
BROKER_RETRY_SECONDS = 0.5
RETRY_BACKOFF_SECONDS = 0.3  # poison retries wait delivery x this
MAX_DELIVERIES = 3  # then the event goes to the dead-letter queue
DEDUPE_RETENTION_SECONDS = 3600.0  # processed-events rows older than this are pruned (like a TTL)


@dataclass(frozen=True)
class ConsumerSpec:
    """One downstream consumer group of `purchase.completed`."""

    name: str
    mean: float  # mean processing time before TIME_SCALE, the reference's numbers
    idempotent: bool  # dedupes by event id in the processed-events table
    effect: str  # what handling does, in words: "granted course access"


CONSUMERS: tuple[ConsumerSpec, ...] = (
    ConsumerSpec("enrollment", 0.05, True, "granted course access"),
    ConsumerSpec("email", 0.5, False, "mailed the receipt"),
    ConsumerSpec("analytics", 2.0, False, "counted the sale"),
    ConsumerSpec("recommendations", 5.0, False, "refreshed recommendations"),
    ConsumerSpec("affiliate", 1.0, True, "credited the affiliate"),
)
CONSUMER_NAMES: tuple[str, ...] = tuple(spec.name for spec in CONSUMERS)

COURSES: tuple[tuple[str, int], ...] = (  # (course, amount in cents)
    ("event-driven-fundamentals", 4900),
    ("kafka-in-practice", 7900),
    ("designing-data-systems", 9900),
    ("sagas-and-outboxes", 5900),
)


@dataclass(frozen=True)
class Faults:
    """What goes wrong, and when. Explicit sets make a fault certain; rates add random ones.

    Purchase ids count from 1. Broker outages only stop the outbox relay: the direct-publish
    designs have no retry path, which is exactly what the other scenarios are about.
    """

    fail_commits: frozenset[int] = frozenset()  # purchases whose transaction rolls back
    commit_fail_rate: float = 0.0
    service_crashes: frozenset[int] = frozenset()  # crash after the commit, before publishing
    service_crash_rate: float = 0.0
    relay_crashes: frozenset[int] = frozenset()  # crash after publishing, before marking the row
    relay_crash_rate: float = 0.0
    consumer_crashes: frozenset[tuple[str, int]] = frozenset()  # (consumer, purchase) pairs
    consumer_crash_rate: float = 0.0
    crashing_consumers: tuple[str, ...] = ()  # who the rate applies to
    broker_outages: tuple[tuple[float, float], ...] = ()  # (start, duration) virtual seconds
    poison: frozenset[tuple[str, int]] = frozenset()  # (consumer, purchase) that always fails


def _none(_purchases: int) -> Faults:
    return Faults()


@dataclass(frozen=True)
class Scenario:
    """A named run of the model: its design, defaults, faults and lesson."""

    name: str
    summary: str  # one line for `--list`
    takeaway: str  # names the lesson concept or troubleshooting item
    mode: Mode
    purchases: int = 15  # default count: a live run of about 20-40 s at speed 1
    arrival_rate: float = ARRIVAL_RATE
    means: dict[str, float] = field(default_factory=dict)  # consumer mean overrides
    faults: Callable[[int], Faults] = _none  # the default faults for a purchase count
    expected_broken: frozenset[str] = frozenset()  # invariants this scenario exists to break

    @property
    def steps(self) -> tuple[str, ...]:
        """The current purchase's sequence, in this design's order."""
        if self.mode == "publish-first":
            return ("command", "publish", "commit", "consumers")
        if self.mode == "sync":
            return ("command", "commit", "consumers", "confirm")
        return ("command", "commit", "publish", "consumers")


def _first(n: int, k: int) -> int:
    """The k-th purchase, or the last one in a shorter run: the fault always shows."""
    return min(k, n)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "happy",
            "Commit, then publish; five consumers at their own speeds, lags rise and drain.",
            "Concept 2 - events decouple consequences, not the original truth: the learner is "
            "confirmed at commit while enrollment, email, analytics, recommendations and "
            "affiliate catch up on their own.",
            "event",
            # slower than the reference's means so that lag is visible live, yet still below one
            # purchase a second: queues rise and drain instead of growing without bound
            means={"analytics": 4.0, "recommendations": 9.0},
        ),
        Scenario(
            "sync-chain",
            "The 'before' design: the service calls every consumer inline and the learner waits.",
            "Why This Matters (before/after) and Concept 2 - only the purchase belongs on the "
            "critical path; calling every consequence inline makes the learner wait for the "
            "slowest of them.",
            "sync",
            expected_broken=frozenset({"confirmed_at_commit"}),
        ),
        Scenario(
            "publish-before-commit",
            "Publishes first, then some commits fail: ghost events for purchases never stored.",
            "Troubleshooting - publishing an event before the authoritative state change is "
            "committed: an event must announce a fact that is already true, not a hope.",
            "publish-first",
            faults=lambda n: Faults(fail_commits=frozenset({_first(n, 2)}), commit_fail_rate=0.15),
            expected_broken=frozenset({"publish_only_after_commit", "no_ghost_events"}),
        ),
        Scenario(
            "crash-after-commit",
            "Commits, then crashes before publishing: lost events nobody hears of.",
            "Concept 2 - first the change becomes true, then the event announces it: a crash "
            "in between leaves a committed purchase nobody hears of; the outbox closes the gap.",
            "event",
            faults=lambda n: Faults(
                service_crashes=frozenset({_first(n, 3)}), service_crash_rate=0.1
            ),
            expected_broken=frozenset({"no_lost_events"}),
        ),
        Scenario(
            "outbox",
            "Purchase and outbox row in one transaction, a relay publishes: duplicates, no loss.",
            "Concept 2 and Troubleshooting (publish only after commit) - the transactional "
            "outbox publishes exactly the facts that committed; a relay crash can repeat one, "
            "so consumers must be idempotent.",
            "outbox",
            faults=lambda n: Faults(
                fail_commits=frozenset({_first(n, 4)}),
                commit_fail_rate=0.05,
                service_crashes=frozenset({_first(n, 3)}),
                service_crash_rate=0.1,
                relay_crashes=frozenset({_first(n, 2)}),
                relay_crash_rate=0.05,
            ),
        ),
        Scenario(
            "consumer-crash",
            "A consumer crashes after its side effect, before committing its offset.",
            "Concept 3 - each consumer owns only its local reaction: delivery is at-least-once, "
            "so email sends twice while enrollment, idempotent by event id, stays once.",
            "event",
            faults=lambda n: Faults(
                consumer_crashes=frozenset({("email", _first(n, 2)), ("enrollment", _first(n, 2))}),
                consumer_crash_rate=0.05,
                crashing_consumers=("email", "enrollment"),
            ),
        ),
        Scenario(
            "slow-consumer",
            "Purchases arrive faster than analytics can handle: its lag grows, checkout stays fast.",
            "Concept 3 - analytics can lag: a slow consumer's lag grows while the learner is "
            "still confirmed at commit; lag is a number to watch, not an outage.",
            "event",
            means={"analytics": 20.0},  # 2 s per event against one purchase a second
        ),
        Scenario(
            "broker-outage",
            "The broker is down for a while: the outbox keeps commits flowing, then lag spikes.",
            "Concept 3 - downstream effects may catch up: with the outbox, purchases keep "
            "committing through a broker outage and the backlog drains afterwards.",
            "outbox",
            purchases=20,
            faults=lambda n: Faults(
                broker_outages=((0.25 * n / ARRIVAL_RATE, 0.35 * n / ARRIVAL_RATE),)
            ),
        ),
        Scenario(
            "poison-event",
            "One event always fails in analytics: retries, then the dead-letter queue.",
            "Concept 3 - each consumer owns its local reaction: one bad event is retried, then "
            "parked in a dead-letter queue, and every other event keeps flowing.",
            "event",
            faults=lambda n: Faults(poison=frozenset({("analytics", _first(n, 3))})),
        ),
    )
}

# The designs that publish only what has committed: every scenario that does not exist to break
# that rule. The one definition of "safe" the tests and the docs use.
SAFE_SCENARIOS: tuple[str, ...] = tuple(
    name
    for name, s in SCENARIOS.items()
    if not s.expected_broken & {"publish_only_after_commit", "no_ghost_events"}
)
