"""The simulation model: a purchase service, an SQLite store, a broker log and five consumers.

Core module: SimPy, sqlite3 and the standard library only (no rich, questionary or typer). It
never sleeps: `run()` goes as fast as it can, and a view paces it from outside with `peek()` and
`step()`, reading `snapshot()` in between. Records go to listeners only when someone listens, so
an unwatched run pays nothing for the trace.

Learners arrive on their own schedule and queue for the purchase service, which handles one
command at a time: when the service is down, learners keep arriving and wait, and their
confirmation latency shows it.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import simpy
from simpy.events import Timeout

from eventlesson.sim.invariants import TimeOrder, confirmed_at_commit, lags_drained
from eventlesson.sim.narrate import describe
from eventlesson.sim.scenarios import (
    BROKER_RETRY_SECONDS,
    COMMIT_SECONDS,
    CONSUMER_RESTART_SECONDS,
    CONSUMERS,
    COURSES,
    DEDUPE_RETENTION_SECONDS,
    MAX_DELIVERIES,
    RELAY_PUBLISH_SECONDS,
    RELAY_RESTART_SECONDS,
    RETRY_BACKOFF_SECONDS,
    SCENARIOS,
    SERVICE_RESTART_SECONDS,
    TIME_SCALE,
    ConsumerSpec,
    Faults,
    Scenario,
)
from eventlesson.sim.state import (
    ConsumerSummary,
    ConsumerView,
    Snapshot,
    StepView,
    Summary,
)
from eventlesson.sim.stats import StreamingQuantiles
from eventlesson.sim.store import Store

Record = dict[str, Any]
Listener = Callable[[Record], None]
Entry = tuple[str, int, str, int, float]  # event_id, purchase_id, course, cents, occurred_at
Proc = Generator[simpy.Event, Any, None]
Request = tuple[int, str, int, float]  # purchase_id, course, cents, asked_at
Callback = Callable[[simpy.Event], None]

MAX_PURCHASES = 10_000_000  # per-purchase counters cost about 6 bytes each: 60 MB at most
# per-purchase flags, one byte each: a million purchases cost a megabyte
COMMITTED = 1
PUBLISHED = 2  # announced at least once (in sync-chain: called the consumers directly)
FAILED = 4
CONFIRMED = 8
LOST = 16  # the publish died with the service

IDLE, BUSY, CRASHED, RETRYING = "idle", "busy", "crashed", "retrying"
TRIM_AT = 4096  # broker log entries kept before dropping those every consumer has committed
PRUNE_EVERY = 4096  # handled events between prunes of the processed-events table
POISON_REASON = "amount in a currency analytics cannot convert"


class Log:
    """The broker's append-only log; offsets are absolute, entries below every commit dropped."""

    __slots__ = ("base", "end", "entries")

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.base = 0  # offset of entries[0]
        self.end = 0  # next offset to write

    def append(self, entry: Entry) -> int:
        self.entries.append(entry)
        self.end += 1
        return self.end - 1

    def at(self, offset: int) -> Entry:
        return self.entries[offset - self.base]

    def trim(self, low: int) -> None:
        if low > self.base:
            del self.entries[: low - self.base]
            self.base = low


