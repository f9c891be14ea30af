"""What the classroom's screens and summaries show, as plain data: the host's dashboard (one row
per learner, read from the server), the class summary, and a learner's own summary.

Core module: standard library only (no nats-py, rich, questionary or typer). Frozen dataclasses,
so a render test can build a class of thirty by hand and `--save` can write them as JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ConsumerCell:
    """One learner's consumer, as the server reports it."""

    consumer: str  # the lesson's name: "email"
    pending: int  # in the stream, not yet delivered (num_pending)
    ack_pending: int  # delivered, not yet acknowledged (num_ack_pending)
    ack_floor: int  # every stream sequence up to this one is acknowledged
    redeliveries: int  # deliveries beyond each event's first, so far
    dead_letters: int  # events parked on the learner's dead-letter subject
    up: bool  # its connection to the server is open

    @property
    def lag(self) -> int:
        return self.pending + self.ack_pending


@dataclass(frozen=True)
class LearnerRow:
    """One learner on the dashboard."""

    name: str
    connected: bool  # the server holds a connection of this learner's user
    consumers: tuple[ConsumerCell, ...]
    joins: int = 1  # 2 or more: rejoined (continued from the durable consumers' positions)
    peak_lag: int = 0  # the largest total lag seen on the dashboard so far

    @property
    def lag(self) -> int:
        """Events still to handle, over all five consumers."""
        return sum(c.lag for c in self.consumers)

    @property
    def pending(self) -> int:
        return sum(c.pending for c in self.consumers)

    @property
    def redeliveries(self) -> int:
        return sum(c.redeliveries for c in self.consumers)

    @property
    def dead_letters(self) -> int:
        return sum(c.dead_letters for c in self.consumers)

    @property
    def behind(self) -> int:
        """The lag of its slowest consumer."""
        return max((c.lag for c in self.consumers), default=0)


def furthest_behind_first(rows: Iterable[LearnerRow]) -> tuple[LearnerRow, ...]:
    """The dashboard's order: most events still to handle first, then by the slowest consumer,
    then by name, so the learner furthest behind is always on the first row."""
    return tuple(sorted(rows, key=lambda r: (-r.lag, -r.behind, r.name)))


@dataclass(frozen=True)
class ClassView:
    """Everything the host's dashboard shows at one instant."""

    url: str  # the server, without the secret
    command: str  # the one command a learner types
    clock: float  # seconds since the class began
    log_end: int  # the stream's last sequence
    purchases: int  # learners who bought, ghosts included
    committed: int
    ghosts: int  # published, then the commit failed
    poison: int  # events analytics cannot handle
    paused: bool  # the steady purchases are paused
    rate: float  # steady purchases a second while not paused
    burst: int  # purchases a `b` brings
    learners: tuple[LearnerRow, ...]  # furthest behind first
    reachable: bool  # the server answered the last reading
    what: str  # the last thing that happened, in words
    started: bool = False  # the steady purchases have run (space started them at least once)


@dataclass(frozen=True)
class ClassSummary:
    """The class at its end, as printed and as saved (`to_dict`)."""

    url: str
    started_at: str  # ISO 8601, UTC
    seconds: float
    purchases: int
    committed: int
    ghosts: int
    poison: int
    published: int  # the stream's last sequence
    learners: tuple[LearnerRow, ...]  # furthest behind first
    read_back: bool  # False: the server could not be read at the end (figures are the last seen)

    def to_dict(self) -> dict[str, Any]:
        learners = []
        for row in self.learners:
            learners.append(
                {
                    "name": row.name,
                    "connected_at_end": row.connected,
                    "joins": row.joins,
                    "lag": row.lag,
                    "peak_lag": row.peak_lag,
                    "redeliveries": row.redeliveries,
                    "dead_letters": row.dead_letters,
                    "consumers": {
                        c.consumer: {
                            "ack_floor": c.ack_floor,
                            "lag": c.lag,
                            "num_pending": c.pending,
                            "num_ack_pending": c.ack_pending,
                            "redeliveries": c.redeliveries,
                            "dead_letters": c.dead_letters,
                        }
                        for c in row.consumers
                    },
                }
            )
        return {
            "server": self.url,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 3),
            "purchases": self.purchases,
            "committed": self.committed,
            "ghosts": self.ghosts,
            "poison": self.poison,
            "published": self.published,
            "read_back": self.read_back,
            "learners": learners,
        }


@dataclass(frozen=True)
class ConsumerTotals:
    """One of a learner's consumers over a session, from its own trace and the server."""

    name: str
    idempotent: bool  # as it was at the end (the email consumer can be switched)
    handled: int  # effects applied, repeats included
    duplicates: int  # effects applied again for the same purchase
    skipped: int  # repeats recognised and skipped
    redeliveries: int  # deliveries the server marked as redeliveries
    crashes: int
    dead_letters: int
    ack_floor: int | None  # None: the server could not be read at the end
    lag: int | None


@dataclass(frozen=True)
class LearnerSummary:
    """A learner's session, printed when it ends (`--json`: `to_dict`)."""

    name: str
    url: str
    seconds: float
    ended: str  # why it ended, in words
    log_end: int  # the stream's last sequence as last seen
    purchases_seen: int
    ghosts_seen: int
    consumers: tuple[ConsumerTotals, ...]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["consumers"] = {c["name"]: c for c in data["consumers"]}
        return data
