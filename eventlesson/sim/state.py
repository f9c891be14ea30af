"""What the simulation hands out: a live snapshot, a summary, and a report of what happened.

Core module: standard library only (no rich, questionary or typer, no SimPy). Plain frozen
dataclasses, so a view can read them, a test can build them by hand, and `--json` can print them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

StepState = str  # "done", "failed", "waiting", "pending", "skipped"


@dataclass(frozen=True)
class StepView:
    """One step of a purchase: command, commit, publish, consumers or confirm."""

    name: str
    state: StepState
    detail: str  # "P7", "in outbox", "3/5", "lost", "offset 4"
    at: float | None = None  # virtual time it happened


@dataclass(frozen=True)
class ConsumerView:
    """One consumer at this instant."""

    name: str
    status: str  # "idle", "busy", "crashed", "retrying", "down", "waiting"
    handled: int
    skipped: int  # duplicates recognised by event id
    duplicates: int  # side effects performed twice
    dead_letters: int
    lag_events: int  # log end minus committed offset (calls queued, in the synchronous chain)
    lag_seconds: float  # age of the oldest event not yet handled, at the displayed time
    idempotent: bool
    offset: int | None = None  # committed offset; None without a log


@dataclass(frozen=True)
class Snapshot:
    """Everything the live view shows, read from the run at one instant."""

    scenario: str
    mode: str
    clock: float  # virtual seconds, as displayed
    purchases: int  # learners who asked so far (as in Summary)
    planned: int  # learners the run will bring
    committed: int
    commit_failed: int
    published: int
    purchase_id: int | None  # the purchase being followed
    steps: tuple[StepView, ...]
    consumers: tuple[ConsumerView, ...]
    ghost_events: int
    lost_events: int
    duplicate_effects: int
    dead_letters: int
    outbox_backlog: int | None  # None: this design has no outbox
    broker_up: bool
    service_status: str
    peak_lag_seconds: float  # the largest lag seen so far: the bars' full scale
    what: str  # what just happened, in plain words
    last_type: str | None
    done: bool
    log_end: int | None = None  # the broker log's end offset; None without a log
    repeats: int = 0  # publishes that repeated an event already out
    learner: str = ""  # what the followed purchase's learner has been told, and when


@dataclass(frozen=True)
class ConsumerSummary:
    handled: int
    duplicates_skipped: int
    duplicates: int
    crashes: int
    dead_letters: int
    lag_events_max: int
    lag_seconds_p50: float
    lag_seconds_p95: float
    lag_seconds_max: float
    idempotent: bool = False
    capacity_per_second: float = 0.0  # events a second it can handle, on average
    redeliveries: int = 0
    blocked_seconds: float = 0.0  # events behind a failing one waited this long in all


def _rounded(value: Any) -> Any:
    """Six decimals: a microsecond of virtual time; keeps JSON short and stable."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


@dataclass(frozen=True)
class Summary:
    """The outcome of a run (or of the part that ran before it was stopped)."""

    scenario: str
    seed: int
    purchases: int  # learners who asked (the JSON key the issue names)
    planned: int  # learners the run was to bring; more than `purchases` after Ctrl-C
    committed: int
    commit_failed: int
    published: int  # log appends, repeats included
    ghost_events: int  # published, never committed
    ghost_effects: int  # side effects performed for those
    lost_events: int  # committed, never published
    duplicate_effects: int  # side effects performed again for the same purchase
    dead_letters: int
    confirm_latency: dict[str, float]  # p50, p95, max seconds from command to confirmation
    consumers: dict[str, ConsumerSummary]
    invariants: dict[str, bool | None]  # None: not applicable here, or not decided (stopped)
    expected_broken: tuple[str, ...]  # invariants the scenario exists to break
    virtual_seconds: float
    complete: bool
    takeaway: str
    compared_with: dict[str, Any] | None = None  # sync-chain: the event design's confirmation
    published_repeats: int = 0  # of `published`, the repeats (the outbox relay's)
    told_failed: int = 0  # learners shown an error
    arrival_rate: float = 0.0  # learners a second, on average
    has_events: bool = True  # False: the synchronous chain
    pages: tuple[str, ...] = ()  # the lesson pages the takeaway names
    # `simulate --with FILE`: {"file", "functions" (what replaced the service's step, the relay
    # or a handler), "printed_lines", "printed" (the first lines their code printed)}
    with_file: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for optional in ("compared_with", "with_file"):
            if data[optional] is None:
                del data[optional]
        return _rounded(data)


@dataclass(frozen=True)
class ConsumerReport:
    """One consumer in a run report."""

    name: str
    idempotent: bool
    handled: int
    lag_seconds_p50: float
    lag_seconds_max: float
    lag_events_max: int
    capacity_per_second: float
    duplicates: int  # effects applied again
    duplicate_purchases: tuple[int, ...]  # which purchases (the first ones, if many)
    skipped: int  # repeats recognised by event id
    ghost_effects: int  # effects applied for purchases announced but never stored
    redeliveries: int
    crashes: int
    dead_lettered: tuple[int, ...]  # purchases it parked
    unhandled: tuple[int, ...]  # published purchases it neither handled nor parked
    overloaded: bool  # capacity below the arrival rate: its lag grows while purchases arrive


@dataclass(frozen=True)
class RunReport:
    """What happened in one run, as plain data: for a tutor comparing a prediction with it.

    Purchase id lists hold the first LISTED ids; the `*_count` fields say how many in all.
    """

    scenario: str
    seed: int
    purchases: int
    complete: bool
    has_events: bool
    committed: int
    commit_failed: int
    rolled_back: int  # transactions that died half-way and left nothing behind
    ghost_events: tuple[int, ...]  # purchases announced but never stored
    ghost_count: int
    ghost_effects: int  # effects consumers applied for those purchases
    lost_events: tuple[int, ...]  # purchases stored but never announced
    lost_count: int
    told_failed_but_committed: tuple[int, ...]  # paid, yet shown an error
    confirmation_p50: float
    confirmation_max: float
    slowest_consumer: str | None  # by median lag
    consumers: dict[str, ConsumerReport]
    published: int
    relay_repeats: int
    redeliveries: int
    dead_letters: tuple[tuple[str, str, int], ...]  # consumer, event id, purchase id
    arrival_rate: float
    invariants: dict[str, bool | None]
    broken: tuple[str, ...]
    expected_broken: tuple[str, ...]
    learner_waited_for_consumers: bool  # confirmation came only after the consumers (sync)

    def to_dict(self) -> dict[str, Any]:
        return _rounded(asdict(self))
