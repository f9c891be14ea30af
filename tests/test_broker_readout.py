"""The server's read-back joins the model's findings, and each check it feeds can fail."""

from __future__ import annotations

import asyncio
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
from eventlesson.broker.readout import DeadLetter, ServerRead, StreamEvent, read_back, reconcile
from eventlesson.broker.server import NatsServer
from eventlesson.broker.state import ConsumerState, StreamState
from eventlesson.broker.wire import WireError
from eventlesson.sim.invariants import Findings, check
from eventlesson.sim.ledger import Ledger

CONSUMERS = ("enrollment", "email")
WALL0 = 1_000_000.0


def _ledger(*extra: dict[str, Any]) -> Ledger:
    """Two purchases committed at 0.1 and 0.5, published after, handled once by both."""
    records: list[dict[str, Any]] = []
    for pid, t in ((1, 0.1), (2, 0.5)):
        records += [
            {"t": t, "type": "command", "purchase_id": pid},
            {"t": t, "type": "commit", "purchase_id": pid},
            {"t": t, "type": "confirm", "purchase_id": pid, "latency": 0.0},
            {"t": t + 0.1, "type": "publish", "purchase_id": pid, "offset": pid},
        ]
        for c in CONSUMERS:
            records.append({"t": t + 0.2, "type": "handle", "purchase_id": pid, "consumer": c})
    ledger = Ledger(CONSUMERS)
    for record in sorted(records + list(extra), key=lambda r: r["t"]):
        ledger.feed(record)
    return ledger


def _server(**change: Any) -> ServerRead:
    read = ServerRead(
        stream=StreamState(messages=2, first_seq=1, last_seq=2),
        events=(
            StreamEvent(1, "evt-000001", 1, WALL0 + 0.2),
            StreamEvent(2, "evt-000002", 2, WALL0 + 0.6),
        ),
        dead_letters=(),
        consumers={c: ConsumerState(c, 0, 0, 0, 2, 2) for c in CONSUMERS},
    )
    return replace(read, **change)


PURCHASES = {1: 0.1, 2: 0.5}


def _check(server: ServerRead | None, purchases: dict[int, float] = PURCHASES, **kw: Any):
    ledger = kw.pop("ledger", None) or _ledger()
    findings = reconcile(Findings(), server, purchases, ledger, wall0=WALL0, complete=True)
    return findings, check(ledger, findings)


def test_a_clean_read_back_adds_nothing() -> None:
    findings, result = _check(_server())
    assert findings == Findings(
        unhandled={c: [] for c in CONSUMERS}, behind=dict.fromkeys(CONSUMERS, 0)
    )
    assert all(result.values())


def test_without_a_read_back_the_findings_stand() -> None:
    original = Findings(losts=1, lost=[2])
    assert reconcile(original, None, PURCHASES, _ledger(), wall0=WALL0, complete=True) is original


def test_an_event_the_server_stored_before_its_commit_is_early() -> None:
    server = _server(
        events=(StreamEvent(1, "e1", 1, WALL0 + 0.2), StreamEvent(2, "e2", 2, WALL0 + 0.4))
    )
    findings, result = _check(server)
    assert findings.early == [2]
    assert result["publish_only_after_commit"] is False


def test_an_event_for_a_purchase_the_store_never_held_is_a_ghost() -> None:
    findings, result = _check(_server(), purchases={1: 0.1})
    assert findings.ghost == [2] and findings.early == [2]
    assert result["no_ghost_events"] is False


def test_a_committed_purchase_missing_from_the_stream_is_lost() -> None:
    findings, result = _check(_server(events=(StreamEvent(1, "e1", 1, WALL0 + 0.2),)))
    assert findings.lost == [2] and findings.losts == 1
    assert result["no_lost_events"] is False


def test_an_announced_event_a_consumer_never_handled_nor_parked() -> None:
    ledger = _ledger()
    ledger.effects[1][2] = 0  # email never handled purchase 2
    findings, result = _check(_server(), ledger=ledger)
    assert findings.unhandled["email"] == [2]
    assert result["every_event_handled"] is False
    parked = DeadLetter("email", 2, 2, "evt-000002", 3)
    findings, result = _check(_server(dead_letters=(parked,)), ledger=ledger)
    assert findings.unhandled["email"] == [] and result["every_event_handled"]


@pytest.mark.parametrize(
    "state",
    [
        ConsumerState("email", 1, 0, 0, 1, 1),  # one not yet delivered
        ConsumerState("email", 0, 1, 0, 2, 1),  # one delivered, not acknowledged
        ConsumerState("email", 0, 0, 0, 2, 1),  # the ack floor short of the stream's end
    ],
)
def test_a_consumer_the_server_reports_behind_is_not_drained(state: ConsumerState) -> None:
    consumers = {"enrollment": ConsumerState("enrollment", 0, 0, 0, 2, 2), "email": state}
    findings, result = _check(_server(consumers=consumers))
    assert findings.behind["email"] >= 1
    assert result["lags_drained"] is False


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
    timely = {1: -1.0, 2: -1.0}  # committed long before the server stored anything
    wall0 = 0.0
    ok = reconcile(Findings(), before, timely, _ledger(), wall0=wall0, complete=True)
    gone = reconcile(Findings(), after, timely, _ledger(), wall0=wall0, complete=True)
    assert ok.losts == 0 and gone.lost == [2]


def test_a_body_we_did_not_publish_is_a_wire_error_not_a_key_error(broker: NatsServer) -> None:
    async def main() -> None:
        names = Names(run_prefix())
        conn = await Connection().open(broker.url, name="test")
        js = conn.js
        try:
            await ensure_stream(js, names, duplicate_window=1.0)
            await js.publish(names.subject, b'{"event_id":"evt-000001"}')  # no purchase_id
            with pytest.raises(WireError, match="purchase_id"):
                await read_back(js, names, ())
        finally:
            await delete_all(js, names, ())
            await conn.close()

    asyncio.run(main())
