"""Plain words for the records a classroom session adds to the broker's: a learner's attempt to
publish, a poison event, a key that changed how a consumer works.

Core module: standard library only (no nats-py, rich, questionary or typer); every other record
goes to the broker's `describe`, which hands the model's own to the model's.
"""

from __future__ import annotations

from typing import Any

from eventlesson.broker.narrate import describe as describe_broker
from eventlesson.sim.scenarios import MAX_DELIVERIES
from eventlesson.text import clean


def describe(record: dict[str, Any]) -> str:
    """One sentence for any record of a classroom session."""
    kind = record["type"]
    who = str(record.get("consumer") or "someone")
    if kind == "publish_refused":  # the server's own words, after the few that fit a row
        return (
            "Publish refused by the server: "
            f"{clean(str(record.get('reason', 'permissions violation')))}"
        )
    if kind == "publish_accepted":
        return f"You published {record.get('subject', 'a purchase')} and the server took it."
    if kind == "handle_failed":
        return (
            f"{who} failed on {record.get('event_id', 'the event')}, delivery "
            f"{record.get('delivery')} of {MAX_DELIVERIES}: {record.get('reason', 'error')}; "
            "it asks the server to deliver it again (nak)."
        )
    if kind == "dead_letter":
        return (
            f"{who} gives up on {record.get('event_id', 'the event')} after "
            f"{record.get('deliveries')} deliveries and parks it on "
            f"{record.get('subject', 'its dead-letter subject')}; the events behind it flow."
        )
    if kind == "setting":
        return clean(str(record.get("text", "")))
    if kind == "publish" and record.get("poison"):
        return (
            f"Published {record.get('event_id', 'an event')} for P{record.get('purchase_id')} at "
            f"stream seq {record.get('offset')}: a poison event, in a currency analytics cannot "
            "convert."
        )
    return describe_broker(record)
