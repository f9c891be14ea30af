"""A learner in the class: join through the host, then run the five consumers on the learner's
own durable consumers, in real time, and keep what the live view of `simulate` shows.

Core module: nats-py (through `eventlesson.broker.jetstream`) and the standard library; no rich,
questionary or typer. The consumers are the broker backend's `ConsumerRunner` with the model's
handlers and stores, and a session is a `broker.live.LiveSession`, as a scenario's run on the
broker is: every step becomes the model's trace record, folded by a `Ledger` and narrated by a
`Story`, and each consumer's lag is read against its ack floor, so the flow draws this
session with `render_sim.render_live` exactly as it draws a simulation. The purchase service's
records come from the host on the class's trace subject; offsets, the log's end and each
consumer's lag come from the server.

A learner's keys act on real things: `crash` drops a consumer's connection after its side effect
and before its ack (the server redelivers after ack_wait), `cycle_slow` makes one consumer take
seconds per event, `toggle_idempotent` switches the email consumer between applying every
delivery and skipping event ids it has processed, and `try_publish` asks the server to take a
purchase from this learner's user, which it refuses.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nats.errors

from eventlesson.broker.jetstream import (
    MSG_ID,
    Connection,
    ConsumerRunner,
    Delivery,
    Names,
    Outcome,
    cancel_and_wait,
    read_consumers,
)
from eventlesson.broker.live import CRASHED, IDLE, RETRYING, LiveConsumer, LiveSession
from eventlesson.broker.server import ServerError
from eventlesson.broker.state import ConsumerState, ServerView
from eventlesson.broker.wire import WireError, decode_event, encode_event
from eventlesson.classroom.narrate import describe
from eventlesson.classroom.roster import (
    JOIN_SUBJECT,
    LOBBY_INBOX,
    LOBBY_USER,
    NOTICE_SUBJECT,
    PING_SECONDS,
    STREAM,
    SUBJECT,
    TRACE_SUBJECT,
    ClassroomError,
    JoinAddress,
    dead_letter_subject,
    durable,
    learner_inbox,
    learner_user,
    new_password,
)
from eventlesson.classroom.state import ConsumerTotals, LearnerSummary
from eventlesson.classroom.wire import (
    ENDED,
    POISON_CURRENCY,
    JoinAnswer,
    JoinRequest,
    decode_answer,
    decode_notice,
    decode_record,
    encode_join,
)
from eventlesson.sim import records
from eventlesson.sim.ledger import Ledger
from eventlesson.sim.records import POISON_REASON
from eventlesson.sim.scenarios import (
    BEYOND,
    CONCEPT_2,
    CONSUMER_NAMES,
    CONSUMER_RESTART_SECONDS,
    CONSUMERS,
    EVENT_TYPE,
    LIVELY_MEANS,
    MAX_DELIVERIES,
    RETRY_BACKOFF_SECONDS,
    ConsumerSpec,
    Scenario,
)
from eventlesson.sim.services import Event, apply_effect, apply_once
from eventlesson.sim.snapshot import consumer_view, from_trace
from eventlesson.sim.state import Snapshot
from eventlesson.sim.story import Story
from eventlesson.text import clean

CONNECT_SECONDS = 5.0
JOIN_SECONDS = 10.0  # the host reloads the server's configuration and creates five consumers
JOIN_TRIES = 5  # a lobby connection refused while the host reloads the users is tried again
GONE_SECONDS = 5.0  # no answer from the server for this long: the class is over for us
REFUSED_SECONDS = 1.5  # ... or this long when nothing even listens on its port any more
POLL_SECONDS = 0.25  # the live view asks the server for each consumer's state this often
SLOW_SECONDS = 2.0  # a consumer slowed down with `s` takes this long per event
SLOW = "slow"  # the consumer slowed down with `s`, resting between its events

CLASSROOM = Scenario(
    "classroom",
    "One instructor publishes, every learner's five consumers lag on their own machine.",
    f'"{CONCEPT_2}" and "{BEYOND}": one log, a consumer group per learner and consumer, each '
    "at its own pace; a crash before the acknowledgement brings the event again, and only an "
    "idempotent consumer turns that repeat into nothing.",
    (CONCEPT_2, BEYOND),
    "event",
    means=LIVELY_MEANS,
)


@dataclass(frozen=True)
class ClassNames(Names):
    """The class's names on the server: the lesson's stream and subject, and one learner's
    durable consumers (`ada_email`)."""

    learner: str = ""

    def durable(self, consumer: str) -> str:
        return durable(self.learner, consumer)

    def consumer_of(self, name: str) -> str:
        head = f"{self.learner}_"
        return name[len(head) :] if name.startswith(head) else name


def _why(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _no_server(address: JoinAddress) -> str | None:
    """Why no NATS server answers at the address (it greets every connection with INFO), or
    None when one does: a refused or silent address fails in a moment, not after retries."""
    host = address.host.strip("[]")
    try:
        with socket.create_connection((host, address.port), timeout=CONNECT_SECONDS) as sock:
            sock.settimeout(CONNECT_SECONDS)
            greeting = sock.recv(5)
    except OSError as exc:
        return (exc.strerror or str(exc) or type(exc).__name__).lower()
    return None if greeting == b"INFO " else "something answers there, but not a NATS server"


async def request_join(
    address: JoinAddress, key: str, password: str, *, wait: float = CONNECT_SECONDS
) -> JoinAnswer:
    """Ask the host, through the `join` user, to let `key` in with `password`; the host's
    answer, or ClassroomError saying in one line what went wrong."""
    unreachable = await asyncio.to_thread(_no_server, address)
    if unreachable is not None:
        raise ClassroomError(
            f"no class answers at {address.url} ({unreachable}): is the host running, and is "
            "the address right?"
        )
    lobby = Connection()
    for attempt in range(1, JOIN_TRIES + 1):
        try:
            await lobby.open(
                address.url,
                name=f"join {key}",
                wait=wait,
                user=LOBBY_USER,
                password=address.secret,
                inbox_prefix=LOBBY_INBOX,
                allow_reconnect=False,
            )
            break
        except ServerError as exc:
            # a NATS server that greets us and then drops the connection refuses the secret
            # (its "Authorization Violation" can be lost when it closes the socket at once);
            # but while the host reloads the users for another learner, the server may refuse
            # or drop a good one for a moment too: only a refusal that lasts is the answer
            if attempt == JOIN_TRIES:
                raise ClassroomError(
                    f"the class at {address.url} refused the join secret: copy the command "
                    "again from the host's screen"
                ) from exc
            await asyncio.sleep(0.05 * attempt)
    try:
        nc = lobby.nc
        assert nc is not None
        reply = await nc.request(
            JOIN_SUBJECT, encode_join(JoinRequest(key, password)), timeout=JOIN_SECONDS
        )
        return decode_answer(reply.data)
    except nats.errors.NoRespondersError as exc:
        raise ClassroomError(
            f"the server at {address.url} answers, but no host is taking learners"
        ) from exc
    except (TimeoutError, nats.errors.TimeoutError) as exc:
        raise ClassroomError(
            f"the host at {address.url} did not answer within {JOIN_SECONDS:g} s"
        ) from exc
    except WireError as exc:
        raise ClassroomError(f"the host's answer could not be read ({exc})") from exc
    except nats.errors.Error as exc:
        raise ClassroomError(f"the join request failed ({_why(exc)})") from exc
    finally:
        await lobby.close()


class _Consumer(LiveConsumer):
    """One of the learner's consumers, whose idempotency the learner can switch (`i`)."""

    def __init__(self, spec: ConsumerSpec, index: int, mean: float, rng: random.Random):
        super().__init__(spec, index, mean, rng, 0)
        self.idempotent = spec.idempotent or spec.refresh


