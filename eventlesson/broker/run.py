"""A scenario on the real broker: the purchase service, the outbox relay and five consumers on
NATS JetStream, in real time.

Core module: nats-py (through `eventlesson.broker.jetstream`), sqlite3 and the standard library;
no rich, questionary or typer, no SimPy. It is the model's run with the simulated parts replaced
by real ones, and everything else reused: the scenario catalogue and its fault schedule, the
service's step, the relay and the handlers (`eventlesson.sim.services`), the SQLite store and each
consumer's own store, the trace records (same types, same keys: `eventlesson.sim.records`), the
`Ledger` that folds them and the `Story` the live view narrates. What its consumers do with a
delivery, as a classroom learner's do, is `eventlesson.broker.live`. The broker log is a JetStream stream (an offset is a stream
sequence), each consumer group a durable pull consumer (its committed offset the ack floor), and
the read-out's checks get the server's own account of the stream, read back after the run. What a
view reads is in `eventlesson.broker.view`; the summary, the notes and the `--json` facts are in
`eventlesson.broker.readout`.

It is real time by nature: it waits on the server and on the consumers' work (the model's service
times divided by `speed`); the flow owns the screen and draws `snapshot()`. Same seed, same
learners: arrivals, courses and fault draws use the model's random streams, so a run on the
broker meets the same purchases and the same failures; only the timing is the machine's own.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any

import nats.errors
import nats.js.errors

from eventlesson.broker import readout, view
from eventlesson.broker.jetstream import (
    CONSUMER_HEADER,
    DELIVERIES_HEADER,
    MSG_ID,
    SEQ_HEADER,
    Connection,
    ConsumerRunner,
    ConsumerSettings,
    DeadLetterParker,
    Delivery,
    Names,
    Outcome,
    cancel_and_wait,
    cancelled,
    ensure_consumer,
    ensure_stream,
    read_consumers,
    read_stream_state,
)
from eventlesson.broker.live import BUSY, CRASHED, IDLE, RETRYING, LiveConsumer, LiveSession
from eventlesson.broker.narrate import describe
from eventlesson.broker.readout import ServerRead, read_back
from eventlesson.broker.server import NatsServer, ServerError
from eventlesson.broker.state import ConsumerState, ServerView, StreamState
from eventlesson.broker.wire import WireError, decode_event, encode_event
from eventlesson.sim import records
from eventlesson.sim.faults import FaultSchedule
from eventlesson.sim.invariants import Findings
from eventlesson.sim.ledger import COMMITTED, PUBLISHED, Ledger
from eventlesson.sim.records import POISON_REASON, ROLLBACK_REASON, TIMEOUT_REASON
from eventlesson.sim.scenarios import (
    BROKER_RETRY_SECONDS,
    CALL_TIMEOUT_SECONDS,
    CONSUMER_NAMES,
    CONSUMER_RESTART_SECONDS,
    CONSUMERS,
    COURSES,
    EVENT_TYPE,
    MAX_DELIVERIES,
    RELAY_RESTART_SECONDS,
    RETRY_BACKOFF_SECONDS,
    SCENARIOS,
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
    default_service,
    relay_outbox,
)
from eventlesson.sim.state import Snapshot, Summary
from eventlesson.sim.store import OutboxRow, RolledBack, Store
from eventlesson.sim.story import Story

MAX_PURCHASES = 100_000  # a real broker in real time: enough for the benchmark's 10k
LONG_RELAY_CRASH_AT = 5  # the relay's 5th publish: the crash whose repeat outlasts the window
DOWN = "down"  # a consumer's own outage (the synchronous chain's email)
PUBLISH_RETRIES = 3  # as the model's direct publish: then it gives up (the event is lost)


@dataclass(frozen=True)
class Timing:
    """The scenario's clock on a real server, in real seconds: the model's seconds / speed.

    `speed=None` is `--fast`: no gaps between learners and no work in the consumers, while the
    server's own timers (ack_wait, the duplicate window, retry delays) stay long enough to mean
    something. The server refuses a duplicate window under 100 ms.
    """

    speed: float | None

    @property
    def fast(self) -> bool:
        return self.speed is None

    @property
    def factor(self) -> float:
        """Model seconds per real second (`--fast` keeps the timers at a tenth)."""
        return self.speed or 10.0

    def scaled(self, seconds: float, floor: float = 0.0) -> float:
        return max(seconds / self.factor, floor)

    def ack_wait(self, crashes: bool) -> float:
        """Seconds the server waits for an ack before it delivers again. Paced runs acknowledge
        one event at a time and say "still working" during a slow effect, so a short wait is
        safe. `--fast` fetches in batches on a busy event loop, where a batch can wait its turn
        longer than a short ack_wait: a long one, unless a consumer will crash (its redelivery
        is the point, and it comes after ack_wait)."""
        if self.fast:
            return 2.0 if crashes else 30.0
        return self.scaled(3.0, floor=0.2)

    @property
    def duplicate_window(self) -> float:
        return self.scaled(2.0, floor=0.2)

    @property
    def relay_restart(self) -> float:
        """A short relay outage: its repeat lands well inside the duplicate window."""
        return min(self.scaled(RELAY_RESTART_SECONDS), self.duplicate_window / 4)

    @property
    def relay_restart_long(self) -> float:
        """A long relay outage: its repeat lands outside the duplicate window."""
        return self.duplicate_window * 1.5 + self.scaled(RELAY_RESTART_SECONDS)

    @property
    def publish_timeout(self) -> float:
        return max(self.scaled(1.0), 0.5)

    @property
    def poll(self) -> float:
        """How often the server is asked for lag: a few times a second, like a dashboard."""
        return 0.2 if self.fast else 0.1


class _Consumer(LiveConsumer):
    """One consumer, and its place in the synchronous chain (the design without a broker)."""

    def __init__(self, spec: ConsumerSpec, index: int, mean: float, seed: int, planned: int):
        # the model's own random stream for its work
        super().__init__(spec, index, mean, random.Random(f"{seed}:{spec.name}"), planned)
        self.lock = asyncio.Lock()  # the synchronous chain: one call at a time
        self.queued = 0  # the synchronous chain: calls waiting for it


class BrokerRun(LiveSession):
    """One scenario against one server. `await setup()`, `await run()`, `await finish()`."""

    consumers: dict[str, _Consumer]

    def __init__(
        self,
        scenario: str | Scenario = "happy",
        *,
        url: str | None,
        names: Names | None = None,
        server: NatsServer | None = None,  # ours to stop and restart (broker outages)
        seed: int = 7,
        purchases: int | None = None,
        speed: float | None = 1.0,
        db: str = ":memory:",
        deadline: float | None = None,
        service: ServiceStep | None = None,
        relay: Relay | None = None,
        handlers: dict[str, Handler] | None = None,
        observe: bool = False,  # keep the live view's story (a running log, each purchase's steps)
    ) -> None:
        self.scenario = SCENARIOS[scenario] if isinstance(scenario, str) else scenario
        self.mode = self.scenario.mode
        self.seed = seed
        self.planned = purchases if purchases is not None else self.scenario.purchases
        if not 1 <= self.planned <= MAX_PURCHASES:
            raise ValueError(f"purchases must be from 1 to {MAX_PURCHASES:,} (got {self.planned})")
        self.url = url
        self.names = names or Names()
        self.server = server
        self.timing = Timing(speed)
        self.deadline = deadline
        self.schedule = FaultSchedule(self.scenario.faults(self.planned), seed, CONSUMER_NAMES)
        if self.schedule.broker_windows() and server is None and self.uses_broker:
            raise ServerError(
                f"{self.scenario.name} stops and restarts the server, which needs the one "
                "eventlesson starts: leave out the URL (--broker nats)"
            )
        self.store = Store(db)
        self.story = Story(self.scenario, describe)
        # an unwatched run (--fast, --json, the benchmark) pays nothing for the story
        super().__init__(
            Ledger(CONSUMER_NAMES, self.planned, arrivals=False), [self.story] if observe else []
        )
        self.consumers = {
            spec.name: _Consumer(spec, i, self.scenario.mean(spec), seed, self.planned)
            for i, spec in enumerate(CONSUMERS)
        }
        for name, handler in (handlers or {}).items():
            self.consumers[name].handler = handler
        self.service: ServiceStep | None = None
        if self.uses_broker:
            self.service = service or default_service(self.mode)
        self.relay: Relay = relay or relay_outbox

        self.service_status = IDLE
        self.broker_up = True
        self.reachable = True  # the last time we asked, the server answered
        self.dropped_repeats = 0  # publishes the server dropped by Nats-Msg-Id
        self.published_seq: dict[int, tuple[int, str, float]] = {}  # seq -> pid, id, occurred
        self.last_seq = 0  # the highest stream sequence a PubAck named
        self.stream_view: StreamState | None = None
        self.final: ServerRead | None = None
        self.complete = False
        self.interrupted = False
        self._arrivals = random.Random(f"{seed}:arrivals")
        self._event_seq = 0
        self._commands = 0
        self._service_done = False
        self._relay_rows = 0
        # the relay's long outage (see _relay_publish): only where the scenario crashes it at all
        f = self.schedule.faults
        self._long_relay_crash_due = bool(f.relay_crashes or f.relay_crash_rate)
        self._expected_dead: set[tuple[str, int]] = set()  # (consumer, seq) being parked
        self.parked: set[tuple[str, int]] = set()
        self._relay_wake = asyncio.Event()
        self._conn = Connection()
        self._runner: ConsumerRunner | None = None
        self._parker: DeadLetterParker | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._calls: list[asyncio.Task[None]] = []
        self._stopping = False
        self.peak_lag = 0.0  # the largest lag shown so far: the bars' full scale
        self._queue: asyncio.Queue[Purchase] = asyncio.Queue()
        self.wall0 = time.time()

    # -- the trace --

    @property
    def uses_broker(self) -> bool:
        return self.mode != "sync"

    def _model_now(self) -> float:
        """The scenario's clock (fault windows are written on it)."""
        return self.now * self.timing.factor

    # -- set-up --

    async def setup(self) -> None:
        """Connect, and create the stream and the five durable consumers."""
        self._t0, self.wall0 = time.monotonic(), time.time()
        if not self.uses_broker:
            return
        assert self.url is not None
        # pending_size=0: while the connection is down a publish fails at once, as a broker that
        # is gone rejects it, instead of waiting in the client's buffer to go out later
        await self._conn.open(
            self.url, name=f"{self.names.stream} purchase service", pending_size=0
        )
        js = self._conn.js
        timing = self.timing
        crashes = any(self.schedule.may_crash(c) for c in self.consumers)
        ack_wait = timing.ack_wait(crashes)
        settings = ConsumerSettings(ack_wait=ack_wait, max_deliver=MAX_DELIVERIES)
        try:
            await ensure_stream(js, self.names, duplicate_window=timing.duplicate_window)
            for name in self.consumers:
                await ensure_consumer(js, self.names, name, settings)
        except (nats.errors.NoRespondersError, nats.js.errors.ServiceUnavailableError) as exc:
            raise ServerError(
                f"{self.url}: JetStream is not enabled on this server (start it with -js)"
            ) from exc
        except (TimeoutError, nats.errors.Error) as exc:
            raise ServerError(
                f"{self.url}: cannot create the stream and consumers ({exc})"
            ) from exc
        self._parker = DeadLetterParker(self._conn, self.names, self._on_parked)
        await self._parker.start()
        self._runner = ConsumerRunner(
            self.url,
            self.names,
            list(self.consumers),
            self._handle,
            # one at a time while paced (lag is not hidden in a client's buffer); fast, in batches
            batch=(8 if crashes else 64) if timing.fast else 1,
            restart_after=timing.scaled(CONSUMER_RESTART_SECONDS),
            # a slow effect says "still working" well inside ack_wait; without work, no need
            progress_every=None if timing.fast else ack_wait / 3,
            notice=self._notice,
        )

    # -- the run --

    async def run(self) -> None:
        """Until every learner came and every consumer drained, as the server reports it."""
        self._t0, self.wall0 = time.monotonic(), time.time()
        work = [self._arrive()]
        if self.uses_broker:
            work.append(self._serve())
        if self._runner is not None:
            await self._runner.start()
            work.append(self._poll())
        if self.mode == "outbox":
            work.append(self._relay())
        if self.schedule.broker_windows():
            work.append(self._outages())
        for name in self.consumers:
            for start, duration in self.schedule.consumer_windows(name):
                work.append(self._consumer_outage(name, start, duration))
        self._tasks = [asyncio.create_task(w) for w in work]
        try:
            await self._until_done()
        except BaseException:
            self.interrupted = True
            raise
        finally:
            self._stopping = True
            await cancel_and_wait(self._tasks + self._calls)
            if self._runner is not None:
                await self._runner.stop()

    async def _until_done(self) -> None:
        while True:
            if cancelled():  # a Ctrl-C that a nats-py request swallowed on its way here
                raise asyncio.CancelledError
            for task in self._tasks + self._calls:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
            if self._runner is not None and self._runner.failure is not None:
                raise self._runner.failure
            if await self._drained():
                self.complete = True
                return
            if self.deadline is not None and self.now > self.deadline:
                return  # not complete: the summary says so
            await asyncio.sleep(0.02)

    async def _drained(self) -> bool:
        if not self._service_done:
            return False
        if not self.uses_broker:
            return all(t.done() for t in self._calls)
        if self.mode == "outbox" and self.store.outbox_backlog():
            return False
        if not self.broker_up or self._expected_dead - self.parked:
            return False
        if any(c.status == CRASHED for c in self.consumers.values()):
            return False
        try:
            states = await read_consumers(self._conn.js, self.names, self.consumers)
            stream = await read_stream_state(self._conn.js, self.names.stream)
        except (TimeoutError, nats.errors.Error, ServerError):
            return False
        self._take(states, stream)
        return all(s.lag == 0 and s.ack_floor_seq >= stream.last_seq for s in states.values())

    # -- learners and the purchase service --

    async def _arrive(self) -> None:
        """Learners on the model's schedule; each waits for the service, one at a time."""
        rng = self._arrivals
        for _ in range(self.planned):
            gap = rng.expovariate(self.scenario.arrival_rate)
            if not self.timing.fast:
                await asyncio.sleep(self.timing.scaled(gap))
            self._commands += 1
            pid = self._commands
            course, cents = COURSES[int(rng.random() * len(COURSES))]
            t = self._t()
            waits = "restart" if self.service_status == CRASHED else None
            self._emit(records.command(t, pid, course, cents, waits=waits))
            purchase = Purchase(pid, course, cents, t)
            if self.uses_broker:
                self._queue.put_nowait(purchase)
            else:  # the chain: every request makes its own inline calls
                self._calls.append(asyncio.create_task(self._call_chain(purchase)))
            if self.timing.fast and pid % 256 == 0:
                await asyncio.sleep(0)  # let the publisher and the consumers breathe
        if self.uses_broker:
            await self._queue.join()
        self._service_done = True
        self._relay_wake.set()

    async def _serve(self) -> None:
        """The purchase service: one learner at a time, in the order they came."""
        queue = self._queue
        pending: list[asyncio.Task[bool]] = []
        while True:
            purchase = await queue.get()
            try:
                self.service_status = BUSY
                await self._complete(purchase, pending)
                if self.service_status != CRASHED:
                    self.service_status = IDLE
                if len(pending) >= 512 or (queue.empty() and pending):
                    await asyncio.gather(*pending)
                    pending.clear()
            finally:
                queue.task_done()

    def _next_event_id(self) -> str:
        self._event_seq += 1
        return f"evt-{self._event_seq:06d}"

    async def _complete(self, purchase: Purchase, pending: list[asyncio.Task[bool]]) -> None:
        """The service's step, written down by the design's function, performed for real."""
        store = StoreSteps()
        assert self.service is not None
        self.service(store, BusSteps(store.steps), purchase)
        plan: list[Step] = store.steps
        committed = False
        crash_in_window = False
        for i, step in enumerate(plan):
            if step[0] == COMMIT:
                ok = await self._commit(purchase, step[1], step[2])
                if not ok:
                    return  # a failed step ends the rest
                committed = True
                if self.schedule.service_crashes(purchase.id):
                    rest = plan[i + 1 :]
                    if rest and rest[0][0] == PUBLISH:
                        crash_in_window = True  # dies between the commit and the publish
                    else:
                        await self._service_crash(purchase.id, lost=False)
                        return
            elif step[0] == PUBLISH:
                if crash_in_window:
                    await self._service_crash(purchase.id, lost=committed)
                    return
                _kind, topic, payload, given = step
                event_id = given or self._next_event_id()
                pid = payload.get("purchase_id", purchase.id)
                occurred = self.store.committed_at(pid) if committed else None
                event = Event(
                    event_id,
                    topic,
                    pid,
                    purchase.course,
                    purchase.amount_cents,
                    occurred if occurred is not None else self._t(),
                )
                if self.timing.fast and committed:  # pipelined: the ack comes back later
                    pending.append(asyncio.create_task(self._publish_direct(event)))
                elif not await self._publish_direct(event):
                    return  # given up: the rest of this purchase's steps never happen

    async def _commit(self, purchase: Purchase, pid: int, rows: list[Any]) -> bool:
        """The purchase transaction in SQLite (with its outbox rows), then the confirmation."""
        t = self._t()  # the commit time the store keeps, and the learner's confirmation
        course, cents = purchase.course, purchase.amount_cents
        if self.schedule.commit_fails(pid):
            self.store.fail_purchase(pid, course, cents, t)
            ghost = bool(self.ledger.flags[pid] & PUBLISHED)
            self._emit(records.commit_failed(t, pid, TIMEOUT_REASON, ghost=ghost))
            return False
        if rows:
            ids = [(self._next_event_id(), topic) for topic, _payload in rows]
            try:
                self.store.commit_with_outbox(
                    pid,
                    course,
                    cents,
                    t,
                    ids,
                    crash_between=self.schedule.crashes_mid_transaction(pid),
                )
            except RolledBack:
                self._emit(
                    records.commit_failed(t, pid, ROLLBACK_REASON, ghost=False, rolled_back=True)
                )
                await self._service_crash(pid, lost=False)
                return False
            self._emit(records.commit(t, pid, outbox_event=ids[0][0]))
            self._relay_wake.set()
        else:
            self.store.commit_purchase(pid, course, cents, t)
            self._emit(records.commit(t, pid))
        # the learner is confirmed at the commit: the store's answer is the service's answer
        self._emit(records.confirm(t, pid, t - purchase.asked_at))
        return True

    async def _service_crash(self, pid: int, lost: bool) -> None:
        self.service_status = CRASHED  # arriving learners queue until the restart
        self._emit(records.component_crash(self._t(), pid, "purchase-service", lost=lost))
        await asyncio.sleep(self.timing.scaled(SERVICE_RESTART_SECONDS))
        self._emit(records.restart(self._t(), component="purchase-service", purchase_id=pid))
        self.service_status = IDLE
        self._relay_wake.set()  # a restarted service wakes the relay too (outbox)

    async def _publish_direct(self, event: Event) -> bool:
        """The service's own publish: retried while the broker rejects it, then given up."""
        tries = 0
        while True:
            try:
                await self._publish(event, via=None)
                return True
            except (TimeoutError, nats.errors.Error) as exc:
                tries += 1
                gave_up = tries > PUBLISH_RETRIES
                self._emit(
                    records.publish_failed(
                        self._t(),
                        event.purchase_id,
                        event.id,
                        f"broker unavailable ({type(exc).__name__})",
                        retry_in=self.timing.scaled(BROKER_RETRY_SECONDS),
                        lost=bool(self.ledger.flags[event.purchase_id] & COMMITTED)
                        if gave_up
                        else None,
                    )
                )
                if gave_up:
                    return False
                self.service_status = RETRYING  # the next learners wait behind this one
                await asyncio.sleep(self.timing.scaled(BROKER_RETRY_SECONDS))
                self.service_status = BUSY

    async def _publish(self, event: Event, via: str | None) -> None:
        """Publish with the event id as Nats-Msg-Id and record what the server answered."""
        ack = await self._conn.js.publish(
            self.names.subject,
            encode_event(event),
            timeout=self.timing.publish_timeout,
            headers={MSG_ID: event.id},
        )
        pid = event.purchase_id
        # the server already holds this Nats-Msg-Id: nothing was appended
        dropped = bool(ack.duplicate)
        record = records.publish(
            self._t(),
            pid,
            event.id,
            ack.seq,
            event.course,
            event.amount_cents,
            via=via,
            repeat=not dropped and bool(self.ledger.flags[pid] & PUBLISHED),
            dropped=dropped,
        )
        if dropped:
            self.dropped_repeats += 1
        else:
            self.published_seq[ack.seq] = (pid, event.id, event.occurred_at)
            self.last_seq = max(self.last_seq, ack.seq)
        self._emit(record)

    # -- the outbox relay --

    async def _relay(self) -> None:
        """The design's relay function, its steps performed for real, with its faults."""
        timing = self.timing
        while not self._stopping:
            steps: list[Step] = []
            outbox = OutboxSteps(self.store, steps)
            self.relay(outbox, BusSteps(steps))
            if not steps:
                if self._service_done:
                    return
                self._relay_wake.clear()
                await self._relay_wake.wait()
                continue
            for step in steps:
                if step[0] == MARK:
                    self.store.mark_published(step[1], self._t())
                    self._relay_rows += 1
                    continue
                if step[0] != PUBLISH:
                    continue
                _kind, topic, _payload, event_id = step
                row = outbox.seen.get(event_id) if event_id else None
                if row is None:  # a relay that publishes something it did not read: skip it
                    continue
                if not await self._relay_publish(row, topic):
                    break  # read again: the unmarked row is published again
            else:
                continue
            if not self.broker_up or not self._conn.connected:
                await asyncio.sleep(timing.scaled(BROKER_RETRY_SECONDS))

    async def _relay_publish(self, row: OutboxRow, topic: str) -> bool:
        """One row's publish; False when the relay must read again (rejected, or it crashed)."""
        timing = self.timing
        event = Event(
            row.event_id, topic, row.purchase_id, row.course, row.amount_cents, row.occurred_at
        )
        try:
            await self._publish(event, via="relay")
        except (TimeoutError, nats.errors.Error) as exc:
            self._emit(
                records.publish_failed(
                    self._t(),
                    row.purchase_id,
                    row.event_id,
                    f"broker unavailable ({type(exc).__name__})",
                    retry_in=timing.scaled(BROKER_RETRY_SECONDS),
                )
            )
            await asyncio.sleep(timing.scaled(BROKER_RETRY_SECONDS))
            return False
        # after the publish, before marking the row: the relay will publish it again. A short
        # outage repeats it inside the duplicate window (the server drops it); the long one,
        # once a run, outlasts the window (the server stores it again and only the idempotent
        # consumers skip it): the lesson shows both
        long = self._long_relay_crash_due and self._relay_rows + 1 == LONG_RELAY_CRASH_AT
        if long or self.schedule.relay_crashes(row.purchase_id):
            self._long_relay_crash_due &= not long
            down = timing.relay_restart_long if long else timing.relay_restart
            self._emit(
                records.component_crash(
                    self._t(),
                    row.purchase_id,
                    "relay",
                    event_id=row.event_id,
                    down_for=down,
                    duplicate_window=timing.duplicate_window,
                )
            )
            await asyncio.sleep(down)
            self._emit(records.restart(self._t(), component="relay"))
            return False
        return True

    # -- outages --

    async def _outages(self) -> None:
        """The broker's outages: our own server stopped, then started from its file store."""
        server = self.server
        assert server is not None
        for start, duration in self.schedule.broker_windows():
            wait = self.timing.scaled(start) - self.now
            if wait > 0:
                await asyncio.sleep(wait)
            self.broker_up = False
            until = self.now + self.timing.scaled(duration)
            self._emit(records.broker_down(self._t(), until))
            # in this thread, not a worker's: the kernel stops a server whose starting thread
            # ended (see server._die_with_parent); both take a few tens of milliseconds
            server.stop()
            await asyncio.sleep(max(0.0, until - self.now))
            server.start()
            self.broker_up = True
            self._emit(records.broker_up(self._t()))
            self._relay_wake.set()

    async def _consumer_outage(self, name: str, start: float, duration: float) -> None:
        """A downstream service that stops answering (the synchronous chain's email)."""
        c = self.consumers[name]
        wait = self.timing.scaled(start) - self.now
        if wait > 0:
            await asyncio.sleep(wait)
        until = self.now + self.timing.scaled(duration)
        c.status = DOWN
        self._emit(records.consumer_down(self._t(), name, until))
        await asyncio.sleep(max(0.0, until - self.now))
        c.status = IDLE
        self._emit(records.consumer_up(self._t(), name))

    # -- consumers on the broker --

    async def _work(self, c: _Consumer) -> None:
        """The consumer's processing time, drawn as the model draws it."""
        seconds = c.rng.expovariate(1.0 / c.mean) if c.mean > 0 else 0.0
        if not self.timing.fast and seconds > 0:
            await asyncio.sleep(self.timing.scaled(seconds))

    def _applied(self, c: _Consumer, event: Event, offset: int | None) -> str | None:
        """The handler on the consumer's own store; the failure's reason, or None."""
        pid, ledger = event.purchase_id, self.ledger
        committed = bool(pid < ledger.size and ledger.flags[pid] & COMMITTED)
        return self._run_handler(c, event, committed=committed, offset=offset)

    async def _handle(self, d: Delivery) -> Outcome:
        """One delivery to one consumer: the effect, then what the runner tells the server."""
        c = self.consumers[d.consumer]
        event, _ = decode_event(d.data)  # WireError for a body we did not publish
        pid = event.purchase_id
        self._delivered(c, event, d)
        await self._work(c)
        problem: str | None
        if self.schedule.has_poison and self.schedule.poisoned(c.name, pid):
            problem = POISON_REASON
        else:
            problem = self._applied(c, event, d.seq)
        if problem is not None:
            return await self._failed(c, d, event, problem)
        schedule = self.schedule
        if (
            d.delivered == 1
            and schedule.may_crash(c.name)
            and schedule.consumer_crashes(c.name, pid)
        ):
            return self._crash(c, event, d)
        c.status = IDLE
        return self._ack(c, d, end=max(self.last_seq, d.seq), since=event.occurred_at)

    async def _failed(self, c: _Consumer, d: Delivery, event: Event, reason: str) -> Outcome:
        """A failed delivery: the server redelivers after a growing pause (nak); on the last
        delivery max_deliver allows, the consumer parks the event on the dead-letter subject and
        terminates it, so the server never delivers it again and the ack floor moves past it."""
        self._handle_failed(c, event, d, reason)
        if d.delivered < MAX_DELIVERIES:
            c.status = RETRYING
            return Outcome.retry(self.timing.scaled(RETRY_BACKOFF_SECONDS * d.delivered, 0.01))
        self._expected_dead.add((c.name, d.seq))
        try:
            await self._conn.js.publish(
                self.names.dead_letter_subject,
                d.data,
                timeout=self.timing.publish_timeout,
                headers={
                    MSG_ID: f"{self.names.durable(c.name)}:{d.seq}",
                    CONSUMER_HEADER: c.name,
                    SEQ_HEADER: str(d.seq),
                    DELIVERIES_HEADER: str(d.delivered),
                },
            )
        except (TimeoutError, nats.errors.Error):
            # not parked: the server gives up after max_deliver and says so in an advisory,
            # and the parker copies it to the dead-letter subject then
            c.status = IDLE
            return Outcome.retry(self.timing.scaled(RETRY_BACKOFF_SECONDS, 0.01))
        self._on_parked(c.name, d.seq, d.delivered, d.data)
        c.status = IDLE
        return Outcome.park()

    def _notice(self, consumer: str, what: str) -> None:
        if what == "restarted":
            self.consumers[consumer].status = IDLE
            self._emit(records.restart(self._t(), consumer=consumer))

    def _on_parked(self, consumer: str, seq: int, deliveries: int, data: bytes) -> None:
        if (consumer, seq) in self.parked:
            return
        self.parked.add((consumer, seq))
        c = self.consumers.get(consumer)
        if c is not None:
            c.parked.add(seq)
        try:
            event: Event | None = decode_event(data)[0]
        except WireError:  # the advisory still says which consumer gave up on which sequence
            event = None
        self._emit(
            records.dead_letter(
                self._t(),
                event.purchase_id if event else 0,
                event.id if event else "",
                consumer,
                deliveries,
                offset=seq,
                subject=self.names.dead_letter_subject,
            )
        )

    # -- the "before" design: direct calls, no broker --

    async def _call_chain(self, purchase: Purchase) -> None:
        pid, t = purchase.id, self._t()
        if self.schedule.commit_fails(pid):
            self.store.fail_purchase(pid, purchase.course, purchase.amount_cents, t)
            self._emit(records.commit_failed(t, pid, TIMEOUT_REASON, ghost=False))
            self._tell_failed(purchase, "the purchase did not commit")
            return
        self.store.commit_purchase(pid, purchase.course, purchase.amount_cents, t)
        self._emit(records.commit(t, pid))
        # no event exists; the calls still carry a key a consumer can dedupe on
        event = Event(f"call-{pid:06d}", EVENT_TYPE, pid, purchase.course, purchase.amount_cents, t)
        for c in self.consumers.values():
            self._emit(records.call(self._t(), pid, c.name))
            if self.schedule.consumer_down(c.name, self._model_now()):
                await asyncio.sleep(self.timing.scaled(CALL_TIMEOUT_SECONDS))
                reason = f"no answer within {CALL_TIMEOUT_SECONDS:g} s"
                self._call_failed(c, purchase, event, reason)
                return
            c.queued += 1
            async with c.lock:  # one request at a time: the others queue
                c.queued -= 1
                c.status = BUSY
                await self._work(c)
                problem = self._applied(c, event, None)
                c.status = BUSY if c.queued else IDLE
            if problem is not None:
                self._call_failed(c, purchase, event, problem)
                return
            self._emit(records.lag(self._t(), c.name, c.queued, self.now - t))
        self._emit(records.confirm(self._t(), pid, self._t() - purchase.asked_at))

    def _call_failed(self, c: _Consumer, purchase: Purchase, event: Event, reason: str) -> None:
        self._emit(records.handle_failed(self._t(), purchase.id, event.id, c.name, 1, reason))
        self._tell_failed(purchase, f"{c.name} did not answer")

    def _tell_failed(self, purchase: Purchase, reason: str) -> None:
        t = self._t()
        self._emit(records.purchase_failed(t, purchase.id, t - purchase.asked_at, reason))

    # -- the server's view, live --

    async def _poll(self) -> None:
        js = self._conn.js
        while not self._stopping:
            await asyncio.sleep(self.timing.poll)
            if not self.broker_up:
                continue
            try:
                states = await read_consumers(js, self.names, self.consumers)
                stream = await read_stream_state(js, self.names.stream)
            except (TimeoutError, nats.errors.Error, ServerError):
                self.reachable = False
                continue
            self._take(states, stream)

    def _take(self, states: dict[str, ConsumerState], stream: StreamState) -> None:
        """A reading of the server: the stream, and each consumer's ack floor."""
        self.reachable = True
        self.stream_view = stream
        self._take_floors(states)

    def _event_at(self, seq: int) -> tuple[int, str] | None:
        known = self.published_seq.get(seq)
        return None if known is None else (known[0], known[1])

    def occurred_at(self, seq: int) -> float | None:
        """When the event at this stream sequence happened (its lag counts from then), if known."""
        known = self.published_seq.get(seq)
        return None if known is None else known[2]

    # -- what a view reads (eventlesson.broker.view) --

    def snapshot(self, focus: int | None = None) -> Snapshot:
        """Everything the live view shows; offsets and the log's end as the server last said."""
        return view.snapshot(self, focus)

    def broker_view(self) -> ServerView | None:
        """The server's side of the live view, as last read; None for direct calls."""
        return view.live(self)

    def final_view(self) -> ServerView | None:
        """The server's state as read back after the run; None if it could not be read."""
        return view.final(self)

    # -- the end --

    async def finish(self) -> ServerRead | None:
        """Read the stream, the dead letters and every consumer back from the server."""
        if not self.uses_broker or not self._conn.connected:
            return None
        try:
            self.final = await read_back(self._conn.js, self.names, self.consumers)
        except (TimeoutError, nats.errors.Error, ServerError):
            self.final = None
        return self.final

    async def close(self) -> None:
        """Close the connections; the store stays readable for the read-out (`close_store`)."""
        if self._runner is not None:
            await self._runner.stop()
        if self._parker is not None:
            await self._parker.stop()
        await self._conn.close()

    def close_store(self) -> None:
        self.store.close()

    # -- the outcome --

    @property
    def finished(self) -> bool:
        """Complete: drained, not interrupted, and (on a broker) read back."""
        return (
            self.complete
            and not self.interrupted
            and (self.final is not None or not self.uses_broker)
        )

    def findings(self) -> Findings:
        """The model's findings from the trace and the stores, then the server's account."""
        return readout.findings(self)

    def summary(self) -> Summary:
        """The model's summary and invariants, with the server's read-back folded in."""
        return readout.summary(self)

    def notes(self) -> list[str]:
        """What the server did that the model's summary does not say, in plain sentences."""
        return readout.notes(self)

    def broker_facts(self) -> dict[str, Any]:
        """The `--json` keys the model does not have: the backend and the names on the server."""
        return readout.facts(self)
