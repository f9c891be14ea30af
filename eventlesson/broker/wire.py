"""The event body as the stream holds it, and the checks on anything read from the network.

Core module: standard library and the simulation's event type only (no nats-py, rich,
questionary or typer). Whatever arrives from the network is checked here before anyone uses it:
a field of the wrong type, or a missing one, is a `WireError`, never a KeyError further on.
"""

from __future__ import annotations

import json
from typing import Any

from eventlesson.sim.scenarios import EVENT_TYPE
from eventlesson.sim.services import Event

CURRENCY = "USD"
MAX_BYTES = 64 * 1024


class WireError(ValueError):
    """A message that is not what we send."""


def load(data: bytes) -> dict[str, Any]:
    """A JSON object of bounded size, or WireError."""
    if len(data) > MAX_BYTES:
        raise WireError("message too large")
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError(f"not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise WireError("not a JSON object")
    return value


def dump(value: dict[str, Any]) -> bytes:
    """Compact JSON, as bytes."""
    return json.dumps(value, separators=(",", ":")).encode()


def field(data: dict[str, Any], key: str, kind: type, default: Any = None) -> Any:
    """`data[key]` if it is a `kind` (an int passes as a float), else WireError; missing
    without a default is WireError too."""
    value = data.get(key, default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise WireError(f"{key}: expected {kind.__name__}")
    return value


# -- the event --


def encode_event(event: Event, currency: str = CURRENCY) -> bytes:
    """`purchase.completed` as the stream holds it (the fields the broker backend publishes,
    and the currency the amount is in)."""
    return dump(
        {
            "event_id": event.id,
            "type": event.topic,
            "purchase_id": event.purchase_id,
            "course": event.course,
            "amount_cents": event.amount_cents,
            "currency": currency,
            "occurred_at": round(event.occurred_at, 6),
        }
    )


def decode_event(data: bytes) -> tuple[Event, str]:
    """The event and its currency; WireError if the body is not one."""
    body = load(data)
    event = Event(
        field(body, "event_id", str),
        field(body, "type", str, EVENT_TYPE),
        field(body, "purchase_id", int),
        field(body, "course", str, ""),
        field(body, "amount_cents", int, 0),
        field(body, "occurred_at", float, 0.0),
    )
    if event.purchase_id < 1:
        raise WireError("purchase_id: must be positive")
    return event, field(body, "currency", str, CURRENCY)
