"""The live snapshot: what the view shows at one instant of a run.

Core module: standard library only at import (no rich, questionary or typer; it reads an
`Engine` it is handed, but imports no SimPy itself). Lags are read against the displayed clock,
so the age of the oldest unhandled event grows between events, as a real lag does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eventlesson.sim.ledger import Ledger
from eventlesson.sim.narrate import describe
from eventlesson.sim.state import ConsumerView, Snapshot
from eventlesson.sim.story import Story

if TYPE_CHECKING:
    from eventlesson.sim.engine import Consumer, Engine

WAITING = "Waiting for the first learner."


def consumer_view(
    ledger: Ledger,
    index: int,
    name: str,
    status: str,
    *,
    lag_events: int,
    lag_seconds: float,
    idempotent: bool,
    offset: int | None,
) -> ConsumerView:
    """One consumer's row: its counts as the trace has them (the ledger), its lag and offset as
    the caller measured them (the engine's log, or the server)."""
    return ConsumerView(
        name=name,
        status=status,
        handled=ledger.handled[index],
        skipped=ledger.skipped[index],
        duplicates=ledger.duplicates[index],
        dead_letters=len(ledger.dead[index]),
        lag_events=lag_events,
        lag_seconds=lag_seconds,
        idempotent=idempotent,
        offset=offset,
    )


def from_trace(
    ledger: Ledger,
    story: Story | None,
    say: Callable[[dict[str, Any]], str],
    *,
    scenario: str,
    mode: str,
    clock: float,
    planned: int,
    focus: int | None,
    consumers: tuple[ConsumerView, ...],
    outbox_backlog: int | None,
    broker_up: bool,
    service_status: str,
    peak: float,
    done: bool,
    log_end: int | None,
    last: dict[str, Any] | None = None,
    waiting: str = WAITING,
    repeats: int | None = None,
) -> Snapshot:
    """A snapshot: its counts, the followed purchase's steps (`focus`, default the newest) and
    what just happened (the story's last record, or `last` without a story, said by `say`)
    from the trace; the rest as the run has it. `repeats` defaults to the ledger's."""
    if focus is None and story is not None:
        focus = story.latest
    record = story.last if story is not None else last
    return Snapshot(
        scenario=scenario,
        mode=mode,
        clock=clock,
        purchases=ledger.commands,
        planned=planned,
        committed=ledger.committed,
        commit_failed=ledger.commits_failed,
        published=ledger.published,
        purchase_id=focus,
        steps=story.steps(focus) if story is not None else (),
        consumers=consumers,
        ghost_events=ledger.ghosts_seen,
        lost_events=ledger.lost_seen,
        duplicate_effects=sum(ledger.duplicates),
        dead_letters=len(ledger.dead_letters),
        outbox_backlog=outbox_backlog,
        broker_up=broker_up,
        service_status=service_status,
        peak_lag_seconds=peak,
        what=say(record) if record is not None else waiting,
        last_type=record["type"] if record is not None else None,
        done=done,
        log_end=log_end,
        repeats=ledger.repeats if repeats is None else repeats,
        learner=story.learner(focus) if story is not None else "",
    )


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
            consumer_view(
                ledger,
                c.index,
                c.name,
                c.status,
                lag_events=lag_events,
                lag_seconds=lag_seconds,
                idempotent=c.idempotent,
                offset=c.offset if engine.mode != "sync" else None,
            )
        )
    return from_trace(
        ledger,
        story,
        describe,
        scenario=engine.scenario.name,
        mode=engine.mode,
        clock=shown,
        planned=engine.planned,
        focus=focus,
        consumers=tuple(consumers),
        outbox_backlog=engine.store.outbox_backlog() if engine.mode == "outbox" else None,
        broker_up=engine.broker_up,
        service_status=engine.service_status,
        peak=peak,
        done=done,
        log_end=engine.log.end if engine.mode != "sync" else None,
        last=engine.last_record,
    )
