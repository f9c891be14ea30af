"""How fast eventlesson starts, as ratios against `python -c "import typer"` measured in the same run.

Targets (issue 5): `--help` within 1.3x the baseline, `quiz --answers A,A,A --json` within 2x, and
the first lesson page on screen within 0.3 s in a pseudo-terminal. Prints; never asserts: machines
here are shared and noisy, so the numbers are read, not gated.

Usage: python bench/bench_start.py [RUNS]   (default 15; medians are reported)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15


def wall(argv: list[str], env: dict[str, str]) -> float:
    """Median wall time of a command, interleaved runs so drift hits every command alike."""
    started = time.perf_counter()
    subprocess.run(
        argv,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started


def first_page_seconds(env: dict[str, str]) -> float:
    import pexpect

    program, *args = eventlesson()
    started = time.perf_counter()
    child = pexpect.spawn(
        program,
        [*args, "learn"],
        env=env,
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=20,
    )
    child.expect("quit")  # the footer is the last thing drawn on a page
    elapsed = time.perf_counter() - started
    child.send("q")
    child.expect(pexpect.EOF)
    return elapsed


def eventlesson() -> list[str]:
    """The installed console script (what a user types), else `python -m eventlesson`."""
    script = Path(sys.executable).with_name("eventlesson")
    return [str(script)] if script.exists() else [sys.executable, "-m", "eventlesson"]


def main() -> None:
    home = tempfile.mkdtemp(prefix="eventlesson-bench-")
    # as a user runs it: bytecode caches allowed (this machine sets PYTHONDONTWRITEBYTECODE)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        EVENTLESSON_HOME=home,
        PYTHONPATH=str(REPO),
        TERM="xterm-256color",
        PROMPT_TOOLKIT_NO_CPR="1",
    )
    baseline = "baseline: python -c 'import typer'"
    commands = {
        baseline: [sys.executable, "-c", "import typer"],
        "eventlesson --help": [*eventlesson(), "--help"],
        "eventlesson quiz --answers A,A,A --json": [
            *eventlesson(),
            "quiz",
            "--answers",
            "A,A,A",
            "--json",
        ],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm the file and bytecode caches once
        wall(argv, env)
    for _ in range(RUNS):
        for name, argv in commands.items():
            samples[name].append(wall(argv, env))
    # The minimum estimates the cost itself (noise on a shared VM only ever adds); the median
    # is printed beside it so a noisy run shows as one.
    best = {name: min(values) for name, values in samples.items()}
    targets = {"eventlesson --help": 1.3, "eventlesson quiz --answers A,A,A --json": 2.0}
    print(f"{'command':45} {'min s':>7} {'median s':>9} {'ratio':>6} {'target':>7}")
    for name, values in samples.items():
        target = targets.get(name)
        ratio = best[name] / best[baseline]
        verdict = "" if target is None else ("ok" if ratio <= target else "OVER")
        limit = f"<= {target}" if target else ""
        print(
            f"{name:45} {best[name]:7.3f} {statistics.median(values):9.3f} {ratio:6.2f} {limit:>7} {verdict}"
        )
    pages = [first_page_seconds(env) for _ in range(7)]
    page = statistics.median(pages)
    verdict = "ok" if page <= 0.3 else "OVER"
    print(
        f"{'learn: first page in a 24x80 pty (median)':45} {min(pages):7.3f} {page:9.3f} {'':>6} {'<= 0.3s':>7} {verdict}"
    )


if __name__ == "__main__":
    main()
