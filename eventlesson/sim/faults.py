"""The fault schedule: what goes wrong in a run, and the deterministic draws that decide it.

Core module: standard library only (no rich, questionary or typer, no SimPy). `Faults` is the
plan, plain data a scenario or a test writes down; `FaultSchedule` answers the engine's questions
("does purchase 7's commit fail?", "is the broker up at t = 12?") from that plan and from its own
random streams, one per kind of fault, so a fault of one kind never shifts the draws of another.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass

Window = tuple[float, float]  # (start, duration) in virtual seconds


@dataclass(frozen=True)
class Faults:
    """What goes wrong, and when. Explicit sets make a fault certain; rates add random ones.

    Purchase ids count from 1. A fault that does not apply to a design is ignored by it (a relay
    crash in a design without a relay, for instance).
    """

    fail_commits: frozenset[int] = frozenset()  # purchases whose transaction rolls back
    commit_fail_rate: float = 0.0
    service_crashes: frozenset[int] = (
        frozenset()
    )  # crash after the commit, before the publish lands
    service_crash_rate: float = 0.0
    # outbox: the service crashes between the purchase INSERT and the outbox INSERT (rolled back)
    mid_transaction_crashes: frozenset[int] = frozenset()
    relay_crashes: frozenset[int] = frozenset()  # crash after publishing, before marking the row
    relay_crash_rate: float = 0.0
    consumer_crashes: frozenset[tuple[str, int]] = frozenset()  # (consumer, purchase) pairs
    consumer_crash_rate: float = 0.0
    crashing_consumers: tuple[str, ...] = ()  # who the rates apply to
    # a handler that writes in more than one transaction crashes after its first one commits,
    # before the next (on the event's first delivery): the event is delivered again. A handler
    # that writes in one transaction, as the built-in ones do, never meets this fault.
    crashes_between_transactions: frozenset[tuple[str, int]] = frozenset()  # (consumer, purchase)
    between_transactions_rate: float = 0.0
    # the broker rejects publishes and delivers nothing while down
    broker_outages: tuple[Window, ...] = ()
    # a downstream service that does not answer: in the event designs it stops consuming (its
    # lag grows); in the synchronous chain every call to it times out and fails the purchase
    consumer_outages: tuple[tuple[str, float, float], ...] = ()  # (consumer, start, duration)
    poison: frozenset[tuple[str, int]] = frozenset()  # (consumer, purchase) that always fails


def _down(windows: tuple[Window, ...], t: float) -> bool:
    return any(start <= t < start + duration for start, duration in windows)


class FaultSchedule:
    """Answers "does this fault happen?" for one run: the plan, plus seeded random draws."""

    __slots__ = (
        "_between_rngs",
        "_consumer_outages",
        "_consumer_rngs",
        "_crashing",
        "_relay_crashed",
        "_rngs",
        "faults",
    )

    def __init__(self, faults: Faults, seed: int, consumers: tuple[str, ...]) -> None:
        self.faults = faults
        self._rngs = {
            kind: random.Random(f"{seed}:{kind}") for kind in ("commit", "service", "relay")
        }
        self._consumer_rngs = {name: random.Random(f"{seed}:crash:{name}") for name in consumers}
        self._between_rngs = {name: random.Random(f"{seed}:between:{name}") for name in consumers}
        self._crashing = (
            set(faults.crashing_consumers)
            | {n for n, _ in faults.consumer_crashes}
            | {n for n, _ in faults.crashes_between_transactions}
        )
        self._relay_crashed: set[int] = set()
        outages: dict[str, list[Window]] = {}
        for name, start, duration in faults.consumer_outages:
            outages.setdefault(name, []).append((start, duration))
        self._consumer_outages = {name: tuple(w) for name, w in outages.items()}

    def _draw(self, kind: str, rate: float) -> bool:
        return rate > 0.0 and self._rngs[kind].random() < rate

    def commit_fails(self, purchase_id: int) -> bool:
        f = self.faults
        return purchase_id in f.fail_commits or self._draw("commit", f.commit_fail_rate)

    def service_crashes(self, purchase_id: int) -> bool:
        f = self.faults
        return purchase_id in f.service_crashes or self._draw("service", f.service_crash_rate)

    def crashes_mid_transaction(self, purchase_id: int) -> bool:
        return purchase_id in self.faults.mid_transaction_crashes

    def relay_crashes(self, purchase_id: int) -> bool:
        """A relay crash is a one-off per purchase: the retry after the restart goes through."""
        if purchase_id in self._relay_crashed:
            return False
        f = self.faults
        if purchase_id in f.relay_crashes or self._draw("relay", f.relay_crash_rate):
            self._relay_crashed.add(purchase_id)
            return True
        return False

    def may_crash(self, consumer: str) -> bool:
        """Whether this consumer can crash at all (so the others skip the question)."""
        return consumer in self._crashing

    def consumer_crashes(self, consumer: str, purchase_id: int) -> bool:
        f = self.faults
        return self._crash(
            f.consumer_crashes, f.consumer_crash_rate, self._consumer_rngs, consumer, purchase_id
        )

    def crashes_between_transactions(self, consumer: str, purchase_id: int) -> bool:
        """Whether this consumer's handler, should it write in more than one transaction, crashes
        after the first one commits (asked once per first delivery, before the handler runs)."""
        f = self.faults
        return self._crash(
            f.crashes_between_transactions,
            f.between_transactions_rate,
            self._between_rngs,
            consumer,
            purchase_id,
        )

    def _crash(
        self,
        planned: Collection[tuple[str, int]],
        rate: float,
        rngs: dict[str, random.Random],
        consumer: str,
        purchase_id: int,
    ) -> bool:
        """Planned for this consumer and purchase, or else drawn at `rate` from the consumer's
        own stream for this kind of crash (for the consumers the rates apply to)."""
        if (consumer, purchase_id) in planned:
            return True
        return (
            rate > 0.0
            and consumer in self.faults.crashing_consumers
            and rngs[consumer].random() < rate
        )

    def poisoned(self, consumer: str, purchase_id: int) -> bool:
        return (consumer, purchase_id) in self.faults.poison

    @property
    def has_poison(self) -> bool:
        return bool(self.faults.poison)

    def broker_windows(self) -> tuple[Window, ...]:
        return tuple(sorted(self.faults.broker_outages))

    def consumer_windows(self, consumer: str) -> tuple[Window, ...]:
        return tuple(sorted(self._consumer_outages.get(consumer, ())))

    def consumer_down(self, consumer: str, t: float) -> bool:
        return _down(self._consumer_outages.get(consumer, ()), t)
