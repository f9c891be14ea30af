"""The purchase service's SQLite database: purchases, the outbox and processed events.

Core module: sqlite3 and the standard library only (no rich, questionary or typer, no SimPy).
Every write is a real transaction, so a database kept in a file can be inspected with `sqlite3`.
"""

from __future__ import annotations

import sqlite3

from eventlesson.errors import EventlessonError
from eventlesson.sim.scenarios import DEDUPE_RETENTION_SECONDS

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
    purchase_id INTEGER NOT NULL,
    course TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    occurred_at REAL NOT NULL,
    published_at REAL
);
CREATE TABLE processed_events (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    handled_at REAL NOT NULL,
    PRIMARY KEY (consumer, event_id)
) WITHOUT ROWID;
"""
TABLES = ("purchases", "outbox", "processed_events")

OutboxRow = tuple[int, str, int, str, int, float]  # seq, event_id, purchase_id, course, cents, at


class StoreError(EventlessonError):
    """The database file cannot be used. The message names the path, never a command-line flag:
    the caller knows which option the path came from and says so."""


class Store:
    """One connection in autocommit mode; transactions are spelled out with BEGIN/COMMIT."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        try:
            # isolation_level=None: sqlite3 must not open transactions behind our back
            self._db = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open it as an SQLite database ({exc})") from exc
        try:
            self._claim()
            self._db.execute("PRAGMA journal_mode=MEMORY")  # a kept file needs no crash safety
            self._db.execute("PRAGMA synchronous=OFF")
            for table in TABLES:  # a kept file from an earlier run starts over
                self._db.execute(f"DROP TABLE IF EXISTS {table}")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(f"{path}: cannot use it as an SQLite database ({exc})") from exc
        except StoreError:
            self._db.close()
            raise
        self._exec = self._db.execute
        self._marks = 0

    def _claim(self) -> None:
        """Mark an empty database as ours; refuse one that holds tables we did not create."""
        db = self._db
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        if app_id == APPLICATION_ID:
            return
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id != 0 or tables:
            raise StoreError(
                f"{self.path}: an SQLite database eventlesson did not create; its tables are "
                "left alone (choose a new file name)"
            )
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    # -- the purchase service --

    def commit_purchase(
        self, purchase_id: int, course: str, cents: int, at: float, event_id: str | None = None
    ) -> float:
        """Store the purchase (and its outbox row, when `event_id` is given) in one transaction.

        Returns `committed_at` as the database stored it (RETURNING reads the row back), so
        whoever confirms the learner measures against the store, not against its own clock.
        """
        ex = self._exec
        if event_id is None:
            # one statement in autocommit mode is one transaction; spelling out BEGIN and
            # COMMIT would cost two more round trips per purchase for the same guarantee.
            # fetchall() steps the statement to its end: the row is committed when it returns
            return ex(
                "INSERT INTO purchases VALUES (?, ?, ?, ?) RETURNING committed_at",
                (purchase_id, course, cents, at),
            ).fetchall()[0][0]
        ex("BEGIN")
        stored = ex(
            "INSERT INTO purchases VALUES (?, ?, ?, ?) RETURNING committed_at",
            (purchase_id, course, cents, at),
        ).fetchall()[0][0]
        ex(
            "INSERT INTO outbox (event_id, purchase_id, course, amount_cents, occurred_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (event_id, purchase_id, course, cents, at),
        )
        ex("COMMIT")
        return stored

    def fail_purchase(self, purchase_id: int, course: str, cents: int, at: float) -> None:
        """The same transaction, rolled back before COMMIT (the database timed out)."""
        ex = self._exec
        ex("BEGIN")
        ex("INSERT INTO purchases VALUES (?, ?, ?, ?)", (purchase_id, course, cents, at))
        ex("ROLLBACK")

    # -- the outbox relay --

    def pending_outbox(self, limit: int = 64) -> list[OutboxRow]:
        cursor = self._exec(
            "SELECT seq, event_id, purchase_id, course, amount_cents, occurred_at FROM outbox"
            " WHERE published_at IS NULL ORDER BY seq LIMIT ?",
            (limit,),
        )
        return cursor.fetchall()

    def mark_published(self, seq: int, at: float) -> None:
        self._exec("UPDATE outbox SET published_at = ? WHERE seq = ?", (at, seq))
        self._marks += 1
        if self._marks % 1024 == 0:  # keep an hour of published rows, like a retention job
            self._exec(
                "DELETE FROM outbox WHERE published_at < ?", (at - DEDUPE_RETENTION_SECONDS,)
            )

    def outbox_backlog(self) -> int:
        return self._exec("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]

    # -- idempotent consumers --

    def mark_processed(self, consumer: str, event_id: str, at: float) -> bool:
        """Record the event as processed; False if it already was (skip the side effect).

        One statement both checks and records, so it is one transaction: no window in which a
        redelivery could slip between the check and the write.
        """
        cursor = self._exec(
            "INSERT OR IGNORE INTO processed_events VALUES (?, ?, ?)", (consumer, event_id, at)
        )
        return cursor.rowcount == 1

    def prune_processed(self, before: float) -> None:
        self._exec("DELETE FROM processed_events WHERE handled_at < ?", (before,))

    # -- inspection (tests, summaries) --

    def count(self, table: str) -> int:
        if table not in TABLES:
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

    def close(self) -> None:
        self._db.close()
