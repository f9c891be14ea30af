"""JetStream for the lesson: names, the stream, durable pull consumers, and state read back.

Core module: nats-py and the standard library only (no rich, questionary or typer, no SimPy).
Import it only once `eventlesson.broker.missing_extra()` says the client is installed. Everything
here is asyncio and talks to a real server; nothing draws, and nothing decides what a scenario
does: `ConsumerRunner` runs consumers and asks a handler what to do with each delivery, so a
simulation and a classroom learner can run the same five consumers.

The lesson's words map onto JetStream like this: the broker log is a stream and an offset its
stream sequence; a consumer group with a committed offset is a durable pull consumer and its ack
floor; consumer lag is `num_pending` (not yet delivered) plus `num_ack_pending` (delivered, not yet
acknowledged); at-least-once redelivery is a message not acknowledged within `ack_wait`; a relay's
repeat inside the stream's duplicate window is dropped by the server through `Nats-Msg-Id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy, StorageType

from eventlesson.broker.server import ServerError
from eventlesson.broker.state import ConsumerState, StreamState

MSG_ID = "Nats-Msg-Id"  # the header the server deduplicates on, inside the duplicate window
CONSUMER_HEADER = "Eventlesson-Consumer"  # dead letters: which consumer gave up
SEQ_HEADER = "Eventlesson-Stream-Seq"  # dead letters: the parked event's stream sequence
DELIVERIES_HEADER = "Eventlesson-Deliveries"
ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES"  # the server's word that it gave up
CONNECT_SECONDS = 3.0
REQUEST_SECONDS = 5.0


# -- tasks --


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any]], patience: float = 5.0) -> None:
    """Cancel the tasks and wait until they have ended, asking again while one is still running.

    Python 3.11's `asyncio.wait_for` (inside nats-py's requests) can swallow a cancellation that
    lands just as its inner future completes (fixed in 3.12), so one `cancel()` is not always
    enough: a task that swallowed it would run on, and whoever awaited it would wait forever.
    """
    tasks = list(tasks)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    pending = {t for t in tasks if not t.done()}
    while pending and loop.time() < deadline:
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=0.2)
    for task in tasks:  # fetch outcomes, so none is reported as never retrieved
        if task.done() and not task.cancelled():
            task.exception()


def cancelled() -> bool:
    """Whether someone asked the current task to stop (a Ctrl-C), even if the request was lost."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


# -- names --


@dataclass(frozen=True)
class Names:
    """Every name the lesson uses on a server, derived from one prefix.

    On a server we started the names are the lesson's own (`PURCHASES`, `purchase.completed`,
    `email`); on anyone else's they carry a prefix unique to the run, so nothing collides with
    what was there, and we touch only what carries our prefix.
    """

    prefix: str = ""

    def _join(self, name: str, sep: str) -> str:
        return f"{self.prefix}{sep}{name}" if self.prefix else name

    @property
    def stream(self) -> str:
        return self._join("PURCHASES", "_")

    @property
    def subject(self) -> str:
        return self._join("purchase.completed", ".")

    @property
    def dead_letter_stream(self) -> str:
        return self._join("DEADLETTERS", "_")

    @property
    def dead_letter_subject(self) -> str:
        return self._join("deadletter.purchase.completed", ".")

    def durable(self, consumer: str) -> str:
        return self._join(consumer, "_")

    def consumer_of(self, durable: str) -> str:
        """The lesson's consumer name for a durable name (the prefix removed)."""
        head = f"{self.prefix}_" if self.prefix else ""
        return durable[len(head) :] if head and durable.startswith(head) else durable


def run_prefix() -> str:
    """A prefix unique to one run on someone else's server: `eventlesson_` and six hex digits."""
    return f"eventlesson_{secrets.token_hex(3)}"


# -- connections --