class LearnerSession(LiveSession):
    """One learner's five consumers on the class's server. `await join()`, `await start()`;
    `over` says once the session has ended and why; `await stop()`, then `summary()`.

    `work` scales the model's processing times (0: no work at all, for the load check);
    `watch` reads the server's view of the consumers for a live screen; `chaos` is a chance per
    event that the consumer crashes after its effect (the host's simulated learners).
    """

    consumers: dict[str, _Consumer]

    def __init__(
        self,
        address: JoinAddress,
        key: str,
        *,
        work: float = 1.0,
        batch: int = 1,
        watch: bool = True,
        chaos: float = 0.0,
        seed: int | None = None,
        on_handled: Callable[[str, Delivery, float], None] | None = None,
    ) -> None:
        self.address = address
        self.key = key
        self.names = ClassNames(learner=key)
        self.work = work
        self.batch = batch
        self.watch = watch
        self.chaos = chaos
        self.on_handled = on_handled
        self.rng = random.Random(seed)
        self.password = new_password()
        self.story = Story(CLASSROOM, describe)
        super().__init__(Ledger(CONSUMER_NAMES, 0, arrivals=False), [self.story])
        self.consumers = {
            spec.name: _Consumer(
                spec, i, CLASSROOM.mean(spec), random.Random(f"{seed}:{spec.name}")
            )
            for i, spec in enumerate(CONSUMERS)
        }
        self.answer: JoinAnswer | None = None
        self.ghosts: set[int] = set()
        self.slow: str | None = None
        self.over: str | None = None  # why the session ended, once it has
        self.ended_by_class = False
        self.last_seq = 0
        self.reachable = True
        self.peak_lag = 0.0
        self._known: set[int] = set()  # purchases the trace has introduced
        self._published_at: dict[int, float] = {}  # stream seq -> when we first heard of it
        self._crash_requested: set[str] = set()
        self._control = Connection()
        self._runner: ConsumerRunner | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._attempts = 0

    # -- joining --

    @property
    def connect_options(self) -> dict[str, Any]:
        return {
            "user": learner_user(self.key),
            "password": self.password,
            "inbox_prefix": learner_inbox(self.key),
            "ping_interval": PING_SECONDS,  # a host that vanished is noticed in seconds
            "max_outstanding_pings": 2,
        }

    async def join(self) -> JoinAnswer:
        """Ask the host to let us in; ClassroomError (one line) if it cannot or will not."""
        answer = await request_join(self.address, self.key, self.password)
        if not answer.ok:
            raise ClassroomError(clean(answer.why) or "the host refused to let you in")
        self.answer = answer
        self.ghosts.update(answer.ghosts)
        return answer

    async def start(self) -> None:
        """Connect as the learner's own user and start the five consumers."""
        answer = self.answer
        assert answer is not None, "join() first"
        self._t0 = time.monotonic()
        url = self.address.url
        try:
            await self._control.open(url, name=self.key, **self.connect_options)
        except ServerError as exc:
            raise ClassroomError(f"{self.address.url}: the class let you in, but {exc}") from exc
        nc = self._control.nc
        assert nc is not None
        await nc.subscribe(TRACE_SUBJECT, cb=self._on_trace)
        await nc.subscribe(NOTICE_SUBJECT, cb=self._on_notice)
        self._runner = ConsumerRunner(
            url,
            self.names,
            CONSUMER_NAMES,
            self._handle,
            batch=self.batch,
            restart_after=CONSUMER_RESTART_SECONDS,
            # a slow effect says "still working" well inside ack_wait
            progress_every=max(answer.ack_wait / 3, 0.1),
            notice=self._notice,
            connect_options=self.connect_options,
        )
        try:
            await self._runner.start()
        except (ServerError, TimeoutError, nats.errors.Error) as exc:
            await self._runner.stop()
            raise ClassroomError(
                f"the class at {self.address.url} went away as you joined ({_why(exc)})"
            ) from exc
        self._tasks.append(asyncio.create_task(self._guard(), name=f"learner {self.key}"))

    # -- what the host says --

    async def _on_trace(self, msg: Any) -> None:
        try:
            record = decode_record(msg.data)
        except WireError:
            return  # not the host's: nothing to show
        record["t"] = self._t()
        pid = record["purchase_id"]
        self._known.add(pid)
        if record["type"] == "publish" and "offset" in record:
            self._published_at.setdefault(record["offset"], record["t"])
            self.last_seq = max(self.last_seq, record["offset"])
        if record["type"] == "commit_failed" and record.get("ghost"):
            self.ghosts.add(pid)
        self._emit(record)

    async def _on_notice(self, msg: Any) -> None:
        try:
            kind, text = decode_notice(msg.data)
        except WireError:
            return
        if kind == ENDED:
            self.ended_by_class = True
            self.over = clean(text) or "The class has ended."

    # -- the consumers --

    def _introduce(self, event: Event, seq: int) -> None:
        """A purchase the trace never told us about (we joined later, or came back): its steps
        as the event itself tells them, so the view can follow it."""
        pid = event.purchase_id
        if pid in self._known:
            return
        self._known.add(pid)
        t = self._t()
        self._emit(records.command(t, pid, event.course, event.amount_cents))
        if pid not in self.ghosts:
            self._emit(records.commit(t, pid))
        self._emit(records.publish(t, pid, event.id, seq, event.course, event.amount_cents))
        self._published_at.setdefault(seq, t)

    async def _handle(self, d: Delivery) -> Outcome:
        c = self.consumers[d.consumer]
        self._published_at.setdefault(d.seq, self.now)
        self.last_seq = max(self.last_seq, d.seq)
        try:
            event, currency = decode_event(d.data)
        except WireError as exc:  # not an event we can read: it fails like a poison one
            unreadable = Event(f"seq-{d.seq}", EVENT_TYPE, 0, "", 0, 0.0)
            return await self._failed(c, d, unreadable, f"cannot read the event ({exc})")
        self._introduce(event, d.seq)
        self._delivered(c, event, d)
        await self._work(c)
        if c.name == "analytics" and currency == POISON_CURRENCY:
            problem: str | None = f"{POISON_REASON} ({currency})"
        else:
            committed = event.purchase_id not in self.ghosts
            problem = self._run_handler(c, event, committed=committed, offset=d.seq)
        if problem is not None:
            return await self._failed(c, d, event, problem)
        if self.chaos and c.rng.random() < self.chaos:
            self.crash(c.name)
        if c.name in self._crash_requested:  # after the side effect, before the ack
            self._crash_requested.discard(c.name)
            return self._crash(c, event, d)
        c.status = self._resting(c)
        outcome = self._ack(c, d, end=max(self.last_seq, d.seq), since=self._published_at[d.seq])
        if self.on_handled is not None:
            self.on_handled(c.name, d, time.time())
        return outcome

    def _resting(self, c: _Consumer) -> str:
        return SLOW if c.name == self.slow else IDLE

    async def _work(self, c: _Consumer) -> None:
        """The consumer's processing time: the model's, scaled by `work`; seconds when slow."""
        if c.name == self.slow:
            await asyncio.sleep(SLOW_SECONDS)
            return
        if self.work <= 0 or c.mean <= 0:
            return
        await asyncio.sleep(c.rng.expovariate(1.0 / c.mean) * self.work)

    async def _failed(self, c: _Consumer, d: Delivery, event: Event, reason: str) -> Outcome:
        """A failed delivery: redelivered after a growing pause (nak); on its last delivery the
        consumer parks it on the learner's dead-letter subject and terminates it."""
        self._handle_failed(c, event, d, reason)
        if d.delivered < MAX_DELIVERIES:
            c.status = RETRYING
            return Outcome.retry(RETRY_BACKOFF_SECONDS * d.delivered)
        subject = dead_letter_subject(self.key, c.name)
        try:
            await self._control.js.publish(
                subject,
                d.data,
                timeout=2.0,
                headers={MSG_ID: f"{self.names.durable(c.name)}:{d.seq}"},
            )
        except (TimeoutError, nats.errors.Error):
            c.status = RETRYING  # not parked: try again on the next delivery
            return Outcome.retry(RETRY_BACKOFF_SECONDS)
        c.parked.add(d.seq)
        c.status = self._resting(c)
        self._emit(
            records.dead_letter(
                self._t(),
                event.purchase_id,
                event.id,
                c.name,
                d.delivered,
                offset=d.seq,
                subject=subject,
            )
        )
        return Outcome.park()

    def _notice(self, consumer: str, what: str) -> None:
        c = self.consumers[consumer]
        if what == "crashed":
            c.status = CRASHED
        elif what == "restarted":
            c.status = self._resting(c)
            self._emit(records.restart(self._t(), consumer=consumer))

    # -- the learner's keys --

    def crash(self, consumer: str) -> None:
        """Crash this consumer after the side effect of its next event, before the ack: its
        connection drops, it comes back a second later on the same durable consumer, and the
        server delivers the unacknowledged event again once ack_wait has passed."""
        if consumer in self._crash_requested or self.consumers[consumer].status == CRASHED:
            return
        self._crash_requested.add(consumer)
        self._emit(
            {
                "t": self._t(),
                "type": "setting",
                "consumer": consumer,
                "text": f"{consumer} will crash after the side effect of its next event, "
                "before acknowledging it.",
            }
        )

    def cycle_slow(self) -> str | None:
        """Slow the next consumer down (none → enrollment → … → affiliate → none)."""
        order: list[str | None] = [None, *CONSUMER_NAMES]
        self.slow = order[(order.index(self.slow) + 1) % len(order)]
        for c in self.consumers.values():
            if c.status in (IDLE, SLOW):
                c.status = self._resting(c)
        text = (
            f"{self.slow} now takes {SLOW_SECONDS:g} s per event: watch its lag grow"
            if self.slow
            else "no consumer is slowed down any more"
        )
        self._emit({"t": self._t(), "type": "setting", "text": text})
        return self.slow

    def toggle_idempotent(self) -> bool:
        """Switch the email consumer between applying every delivery and skipping event ids it
        has already processed (kept in its own store with the effect)."""
        email = self.consumers["email"]
        email.idempotent = not email.idempotent
        email.handler = apply_once if email.idempotent else apply_effect
        text = (
            "email is idempotent now: it keeps the event ids it processed and skips a repeat"
            if email.idempotent
            else "email is not idempotent now: a redelivered event sends the receipt again"
        )
        self._emit({"t": self._t(), "type": "setting", "consumer": "email", "text": text})
        return email.idempotent

    async def try_publish(self) -> bool:
        """Try to publish a purchase as this learner; True if the server took it (it must not)."""
        self._attempts += 1
        event = Event(f"{self.key}-attempt-{self._attempts}", EVENT_TYPE, 1, "free-course", 0, 0)
        conn = self._control
        errors = conn.errors
        try:
            await conn.js.publish(
                SUBJECT, encode_event(event), timeout=1.0, headers={MSG_ID: event.id}
            )
        except (TimeoutError, nats.errors.Error, ServerError) as exc:
            await asyncio.sleep(0.05)  # the server's -ERR may trail the timeout a little
            why = conn.last_error if conn.errors > errors and conn.last_error else _why(exc)
            self._emit(
                {"t": self._t(), "type": "publish_refused", "subject": SUBJECT, "reason": why}
            )
            return False
        self._emit({"t": self._t(), "type": "publish_accepted", "subject": SUBJECT})
        return True

    # -- the server's view --

    async def _guard(self) -> None:
        """Read the server's view (for a live screen), and notice when the class is gone."""
        gone_since: float | None = None
        last_read = 0.0
        while self.over is None:
            runner = self._runner
            if runner is not None and runner.failure is not None:
                raise runner.failure
            if self._control.connected:
                gone_since = None
                if self.watch and self.now - last_read >= POLL_SECONDS:
                    last_read = self.now
                    await self._read()
            else:
                self.reachable = False
                gone_since = self.now if gone_since is None else gone_since
                refused = "connect call failed" in (self._control.last_error or "").lower()
                if self.now - gone_since > (REFUSED_SECONDS if refused else GONE_SECONDS):
                    self.over = self._why_gone(refused)
                    return
            await asyncio.sleep(0.05)

    def _why_gone(self, refused: bool) -> str:
        last = (self._control.last_error or "").lower()
        if "authorization" in last or "authentication" in last:
            return (
                f"{self.key} joined the class again from somewhere else, so the server closed "
                "this session"
            )
        if refused:
            return f"the class at {self.address.url} went away (its server has stopped)"
        return f"the class at {self.address.url} went away (no answer for {GONE_SECONDS:g} s)"

    async def _read(self) -> None:
        try:
            states = await read_consumers(self._control.js, self.names, CONSUMER_NAMES)
        except (TimeoutError, nats.errors.Error, ServerError):
            self.reachable = False
            return
        self.reachable = True
        for state in states.values():
            self.last_seq = max(self.last_seq, state.delivered_seq + state.num_pending)
        self._take_floors(states)

    def broker_view(self) -> ServerView:
        return ServerView(
            url=self.address.url,
            stream=STREAM,
            last_seq=self.last_seq,
            messages=self.last_seq,
            consumers=tuple(
                self.server_view.get(c, ConsumerState(c, 0, 0, 0, 0, 0)) for c in CONSUMER_NAMES
            ),
            reachable=self.reachable and self._control.connected,
            dropped_repeats=0,
            dead_letters=len(self.ledger.dead_letters),
        )

    def snapshot(self, focus: int | None = None) -> Snapshot:
        """What the live view of `simulate` shows, for this learner: the followed purchase's
        steps, each consumer's offset (its ack floor) and lag, read from the server."""
        consumers = []
        peak = 0.0
        for c in self.consumers.values():
            state = self.server_view.get(c.name)
            offset = state.ack_floor_seq if state is not None else 0
            lag_seconds = (
                c.oldest_age(offset, self.last_seq, self._published_at.get, self.now)
                if state is not None
                else 0.0
            )
            peak = max(peak, lag_seconds)
            consumers.append(
                consumer_view(
                    self.ledger,
                    c.index,
                    c.name,
                    c.status,
                    lag_events=max(0, self.last_seq - offset),
                    lag_seconds=lag_seconds,
                    idempotent=c.idempotent,
                    offset=offset,
                )
            )
        self.peak_lag = max(self.peak_lag, peak)
        return from_trace(
            self.ledger,
            self.story,
            describe,
            scenario=f"classroom · {self.key}",
            mode="event",
            clock=self.now,
            planned=self.ledger.commands,
            focus=focus,
            consumers=tuple(consumers),
            outbox_backlog=None,
            broker_up=self._control.connected,
            service_status="idle",
            peak=self.peak_lag,
            done=self.over is not None,
            log_end=self.last_seq,
            waiting="Waiting for the first purchase.",
            repeats=0,  # no relay here: a publish the trace and a delivery both announced is one
        )

    # -- the end --

    async def stop(self) -> None:
        """Stop the consumers; read each one's position back from the server if it answers."""
        if self._runner is not None:
            await self._runner.stop()
        await cancel_and_wait(self._tasks)
        self.server_view = {}  # the summary shows only what the server says now
        if self._control.connected:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._read(), 2.0)

    async def close(self) -> None:
        await self.stop()
        await self._control.close()

    def summary(self, ended: str) -> LearnerSummary:
        ledger = self.ledger
        totals = []
        for c in self.consumers.values():
            state = self.server_view.get(c.name)
            i = c.index
            totals.append(
                ConsumerTotals(
                    name=c.name,
                    idempotent=c.idempotent,
                    handled=ledger.handled[i],
                    duplicates=ledger.duplicates[i],
                    skipped=ledger.skipped[i],
                    redeliveries=ledger.redeliveries[i],
                    crashes=ledger.crashes[i],
                    dead_letters=len(ledger.dead[i]),
                    ack_floor=state.ack_floor_seq if state is not None else None,
                    lag=state.lag if state is not None else None,
                )
            )
        return LearnerSummary(
            name=self.key,
            url=self.address.url,
            seconds=self.now,
            ended=ended,
            log_end=self.last_seq,
            purchases_seen=ledger.commands,
            ghosts_seen=len(self.ghosts),
            consumers=tuple(totals),
        )
