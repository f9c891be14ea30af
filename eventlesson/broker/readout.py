"""What the server holds after a run on the real broker, and what that adds to the findings.

Core module: nats-py (for `read_back` only) and the standard library; no rich, questionary or
typer. The model's findings come from the trace and the stores (`eventlesson.sim.invariants`);
`reconcile()` adds the server's own account, read back after the run: the stream as it holds it
(which purchases were announced, when the server stored each event), the dead letters, and each
consumer's ack floor and pending counts. So a message the server lost, or one it holds that the
trace never mentioned, shows up in the invariants, and each of these checks can fail.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventlesson.broker.jetstream import (
    CONSUMER_HEADER,
    DELIVERIES_HEADER,
    SEQ_HEADER,
    Names,
    read_consumers,
    read_messages,
    read_stream_state,
)
from eventlesson.broker.state import ConsumerState, StreamState
from eventlesson.broker.wire import decode_event
from eventlesson.sim.invariants import LISTED, Findings, find
from eventlesson.sim.ledger import FAILED, LOST, Ledger
from eventlesson.sim.readout import summarize
from eventlesson.sim.scenarios import MAX_DELIVERIES, effect_once
from eventlesson.sim.state import Summary

if TYPE_CHECKING:
    from eventlesson.broker.run import BrokerRun


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
    event, _ = decode_event(data)
    return StreamEvent(seq, event.id, event.purchase_id, stored_at)


async def read_back(js: Any, names: Names, consumers: Iterable[str]) -> ServerRead:
    """Read the stream, the dead-letter stream and every consumer from the server."""
    stream = await read_stream_state(js, names.stream)
    messages = await read_messages(js, names.stream, names.subject)
    dead_messages = await read_messages(js, names.dead_letter_stream, names.dead_letter_subject)
    states = await read_consumers(js, names, consumers)
    dead = []
    for m in dead_messages:
        event, _ = decode_event(m.data)
        dead.append(
            DeadLetter(
                consumer=m.headers.get(CONSUMER_HEADER, "?"),
                seq=int(m.headers.get(SEQ_HEADER, "0")),
                purchase_id=event.purchase_id,
                event_id=event.id,
                deliveries=int(m.headers.get(DELIVERIES_HEADER, "0")),
            )
        )
    return ServerRead(
        stream=stream,
        events=tuple(_event(m.seq, m.data, m.stored_at) for m in messages),
        dead_letters=tuple(dead),
        consumers=states,
    )


def _merge(ids: list[int], count: int, found: set[int]) -> tuple[list[int], int]:
    """The findings' first ids and count, with the server's finds added (none counted twice)."""
    union = set(ids) | found
    listed = sorted(union)[:LISTED]
    if count <= len(ids):  # the list held every id the trace found
        return listed, len(union)
    return listed, max(count, len(found))


def reconcile(
    findings: Findings,
    server: ServerRead | None,
    purchases: Mapping[int, float],
    ledger: Ledger,
    *,
    wall0: float,
    complete: bool,
) -> Findings:
    """The findings with the server's account added: what the stream holds decides what was
    announced and when, and each consumer's ack floor and pending counts how far behind it is.

    `purchases`: the store's purchase id -> committed_at (run seconds); `wall0`: the Unix time
    of the run's t = 0, which puts the server's timestamps on the run's clock (the server shares
    this machine's clock). Without a read-back (`server` None) the findings stand as they are.
    """
    if server is None:
        return findings
    f = copy.deepcopy(findings)
    announced: dict[int, float] = {}  # purchase id -> when the server first stored its event
    for ev in server.events:
        at = round(ev.stored_at - wall0, 6)
        if ev.purchase_id not in announced or at < announced[ev.purchase_id]:
            announced[ev.purchase_id] = at
    early, ghost, lost = set(), set(), set()
    flags = ledger.flags
    for pid, at in announced.items():
        committed = purchases.get(pid)
        if committed is None or at < round(committed, 6):
            early.add(pid)
        failed = pid < len(flags) and flags[pid] & FAILED
        if committed is None and (complete or failed):
            ghost.add(pid)
    for pid in purchases:
        gone = pid < len(flags) and flags[pid] & LOST
        if pid not in announced and (complete or gone):
            lost.add(pid)
    f.early, f.earlies = _merge(f.early, f.earlies, early)
    f.ghost, f.ghosts = _merge(f.ghost, f.ghosts, ghost)
    f.lost, f.losts = _merge(f.lost, f.losts, lost)
    parked = {(d.consumer, d.purchase_id) for d in server.dead_letters}
    last = server.stream.last_seq
    for i, name in enumerate(ledger.consumers):
        effects, dead = ledger.effects[i], ledger.dead[i]
        missing = {
            pid
            for pid in announced
            if (pid >= len(effects) or not effects[pid])
            and pid not in dead
            and (name, pid) not in parked
        }
        ids = f.unhandled.get(name, [])
        f.unhandled[name], _ = _merge(ids, len(ids), missing)
        state = server.consumers.get(name)
        if state is None:
            f.behind[name] = max(f.behind.get(name, 0), last)
        else:  # behind the stream's end by the ack floor, and by what is still pending
            f.behind[name] = max(f.behind.get(name, 0), last - state.ack_floor_seq, state.lag)
    return f


# -- the outcome of a run --


def findings(run: BrokerRun) -> Findings:
    """The model's findings from the trace and the stores, then the server's account."""
    complete = run.finished
    findings = find(
        run.ledger,
        run.store,
        {c.name: c.store for c in run.consumers.values()},
        complete=complete,
        has_events=run.scenario.has_events,
    )
    if not run.uses_broker:
        return findings
    return reconcile(
        findings,
        run.final,
        dict(run.store.purchases()),
        run.ledger,
        wall0=run.wall0,
        complete=complete,
    )


def summary(run: BrokerRun) -> Summary:
    """The model's summary and invariants, with the server's read-back folded in.

    One expectation differs from the model's: when the server goes down mid-delivery, the
    acknowledgements it never received are redelivered once it is back (at-least-once), so
    a consumer that is not idempotent may apply an effect twice. That is what a real broker
    does, and what the scenario shows on it.
    """
    summary = summarize(
        run.scenario,
        run.ledger,
        run.findings(),
        seed=run.seed,
        planned=run.planned,
        virtual_seconds=run.now,
        complete=run.finished,
    )
    if run.schedule.broker_windows():
        expected = set(summary.expected_broken) | {
            effect_once(c.name) for c in run.consumers.values() if not c.spec.idempotent
        }
        summary = dataclasses.replace(summary, expected_broken=tuple(sorted(expected)))
    return summary


def notes(run: BrokerRun) -> list[str]:
    """What the server did that the model's summary does not say, in plain sentences."""
    ledger = run.ledger
    notes = []
    dropped, stored = run.dropped_repeats, ledger.repeats
    if dropped or stored:
        notes.append(
            f"The relay repeated {dropped + stored} event(s): {dropped} inside the duplicate "
            "window, which the server dropped (same Nats-Msg-Id), and "
            f"{stored} after it, which the server stored again and only the idempotent "
            "consumers skipped."
        )
    again = sum(ledger.redeliveries)
    if again:
        notes.append(
            f"The server delivered {again} event(s) again: no acknowledgement reached it "
            "within ack_wait (a consumer crashed, or the server itself was down). That is "
            "at-least-once delivery."
        )
    parked = len(ledger.dead_letters)
    if parked:
        notes.append(
            f"{parked} event(s) parked on {run.names.dead_letter_subject} after "
            f"{MAX_DELIVERIES} deliveries (max_deliver) and terminated, so the ack floor "
            "moved past them; meanwhile JetStream kept delivering the events behind them "
            "(it does not hold the line as the model's log does)."
        )
    return notes


def facts(run: BrokerRun) -> dict[str, Any]:
    """The `--json` keys the model does not have: the backend and the names on the server."""
    facts: dict[str, Any] = {"backend": "nats" if run.uses_broker else "direct calls"}
    if not run.uses_broker:
        return facts
    facts.update(
        server=run.url,
        stream=run.names.stream,
        subject=run.names.subject,
        dead_letter_stream=run.names.dead_letter_stream,
        consumer_names={c: run.names.durable(c) for c in run.consumers},
        repeats_dropped_by_server=run.dropped_repeats,
    )
    final = run.final
    if final is not None:
        facts["server_state"] = {
            "stream": {
                "messages": final.stream.messages,
                "first_seq": final.stream.first_seq,
                "last_seq": final.stream.last_seq,
            },
            "consumers": {
                name: {
                    "num_pending": s.num_pending,
                    "num_ack_pending": s.num_ack_pending,
                    "redeliveries": s.redeliveries,
                    "delivered_seq": s.delivered_seq,
                    "ack_floor_seq": s.ack_floor_seq,
                }
                for name, s in final.consumers.items()
            },
            "dead_letters": len(final.dead_letters),
        }
    return facts
