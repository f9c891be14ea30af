"""The stores: the purchase service's SQLite database, and each consumer's own store.

Core module: sqlite3 and the standard library only (no rich, questionary or typer, no SimPy).

`Store` is the purchase service's database (purchases and the outbox); every write is a real
transaction, so a database kept in a file can be inspected with `sqlite3`. `ConsumerStore` is one
consumer's own state: the effects it applied and, for an idempotent consumer, the event ids it has
processed. Its writes go through `transaction()`: all of them happen, or (on an exception) none,
which is what lets an idempotent consumer record "processed" and its effect together.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import NamedTuple

from eventlesson.errors import EventlessonError
from eventlesson.sim.scenarios import DEDUPE_RETENTION_SECONDS
from eventlesson.text import quoted_path

# `PRAGMA application_id` of every database file we create ("EvLs"): a file carrying it is ours to
# reuse; an SQLite file without it holds someone else's tables, which we must never drop
APPLICATION_ID = 0x45764C73

SCHEMA = """
CREATE TABLE purchases (
    purchase_id INTEGER PRIMARY KEY,
    course TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    committed_at REAL NOT NULL
);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    purchase_id INTEGER NOT NULL,
    course TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    occurred_at REAL NOT NULL,
    published_at REAL
);
-- a purchase and its event row as one INSERT: SQLite runs a statement, its trigger included,
-- as one transaction, so both rows are written or neither (and it costs one round trip)
CREATE VIEW purchase_with_event AS
    SELECT p.purchase_id, p.course, p.amount_cents, p.committed_at, o.event_id, o.topic
    FROM purchases p JOIN outbox o USING (purchase_id);
CREATE TRIGGER purchase_with_event_insert INSTEAD OF INSERT ON purchase_with_event BEGIN
    INSERT INTO purchases VALUES (NEW.purchase_id, NEW.course, NEW.amount_cents, NEW.committed_at);
    INSERT INTO outbox (event_id, topic, purchase_id, course, amount_cents, occurred_at)
        VALUES (NEW.event_id, NEW.topic, NEW.purchase_id, NEW.course, NEW.amount_cents,
                NEW.committed_at);
