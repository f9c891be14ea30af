"""One run of one scenario, and the small API other code calls: build, run, read out.

Core module: SimPy, sqlite3 and the standard library only (no rich, questionary or typer).

    from eventlesson.sim import run_scenario
    with run_scenario("crash-after-commit", seed=7, purchases=10) as run:
        run.report.lost_events      # which purchases were paid, confirmed and never announced
        run.trace                   # every record, as dicts (see eventlesson.sim.trace)
        run.store                   # the purchase service's database

`Simulation` is the same run, driven step by step by a view (`peek()`, `step()`, `snapshot()`).
The service's step, the relay and any consumer's handler can be replaced (see
`eventlesson.sim.services`); the read-out is computed from the trace and the stores only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eventlesson.sim import readout, snapshot
from eventlesson.sim.engine import Engine
from eventlesson.sim.faults import Faults, FaultSchedule
from eventlesson.sim.invariants import Findings, find
from eventlesson.sim.ledger import Ledger
from eventlesson.sim.scenarios import CONSUMER_NAMES, SCENARIOS, Scenario
from eventlesson.sim.services import Handler, Relay, ServiceStep
from eventlesson.sim.state import RunReport, Snapshot, Summary
from eventlesson.sim.store import ConsumerStore, Store
from eventlesson.sim.story import Story
from eventlesson.sim.trace import TraceList

Record = dict[str, Any]
Listener = Callable[[Record], None]

# per purchase: about 30 bytes of facts from the trace and the consumers' stores, and a row of
# the purchase service's SQLite database (about 60 bytes): some 900 MB at this many
MAX_PURCHASES = 10_000_000


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
        service: ServiceStep | None = None,
        relay: Relay | None = None,
        handlers: Mapping[str, Handler] | None = None,
    ) -> None:
        self.scenario = SCENARIOS[scenario] if isinstance(scenario, str) else scenario
        self.seed = seed
        self.planned = purchases if purchases is not None else self.scenario.purchases
        if not 1 <= self.planned <= MAX_PURCHASES:
            raise ValueError(f"purchases must be from 1 to {MAX_PURCHASES:,} (got {self.planned})")
        self.faults = faults if faults is not None else self.scenario.faults(self.planned)
        # arrival times serve only the synchronous chain's comparison with events
        self.ledger = Ledger(CONSUMER_NAMES, self.planned, arrivals=not self.scenario.has_events)
        self.store = Store(db)
        self.consumer_stores = {name: ConsumerStore(name, self.planned) for name in CONSUMER_NAMES}
        self.engine = Engine(
            self.scenario,
            seed=seed,
            planned=self.planned,
            schedule=FaultSchedule(self.faults, seed, CONSUMER_NAMES),
            store=self.store,
            consumer_stores=self.consumer_stores,
            ledger=self.ledger,
            service=service,
            relay=relay,
            handlers=handlers,
        )
        self.env = self.engine.env
        self.story: Story | None = None
        if observe:
            self.story = Story(self.scenario)
            self.engine.listeners.append(self.story)
        self.interrupted = False
        self._peak = 0.0
        self._final: tuple[Summary, Findings] | None = None

    # -- driving --

    def add_listener(self, listener: Listener) -> None:
        """Receive every trace record, in order, as it happens."""
        self.engine.listeners.append(listener)

    def on_progress(self, callback: Callable[[int], None]) -> None:
        """Be told how many learners have arrived, every 10,000 of them (long unwatched runs)."""
        self.engine.on_progress = callback

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

    # -- the read-out --

    def _read(self) -> tuple[Summary, Findings]:
        if self._final is not None:
            return self._final
        complete = self.done
        findings = find(
            self.ledger,
            self.store,
            self.consumer_stores,
            complete=complete,
            has_events=self.scenario.has_events,
        )
        summary = readout.summarize(
            self.scenario,
            self.ledger,
            findings,
            seed=self.seed,
            planned=self.planned,
            virtual_seconds=self.env.now,
            complete=complete,
        )
        if complete:  # a finished run's read-out is made once
            self._final = summary, findings
        return summary, findings

    def summary(self) -> Summary:
        """The statistics and invariants so far; complete once the run is over."""
        return self._read()[0]

    def report(self) -> RunReport:
        """What happened, as plain data (see `RunReport`)."""
        summary, findings = self._read()
        return readout.report(summary, self.ledger, findings, self.consumer_stores)

    def compare_with_event_design(self) -> dict[str, Any]:
        """The same learners' confirmation in the event design (for the synchronous chain)."""
        return readout.compare_with_event_design(self.ledger)

    def snapshot(self, clock: float | None = None, focus: int | None = None) -> Snapshot:
        """Everything a view shows, read at this instant; `clock` is the paced display time."""
        snap = snapshot.take(
            self.engine, self.story, clock=clock, focus=focus, peak=self._peak, done=self.done
        )
        self._peak = snap.peak_lag_seconds
        return snap


@dataclass
class RunResult:
    """A finished run: its trace, its stores and its read-out. Close it (or use `with`)."""

    summary: Summary
    report: RunReport
    trace: list[Record]
    store: Store
    consumer_stores: dict[str, ConsumerStore] = field(default_factory=dict)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> RunResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_scenario(
    scenario: str | Scenario = "happy",
    *,
    seed: int = 7,
    purchases: int | None = None,
    faults: Faults | None = None,
    db: str = ":memory:",
    service: ServiceStep | None = None,
    relay: Relay | None = None,
    handlers: Mapping[str, Handler] | None = None,
    keep_trace: bool = True,
) -> RunResult:
    """Run a scenario to completion; its trace (unless `keep_trace=False`), stores and read-out."""
    sim = Simulation(
        scenario,
        seed=seed,
        purchases=purchases,
        faults=faults,
        db=db,
        service=service,
        relay=relay,
        handlers=handlers,
    )
    trace = TraceList()
    if keep_trace:
        sim.add_listener(trace)
    try:
        summary = sim.run()
        result = RunResult(summary, sim.report(), trace, sim.store, sim.consumer_stores)
    except BaseException:
        sim.close()
        raise
    return result
