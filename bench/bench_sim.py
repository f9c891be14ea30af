"""Benchmark `eventlesson simulate` against the SimPy reference floor, in the same run.

Prints, never asserts (machines here are shared and noisy; the numbers are read, not gated):
- happy: wall time of `simulate happy --fast --json --purchases N` over `simpy_reference.py N`
  (target <= 1.5);
- outbox and sync-chain: their wall time over happy's on the same load (outbox target <= 1.5);
- peak memory (ru_maxrss of the child) of 1,000,000-purchase `--fast` runs of happy and
  sync-chain without a trace (target < 150 MB).

Runs alternate and the best of `--repeat` is kept, so every command sees the same machine load.
Ratios are of CPU seconds (user + system, of the child alone): on a shared machine they move far
less with the load than wall time does, which is printed beside them.

Usage: python bench/bench_sim.py [--purchases N] [--memory-purchases N] [--skip-memory]
                                 [--repeat K] [--reference PATH]
The reference is bench/simpy_reference.py (part of the repository) unless --reference says.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(__file__).resolve().parent / "simpy_reference.py"
RATIO_TARGET = 1.5
MEMORY_TARGET_MB = 150.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _simulate(scenario: str, purchases: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "eventlesson",
        "simulate",
        scenario,
        "--fast",
        "--json",  # no rendering: the summary only, as the core computes it
        "--purchases",
        str(purchases),
    ]


def run_child(argv: list[str]) -> tuple[float, float, str, float]:
    """Wall seconds, peak RSS in MB, stdout and CPU seconds of one child process (it alone)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    assert child.stdout is not None and child.stderr is not None
    out = child.stdout.read()
    err = child.stderr.read()
    # wait4 reports the rusage of exactly this child (RUSAGE_CHILDREN would mix them)
    _, status, usage = os.wait4(child.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(argv)}\n{err.decode()}")
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    return wall, peak_mb, out.decode(), usage.ru_utime + usage.ru_stime


def _verdict(value: float, target: float) -> str:
    return "within" if value <= target else "OVER"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reference", default=str(REFERENCE))
    parser.add_argument("--purchases", type=int, default=100_000)
    parser.add_argument("--memory-purchases", type=int, default=1_000_000)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="alternate runs, keep the best")
    args = parser.parse_args()
    reference = Path(args.reference)
    if not reference.exists():
        raise SystemExit(f"no SimPy reference at {reference}")

    n = args.purchases
    names = ("reference", "happy", "outbox", "sync-chain")
    best = dict.fromkeys(names, float("inf"))
    for _ in range(max(1, args.repeat)):
        wall, _, out, cpu = run_child([sys.executable, str(reference), str(n)])
        best["reference"] = min(best["reference"], cpu)
        print(f"reference:  {out.strip()}  (process wall {wall:.2f} s, cpu {cpu:.2f} s)")
        for scenario in names[1:]:
            wall, peak, _, cpu = run_child(_simulate(scenario, n))
            best[scenario] = min(best[scenario], cpu)
            print(
                f"{scenario + ':':<11} {n} purchases, process wall {wall:.2f} s, "
                f"cpu {cpu:.2f} s, peak {peak:.0f} MB"
            )
    ratio = best["happy"] / best["reference"]
    print(f"ratio happy/reference:  {ratio:.2f} ({_verdict(ratio, RATIO_TARGET)} the 1.5 target)")
    ratio = best["outbox"] / best["happy"]
    print(f"ratio outbox/happy:     {ratio:.2f} ({_verdict(ratio, RATIO_TARGET)} the 1.5 target)")
    ratio = best["sync-chain"] / best["happy"]
    print(f"ratio sync-chain/happy: {ratio:.2f} (no target)")

    if not args.skip_memory:
        m = args.memory_purchases
        for scenario in ("happy", "sync-chain"):
            wall, peak_mb, _, _ = run_child(_simulate(scenario, m))
            print(
                f"memory: {scenario} {m} purchases --fast, peak RSS {peak_mb:.0f} MB in "
                f"{wall:.1f} s ({_verdict(peak_mb, MEMORY_TARGET_MB)} the "
                f"{MEMORY_TARGET_MB:.0f} MB target)"
            )


if __name__ == "__main__":
    main()
