"""Load check for a class: 30 learners × 5 consumers, 1,000 purchases, through the real CLI host.

Prints, never asserts. The host is `eventlesson classroom host` in its own process (typed
commands, `--save` for its summary); the learners are `LearnerSession`s, the same code
`classroom join` runs, ten to a worker process, each joining through the lobby and consuming on
its own durable consumers with the CLI's settings (one event per fetch, acknowledged after its
effect; no processing time, so the broker path itself is what is measured). One burst of 1,000
purchases (or, with `--rate R`, the host's steady purchases at R a second until 1,000 are out),
then it waits until every consumer of every learner has handled every event.

It prints: whether every learner's every consumer handled every event, and exactly once in
effect where the consumer is idempotent (enrollment and affiliate by event id, recommendations
by nature); the p50/p95/max delivery latency (the server's stored time to the handler's end,
same machine); the peak lag the host's dashboard read from the server; and the CPU the host
process (and, apart, its nats-server) used.

Usage: python bench/bench_classroom.py [--learners 30] [--purchases 1000] [--workers 3] [--rate R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eventlesson.broker.jetstream import Delivery  # noqa: E402  (the checkout, not a copy)
from eventlesson.classroom.learner import LearnerSession  # noqa: E402
from eventlesson.classroom.roster import parse_join_url  # noqa: E402
from eventlesson.sim.scenarios import CONSUMER_NAMES, CONSUMERS  # noqa: E402

IDEMPOTENT = {spec.name for spec in CONSUMERS if spec.idempotent or spec.refresh}
TICK = os.sysconf("SC_CLK_TCK")


# -- a worker: some of the learners, in one process -------------------------------------------


async def worker(url: str, names: list[str], purchases: int) -> dict[str, Any]:
    address = parse_join_url(url)
    latencies: list[float] = []
    seen: dict[tuple[str, str], set[int]] = {}

    def handled(learner: str) -> Any:
        def note(consumer: str, d: Delivery, at: float) -> None:
            latencies.append(at - d.stored_at)
            seen.setdefault((learner, consumer), set()).add(d.seq)

        return note

    sessions = []
    for name in names:
        session = LearnerSession(address, name, work=0, watch=False, on_handled=handled(name))
        await session.join()
        await session.start()
        sessions.append(session)
    print("READY", flush=True)
    total = len(names) * len(CONSUMER_NAMES)
    while sum(len(s) >= purchases for s in seen.values()) < total:
        if any(s.over for s in sessions):
            break
        await asyncio.sleep(0.1)
    result: dict[str, Any] = {"latencies": latencies, "learners": {}}
    for session in sessions:
        await session.close()
        consumers = {}
        for name, c in session.consumers.items():
            effects = [c.store.times_applied(pid) for pid in range(1, purchases + 1)]
            consumers[name] = {
                "handled_every_event": len(seen.get((session.key, name), ())) >= purchases,
                "missing": sum(1 for e in effects if e == 0),
                "twice_or_more": sum(1 for e in effects if e > 1),
            }
        result["learners"][session.key] = consumers
    return result


# -- the run ----------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


class Lines:
    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.append(line)

    def wait(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        start = 0
        while time.monotonic() < deadline:
            for i in range(start, len(self.lines)):
                match = re.search(pattern, self.lines[i])
                if match:
                    return match
            start = len(self.lines)
            time.sleep(0.05)
        raise SystemExit(f"gave up waiting for {pattern!r}:\n{''.join(self.lines[-20:])}")


def run(learners: int, purchases: int, workers: int, rate: float | None) -> None:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    with tempfile.TemporaryDirectory(prefix="bench-classroom-") as folder:
        env["EVENTLESSON_HOME"] = folder
        saved = Path(folder) / "class.json"
        command = ["classroom", "host", "--port", "0", "--burst", str(purchases)]
        command += ["--save", str(saved), "--rate", str(rate or 1)]
        host = subprocess.Popen(
            [sys.executable, "-m", "eventlesson", *command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert host.stdin is not None
        out = Lines(host.stdout)
        url = out.wait(r"classroom join (nats://join:\S+)")[1]
        server_pid = int(
            subprocess.run(
                ["ps", "-o", "pid=", "--ppid", str(host.pid)], capture_output=True, text=True
            ).stdout.split()[0]
        )
        names = [f"learner-{i:02d}" for i in range(1, learners + 1)]
        groups = [names[i::workers] for i in range(workers)]
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    url,
                    "--purchases",
                    str(purchases),
                    "--names",
                    ",".join(group),
                ],
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            for group in groups
            if group
        ]
        readers = [Lines(p.stdout) for p in procs]
        for reader in readers:
            reader.wait(r"^READY", timeout=120)
        host_cpu0, server_cpu0 = cpu_seconds(host.pid), cpu_seconds(server_pid)
        started = time.monotonic()
        if rate is None:
            host.stdin.write("b\n")
            host.stdin.flush()
        else:  # steady purchases, paused once the last one is out
            host.stdin.write("pause\n")
            host.stdin.flush()
            out.wait(rf"stream seq {purchases}\.", timeout=purchases / rate * 3 + 60)
            host.stdin.write("pause\n")
            host.stdin.flush()
        results = []
        for proc, reader in zip(procs, readers, strict=True):
            proc.wait(timeout=900)
            results.append(json.loads(reader.lines[-1]))
        drained = time.monotonic() - started
        time.sleep(1.0)  # one more reading of the dashboard after the last ack
        host_cpu, server_cpu = (
            cpu_seconds(host.pid) - host_cpu0,
            cpu_seconds(server_pid) - server_cpu0,
        )
        host.stdin.write("q\n")
        host.stdin.flush()
        host.wait(timeout=60)
        summary = json.loads(saved.read_text())
    how = "one burst" if rate is None else f"{rate:g} a second"
    report(results, summary, how, purchases, drained, host_cpu, server_cpu)


def report(
    results: list[dict[str, Any]],
    summary: dict[str, Any],
    how: str,
    purchases: int,
    drained: float,
    host_cpu: float,
    server_cpu: float,
) -> None:
    latencies = sorted(x for r in results for x in r["latencies"])
    every = all(
        c["handled_every_event"] and not c["missing"]
        for r in results
        for consumers in r["learners"].values()
        for c in consumers.values()
    )
    once = all(
        c["twice_or_more"] == 0
        for r in results
        for consumers in r["learners"].values()
        for name, c in consumers.items()
        if name in IDEMPOTENT
    )
    repeats = sum(
        c["twice_or_more"]
        for r in results
        for consumers in r["learners"].values()
        for name, c in consumers.items()
        if name not in IDEMPOTENT
    )
    joined = sum(len(r["learners"]) for r in results)
    deliveries = len(latencies)
    peak = max((row["peak_lag"] for row in summary["learners"]), default=0)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    print(
        f"classroom load: {joined} learners × {len(CONSUMER_NAMES)} consumers, {purchases:,} purchases"
    )
    print(f"  every consumer handled every event:        {'yes' if every else 'NO'}")
    print(f"  idempotent consumers applied each once:    {'yes' if once else 'NO'}")
    print(f"  repeats in the other consumers (allowed):  {repeats}")
    print(
        f"  deliveries handled: {deliveries:,} in {drained:.1f} s ({deliveries / drained:,.0f}/s)"
    )
    print(
        f"  delivery latency (stored -> handled): p50 {q[49] * 1000:.0f} ms, "
        f"p95 {q[94] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )
    print(f"  peak lag on the dashboard (one learner, five consumers): {peak:,} events")
    print(
        f"  host process CPU: {host_cpu:.1f} s ({host_cpu / drained:.0%} of one core) · "
        f"nats-server CPU: {server_cpu:.1f} s ({server_cpu / drained:.0%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--purchases", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--rate", type=float, help="steady purchases a second instead of a burst")
    parser.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--names", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = asyncio.run(worker(args.worker, args.names.split(","), args.purchases))
        print(json.dumps(result), flush=True)
        return
    run(args.learners, args.purchases, args.workers, args.rate)


if __name__ == "__main__":
    main()
