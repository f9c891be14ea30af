"""The host's purchase service: a learner buys a course, the purchase commits to SQLite, then
`purchase.completed` is published to the class's stream, as in `simulate --broker nats`.

Core module: nats-py (through `eventlesson.broker.jetstream`), sqlite3 and the standard library;
no rich, questionary or typer. The order of the steps is the model's own service step
(`eventlesson.sim.services`): `commit_then_publish` for a purchase and a poison event, and
`publish_then_commit` for a ghost, whose commit then fails in the store (`Store.fail_purchase`).
Each step is written down as the model's trace record (command, commit, confirm, publish,
commit_failed), which the host folds and sends on to the learners' screens.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import nats.errors

from eventlesson.broker.jetstream import MSG_ID, Connection
from eventlesson.broker.wire import CURRENCY, encode_event
from eventlesson.classroom.roster import SUBJECT
from eventlesson.classroom.wire import POISON_CURRENCY
from eventlesson.sim import records
from eventlesson.sim.records import TIMEOUT_REASON
from eventlesson.sim.scenarios import COURSES
from eventlesson.sim.services import (
    COMMIT,
    PUBLISH,
    BusSteps,
    Event,
    Purchase,
    StoreSteps,
    commit_then_publish,
    publish_then_commit,
)
from eventlesson.sim.store import Store

Kind = Literal["purchase", "ghost", "poison"]
Record = dict[str, Any]
Emit = Callable[[Record], Awaitable[None]]
PUBLISH_SECONDS = 2.0


class PurchaseService:
    """Completes one purchase at a time: its steps in the design's order, each performed for
    real (an SQLite transaction, a JetStream publish with the event id as `Nats-Msg-Id`)."""

    def __init__(
        self,
        conn: Connection,
        store: Store,
        emit: Emit,
        clock: Callable[[], float],
        *,
        seed: int | None = None,
    ) -> None:
        self.conn = conn
        self.store = store
        self.emit = emit
        self.clock = clock
        self.rng = random.Random(seed)
        self._purchases = itertools.count(1)
        self._events = itertools.count(1)

    def _t(self) -> float:
        return round(self.clock(), 6)

    async def buy(self, kind: Kind = "purchase") -> int:
        """One learner's purchase, start to end; returns its purchase id."""
        pid = next(self._purchases)
        course, cents = COURSES[self.rng.randrange(len(COURSES))]
        asked = self._t()
        await self.emit(records.command(asked, pid, course, cents))
        purchase = Purchase(pid, course, cents, asked)
        steps = StoreSteps()
        design = publish_then_commit if kind == "ghost" else commit_then_publish
        design(steps, BusSteps(steps.steps), purchase)
        published = False
        for step in steps.steps:
            if step[0] == COMMIT:
                if kind == "ghost":  # the database times out after the event went out
                    t = self._t()
                    self.store.fail_purchase(pid, course, cents, t)
                    await self.emit(records.commit_failed(t, pid, TIMEOUT_REASON, ghost=published))
                    return pid
                t = self._t()
                self.store.commit_purchase(pid, course, cents, t)
                await self.emit(records.commit(t, pid))
                await self.emit(records.confirm(t, pid, t - asked))
            elif step[0] == PUBLISH:
                occurred = self.store.committed_at(pid)
                event = Event(
                    f"evt-{next(self._events):06d}",
                    step[1],
                    pid,
                    course,
                    cents,
                    occurred if occurred is not None else self._t(),
                )
                published = await self._publish(event, poison=kind == "poison")
                if not published:
                    return pid
        return pid

    async def _publish(self, event: Event, *, poison: bool) -> bool:
        currency = POISON_CURRENCY if poison else CURRENCY
        try:
            ack = await self.conn.js.publish(
                SUBJECT,
                encode_event(event, currency),
                timeout=PUBLISH_SECONDS,
                headers={MSG_ID: event.id},
            )
        except (TimeoutError, nats.errors.Error) as exc:
            committed = self.store.has_purchase(event.purchase_id)
            await self.emit(
                records.publish_failed(
                    self._t(),
                    event.purchase_id,
                    event.id,
                    f"broker unavailable ({type(exc).__name__})",
                    lost=committed,
                )
            )
            return False
        await self.emit(
            records.publish(
                self._t(),
                event.purchase_id,
                event.id,
                ack.seq,
                event.course,
                event.amount_cents,
                poison=poison,
            )
        )
        return True
