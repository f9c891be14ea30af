"""The purchase service's SQLite database: purchases, the outbox and processed events.

Core module: sqlite3 and the standard library only (no rich, questionary or typer, no SimPy).
Every write is a real transaction, so `--db PATH` leaves a file `sqlite3` can inspect.
"""

from __future__ import annotations

import sqlite3

from eventlesson.errors import UsageError
from eventlesson.sim.scenarios import DEDUPE_RETENTION_SECONDS

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


class Store:
    """One connection in autocommit mode; transactions are spelled out with BEGIN/COMMIT."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        try:
            # isolation_level=None: sqlite3 must not open transactions behind our back
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=MEMORY")  # a kept file needs no crash safety
            self._db.execute("PRAGMA synchronous=OFF")
            for table in TABLES:  # a kept file from an earlier run starts over
                self._db.execute(f"DROP TABLE IF EXISTS {table}")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise UsageError(f"--db {path}: cannot use it as an SQLite database ({exc})") from exc
        self._exec = self._db.execute
        self._marks = 0

    # -- the purchase service --

    def commit_purchase(
        self, purchase_id: int, course: str, cents: int, at: float, event_id: str | None = None
    ) -> None:
        """Store the purchase (and its outbox row, when `event_id` is given) in one transaction."""
        ex = self._exec
        if event_id is None:
            # one statement in autocommit mode is one transaction; spelling out BEGIN and
            # COMMIT would cost two more round trips per purchase for the same guarantee
            ex("INSERT INTO purchases VALUES (?, ?, ?, ?)", (purchase_id, course, cents, at))
            return
        ex("BEGIN")
        ex("INSERT INTO purchases VALUES (?, ?, ?, ?)", (purchase_id, course, cents, at))
        ex(
            "INSERT INTO outbox (event_id, purchase_id, course, amount_cents, occurred_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (event_id, purchase_id, course, cents, at),
        )
        ex("COMMIT")

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
        row = self._exec("SELECT 1 FROM purchases WHERE purchase_id = ?", (purchase_id,))
        return row.fetchone() is not None

    def close(self) -> None:
        self._db.close()