class Connection:
    """One client connection and its JetStream context, with errors kept rather than logged.

    nats-py logs asynchronous errors (a refused reconnect, a dropped socket) with a traceback on
    stderr by default; here they are counted and the last one kept, so a broker outage in the
    middle of a lesson costs no screen garbage.
    """

    def __init__(self) -> None:
        self.nc: Client | None = None
        self.errors = 0
        self.last_error: str | None = None
        self.disconnects = 0

    @property
    def js(self) -> JetStreamContext:
        if self.nc is None:
            raise ServerError("not connected")
        return self.nc.jetstream(timeout=REQUEST_SECONDS)

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def open(
        self, url: str, *, name: str, wait: float = CONNECT_SECONDS, **options: Any
    ) -> Connection:
        """Connect, or ServerError after `wait` seconds; once connected, reconnect forever."""

        async def on_error(exc: Exception) -> None:
            self.errors += 1
            self.last_error = _why(exc)

        async def on_disconnect() -> None:
            self.disconnects += 1

        settings: dict[str, Any] = {
            "name": name,
            "connect_timeout": max(1, round(wait)),
            "allow_reconnect": True,
            "max_reconnect_attempts": -1,  # a broker outage is part of the lesson: keep trying
            "reconnect_time_wait": 0.1,  # typed int in nats-py, used as seconds: a float works
            "error_cb": on_error,
            "disconnected_cb": on_disconnect,
            **options,
        }
        nc = Client()
        try:
            # with unlimited reconnects nats-py also retries the first connect forever: the
            # deadline is ours
            await asyncio.wait_for(nc.connect(url, **settings), timeout=wait)
        except (TimeoutError, OSError, nats.errors.Error) as exc:
            with contextlib.suppress(Exception):
                await nc.close()
            why = self.last_error or _why(exc)
            if isinstance(exc, TimeoutError) and not isinstance(exc, nats.errors.Error):
                why = f"no NATS server answered within {wait:g} s; last error: {why}"
            raise ServerError(f"{url}: cannot connect ({why})") from exc
        self.nc = nc
        return self

    async def close(self) -> None:
        nc, self.nc = self.nc, None
        if nc is not None and not nc.is_closed:
            # close() flushes first; to a server that is gone that could wait a long time
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), timeout=2.0)

    async def drop(self) -> None:
        """Lose the connection the way a crashed process does: no drain, no goodbye."""
        nc, self.nc = self.nc, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), timeout=1.0)


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if text.startswith("nats: "):
        text = text[len("nats: ") :]
    return text or type(exc).__name__


# -- the stream and the consumers --


@dataclass(frozen=True)
class ConsumerSettings:
    """How the server treats one durable consumer."""

    ack_wait: float  # seconds without an ack before the server delivers the message again
    max_deliver: int  # deliveries before the server gives up and says so in an advisory


async def ensure_stream(js: JetStreamContext, names: Names, *, duplicate_window: float) -> None:
    """The purchases stream (file storage) and the dead-letter stream, created if absent."""
    await js.add_stream(
        name=names.stream,
        subjects=[names.subject],
        storage=StorageType.FILE,
        duplicate_window=duplicate_window,
        description="eventlesson: purchase.completed events",
    )
    await js.add_stream(
        name=names.dead_letter_stream,
        subjects=[names.dead_letter_subject],
        storage=StorageType.FILE,
        duplicate_window=max(duplicate_window, 1.0),
        description="eventlesson: events a consumer gave up on",
    )


async def ensure_consumer(
    js: JetStreamContext, names: Names, consumer: str, settings: ConsumerSettings
) -> None:
    """A durable pull consumer that acknowledges explicitly, from the stream's first event."""
    await js.add_consumer(
        names.stream,
        ConsumerConfig(
            durable_name=names.durable(consumer),
            name=names.durable(consumer),
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=settings.ack_wait,
            max_deliver=settings.max_deliver,
            filter_subject=names.subject,
            description=f"eventlesson: the {consumer} consumer",
        ),
    )


async def delete_all(js: JetStreamContext, names: Names, consumers: Iterable[str]) -> None:
    """Remove what `ensure_*` created (tests clean up the shared server); never other names."""
    for consumer in consumers:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_consumer(names.stream, names.durable(consumer))
    for stream in (names.stream, names.dead_letter_stream):
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(stream)


# -- consumers at work --


@dataclass(frozen=True)
class Delivery:
    """One message handed to one consumer, as the server described it."""

    consumer: str  # the lesson's name: "email"
    seq: int  # stream sequence: the event's offset in the log
    delivered: int  # 1 the first time, more on redelivery
    data: bytes
    headers: Mapping[str, str]
    stored_at: float  # when the server stored the message (Unix seconds)


Verdict = Literal["ack", "retry", "park", "crash"]
# "ack": the effect is done; "retry": it failed, deliver again after a delay (nak);
# "park": the handler gave up on it (and parked it elsewhere): never deliver it again (term);
# "crash": the consumer dies before acknowledging; the server redelivers after ack_wait


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    delay: float = 0.0  # retry: seconds before the server may deliver it again

    @classmethod
    def ack(cls) -> Outcome:
        return cls("ack")

    @classmethod
    def retry(cls, delay: float) -> Outcome:
        return cls("retry", delay)

    @classmethod
    def park(cls) -> Outcome:
        return cls("park")

    @classmethod
    def crash(cls) -> Outcome:
        return cls("crash")


Handler = Callable[[Delivery], Awaitable[Outcome]]
Notice = Callable[[str, str], None]  # (consumer, what): "crashed", "restarted", "acked"


