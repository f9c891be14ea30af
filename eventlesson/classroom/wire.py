"""What travels between the host and the learners: the event body, the purchase service's trace
records, the class's notices and the join request and answer, as bytes.

Core module: standard library only (no nats-py, rich, questionary or typer). Whatever arrives
from the network is checked here before anyone uses it: a field of the wrong type is a
`WireError`, never a crash further on. Text in it still passes through `eventlesson.text.clean`
before a screen shows it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from eventlesson.sim.scenarios import EVENT_TYPE
from eventlesson.sim.services import Event

CURRENCY = "USD"
POISON_CURRENCY = "XTS"  # ISO 4217's code for testing: no exchange rate exists for it
MAX_BYTES = 64 * 1024


class WireError(ValueError):
    """A message that is not what the class sends."""


def _load(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_BYTES:
        raise WireError("message too large")
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError(f"not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise WireError("not a JSON object")
    return value


def _dump(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _field(data: dict[str, Any], key: str, kind: type, default: Any = None) -> Any:
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
    return _dump(
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
    body = _load(data)
    event = Event(
        _field(body, "event_id", str),
        _field(body, "type", str, EVENT_TYPE),
        _field(body, "purchase_id", int),
        _field(body, "course", str, ""),
        _field(body, "amount_cents", int, 0),
        _field(body, "occurred_at", float, 0.0),
    )
    if event.purchase_id < 1:
        raise WireError("purchase_id: must be positive")
    return event, _field(body, "currency", str, CURRENCY)


# -- the purchase service's trace, and notices --

SERVICE_RECORDS = frozenset({"command", "commit", "commit_failed", "confirm", "publish"})
_RECORD_FIELDS: dict[str, type] = {
    "purchase_id": int,
    "offset": int,
    "event_id": str,
    "course": str,
    "amount_cents": int,
    "reason": str,
    "ghost": bool,
    "latency": float,
    "poison": bool,
}


def encode_record(record: dict[str, Any]) -> bytes:
    return _dump(record)


def decode_record(data: bytes) -> dict[str, Any]:
    """One of the purchase service's records, with only the fields a learner's trace uses."""
    raw = _load(data)
    kind = raw.get("type")
    if kind not in SERVICE_RECORDS:
        raise WireError(f"type: not a service record ({kind!r})")
    record: dict[str, Any] = {"type": kind}
    for key, kind_of in _RECORD_FIELDS.items():
        if key in raw:
            record[key] = _field(raw, key, kind_of)
    if "purchase_id" not in record:
        raise WireError("purchase_id: missing")
    return record


ENDED = "ended"


def encode_notice(kind: str, text: str) -> bytes:
    return _dump({"type": kind, "text": text})


def decode_notice(data: bytes) -> tuple[str, str]:
    raw = _load(data)
    return _field(raw, "type", str), _field(raw, "text", str, "")


# -- joining --


@dataclass(frozen=True)
class JoinRequest:
    name: str
    password: str  # chosen by the learner, at random, for this session


@dataclass(frozen=True)
class JoinAnswer:
    ok: bool
    why: str = ""  # when refused
    ack_wait: float = 0.0  # seconds the server waits for an acknowledgement
    max_deliver: int = 0
    ghosts: tuple[int, ...] = ()  # purchases whose commit failed after their event went out
    joins: int = 0  # 1 the first time; more on a rejoin


def encode_join(request: JoinRequest) -> bytes:
    return _dump({"name": request.name, "password": request.password})


def decode_join(data: bytes) -> JoinRequest:
    raw = _load(data)
    return JoinRequest(_field(raw, "name", str), _field(raw, "password", str))


def encode_answer(answer: JoinAnswer) -> bytes:
    return _dump(
        {
            "ok": answer.ok,
            "why": answer.why,
            "ack_wait": answer.ack_wait,
            "max_deliver": answer.max_deliver,
            "ghosts": list(answer.ghosts),
            "joins": answer.joins,
        }
    )


def decode_answer(data: bytes) -> JoinAnswer:
    raw = _load(data)
    ghosts = raw.get("ghosts", [])
    if not isinstance(ghosts, list) or not all(
        isinstance(g, int) and not isinstance(g, bool) for g in ghosts
    ):
        raise WireError("ghosts: expected a list of purchase ids")
    return JoinAnswer(
        ok=_field(raw, "ok", bool),
        why=_field(raw, "why", str, ""),
        ack_wait=_field(raw, "ack_wait", float, 0.0),
        max_deliver=_field(raw, "max_deliver", int, 0),
        ghosts=tuple(ghosts),
        joins=_field(raw, "joins", int, 0),
    )
