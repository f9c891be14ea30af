"""What the learner's functions are handed: the small API an exercise is written against.

Core module: standard library and `eventlesson.sim` only (no rich, questionary or typer). Each
class wraps the simulation's own replaceable part (`eventlesson.sim.services`) and checks every
call as it is made, so a mistake is reported at the learner's own line rather than somewhere
deep in the engine later.

The purchase service: `complete_purchase(store, bus, purchase)`

    purchase.id, purchase.course, purchase.amount_cents   the purchase to complete
    store.mark_completed(purchase.id)     commit the purchase (the fact becomes true)
    with store.transaction():             the writes inside commit together, at the block's end
        store.mark_completed(purchase.id)
        store.add_to_outbox("purchase.completed", {"purchase_id": purchase.id})
    bus.publish("purchase.completed", {"purchase_id": purchase.id})   announce it now

The outbox relay: `relay(outbox, bus)`, called whenever new rows may be waiting

    outbox.pending()                      rows not yet marked: row.event_id, row.topic,
                                          row.purchase_id, row.course, row.amount_cents
    bus.publish(row.topic, {"purchase_id": row.purchase_id}, event_id=row.event_id)
    outbox.mark_published(row)            the row is sent: never hand it out again

A consumer's handler: `handle_<consumer>(store, event)`, e.g. `handle_email`, once per delivery

    event.id, event.purchase_id, event.amount_cents       the delivered event
    store.apply(event.purchase_id, event.amount_cents)    the effect (the email is sent)
    store.seen(event.id)                  whether this event id is recorded as processed
    with store.transaction() as tx:       tx.seen(id), tx.remember(id), tx.apply(...): written
                                          together when the block ends, or not at all

Every step takes its virtual time in the order it was called: a commit, then a publish, or the
other way round, exactly as the learner wrote them.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from eventlesson.sim.scenarios import EVENT_TYPE
from eventlesson.sim.services import BusSteps, OutboxSteps, StoreSteps
from eventlesson.sim.store import ConsumerStore, OutboxRow, Transaction


class Misuse(Exception):
    """A call the API does not allow; reported at the learner's line that made it."""


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_purchase_id(value: object, expected: int, call: str) -> None:
    if not _whole(value):
        raise Misuse(f"{call} takes the purchase's id (purchase.id), a number; got {value!r}")
    if value != expected:
        raise Misuse(f"{call} is for the purchase being completed ({expected}); got {value}")


def _check_topic(topic: object, call: str) -> None:
    if topic != EVENT_TYPE:
        raise Misuse(
            f"{call}: the consumers subscribe to {EVENT_TYPE!r}; nobody listens to {topic!r}"
        )


def _check_payload(payload: object, expected: int, call: str) -> dict[str, Any]:
    if not isinstance(payload, dict) or "purchase_id" not in payload:
        raise Misuse(f'{call} takes a payload like {{"purchase_id": {expected}}}; got {payload!r}')
    _check_purchase_id(payload["purchase_id"], expected, f'{call}\'s "purchase_id"')
    return dict(payload)


# -- the purchase service ------------------------------------------------------------------------


class ServiceStore:
    """The purchase service's database, as `complete_purchase(store, bus, purchase)` sees it."""

    __slots__ = ("_completed", "_in_transaction", "_purchase_id", "_rows", "_steps")

    def __init__(self, steps: StoreSteps, purchase_id: int) -> None:
        self._steps = steps
        self._purchase_id = purchase_id
        self._completed = False
        self._in_transaction = False
        self._rows = 0  # outbox rows in the open transaction

    def mark_completed(self, purchase_id: int) -> None:
        """Commit the purchase; inside `with store.transaction():` at the block's end."""
        _check_purchase_id(purchase_id, self._purchase_id, "store.mark_completed()")
        if self._completed:
            raise Misuse("store.mark_completed() was already called for this purchase")
        self._completed = True
        self._steps.mark_completed(purchase_id)

    def add_to_outbox(self, topic: str, payload: dict[str, Any]) -> None:
        """Write an outbox row: only inside `with store.transaction():`, with its purchase."""
        if not self._in_transaction:
            raise Misuse(
                "store.add_to_outbox() belongs inside `with store.transaction():`, together "
                "with store.mark_completed(purchase.id)"
            )
        _check_topic(topic, "store.add_to_outbox()")
        row = _check_payload(payload, self._purchase_id, "store.add_to_outbox()")
        self._rows += 1
        self._steps.add_to_outbox(topic, row)

    def transaction(self) -> _ServiceTransaction:
        """`with store.transaction():` - the writes inside commit together, as one step."""
        return _ServiceTransaction(self)


class _ServiceTransaction:
    __slots__ = ("_marked_before", "_store")

    def __init__(self, store: ServiceStore) -> None:
        self._store = store
        self._marked_before = False

    def __enter__(self) -> ServiceStore:
        store = self._store
        if store._in_transaction:
            raise Misuse("transactions do not nest: one `with store.transaction():` is enough")
        store._in_transaction = True
        store._rows = 0
        self._marked_before = store._completed
        store._steps.__enter__()
        return store

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        store = self._store
        store._in_transaction = False
        marked_inside = store._completed and not self._marked_before
        if kind is None and store._rows and not marked_inside:
            store._steps.__exit__(Misuse)  # written down as rolled back: nothing commits
            raise Misuse(
                "an outbox row needs its purchase in the same transaction: call "
                "store.mark_completed(purchase.id) inside the `with store.transaction():` block"
            )
        store._steps.__exit__(kind, value, traceback)


