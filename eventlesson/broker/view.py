"""What the live view reads from a run on the broker: the model's snapshot, with offsets and the
log's end as the server last reported them, and the server's own counts.

Core module: standard library only at import (no nats-py, rich, questionary or typer); it reads a
`BrokerRun` it is handed, as `eventlesson.sim.snapshot` reads the model's engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlesson.broker.narrate import describe
from eventlesson.broker.state import ConsumerState, ServerView
from eventlesson.sim.state import ConsumerView, Snapshot

if TYPE_CHECKING:
    from eventlesson.broker.run import BrokerRun, _Consumer

BUSY, IDLE = "busy", "idle"


def oldest_age(run: BrokerRun, c: _Consumer, state: ConsumerState | None) -> float:
    """Age of the oldest event above the server's ack floor that this consumer has neither
    acknowledged nor parked; 0 when it is at the stream's end."""
    stream = run.stream_view
    if state is None or stream is None or state.ack_floor_seq >= stream.last_seq:
        return 0.0
    for seq in range(state.ack_floor_seq + 1, stream.last_seq + 1):
        if seq in c.acked or seq in c.parked:
            continue
        known = run.published_seq.get(seq)
        return 0.0 if known is None else max(0.0, run.now - known[2])
    return 0.0


def live(run: BrokerRun) -> ServerView | None:
    """The server's side of the live view, as last read; None for direct calls."""
    if not run.uses_broker:
        return None
    stream = run.stream_view
    return ServerView(
        url=run.url or "",
        stream=run.names.stream,
        last_seq=stream.last_seq if stream is not None else 0,
        messages=stream.messages if stream is not None else 0,
        consumers=tuple(
            run.server_view.get(c, ConsumerState(c, 0, 0, 0, 0, 0)) for c in run.consumers
        ),
        reachable=run.reachable and run.broker_up,
        dropped_repeats=run.dropped_repeats,
        dead_letters=len(run.parked),
    )


def final(run: BrokerRun) -> ServerView | None:
    """The server's state as read back after the run; None if it could not be read."""
    final = run.final
    if final is None:
        return None
    return ServerView(
        url=run.url or "",
        stream=run.names.stream,
        last_seq=final.stream.last_seq,
        messages=final.stream.messages,
        consumers=tuple(
            final.consumers.get(c, ConsumerState(c, 0, 0, 0, 0, 0)) for c in run.consumers
        ),
        reachable=True,
        dropped_repeats=run.dropped_repeats,
        dead_letters=len(final.dead_letters),
    )


def snapshot(run: BrokerRun, focus: int | None = None) -> Snapshot:
    """Everything the live view shows; offsets and the log's end as the server last said.

    On JetStream the committed offset is the consumer's ack floor and the log's end the
    stream's last sequence, so "Lag ev" is last sequence − ack floor, from the server.
    """
    ledger, story = run.ledger, run.story
    stream = run.stream_view
    consumers = []
    peak = 0.0
    for c in run.consumers.values():
        state = run.server_view.get(c.name)
        lag_seconds = oldest_age(run, c, state) if run.uses_broker else 0.0
        peak = max(peak, lag_seconds)
        if run.uses_broker:
            offset = state.ack_floor_seq if state is not None else 0
            lag_events = (stream.last_seq if stream is not None else 0) - offset
        else:
            offset, lag_events = None, c.queued
        consumers.append(
            ConsumerView(
                name=c.name,
                status=c.status,
                handled=ledger.handled[c.index],
                skipped=ledger.skipped[c.index],
                duplicates=ledger.duplicates[c.index],
                dead_letters=len(ledger.dead[c.index]),
                lag_events=max(0, lag_events),
                lag_seconds=lag_seconds,
                idempotent=c.spec.idempotent,
                offset=offset,
            )
        )
    run.peak_lag = max(run.peak_lag, peak)
    if focus is None:
        focus = story.latest
    record = story.last
    return Snapshot(
        scenario=run.scenario.name,
        mode=run.mode,
        clock=run.now,
        purchases=ledger.commands,
        planned=run.planned,
        committed=ledger.committed,
        commit_failed=ledger.commits_failed,
        published=ledger.published,
        purchase_id=focus,
        steps=story.steps(focus),
        consumers=tuple(consumers),
        ghost_events=ledger.ghosts_seen,
        lost_events=ledger.lost_seen,
        duplicate_effects=sum(ledger.duplicates),
        dead_letters=len(ledger.dead_letters),
        outbox_backlog=run.store.outbox_backlog() if run.mode == "outbox" else None,
        broker_up=run.broker_up,
        service_status=run.service_status,
        peak_lag_seconds=run.peak_lag,
        what=describe(record) if record is not None else "Waiting for the first learner.",
        last_type=record["type"] if record is not None else None,
        done=run.complete,
        log_end=(stream.last_seq if stream is not None else 0) if run.uses_broker else None,
        repeats=ledger.repeats,
        learner=story.learner(focus),
    )