END;
"""
OUTBOX_BATCH = 64  # rows the relay reads at a time
TABLES = ("purchases", "outbox", "processed_events")  # processed_events: older files only
VIEWS = ("purchase_with_event",)


class OutboxRow(NamedTuple):
    """One row waiting in the outbox: what the relay reads and publishes."""

    seq: int
    event_id: str
    topic: str
    purchase_id: int
    course: str
    amount_cents: int
    occurred_at: float


class StoreError(EventlessonError):
    """The database file cannot be used. The message names the path, never a command-line flag:
    the caller knows which option the path came from and says so."""


class RolledBack(Exception):
    """A transaction that did not commit; nothing it wrote is left behind."""


SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file


def _refuse_a_foreign_file(path: str) -> None:
    """A file that holds bytes but is not an SQLite database is someone's: never write over it.

    SQLite itself opens a file shorter than its header as an empty database and would write its
    own pages over whatever the file held."""
    if path == ":memory:" or path.startswith("file:"):
        return
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"{quoted_path(path)}: cannot read it ({exc.strerror or exc})") from exc
    if head and head != SQLITE_HEADER:
        raise StoreError(
            f"{quoted_path(path)}: not an SQLite database; it is left alone (choose a new file name)"
        )


class Store:
    """The purchase service's database: one connection in autocommit mode, transactions spelled
    out with BEGIN/COMMIT."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        _refuse_a_foreign_file(path)
        try:
            # isolation_level=None: sqlite3 must not open transactions behind our back
            self._db = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(
                f"{quoted_path(path)}: cannot open it as an SQLite database ({exc})"
            ) from exc
        try:
            self._claim()
            self._db.execute("PRAGMA journal_mode=MEMORY")  # a kept file needs no crash safety
            self._db.execute("PRAGMA synchronous=OFF")
            for view in VIEWS:  # a kept file from an earlier run starts over
                self._db.execute(f"DROP VIEW IF EXISTS {view}")
            for table in TABLES:
                self._db.execute(f"DROP TABLE IF EXISTS {table}")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(
                f"{quoted_path(path)}: cannot use it as an SQLite database ({exc})"
            ) from exc
        except StoreError:
            self._db.close()
            raise
        self._exec = self._db.execute
        self._marks = 0
        self._low = 0  # every outbox row below this seq is published (see pending_outbox)

    def _claim(self) -> None:
        """Mark an empty database as ours; refuse one that holds tables we did not create."""
        db = self._db
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        if app_id == APPLICATION_ID:
            return
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id != 0 or tables:
            raise StoreError(
                f"{quoted_path(self.path)}: an SQLite database eventlesson did not create; its "
                "tables are left alone (choose a new file name)"
            )
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    # -- the purchase service --

    def commit_purchase(self, purchase_id: int, course: str, cents: int, at: float) -> None:
        """Store the purchase, committed at `at`, in one transaction."""
        # one statement in autocommit mode is one transaction: committed when execute() returns
        self._exec("INSERT INTO purchases VALUES (?, ?, ?, ?)", (purchase_id, course, cents, at))

    def commit_with_outbox(
        self,
        purchase_id: int,
        course: str,
        cents: int,
        at: float,
        events: list[tuple[str, str]],
        *,
        crash_between: bool = False,
    ) -> None:
        """The purchase and its outbox rows (event id, topic) in one transaction, at `at`.

        `crash_between` is the fault: the service dies after the purchase INSERT, before the
        outbox INSERT. The transaction is rolled back and `RolledBack` raised: neither row stays.
        """
        ex = self._exec
        if len(events) == 1 and not crash_between:  # the common case: one statement
            event_id, topic = events[0]
            ex(
                "INSERT INTO purchase_with_event VALUES (?, ?, ?, ?, ?, ?)",
                (purchase_id, course, cents, at, event_id, topic),
            )
            return
        ex("BEGIN")
        try:
            ex("INSERT INTO purchases VALUES (?, ?, ?, ?)", (purchase_id, course, cents, at))
            if crash_between:
                raise RolledBack("the service crashed between the two INSERTs")
            for event_id, topic in events:
                ex(
                    "INSERT INTO outbox (event_id, topic, purchase_id, course, amount_cents,"
                    " occurred_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (event_id, topic, purchase_id, course, cents, at),
                )
        except BaseException:
            ex("ROLLBACK")
            raise
        ex("COMMIT")

    def fail_purchase(self, purchase_id: int, course: str, cents: int, at: float) -> None:
        """The same transaction, rolled back before COMMIT (the database timed out)."""
        ex = self._exec
        ex("BEGIN")
        ex("INSERT INTO purchases VALUES (?, ?, ?, ?)", (purchase_id, course, cents, at))
        ex("ROLLBACK")

    # -- the outbox relay --

    def pending_outbox(self, limit: int = OUTBOX_BATCH) -> list[OutboxRow]:
        """The oldest rows not yet published, in order.

        The scan starts at a low-water mark: the first row the last read returned. Everything
        below it was published then, and a published row never becomes pending again, so the
        scan walks a short stretch of rowids rather than the whole history (no index to keep).
        """
        rows = self._exec(
            "SELECT seq, event_id, topic, purchase_id, course, amount_cents, occurred_at"
            " FROM outbox WHERE seq >= ? AND published_at IS NULL ORDER BY seq LIMIT ?",
            (self._low, limit),
        ).fetchall()
        if rows:
            self._low = rows[0][0]
        return list(map(OutboxRow._make, rows))

    def mark_published(self, seq: int, at: float) -> None:
        self._exec("UPDATE outbox SET published_at = ? WHERE seq = ?", (at, seq))
        self._marks += 1
        if self._marks % 1024 == 0:  # keep an hour of published rows, like a retention job
            self._exec(
                "DELETE FROM outbox WHERE published_at < ?", (at - DEDUPE_RETENTION_SECONDS,)
            )

    def outbox_backlog(self) -> int:
        return self._exec("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]

    # -- inspection (read-outs, invariants, tests) --

    def count(self, table: str) -> int:
        if table not in TABLES[:2]:
            raise ValueError(table)
        return self._exec(f"SELECT count(*) FROM {table}").fetchone()[0]

    def has_purchase(self, purchase_id: int) -> bool:
        """Whether the purchase is committed: the question a publisher must ask first."""
        row = self._exec("SELECT 1 FROM purchases WHERE purchase_id = ?", (purchase_id,))
        return row.fetchone() is not None

    def committed_at(self, purchase_id: int) -> float | None:
        row = self._exec(
            "SELECT committed_at FROM purchases WHERE purchase_id = ?", (purchase_id,)
        ).fetchone()
        return None if row is None else row[0]

    def purchases(self) -> Iterator[tuple[int, float]]:
        """Every committed purchase as (purchase_id, committed_at), in id order."""
        yield from self._exec("SELECT purchase_id, committed_at FROM purchases ORDER BY 1")

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Cursor:
        """Raw SQL, for tests that tamper with the store to prove a check can fail."""
        return self._exec(sql, params)

    def close(self) -> None:
        self._db.close()


class ConsumerCrashed(BaseException):
    """The run's fault: the consumer dies between two transactions of its handler.

    Not an `Exception`, so that a handler's `except Exception:` cannot carry on as if it were
    alive (and the engine does not take it for a failed delivery)."""


class ConsumerStore:
    """One consumer's own store: the effects it applied and the event ids it processed.

    Effects are counted per purchase (a byte each, capped at 255): a second effect for the same
    purchase is what a duplicate email or a sale counted twice looks like in the data. Processed
    event ids are kept for DEDUPE_RETENTION_SECONDS, like a TTL on a dedupe table.

    Each write transaction (one `apply`, one `apply_once` or `refresh` that writes, one
    `transaction()` block with writes) commits through `_commit`, where the engine's fault can
    stop the consumer between two of them (`crash_after`).
    """

    __slots__ = (
        "_since_prune",
        "applied",
        "cents",
        "crash_after",
        "crashed",
        "effects",
        "name",
        "now",
        "processed",
    )

    PRUNE_EVERY = 4096  # processed ids recorded between prunes

    def __init__(self, name: str, purchases: int) -> None:
        self.name = name
        self.effects = bytearray(purchases + 1)  # effects applied per purchase id
        self.applied = 0  # effects applied in all
        self.cents = 0  # amounts the effects carried (the affiliate's credit, the sales total)
        self.processed: dict[str, float] = {}  # event id -> when it was processed
        self.now = 0.0  # virtual time, kept current by the engine: what "processed at" records
        # set by the engine around one handler call: write transactions that may still commit
        # before the consumer crashes (None: no crash planned); `crashed` once it has
        self.crash_after: int | None = None
        self.crashed = False
        self._since_prune = 0

    def transaction(self) -> Transaction:
        """`with store.transaction() as tx:` writes through `tx` land together, or not at all."""
        return Transaction(self)

    def seen(self, event_id: str) -> bool:
        return event_id in self.processed

    def _commit(self) -> None:
        """A write transaction is about to land, unless the consumer crashes first (the fault).

        Nothing of the transaction is written when it raises; a handler that catches it and
        writes again only crashes again."""
        left = self.crash_after
        if left is None:
            return
        if left <= 0:
            self.crashed = True
            raise ConsumerCrashed(self.name)
        self.crash_after = left - 1

    # the two writes, as a transaction applies them

    def _remember(self, event_id: str, at: float) -> None:
        self.processed[event_id] = at
        self._since_prune += 1
        if self._since_prune >= self.PRUNE_EVERY:
            self._since_prune = 0
            cutoff = at - DEDUPE_RETENTION_SECONDS
            self.processed = {k: v for k, v in self.processed.items() if v >= cutoff}

    def _apply(self, purchase_id: int, cents: int) -> None:
        effects = self.effects
        if purchase_id >= len(effects):
            effects.extend(bytes(purchase_id + 1 - len(effects)))
        count = effects[purchase_id]
        if count < 255:
            effects[purchase_id] = count + 1
        self.applied += 1
        self.cents += cents

    # one-call forms of the common transactions, for the built-in handlers

    def apply(self, purchase_id: int, cents: int) -> None:
        """Apply the effect (a transaction of one write)."""
        if self.crash_after is not None:  # the fault is planned for this handler call
            self._commit()
        self._apply(purchase_id, cents)

    def apply_once(self, event_id: str, purchase_id: int, cents: int) -> bool:
        """Record the event id and apply the effect in one transaction, unless already processed."""
        if event_id in self.processed:
            return False
        if self.crash_after is not None:
            self._commit()
        self._remember(event_id, self.now)
        self._apply(purchase_id, cents)
        return True

    def refresh(self, purchase_id: int, cents: int) -> bool:
        """Bring the view up to date with this purchase; False when it already was (no change)."""
        if self.times_applied(purchase_id):
            return False
        if self.crash_after is not None:
            self._commit()
        self._apply(purchase_id, cents)
        return True

    def times_applied(self, purchase_id: int) -> int:
        effects = self.effects
        return effects[purchase_id] if purchase_id < len(effects) else 0


class Transaction:
    """Writes staged on a `ConsumerStore`, applied together when the `with` block ends cleanly."""

    __slots__ = ("_effects", "_ids", "_store")

    def __init__(self, store: ConsumerStore) -> None:
        self._store = store
        self._ids: list[tuple[str, float]] = []
        self._effects: list[tuple[int, int]] = []

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, kind: object, *_rest: object) -> None:
        if kind is not None:
            return  # an exception: nothing was written
        if self._ids or self._effects:
            self._store._commit()
        for event_id, at in self._ids:
            self._store._remember(event_id, at)
        for purchase_id, cents in self._effects:
            self._store._apply(purchase_id, cents)

    def seen(self, event_id: str) -> bool:
        return self._store.seen(event_id) or any(e == event_id for e, _ in self._ids)

    def remember(self, event_id: str) -> None:
        self._ids.append((event_id, self._store.now))

    def apply(self, purchase_id: int, cents: int) -> None:
        self._effects.append((purchase_id, cents))
