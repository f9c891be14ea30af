"""The trace's records, built: one function per record type, its keys in one order.

Core module: standard library only (no rich, questionary or typer, no SimPy). What each type and
key means is in `eventlesson.sim.trace.RECORD_TYPES`; every backend that writes a trace (the SimPy
engine, a run on the real broker, a classroom's host and learners) builds its records here, so a
key added or renamed is added or renamed for all of them, and equal runs still give equal bytes
(`trace.dumps` keeps this key order). Times and lags are rounded to the microsecond here.
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]

# the reasons a record gives, in the words every backend uses
TIMEOUT_REASON = "database timeout, rolled back"
ROLLBACK_REASON = "the service crashed between the purchase and outbox INSERTs; rolled back"
POISON_REASON = "amount in a currency analytics cannot convert"


def _round(seconds: float) -> float:
    return round(seconds, 6)


# -- the purchase service --


def command(
    t: float, purchase_id: int, course: str, amount_cents: int, *, waits: str | None = None
) -> Record:
    record: Record = {
        "t": t,
        "type": "command",
        "purchase_id": purchase_id,
        "course": course,
        "amount_cents": amount_cents,
    }
    if waits is not None:
        record["waits"] = waits
    return record


def commit(t: float, purchase_id: int, *, outbox_event: str | None = None) -> Record:
    """The purchase committed; with `outbox_event`, in one transaction with that outbox row."""
    if outbox_event is None:
        return {"t": t, "type": "commit", "purchase_id": purchase_id}
    return {
        "t": t,
        "type": "commit",
        "purchase_id": purchase_id,
        "event_id": outbox_event,
        "outbox": True,
    }


def commit_failed(
    t: float, purchase_id: int, reason: str, *, ghost: bool, rolled_back: bool = False
) -> Record:
    record: Record = {
        "t": t,
        "type": "commit_failed",
        "purchase_id": purchase_id,
        "reason": reason,
        "ghost": ghost,
    }
    if rolled_back:
        record["rolled_back"] = True
    return record


def confirm(t: float, purchase_id: int, latency: float) -> Record:
    return {"t": t, "type": "confirm", "purchase_id": purchase_id, "latency": _round(latency)}


def purchase_failed(t: float, purchase_id: int, latency: float, reason: str) -> Record:
    return {
        "t": t,
        "type": "purchase_failed",
        "purchase_id": purchase_id,
        "latency": _round(latency),
        "reason": reason,
    }


# -- the broker --


def publish(
    t: float,
    purchase_id: int,
    event_id: str,
    offset: int,
    course: str,
    amount_cents: int,
    *,
    via: str | None = None,
    repeat: bool = False,
    dropped: bool = False,
    poison: bool = False,
) -> Record:
    """The broker appended the event at `offset`; `dropped`: a real broker already held its id
    and appended nothing (`publish_dropped`); `repeat`: its purchase was announced before."""
    record: Record = {
        "t": t,
        "type": "publish_dropped" if dropped else "publish",
        "purchase_id": purchase_id,
        "event_id": event_id,
        "offset": offset,
        "course": course,
        "amount_cents": amount_cents,
    }
    if via is not None:
        record["via"] = via
    if repeat:
        record["repeat"] = True
    if poison:
        record["poison"] = True
    return record


def publish_failed(
    t: float,
    purchase_id: int,
    event_id: str,
    reason: str,
    *,
    retry_in: float | None = None,
    lost: bool | None = None,
) -> Record:
    """The broker rejected a publish: tried again in `retry_in` seconds, or given up (`lost`:
    whether the purchase had committed, so that its event is lost for good)."""
    record: Record = {
        "t": t,
        "type": "publish_failed",
        "purchase_id": purchase_id,
        "event_id": event_id,
        "reason": reason,
    }
    if lost is not None:
        record["gave_up"] = True
        record["lost"] = lost
    elif retry_in is not None:
        record["retry_in"] = _round(retry_in)
    return record


def broker_down(t: float, until: float) -> Record:
    return {"t": t, "type": "broker_down", "until": _round(until)}


def broker_up(t: float) -> Record:
    return {"t": t, "type": "broker_up"}


# -- the consumers --


def deliver(
    t: float, purchase_id: int, event_id: str, consumer: str, offset: int, delivery: int
) -> Record:
    return {
        "t": t,
        "type": "deliver",
        "purchase_id": purchase_id,
        "event_id": event_id,
        "consumer": consumer,
        "offset": offset,
        "delivery": delivery,
    }


def call(t: float, purchase_id: int, consumer: str) -> Record:
    """The synchronous chain calls a consumer (a `deliver` with no event and no offset)."""
    return {
        "t": t,
        "type": "deliver",
        "purchase_id": purchase_id,
        "consumer": consumer,
        "via": "call",
    }


def handle(
    t: float,
    purchase_id: int,
    event_id: str,
    consumer: str,
    effect: str,
    *,
    duplicate: bool,
    committed: bool,
    offset: int | None = None,
) -> Record:
    record: Record = {
        "t": t,
        "type": "handle",
        "purchase_id": purchase_id,
        "event_id": event_id,
        "consumer": consumer,
        "effect": effect,
        "duplicate": duplicate,
        "committed": committed,
    }
    if offset is not None:
        record["offset"] = offset
    return record


def duplicate_skipped(t: float, purchase_id: int, event_id: str, consumer: str) -> Record:
    return {
        "t": t,
        "type": "duplicate_skipped",
        "purchase_id": purchase_id,
        "event_id": event_id,
        "consumer": consumer,
    }


def handle_failed(
    t: float, purchase_id: int, event_id: str, consumer: str, delivery: int, reason: str
) -> Record:
    return {
        "t": t,
        "type": "handle_failed",
        "purchase_id": purchase_id,
        "event_id": event_id,
        "consumer": consumer,
        "delivery": delivery,
        "reason": reason,
    }


def dead_letter(
    t: float,
    purchase_id: int,
    event_id: str,
    consumer: str,
    deliveries: int,
    *,
    offset: int | None = None,
    subject: str | None = None,
) -> Record:
    """Parked after its last delivery; on a real broker, at stream sequence `offset`, copied to
    the dead-letter `subject`."""
    record: Record = {
        "t": t,
        "type": "dead_letter",
        "purchase_id": purchase_id,
        "event_id": event_id,
        "consumer": consumer,
        "deliveries": deliveries,
    }
    if offset is not None:
        record["offset"] = offset
    if subject is not None:
        record["subject"] = subject
    return record


def offset_commit(
    t: float,
    consumer: str,
    offset: int,
    *,
    ack_floor: int | None = None,
    purchase_id: int | None = None,
    event_id: str | None = None,
) -> Record:
    """The consumer's committed offset moved to `offset` (the next it reads); on a real broker
    its `ack_floor`, and the event there when the run knows it."""
    record: Record = {"t": t, "type": "offset_commit", "consumer": consumer, "offset": offset}
    if ack_floor is not None:
        record["ack_floor"] = ack_floor
    if purchase_id is not None:
        record["purchase_id"] = purchase_id
        record["event_id"] = event_id
    return record


def lag(
    t: float, consumer: str, lag_events: int, lag_seconds: float, *, offset: int | None = None
) -> Record:
    record: Record = {"t": t, "type": "lag", "consumer": consumer}
    if offset is not None:
        record["offset"] = offset
    record["lag_events"] = lag_events
    record["lag_seconds"] = _round(lag_seconds)
    return record


def consumer_crash(
    t: float, purchase_id: int, event_id: str, consumer: str, offset: int, *, between: bool = False
) -> Record:
    """A consumer died before committing its offset; `between`: after one transaction of its
    handler committed, before the next."""
    record: Record = {
        "t": t,
        "type": "crash",
        "purchase_id": purchase_id,
        "event_id": event_id,
        "consumer": consumer,
        "offset": offset,
    }
    if between:
        record["between_transactions"] = True
    return record


def component_crash(
    t: float,
    purchase_id: int,
    component: str,
    *,
    event_id: str | None = None,
    lost: bool | None = None,
    down_for: float | None = None,
    duplicate_window: float | None = None,
) -> Record:
    """The purchase service or the relay died at this purchase; `lost`: a committed purchase's
    publish died with it; on a real broker the relay says how long it stays down."""
    record: Record = {"t": t, "type": "crash", "purchase_id": purchase_id}
    if event_id is not None:
        record["event_id"] = event_id
    record["component"] = component
    if lost is not None:
        record["lost"] = lost
    if down_for is not None:
        record["down_for"] = _round(down_for)
    if duplicate_window is not None:
        record["duplicate_window"] = _round(duplicate_window)
    return record


def restart(
    t: float,
    *,
    consumer: str | None = None,
    component: str | None = None,
    purchase_id: int | None = None,
) -> Record:
    """A consumer, or a component (at the purchase it crashed on), is back."""
    record: Record = {"t": t, "type": "restart"}
    if purchase_id is not None:
        record["purchase_id"] = purchase_id
    if component is not None:
        record["component"] = component
    if consumer is not None:
        record["consumer"] = consumer
    return record


def consumer_down(t: float, consumer: str, until: float) -> Record:
    return {"t": t, "type": "consumer_down", "consumer": consumer, "until": _round(until)}


def consumer_up(t: float, consumer: str) -> Record:
    return {"t": t, "type": "consumer_up", "consumer": consumer}
