"""What a check of the learner's file found, as plain data that crosses a process boundary.

Core module: standard library only (no rich, questionary or typer, no SimPy). The worker writes a
`Verdict` as JSON; the parent reads it back through the one schema reader (`schema.Reader`), so a
child that printed something else, or was tampered with, gives a clear "could not be read", and
no text from it reaches the terminal with control codes in it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from eventlesson.schema import MaxLen, Min, Reader

Status = Literal["passing", "failing", "error"]
PASSING: Status = "passing"
FAILING: Status = "failing"
ERROR: Status = "error"
Text = Annotated[str, MaxLen(4000)]


@dataclass(frozen=True)
class Plan:
    """What a check runs: an exercise's functions, scenarios, checks, seeds and purchases."""

    exercise: Annotated[str, MaxLen(100)]  # its id
    functions: tuple[Annotated[str, MaxLen(100)], ...]  # what the learner's file defines
    scenarios: tuple[Annotated[str, MaxLen(100)], ...]  # each run on every seed
    holds: tuple[Annotated[str, MaxLen(100)], ...]  # the checks, in reporting order
    seeds: Annotated[int, Min(1)] = 20  # how many seeds, from `first_seed` on
    purchases: Annotated[int, Min(1)] = 20  # learners in each run
    first_seed: int = 1


@dataclass(frozen=True)
class Problem:
    """The learner's code failed (or the check could not run): what, where, their frames only."""

    # syntax, exception, misuse, timeout, missing, signature, crashed, unreadable, internal
    kind: Annotated[str, MaxLen(20)] = "internal"
    function: Annotated[str, MaxLen(100)] = ""  # the learner's function; "" outside one
    message: Text = ""  # one line
    traceback: Text = ""  # the learner's frames (never ours), or a syntax error's caret


@dataclass(frozen=True)
class TraceLine:
    """One record of the failing run's trace, in words."""

    t: Annotated[str, MaxLen(20)]  # virtual seconds, e.g. "12.345"
    type: Annotated[str, MaxLen(40)]  # the record type (commit, publish, crash, ...)
    text: Text  # what happened, in a sentence (eventlesson.sim.narrate)


@dataclass(frozen=True)
class Failure:
    """The first run that broke a check: enough to see what happened and to replay it."""

    scenario: Annotated[str, MaxLen(100)]  # the scenario's name
    seed: int  # the run's seed
    purchases: Annotated[int, Min(1)]  # learners in the run
    check: Annotated[str, MaxLen(100)]  # the first broken check, in the exercise's order
    purchase_id: Annotated[int, Min(0)]  # the first purchase that broke it; 0 when none does
    count: Annotated[int, Min(0)]  # how many purchases broke it in this run
    what: Text  # what happened to that purchase, in words
    trace: tuple[TraceLine, ...] = ()  # its trace records
    more: Annotated[int, Min(0)] = 0  # trace records left out


@dataclass(frozen=True)
class Tally:
    """One check of the exercise and the runs that broke it."""

    check: Annotated[str, MaxLen(100)]
    broken: Annotated[int, Min(0)]  # runs in which it was broken


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking the learner's file once."""

    exercise: Annotated[str, MaxLen(100)]
    status: Status
    runs: Annotated[int, Min(0)] = 0  # runs made (scenarios x seeds, unless an error stopped it)
    failed_runs: Annotated[int, Min(0)] = 0
    checks: tuple[Tally, ...] = ()  # in the exercise's order
    failure: Failure | None = None  # the first failing run (status "failing")
    problem: Problem | None = None  # what stopped the check (status "error")
    output: tuple[Annotated[str, MaxLen(400)], ...] = ()  # the first lines the code printed
    output_lines: Annotated[int, Min(0)] = 0  # lines it printed in all
    scenarios: tuple[Annotated[str, MaxLen(100)], ...] = ()  # what it was run against
    seeds: Annotated[int, Min(0)] = 0  # seeds 1 to this, each scenario

    @property
    def passed(self) -> bool:
        return self.status == PASSING

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Verdict | None:
        """A verdict written by `to_json`; None when `text` is anything else."""
        try:
            data: Any = json.loads(text)
        except (ValueError, RecursionError):
            return None
        reader = Reader("verdict", report_controls=False)
        verdict = reader.read(cls, data)
        if reader.problems or verdict is None:
            return None
        if verdict.status == PASSING and (verdict.failed_runs or not verdict.runs):
            return None  # a pass is a pass of every run made
        return verdict


def error(exercise: str, problem: Problem, **more: Any) -> Verdict:
    """A verdict that says the check stopped, and why."""
    return Verdict(exercise=exercise, status=ERROR, problem=problem, **more)
