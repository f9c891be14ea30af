"""The child process that runs the learner's code: a job on stdin, a verdict on a private pipe.

Core module: standard library and `eventlesson.sim` only (no rich, questionary or typer). Started
by `eventlesson.exercise.runner` as `python -I -B -c BOOT ROOT`, in an empty temporary folder,
with an environment that names no folder of ours: it is handed the learner's source as text, never
a path, so it has no way to the progress file. Before the learner's code runs it:

- keeps the pipe to the parent for itself and points file descriptor 1 at /dev/null, so what the
  learner's code prints (captured and handed back, the first lines) cannot garble the verdict;
- forbids writing to files (`RLIMIT_FSIZE` 0: a write fails with an error the learner sees) and
  caps memory (`RLIMIT_AS`), where the platform has them;
- then every call into the learner's code has its own time limit (`learner.LearnerCode.call`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass, replace
from typing import Annotated

from eventlesson.exercise.judge import judge
from eventlesson.exercise.learner import LearnerCode, LearnerFailed
from eventlesson.exercise.verdict import Plan, Problem, Verdict, error
from eventlesson.schema import MaxLen, Min, Reader

MAX_SOURCE = 1_000_000  # characters of the learner's file
MEMORY_BYTES = 4 * 1024**3  # the child's address space: a runaway list fails, the machine is fine


@dataclass(frozen=True)
class Job:
    """What the parent asks the worker to do."""

    source: Annotated[str, MaxLen(MAX_SOURCE)]  # the learner's file, as text
    label: Annotated[str, MaxLen(200)]  # its name in tracebacks (the file name, no folder)
    plan: Plan  # what to run
    call_ms: Annotated[int, Min(0)] = 1000  # one call's time limit; 0: none


def _confine() -> None:
    """No files written, bounded memory: what a POSIX child can promise (best effort elsewhere)."""
    try:
        import resource
        import signal
    except ImportError:  # pragma: no cover - Windows
        return
    with contextlib.suppress(ValueError, OSError, AttributeError):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write then fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    with contextlib.suppress(ValueError, OSError, AttributeError):
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(hard, MEMORY_BYTES)
        if soft == resource.RLIM_INFINITY or soft > cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def run(job: Job) -> Verdict:
    """Check the learner's source against the plan (in this process)."""
    try:
        code = LearnerCode(job.source, job.label, limit=job.call_ms / 1000 or None)
    except LearnerFailed as stop:  # it does not compile
        return error(job.plan.exercise, stop.problem)
    try:
        verdict = judge(code, job.plan)
    except LearnerFailed as stop:  # its module failed to start, before any run
        verdict = error(job.plan.exercise, stop.problem)
    out = code.output
    out.finish()
    return replace(verdict, output=tuple(out.lines), output_lines=out.count)


def main() -> int:
    result = os.dup(1)  # the parent's pipe, for the verdict alone
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 - lives as long as we do
    raw = sys.stdin.buffer.read(MAX_SOURCE * 4 + 100_000)
    reader = Reader("job", report_controls=False)
    try:
        job = reader.read(Job, json.loads(raw.decode("utf-8")))
    except (ValueError, RecursionError):
        job = None
    if job is None or reader.problems:
        verdict = error("", Problem("unreadable", "", "the check was handed a job it cannot read"))
    else:
        _confine()
        try:
            verdict = run(job)
        except Exception as exc:  # our own failure: one line for the parent, never a traceback
            verdict = error(
                job.plan.exercise,
                Problem("internal", "", f"the check itself failed: {type(exc).__name__}: {exc}"),
            )
    data = verdict.to_json().encode("utf-8")
    while data:
        data = data[os.write(result, data) :]
    os.close(result)
    return 0
