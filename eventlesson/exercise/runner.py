"""The parent side of a check: start the worker with a time limit, hand it the code, read its verdict.

Core module: standard library only (no rich, questionary or typer; no SimPy: the simulation runs
in the child). The child is started from a clean slate: isolated mode (`-I`: no environment
variables of ours, no user site, no current folder on the path), an empty temporary folder as its
working folder and home, and the learner's source on stdin rather than a path. Only the parent
reads the learner's file and only the parent records progress, so nothing the learner's code does
can reach the progress file through us. An endless loop is cut off inside the child after
`call_seconds` (where the platform can); the whole check after `total_seconds`, by killing it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import eventlesson
from eventlesson.exercise.verdict import Plan, Problem, Verdict, error
from eventlesson.files import FileError, read_file
from eventlesson.text import clean

ROOT = str(Path(eventlesson.__file__).resolve().parent.parent)  # the folder holding the package
BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from eventlesson.exercise.worker import main; sys.exit(main())"
)
MAX_FILE_BYTES = 1_000_000  # a learner's file larger than this is not run


@dataclass(frozen=True)
class Limits:
    """How long the learner's code may run."""

    call_seconds: float = 1.0  # one call of one of their functions (an endless loop stops here)
    total_seconds: float = 30.0  # the whole check, every run of every scenario


def read_source(path: Path) -> str | Problem:
    """The learner's file as text, or why it cannot be checked."""
    try:
        return read_file(path, MAX_FILE_BYTES).decode("utf-8")
    except FileError as exc:
        return Problem("unreadable", "", f"{clean(str(path))}: {exc}")
    except UnicodeDecodeError:
        return Problem("unreadable", "", f"{clean(str(path))}: not UTF-8 text")


def check_source(source: str, label: str, plan: Plan, limits: Limits | None = None) -> Verdict:
    """Run the worker on `source` (named `label` in tracebacks) and return its verdict."""
    limits = limits or Limits()
    job = json.dumps(
        {
            "source": source,
            "label": label,
            "plan": asdict(plan),
            "call_ms": round(limits.call_seconds * 1000),
        },
        ensure_ascii=False,
    ).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="eventlesson-check-") as scratch:
        process = subprocess.Popen(
            [sys.executable, "-I", "-B", "-c", BOOT, ROOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=scratch,
            env={"HOME": scratch, "TMPDIR": scratch, "LC_ALL": "C.UTF-8"},
            start_new_session=True,  # a Ctrl-C at the terminal is ours to handle; we stop it
        )
        try:
            out, _ = process.communicate(job, timeout=limits.total_seconds)
        except subprocess.TimeoutExpired:
            _stop(process)
            return error(
                plan.exercise,
                Problem(
                    "timeout",
                    "",
                    f"The check did not finish within {limits.total_seconds:g} s "
                    "(an endless loop in your code?); it was stopped.",
                ),
            )
        except BaseException:  # Ctrl-C while it runs: never leave it behind
            _stop(process)
            raise
        finally:  # whatever the learner's code started (Popen, fork) ends with the check
            _kill_group(process)
    verdict = Verdict.from_json(out.decode("utf-8", errors="replace")) if out else None
    if verdict is not None:
        return verdict
    code = process.returncode
    how = f"signal {-code}" if code < 0 else f"exit code {code}"
    return error(
        plan.exercise,
        Problem(
            "crashed",
            "",
            f"The check's process ended before giving a result ({how}); "
            "did your code end the process (os._exit, a signal)?",
        ),
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the worker and anything it started, and reap it."""
    _kill_group(process)
    with contextlib.suppress(Exception):
        process.communicate(timeout=5)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the worker's process group (its own session): the worker, if it still runs, and
    every process the learner's code started. Harmless when the group is already gone."""
    with contextlib.suppress(OSError):
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        elif process.poll() is None:  # pragma: no cover - Windows
            process.kill()
