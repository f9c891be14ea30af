"""What a scenario's run on the broker and a classroom learner share: five consumers working in
real time on a real server, and the trace records their deliveries make.

Core module: `eventlesson.sim`, and nats-py through `broker.jetstream` (a `Delivery` in, the
`Outcome` its `ConsumerRunner` acts on out); no rich, questionary or typer.
`broker.run.BrokerRun` and `classroom.learner.LearnerSession` are `LiveSession`s: they decide what
a delivery holds (its event, whether it is poison, whether the consumer crashes now), and this
module applies the handler, writes the records (`eventlesson.sim.records`) for the `Ledger` and
the `Story` that listen, and reads each consumer's offset and lag as the server reports them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from eventlesson.broker.jetstream import Delivery, Outcome
from eventlesson.broker.state import ConsumerState
from eventlesson.sim import records
from eventlesson.sim.ledger import Ledger
from eventlesson.sim.scenarios import ConsumerSpec
from eventlesson.sim.services import Event, Handler, default_handler, run_handler
from eventlesson.sim.store import ConsumerStore

Record = dict[str, Any]
Listener = Callable[[Record], None]

IDLE, BUSY, CRASHED, RETRYING = "idle", "busy", "crashed", "retrying"


class LiveConsumer:
    """One consumer: its spec, its own store and handler, its status on the live view, and the
    stream sequences above the server's ack floor it has finished (acknowledged or parked)."""

    def __init__(
        self, spec: ConsumerSpec, index: int, mean: float, rng: random.Random, store_size: int
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.index = index
        self.mean = mean  # model seconds per event
        self.rng = rng  # draws its work
        self.store = ConsumerStore(spec.name, store_size)
        self.handler: Handler = default_handler(spec.idempotent, spec.refresh)
        self.status = IDLE
        self.acked: set[int] = set()
        self.parked: set[int] = set()

    def floor_at(self, ack_floor: int) -> None:
        """The server's ack floor reached `ack_floor`: what is at or below it is its business."""
        self.acked = {seq for seq in self.acked if seq > ack_floor}
        self.parked = {seq for seq in self.parked if seq > ack_floor}

    def oldest_age(
        self, ack_floor: int, end: int, heard_at: Callable[[int], float | None], now: float
    ) -> float:
        """Age of the oldest event above the ack floor, up to `end`, that this consumer has
        neither acknowledged nor parked (its lag in seconds), from when `heard_at` says it was
        published; 0 at the stream's end or when that is not known."""
        for seq in range(ack_floor + 1, end + 1):
            if seq in self.acked or seq in self.parked:
                continue
            heard = heard_at(seq)
            return 0.0 if heard is None else max(0.0, now - heard)
        return 0.0


class LiveSession:
    """A clock from the session's start, the listeners every record goes to (the `ledger`
    first), and the records a consumer's delivery makes."""

    consumers: Mapping[str, LiveConsumer]  # by name, in the lesson's order

    def __init__(self, ledger: Ledger, listeners: Iterable[Listener] = ()) -> None:
        self.ledger = ledger
        self._listeners: list[Listener] = [ledger.feed, *listeners]
        self.last_record: Record | None = None
        self.server_view: dict[str, ConsumerState] = {}  # each consumer, as last read
        self._t0 = time.monotonic()

    @property
    def now(self) -> float:
        return time.monotonic() - self._t0

    def _t(self) -> float:
        return round(self.now, 6)

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, record: Record) -> None:
        self.last_record = record
        for listener in self._listeners:
            listener(record)

    # -- a delivery --

    def _delivered(self, c: LiveConsumer, event: Event, d: Delivery) -> None:
        """The consumer has the event; `d.delivered` is the server's count of deliveries."""
        self._emit(
            records.deliver(self._t(), event.purchase_id, event.id, c.name, d.seq, d.delivered)
        )
        c.status = BUSY

    def _run_handler(
        self, c: LiveConsumer, event: Event, *, committed: bool, offset: int | None
    ) -> str | None:
        """The handler on the consumer's own store, each effect it applied (or the repeat it
        skipped) recorded; the failure's reason, or None."""
        applied, problem = run_handler(c.handler, c.store, event, self.now)
        if problem is not None:
            return problem
        pid = event.purchase_id
        if not applied:
            self._emit(records.duplicate_skipped(self._t(), pid, event.id, c.name))
            return None
        ledger = self.ledger
        for _ in range(applied):
            again = pid < ledger.size and ledger.effects[c.index][pid] > 0
            self._emit(
                records.handle(
                    self._t(),
                    pid,
                    event.id,
                    c.name,
                    c.spec.effect,
                    duplicate=again,
                    committed=committed,
                    offset=offset,
                )
            )
        return None

    def _crash(self, c: LiveConsumer, event: Event, d: Delivery) -> Outcome:
        """After the side effect, before the ack: the server will deliver the event again."""
        c.status = CRASHED
        self._emit(records.consumer_crash(self._t(), event.purchase_id, event.id, c.name, d.seq))
        return Outcome.crash()

    def _ack(self, c: LiveConsumer, d: Delivery, *, end: int, since: float) -> Outcome:
        """Done: acknowledged, with its lag (`end`: the stream's last sequence as known; the
        event waited from `since`)."""
        c.acked.add(d.seq)
        lag_seconds = max(0.0, self.now - since)
        self._emit(records.lag(self._t(), c.name, end - d.seq, lag_seconds, offset=d.seq))
        return Outcome.ack()

    def _handle_failed(self, c: LiveConsumer, event: Event, d: Delivery, reason: str) -> None:
        self._emit(
            records.handle_failed(
                self._t(), event.purchase_id, event.id, c.name, d.delivered, reason
            )
        )

    # -- the server's reading --

    def _event_at(self, seq: int) -> tuple[int, str] | None:
        """The purchase and event id at this stream sequence, if the session knows them."""
        return None

    def _take_floors(self, states: dict[str, ConsumerState]) -> None:
        """A reading of the server: each consumer's ack floor becomes its committed offset."""
        before = self.server_view
        self.server_view = states
        consumers = self.consumers
        for name, state in states.items():
            floor = state.ack_floor_seq
            consumers[name].floor_at(floor)
            old = before.get(name)
            if old is not None and old.ack_floor_seq == floor:
                continue
            known = self._event_at(floor)
            # the next offset it will read, as in the model: one past the ack floor
            self._emit(
                records.offset_commit(
                    self._t(),
                    name,
                    floor + 1,
                    ack_floor=floor,
                    purchase_id=known[0] if known is not None else None,
                    event_id=known[1] if known is not None else None,
                )
            )
