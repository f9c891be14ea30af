"""What a run on the real broker proves: the server's state read back, the trace, the store, and
the invariants and summary computed from them.

Core module: nats-py (for `read_back` only), sqlite3 through the store, and the standard library;
no rich, questionary or typer. Every invariant reads something observable: the stream and the dead
letters as the server holds them after the run, each consumer's counters as the server reports
them, the purchases the SQLite store holds, and the trace records. Nothing reads a counter the
run kept beside the thing it claims, so each check can fail, and the tests make each one fail.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eventlesson.broker.jetstream import (
    CONSUMER_HEADER,
    DELIVERIES_HEADER,
    SEQ_HEADER,
    ConsumerState,
    Names,
    StreamState,
    read_consumers,
    read_messages,
    read_stream_state,
)
from eventlesson.sim.invariants import NAMES, TimeOrder


@dataclass(frozen=True)
class StreamEvent:
    """One purchase.completed message as the stream holds it."""

    seq: int
    event_id: str
    purchase_id: int
    stored_at: float  # Unix seconds, the server's clock


@dataclass(frozen=True)
class DeadLetter:
    """One event a consumer gave up on, as the dead-letter stream holds it."""

    consumer: str
    seq: int  # its sequence in the purchases stream
    purchase_id: int
    event_id: str
    deliveries: int


@dataclass(frozen=True)
class ServerRead:
    """The server's state after a run."""

    stream: StreamState
    events: tuple[StreamEvent, ...]
    dead_letters: tuple[DeadLetter, ...]
    consumers: Mapping[str, ConsumerState]


def _event(seq: int, data: bytes, stored_at: float) -> StreamEvent:
    body = json.loads(data)
    return StreamEvent(seq, str(body["event_id"]), int(body["purchase_id"]), stored_at)


async def read_back(js: Any, names: Names, consumers: Iterable[str]) -> ServerRead:
    """Read the stream, the dead-letter stream and every consumer from the server."""
    stream = await read_stream_state(js, names.stream)
    messages = await read_messages(js, names.stream, names.subject)
    dead_messages = await read_messages(js, names.dead_letter_stream, names.dead_letter_subject)
    states = await read_consumers(js, names, consumers)
    dead = []
    for m in dead_messages:
        body = json.loads(m.data)
        dead.append(
            DeadLetter(
                consumer=m.headers.get(CONSUMER_HEADER, "?"),
                seq=int(m.headers.get(SEQ_HEADER, "0")),
                purchase_id=int(body["purchase_id"]),
                event_id=str(body["event_id"]),
                deliveries=int(m.headers.get(DELIVERIES_HEADER, "0")),
            )
        )
    return ServerRead(
        stream=stream,
        events=tuple(_event(m.seq, m.data, m.stored_at) for m in messages),
        dead_letters=tuple(dead),
        consumers=states,
    )


@dataclass
class TraceFacts:
    """A listener that keeps what the invariants need from the trace, and nothing else."""

    times: TimeOrder = field(default_factory=TimeOrder)
    confirms: dict[int, tuple[float, float | None]] = field(default_factory=dict)  # t, committed
    handles: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    first_handle: dict[int, float] = field(default_factory=dict)

    def __call__(self, record: Mapping[str, Any]) -> None:
        t = float(record["t"])
        self.times.see(t)
        kind = record["type"]
        if kind == "confirm":
            committed = record.get("committed_at")
            self.confirms[int(record["purchase_id"])] = (
                t,
                None if committed is None else float(committed),
            )
        elif kind == "handle":
            pid = int(record["purchase_id"])
            self.handles[str(record["consumer"])][pid] += 1
            self.first_handle.setdefault(pid, t)


@dataclass(frozen=True)
class Evidence:
    """Everything the invariants read, gathered in one place (tests build it by hand)."""

    purchases: Mapping[int, float]  # the store: purchase id -> committed_at (run seconds)
    trace: TraceFacts
    server: ServerRead | None  # None: not read back (or sync-chain, which has no broker)
    broker: bool  # False for sync-chain's direct calls
    wall0: float  # Unix time of the run's t = 0, to put server timestamps on the run's clock
    consumers: tuple[str, ...]
    idempotent: frozenset[str]
    complete: bool


def invariants(e: Evidence) -> dict[str, bool]:
    """The model's invariants, by the same names, from the store, the trace and the server.

    A broker run whose server could not be read back proves nothing about the stream: the checks
    that need it fail rather than pass on no evidence.
    """
    unread = e.broker and e.server is None
    events = e.server.events if e.server is not None else ()
    dead = e.server.dead_letters if e.server is not None else ()
    announced = {ev.purchase_id for ev in events}
    after_commit = all(
        ev.purchase_id in e.purchases and e.purchases[ev.purchase_id] <= ev.stored_at - e.wall0
        for ev in events
    )
    confirmed = all(
        committed is not None
        and e.purchases.get(pid) == committed
        and t <= e.trace.first_handle.get(pid, t)
        for pid, (t, committed) in e.trace.confirms.items()
    )
    handled_or_parked = True
    parked = {(d.consumer, d.purchase_id) for d in dead}
    for consumer in e.consumers:
        effects = e.trace.handles.get(consumer, Counter())
        if any(not effects[pid] and (consumer, pid) not in parked for pid in announced):
            handled_or_parked = False
    if not e.broker:  # direct calls: every stored purchase was handed to every consumer
        handled_or_parked = all(
            all(e.trace.handles.get(c, Counter())[pid] for c in e.consumers) for pid in e.purchases
        )
        drained = e.complete
    elif e.server is None:
        drained = False
    else:
        last = e.server.stream.last_seq
        drained = e.complete and all(
            s.lag == 0 and s.delivered_seq >= last for s in e.server.consumers.values()
        )
    result = {
        "publish_only_after_commit": after_commit and not unread,
        "no_ghost_events": all(pid in e.purchases for pid in announced) and not unread,
        "no_lost_events": not e.broker
        or (not unread and all(pid in announced for pid in e.purchases)),
        "confirmed_at_commit": confirmed,
        "idempotent_consumers_once": all(
            n <= 1 for c in e.idempotent for n in e.trace.handles.get(c, Counter()).values()
        ),
        "every_event_handled": e.complete and handled_or_parked,
        "lags_drained": drained,
        "time_never_goes_back": e.trace.times.ok,
    }
    assert tuple(result) == NAMES
    return result


def ghost_events(e: Evidence) -> int:
    """Stored events whose purchase the store does not hold."""
    if e.server is None:
        return 0
    return len({ev.purchase_id for ev in e.server.events if ev.purchase_id not in e.purchases})


def lost_events(e: Evidence) -> int:
    """Purchases the store holds that no stored event announces."""
    if e.server is None:
        return 0
    announced = {ev.purchase_id for ev in e.server.events}
    return sum(1 for pid in e.purchases if pid not in announced)


def ghost_effects(e: Evidence) -> int:
    return sum(
        n
        for counts in e.trace.handles.values()
        for pid, n in counts.items()
        if pid not in e.purchases
    )


def duplicate_effects(e: Evidence) -> int:
    return sum(n - 1 for counts in e.trace.handles.values() for n in counts.values() if n > 1)
