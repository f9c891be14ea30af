"""The invariants a run is checked against, computed from the trace (a `Ledger`) and the stores.

Core module: standard library only (no rich, questionary or typer, no SimPy). Nothing here reads
the engine: `find()` compares what the trace says (publishes, confirmations, handlings, offset
commits) with what the purchase service's database and each consumer's own store hold, and
`check()` turns those findings into the named invariants. So every check can fail, and the tests
feed each one a mutated trace or store that breaks it.

A value is True (holds), False (broken) or None: not applicable to the design (the synchronous
chain has no events) or not decidable yet (a run stopped before the end cannot be drained).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from eventlesson.sim.ledger import (
    CONFIRMED,
    FAILED,
    LOST,
    PUBLISHED,
    TOLD_FAILED,
    Ledger,
)
from eventlesson.sim.scenarios import CONSUMER_NAMES, CONSUMERS, effect_once
from eventlesson.sim.store import ConsumerStore, Store

LISTED = 50  # purchase ids kept per finding: enough to point at, bounded for huge runs

# about events: not applicable to a design that has none
EVENT_INVARIANTS: tuple[str, ...] = (
    "publish_only_after_commit",  # the store held the purchase whenever its event went out
    "no_ghost_events",  # no published event's purchase is missing from the store
    "no_lost_events",  # every purchase the store holds was published
    "every_event_handled",  # every consumer handled or dead-lettered every published purchase
    "lags_drained",  # every consumer's committed offset reached the log end, nothing owed
)
NEEDS_THE_END = ("every_event_handled", "lags_drained")  # undecided while a run is going
INTERNAL: tuple[str, ...] = (  # kept in --json, not shown to a learner
    "idempotent_consumers_once",  # the idempotent consumers' effect-once lines, in one
    "time_never_goes_back",  # trace times, in trace order, never decrease
)


def names(consumers: tuple[str, ...] = CONSUMER_NAMES) -> tuple[str, ...]:
    """Every invariant, in the order they are shown."""
    return (
        "publish_only_after_commit",
        "no_ghost_events",
        "no_lost_events",
        "confirmed_at_commit",  # each confirmation at the committed_at the store holds
        *(effect_once(c) for c in consumers),  # no consumer applied an effect twice
        "every_event_handled",
        "lags_drained",
        *INTERNAL,
    )


NAMES = names()


@dataclass
class Findings:
    """What a comparison of trace and stores found: counts, and the first purchase ids of each."""

    ghost: list[int] = field(default_factory=list)  # published, never in the store
    ghosts: int = 0
    ghost_effects: int = 0  # effects consumers applied for ghost purchases
    ghost_effects_by: dict[str, int] = field(default_factory=dict)  # consumer -> those effects
    lost: list[int] = field(default_factory=list)  # in the store, never published
    losts: int = 0
    early: list[int] = field(default_factory=list)  # published before the store had it
    earlies: int = 0
    late: list[int] = field(default_factory=list)  # confirmed not at the stored commit time
    lates: int = 0
    misled: list[int] = field(default_factory=list)  # committed, yet shown an error
    misleds: int = 0
    duplicates: dict[str, list[int]] = field(default_factory=dict)  # consumer -> purchases
    unhandled: dict[str, list[int]] = field(default_factory=dict)  # consumer -> purchases
    behind: dict[str, int] = field(default_factory=dict)  # consumer -> log end - offset


def _note(ids: list[int], pid: int) -> None:
    if len(ids) < LISTED:
        ids.append(pid)


def _stored(store: Store, size: int) -> tuple[array[float], int]:
    """committed_at per purchase id (NaN where the store has none), and the highest id seen."""
    stored = array("d", [math.nan]) * size
    top = size - 1
    for pid, committed_at in store.purchases():
        if pid > top:
            stored.extend(array("d", [math.nan]) * (pid + 1 - len(stored)))
            top = pid
        stored[pid] = committed_at
    return stored, top


def over_one(effects: bytes | bytearray) -> Iterator[int]:
    """Purchase ids with two or more effects (a C-speed test first: usually there are none)."""
    if not effects or max(effects) <= 1:
        return
    for pid, count in enumerate(effects):
        if count > 1:
            yield pid


def find(
    ledger: Ledger,
    store: Store,
    consumer_stores: Mapping[str, ConsumerStore],
    *,
    complete: bool = True,
    has_events: bool = True,
) -> Findings:
    """Compare the trace with the stores. `complete`: the run reached its end (else purchases
    still on their way are not called lost or ghosts yet); `has_events`: False for a design
    that publishes nothing (so nothing it stores is "lost")."""
    f = Findings()
    stored, top = _stored(store, ledger.size)
    ledger._ensure(top)
    flags, published_at, confirmed_at = ledger.flags, ledger.published_at, ledger.confirmed_at
    for pid in range(1, ledger.size):
        flag = flags[pid]
        committed_at = stored[pid]
        in_store = committed_at == committed_at  # not NaN
        if in_store:  # to the microsecond, as traces record time
            committed_at = round(committed_at, 6)
        if flag & PUBLISHED:
            if not in_store or round(published_at[pid], 6) < committed_at:
                f.earlies += 1
                _note(f.early, pid)
            if not in_store and (complete or flag & FAILED):
                f.ghosts += 1
                _note(f.ghost, pid)
                for i, name in enumerate(ledger.consumers):
                    applied = ledger.effects[i][pid]
                    f.ghost_effects += applied
                    f.ghost_effects_by[name] = f.ghost_effects_by.get(name, 0) + applied
        elif in_store and has_events and (complete or flag & LOST):
            f.losts += 1
            _note(f.lost, pid)
        if flag & CONFIRMED and (not in_store or round(confirmed_at[pid], 6) != committed_at):
            f.lates += 1
            _note(f.late, pid)
        if flag & TOLD_FAILED and in_store:
            f.misleds += 1
            _note(f.misled, pid)
    for i, name in enumerate(ledger.consumers):
        dups = sorted(set(over_one(ledger.effects[i])) | _store_duplicates(consumer_stores, name))
        f.duplicates[name] = dups[:LISTED]
        missing: list[int] = []
        effects, dead = ledger.effects[i], ledger.dead[i]
        pid = effects.find(0, 1)
        while pid != -1:
            if flags[pid] & PUBLISHED and pid not in dead:
                _note(missing, pid)
            pid = effects.find(0, pid + 1)
        f.unhandled[name] = missing
        f.behind[name] = ledger.log_end - ledger.offsets[i]
    return f


def _store_duplicates(consumer_stores: Mapping[str, ConsumerStore], name: str) -> set[int]:
    store = consumer_stores.get(name)
    return set() if store is None else set(over_one(store.effects))


def check(
    ledger: Ledger,
    findings: Findings,
    *,
    has_events: bool = True,
    complete: bool = True,
) -> dict[str, bool | None]:
    """The named invariants, from the findings (and the ledger's time order)."""
    idempotent = [s.name for s in CONSUMERS if s.idempotent and s.name in ledger.index]
    twice = {effect_once(c): not findings.duplicates.get(c) for c in ledger.consumers}
    result: dict[str, bool | None] = {
        "publish_only_after_commit": findings.earlies == 0,
        "no_ghost_events": findings.ghosts == 0,
        "no_lost_events": findings.losts == 0,
        "confirmed_at_commit": findings.lates == 0 and findings.misleds == 0,
        **twice,
        "every_event_handled": all(not ids for ids in findings.unhandled.values()),
        "lags_drained": all(n == 0 for n in findings.behind.values())
        and all(not ids for ids in findings.unhandled.values()),
        "idempotent_consumers_once": all(twice[effect_once(c)] for c in idempotent),
        "time_never_goes_back": ledger.backwards == 0,
    }
    if not has_events:
        for name in EVENT_INVARIANTS:
            result[name] = None
    elif not complete:
        for name in NEEDS_THE_END:
            result[name] = None
    return result
