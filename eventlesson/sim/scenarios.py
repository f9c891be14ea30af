"""The simulation's catalogue: timings, consumers, courses and the scenarios, as plain data.

Core module: standard library only (no rich, questionary or typer, no SimPy). Each scenario says
in one line what it shows and ends with a takeaway that names, by title, the lesson page (or the
troubleshooting item) that teaches its point (day 089, "Event-Driven Fundamentals").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from eventlesson.sim.faults import Faults

Mode = Literal["event", "sync", "publish-first", "outbox"]

TIME_SCALE = 0.1  # consumer means are scaled like the benchmark reference's
COMMIT_SECONDS = 0.02  # one purchase transaction, as in the reference
PUBLISH_SECONDS = 0.3  # one publish: a window a person can see between commit and publish
ARRIVAL_RATE = 1.0  # learners per virtual second, as in the reference
SERVICE_RESTART_SECONDS = 0.5
RELAY_RESTART_SECONDS = 0.5
CONSUMER_RESTART_SECONDS = 1.0
BROKER_RETRY_SECONDS = 0.5  # a rejected publish is tried again this much later
PUBLISH_RETRIES = 3  # direct publish: tries again this many times, then gives up (event lost)
CALL_TIMEOUT_SECONDS = 1.0  # the synchronous chain: a call with no answer fails after this
RETRY_BACKOFF_SECONDS = 0.3  # poison retries wait delivery x this
MAX_DELIVERIES = 3  # then the event goes to the dead-letter queue
DEDUPE_RETENTION_SECONDS = 3600.0  # processed event ids are kept this long (like a TTL)
EVENT_TYPE = "purchase.completed"

# The lesson's titles, as the takeaways cite them (a test checks they exist in the lesson)
WHY = "Why this matters"
CONCEPT_2 = "Events decouple consequences, not the original truth"
CONCEPT_3 = "Clear ownership and explicit consistency expectations"
PUBLISH_FIRST = "Publishing an event before the authoritative change is committed"
BEYOND = "Beyond the core path"


@dataclass(frozen=True)
class ConsumerSpec:
    """One downstream consumer group of `purchase.completed`."""

    name: str
    mean: float  # mean processing time before TIME_SCALE, the reference's numbers
    idempotent: bool  # a repeated delivery leaves its effect as it was
    effect: str  # what handling does, in words: "granted course access"
    # how it is idempotent: False = it remembers processed event ids in its own store, with its
    # effect; True = by nature, its effect is a refresh recomputed from the learner's purchases,
    # so doing it again changes nothing and no ids need remembering
    refresh: bool = False


CONSUMERS: tuple[ConsumerSpec, ...] = (
    ConsumerSpec("enrollment", 0.05, True, "granted course access"),
    ConsumerSpec("email", 0.5, False, "mailed the receipt"),
    ConsumerSpec("analytics", 2.0, False, "counted the sale"),
    ConsumerSpec("recommendations", 5.0, True, "refreshed recommendations", refresh=True),
    ConsumerSpec("affiliate", 1.0, True, "credited the affiliate"),
)
CONSUMER_NAMES: tuple[str, ...] = tuple(spec.name for spec in CONSUMERS)

COURSES: tuple[tuple[str, int], ...] = (  # (course, amount in cents)
    ("event-driven-fundamentals", 4900),
    ("kafka-in-practice", 7900),
    ("designing-data-systems", 9900),
    ("sagas-and-outboxes", 5900),
)

# slower than the reference's means so that lag is visible live, yet each still handles more
# than one purchase a second: queues rise and drain instead of growing without bound
LIVELY_MEANS = {"analytics": 4.0, "recommendations": 9.0}


def _none(_purchases: int) -> Faults:
    return Faults()


@dataclass(frozen=True)
class Scenario:
    """A named run of the model: its design, defaults, faults and lesson."""

    name: str
    summary: str  # one line for `--list`
    takeaway: str  # names the lesson page that teaches the point, by its title
    pages: tuple[str, ...]  # those titles, as the lesson spells them
    mode: Mode
    purchases: int = 15  # default count: a live run of about 20-40 s at speed 1
    arrival_rate: float = ARRIVAL_RATE
    means: dict[str, float] = field(default_factory=dict)  # consumer mean overrides
    faults: Callable[[int], Faults] = _none  # the default faults for a purchase count
    expected_broken: frozenset[str] = frozenset()  # invariants this scenario exists to break
    publish_seconds: float = PUBLISH_SECONDS
    publish_retries: int = PUBLISH_RETRIES

    @property
    def steps(self) -> tuple[str, ...]:
        """The current purchase's sequence, in this design's order."""
        if self.mode == "publish-first":
            return ("command", "publish", "commit", "consumers")
        if self.mode == "sync":
            return ("command", "commit", "consumers", "confirm")
        return ("command", "commit", "publish", "consumers")

    @property
    def has_events(self) -> bool:
        """False for the synchronous chain: no event, no log, no offsets."""
        return self.mode != "sync"

    def mean(self, spec: ConsumerSpec) -> float:
        """Mean seconds one event takes this consumer (scaled)."""
        return self.means.get(spec.name, spec.mean) * TIME_SCALE

    def capacity(self, spec: ConsumerSpec) -> float:
        """Events a second this consumer can handle, on average."""
        return 1.0 / self.mean(spec)


def _first(n: int, k: int) -> int:
    """The k-th purchase, or the last one in a shorter run: the fault always shows."""
    return min(k, n)


def effect_once(consumer: str) -> str:
    """The name of the per-consumer invariant "no effect applied twice"."""
    return f"no_effect_applied_twice.{consumer}"


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "happy",
            "Commit, then publish; five consumers at their own speeds, lags rise and drain.",
            f'"{CONCEPT_2}": the learner is confirmed at the commit, before the publish; '
            "enrollment, email, analytics, recommendations and affiliate then catch up, each at "
            "its own pace, off the critical path.",
            (CONCEPT_2,),
            "event",
            means=LIVELY_MEANS,
        ),
        Scenario(
            "sync-chain",
            "The 'before' design: the service calls every consumer inline and the learner waits.",
            f'"{WHY}" and "{CONCEPT_2}": calling every consequence inline puts it on the '
            "critical path. The learner waits for the slowest service, requests queue behind "
            "one another, and one service that does not answer (email) turns a paid purchase "
            "into an error.",
            (WHY, CONCEPT_2),
            "sync",
            means=LIVELY_MEANS,  # the same services as happy: only the design differs
            faults=lambda n: Faults(
                consumer_outages=(("email", 0.3 * n / ARRIVAL_RATE, 0.25 * n / ARRIVAL_RATE),)
            ),
            expected_broken=frozenset({"confirmed_at_commit"}),
        ),
        Scenario(
            "publish-before-commit",
            "Publishes first, then some commits fail: ghost events for purchases never stored.",
            f'Troubleshooting, "{PUBLISH_FIRST}": consumers granted access and mailed receipts '
            "for purchases the store never recorded (ghost events). An event must announce a "
            "fact that is already true: publish only after the commit.",
            (PUBLISH_FIRST,),
            "publish-first",
            faults=lambda n: Faults(fail_commits=frozenset({_first(n, 2)}), commit_fail_rate=0.15),
            expected_broken=frozenset({"publish_only_after_commit", "no_ghost_events"}),
        ),
        Scenario(
            "crash-after-commit",
            "Commits, then crashes before the publish lands: lost events nobody hears of.",
            f'"{CONCEPT_2}": first the change becomes true, then the event announces it. A crash '
            "in between leaves a purchase that is paid and confirmed ('Purchase successful') "
            f'but never enrolled, because no consumer hears of it. "{BEYOND}" shows the fix: '
            "the outbox.",
            (CONCEPT_2, BEYOND),
            "event",
            faults=lambda n: Faults(
                service_crashes=frozenset({_first(n, 3)}), service_crash_rate=0.1
            ),
            expected_broken=frozenset({"no_lost_events"}),
        ),
        Scenario(
            "outbox",
            "Purchase and outbox row in one transaction, a relay publishes: duplicates, no loss.",
            f'"{BEYOND}": the purchase and its outbox row commit in one transaction, so nothing '
            "is lost or half-written. The relay delivers at least once, so a relay crash repeats "
            "an event: enrollment and affiliate skip it by event id, a second refresh changes "
            "nothing, but email and analytics apply it twice.",
            (BEYOND,),
            "outbox",
            faults=lambda n: Faults(
                fail_commits=frozenset({_first(n, 4)}),
                commit_fail_rate=0.05,
                service_crashes=frozenset({_first(n, 3)}),
                service_crash_rate=0.1,
                mid_transaction_crashes=frozenset({_first(n, 6)}),
                relay_crashes=frozenset({_first(n, 2)}),
                relay_crash_rate=0.05,
            ),
            expected_broken=frozenset({effect_once("email"), effect_once("analytics")}),
        ),
        Scenario(
            "consumer-crash",
            "A consumer crashes after its side effect, before committing its offset.",
            f'"{BEYOND}": delivery is at-least-once, and at-least-once plus a consumer that is '
            "not idempotent is a duplicate: email crashed after sending, before committing its "
            "offset, and sent the receipt again. Enrollment keeps processed event ids in its "
            "own store, in the same transaction as the access it grants, and skipped the repeat.",
            (BEYOND,),
            "event",
            faults=lambda n: Faults(
                consumer_crashes=frozenset({("email", _first(n, 2)), ("enrollment", _first(n, 2))}),
                consumer_crash_rate=0.05,
                crashing_consumers=("email", "enrollment"),
                # only a handler that writes in two transactions meets it (an exercise's)
                crashes_between_transactions=frozenset(
                    {("email", _first(n, 2)), ("enrollment", _first(n, 2))}
                ),
                between_transactions_rate=0.05,
            ),
            expected_broken=frozenset({effect_once("email")}),
        ),
        Scenario(
            "slow-consumer",
            "Analytics handles fewer purchases a second than arrive: its lag grows all run long.",
            f'"{CONCEPT_3}": analytics may lag, but a lag is a number to watch. Its capacity is '
            "below the arrival rate, so its backlog grows for as long as purchases arrive and "
            "drains only once they stop; the learner is still confirmed at the commit.",
            (CONCEPT_3,),
            "event",
            purchases=20,
            means={"analytics": 20.0},  # 2 s per event against one purchase a second
        ),
        Scenario(
            "broker-outage",
            "The broker is down for a while: the outbox keeps commits flowing, then lag spikes.",
            f'"{BEYOND}" and "{CONCEPT_3}": with the outbox, purchases keep committing while the '
            "broker is down; nothing is published or delivered until it returns, then the relay "
            "drains the outbox and the lag spike drains with it.",
            (BEYOND, CONCEPT_3),
            "outbox",
            purchases=20,
            faults=lambda n: Faults(
                broker_outages=((0.25 * n / ARRIVAL_RATE, 0.35 * n / ARRIVAL_RATE),)
            ),
        ),
        Scenario(
            "broker-outage-no-outbox",
            "The same outage without an outbox: publishes rejected after the commit are lost.",
            f'"{CONCEPT_2}" and "{BEYOND}": without an outbox a publish the broker rejects after '
            "the commit has nowhere to wait. The service retries while the next learners queue "
            "(a stalled purchase line), then gives up: paid, confirmed, never announced.",
            (CONCEPT_2, BEYOND),
            "event",
            purchases=20,
            faults=lambda n: Faults(
                broker_outages=((0.25 * n / ARRIVAL_RATE, 0.35 * n / ARRIVAL_RATE),)
            ),
            expected_broken=frozenset({"no_lost_events"}),
        ),
        Scenario(
            "poison-event",
            "One event always fails in analytics: the events behind it wait, then it is parked.",
            f'"{CONCEPT_3}": analytics owns its reaction. It retries the bad event while every '
            "event behind it waits (head-of-line), then parks it in the dead-letter queue so the "
            "rest flow. The parked event still needs someone to fix it and replay it, or that "
            "sale is never counted.",
            (CONCEPT_3,),
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
