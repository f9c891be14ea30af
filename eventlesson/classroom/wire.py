"""What travels between the host and the learners: the purchase service's trace records, the
class's notices and the join request and answer, as bytes (the event body, as every broker run
publishes it, is `eventlesson.broker.wire`'s).

Core module: standard library and `eventlesson.broker.wire` only (no nats-py, rich, questionary or
typer). Whatever arrives
from the network is checked here before anyone uses it: a field of the wrong type is a
`WireError`, never a crash further on. Text in it still passes through `eventlesson.text.clean`
before a screen shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventlesson.broker.wire import WireError, dump, field, load

POISON_CURRENCY = "XTS"  # ISO 4217's code for testing: no exchange rate exists for it


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
    return dump(record)


def decode_record(data: bytes) -> dict[str, Any]:
    """One of the purchase service's records, with only the fields a learner's trace uses."""
    raw = load(data)
    kind = raw.get("type")
    if kind not in SERVICE_RECORDS:
        raise WireError(f"type: not a service record ({kind!r})")
    record: dict[str, Any] = {"type": kind}
    for key, kind_of in _RECORD_FIELDS.items():
        if key in raw:
            record[key] = field(raw, key, kind_of)
    if "purchase_id" not in record:
        raise WireError("purchase_id: missing")
    return record


ENDED = "ended"


def encode_notice(kind: str, text: str) -> bytes:
    return dump({"type": kind, "text": text})


def decode_notice(data: bytes) -> tuple[str, str]:
    raw = load(data)
    return field(raw, "type", str), field(raw, "text", str, "")


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
    return dump({"name": request.name, "password": request.password})


def decode_join(data: bytes) -> JoinRequest:
    raw = load(data)
    return JoinRequest(field(raw, "name", str), field(raw, "password", str))


def encode_answer(answer: JoinAnswer) -> bytes:
    return dump(
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
    raw = load(data)
    ghosts = raw.get("ghosts", [])
    if not isinstance(ghosts, list) or not all(
        isinstance(g, int) and not isinstance(g, bool) for g in ghosts
    ):
        raise WireError("ghosts: expected a list of purchase ids")
    return JoinAnswer(
        ok=field(raw, "ok", bool),
        why=field(raw, "why", str, ""),
        ack_wait=field(raw, "ack_wait", float, 0.0),
        max_deliver=field(raw, "max_deliver", int, 0),
        ghosts=tuple(ghosts),
        joins=field(raw, "joins", int, 0),
    )
