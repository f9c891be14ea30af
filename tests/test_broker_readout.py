"""The broker's invariants read evidence (store, trace, server), and each one can fail."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from eventlesson.broker.jetstream import (
    MSG_ID,
    Connection,
    Names,
    delete_all,
    ensure_stream,
    run_prefix,
)
from eventlesson.broker.readout import (
    DeadLetter,
    Evidence,
    ServerRead,
    StreamEvent,
    TraceFacts,
    invariants,
    read_back,
)
from eventlesson.broker.server import NatsServer
from eventlesson.broker.state import ConsumerState, StreamState
from eventlesson.sim.invariants import NAMES

CONSUMERS = ("enrollment", "email")
WALL0 = 1_000_000.0


def _trace(*records: dict[str, Any]) -> TraceFacts:
    facts = TraceFacts()
    for record in records:
        facts(record)
    return facts


def _good() -> Evidence:
    """Two purchases committed, published after the commit, handled once by both consumers."""
    trace = _trace(
        {"t": 0.1, "type": "commit", "purchase_id": 1},
        {"t": 0.1, "type": "confirm", "purchase_id": 1, "committed_at": 0.1},
        {"t": 0.3, "type": "handle", "purchase_id": 1, "consumer": "enrollment"},
        {"t": 0.3, "type": "handle", "purchase_id": 1, "consumer": "email"},
        {"t": 0.5, "type": "commit", "purchase_id": 2},
        {"t": 0.5, "type": "confirm", "purchase_id": 2, "committed_at": 0.5},
        {"t": 0.7, "type": "handle", "purchase_id": 2, "consumer": "enrollment"},
        {"t": 0.7, "type": "handle", "purchase_id": 2, "consumer": "email"},
    )
    server = ServerRead(
        stream=StreamState(messages=2, first_seq=1, last_seq=2),
        events=(
            StreamEvent(1, "evt-000001", 1, WALL0 + 0.2),
            StreamEvent(2, "evt-000002", 2, WALL0 + 0.6),
        ),
        dead_letters=(),
        consumers={c: ConsumerState(c, 0, 0, 0, 2, 2) for c in CONSUMERS},
    )
    return Evidence(
        purchases={1: 0.1, 2: 0.5},
        trace=trace,
        server=server,
        broker=True,
        wall0=WALL0,
        consumers=CONSUMERS,
        idempotent=frozenset({"enrollment"}),
        complete=True,
    )


def test_a_clean_run_holds_every_invariant() -> None:
    result = invariants(_good())
    assert tuple(result) == NAMES
    assert all(result.values())


def _events(e: Evidence, *events: StreamEvent) -> Evidence:
    assert e.server is not None
    return replace(e, server=replace(e.server, events=events))


def _published_before_commit(e: Evidence) -> Evidence:
    assert e.server is not None
    early = replace(e.server.events[1], stored_at=WALL0 + 0.4)  # before its commit at 0.5
    return _events(e, e.server.events[0], early)


def _ghost(e: Evidence) -> Evidence:
    return replace(e, purchases={1: 0.1})  # the store never held purchase 2


def _lost(e: Evidence) -> Evidence:
    assert e.server is not None
    return _events(e, e.server.events[0])  # purchase 2 committed, never on the server


def _late_confirm(e: Evidence) -> Evidence:
    trace = _trace(
        {"t": 0.3, "type": "handle", "purchase_id": 1, "consumer": "email"},
        {"t": 0.9, "type": "confirm", "purchase_id": 1, "committed_at": 0.1},  # after a handle
    )
    return replace(e, trace=trace)


def _twice(e: Evidence) -> Evidence:
    e.trace({"t": 0.8, "type": "handle", "purchase_id": 1, "consumer": "enrollment"})
    return e


def _unhandled(e: Evidence) -> Evidence:
    e.trace.handles["email"][2] = 0  # email never handled purchase 2, nor parked it
    return e


def _lagging(e: Evidence) -> Evidence:
    assert e.server is not None
    consumers = dict(e.server.consumers)
    consumers["email"] = ConsumerState("email", 0, 1, 0, 2, 1)  # one delivered, not acked
    return replace(e, server=replace(e.server, consumers=consumers))


def _backwards(e: Evidence) -> Evidence:
    e.trace({"t": 0.05, "type": "command", "purchase_id": 3})
    return e


BREAKERS: dict[str, Callable[[Evidence], Evidence]] = {
    "publish_only_after_commit": _published_before_commit,
    "no_ghost_events": _ghost,
    "no_lost_events": _lost,
    "confirmed_at_commit": _late_confirm,
    "idempotent_consumers_once": _twice,
    "every_event_handled": _unhandled,
    "lags_drained": _lagging,
    "time_never_goes_back": _backwards,
}


@pytest.mark.parametrize("name", NAMES)
def test_each_invariant_breaks_on_evidence_that_breaks_it(name: str) -> None:
    result = invariants(BREAKERS[name](_good()))
    assert result[name] is False


def test_a_dead_letter_counts_as_handled_for_its_consumer_only() -> None:
    e = _unhandled(_good())
    assert e.server is not None
    parked = DeadLetter("email", 2, 2, "evt-000002", 3)
    e = replace(e, server=replace(e.server, dead_letters=(parked,)))
    assert invariants(e)["every_event_handled"]
    wrong = replace(e, server=replace(e.server, dead_letters=(replace(parked, consumer="x"),)))
    assert not invariants(wrong)["every_event_handled"]


def test_a_broker_run_never_read_back_proves_nothing_about_the_stream() -> None:
    result = invariants(replace(_good(), server=None))
    for name in ("publish_only_after_commit", "no_ghost_events", "no_lost_events"):
        assert result[name] is False
    assert not result["lags_drained"]


def test_read_back_sees_what_the_server_holds_not_what_we_sent(broker: NatsServer) -> None:
    """Delete one event on the server: the read-back, and so no_lost_events, notices."""

    async def main() -> tuple[ServerRead, ServerRead]:
        names = Names(run_prefix())
        conn = await Connection().open(broker.url, name="test")
        js = conn.js
        try:
            await ensure_stream(js, names, duplicate_window=1.0)
            for n in (1, 2):
                body = f'{{"event_id":"evt-{n:06d}","purchase_id":{n}}}'.encode()
                await js.publish(names.subject, body, headers={MSG_ID: f"evt-{n:06d}"})
            before = await read_back(js, names, ())
            await js.delete_msg(names.stream, 2)  # someone else's hand on the server
            after = await read_back(js, names, ())
            return before, after
        finally:
            await delete_all(js, names, ())
            await conn.close()

    before, after = asyncio.run(main())
    assert [e.purchase_id for e in before.events] == [1, 2]
    assert [e.purchase_id for e in after.events] == [1]
    good = _good()
    assert invariants(replace(good, server=replace(good.server, events=before.events)))[
        "no_lost_events"
    ]
    assert not invariants(replace(good, server=replace(good.server, events=after.events)))[
        "no_lost_events"
    ]
