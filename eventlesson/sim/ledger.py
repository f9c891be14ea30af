"""The trace, folded: what the records say happened, per purchase and per consumer.

Core module: standard library only (no rich, questionary or typer, no SimPy). A `Ledger` sees
trace records and nothing else: the engine hands it each record as it happens (one method per
record type, named after it, taking the record's fields), and `feed()` does the same for a record
read back from a JSON Lines file. The read-out and the invariants read a ledger and the stores,
never the engine, so a mutated trace or store shows up in them, and a real broker's trace gets the
same checks as the simulation's.

Per-purchase facts live in byte and float arrays (a million purchases cost about 30 MB), so a
long unwatched run folds its trace without keeping it.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from eventlesson.sim.stats import StreamingQuantiles

# per-purchase flags, one byte each
COMMANDED = 1
COMMITTED = 2  # a commit record
FAILED = 4  # a commit_failed record
PUBLISHED = 8  # at least one publish record
CONFIRMED = 16  # the learner was told "Purchase successful"
TOLD_FAILED = 32  # the learner was shown an error
LOST = 64  # a crash or a rejected publish took the publish with it

NAN = math.nan


def _floats(n: int) -> array[float]:
    return array("d", [NAN]) * n


class Ledger:
    """Counts, per-purchase facts and per-consumer statistics, folded from trace records."""

    def __init__(
        self, consumers: Sequence[str], purchases: int = 0, *, arrivals: bool = True
    ) -> None:
        """`purchases`: how many to make room for (it grows as needed); `arrivals`: keep each
        learner's arrival time (8 bytes a purchase), which the comparison with the event design
        needs, and nothing else does."""
        self.consumers = tuple(consumers)
        self.index = {name: i for i, name in enumerate(self.consumers)}
        k, n = len(self.consumers), purchases + 1
        self.size = n
        self.flags = bytearray(n)
        self.arrivals = arrivals
        self.asked = _floats(n if arrivals else 0)  # command times, if kept
        self.published_at = _floats(n)  # first publish of each purchase
        self.confirmed_at = _floats(n)
        self.commands = 0
        self.committed = 0
        self.commits_failed = 0
        self.rolled_back = 0  # commits that died half-way (outbox transaction) and rolled back
        self.published = 0  # publish records, repeats included
        self.repeats = 0  # publishes of a purchase already announced
        self.told_failed = 0
        self.lost_seen = 0  # lost as it happened (the read-out recounts from the store)
        self.ghosts_seen = 0  # commits that failed after their event went out
        self.log_end = 0  # one past the highest offset published
        self.confirm_latency = StreamingQuantiles()
        self.last_t = -math.inf
        self.backwards = 0  # records whose time is before the one before them
        self.broker_outages = 0
        # per consumer, by index
        self.effects = [bytearray(n) for _ in range(k)]  # handle records per purchase (max 255)
        self.handled = [0] * k
        self.duplicates = [0] * k
        self.skipped = [0] * k
        self.redeliveries = [0] * k
        self.crashes = [0] * k
        self.offsets = [0] * k  # last committed offset
        self.lag_events_max = [0] * k
        self.lags = [StreamingQuantiles() for _ in range(k)]
        self.dead: list[set[int]] = [set() for _ in range(k)]
        self.dead_letters: list[tuple[str, str, int]] = []  # consumer, event id, purchase id
        self.blocked = [0.0] * k  # seconds the events behind a failing one waited for it
        self._failing_since = [NAN] * k

    # -- growing (a trace read from a file does not say its size up front) --

    def _ensure(self, purchase_id: int) -> None:
        if purchase_id < self.size:
            return
        grow = max(purchase_id + 1, 2 * self.size) - self.size
        self.flags.extend(bytes(grow))
        for floats in (self.published_at, self.confirmed_at):
            floats.extend(_floats(grow))
        if self.arrivals:
            self.asked.extend(_floats(grow))
        for effects in self.effects:
            effects.extend(bytes(grow))
        self.size += grow

    # -- one method per record type: (t, the fields it needs) --

    def command(self, t: float, purchase_id: int) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        self.commands += 1
        self.flags[purchase_id] |= COMMANDED
        if self.arrivals:
            self.asked[purchase_id] = t

    def commit(self, t: float, purchase_id: int) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        self.committed += 1
        self.flags[purchase_id] |= COMMITTED

    def commit_failed(self, t: float, purchase_id: int, rolled_back: bool = False) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        self.commits_failed += 1
        if rolled_back:
            self.rolled_back += 1
        flags = self.flags
        flags[purchase_id] |= FAILED
        if flags[purchase_id] & PUBLISHED:
            self.ghosts_seen += 1

    def confirm(self, t: float, purchase_id: int, latency: float) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        self.flags[purchase_id] |= CONFIRMED
        self.confirmed_at[purchase_id] = t
        self.confirm_latency.add(latency)

    def purchase_failed(self, t: float, purchase_id: int) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        self.flags[purchase_id] |= TOLD_FAILED
        self.told_failed += 1

    def publish(self, t: float, purchase_id: int, offset: int) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        self.published += 1
        flags = self.flags
        f = flags[purchase_id]
        if f & PUBLISHED:
            self.repeats += 1
        else:
            flags[purchase_id] = f | PUBLISHED
            self.published_at[purchase_id] = t
        end = offset + 1
        if end > self.log_end:
            self.log_end = end
        peaks, offsets = self.lag_events_max, self.offsets
        for i, committed in enumerate(offsets):
            if end - committed > peaks[i]:
                peaks[i] = end - committed

    def publish_failed(self, t: float, purchase_id: int, gave_up: bool = False) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        if gave_up and self.flags[purchase_id] & COMMITTED:
            self.lost_seen += 1
            self.flags[purchase_id] |= LOST

    def deliver(self, t: float, consumer: int, delivery: int = 1) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        if delivery > 1:
            self.redeliveries[consumer] += 1

    def handle(self, t: float, consumer: int, purchase_id: int) -> int:
        """Fold a `handle` record; returns how many effects the purchase had before this one."""
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        effects = self.effects[consumer]
        count = effects[purchase_id]
        if count:
            self.duplicates[consumer] += 1
        if count < 255:
            effects[purchase_id] = count + 1
        self.handled[consumer] += 1
        return count

    def duplicate_skipped(self, t: float, consumer: int) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        self.skipped[consumer] += 1

    def handle_failed(self, t: float, consumer: int, delivery: int) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        if delivery == 1:
            self._failing_since[consumer] = t

    def dead_letter(self, t: float, consumer: int, purchase_id: int, event_id: str) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        self.dead[consumer].add(purchase_id)
        self.dead_letters.append((self.consumers[consumer], event_id, purchase_id))
        since = self._failing_since[consumer]
        if since == since:  # not NaN: the failures began at a known time
            self.blocked[consumer] += t - since
        self._failing_since[consumer] = NAN

    def offset_commit(self, t: float, consumer: int, offset: int) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        self.offsets[consumer] = offset

    def lag(self, t: float, consumer: int, lag_events: int, lag_seconds: float) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        self.lags[consumer].add(lag_seconds)
        if lag_events > self.lag_events_max[consumer]:
            self.lag_events_max[consumer] = lag_events

    def crash(self, t: float, consumer: int | None, purchase_id: int, lost: bool) -> None:
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        if consumer is not None:
            self.crashes[consumer] += 1
        if lost:
            self.lost_seen += 1
            self.flags[purchase_id] |= LOST

    def other(self, t: float, kind: str) -> None:
        """Records that change no count: restarts, outages ending, and types from newer traces."""
        if t < self.last_t:
            self.backwards += 1
        self.last_t = t
        if kind == "broker_down":
            self.broker_outages += 1

    # -- the same, for records read back as dicts --

    def feed(self, record: dict[str, Any]) -> None:
        """Fold one record as the engine would have (a trace read from a file, or mutated)."""
        kind, t = record["type"], record["t"]
        pid: int = record.get("purchase_id") or 0
        self._ensure(pid)
        name = record.get("consumer")
        ci = self.index.get(name) if name is not None else None
        if kind == "command":
            self.command(t, pid)
        elif kind == "commit":
            self.commit(t, pid)
        elif kind == "commit_failed":
            self.commit_failed(t, pid, bool(record.get("rolled_back")))
        elif kind == "confirm":
            self.confirm(t, pid, record["latency"])
        elif kind == "purchase_failed":
            self.purchase_failed(t, pid)
        elif kind == "publish":
            self.publish(t, pid, record["offset"])
        elif kind == "publish_failed":
            self.publish_failed(t, pid, bool(record.get("gave_up")))
        elif kind == "crash":
            self.crash(t, ci, pid, bool(record.get("lost")))
        elif ci is None:
            self.other(t, kind)
        elif kind == "deliver":
            self.deliver(t, ci, record.get("delivery", 1))
        elif kind == "handle":
            self.handle(t, ci, pid)
        elif kind == "duplicate_skipped":
            self.duplicate_skipped(t, ci)
        elif kind == "handle_failed":
            self.handle_failed(t, ci, record["delivery"])
        elif kind == "dead_letter":
            self.dead_letter(t, ci, pid, record["event_id"])
        elif kind == "offset_commit":
            self.offset_commit(t, ci, record["offset"])
        elif kind == "lag":
            self.lag(t, ci, record["lag_events"], record["lag_seconds"])
        else:
            self.other(t, kind)

    @classmethod
    def from_records(cls, consumers: Sequence[str], records: Iterable[dict[str, Any]]) -> Ledger:
        ledger = cls(consumers)
        for record in records:
            ledger.feed(record)
        return ledger
