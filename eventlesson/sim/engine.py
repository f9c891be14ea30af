"""The engine: learners, the purchase service, the broker's log, the relay and five consumers.

Core module: SimPy and the standard library only (no rich, questionary or typer). It never
sleeps: a caller drives it with `peek()`/`step()` or lets it run. It keeps only what it needs to
run (queues, offsets, the log, who is up) and reports everything it does as trace records: to the
`Ledger` always (one typed call per record), and as dicts to listeners when someone listens, so an
unwatched run pays nothing for JSON-shaped records. It draws no conclusions: which events were
ghosts, lost or duplicated is for the read-out to find in the trace and the stores.

The service's step, the relay and the handlers are the replaceable parts in `services`; faults
come from a `FaultSchedule`. Learners arrive on their own schedule and queue for the purchase
service, which completes one purchase at a time; consumers, like the service, are small state
machines driven by timeout callbacks (one scheduled event per step, no generator to resume),
which is what keeps a 100,000-purchase run fast.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, cast

import simpy
from simpy.events import Timeout

from eventlesson.sim import records
from eventlesson.sim.faults import FaultSchedule
from eventlesson.sim.ledger import COMMITTED, PUBLISHED, Ledger
from eventlesson.sim.records import POISON_REASON, ROLLBACK_REASON, TIMEOUT_REASON
from eventlesson.sim.scenarios import (
    BROKER_RETRY_SECONDS,
    CALL_TIMEOUT_SECONDS,
    COMMIT_SECONDS,
    CONSUMER_RESTART_SECONDS,
    CONSUMERS,
    COURSES,
    EVENT_TYPE,
    MAX_DELIVERIES,
    RELAY_RESTART_SECONDS,
    RETRY_BACKOFF_SECONDS,
    SERVICE_RESTART_SECONDS,
    ConsumerSpec,
    Scenario,
)
from eventlesson.sim.services import (
    COMMIT,
    MARK,
    PUBLISH,
    BusSteps,
    Event,
    Handler,
    OutboxSteps,
    Purchase,
    Relay,
    ServiceStep,
    Step,
    StoreSteps,
    default_handler,
    default_service,
    relay_outbox,
    run_handler,
)
from eventlesson.sim.store import (
    OUTBOX_BATCH,
    ConsumerStore,
    OutboxRow,
    RolledBack,
    Store,
)

Record = dict[str, Any]
Listener = Callable[[Record], None]
Callback = Callable[[simpy.Event], None]

IDLE, BUSY, CRASHED, RETRYING = "idle", "busy", "crashed", "retrying"
DOWN, WAITING = "down", "waiting"  # the consumer's own outage; the broker's
PROGRESS_EVERY = 10_000  # learners between progress reports (long unwatched runs)
TRIM_AT = 4096  # broker log entries kept before dropping those every consumer has committed


class Log:
    """The broker's append-only log; offsets are absolute, entries below every commit dropped."""

    __slots__ = ("base", "end", "entries")

    def __init__(self) -> None:
        self.entries: list[Event] = []
        self.base = 0  # offset of entries[0]
        self.end = 0  # next offset to write

    def append(self, event: Event) -> int:
        self.entries.append(event)
        self.end += 1
        return self.end - 1

    def at(self, offset: int) -> Event:
        return self.entries[offset - self.base]

    def trim(self, low: int) -> None:
        if low > self.base:
            del self.entries[: low - self.base]
            self.base = low


class Call:
    """The synchronous chain: one purchase working its way through the consumers, in order."""

    __slots__ = ("event", "index", "purchase")

    def __init__(self, purchase: Purchase, event: Event) -> None:
        self.purchase = purchase
        self.event = event
        self.index = 0  # the consumer it calls next