class ServiceBus:
    """The broker, as the purchase service sees it: a publish goes out when it is called."""

    __slots__ = ("_purchase_id", "_steps")

    def __init__(self, steps: BusSteps, purchase_id: int) -> None:
        self._steps = steps
        self._purchase_id = purchase_id

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """Publish `payload` (it names the purchase: {"purchase_id": purchase.id}) on `topic`."""
        _check_topic(topic, "bus.publish()")
        self._steps.publish(topic, _check_payload(payload, self._purchase_id, "bus.publish()"))


# -- the outbox relay ------------------------------------------------------------------------------


class RelayOutbox:
    """The outbox, as the relay sees it: `pending()` reads it now, `mark_published()` is a step."""

    __slots__ = ("_steps", "handed")

    def __init__(self, steps: OutboxSteps) -> None:
        self._steps = steps
        self.handed: dict[str, OutboxRow] = {}  # rows pending() gave out, by event id

    def pending(self) -> list[OutboxRow]:
        """The rows not yet marked published, oldest first (at most a batch of them)."""
        rows = self._steps.pending()
        for row in rows:
            self.handed[row.event_id] = row
        return rows

    def mark_published(self, row: OutboxRow) -> None:
        """The row has been sent: the relay will not be handed it again."""
        if not isinstance(row, OutboxRow) or self.handed.get(row.event_id) != row:
            raise Misuse(f"outbox.mark_published() takes a row from outbox.pending(); got {row!r}")
        self._steps.mark_published(row)


class RelayBus:
    """The broker, as the relay sees it: each row is published with its own event id."""

    __slots__ = ("_outbox", "_steps")

    def __init__(self, steps: BusSteps, outbox: RelayOutbox) -> None:
        self._steps = steps
        self._outbox = outbox

    def publish(self, topic: str, payload: dict[str, Any], *, event_id: str | None = None) -> None:
        """Publish a row: `bus.publish(row.topic, {...}, event_id=row.event_id)`."""
        if event_id is None:
            raise Misuse(
                "the relay publishes each row with its own id, so that a consumer can tell a "
                "repeat: bus.publish(row.topic, {...}, event_id=row.event_id)"
            )
        row = self._outbox.handed.get(event_id) if isinstance(event_id, str) else None
        if row is None:
            raise Misuse(f"event_id={event_id!r} is not the id of a row from outbox.pending()")
        _check_topic(topic, "bus.publish()")
        checked = _check_payload(payload, row.purchase_id, "bus.publish()")
        self._steps.publish(topic, checked, event_id=event_id)


# -- a consumer's handler ----------------------------------------------------------------------------


class HandlerStore:
    """A consumer's own store, as `handle_<consumer>(store, event)` sees it."""

    __slots__ = ("_purchase_id", "_store")

    def __init__(self, store: ConsumerStore, purchase_id: int) -> None:
        self._store = store
        self._purchase_id = purchase_id

    def seen(self, event_id: str) -> bool:
        """Whether this event id is recorded as processed."""
        return self._store.seen(_event_id(event_id, "store.seen()"))

    def apply(self, purchase_id: int, amount_cents: int) -> None:
        """Apply the consumer's effect for the purchase (a transaction of one write)."""
        _check_effect(purchase_id, amount_cents, self._purchase_id, "store.apply()")
        self._store.apply(purchase_id, amount_cents)

    def transaction(self) -> HandlerTransaction:
        """`with store.transaction() as tx:` - tx's writes land together, or not at all."""
        return HandlerTransaction(self._store.transaction(), self._purchase_id)


class HandlerTransaction:
    """Writes staged in a consumer's store, applied together when the `with` block ends cleanly."""

    __slots__ = ("_purchase_id", "_tx")

    def __init__(self, tx: Transaction, purchase_id: int) -> None:
        self._tx = tx
        self._purchase_id = purchase_id

    def __enter__(self) -> HandlerTransaction:
        self._tx.__enter__()
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        self._tx.__exit__(kind, *rest)

    def seen(self, event_id: str) -> bool:
        """Whether this event id is processed (already, or earlier in this transaction)."""
        return self._tx.seen(_event_id(event_id, "tx.seen()"))

    def remember(self, event_id: str) -> None:
        """Record the event id as processed (when the transaction ends)."""
        self._tx.remember(_event_id(event_id, "tx.remember()"))

    def apply(self, purchase_id: int, amount_cents: int) -> None:
        """Apply the effect for the purchase (when the transaction ends)."""
        _check_effect(purchase_id, amount_cents, self._purchase_id, "tx.apply()")
        self._tx.apply(purchase_id, amount_cents)


def _event_id(value: object, call: str) -> str:
    if not isinstance(value, str):
        raise Misuse(f"{call} takes an event id (event.id), text; got {value!r}")
    return value


def _check_effect(purchase_id: object, cents: object, expected: int, call: str) -> None:
    if purchase_id != expected or not _whole(purchase_id):
        raise Misuse(
            f"{call} is for the delivered event's purchase (event.purchase_id = {expected}); "
            f"got {purchase_id!r}"
        )
    if not _whole(cents):
        raise Misuse(f"{call} takes the amount in cents (event.amount_cents); got {cents!r}")