class Consumer:
    """One consumer group: its committed offset, its speed and what it has done."""

    __slots__ = (
        "busy",
        "crashes",
        "crashy",
        "dead",
        "deliveries",
        "distinct",
        "duplicates",
        "effects",
        "entry",
        "handled",
        "idempotent",
        "lag",
        "lag_events_max",
        "name",
        "offset",
        "on_handled",
        "on_restart",
        "on_retry",
        "rate",
        "rng",
        "service_time",
        "since_prune",
        "skipped",
        "spec",
        "status",
        "waiting",
    )

    def __init__(self, spec: ConsumerSpec, mean: float, seed: int, purchases: int) -> None:
        self.spec = spec
        self.name = spec.name
        self.idempotent = spec.idempotent
        self.rate = 1.0 / (mean * TIME_SCALE)
        self.rng = random.Random(f"{seed}:{spec.name}")  # its own stream: faults elsewhere
        self.offset = 0  # committed offset: the next event to handle
        self.waiting = True  # idle at the log's end: a publish hands it the next event
        self.entry: Entry = ("", 0, "", 0, 0.0)  # the event being handled
        self.service_time = self.rng.expovariate
        self.crashy = False  # may crash (set by the simulation from its faults)
        self.on_handled: Callback
        self.on_restart: Callback
        self.on_retry: Callback
        self.status = IDLE
        self.busy = 0  # inline calls in progress (sync-chain)
        self.deliveries = 0  # deliveries of the event at `offset` so far
        self.handled = 0  # side effects performed
        self.skipped = 0  # redeliveries recognised by event id
        self.duplicates = 0  # side effects performed again for the same purchase
        self.crashes = 0
        self.distinct = 0  # purchases with at least one side effect
        self.lag_events_max = 0
        self.lag = StreamingQuantiles()  # seconds from the fact to its handling
        self.effects = bytearray(purchases + 1)  # side effects per purchase id, capped at 255
        self.dead: set[int] = set()  # purchases parked in the dead-letter queue
        self.since_prune = 0


