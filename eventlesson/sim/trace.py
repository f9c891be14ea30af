"""The event trace: its record types (the schema), and JSON Lines in and out.

Core module: standard library only (no rich, questionary or typer, no SimPy).

A trace is a sequence of records, one JSON object per line, in the order they happened. Every
record has `t` (virtual seconds) and `type`; the other keys depend on the type and are listed in
`RECORD_TYPES`. The read-out and the invariants are computed from a trace and the stores alone
(`eventlesson.sim.ledger`), so any backend that writes this schema - the SimPy engine here, a real
broker elsewhere - gets the same summary and the same checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

Record = dict[str, Any]

# type -> its keys besides `t` and `type` (optional ones in brackets), and what it means
RECORD_TYPES: dict[str, str] = {
    "command": "purchase_id, course, amount_cents, [waits]: a learner asks to buy a course",
    "commit": "purchase_id, [event_id, outbox]: the purchase (and its outbox row) committed",
    "commit_failed": (
        "purchase_id, reason, ghost, [rolled_back]: the transaction rolled back; ghost: its "
        "event was already out"
    ),
    "confirm": "purchase_id, latency: the learner sees 'Purchase successful'",
    "purchase_failed": "purchase_id, latency, reason: the learner sees an error",
    "publish": (
        "purchase_id, event_id, offset, course, amount_cents, [via]: the broker appended the "
        "event at this offset of its log"
    ),
    "publish_dropped": (
        "purchase_id, event_id, offset, course, amount_cents, [via]: a real broker (NATS "
        "JetStream) already held this event id (Nats-Msg-Id, inside its duplicate window) and "
        "appended nothing; offset is where the first copy is"
    ),
    "publish_failed": (
        "purchase_id, event_id, reason, [retry_in | gave_up]: the broker rejected the publish"
    ),
    "deliver": (
        "purchase_id, event_id, consumer, offset, delivery | via=call: a consumer reads an "
        "event (delivery > 1 is a redelivery), or the synchronous chain calls it"
    ),
    "handle": (
        "purchase_id, event_id, consumer, effect, duplicate, committed: the consumer applied "
        "its effect"
    ),
    "duplicate_skipped": "purchase_id, event_id, consumer: already processed (idempotent)",
    "handle_failed": "purchase_id, event_id, consumer, delivery, reason: the handler failed",
    "dead_letter": "purchase_id, event_id, consumer, deliveries: parked after MAX_DELIVERIES",
    "offset_commit": (
        "consumer, offset, purchase_id, event_id: the consumer group committed its offset (the "
        "next offset it will read)"
    ),
    "lag": (
        "consumer, [offset], lag_events, lag_seconds: after an offset commit (or a call), the "
        "events still behind (log end - committed offset) and the seconds this event waited "
        "from the fact to its handling"
    ),
    "crash": (
        "consumer | component, [purchase_id, event_id, offset, lost, between_transactions]: "
        "something died; lost: a committed purchase's publish died with it; "
        "between_transactions: a consumer died after one transaction of its handler committed, "
        "before the next"
    ),
    "restart": "consumer | component, [purchase_id]: it is back",
    "broker_down": "until: the broker rejects publishes and delivers nothing",
    "broker_up": "the broker is back",
    "consumer_down": "consumer, until: a downstream service stops answering",
    "consumer_up": "consumer: it answers again",
}


def dumps(record: Record) -> str:
    """One record as one line; key order is the engine's, so equal runs give equal bytes."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


class TraceWriter:
    """A listener that writes every record to a text stream."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.lines = 0

    def __call__(self, record: Record) -> None:
        self.stream.write(dumps(record) + "\n")
        self.lines += 1


class TraceList(list[Record]):
    """A listener that keeps every record in memory (small runs, tests, the core API)."""

    def __call__(self, record: Record) -> None:
        self.append(record)


def read_trace(lines: Iterable[str]) -> Iterator[Record]:
    """Records from JSON Lines (a file, or `str.splitlines()`); blank lines are skipped."""
    for line in lines:
        if line.strip():
            yield json.loads(line)
