"""A scenario on the real broker: the purchase service, the outbox relay and five consumers on
NATS JetStream, in real time.

Core module: nats-py (through `eventlesson.broker.jetstream`), sqlite3 and the standard library;
no rich, questionary or typer, no SimPy. It reuses the model's catalogue (scenarios, consumers,
faults), its SQLite store, its trace schema and its read-out types; what differs is that the log is
a JetStream stream, each consumer a durable pull consumer, and lag what the server reports. The
run is real time by nature: it waits on the server and on the consumers' work (the model's
service times divided by `speed`); the flow owns the screen and draws `snapshot()`.

Same seed, same learners: arrivals, courses and fault draws use the model's random streams, so
a run on the broker meets the same purchases and the same failures as the model; only the timing
is the machine's own.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nats.errors

from eventlesson.broker.jetstream import (
    MSG_ID,
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
from eventlesson.broker.narrate import describe
from eventlesson.broker.readout import (
    Evidence,
    ServerRead,
    TraceFacts,
    duplicate_effects,
    ghost_effects,
    ghost_events,
    invariants,
    lost_events,
    read_back,
)
from eventlesson.broker.server import NatsServer, ServerError
from eventlesson.broker.state import ConsumerState, ServerView, StreamState
from eventlesson.sim.scenarios import (
    CONSUMERS,
    COURSES,
    MAX_DELIVERIES,
    SCENARIOS,
    TIME_SCALE,
    ConsumerSpec,
    Faults,
    Scenario,
)
from eventlesson.sim.state import ConsumerSummary, ConsumerView, Snapshot, StepView, Summary
from eventlesson.sim.stats import StreamingQuantiles
from eventlesson.sim.store import Store

Record = dict[str, Any]
Listener = Callable[[Record], None]

MAX_PURCHASES = 100_000
LONG_RELAY_CRASH_AT = 5  # the relay's 5th publish: the crash whose repeat outlasts the window  # a real broker in real time: enough for the benchmark's 10k
POISON_REASON = "amount in a currency analytics cannot convert"
IDLE, BUSY, CRASHED, RETRYING = "idle", "busy", "crashed", "retrying"
# per-purchase flags, as in the model
COMMITTED, PUBLISHED, FAILED, CONFIRMED, LOST = 1, 2, 4, 8, 16


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

    def scaled(self, seconds: float, floor: float = 0.0) -> float:
        return max(seconds / (self.speed or 10.0), floor)

    @property
    def ack_wait(self) -> float:
        return self.scaled(3.0, floor=1.0 if self.fast else 0.2)

    @property
    def duplicate_window(self) -> float:
        return self.scaled(2.0, floor=0.2)

    @property
    def consumer_restart(self) -> float:
        return self.scaled(1.0)

    @property
    def service_restart(self) -> float:
        return self.scaled(0.5)

    @property
    def relay_restart(self) -> float:
        """A short relay outage: its repeat lands well inside the duplicate window."""
        return min(self.scaled(0.5), self.duplicate_window / 4)

    @property
    def relay_restart_long(self) -> float:
        """A long relay outage: its repeat lands outside the duplicate window."""
        return self.duplicate_window * 1.5 + self.scaled(0.5)

    @property
    def broker_retry(self) -> float:
        return self.scaled(0.5)

    @property
    def publish_timeout(self) -> float:
        return max(self.scaled(1.0), 0.5)

    def backoff(self, delivery: int) -> float:
        return self.scaled(0.3 * delivery, floor=0.01)

    @property
    def poll(self) -> float:
        """How often the server is asked for lag: a few times a second, like a dashboard."""
        return 0.1 if not self.fast else 0.2


@dataclass
class _Consumer:
    spec: ConsumerSpec
    mean: float  # real seconds per event at speed 1
    status: str = IDLE
    handled: int = 0
    skipped: int = 0
    duplicates: int = 0
    crashes: int = 0
    distinct: int = 0
    busy: int = 0  # sync-chain: calls in progress
    redeliveries: int = 0  # deliveries the server numbered 2 or more
    lag_events_max: int = 0

    def __post_init__(self) -> None:
        self.effects: dict[int, int] = {}
        self.dead: set[int] = set()
        self.acked: set[int] = set()  # stream sequences acknowledged above the server's floor
        self.lag = StreamingQuantiles()

    @property
    def name(self) -> str:
        return self.spec.name


class BrokerRun:
    """One scenario against one server. `await setup()`, `await run()`, `await finish()`."""

    def __init__(
        self,
        scenario: str | Scenario = "happy",
        *,
        url: str | None,
        names: Names | None = None,
        server: NatsServer | None = None,  # ours to stop and restart (broker-outage)
        seed: int = 7,
        purchases: int | None = None,
        speed: float | None = 1.0,
        db: str = ":memory:",
        deadline: float | None = None,
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
        self.faults: Faults = self.scenario.faults(self.planned)
        if self.faults.broker_outages and server is None and self.mode != "sync":
            raise ServerError(
                f"{self.scenario.name} stops and restarts the server, which needs the one "
                "eventlesson starts: leave out the URL (--broker nats)"
            )
        self.store = Store(db)
        means = self.scenario.means
        self.consumers = {
            spec.name: _Consumer(spec, means.get(spec.name, spec.mean) * TIME_SCALE)
            for spec in CONSUMERS
        }
        self._arrivals = random.Random(f"{seed}:arrivals")
        self._fault_rngs = {k: random.Random(f"{seed}:{k}") for k in ("commit", "service", "relay")}
        self._service_rng = {c: random.Random(f"{seed}:{c}") for c in self.consumers}
        self._crash_rng = {c: random.Random(f"{seed}:crash:{c}") for c in self.consumers}
        self._crashy = set(self.faults.crashing_consumers) | {
            n for n, _ in self.faults.consumer_crashes
        }
        self._relay_crashed: set[int] = set()
        self._relay_rows = 0  # rows the relay published and marked
        # the relay's long outage (see _relay): only where the scenario crashes the relay at all
        self._long_relay_crash_due = bool(self.faults.relay_crashes or self.faults.relay_crash_rate)
        self.deadline = deadline

        self.flags = bytearray(self.planned + 1)
        self.commands = 0
        self.committed = 0
        self.commit_failed = 0
        self.published = 0  # events the server stored (repeats it dropped not counted)
        self.dropped_repeats = 0  # repeats the server dropped by Nats-Msg-Id
        self.ghost_events = 0
        self.lost_known = 0
        self.duplicate_effects = 0
        self.dead_letters = 0
        self.confirm = StreamingQuantiles()
        self.focus = 0
        self.broker_up = True
        self.service_status = IDLE
        self.peak_lag_seconds = 0.0
        self.occurred: dict[int, float] = {}  # stream sequence -> when the fact happened (t)
        self.server_view: dict[str, ConsumerState] = {}
        self.stream_view: StreamState | None = None
        self.reachable = True  # the last time we asked, the server answered
        self.final: ServerRead | None = None
        self.complete = False
        self.interrupted = False
        self.last_record: Record | None = None
        self.facts = TraceFacts()  # what the invariants read from the trace
        self._listeners: list[Listener] = [self.facts]
        self._event_seq = 0
        self._service_done = False
        self._expected_dead: set[tuple[str, int]] = set()  # (consumer, seq) given up on
        self._parked: set[tuple[str, int]] = set()
        self._relay_wake = asyncio.Event()
        self._conn = Connection()
        self._runner: ConsumerRunner | None = None
        self._parker: DeadLetterParker | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._sync_calls: list[asyncio.Task[None]] = []
        self._stopping = False
        self._t0 = time.monotonic()
        self._wall0 = time.time()

    # -- trace --

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    @property
    def now(self) -> float:
        return time.monotonic() - self._t0

    def wall_to_t(self, unix_seconds: float) -> float:
        """A server timestamp on the run's clock (the server shares this machine's clock)."""
        return unix_seconds - self._wall0

    def _emit(
        self,
        kind: str,
        purchase_id: int | None = None,
        event_id: str | None = None,
        consumer: str | None = None,
        **extra: Any,
    ) -> None:
        record: Record = {"t": round(self.now, 6), "type": kind}
        if purchase_id is not None:
            record["purchase_id"] = purchase_id
        if event_id is not None:
            record["event_id"] = event_id
        if consumer is not None:
            record["consumer"] = consumer
        record.update(extra)
        self.last_record = record
        for listener in self._listeners:
            listener(record)

    # -- set-up --

    @property
    def uses_broker(self) -> bool:
        return self.mode != "sync"

    async def setup(self) -> None:
        """Connect and create the stream and the five durable consumers."""
        self._t0, self._wall0 = time.monotonic(), time.time()
        if not self.uses_broker:
            return
        assert self.url is not None
        await self._conn.open(self.url, name=f"{self.names.stream} purchase service")
        js = self._conn.js
        timing = self.timing
        await ensure_stream(js, self.names, duplicate_window=timing.duplicate_window)
        settings = ConsumerSettings(ack_wait=timing.ack_wait, max_deliver=MAX_DELIVERIES)
        for name in self.consumers:
            await ensure_consumer(js, self.names, name, settings)
        self._parker = DeadLetterParker(self._conn, self.names, self._on_parked)
        await self._parker.start()
        self._runner = ConsumerRunner(
            self.url,
            self.names,
            list(self.consumers),
            self._handle,
            batch=64 if timing.fast else 1,  # one at a time while paced: lag is not hidden
            restart_after=timing.consumer_restart,
            # a slow effect says "still working" well inside ack_wait; without work, no need
            progress_every=None if timing.fast else timing.ack_wait / 3,
            notice=self._notice,
        )

    # -- the run --

    async def run(self) -> None:
        """Until every learner came and every consumer drained, as the server reports it."""
        self._t0, self._wall0 = time.monotonic(), time.time()
        loop_tasks = []
        if self._runner is not None:
            await self._runner.start()
            loop_tasks.append(self._poll())
        queue: asyncio.Queue[tuple[int, str, int, float]] = asyncio.Queue()
        loop_tasks.append(self._arrive(queue))
        if self.mode == "sync":
            pass
        else:
            loop_tasks.append(self._serve(queue))
        if self.mode == "outbox":
            loop_tasks.append(self._relay())
        if self.faults.broker_outages:
            loop_tasks.append(self._outages())
        self._tasks = [asyncio.create_task(coro) for coro in loop_tasks]
        try:
            await self._until_done()
        except BaseException:
            self.interrupted = True
            raise
        finally:
            await self._stop_tasks()

    async def _stop_tasks(self) -> None:
        self._stopping = True
        await cancel_and_wait(self._tasks + self._sync_calls)
        if self._runner is not None:
            await self._runner.stop()
        self._tasks = []

    async def _until_done(self) -> None:
        limit = self.deadline
        while True:
            if cancelled():  # a Ctrl-C that a nats-py request swallowed on its way here
                raise asyncio.CancelledError
            for task in self._tasks:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
            if self._runner is not None and self._runner.failure is not None:
                raise self._runner.failure
            if await self._drained():
                self.complete = True
                return
            if limit is not None and self.now > limit:
                return  # not complete: the summary says so
            await asyncio.sleep(0.02)

    async def _drained(self) -> bool:
        if not self._service_done:
            return False
        if self.mode == "sync":
            return all(t.done() for t in self._sync_calls)
        if self.mode == "outbox" and self.store.outbox_backlog():
            return False
        if not self.broker_up or self._expected_dead - self._parked:
            return False
        if any(c.status == CRASHED for c in self.consumers.values()):
            return False
        try:
            states = await read_consumers(self._conn.js, self.names, self.consumers)
            stream = await read_stream_state(self._conn.js, self.names.stream)
        except (TimeoutError, nats.errors.Error, ServerError):
            return False
        self._take(states, stream)
        return all(s.lag == 0 and s.delivered_seq >= stream.last_seq for s in states.values())

    # -- learners and the purchase service --

    async def _arrive(self, queue: asyncio.Queue[tuple[int, str, int, float]]) -> None:
        rng = self._arrivals
        fast = self.timing.fast
        for _ in range(self.planned):
            gap = rng.expovariate(self.scenario.arrival_rate)
            if not fast:
                await asyncio.sleep(self.timing.scaled(gap))
            self.commands += 1
            pid = self.commands
            course, cents = COURSES[int(rng.random() * len(COURSES))]
            self.focus = pid
            if self.service_status == CRASHED:
                self._emit("command", pid, course=course, amount_cents=cents, waits="restart")
            else:
                self._emit("command", pid, course=course, amount_cents=cents)
            if self.mode == "sync":
                self._sync_calls.append(
                    asyncio.create_task(self._sync_purchase(pid, course, cents))
                )
            else:
                queue.put_nowait((pid, course, cents, self.now))
            if fast and pid % 256 == 0:
                await asyncio.sleep(0)  # let the consumers and the publisher breathe
        if self.mode == "sync":
            self._service_done = True

    def _draw(self, kind: str, rate: float) -> bool:
        return rate > 0.0 and self._fault_rngs[kind].random() < rate

    def _commit_fails(self, pid: int) -> bool:
        return pid in self.faults.fail_commits or self._draw("commit", self.faults.commit_fail_rate)

    def _service_crashes(self, pid: int) -> bool:
        f = self.faults
        return pid in f.service_crashes or self._draw("service", f.service_crash_rate)

    def _next_event_id(self) -> str:
        self._event_seq += 1
        return f"evt-{self._event_seq:06d}"

    async def _serve(self, queue: asyncio.Queue[tuple[int, str, int, float]]) -> None:
        js = self._conn.js
        pending: list[asyncio.Future[Any]] = []
        while self.commands < self.planned or not queue.empty():
            pid, course, cents, asked = await queue.get()
            self.service_status = BUSY
            mode = self.mode
            if mode == "publish-first":  # the mistake: announce, then try to make it true
                event_id = self._next_event_id()
                await self._publish(js, event_id, pid, course, cents, self.now)
                self._commit(pid, course, cents, asked)
            elif mode == "outbox":
                event_id = self._next_event_id()
                if self._commit(pid, course, cents, asked, event_id) is not None:
                    self._relay_wake.set()
                    if self._service_crashes(pid):
                        await self._service_crash(pid, lost=False)
            elif self._commit(pid, course, cents, asked) is not None:
                if self._service_crashes(pid):  # after the commit, before the publish
                    await self._service_crash(pid, lost=True)
                else:
                    event_id = self._next_event_id()
                    if self.timing.fast:  # pipelined: the commit is done, the ack comes later
                        pending.append(
                            asyncio.ensure_future(
                                self._publish(js, event_id, pid, course, cents, self.now)
                            )
                        )
                        if len(pending) >= 512:
                            await asyncio.gather(*pending)
                            pending.clear()
                    else:
                        await self._publish(js, event_id, pid, course, cents, self.now)
            self.service_status = IDLE
        if pending:
            await asyncio.gather(*pending)
        self._service_done = True
        self._relay_wake.set()

    def _commit(
        self, pid: int, course: str, cents: int, asked: float, event_id: str | None = None
    ) -> float | None:
        """The purchase transaction in SQLite; the stored `committed_at`, or None (rolled back)."""
        flags = self.flags
        now = self.now
        if self._commit_fails(pid):
            self.store.fail_purchase(pid, course, cents, now)
            self.commit_failed += 1
            flags[pid] |= FAILED
            announced = bool(flags[pid] & PUBLISHED)
            if announced:
                self.ghost_events += 1
            self._emit(
                "commit_failed", pid, reason="database timeout, rolled back", ghost=announced
            )
            return None
        committed_at = self.store.commit_purchase(pid, course, cents, now, event_id)
        self.committed += 1
        flags[pid] |= COMMITTED
        if event_id is None:
            self._emit("commit", pid)
        else:
            self._emit("commit", pid, event_id, outbox=True)
        self._confirm(pid, asked, committed_at)
        return committed_at

    def _confirm(self, pid: int, asked: float, committed_at: float) -> None:
        now = self.now
        self.confirm.add(now - asked)
        self.flags[pid] |= CONFIRMED
        self._emit("confirm", pid, latency=round(now - asked, 6), committed_at=committed_at)

    async def _service_crash(self, pid: int, lost: bool) -> None:
        if lost:
            self.lost_known += 1
            self.flags[pid] |= LOST
        self.service_status = CRASHED
        self._emit("crash", pid, component="purchase-service", lost=lost)
        await asyncio.sleep(self.timing.service_restart)
        self._emit("restart", pid, component="purchase-service")

    async def _publish(
        self,
        js: Any,
        event_id: str,
        pid: int,
        course: str,
        cents: int,
        occurred: float,
        via: str | None = None,
    ) -> bool:
        """Publish with the event id as Nats-Msg-Id; True once the server acknowledged it."""
        body = json.dumps(
            {
                "event_id": event_id,
                "type": "purchase.completed",
                "purchase_id": pid,
                "course": course,
                "amount_cents": cents,
                "occurred_at": round(occurred, 6),
            },
            separators=(",", ":"),
        ).encode()
        ack = await js.publish(
            self.names.subject,
            body,
            timeout=self.timing.publish_timeout,
            headers={MSG_ID: event_id},
        )
        extra: dict[str, Any] = {} if via is None else {"via": via}
        if ack.duplicate:
            self.dropped_repeats += 1
            self._emit("publish", pid, event_id, offset=ack.seq, duplicate=True, **extra)
            return True
        self.occurred[ack.seq] = occurred
        self.published += 1
        flags = self.flags
        if not flags[pid] & PUBLISHED:
            flags[pid] |= PUBLISHED
        self._emit(
            "publish",
            pid,
            event_id,
            offset=ack.seq,
            course=course,
            amount_cents=cents,
            **extra,
        )
        return True

    # -- the outbox relay --

    def _relay_crashes(self, pid: int) -> bool:
        if pid in self._relay_crashed:
            return False
        f = self.faults
        if pid in f.relay_crashes or self._draw("relay", f.relay_crash_rate):
            self._relay_crashed.add(pid)
            return True
        return False

    async def _relay(self) -> None:
        js = self._conn.js
        store = self.store
        timing = self.timing
        while True:
            rows = store.pending_outbox()
            if not rows:
                if self._service_done:
                    return
                self._relay_wake.clear()
                await self._relay_wake.wait()
                continue
            for seq, event_id, pid, course, cents, occurred in rows:
                try:
                    await self._publish(js, event_id, pid, course, cents, occurred, via="relay")
                except (TimeoutError, nats.errors.Error) as exc:
                    self._emit(
                        "publish_failed",
                        pid,
                        event_id,
                        reason=f"broker unavailable ({type(exc).__name__})",
                        retry_in=round(timing.broker_retry, 6),
                    )
                    await asyncio.sleep(timing.broker_retry)
                    break
                long = self._long_relay_crash_due and self._relay_rows + 1 == LONG_RELAY_CRASH_AT
                if long or self._relay_crashes(pid):
                    # after the publish, before marking the row: the relay will publish it again.
                    # A short outage repeats it inside the duplicate window (the server drops
                    # it); the long one, once a run, outlasts the window (the server stores it
                    # again and only the idempotent consumers skip it): the lesson shows both.
                    self._long_relay_crash_due &= not long
                    down = timing.relay_restart_long if long else timing.relay_restart
                    self._emit(
                        "crash",
                        pid,
                        event_id,
                        component="relay",
                        down_for=round(down, 6),
                        duplicate_window=round(timing.duplicate_window, 6),
                    )
                    await asyncio.sleep(down)
                    self._emit("restart", component="relay")
                    break
                self._relay_rows += 1
                store.mark_published(seq, self.now)

    # -- broker outages (our own server only) --

    async def _outages(self) -> None:
        server = self.server
        assert server is not None
        for start, duration in sorted(self.faults.broker_outages):
            wait = self.timing.scaled(start) - self.now
            if wait > 0:
                await asyncio.sleep(wait)
            self.broker_up = False
            until = self.now + self.timing.scaled(duration)
            self._emit("broker_down", until=round(until, 6), how="server stopped")
            # in this thread, not a worker's: the kernel stops a server whose starting thread
            # ended (see server._die_with_parent); both take a few tens of milliseconds
            server.stop()
            await asyncio.sleep(max(0.0, until - self.now))
            server.start()
            self.broker_up = True
            self._emit("broker_up", how="server restarted from its file store")
            self._relay_wake.set()

    # -- consumers --

    def _consumer_crashes(self, c: _Consumer, pid: int) -> bool:
        f = self.faults
        if (c.name, pid) in f.consumer_crashes:
            return True
        rate = f.consumer_crash_rate
        return (
            rate > 0.0
            and c.name in f.crashing_consumers
            and self._crash_rng[c.name].random() < rate
        )

    async def _work(self, c: _Consumer) -> None:
        if not self.timing.fast and c.mean > 0:
            await asyncio.sleep(
                self.timing.scaled(self._service_rng[c.name].expovariate(1 / c.mean))
            )

    async def _handle(self, d: Delivery) -> Outcome:
        """One delivery to one consumer: the effect, then what the runner should tell the server."""
        c = self.consumers[d.consumer]
        event = json.loads(d.data)
        pid: int = event["purchase_id"]
        event_id: str = event["event_id"]
        self._emit("deliver", pid, event_id, c.name, offset=d.seq, delivery=d.delivered)
        if d.delivered > 1:
            c.redeliveries += 1
        c.status = BUSY
        await self._work(c)
        if (c.name, pid) in self.faults.poison:
            self._emit(
                "handle_failed", pid, event_id, c.name, delivery=d.delivered, reason=POISON_REASON
            )
            if d.delivered >= MAX_DELIVERIES:
                self._expected_dead.add((c.name, d.seq))  # the server gives up: an advisory
                c.status = IDLE
            else:
                c.status = RETRYING
            return Outcome.retry(self.timing.backoff(d.delivered))
        now = self.now
        fresh = self.store.mark_processed(c.name, event_id, now) if c.spec.idempotent else True
        if fresh:
            self._apply(c, pid, event_id)
        else:
            c.skipped += 1
            self._emit("duplicate_skipped", pid, event_id, c.name)
        if d.delivered == 1 and c.name in self._crashy and self._consumer_crashes(c, pid):
            c.crashes += 1
            c.status = CRASHED
            self._emit("crash", pid, event_id, c.name, offset=d.seq)
            return Outcome.crash()
        c.acked.add(d.seq)
        lag = now - event.get("occurred_at", now)
        c.lag.add(max(0.0, lag))
        c.status = IDLE
        return Outcome.ack()

    def _apply(self, c: _Consumer, pid: int, event_id: str) -> None:
        count = c.effects.get(pid, 0)
        if count:
            c.duplicates += 1
            self.duplicate_effects += 1
        else:
            c.distinct += 1
        c.effects[pid] = count + 1
        c.handled += 1
        self._emit(
            "handle",
            pid,
            event_id,
            c.name,
            effect=c.spec.effect,
            duplicate=bool(count),
            committed=bool(self.flags[pid] & COMMITTED) if pid < len(self.flags) else False,
        )

    def _notice(self, consumer: str, what: str) -> None:
        c = self.consumers[consumer]
        if what == "restarted":
            c.status = IDLE
            self._emit("restart", consumer=consumer)

    def _on_parked(self, consumer: str, seq: int, deliveries: int, data: bytes) -> None:
        self._parked.add((consumer, seq))
        self.dead_letters += 1
        event = json.loads(data) if data else {}
        c = self.consumers.get(consumer)
        if c is not None:
            c.dead.add(int(event.get("purchase_id", 0)))
        self._emit(
            "dead_letter",
            event.get("purchase_id"),
            event.get("event_id"),
            consumer,
            deliveries=deliveries,
            offset=seq,
            subject=self.names.dead_letter_subject,
        )

    # -- the "before" design: direct calls, no broker --

    async def _sync_purchase(self, pid: int, course: str, cents: int) -> None:
        asked = self.now
        committed_at = self._commit_sync(pid, course, cents)
        if committed_at is None:
            return
        self.flags[pid] |= PUBLISHED
        for c in self.consumers.values():
            c.busy += 1
            c.status = BUSY
            self._emit("deliver", pid, None, c.name, via="call")
            await self._work(c)
            event_id = f"call-{pid:06d}"
            fresh = True
            if c.spec.idempotent:
                fresh = self.store.mark_processed(c.name, event_id, self.now)
            if fresh:
                self._apply(c, pid, event_id)
            c.lag.add(self.now - committed_at)
            c.busy -= 1
            c.status = BUSY if c.busy else IDLE
        self._confirm(pid, asked, committed_at)  # only now: after the slowest consumer

    def _commit_sync(self, pid: int, course: str, cents: int) -> float | None:
        if self._commit_fails(pid):
            self.store.fail_purchase(pid, course, cents, self.now)
            self.commit_failed += 1
            self.flags[pid] |= FAILED
            self._emit("commit_failed", pid, reason="database timeout, rolled back", ghost=False)
            return None
        committed_at = self.store.commit_purchase(pid, course, cents, self.now)
        self.committed += 1
        self.flags[pid] |= COMMITTED
        self._emit("commit", pid)
        return committed_at

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
        self.reachable = True
        self.server_view = states
        self.stream_view = stream
        for name, state in states.items():
            c = self.consumers[name]
            if state.lag > c.lag_events_max:
                c.lag_events_max = state.lag
            c.acked = {seq for seq in c.acked if seq > state.ack_floor_seq}

    def _lag_seconds(self, c: _Consumer, state: ConsumerState | None) -> float:
        """Age of the oldest event above the server's ack floor that this consumer has neither
        acknowledged nor seen parked; 0 when the server reports no lag."""
        if state is None or state.lag == 0 or self.stream_view is None:
            return 0.0
        for seq in range(state.ack_floor_seq + 1, self.stream_view.last_seq + 1):
            if seq in c.acked or (c.name, seq) in self._parked:
                continue
            occurred = self.occurred.get(seq)
            return 0.0 if occurred is None else max(0.0, self.now - occurred)
        return 0.0

    def broker_view(self) -> ServerView | None:
        """The server's side of the live view, as last read; None for direct calls."""
        if not self.uses_broker:
            return None
        stream = self.stream_view
        return ServerView(
            url=self.url or "",
            stream=self.names.stream,
            last_seq=stream.last_seq if stream is not None else 0,
            messages=stream.messages if stream is not None else 0,
            consumers=tuple(
                self.server_view.get(c, ConsumerState(c, 0, 0, 0, 0, 0)) for c in self.consumers
            ),
            reachable=self.reachable and self.broker_up,
            dropped_repeats=self.dropped_repeats,
            dead_letters=self.dead_letters,
        )

    def final_view(self) -> ServerView | None:
        """The server's state as read back after the run; None if it could not be read."""
        final = self.final
        if final is None:
            return None
        return ServerView(
            url=self.url or "",
            stream=self.names.stream,
            last_seq=final.stream.last_seq,
            messages=final.stream.messages,
            consumers=tuple(
                final.consumers.get(c, ConsumerState(c, 0, 0, 0, 0, 0)) for c in self.consumers
            ),
            reachable=True,
            dropped_repeats=self.dropped_repeats,
            dead_letters=len(final.dead_letters),
        )

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
        if self._runner is not None:
            await self._runner.stop()
        if self._parker is not None:
            await self._parker.stop()
        await self._conn.close()
        self.store.close()

    # -- what a view reads --

    def _steps(self) -> tuple[StepView, ...]:
        pid = self.focus
        if pid == 0:
            return tuple(StepView(name, "pending", "") for name in self.scenario.steps)
        f = self.flags[pid]
        reached = sum(1 for c in self.consumers.values() if c.effects.get(pid) or pid in c.dead)
        total = len(self.consumers)
        views = []
        for name in self.scenario.steps:
            if name == "command":
                views.append(StepView(name, "done", f"P{pid}"))
            elif name == "commit":
                state = "done" if f & COMMITTED else "failed" if f & FAILED else "waiting"
                views.append(StepView(name, state, ""))
            elif name == "publish":
                if f & PUBLISHED:
                    views.append(StepView(name, "done", ""))
                elif f & LOST:
                    views.append(StepView(name, "failed", "lost"))
                elif f & FAILED:
                    views.append(StepView(name, "skipped", ""))
                elif self.mode == "outbox" and f & COMMITTED:
                    views.append(StepView(name, "waiting", "in outbox"))
                else:
                    views.append(StepView(name, "pending", ""))
            elif name == "consumers":
                state = "done" if reached == total else "waiting" if reached else "pending"
                if f & LOST or (f & FAILED and not f & PUBLISHED):
                    state = "skipped"
                views.append(StepView(name, state, f"{reached}/{total}"))
            elif name == "confirm":
                state = "done" if f & CONFIRMED else "failed" if f & FAILED else "waiting"
                views.append(StepView(name, state, ""))
        return tuple(views)

    def snapshot(self) -> Snapshot:
        """Everything the live view shows; consumer lag as the server last reported it."""
        now = self.now
        views = []
        for c in self.consumers.values():
            state = self.server_view.get(c.name)
            lag_seconds = self._lag_seconds(c, state)
            status = (BUSY if c.busy else IDLE) if self.mode == "sync" else c.status
            views.append(
                ConsumerView(
                    name=c.name,
                    status=status,
                    handled=c.handled,
                    skipped=c.skipped,
                    duplicates=c.duplicates,
                    dead_letters=len(c.dead),
                    lag_events=state.lag if state is not None else 0,
                    lag_seconds=lag_seconds,
                    idempotent=c.spec.idempotent,
                )
            )
            self.peak_lag_seconds = max(self.peak_lag_seconds, lag_seconds)
        record = self.last_record
        return Snapshot(
            scenario=self.scenario.name,
            mode=self.mode,
            clock=now,
            purchases=self.commands,
            planned=self.planned,
            committed=self.committed,
            commit_failed=self.commit_failed,
            published=self.published,
            purchase_id=self.focus or None,
            steps=self._steps(),
            consumers=tuple(views),
            ghost_events=self.ghost_events,
            lost_events=self.lost_known,
            duplicate_effects=self.duplicate_effects,
            dead_letters=self.dead_letters,
            outbox_backlog=self.store.outbox_backlog() if self.mode == "outbox" else None,
            broker_up=self.broker_up,
            service_status=self.service_status,
            peak_lag_seconds=self.peak_lag_seconds,
            what=describe(record) if record is not None else "Waiting for the first learner.",
            last_type=record["type"] if record is not None else None,
            done=self.complete,
        )

    # -- the outcome --

    def evidence(self) -> Evidence:
        """The store, the trace and the server's state after the run, for the invariants."""
        purchases = {}
        for pid in range(1, self.commands + 1):
            at = self.store.committed_at(pid)
            if at is not None:
                purchases[pid] = at
        return Evidence(
            purchases=purchases,
            trace=self.facts,
            server=self.final,
            broker=self.uses_broker,
            wall0=self._wall0,
            consumers=tuple(self.consumers),
            idempotent=frozenset(c.name for c in self.consumers.values() if c.spec.idempotent),
            complete=self.complete
            and not self.interrupted
            and (self.final is not None or not self.uses_broker),
        )

    def summary(self) -> Summary:
        """The model's summary, every figure recounted from the store, the trace and the server."""
        e = self.evidence()
        dead_by: dict[str, int] = {}
        for d in self.final.dead_letters if self.final is not None else ():
            dead_by[d.consumer] = dead_by.get(d.consumer, 0) + 1
        consumers = {}
        for c in self.consumers.values():
            effects = self.facts.handles.get(c.name, Counter())
            consumers[c.name] = ConsumerSummary(
                handled=sum(effects.values()),
                duplicates_skipped=c.skipped,
                duplicates=sum(n - 1 for n in effects.values() if n > 1),
                crashes=c.crashes,
                dead_letters=dead_by.get(c.name, 0),
                lag_events_max=c.lag_events_max,
                lag_seconds_p50=c.lag.quantile(0.5),
                lag_seconds_p95=c.lag.quantile(0.95),
                lag_seconds_max=c.lag.max,
            )
        final = self.final
        return Summary(
            scenario=self.scenario.name,
            seed=self.seed,
            purchases=self.commands,
            planned=self.planned,
            committed=len(e.purchases),
            commit_failed=self.commit_failed,
            published=len(final.events) if final is not None else 0,
            ghost_events=ghost_events(e),
            ghost_effects=ghost_effects(e),
            lost_events=lost_events(e) if e.complete else self.lost_known,
            duplicate_effects=duplicate_effects(e),
            dead_letters=len(final.dead_letters) if final is not None else 0,
            confirm_latency={
                "p50": self.confirm.quantile(0.5),
                "p95": self.confirm.quantile(0.95),
                "max": self.confirm.max,
            },
            consumers=consumers,
            invariants=invariants(e),
            expected_broken=tuple(sorted(self.scenario.expected_broken)),
            virtual_seconds=self.now,
            complete=e.complete,
            takeaway=self.scenario.takeaway,
        )

    def broker_facts(self) -> dict[str, Any]:
        """The `--json` keys the model does not have: the backend and the names on the server."""
        facts: dict[str, Any] = {"backend": "nats" if self.uses_broker else "direct calls"}
        if not self.uses_broker:
            return facts
        facts.update(
            server=self.url,
            stream=self.names.stream,
            subject=self.names.subject,
            dead_letter_stream=self.names.dead_letter_stream,
            consumer_names={c: self.names.durable(c) for c in self.consumers},
            repeats_dropped_by_server=self.dropped_repeats,
            # deliveries the server numbered 2 or more (num_redelivered is a gauge of the ones
            # still unacknowledged, 0 once a run drains)
            redeliveries={c.name: c.redeliveries for c in self.consumers.values()},
        )
        final = self.final
        if final is not None:
            facts["server_state"] = {
                "stream": {
                    "messages": final.stream.messages,
                    "first_seq": final.stream.first_seq,
                    "last_seq": final.stream.last_seq,
                },
                "consumers": {
                    name: {
                        "num_pending": s.num_pending,
                        "num_ack_pending": s.num_ack_pending,
                        "num_redelivered": s.num_redelivered,
                        "delivered_seq": s.delivered_seq,
                        "ack_floor_seq": s.ack_floor_seq,
                    }
                    for name, s in final.consumers.items()
                },
                "dead_letters": len(final.dead_letters),
            }
        return facts
