"""The replaceable parts of a run: the purchase service's step, the outbox relay, the handlers.

Core module: standard library only (no rich, questionary or typer, no SimPy). Each part is a plain
function; the defaults here are the lesson's designs, and a learner's own function with the same
arguments can take a default's place (`Simulation(..., service=..., relay=..., handlers=...)`).

A service step or a relay does not touch the database or the broker directly: it is handed
`StoreSteps`, `BusSteps` and `OutboxSteps`, which write down each call as a step. The engine then
performs the steps in the order they were called, each taking its virtual time (a commit, a
publish), with the run's faults in between; a step that fails (a commit rolled back, a crash, a
publish the broker rejects for good) ends the rest, as an exception would. So the lesson's

    def complete_purchase(store, bus, purchase):
        store.mark_completed(purchase.id)
        bus.publish("purchase.completed", {"purchase_id": purchase.id})

runs as written, and a learner who swaps the two lines sees ghost events. A consumer's handler
is called once per delivery, at the end of its processing time, with the consumer's own store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from eventlesson.sim.scenarios import EVENT_TYPE, Mode
from eventlesson.sim.store import ConsumerCrashed, ConsumerStore, OutboxRow, Store


class Purchase(NamedTuple):
    """One learner's purchase, as the service is asked to complete it."""

    id: int
    course: str
    amount_cents: int
    asked_at: float


class Event(NamedTuple):
    """One published event, as the broker's log holds it and a handler receives it."""

    id: str
    topic: str
    purchase_id: int
    course: str
    amount_cents: int
    occurred_at: float  # when the fact became true (its commit), or the publish if it never did


# the steps a service or relay can write down
COMMIT = "commit"  # (COMMIT, purchase_id, [(topic, payload), ...] outbox rows in the same tx)
PUBLISH = "publish"  # (PUBLISH, topic, payload, event_id or None)
MARK = "mark"  # (MARK, outbox seq)
Step = tuple[Any, ...]


class StoreSteps:
    """The purchase service's database, as a service step sees it: calls become steps."""

    __slots__ = ("_open", "steps")

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self._open: list[Any] | None = None  # the transaction being written down

    def mark_completed(self, purchase_id: int) -> None:
        """Commit the purchase (in the open transaction, if any)."""
        if self._open is not None:
            self._open[1] = purchase_id
        else:
            self.steps.append((COMMIT, purchase_id, []))

    def add_to_outbox(self, topic: str, payload: dict[str, Any]) -> None:
        """Add an outbox row: only inside `transaction()`, with the purchase it announces."""
        if self._open is None:
            raise RuntimeError("add_to_outbox() belongs inside `with store.transaction():`")
        self._open[2].append((topic, payload))

    def transaction(self) -> StoreSteps:
        """`with store.transaction():` writes inside the block commit together, as one step."""
        return self

    def __enter__(self) -> None:
        self._open = [COMMIT, None, []]

    def __exit__(self, kind: object, *_rest: object) -> None:
        step, self._open = self._open, None
        if kind is None and step is not None and step[1] is not None:
            self.steps.append(tuple(step))


class BusSteps:
    """The broker, as a service step or the relay sees it: each publish becomes a step."""

    __slots__ = ("steps",)

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps

    def publish(self, topic: str, payload: dict[str, Any], *, event_id: str | None = None) -> None:
        """Publish `payload` (it names its `purchase_id`); the relay passes the row's event id."""
        self.steps.append((PUBLISH, topic, payload, event_id))


class OutboxSteps:
    """The outbox, as the relay sees it: `pending()` reads now, `mark_published()` is a step."""

    __slots__ = ("_store", "seen", "steps")

    def __init__(self, store: Store, steps: list[Step]) -> None:
        self._store = store
        self.steps = steps
        self.seen: dict[str, OutboxRow] = {}  # rows handed out, by event id

    def pending(self) -> list[OutboxRow]:
        rows = self._store.pending_outbox()
        for row in rows:
            self.seen[row.event_id] = row
        return rows

    def mark_published(self, row: OutboxRow) -> None:
        self.steps.append((MARK, row.seq))


ServiceStep = Callable[[StoreSteps, BusSteps, Purchase], None]
Relay = Callable[[OutboxSteps, BusSteps], None]
Handler = Callable[[ConsumerStore, Event], None]


# -- the purchase service's step, one per design --


def commit_then_publish(store: StoreSteps, bus: BusSteps, purchase: Purchase) -> None:
    """The lesson's order: the purchase becomes true, then the event announces it."""
    store.mark_completed(purchase.id)
    bus.publish(EVENT_TYPE, {"purchase_id": purchase.id})


def publish_then_commit(store: StoreSteps, bus: BusSteps, purchase: Purchase) -> None:
    """The mistake: announce first, then try to make it true."""
    bus.publish(EVENT_TYPE, {"purchase_id": purchase.id})
    store.mark_completed(purchase.id)


def commit_with_outbox(store: StoreSteps, _bus: BusSteps, purchase: Purchase) -> None:
    """The transactional outbox: the purchase and its event row in one transaction."""
    with store.transaction():
        store.mark_completed(purchase.id)
        store.add_to_outbox(EVENT_TYPE, {"purchase_id": purchase.id})


SERVICE_STEPS: dict[str, ServiceStep] = {
    "event": commit_then_publish,
    "publish-first": publish_then_commit,
    "outbox": commit_with_outbox,
}


def default_service(mode: Mode) -> ServiceStep:
    return SERVICE_STEPS[mode]


# -- the outbox relay --


def relay_outbox(outbox: OutboxSteps, bus: BusSteps) -> None:
    """Publish each pending row with its own event id, then mark it published."""
    for row in outbox.pending():
        bus.publish(row.topic, {"purchase_id": row.purchase_id}, event_id=row.event_id)
        outbox.mark_published(row)


# -- the consumers' handlers --


def apply_effect(store: ConsumerStore, event: Event) -> None:
    """Apply the effect on every delivery: a repeat applies it again."""
    store.apply(event.purchase_id, event.amount_cents)


def apply_once(store: ConsumerStore, event: Event) -> None:
    """Idempotent: record the event id with the effect, in one transaction; skip a repeat."""
    store.apply_once(event.id, event.purchase_id, event.amount_cents)


def refresh_view(store: ConsumerStore, event: Event) -> None:
    """Idempotent by nature: recompute the view; a repeat finds it up to date and changes nothing."""
    store.refresh(event.purchase_id, event.amount_cents)


def default_handler(idempotent: bool, refresh: bool = False) -> Handler:
    if refresh:
        return refresh_view
    return apply_once if idempotent else apply_effect


def run_handler(
    handler: Handler,
    store: ConsumerStore,
    event: Event,
    now: float,
    crash_after: int | None = None,
) -> tuple[int, str | None]:
    """Call a consumer's handler on its own store at `now`: how many effects it applied, and
    why the delivery failed (None: it did not; a handler that raises fails it, to be retried).

    `crash_after`: the fault that stops the consumer once that many of the handler's write
    transactions have committed; `store.crashed` says afterwards whether it did. What the
    committed ones wrote is kept and counted, and the crash is not a failure of the handler
    (nor is the error of a handler that caught it and raised another).
    """
    store.now = now
    store.crash_after, store.crashed = crash_after, False
    before = store.applied
    try:
        handler(store, event)
    except ConsumerCrashed:
        pass
    except Exception as exc:
        if not store.crashed:
            store.crash_after = None
            return 0, str(exc) or type(exc).__name__
    store.crash_after = None
    return store.applied - before, None
