"""Reference floor for the fast-forward simulation benchmark.

The least work any faithful model of the lesson's purchase must do in SimPy:
purchases arrive, each commits, then its `purchase.completed` fact fans out to
five consumer queues, and each consumer takes a service time per event and
records the lag from publish to handled. No store, no log, no rendering.

Usage: python simpy_reference.py [PURCHASES]   (default 100000)
Prints one line: purchases, handled count, wall seconds, purchases per second.
Compare `eventlesson simulate ... --fast --purchases N` against it in the same
run (ratio of wall times), never against a number written down earlier.
"""

import random
import sys
import time

import simpy

PURCHASES = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
CONSUMERS = {
    "enrollment": 0.05,
    "email": 0.5,
    "analytics": 2.0,
    "recommendations": 5.0,
    "affiliate": 1.0,
}


def main() -> None:
    rng = random.Random(7)
    env = simpy.Environment()
    queues = {name: simpy.Store(env) for name in CONSUMERS}
    handled = {name: 0 for name in CONSUMERS}
    lag_total = {name: 0.0 for name in CONSUMERS}

    def purchases():
        for pid in range(PURCHASES):
            yield env.timeout(rng.expovariate(1.0))  # next learner arrives
            yield env.timeout(0.02)  # the purchase commits
            for queue in queues.values():  # then the fact is published
                queue.put((pid, env.now))

    def consumer(name, mean):
        queue = queues[name]
        while True:
            _pid, published_at = yield queue.get()
            yield env.timeout(rng.expovariate(1.0 / mean) * 0.1)
            handled[name] += 1
            lag_total[name] += env.now - published_at

    env.process(purchases())
    for name, mean in CONSUMERS.items():
        env.process(consumer(name, mean))
    started = time.perf_counter()
    env.run()
    wall = time.perf_counter() - started
    print(
        f"{PURCHASES} purchases, {sum(handled.values())} handled, {wall:.3f} s, {PURCHASES / wall:,.0f} purchases/s"
    )


if __name__ == "__main__":
    main()
