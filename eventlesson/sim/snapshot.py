"""The live snapshot: what the view shows at one instant of a run.

Core module: standard library only at import (no rich, questionary or typer; it reads an
`Engine` it is handed, but imports no SimPy itself). Lags are read against the displayed clock,
so the age of the oldest unhandled event grows between events, as a real lag does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlesson.sim.narrate import describe
from eventlesson.sim.state import ConsumerView, Snapshot
from eventlesson.sim.story import Story

if TYPE_CHECKING:
    from eventlesson.sim.engine import Consumer, Engine


def _lag(engine: Engine, c: Consumer, clock: float) -> tuple[int, float]:
    """Events behind and the age of the oldest of them, at `clock`."""
    if engine.mode == "sync":
        waiting = len(c.queue) + (c.current is not None)
        oldest = c.current or (c.queue[0] if c.queue else None)
        age = clock - oldest.event.occurred_at if oldest is not None else 0.0
        return waiting, max(age, 0.0)
    log = engine.log
    if c.offset >= log.end:
        return 0, 0.0
    return log.end - c.offset, max(0.0, clock - log.at(c.offset).occurred_at)


def take(
    engine: Engine,
    story: Story | None,
    *,
    clock: float | None = None,
    focus: int | None = None,
    peak: float = 0.0,
    done: bool = False,
) -> Snapshot:
    """Everything a view shows; `clock` is the paced display time (never behind the engine),
    `focus` the purchase to follow (default: the newest), `peak` the largest lag shown so far."""
    now = engine.env.now
    shown = now if clock is None else max(clock, now)
    ledger = engine.ledger
    consumers = []
    for c in engine.consumers:
        lag_events, lag_seconds = _lag(engine, c, shown)
        peak = max(peak, lag_seconds)
        consumers.append(
            ConsumerView(
                name=c.name,
                status=c.status,
                handled=ledger.handled[c.index],
                skipped=ledger.skipped[c.index],
                duplicates=ledger.duplicates[c.index],
                dead_letters=len(ledger.dead[c.index]),
                lag_events=lag_events,
                lag_seconds=lag_seconds,
                idempotent=c.idempotent,
                offset=c.offset if engine.mode != "sync" else None,
            )
        )
    if focus is None and story is not None:
        focus = story.latest
    record = story.last if story is not None else engine.last_record
    return Snapshot(
        scenario=engine.scenario.name,
        mode=engine.mode,
        clock=shown,
        purchases=ledger.commands,
        planned=engine.planned,
        committed=ledger.committed,
        commit_failed=ledger.commits_failed,
        published=ledger.published,
        purchase_id=focus,
        steps=story.steps(focus) if story is not None else (),
        consumers=tuple(consumers),
        ghost_events=ledger.ghosts_seen,
        lost_events=ledger.lost_seen,
        duplicate_effects=sum(ledger.duplicates),
        dead_letters=len(ledger.dead_letters),
        outbox_backlog=engine.store.outbox_backlog() if engine.mode == "outbox" else None,
        broker_up=engine.broker_up,
        service_status=engine.service_status,
        peak_lag_seconds=peak,
        what=describe(record) if record is not None else "Waiting for the first learner.",
        last_type=record["type"] if record is not None else None,
        done=done,
        log_end=engine.log.end if engine.mode != "sync" else None,
        repeats=ledger.repeats,
        learner=story.learner(focus) if story is not None else "",
    )
