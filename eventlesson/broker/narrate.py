"""Plain words for the records a run on the real broker adds to the model's.

Core module: standard library only (no rich, questionary or typer, no nats-py). The model's
narration says "offset" and "committed offset"; on JetStream the same things are a stream
sequence and an ack floor, so these sentences use the broker's words where they differ and hand
every other record to the model's `describe`.
"""

from __future__ import annotations

from typing import Any

from eventlesson.sim.narrate import describe as describe_model
from eventlesson.sim.scenarios import MAX_DELIVERIES

# The lesson's words and the broker's, in the order the lesson introduces them (the lesson's
# "Beyond the core path" page has the same table; tests/test_shipped.py holds them equal)
WORDS: tuple[tuple[str, str], ...] = (
    ("offset in the broker log", "stream sequence"),
    ("committed offset", "ack floor: every sequence up to it is acknowledged"),
    ("consumer lag", "pending (not yet delivered) + ack pending (delivered, not acknowledged)"),
    (
        "at-least-once redelivery",
        "no acknowledgement within ack_wait: the server delivers it again",
    ),
    ("a relay's repeat, dropped", "the same Nats-Msg-Id inside the stream's duplicate window"),
)


def describe(record: dict[str, Any]) -> str:
    """One sentence for any record of a broker run."""
    kind = record["type"]
    pid = f"P{record['purchase_id']}" if "purchase_id" in record else "the purchase"
    eid = record.get("event_id", "the event")
    who = str(record.get("consumer") or record.get("component") or "someone")
    seq = record.get("offset")
    if kind == "publish":
        by = "The relay publishes" if record.get("via") == "relay" else "Published"
        if record.get("repeat"):
            return (
                f"{by} {eid} again, after the duplicate window: the server stores it anew at "
                f"stream seq {seq} (a repeat the consumers will see)."
            )
        return f"{by} {eid} for {pid}: stream seq {seq}."
    if kind == "publish_dropped":
        by = "The relay publishes" if record.get("via") == "relay" else "Published"
        return (
            f"{by} {eid} again: the server already holds it at stream seq {seq} (same "
            "Nats-Msg-Id, inside the duplicate window) and drops the repeat."
        )
    if kind == "offset_commit":
        return f"{who}'s ack floor on the server is now stream seq {record.get('ack_floor')}."
    if kind == "deliver" and record.get("via") != "call":
        n = record.get("delivery", 1)
        again = f" (delivery {n}: redelivered by the server)" if n > 1 else ""
        return f"{who} pulls {eid} at stream seq {seq}{again}."
    if kind == "crash" and "consumer" in record:
        return (
            f"{who} crashed after its side effect, before acknowledging seq {seq}: the server "
            "delivers it again once ack_wait has passed."
        )
    if kind == "crash" and record.get("component") == "relay":
        return (
            f"The relay crashed after publishing {eid}, before marking its row; it is down for "
            f"{record.get('down_for', 0):.2f} s against a duplicate window of "
            f"{record.get('duplicate_window', 0):.2f} s."
        )
    if kind == "handle_failed":
        return (
            f"{who} failed on {eid}, delivery {record.get('delivery')} of {MAX_DELIVERIES} "
            f"(max_deliver): {record.get('reason', 'error')}; it asks for a redelivery (nak)."
        )
    if kind == "dead_letter":
        return (
            f"The server gave up on {eid} for {who} after {record.get('deliveries')} deliveries "
            f"(max_deliver); it is parked on {record.get('subject', 'the dead-letter subject')}."
        )
    if kind == "broker_down":
        return "The NATS server is stopped. Purchases keep committing into the outbox."
    if kind == "broker_up":
        return "The NATS server is back, its stream intact from the file store; the relay drains."
    return describe_model(record)