class Simulation:
    """One run of one scenario. Build it, then `run()` it or drive it with `peek()`/`step()`."""

    def __init__(
        self,
        scenario: str | Scenario = "happy",
        *,
        seed: int = 7,
        purchases: int | None = None,
        db: str = ":memory:",
        faults: Faults | None = None,
        observe: bool = False,
    ) -> None:
        self.scenario = SCENARIOS[scenario] if isinstance(scenario, str) else scenario
        self.seed = seed
        self.planned = purchases if purchases is not None else self.scenario.purchases
        if not 1 <= self.planned <= MAX_PURCHASES:
            raise ValueError(f"purchases must be from 1 to {MAX_PURCHASES:,} (got {self.planned})")
        self.faults = faults if faults is not None else self.scenario.faults(self.planned)
        self.mode = self.scenario.mode
        self.env = simpy.Environment()
        self.store = Store(db)
        self.log = Log()
        means = self.scenario.means
        self.consumers = [
            Consumer(spec, means.get(spec.name, spec.mean), seed, self.planned)
            for spec in CONSUMERS
        ]
        self._arrivals = random.Random(f"{seed}:arrivals")
        self._fault_rngs = {
            kind: random.Random(f"{seed}:{kind}") for kind in ("commit", "service", "relay")
        }
        self._consumer_fault_rng = {
            c.name: random.Random(f"{seed}:crash:{c.name}") for c in self.consumers
        }
        self._crashy = set(self.faults.crashing_consumers) | {
            n for n, _ in self.faults.consumer_crashes
        }
        self._poison = self.faults.poison
        self._relay_crashed: set[int] = set()

        self.flags = bytearray(self.planned + 1)
        self.commands = 0
        self.committed = 0
        self.commit_failed = 0
        self.published = 0  # appends to the log, duplicates included
        self.published_distinct = 0  # purchases announced at least once
        self.committed_published = 0  # committed purchases announced at least once
        self.ghost_events = 0
        self.ghost_effects = 0
        self.duplicate_effects = 0
        self.lost_known = 0  # publishes we saw die (the summary recounts at the end)
        self.dead_letters: list[tuple[str, str, int]] = []  # consumer, event id, purchase
        self.confirm = StreamingQuantiles()
        self.focus = 0  # the purchase the live view follows: the latest command
        self.broker_up = True
        self.service_status = IDLE
        self._queue: deque[Request] = deque()  # learners waiting for the purchase service
        self._event_seq = 0
        self._service_done = False
        self._relay_wake: simpy.Event | None = None
        # what the invariants read, all recorded from data rather than set beside it
        self.unstored_publishes = 0  # publishes for which the store did not hold the purchase
        self.late_confirms = 0  # confirmations not at the committed_at the store holds
        self._trace_times = TimeOrder()  # the `t` of every record, in the order emitted
        self._data_times = TimeOrder()  # stored commit times and offset-commit times, in order
        self._peak_lag_seconds = 0.0
        self._compared: dict[str, Any] | None = None  # sync-chain: happy's twin run, made once
        self._final: Summary | None = None  # the summary of a finished run, made once

        self.interrupted = False
        self._listeners: list[Listener] = []
        self._tracing = observe
        self.last_record: Record | None = None

        env = self.env
        self._arrive_later()  # the first learner; each arrival schedules the next
        if self.mode != "sync":
            for c in self.consumers:
                c.on_handled = partial(self._handled, c)
                c.on_restart = partial(self._restarted, c)
                c.on_retry = partial(self._retry, c)
                c.crashy = c.name in self._crashy
        if self.mode == "outbox":
            env.process(self._relay())
            if self.faults.broker_outages:
                env.process(self._broker())

    # -- driving --

    def add_listener(self, listener: Listener) -> None:
        """Receive every trace record, in order, as it happens."""
        self._listeners.append(listener)
        self._tracing = True

    def peek(self) -> float:
        """Virtual time of the next step; infinity when the run is over."""
        return self.env.peek()

    @property
    def now(self) -> float:
        return self.env.now

    @property
    def done(self) -> bool:
        return not self.interrupted and self.env.peek() == float("inf")

    def step(self) -> None:
        try:
            self.env.step()
        except BaseException:
            # Ctrl-C can land mid-step, even after the last event left the queue: never call
            # such a run complete
            self.interrupted = True
            raise

    def run(self) -> Summary:
        """Run to the end, unpaced, and return the summary."""
        try:
            self.env.run()
        except BaseException:
            self.interrupted = True
            raise
        return self.summary()

    def close(self) -> None:
        self.store.close()

    # -- records --

    def _emit(
        self,
        kind: str,
        purchase_id: int | None = None,
        event_id: str | None = None,
        consumer: str | None = None,
        **extra: Any,
    ) -> None:
        t = round(self.env.now, 6)
        self._trace_times.see(t)
        record: Record = {"t": t, "type": kind}
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

    # -- faults --

    def _draw(self, kind: str, rate: float) -> bool:
        return rate > 0.0 and self._fault_rngs[kind].random() < rate

    def _commit_fails(self, pid: int) -> bool:
        f = self.faults
        return pid in f.fail_commits or self._draw("commit", f.commit_fail_rate)

    def _service_crashes(self, pid: int) -> bool:
        f = self.faults
        return pid in f.service_crashes or self._draw("service", f.service_crash_rate)

    def _relay_crashes(self, pid: int) -> bool:
        if pid in self._relay_crashed:  # a crash is a one-off; the retry goes through
            return False
        f = self.faults
        if pid in f.relay_crashes or self._draw("relay", f.relay_crash_rate):
            self._relay_crashed.add(pid)
            return True
        return False

    def _consumer_crashes(self, c: Consumer, pid: int) -> bool:
        f = self.faults
        if (c.name, pid) in f.consumer_crashes:
            return True
        rate = f.consumer_crash_rate
        return (
            rate > 0.0
            and c.name in f.crashing_consumers
            and self._consumer_fault_rng[c.name].random() < rate
        )

    # -- learners and the purchase service --

    def _arrive_later(self) -> None:
        """Schedule the next learner. Arrivals run on their own clock, whatever the service does."""
        gap = self._arrivals.expovariate(self.scenario.arrival_rate)
        Timeout(self.env, gap).callbacks.append(self._arrived)

    def _arrived(self, _event: simpy.Event) -> None:
        pid, course, cents = self._new_purchase()
        if pid < self.planned:
            self._arrive_later()
        if self.mode == "sync":  # the chain: every request runs its own inline calls
            self.env.process(self._sync_purchase(pid, course, cents))
            return
        self._queue.append((pid, course, cents, self.env.now))
        if self.service_status == IDLE:
            self._serve()

    def _new_purchase(self) -> tuple[int, str, int]:
        self.commands += 1
        pid = self.commands
        course, cents = COURSES[int(self._arrivals.random() * len(COURSES))]
        self.focus = pid
        if self._tracing:
            if self.service_status == CRASHED:
                self._emit("command", pid, course=course, amount_cents=cents, waits="restart")
            else:
                self._emit("command", pid, course=course, amount_cents=cents)
        return pid, course, cents

    def _next_event_id(self) -> str:
        self._event_seq += 1
        return f"evt-{self._event_seq:06d}"

    # The service, like a consumer, is a state machine driven by timeout callbacks: one
    # scheduled event per command, no generator to resume.

    def _serve(self) -> None:
        """Take the next waiting command, or go idle (and finish once every learner came)."""
        queue = self._queue
        if not queue:
            self.service_status = IDLE
            if self.commands >= self.planned:
                self._service_done = True
                self._wake_relay()
            return
        request = queue.popleft()
        self.service_status = BUSY
        if self.mode == "publish-first":  # the mistake: announce, then try to make it true
            pid, course, cents, _asked = request
            self._publish(self._next_event_id(), pid, course, cents, self.env.now)
        Timeout(self.env, COMMIT_SECONDS, request).callbacks.append(self._transaction_done)

    def _transaction_done(self, event: simpy.Event) -> None:
        request: Request = event.value  # type: ignore[assignment]  # set by the Timeout above
        pid, course, cents, asked = request
        mode = self.mode
        if mode == "publish-first":
            self._commit(pid, course, cents, asked)
        elif mode == "outbox":
            if self._commit(pid, course, cents, asked, self._next_event_id()) is not None:
                if self._service_crashes(pid):
                    self._service_crash(pid, lost=False)  # the row is safe in the outbox
                    return
                self._wake_relay()
        elif self._commit(pid, course, cents, asked) is not None:
            if self._service_crashes(pid):
                self._service_crash(pid, lost=True)
                return
            self._publish(self._next_event_id(), pid, course, cents, self.env.now)
        self._serve()

    def _service_crash(self, pid: int, lost: bool) -> None:
        if lost:
            self.lost_known += 1
            self.flags[pid] |= LOST
        self.service_status = CRASHED  # arriving learners queue until the restart
        if self._tracing:
            self._emit("crash", pid, component="purchase-service", lost=lost)
        Timeout(self.env, SERVICE_RESTART_SECONDS, pid).callbacks.append(self._service_restarted)

    def _service_restarted(self, event: simpy.Event) -> None:
        if self._tracing:
            self._emit("restart", event.value, component="purchase-service")
        self._wake_relay()  # a restarted service wakes the relay too (outbox)
        self._serve()

    def _commit(
        self,
        pid: int,
        course: str,
        cents: int,
        asked: float,
        event_id: str | None = None,
        confirm: bool = True,
    ) -> float | None:
        """Run the purchase transaction; the stored `committed_at`, or None if it rolled back."""
        now = self.env.now
        flags = self.flags
        if self._commit_fails(pid):
            self.store.fail_purchase(pid, course, cents, now)
            self.commit_failed += 1
            flags[pid] |= FAILED
            announced = bool(flags[pid] & PUBLISHED)
            if announced:  # the fact is out, but it never became true
                self.ghost_events += 1
                self.ghost_effects += sum(c.effects[pid] for c in self.consumers)
            if self._tracing:
                self._emit(
                    "commit_failed", pid, reason="database timeout, rolled back", ghost=announced
                )
            return None
        committed_at = self.store.commit_purchase(pid, course, cents, now, event_id)
        self._data_times.see(committed_at)
        self.committed += 1
        flags[pid] |= COMMITTED
        if flags[pid] & PUBLISHED:  # publish-first: the event went out before this
            self.committed_published += 1
        if self._tracing:
            if event_id is None:
                self._emit("commit", pid)
            else:
                self._emit("commit", pid, event_id, outbox=True)
        if confirm:
            self._confirm(pid, asked, committed_at)
        return committed_at

    def _confirm(self, pid: int, asked: float, committed_at: float) -> None:
        """The learner sees "Purchase successful"; `committed_at` is what the store holds."""
        now = self.env.now
        self.confirm.add(now - asked)
        self.flags[pid] |= CONFIRMED
        if not confirmed_at_commit(now, committed_at):
            self.late_confirms += 1
        if self._tracing:
            self._emit("confirm", pid, latency=round(now - asked, 6))

    # -- the broker --

    def _publish(
        self,
        event_id: str,
        pid: int,
        course: str,
        cents: int,
        occurred: float,
        via: str | None = None,
    ) -> None:
        log = self.log
        offset = log.append((event_id, pid, course, cents, occurred))
        self.published += 1
        if not self.store.has_purchase(pid):  # ask the store, not our own bookkeeping
            self.unstored_publishes += 1
        flags = self.flags
        f = flags[pid]
        if not f & PUBLISHED:
            flags[pid] = f | PUBLISHED
            self.published_distinct += 1
            if f & COMMITTED:
                self.committed_published += 1
        if self._tracing:
            extra = {} if via is None else {"via": via}
            self._emit(
                "publish", pid, event_id, offset=offset, course=course, amount_cents=cents, **extra
            )
        end = log.end
        for c in self.consumers:
            lag = end - c.offset
            if lag > c.lag_events_max:
                c.lag_events_max = lag
            if c.waiting:
                self._next(c)
        if len(log.entries) > TRIM_AT:
            log.trim(min(c.offset for c in self.consumers))

    def _broker(self) -> Proc:
        timeout = self.env.timeout
        for start, duration in sorted(self.faults.broker_outages):
            if start > self.env.now:
                yield timeout(start - self.env.now)
            self.broker_up = False
            if self._tracing:
                self._emit("broker_down", until=round(self.env.now + duration, 6))
            yield timeout(duration)
            self.broker_up = True
            if self._tracing:
                self._emit("broker_up")

    # -- the outbox relay --

    def _wake_relay(self) -> None:
        wake = self._relay_wake
        if wake is not None:
            self._relay_wake = None
            wake.succeed()

    def _relay(self) -> Proc:
        env = self.env
        timeout = env.timeout
        store = self.store
        while True:
            rows = store.pending_outbox()
            if not rows:
                if self._service_done:
                    return
                self._relay_wake = env.event()
                yield self._relay_wake
                continue
            for seq, event_id, pid, course, cents, occurred in rows:
                yield timeout(RELAY_PUBLISH_SECONDS)
                if not self.broker_up:
                    if self._tracing:
                        self._emit(
                            "publish_failed",
                            pid,
                            event_id,
                            reason="broker unavailable",
                            retry_in=BROKER_RETRY_SECONDS,
                        )
                    yield timeout(BROKER_RETRY_SECONDS)
                    break
                self._publish(event_id, pid, course, cents, occurred, via="relay")
                if self._relay_crashes(pid):
                    if self._tracing:
                        self._emit("crash", pid, event_id, component="relay")
                    yield timeout(RELAY_RESTART_SECONDS)
                    if self._tracing:
                        self._emit("restart", component="relay")
                    break  # rescan: the unmarked row is published again
                store.mark_published(seq, env.now)

    # -- consumers --

    # A consumer is a small state machine driven by timeout callbacks rather than a SimPy
    # process: one scheduled event per delivery, no generator to resume, and no wake-up event
    # when it sat idle at the log's end. That is what keeps a 100,000-purchase run fast.

    def _next(self, c: Consumer) -> None:
        """Take the event at the committed offset, or go idle at the log's end."""
        log = self.log
        if c.offset >= log.end:
            c.status = IDLE
            c.waiting = True
            return
        c.waiting = False
        entry = log.entries[c.offset - log.base]
        c.entry = entry
        c.deliveries += 1
        c.status = BUSY
        if self._tracing:
            self._emit(
                "deliver", entry[1], entry[0], c.name, offset=c.offset, delivery=c.deliveries
            )
        Timeout(self.env, c.service_time(c.rate)).callbacks.append(c.on_handled)

    def _handled(self, c: Consumer, _event: simpy.Event) -> None:
        entry = c.entry
        event_id, pid = entry[0], entry[1]
        if self._poison and (c.name, pid) in self._poison:
            self._poisoned(c, entry)
            return
        now = self.env.now
        if c.idempotent:
            fresh = self.store.mark_processed(c.name, event_id, now)
            c.since_prune += 1
            if c.since_prune >= PRUNE_EVERY:
                c.since_prune = 0
                self.store.prune_processed(now - DEDUPE_RETENTION_SECONDS)
        else:
            fresh = True
        if fresh:
            self._apply(c, pid, event_id)
        else:
            c.skipped += 1
            if self._tracing:
                self._emit("duplicate_skipped", pid, event_id, c.name)
        if c.crashy and c.deliveries == 1 and self._consumer_crashes(c, pid):
            # after the side effect, before the offset commit: the event will come back
            c.crashes += 1
            c.status = CRASHED
            if self._tracing:
                self._emit("crash", pid, event_id, c.name, offset=c.offset)
            Timeout(self.env, CONSUMER_RESTART_SECONDS).callbacks.append(c.on_restart)
            return
        self._commit_offset(c, entry, now)
        self._next(c)

    def _restarted(self, c: Consumer, _event: simpy.Event) -> None:
        if self._tracing:
            self._emit("restart", consumer=c.name)
        self._next(c)  # from the committed offset: the crashed event is delivered again

    def _retry(self, c: Consumer, _event: simpy.Event) -> None:
        self._next(c)

    def _commit_offset(self, c: Consumer, entry: Entry, now: float) -> None:
        c.offset += 1
        c.deliveries = 0
        lag = now - entry[4]
        c.lag.add(lag)
        if lag > self._peak_lag_seconds:
            self._peak_lag_seconds = lag
        self._data_times.see(now)

    def _apply(self, c: Consumer, pid: int, event_id: str) -> None:
        """The consumer's side effect, counted per purchase to expose duplicates and ghosts."""
        count = c.effects[pid]
        if count:
            c.duplicates += 1
            self.duplicate_effects += 1
        else:
            c.distinct += 1
        if count < 255:
            c.effects[pid] = count + 1
        c.handled += 1
        if self.flags[pid] & FAILED:
            self.ghost_effects += 1
        if self._tracing:
            self._emit(
                "handle",
                pid,
                event_id,
                c.name,
                effect=c.spec.effect,
                duplicate=bool(count),
                committed=bool(self.flags[pid] & COMMITTED),
            )

    def _poisoned(self, c: Consumer, entry: Entry) -> None:
        event_id, pid = entry[0], entry[1]
        if self._tracing:
            self._emit(
                "handle_failed",
                pid,
                event_id,
                c.name,
                delivery=c.deliveries,
                reason=POISON_REASON,
            )
        if c.deliveries < MAX_DELIVERIES:
            c.status = RETRYING
            delay = RETRY_BACKOFF_SECONDS * c.deliveries
            Timeout(self.env, delay).callbacks.append(c.on_retry)
            return
        c.dead.add(pid)
        self.dead_letters.append((c.name, event_id, pid))
        if self._tracing:
            self._emit("dead_letter", pid, event_id, c.name, deliveries=c.deliveries)
        self._commit_offset(c, entry, self.env.now)
        self._next(c)

    # -- the "before" design: every consumer called inline --

    def _sync_purchase(self, pid: int, course: str, cents: int) -> Proc:
        env = self.env
        asked = env.now
        yield env.timeout(COMMIT_SECONDS)
        committed_at = self._commit(pid, course, cents, asked, confirm=False)
        if committed_at is None:
            return
        self.flags[pid] |= PUBLISHED  # told directly: nobody can miss it, everyone waits
        self.published_distinct += 1
        self.committed_published += 1
        for c in self.consumers:
            c.busy += 1
            c.status = BUSY
            if self._tracing:
                self._emit("deliver", pid, None, c.name, via="call")
            yield env.timeout(c.rng.expovariate(c.rate))
            now = env.now
            fresh = True
            event_id = f"call-{pid:06d}"  # no event exists; the call still needs a dedupe key
            if c.idempotent:
                fresh = self.store.mark_processed(c.name, event_id, now)
            if fresh:
                self._apply(c, pid, event_id)
            c.lag.add(now - committed_at)
            self._data_times.see(now)
            c.busy -= 1
            c.status = BUSY if c.busy else IDLE
        self._confirm(pid, asked, committed_at)  # only now: after the slowest consumer

    # -- what a view reads --

    def _lag(self, c: Consumer, now: float) -> tuple[int, float]:
        if self.mode == "sync" or c.offset >= self.log.end:
            return 0, 0.0
        return self.log.end - c.offset, max(0.0, now - self.log.at(c.offset)[4])

    def _steps(self) -> tuple[StepView, ...]:
        pid = self.focus
        if pid == 0:
            return tuple(StepView(name, "pending", "") for name in self.scenario.steps)
        f = self.flags[pid]
        reached = sum(1 for c in self.consumers if c.effects[pid] or pid in c.dead)
        views = []
        for name in self.scenario.steps:
            if name == "command":
                views.append(StepView(name, "done", f"P{pid}"))
            elif name == "commit":
                state = "done" if f & COMMITTED else "failed" if f & FAILED else "waiting"
                views.append(StepView(name, state, ""))
            elif name == "publish":
                if f & PUBLISHED:
                    state, detail = "done", ""
                elif f & LOST:
                    state, detail = "failed", "lost"
                elif f & FAILED:
                    state, detail = "skipped", ""
                elif self.mode == "outbox" and f & COMMITTED:
                    state, detail = "waiting", "in outbox"
                else:
                    state, detail = "pending", ""
                views.append(StepView(name, state, detail))
            elif name == "consumers":
                total = len(self.consumers)
                state = "done" if reached == total else "waiting" if reached else "pending"
                if f & LOST or (f & FAILED and not f & PUBLISHED):
                    state = "skipped"
                views.append(StepView(name, state, f"{reached}/{total}"))
            elif name == "confirm":
                state = "done" if f & CONFIRMED else "failed" if f & FAILED else "waiting"
                views.append(StepView(name, state, ""))
        return tuple(views)

    def snapshot(self, clock: float | None = None) -> Snapshot:
        """Everything a view shows, read at this instant; `clock` is the paced display time."""
        now = self.env.now
        consumers = []
        for c in self.consumers:
            lag_events, lag_seconds = self._lag(c, now)
            status = (BUSY if c.busy else IDLE) if self.mode == "sync" else c.status
            consumers.append(
                ConsumerView(
                    name=c.name,
                    status=status,
                    handled=c.handled,
                    skipped=c.skipped,
                    duplicates=c.duplicates,
                    dead_letters=len(c.dead),
                    lag_events=lag_events,
                    lag_seconds=lag_seconds,
                    idempotent=c.idempotent,
                )
            )
            self._peak_lag_seconds = max(self._peak_lag_seconds, lag_seconds)
        backlog = self.store.outbox_backlog() if self.mode == "outbox" else None
        record = self.last_record
        return Snapshot(
            scenario=self.scenario.name,
            mode=self.mode,
            clock=now if clock is None else max(clock, now),
            purchases=self.commands,
            planned=self.planned,
            committed=self.committed,
            commit_failed=self.commit_failed,
            published=self.published,
            purchase_id=self.focus or None,
            steps=self._steps(),
            consumers=tuple(consumers),
            ghost_events=self.ghost_events,
            lost_events=self.lost_known,
            duplicate_effects=self.duplicate_effects,
            dead_letters=len(self.dead_letters),
            outbox_backlog=backlog,
            broker_up=self.broker_up,
            service_status=self.service_status,
            peak_lag_seconds=self._peak_lag_seconds,
            what=describe(record) if record is not None else "Waiting for the first learner.",
            last_type=record["type"] if record is not None else None,
            done=self.done,
        )

    def _drained(self) -> bool:
        """Each group's offset at the log end, and nothing the store holds left unhandled."""
        flags, stored = self.flags, self.store.has_purchase

        def owed(pid: int) -> bool:
            return bool(flags[pid] & PUBLISHED) and stored(pid)

        groups = ((c.offset, c.effects, c.dead) for c in self.consumers)
        return lags_drained(self.log.end, groups, owed)

    def _compare_with_happy(self) -> dict[str, Any]:
        """The same learners through the event design: what the chain costs them (run once)."""
        if self._compared is None:
            twin = Simulation("happy", seed=self.seed, purchases=self.planned)
            try:
                self._compared = {
                    "scenario": "happy",
                    "confirm_latency": twin.run().confirm_latency,
                }
            finally:
                twin.close()
        return self._compared

    def summary(self) -> Summary:
        """The statistics so far; complete once the run is over (and then made only once)."""
        if self._final is not None:
            return self._final
        complete = self.done
        if complete:  # recounted from the store: purchases it holds that no event announced
            lost = self.store.count("purchases") - self.committed_published
        else:
            lost = self.lost_known
        consumers = {
            c.name: ConsumerSummary(
                handled=c.handled,
                duplicates_skipped=c.skipped,
                duplicates=c.duplicates,
                crashes=c.crashes,
                dead_letters=len(c.dead),
                lag_events_max=c.lag_events_max,
                lag_seconds_p50=c.lag.quantile(0.5),
                lag_seconds_p95=c.lag.quantile(0.95),
                lag_seconds_max=c.lag.max,
            )
            for c in self.consumers
        }
        invariants = {
            "publish_only_after_commit": self.unstored_publishes == 0,
            "no_ghost_events": self.ghost_events == 0,
            "no_lost_events": lost == 0,
            "confirmed_at_commit": self.late_confirms == 0,
            "idempotent_consumers_once": all(
                c.duplicates == 0 for c in self.consumers if c.idempotent
            ),
            "every_event_handled": complete
            and all(c.distinct + len(c.dead) == self.published_distinct for c in self.consumers),
            "lags_drained": complete and self._drained(),
            "time_never_goes_back": self._trace_times.ok and self._data_times.ok,
        }
        compared = self._compare_with_happy() if complete and self.mode == "sync" else None
        summary = Summary(
            scenario=self.scenario.name,
            seed=self.seed,
            purchases=self.commands,
            planned=self.planned,
            committed=self.committed,
            commit_failed=self.commit_failed,
            published=self.published,
            ghost_events=self.ghost_events,
            ghost_effects=self.ghost_effects,
            lost_events=lost,
            duplicate_effects=self.duplicate_effects,
            dead_letters=len(self.dead_letters),
            confirm_latency={
                "p50": self.confirm.quantile(0.5),
                "p95": self.confirm.quantile(0.95),
                "max": self.confirm.max,
            },
            consumers=consumers,
            invariants=invariants,
            expected_broken=tuple(sorted(self.scenario.expected_broken)),
            virtual_seconds=self.env.now,
            complete=complete,
            takeaway=self.scenario.takeaway,
            compared_with=compared,
        )
        if complete:
            self._final = summary
        return summary
