"""The purchase simulation's core: scenarios, engine, fault schedule, stores, trace and read-out.

Core package: SimPy, sqlite3 and the standard library only (no rich, questionary or typer, even
indirectly). Only `eventlesson.flows.simulate` paces a run. Where things live:

- `scenarios` - the catalogue: timings, consumers, the scenarios and their takeaways;
- `faults` - the fault plan (`Faults`) and the draws that apply it (`FaultSchedule`);
- `services` - the replaceable parts: the service's step, the relay, the consumers' handlers;
- `engine` - the SimPy model that runs them and emits trace records;
- `store` - the purchase service's SQLite database and each consumer's own store;
- `trace` - the record types (the schema) and JSON Lines in and out; `records` builds them;
- `ledger` - the trace folded into counts and per-purchase facts;
- `invariants`, `readout` - the checks and the summary/report, from a ledger and the stores;
- `story`, `snapshot`, `narrate` - what the live view shows and says;
- `simulation` - `Simulation` (step by step) and `run_scenario()` (to completion).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventlesson.sim.faults import Faults
from eventlesson.sim.scenarios import CONSUMER_NAMES, SAFE_SCENARIOS, SCENARIOS, Scenario
from eventlesson.sim.services import Event, Purchase
from eventlesson.sim.state import (
    ConsumerReport,
    ConsumerView,
    RunReport,
    Snapshot,
    StepView,
    Summary,
)
from eventlesson.sim.store import ConsumerStore, Store
from eventlesson.sim.trace import TraceList, TraceWriter, read_trace

if TYPE_CHECKING:
    from eventlesson.sim.simulation import MAX_PURCHASES, RunResult, Simulation, run_scenario

_ENGINE_NAMES = ("MAX_PURCHASES", "RunResult", "Simulation", "run_scenario")


def __getattr__(name: str) -> Any:
    """The engine's names load SimPy: only when asked, so the read-out and the invariants
    (which a real broker's run uses too) import without it."""
    if name in _ENGINE_NAMES:
        from eventlesson.sim import simulation

        return getattr(simulation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CONSUMER_NAMES",
    "MAX_PURCHASES",
    "SAFE_SCENARIOS",
    "SCENARIOS",
    "ConsumerReport",
    "ConsumerStore",
    "ConsumerView",
    "Event",
    "Faults",
    "Purchase",
    "RunReport",
    "RunResult",
    "Scenario",
    "Simulation",
    "Snapshot",
    "StepView",
    "Store",
    "Summary",
    "TraceList",
    "TraceWriter",
    "read_trace",
    "run_scenario",
]
