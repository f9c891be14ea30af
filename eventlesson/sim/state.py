"""What the simulation exposes: a snapshot for a view, and a summary for people and JSON.

Core module: standard library only (no rich, questionary or typer, no SimPy). Plain frozen
dataclasses, so a view can read them and a test can build them by hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

StepState = str  # "done", "failed", "waiting", "pending", "skipped"


@dataclass(frozen=True)
class StepView:
    """One step of the current purchase: command, commit, publish, consumers or confirm."""

    name: str
    state: StepState
    detail: str  # "P7", "in outbox", "3/5", "lost"


@dataclass(frozen=True)
class ConsumerView:
    """One consumer at this instant."""

    name: str
    status: str  # "idle", "busy", "crashed", "retrying"
    handled: int
    skipped: int  # duplicates recognised by event id
    duplicates: int  # side effects performed twice
    dead_letters: int
    lag_events: int  # log end minus committed offset
    lag_seconds: float  # age of the oldest event not yet handled
    idempotent: bool


@dataclass(frozen=True)
class Snapshot:
    """Everything the live view shows, read from the model at one step."""

    scenario: str
    mode: str
    clock: float  # virtual seconds
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
    """The outcome of a run (or of the part that ran before Ctrl-C)."""

    scenario: str
    seed: int
    purchases: int  # learners who asked (the JSON key the issue names)
    planned: int  # learners the run was to bring; more than `purchases` after Ctrl-C
    committed: int
    commit_failed: int
    published: int  # log appends, duplicates included
    ghost_events: int  # published, never committed
    ghost_effects: int  # side effects performed for those
    lost_events: int  # committed, never published
    duplicate_effects: int  # side effects performed again for the same purchase
    dead_letters: int
    confirm_latency: dict[str, float]  # p50, p95, max seconds from command to confirmation
    consumers: dict[str, ConsumerSummary]
    invariants: dict[str, bool]
    expected_broken: tuple[str, ...]  # invariants the scenario exists to break
    virtual_seconds: float
    complete: bool
    takeaway: str
    compared_with: dict[str, Any] | None = None  # sync-chain: happy's confirmation latency

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["compared_with"] is None:
            del data["compared_with"]
        return _rounded(data)
