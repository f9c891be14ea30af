"""Benchmark `eventlesson simulate` against the SimPy reference floor, in the same run.

Prints, never asserts: wall-time ratio of `simulate happy --fast --purchases N` to
`simpy_reference.py N` (target <= 1.5), and the peak memory (ru_maxrss of the child) of a
1,000,000-purchase `--fast` run without a trace (target < 150 MB).

Usage: python bench/bench_sim.py [--reference PATH] [--purchases N] [--memory-purchases N]
                                 [--skip-memory] [--repeat K]
The reference path comes from --reference, else EVENTLESSON_SIMPY_REFERENCE, else
../shared/bench/simpy_reference.py relative to the repository root.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATIO_TARGET = 1.5
MEMORY_TARGET_MB = 150.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _simulate(purchases: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "eventlesson",
        "simulate",
        "happy",
        "--fast",
        "--json",  # no rendering: the summary only, as the core computes it
        "--purchases",
        str(purchases),
    ]


def run_child(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (this child only) and stdout of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    out, err = b"", b""
    assert child.stdout is not None and child.stderr is not None
    # wait4 reports the rusage of exactly this child (RUSAGE_CHILDREN would mix them)
    out = child.stdout.read()
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"failed ({child.returncode}): {' '.join(argv)}\n{err.decode()}")
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    return wall, peak_mb, out.decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default=os.environ.get("EVENTLESSON_SIMPY_REFERENCE"))
    parser.add_argument("--purchases", type=int, default=100_000)
    parser.add_argument("--memory-purchases", type=int, default=1_000_000)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="alternate runs, keep the best")
    args = parser.parse_args()
    reference = Path(args.reference or ROOT.parent / "shared" / "bench" / "simpy_reference.py")
    if not reference.exists():
        raise SystemExit(f"no SimPy reference at {reference} (use --reference or the env var)")

    n = args.purchases
    ref_best = ours_best = float("inf")
    for _ in range(max(1, args.repeat)):
        # alternating in the same run: both see the same machine load
        ref_wall, _, ref_out = run_child([sys.executable, str(reference), str(n)])
        ours_wall, ours_mb, _ = run_child(_simulate(n))
        ref_best, ours_best = min(ref_best, ref_wall), min(ours_best, ours_wall)
        print(f"reference: {ref_out.strip()}  (process wall {ref_wall:.2f} s)")
        print(f"simulate:  {n} purchases, process wall {ours_wall:.2f} s, peak {ours_mb:.0f} MB")
    ratio = ours_best / ref_best
    verdict = "within" if ratio <= RATIO_TARGET else "OVER"
    print(f"ratio simulate/reference: {ratio:.2f} ({verdict} the {RATIO_TARGET} target)")

    if not args.skip_memory:
        m = args.memory_purchases
        wall, peak_mb, _ = run_child(_simulate(m))
        verdict = "within" if peak_mb < MEMORY_TARGET_MB else "OVER"
        print(
            f"memory: {m} purchases --fast, peak RSS {peak_mb:.0f} MB in {wall:.1f} s "
            f"({verdict} the {MEMORY_TARGET_MB:.0f} MB target)"
        )


if __name__ == "__main__":
    main()
