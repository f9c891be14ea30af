"""The instructor's side of a class: the server's users, the join requests, the purchase service,
and the dashboard's rows, read from the server.

Core module: nats-py (through `eventlesson.broker.jetstream`), sqlite3 and the standard library;
no rich, questionary or typer. The flow starts the server (`eventlesson.broker.server`) with
`roster.server_config(...)`, hands it to a `ClassHost`, and draws `view()`.

What the dashboard shows comes from the server, never from the learners' say-so: each consumer's
pending and ack pending (its lag), its ack floor, its redeliveries (the server numbers every
delivery, so deliveries beyond each event's first are the consumer sequence minus the stream
sequence delivered), each learner's parked events (counted per subject on the dead-letter
stream), and who is connected (the server's list of connections, by user and connection name).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import nats.errors
from nats.js.api import StorageType

from eventlesson.broker.jetstream import (
    Connection,
    ConsumerSettings,
    cancel_and_wait,
    ensure_consumer,
    redeliveries,
)
from eventlesson.broker.server import NatsServer, ServerError, url_host
from eventlesson.broker.wire import WireError
from eventlesson.classroom.learner import ClassNames, LearnerSession
from eventlesson.classroom.narrate import describe
from eventlesson.classroom.roster import (
    DEAD_LETTER_STREAM,
    DEAD_LETTER_SUBJECTS,
    HOST_USER,
    JOIN_SUBJECT,
    MAX_LEARNERS,
    NOTICE_SUBJECT,
    STREAM,
    SUBJECT,
    TRACE_SUBJECT,
    JoinAddress,
    NameProblem,
    check_name,
    dead_letter_subject,
    durable,
    learner_user,
    server_config,
)
from eventlesson.classroom.service import Kind, PurchaseService
from eventlesson.classroom.state import (
    ClassSummary,
    ClassView,
    ConsumerCell,
    LearnerRow,
    furthest_behind_first,
)
from eventlesson.classroom.wire import (
    ENDED,
    JoinAnswer,
    decode_join,
    encode_answer,
    encode_notice,
    encode_record,
)
from eventlesson.sim.ledger import Ledger
from eventlesson.sim.scenarios import CONSUMER_NAMES
from eventlesson.sim.store import Store

Record = dict[str, Any]
ACK_WAIT = 2.0  # seconds without an ack before the server delivers an event again
MAX_DELIVER = 10  # the server's limit; a learner parks a poison event at its 3rd delivery
DUPLICATE_WINDOW = 120.0
WATCH_SECONDS = 0.5  # the dashboard reads the server this often
CONNZ_SECONDS = 1.0  # ... and the list of connections this often
RESERVE_SECONDS = 5.0  # a name just let in is taken until its learner connects (or this passes)
LIST_PAGE = 256  # the server lists consumers in pages of this many
_PASSWORD = re.compile(r"[A-Za-z0-9_-]{16,64}")
DEMO_PACES = (0.5, 1.0, 1.0, 1.5, 3.0)  # a rehearsal's learners work at different speeds
DEMO_CHAOS = 0.004  # and now and then one of their consumers crashes
ENDED_TEXT = "The instructor ended the class."


class ClassHost:
    """One class on one server we started: `await open()`, purchases, `view()`, `await end()`."""

    def __init__(
        self,
        server: NatsServer,
        address: JoinAddress,
        host_password: str,
        *,
        rate: float = 1.0,
        burst: int = 20,
        seed: int | None = None,
    ) -> None:
        self.server = server
        self.address = address
        self.host_password = host_password
        self.rate = rate
        self.burst_size = burst
        self.paused = True  # the steady purchases wait for the instructor's first space
        self.started = False  # that first space came
        self.conn = Connection()
        self.store = Store()
        self.ledger = Ledger(CONSUMER_NAMES, 0, arrivals=False)
        self.service = PurchaseService(self.conn, self.store, self._emit, lambda: self.now)
        self.passwords: dict[str, str] = {}
        self.joins: dict[str, int] = {}
        self.ghosts: list[int] = []
        self.poison = 0
        self.what = "Waiting for learners."
        self.notes: deque[tuple[float, str]] = deque(maxlen=64)
        self.note_listeners: list[Callable[[str], None]] = []
        self.reachable = True
        self.demo: list[LearnerSession] = []
        self._rng = random.Random(seed)
        self._rows: tuple[LearnerRow, ...] = ()
        self._log_end = 0
        self._peaks: dict[str, int] = {}
        self._connected: set[str] = set()
        self._admitted_at: dict[str, float] = {}
        self._seen: set[str] = set()  # connected since their latest admission
        self._durables: dict[str, tuple[str, str]] = {}  # durable -> (learner, consumer)
        self._connz: dict[str, set[str]] = {}
        self._connz_at = -1e9
        self._buying = asyncio.Lock()  # one purchase at a time, in the order they came
        self._joining = asyncio.Lock()
        self._tasks: list[asyncio.Task[Any]] = []
        self._t0 = time.monotonic()
        self.started_at = datetime.now(UTC)

    @property
    def now(self) -> float:
        return time.monotonic() - self._t0

    def config(self) -> str:
        return server_config(self.host_password, self.address.secret, self.passwords)

    # -- opening the class --

    async def open(self) -> None:
        """Connect as the host, create the streams, and start taking join requests."""
        await self.conn.open(
            self.server.url,
            name="classroom host",
            user=HOST_USER,
            password=self.host_password,
        )
        js = self.conn.js
        await js.add_stream(
            name=STREAM,
            subjects=[SUBJECT],
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW,
            description="eventlesson classroom: purchase.completed events",
        )
        await js.add_stream(
            name=DEAD_LETTER_STREAM,
            subjects=[DEAD_LETTER_SUBJECTS],
            storage=StorageType.FILE,
            description="eventlesson classroom: events a learner's consumer gave up on",
        )
        nc = self.conn.nc
        assert nc is not None
        await nc.subscribe(JOIN_SUBJECT, cb=self._on_join)
        self._tasks.append(asyncio.create_task(self._watch(), name="classroom watch"))
        self._tasks.append(asyncio.create_task(self._arrivals(), name="classroom arrivals"))

    def note(self, text: str) -> None:
        """Something the instructor should know: the dashboard's last line, and a plain line."""
        self.what = text
        self.notes.append((self.now, text))
        for listener in self.note_listeners:
            listener(text)

    # -- learners joining --

    async def _on_join(self, msg: Any) -> None:
        async with self._joining:  # one at a time: each may rewrite the server's users
            answer = await self._admit(msg.data)
        with contextlib.suppress(nats.errors.Error):
            await msg.respond(encode_answer(answer))

    async def _admit(self, data: bytes) -> JoinAnswer:
        try:
            request = decode_join(data)
            key = check_name(request.name)
        except (WireError, NameProblem) as exc:
            return JoinAnswer(False, why=f"the host cannot use that join request: {exc}")
        if not _PASSWORD.fullmatch(request.password):
            return JoinAnswer(False, why="the host cannot use that join request: bad password")
        if key not in self.passwords and len(self.passwords) >= MAX_LEARNERS:
            return JoinAnswer(False, why=f"the class is full ({MAX_LEARNERS} learners)")
        connected = await self._connections(fresh=True)
        reserved = (
            key not in self._seen and self.now - self._admitted_at.get(key, -1e9) < RESERVE_SECONDS
        )
        if key in connected or reserved:
            return JoinAnswer(
                False, why=f"{key} is already in the class (connected now): choose another name"
            )
        previous = self.passwords.get(key)
        self.passwords[key] = request.password
        try:
            await asyncio.to_thread(self.server.reload, self.config())
            first = key not in self.joins
            if first:
                settings = ConsumerSettings(ack_wait=ACK_WAIT, max_deliver=MAX_DELIVER)
                names = ClassNames(learner=key)
                for consumer in CONSUMER_NAMES:
                    await ensure_consumer(self.conn.js, names, consumer, settings)
                    self._durables[durable(key, consumer)] = (key, consumer)
        except (ServerError, TimeoutError, nats.errors.Error) as exc:
            if previous is None:
                self.passwords.pop(key, None)
            else:
                self.passwords[key] = previous
            return JoinAnswer(False, why=f"the host could not let {key} in ({exc})")
        self.joins[key] = self.joins.get(key, 0) + 1
        self._admitted_at[key] = self.now
        self._seen.discard(key)
        self._peaks.setdefault(key, 0)
        if first:
            self.note(f"{key} joined the class.")
        else:
            self.note(f"{key} is back: each consumer continues from its ack floor.")
        return JoinAnswer(
            True,
            ack_wait=ACK_WAIT,
            max_deliver=MAX_DELIVER,
            ghosts=tuple(self.ghosts),
            joins=self.joins[key],
        )

    async def _connections(self, fresh: bool = False) -> dict[str, set[str]]:
        """Each learner's open connections (by connection name), from the server's monitoring
        endpoint (loopback only); the last reading if it cannot be read."""
        if not fresh and self.now - self._connz_at < CONNZ_SECONDS:
            return self._connz
        url = self.server.monitor_url
        if url is None:
            return self._connz
        try:
            self._connz = await asyncio.to_thread(_read_connz, url)
            self._connz_at = self.now
        except (OSError, ValueError):
            pass
        return self._connz

    # -- the purchase service --

    async def _emit(self, record: Record) -> None:
        self.ledger.feed(record)
        kind = record["type"]
        if kind == "commit_failed" and record.get("ghost"):
            self.ghosts.append(record["purchase_id"])
        if kind in ("publish", "commit_failed", "publish_failed"):
            self.note(describe(record))
        nc = self.conn.nc
        if nc is not None and nc.is_connected:
            with contextlib.suppress(nats.errors.Error):
                await nc.publish(TRACE_SUBJECT, encode_record(record))

    async def purchase(self, kind: Kind = "purchase") -> int:
        async with self._buying:
            pid = await self.service.buy(kind)
        if kind == "poison":
            self.poison += 1
        return pid

    async def burst(self, count: int | None = None) -> None:
        count = self.burst_size if count is None else count
        self.note(f"A burst of {count} purchases.")
        for _ in range(count):
            await self.purchase()

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        if self.paused:
            self.note("Steady purchases paused (space resumes them).")
        else:
            self.started = True
            self.note(f"Steady purchases: {self.rate:g} a second.")
        return self.paused

    async def _arrivals(self) -> None:
        while True:
            if self.paused or self.rate <= 0:
                await asyncio.sleep(0.05)
                continue
            await self.purchase()
            await asyncio.sleep(self._rng.expovariate(self.rate))

    # -- the dashboard --

    async def _watch(self) -> None:
        while True:
            try:
                await self.read()
            except (TimeoutError, nats.errors.Error, ServerError):
                self.reachable = False
            await asyncio.sleep(WATCH_SECONDS)

    async def _consumer_infos(self) -> list[Any]:
        js = self.conn.js
        infos: list[Any] = []
        while True:
            page = await js.consumers_info(STREAM, offset=len(infos) or None)
            infos += page
            if len(page) < LIST_PAGE:
                return infos

    async def read(self, fresh: bool = False) -> tuple[LearnerRow, ...]:
        """Every learner's row, read from the server now."""
        js = self.conn.js
        # the stream's end first: a consumer read after it has seen at least that much
        stream = await js.stream_info(STREAM)
        infos = await self._consumer_infos()
        dead = await js.stream_info(DEAD_LETTER_STREAM, subjects_filter=DEAD_LETTER_SUBJECTS)
        connections = await self._connections(fresh)
        parked = dead.state.subjects or {}
        by_durable = {info.name: info for info in infos}
        rows = []
        for key in self.joins:
            names = connections.get(key, set())
            cells = []
            for consumer in CONSUMER_NAMES:
                info = by_durable.get(durable(key, consumer))
                if info is None:
                    continue
                cells.append(
                    ConsumerCell(
                        consumer=consumer,
                        pending=info.num_pending or 0,
                        ack_pending=info.num_ack_pending or 0,
                        ack_floor=info.ack_floor.stream_seq if info.ack_floor else 0,
                        redeliveries=redeliveries(info),
                        dead_letters=parked.get(dead_letter_subject(key, consumer), 0),
                        up=durable(key, consumer) in names,
                    )
                )
            row = LearnerRow(key, key in connections, tuple(cells), self.joins[key])
            peak = self._peaks[key] = max(self._peaks.get(key, 0), row.lag)
            rows.append(LearnerRow(row.name, row.connected, row.consumers, row.joins, peak))
        now_connected = {r.name for r in rows if r.connected}
        for name in sorted(self._connected - now_connected):
            self.note(f"{name} is gone: their consumers keep their place on the server.")
        self._connected = now_connected
        self._seen |= now_connected
        self._rows = furthest_behind_first(rows)
        self._log_end = stream.state.last_seq
        self.reachable = True
        return self._rows

    def view(self) -> ClassView:
        """The dashboard as of the last reading, with the clock and the controls as they are."""
        ledger = self.ledger
        return ClassView(
            url=self.address.url,
            command=self.address.command(),
            clock=self.now,
            log_end=self._log_end,
            purchases=ledger.commands,
            committed=ledger.committed,
            ghosts=len(self.ghosts),
            poison=self.poison,
            paused=self.paused,
            rate=self.rate,
            burst=self.burst_size,
            learners=self._rows,
            reachable=self.reachable,
            what=self.what,
            started=self.started,
        )

    # -- rehearsing alone --

    async def add_demo_learners(self, count: int) -> None:
        """`count` simulated learners in this process, joining like anyone else (through the
        `join` user and the server), each at its own pace, now and then crashing a consumer."""
        local = JoinAddress(
            url_host(self.server.host_for_clients), self.server.port, self.address.secret
        )
        for i in range(1, count + 1):
            session = LearnerSession(
                local,
                f"demo-{i:02d}",
                work=self._rng.choice(DEMO_PACES),
                watch=False,
                chaos=DEMO_CHAOS,
                seed=self._rng.randrange(1 << 30),
            )
            await session.join()
            await session.start()
            self.demo.append(session)

    # -- the end --

    async def end(self, text: str = ENDED_TEXT) -> ClassSummary:
        """Stop the purchases, read the class back from the server, tell the learners."""
        self.paused = True
        async with self._buying:  # let a purchase under way finish
            pass
        read_back = True
        try:
            await asyncio.wait_for(self.read(fresh=True), 5.0)
        except (TimeoutError, nats.errors.Error, ServerError):
            read_back = False
        nc = self.conn.nc
        if nc is not None and nc.is_connected:
            with contextlib.suppress(TimeoutError, nats.errors.Error):
                await nc.publish(NOTICE_SUBJECT, encode_notice(ENDED, text))
                await nc.flush(timeout=2)
        ledger = self.ledger
        return ClassSummary(
            url=self.address.url,
            started_at=self.started_at.isoformat(timespec="seconds"),
            seconds=self.now,
            purchases=ledger.commands,
            committed=ledger.committed,
            ghosts=len(self.ghosts),
            poison=self.poison,
            published=self._log_end,
            learners=self._rows,
            read_back=read_back,
        )

    async def close(self) -> None:
        await cancel_and_wait(self._tasks)
        await asyncio.gather(*(s.close() for s in self.demo), return_exceptions=True)
        await self.conn.close()
        self.store.close()


def _read_connz(monitor_url: str) -> dict[str, set[str]]:
    """The server's connections, by learner: {learner: {connection names}}."""
    url = f"{monitor_url}/connz?auth=1&limit=100000"
    with urllib.request.urlopen(url, timeout=2.0) as response:
        data = json.load(response)
    out: dict[str, set[str]] = {}
    head = learner_user("")
    for conn in data.get("connections") or []:
        user = str(conn.get("authorized_user") or "")
        if user.startswith(head):
            out.setdefault(user[len(head) :], set()).add(str(conn.get("name") or ""))
    return out