class Consumer:
    """One consumer group: its committed offset, its speed, its own store and its handler."""

    __slots__ = (
        "crashy",
        "current",
        "deliveries",
        "down",
        "entry",
        "handler",
        "idempotent",
        "index",
        "name",
        "offset",
        "on_handled",
        "on_restart",
        "on_retry",
        "parked",
        "queue",
        "rate",
        "rng",
        "spec",
        "status",
        "store",
        "waiting",
    )

    def __init__(
        self, spec: ConsumerSpec, index: int, mean: float, seed: int, store: ConsumerStore
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.index = index
        self.idempotent = spec.idempotent
        self.rate = 1.0 / mean
        self.rng = random.Random(f"{seed}:{spec.name}")  # its own stream: faults elsewhere
        self.store = store
        self.handler: Handler = default_handler(spec.idempotent, spec.refresh)
        self.offset = 0  # committed offset: the next event to handle
        self.waiting = True  # idle at the log's end: a publish hands it the next event
        self.parked = False  # held by an outage: the end of it hands it the next event
        self.down = False  # its own outage
        self.entry: Event | None = None  # the event being handled
        self.crashy = False
        self.status = IDLE
        self.deliveries = 0  # deliveries of the event at `offset` so far
        self.queue: deque[Call] = deque()  # the synchronous chain: calls waiting for it
        self.current: Call | None = None
        self.on_handled: Callback
        self.on_restart: Callback
        self.on_retry: Callback


class Engine:
    """One run of one scenario on SimPy. Build it, then `env.run()` it or `step()` it."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int,
        planned: int,
        schedule: FaultSchedule,
        store: Store,
        consumer_stores: Mapping[str, ConsumerStore],
        ledger: Ledger,
        service: ServiceStep | None = None,
        relay: Relay | None = None,
        handlers: Mapping[str, Handler] | None = None,
    ) -> None:
        self.scenario = scenario
        self.mode = scenario.mode
        self.planned = planned
        self.schedule = schedule
        self.store = store
        self.ledger = ledger
        self.env = simpy.Environment()
        self.log = Log()
        self.service: ServiceStep | None = None
        if self.mode != "sync":
            self.service = service or default_service(self.mode)
        self.relay: Relay = relay or relay_outbox
        self.consumers = [
            Consumer(spec, i, scenario.mean(spec), seed, consumer_stores[spec.name])
            for i, spec in enumerate(CONSUMERS)
        ]
        for c in self.consumers:
            if handlers and c.name in handlers:
                c.handler = handlers[c.name]
            c.crashy = schedule.may_crash(c.name)
            if self.mode == "sync":
                c.on_handled = partial(self._call_done, c)
            else:
                c.on_handled = partial(self._handled, c)
                c.on_restart = partial(self._restarted, c)
                c.on_retry = partial(self._retry, c)
        self.listeners: list[Listener] = []
        self.last_record: Record | None = None
        self.on_progress: Callable[[int], None] | None = None  # told every PROGRESS_EVERY learners
        self.commands = 0
        self.service_status = IDLE
        self.broker_up = True
        self._arrivals = random.Random(f"{seed}:arrivals")
        self._queue: deque[Purchase] = deque()  # learners waiting for the purchase service
        self._event_seq = 0
        # the purchase the service is working on, and the steps its function wrote down
        self._purchase: Purchase | None = None
        self._plan: list[Step] = []
        self._at = 0  # index of the step being performed
        self._committed_at: float | None = None
        self._crash_in_window = False
        self._tries = 0  # attempts at the current publish
        self._event_id = ""  # the id the current publish carries
        # the relay
        self._relay_plan: list[Step] = []
        self._relay_at = 0
        self._relay_idle = True
        self._woken = False  # an outbox commit since the relay last read
        self._outbox_used = False  # the service has written outbox rows
        self._rows: dict[str, OutboxRow] = {}  # rows the relay read, by event id
        self._outbox = OutboxSteps(store, [])  # what the relay function is handed
        self._relay_bus = BusSteps([])

        self._arrive_later()  # the first learner; each arrival schedules the next
        for window in schedule.broker_windows():
            self.env.process(self._broker_outage(*window))
        for c in self.consumers:
            for window in schedule.consumer_windows(c.name):
                self.env.process(self._consumer_outage(c, *window))

    def _emit(self, record: Record) -> None:
        self.last_record = record
        for listener in self.listeners:
            listener(record)

    def _t(self) -> float:
        return round(self.env.now, 6)

    # -- learners and the purchase service --

    def _arrive_later(self) -> None:
        """Schedule the next learner. Arrivals run on their own clock, whatever the service does."""
        gap = self._arrivals.expovariate(self.scenario.arrival_rate)
        Timeout(self.env, gap).callbacks.append(self._arrived)

    def _arrived(self, _event: simpy.Event) -> None:
        self.commands += 1
        pid = self.commands
        course, cents = COURSES[int(self._arrivals.random() * len(COURSES))]
        now = self.env.now
        self.ledger.command(now, pid)
        if self.listeners:
            waits = "restart" if self.service_status == CRASHED else None
            self._emit(records.command(self._t(), pid, course, cents, waits=waits))
        if pid < self.planned:
            self._arrive_later()
        if pid % PROGRESS_EVERY == 0 and self.on_progress is not None:
            self.on_progress(pid)
        purchase = Purchase(pid, course, cents, now)
        if self.mode == "sync":  # the chain: every request runs its own inline calls
            Timeout(self.env, COMMIT_SECONDS, purchase).callbacks.append(self._call_committed)
            return
        self._queue.append(purchase)
        if self.service_status == IDLE:
            self._serve()

    def _next_event_id(self) -> str:
        self._event_seq += 1
        return f"evt-{self._event_seq:06d}"

    def _serve(self) -> None:
        """Take the next waiting learner and write down the service's steps, or go idle."""
        queue = self._queue
        if not queue:
            self.service_status = IDLE
            self._purchase = None
            return
        purchase = queue.popleft()
        self.service_status = BUSY
        self._purchase = purchase
        self._committed_at = None
        self._crash_in_window = False
        store = StoreSteps()
        assert self.service is not None
        self.service(store, BusSteps(store.steps), purchase)
        self._plan = store.steps
        self._at = 0
        self._perform()

    def _perform(self) -> None:
        """Start the next step of the current purchase; each takes its own virtual time."""
        plan, at = self._plan, self._at
        if at >= len(plan):
            self._serve()
            return
        kind = plan[at][0]
        if kind == COMMIT:
            Timeout(self.env, COMMIT_SECONDS).callbacks.append(self._committed)
        elif kind == PUBLISH:
            self._tries = 0
            self._event_id = plan[at][3] or self._next_event_id()
            if self._crash_in_window:  # the fault: the service dies half-way through
                half = self.scenario.publish_seconds / 2
                Timeout(self.env, half).callbacks.append(self._crashed_in_window)
            else:
                Timeout(self.env, self.scenario.publish_seconds).callbacks.append(self._published)
        else:  # nothing else belongs in a service's steps
            self._at += 1
            self._perform()

    def _committed(self, _event: simpy.Event) -> None:
        purchase = self._purchase
        assert purchase is not None
        step = self._plan[self._at]
        pid, rows = step[1], step[2]
        course, cents = purchase.course, purchase.amount_cents
        now = self.env.now
        schedule, store, ledger = self.schedule, self.store, self.ledger
        if schedule.commit_fails(pid):
            store.fail_purchase(pid, course, cents, now)
            ghost = bool(ledger.flags[pid] & PUBLISHED)
            ledger.commit_failed(now, pid)
            if self.listeners:
                self._emit(records.commit_failed(self._t(), pid, TIMEOUT_REASON, ghost=ghost))
            self._serve()  # a failed step ends the rest
            return
        if rows:
            self._outbox_used = True
            ids = [(self._next_event_id(), topic) for topic, _payload in rows]
            try:
                store.commit_with_outbox(
                    pid,
                    course,
                    cents,
                    now,
                    ids,
                    crash_between=schedule.crashes_mid_transaction(pid),
                )
            except RolledBack:
                ledger.commit_failed(now, pid, rolled_back=True)
                if self.listeners:
                    self._emit(
                        records.commit_failed(
                            self._t(), pid, ROLLBACK_REASON, ghost=False, rolled_back=True
                        )
                    )
                self._service_crash(pid, lost=False)
                return
            ledger.commit(now, pid)
            if self.listeners:
                self._emit(records.commit(self._t(), pid, outbox_event=ids[0][0]))
            self._wake_relay()
        else:
            store.commit_purchase(pid, course, cents, now)
            ledger.commit(now, pid)
            if self.listeners:
                self._emit(records.commit(self._t(), pid))
        self._committed_at = now
        # the learner is confirmed at the commit: the store's answer is the service's answer
        latency = now - purchase.asked_at
        ledger.confirm(now, pid, latency)
        if self.listeners:
            self._emit(records.confirm(self._t(), pid, latency))
        self._at += 1
        if schedule.service_crashes(pid):
            rest = self._plan[self._at :]
            if rest and rest[0][0] == PUBLISH:
                self._crash_in_window = True  # dies inside the commit-to-publish window
            else:
                self._service_crash(pid, lost=False)  # nothing left to lose (the outbox has it)
                return
        self._perform()

    def _crashed_in_window(self, _event: simpy.Event) -> None:
        purchase = self._purchase
        assert purchase is not None
        self._service_crash(purchase.id, lost=self._committed_at is not None)

    def _service_crash(self, pid: int, lost: bool) -> None:
        self.service_status = CRASHED  # arriving learners queue until the restart
        self.ledger.crash(self.env.now, None, pid, lost)
        if self.listeners:
            self._emit(records.component_crash(self._t(), pid, "purchase-service", lost=lost))
        Timeout(self.env, SERVICE_RESTART_SECONDS, pid).callbacks.append(self._service_restarted)

    def _service_restarted(self, event: simpy.Event) -> None:
        self.ledger.other(self.env.now, "restart")
        if self.listeners:
            self._emit(
                records.restart(self._t(), component="purchase-service", purchase_id=event.value)
            )
        self._wake_relay()  # a restarted service wakes the relay too (outbox)
        self._serve()

    def _published(self, _event: simpy.Event) -> None:
        purchase = self._purchase
        assert purchase is not None
        _kind, topic, payload, _given = self._plan[self._at]
        pid = payload.get("purchase_id", purchase.id)
        if not self.broker_up:
            self._tries += 1
            gave_up = self._tries > self.scenario.publish_retries
            self._rejected(pid, self._event_id, gave_up)
            if gave_up:
                self._serve()  # the rest of this purchase's steps never happen
            else:
                self.service_status = RETRYING  # the next learners wait behind this one
                Timeout(self.env, BROKER_RETRY_SECONDS).callbacks.append(self._publish_again)
            return
        self.service_status = BUSY
        occurred = self._committed_at if self._committed_at is not None else self.env.now
        event = Event(self._event_id, topic, pid, purchase.course, purchase.amount_cents, occurred)
        self._append(event, None)
        self._at += 1
        self._perform()

    def _publish_again(self, _event: simpy.Event) -> None:
        Timeout(self.env, self.scenario.publish_seconds).callbacks.append(self._published)

    def _rejected(self, pid: int, event_id: str, gave_up: bool) -> None:
        self.ledger.publish_failed(self.env.now, pid, gave_up)
        if self.listeners:
            self._emit(
                records.publish_failed(
                    self._t(),
                    pid,
                    event_id,
                    "broker unavailable",
                    retry_in=BROKER_RETRY_SECONDS,
                    lost=bool(self.ledger.flags[pid] & COMMITTED) if gave_up else None,
                )
            )

    # -- the broker --

    def _append(self, event: Event, via: str | None) -> None:
        """The broker appends the event to its log and hands it to idle consumers."""
        log = self.log
        offset = log.append(event)
        pid = event.purchase_id
        ledger = self.ledger
        if self.listeners:
            record = records.publish(
                self._t(),
                pid,
                event.id,
                offset,
                event.course,
                event.amount_cents,
                via=via,
                repeat=bool(ledger.flags[pid] & PUBLISHED),
            )
            ledger.publish(self.env.now, pid, offset)
            self._emit(record)
        else:
            ledger.publish(self.env.now, pid, offset)
        for c in self.consumers:
            if c.waiting:
                self._next(c)
        if len(log.entries) > TRIM_AT:
            log.trim(min(c.offset for c in self.consumers))

    def _broker_outage(self, start: float, duration: float) -> Any:
        env = self.env
        if start > env.now:
            yield env.timeout(start - env.now)
        self.broker_up = False
        self.ledger.other(env.now, "broker_down")
        if self.listeners:
            self._emit(records.broker_down(self._t(), env.now + duration))
        yield env.timeout(duration)
        self.broker_up = True
        self.ledger.other(env.now, "broker_up")
        if self.listeners:
            self._emit(records.broker_up(self._t()))
        self._unpark()

    def _consumer_outage(self, c: Consumer, start: float, duration: float) -> Any:
        env = self.env
        if start > env.now:
            yield env.timeout(start - env.now)
        c.down = True
        self.ledger.other(env.now, "consumer_down")
        if self.listeners:
            self._emit(records.consumer_down(self._t(), c.name, env.now + duration))
        if self.mode == "sync":
            c.status = DOWN
        yield env.timeout(duration)
        c.down = False
        self.ledger.other(env.now, "consumer_up")
        if self.listeners:
            self._emit(records.consumer_up(self._t(), c.name))
        if self.mode == "sync":
            c.status = BUSY if c.current is not None else IDLE
        self._unpark()

    def _unpark(self) -> None:
        for c in self.consumers:
            if c.parked:
                c.parked = False
                self._next(c)

    # -- the outbox relay --

    def _wake_relay(self) -> None:
        """New rows (or a restart): an idle relay reads; a busy one reads again after its batch."""
        self._woken = True
        # any run whose service wrote outbox rows gets its relay: a learner's service may choose
        # the outbox in a scenario built without one (`simulate --with`, the exercises)
        if self._relay_idle and (self.mode == "outbox" or self._outbox_used):
            self._relay_idle = False
            self._relay_read()

    def _relay_read(self) -> None:
        """Run the relay function: it reads the outbox now and writes down its steps."""
        self._woken = False
        outbox = self._outbox
        steps = outbox.steps = self._relay_bus.steps = []
        rows = outbox.seen = {}
        self.relay(outbox, self._relay_bus)
        self._rows = rows  # what it read: the rows its publishes refer to
        if not steps:
            self._relay_idle = True  # a commit (or the service's restart) wakes it
            return
        self._relay_plan = steps
        self._relay_at = 0
        self._relay_perform()

    def _relay_perform(self) -> None:
        plan = self._relay_plan
        while self._relay_at < len(plan):
            step = plan[self._relay_at]
            if step[0] == PUBLISH:
                Timeout(self.env, self.scenario.publish_seconds).callbacks.append(
                    self._relay_published
                )
                return
            if step[0] == MARK:
                self.store.mark_published(step[1], self.env.now)
            self._relay_at += 1
        if self._woken or len(self._rows) >= OUTBOX_BATCH:  # there may be more: read again
            self._relay_read()
        else:  # it has read every row there is (the next commit wakes it)
            self._relay_idle = True

    def _relay_published(self, _event: simpy.Event) -> None:
        _kind, topic, _payload, event_id = self._relay_plan[self._relay_at]
        row = self._rows.get(event_id) if event_id else None
        if row is None:  # a relay that publishes something it did not read: skip it
            self._relay_at += 1
            self._relay_perform()
            return
        pid = row.purchase_id
        if not self.broker_up:
            self._rejected(pid, row.event_id, False)
            Timeout(self.env, BROKER_RETRY_SECONDS).callbacks.append(self._relay_retry)
            return
        event = Event(row.event_id, topic, pid, row.course, row.amount_cents, row.occurred_at)
        self._append(event, "relay")
        if self.schedule.relay_crashes(pid):
            self.ledger.crash(self.env.now, None, pid, False)
            if self.listeners:
                self._emit(records.component_crash(self._t(), pid, "relay", event_id=row.event_id))
            Timeout(self.env, RELAY_RESTART_SECONDS).callbacks.append(self._relay_restarted)
            return
        self._relay_at += 1
        self._relay_perform()

    def _relay_retry(self, _event: simpy.Event) -> None:
        self._relay_read()

    def _relay_restarted(self, _event: simpy.Event) -> None:
        self.ledger.other(self.env.now, "restart")
        if self.listeners:
            self._emit(records.restart(self._t(), component="relay"))
        self._relay_read()  # the unmarked row is read, and published, again

    # -- consumers --

    def _next(self, c: Consumer) -> None:
        """Take the event at the committed offset, or wait: at the log's end, or for an outage."""
        log = self.log
        if c.offset >= log.end:
            c.status = IDLE
            c.waiting = True
            return
        c.waiting = False
        if not self.broker_up or c.down:
            c.status = DOWN if c.down else WAITING
            c.parked = True
            return
        entry = log.entries[c.offset - log.base]
        c.entry = entry
        c.deliveries += 1
        c.status = BUSY
        self.ledger.deliver(self.env.now, c.index, c.deliveries)
        if self.listeners:
            self._emit(
                records.deliver(
                    self._t(), entry.purchase_id, entry.id, c.name, c.offset, c.deliveries
                )
            )
        Timeout(self.env, c.rng.expovariate(c.rate)).callbacks.append(c.on_handled)

    def _run_handler(self, c: Consumer, event: Event, crash_after: int | None = None) -> str | None:
        """The handler on the consumer's own store (`services.run_handler`, with the fault
        `crash_after`), each effect it applied recorded; the failure's reason, or None."""
        store = c.store
        applied, problem = run_handler(c.handler, store, event, self.env.now, crash_after)
        if problem is not None:
            return problem
        ledger, pid = self.ledger, event.purchase_id
        if not applied:
            if store.crashed:
                return None  # it died before writing anything: nothing was skipped
            ledger.duplicate_skipped(self.env.now, c.index)
            if self.listeners:
                self._emit(records.duplicate_skipped(self._t(), pid, event.id, c.name))
            return None
        for _ in range(applied):
            before_count = ledger.handle(self.env.now, c.index, pid)
            if self.listeners:
                self._emit(
                    records.handle(
                        self._t(),
                        pid,
                        event.id,
                        c.name,
                        c.spec.effect,
                        duplicate=bool(before_count),
                        committed=bool(ledger.flags[pid] & COMMITTED),
                        offset=c.offset if self.mode != "sync" else None,
                    )
                )
        return None

    def _handled(self, c: Consumer, _event: simpy.Event) -> None:
        entry = c.entry
        assert entry is not None
        pid = entry.purchase_id
        schedule = self.schedule
        if schedule.has_poison and schedule.poisoned(c.name, pid):
            self._failed(c, entry, POISON_REASON)
            return
        first = c.crashy and c.deliveries == 1
        between = first and schedule.crashes_between_transactions(c.name, pid)
        problem = self._run_handler(c, entry, crash_after=1 if between else None)
        if c.store.crashed:
            # after the handler's first transaction, before its next: the event will come back
            self._crash(c, entry, between=True)
            return
        if problem is not None:
            self._failed(c, entry, problem)
            return
        if first and schedule.consumer_crashes(c.name, pid):
            # after the side effect, before the offset commit: the event will come back
            self._crash(c, entry)
            return
        self._commit_offset(c, entry)
        self._next(c)

    def _crash(self, c: Consumer, entry: Event, *, between: bool = False) -> None:
        """The consumer dies before committing its offset; it restarts, and reads it again."""
        pid = entry.purchase_id
        c.status = CRASHED
        self.ledger.crash(self.env.now, c.index, pid, False)
        if self.listeners:
            self._emit(
                records.consumer_crash(self._t(), pid, entry.id, c.name, c.offset, between=between)
            )
        Timeout(self.env, CONSUMER_RESTART_SECONDS).callbacks.append(c.on_restart)

    def _restarted(self, c: Consumer, _event: simpy.Event) -> None:
        self.ledger.other(self.env.now, "restart")
        if self.listeners:
            self._emit(records.restart(self._t(), consumer=c.name))
        self._next(c)  # from the committed offset: the crashed event is delivered again

    def _retry(self, c: Consumer, _event: simpy.Event) -> None:
        self._next(c)

    def _commit_offset(self, c: Consumer, entry: Event) -> None:
        c.offset += 1
        c.deliveries = 0
        now = self.env.now
        lag_events = self.log.end - c.offset
        lag_seconds = now - entry.occurred_at
        ledger = self.ledger
        ledger.offset_commit(now, c.index, c.offset)
        ledger.lag(now, c.index, lag_events, lag_seconds)
        if self.listeners:
            t = self._t()
            self._emit(
                records.offset_commit(
                    t, c.name, c.offset, purchase_id=entry.purchase_id, event_id=entry.id
                )
            )
            self._emit(records.lag(t, c.name, lag_events, lag_seconds, offset=c.offset))

    def _failed(self, c: Consumer, entry: Event, reason: str) -> None:
        """A delivery failed: retry with a growing pause, then park it in the dead-letter queue."""
        pid = entry.purchase_id
        self.ledger.handle_failed(self.env.now, c.index, c.deliveries)
        if self.listeners:
            self._emit(
                records.handle_failed(self._t(), pid, entry.id, c.name, c.deliveries, reason)
            )
        if c.deliveries < MAX_DELIVERIES:
            c.status = RETRYING  # and every event behind this one waits (head-of-line)
            delay = RETRY_BACKOFF_SECONDS * c.deliveries
            Timeout(self.env, delay).callbacks.append(c.on_retry)
            return
        self.ledger.dead_letter(self.env.now, c.index, pid, entry.id)
        if self.listeners:
            self._emit(records.dead_letter(self._t(), pid, entry.id, c.name, c.deliveries))
        self._commit_offset(c, entry)
        self._next(c)

    # -- the "before" design: every consumer called inline, one request at a time each --

    def _call_committed(self, event: simpy.Event) -> None:
        purchase = cast(Purchase, event.value)
        pid, now = purchase.id, self.env.now
        if self.schedule.commit_fails(pid):
            self.store.fail_purchase(pid, purchase.course, purchase.amount_cents, now)
            self.ledger.commit_failed(now, pid)
            if self.listeners:
                self._emit(records.commit_failed(self._t(), pid, TIMEOUT_REASON, ghost=False))
            self._tell_failed(purchase, "the purchase did not commit")
            return
        self.store.commit_purchase(pid, purchase.course, purchase.amount_cents, now)
        self.ledger.commit(now, pid)
        if self.listeners:
            self._emit(records.commit(self._t(), pid))
        # no event exists; the calls still carry a key a consumer can dedupe on
        call_event = Event(
            f"call-{pid:06d}", EVENT_TYPE, pid, purchase.course, purchase.amount_cents, now
        )
        self._call_next(Call(purchase, call_event))

    def _call_next(self, call: Call) -> None:
        """Call the next consumer in the chain, or confirm the learner once all have answered."""
        purchase = call.purchase
        now = self.env.now
        if call.index == len(self.consumers):
            latency = now - purchase.asked_at
            self.ledger.confirm(now, purchase.id, latency)
            if self.listeners:
                self._emit(records.confirm(self._t(), purchase.id, latency))
            return
        c = self.consumers[call.index]
        self.ledger.deliver(now, c.index, 1)
        if self.listeners:
            self._emit(records.call(self._t(), purchase.id, c.name))
        if self.schedule.consumer_down(c.name, now):
            Timeout(self.env, CALL_TIMEOUT_SECONDS, call).callbacks.append(self._call_timed_out)
            return
        c.queue.append(call)
        if c.current is None:
            self._call_serve(c)

    def _call_serve(self, c: Consumer) -> None:
        if not c.queue:
            c.current = None
            c.status = DOWN if c.down else IDLE
            return
        c.current = c.queue.popleft()
        c.status = BUSY
        Timeout(self.env, c.rng.expovariate(c.rate)).callbacks.append(c.on_handled)

    def _call_done(self, c: Consumer, _event: simpy.Event) -> None:
        call = c.current
        assert call is not None
        problem = self._run_handler(c, call.event)
        now = self.env.now
        if problem is None:
            lag_events = len(c.queue)
            lag_seconds = now - call.event.occurred_at
            self.ledger.lag(now, c.index, lag_events, lag_seconds)
            if self.listeners:
                self._emit(records.lag(self._t(), c.name, lag_events, lag_seconds))
            call.index += 1
            self._call_next(call)
        else:
            self._call_failed(c, call, problem)
        self._call_serve(c)

    def _call_timed_out(self, event: simpy.Event) -> None:
        call = cast(Call, event.value)
        c = self.consumers[call.index]
        self._call_failed(c, call, f"no answer within {CALL_TIMEOUT_SECONDS:g} s")

    def _call_failed(self, c: Consumer, call: Call, reason: str) -> None:
        pid = call.purchase.id
        self.ledger.handle_failed(self.env.now, c.index, 1)
        if self.listeners:
            self._emit(records.handle_failed(self._t(), pid, call.event.id, c.name, 1, reason))
        self._tell_failed(call.purchase, f"{c.name} did not answer")

    def _tell_failed(self, purchase: Purchase, reason: str) -> None:
        latency = self.env.now - purchase.asked_at
        self.ledger.purchase_failed(self.env.now, purchase.id)
        if self.listeners:
            self._emit(records.purchase_failed(self._t(), purchase.id, latency, reason))