@dataclass
class _Worker:
    name: str
    task: asyncio.Task[None] | None = None
    conn: Connection = field(default_factory=Connection)
    crash_now: bool = False
    crashes: int = 0
    acked: int = 0


class _Crash(Exception):
    pass


def _delivery(consumer: str, msg: Msg) -> Delivery:
    meta = msg.metadata
    stamp: datetime = meta.timestamp
    return Delivery(
        consumer=consumer,
        seq=meta.sequence.stream,
        delivered=meta.num_delivered,
        data=msg.data,
        headers=dict(msg.headers or {}),
        stored_at=stamp.timestamp(),
    )


class ConsumerRunner:
    """Runs consumers concurrently, each a durable pull consumer on a connection of its own.

    For every message the handler performs the effect and returns an `Outcome`; the runner then
    acknowledges (after the effect, never before), asks for a redelivery, or crashes: it drops
    its connection without acknowledging, stays down for `restart_after` seconds, and comes back
    on the same durable consumer, where the server redelivers whatever was not acknowledged once
    `ack_wait` has passed. `crash(name)` crashes a consumer from outside (a classroom key).
    With `progress_every`, a handler still at work tells the server so at that interval, so
    a slow effect is not redelivered as if its consumer had died.
    """

    def __init__(
        self,
        url: str,
        names: Names,
        consumers: Sequence[str],
        handler: Handler,
        *,
        batch: int = 1,
        restart_after: float = 1.0,
        progress_every: float | None = None,
        notice: Notice | None = None,
        connect_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.url = url
        self.names = names
        self.handler = handler
        self.batch = batch
        self.restart_after = restart_after
        self.progress_every = progress_every
        self.notice = notice or (lambda _consumer, _what: None)
        self.connect_options = dict(connect_options or {})
        self.workers = {name: _Worker(name) for name in consumers}
        self._stopping = False
        self.failure: BaseException | None = None  # what stopped a worker for good, if anything

    async def start(self) -> None:
        for worker in self.workers.values():
            await self._connect(worker)
        for worker in self.workers.values():
            worker.task = asyncio.create_task(self._run(worker), name=f"consumer {worker.name}")

    async def _connect(self, worker: _Worker) -> JetStreamContext.PullSubscription:
        durable = self.names.durable(worker.name)
        if not worker.conn.connected:
            worker.conn = Connection()
            await worker.conn.open(self.url, name=durable, **self.connect_options)
        return await worker.conn.js.pull_subscribe_bind(durable=durable, stream=self.names.stream)

    def crash(self, name: str) -> None:
        """Crash this consumer before it acknowledges its next message."""
        self.workers[name].crash_now = True

    async def _run(self, worker: _Worker) -> None:
        try:
            while not self._stopping:
                try:
                    sub = await self._connect(worker)
                    await self._consume(worker, sub)
                except _Crash:
                    worker.crashes += 1
                    worker.crash_now = False
                    await worker.conn.drop()
                    self.notice(worker.name, "crashed")
                    await asyncio.sleep(self.restart_after)
                    self.notice(worker.name, "restarted")
                except (TimeoutError, nats.errors.Error, OSError, ServerError):
                    # the server went away (an outage): the client reconnects; try again soon
                    await asyncio.sleep(0.1)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a bug in a handler: stop this worker, keep the reason
            self.failure = exc
            raise

    async def _consume(self, worker: _Worker, sub: JetStreamContext.PullSubscription) -> None:
        handler = self.handler
        while not self._stopping:
            try:
                msgs = await sub.fetch(self.batch, timeout=1.0)
            except nats.errors.TimeoutError:
                if worker.crash_now:
                    raise _Crash() from None
                continue
            for msg in msgs:
                if self.progress_every is None:
                    outcome = await handler(_delivery(worker.name, msg))
                else:
                    beat = asyncio.create_task(self._working(msg, self.progress_every))
                    try:
                        outcome = await handler(_delivery(worker.name, msg))
                    finally:
                        await cancel_and_wait([beat])
                if worker.crash_now or outcome.verdict == "crash":
                    raise _Crash()
                if outcome.verdict == "retry":
                    await msg.nak(delay=outcome.delay)
                elif outcome.verdict == "park":
                    await msg.term()  # counts as acknowledged: the ack floor moves past it
                else:
                    await msg.ack()
                    worker.acked += 1

    @staticmethod
    async def _working(msg: Msg, every: float) -> None:
        """Tell the server the message is still being worked on (+WPI), so a slow effect is not
        mistaken for a crash: ack_wait starts again with each of these."""
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(nats.errors.Error):
                await msg.in_progress()

    async def stop(self) -> None:
        self._stopping = True
        await cancel_and_wait(w.task for w in self.workers.values() if w.task is not None)
        for worker in self.workers.values():
            await worker.conn.close()


# -- reading the server --


def redeliveries(info: ConsumerInfo) -> int:
    """Deliveries beyond the first so far: every delivery takes the next consumer sequence,
    and first deliveries number as many as the stream sequences delivered (one subject, from 1)."""
    delivered = info.delivered
    return max(0, delivered.consumer_seq - delivered.stream_seq) if delivered else 0


async def read_consumers(
    js: JetStreamContext, names: Names, consumers: Iterable[str]
) -> dict[str, ConsumerState]:
    """Every consumer's counters, asked of the server at once."""
    consumers = list(consumers)
    infos = await asyncio.gather(
        *(js.consumer_info(names.stream, names.durable(c)) for c in consumers)
    )
    return {
        c: ConsumerState(
            name=c,
            num_pending=info.num_pending or 0,
            num_ack_pending=info.num_ack_pending or 0,
            redeliveries=redeliveries(info),
            delivered_seq=info.delivered.stream_seq if info.delivered else 0,
            ack_floor_seq=info.ack_floor.stream_seq if info.ack_floor else 0,
        )
        for c, info in zip(consumers, infos, strict=True)
    }


async def read_stream_state(js: JetStreamContext, stream: str) -> StreamState:
    info = await js.stream_info(stream)
    state = info.state
    return StreamState(messages=state.messages, first_seq=state.first_seq, last_seq=state.last_seq)


@dataclass(frozen=True)
class StoredMessage:
    """One message as the stream holds it."""

    seq: int
    msg_id: str | None
    data: bytes
    headers: Mapping[str, str]
    stored_at: float  # Unix seconds, the server's clock

    def json(self) -> Any:
        return json.loads(self.data)


async def read_messages(js: JetStreamContext, stream: str, subject: str) -> list[StoredMessage]:
    """Every message the stream holds, read through a short-lived consumer of our own."""
    state = await read_stream_state(js, stream)
    if state.messages == 0:
        return []
    sub = await js.pull_subscribe(
        subject,
        stream=stream,
        config=ConsumerConfig(
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.ALL,
            inactive_threshold=30.0,  # the server removes it if we die before deleting it
            mem_storage=True,
        ),
    )
    out: list[StoredMessage] = []
    try:
        while len(out) < state.messages:
            try:
                msgs = await sub.fetch(min(1024, state.messages - len(out)), timeout=2.0)
            except nats.errors.TimeoutError:
                break
            for msg in msgs:
                meta = msg.metadata
                headers = dict(msg.headers or {})
                out.append(
                    StoredMessage(
                        seq=meta.sequence.stream,
                        msg_id=headers.get(MSG_ID),
                        data=msg.data,
                        headers=headers,
                        stored_at=meta.timestamp.timestamp(),
                    )
                )
            if msgs and msgs[-1].metadata.num_pending == 0:
                break
    finally:
        info_name = sub._consumer  # nats-py keeps the generated name here
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
        with contextlib.suppress(Exception):
            await js.delete_consumer(stream, info_name)
    return out


# -- dead letters --


ParkedNotice = Callable[[str, int, int, bytes], None]  # consumer, stream seq, deliveries, data


class DeadLetterParker:
    """Parks what the server gave up on: on its max-deliveries advisory, copy the event to the
    dead-letter subject, naming the consumer, the sequence and the deliveries in headers."""

    def __init__(self, conn: Connection, names: Names, on_parked: ParkedNotice) -> None:
        self.conn = conn
        self.names = names
        self.on_parked = on_parked
        self.parked = 0
        self.busy = 0
        self._sub: Any = None

    async def start(self) -> None:
        nc = self.conn.nc
        assert nc is not None
        self._sub = await nc.subscribe(f"{ADVISORY}.{self.names.stream}.*", cb=self._advised)

    async def _advised(self, msg: Msg) -> None:
        self.busy += 1
        try:
            advisory = json.loads(msg.data)
            seq = int(advisory["stream_seq"])
            durable = str(advisory["consumer"])
            deliveries = int(advisory.get("deliveries", 0))
            js = self.conn.js
            raw = await js.get_msg(self.names.stream, seq)
            consumer = self.names.consumer_of(durable)
            data = raw.data or b""
            await js.publish(
                self.names.dead_letter_subject,
                data,
                headers={
                    MSG_ID: f"{durable}:{seq}",  # an advisory seen twice parks the event once
                    CONSUMER_HEADER: consumer,
                    SEQ_HEADER: str(seq),
                    DELIVERIES_HEADER: str(deliveries),
                },
            )
            self.parked += 1
            self.on_parked(consumer, seq, deliveries, data)
        finally:
            self.busy -= 1

    async def stop(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None
