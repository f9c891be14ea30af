"""The purchase simulation's core: model, scenarios, statistics and trace.

Core package: SimPy, sqlite3 and the standard library only (no rich, questionary or typer, even
indirectly). Views read `Snapshot` and `Summary`; only `eventlesson.flows.simulate` paces a run.
"""

from __future__ import annotations

from eventlesson.sim.model import Simulation
from eventlesson.sim.scenarios import CONSUMER_NAMES, SAFE_SCENARIOS, SCENARIOS, Faults, Scenario
from eventlesson.sim.state import ConsumerView, Snapshot, StepView, Summary
from eventlesson.sim.trace import TraceWriter

__all__ = [
    "CONSUMER_NAMES",
    "SAFE_SCENARIOS",
    "SCENARIOS",
    "ConsumerView",
    "Faults",
    "Scenario",
    "Simulation",
    "Snapshot",
    "StepView",
    "Summary",
    "TraceWriter",
]
