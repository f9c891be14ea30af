"""The invariants a run is checked against, as checks over what the run recorded.

Core module: standard library only (no rich, questionary or typer, no SimPy). Every check reads
recorded data - the timestamps records carry, the rows the store holds, the offsets each consumer
group committed - never a flag the model sets beside the thing it claims. So each check can fail,
and the tests feed every one of them data that breaks it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Iterator

NAMES: tuple[str, ...] = (
    "publish_only_after_commit",  # the store held the purchase whenever its event was published
    "no_ghost_events",  # no published event's purchase failed to commit
    "no_lost_events",  # every purchase the store holds was published
    "confirmed_at_commit",  # each confirmation happened at the committed_at the store holds
    "idempotent_consumers_once",  # idempotent consumers applied each purchase at most once
    "every_event_handled",  # every consumer handled or dead-lettered every announced purchase
    "lags_drained",  # offsets at the log end and nothing the store owes a consumer left
    "time_never_goes_back",  # recorded timestamps, in recorded order, never decrease
)


class TimeOrder:
    """`time_never_goes_back`, streamed: the timestamps seen, in the order seen, never decrease."""

    __slots__ = ("backwards", "last")

    def __init__(self) -> None:
        self.last = -math.inf
        self.backwards = 0  # how many times a timestamp was below the one before it

    def see(self, t: float) -> None:
        if t < self.last:
            self.backwards += 1
        self.last = t

    @property
    def ok(self) -> bool:
        return self.backwards == 0


def time_never_goes_back(times: Iterable[float]) -> bool:
    """The same check over a whole sequence (a trace's `t` values, for instance)."""
    order = TimeOrder()
    for t in times:
        order.see(t)
    return order.ok


def confirmed_at_commit(confirmed_at: float, committed_at: float | None) -> bool:
    """A learner confirmed exactly when the store says the purchase committed (not later)."""
    return committed_at is not None and confirmed_at == committed_at


def unhandled(effects: bytes | bytearray, dead: Collection[int]) -> Iterator[int]:
    """Purchase ids (from 1) a consumer neither applied (`effects[id] == 0`) nor dead-lettered.

    `find` scans the per-purchase byte counters in C: a million-purchase run with every purchase
    handled costs one pass, not a million Python steps.
    """
    pos = effects.find(0, 1)
    while pos != -1:
        if pos not in dead:
            yield pos
        pos = effects.find(0, pos + 1)


def lags_drained(
    log_end: int,
    groups: Iterable[tuple[int, bytes | bytearray, Collection[int]]],
    owed: Callable[[int], bool],
) -> bool:
    """Every consumer group is caught up, by its offsets and by the store.

    `groups` holds each group's committed offset, its per-purchase effect counters and the
    purchases it dead-lettered; `owed(purchase_id)` says whether the store holds the purchase and
    its event went out (so every consumer owes it a handling or a dead letter).
    """
    for offset, effects, dead in groups:
        if offset != log_end:
            return False
        if any(owed(pid) for pid in unhandled(effects, dead)):
            return False
    return True
