"""What the live view reads from a run on the broker: the model's snapshot, with offsets and the
log's end as the server last reported them, and the server's own counts.

Core module: standard library only at import (no nats-py, rich, questionary or typer); it reads a
`BrokerRun` it is handed, as `eventlesson.sim.snapshot` reads the model's engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlesson.broker.narrate import describe
from eventlesson.broker.state import ConsumerState, ServerView
from eventlesson.sim.snapshot import consumer_view, from_trace
from eventlesson.sim.state import Snapshot

if TYPE_CHECKING:
    from eventlesson.broker.run import BrokerRun


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
    stream = run.stream_view
    end = stream.last_seq if stream is not None else 0
    consumers = []
    peak = 0.0
    for c in run.consumers.values():
        if run.uses_broker:
            state = run.server_view.get(c.name)
            offset: int | None = state.ack_floor_seq if state is not None else 0
            lag_events = end - (offset or 0)
            lag_seconds = (
                c.oldest_age(state.ack_floor_seq, end, run.occurred_at, run.now)
                if state is not None and stream is not None
                else 0.0
            )
        else:
            offset, lag_events, lag_seconds = None, c.queued, 0.0
        peak = max(peak, lag_seconds)
        consumers.append(
            consumer_view(
                run.ledger,
                c.index,
                c.name,
                c.status,
                lag_events=max(0, lag_events),
                lag_seconds=lag_seconds,
                idempotent=c.spec.idempotent,
                offset=offset,
            )
        )
    run.peak_lag = max(run.peak_lag, peak)
    return from_trace(
        run.ledger,
        run.story,
        describe,
        scenario=run.scenario.name,
        mode=run.mode,
        clock=run.now,
        planned=run.planned,
        focus=focus,
        consumers=tuple(consumers),
        outbox_backlog=run.store.outbox_backlog() if run.mode == "outbox" else None,
        broker_up=run.broker_up,
        service_status=run.service_status,
        peak=run.peak_lag,
        done=run.complete,
        log_end=end if run.uses_broker else None,
    )
