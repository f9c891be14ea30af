"""The judge: run the learner's code in the exercise's scenarios on many seeds, and say what broke.

Core module: SimPy (through `eventlesson.sim`) and the standard library only (no rich,
questionary or typer). It draws no conclusions of its own about what happened: each run is a
`Simulation` with the learner's functions in place, and the verdict is read from that run's
trace, ledger, stores and invariants (`eventlesson.sim.invariants`), the same read-out
`eventlesson simulate` shows. The only checks added here are two the simulation has no need for
(every purchase reached the store; every outbox row was marked) and that the run comes to an end.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from eventlesson.exercise.learner import Components, LearnerCode, LearnerFailed
from eventlesson.exercise.verdict import (
    ERROR,
    FAILING,
    PASSING,
    Failure,
    Plan,
    Tally,
    TraceLine,
    Verdict,
)
from eventlesson.sim.invariants import NAMES, Findings, find
from eventlesson.sim.ledger import COMMANDED, COMMITTED, FAILED
from eventlesson.sim.narrate import describe
from eventlesson.sim.scenarios import CONSUMERS, SCENARIOS
from eventlesson.sim.simulation import Simulation
from eventlesson.sim.trace import TraceList

PURCHASES_RECORDED = "purchases_recorded"  # every purchase committed, or refused by the store
OUTBOX_DRAINED = "outbox_drained"  # no outbox row left unmarked at the end
RUN_FINISHES = "run_finishes"  # always checked: the run comes to an end
OWN_CHECKS = (PURCHASES_RECORDED, OUTBOX_DRAINED)
CHECKS: tuple[str, ...] = (*NAMES, *OWN_CHECKS)  # what an exercise's `holds` may name
TRACE_LINES = 14  # trace records shown for the failing purchase
EFFECTS = {spec.name: spec.effect for spec in CONSUMERS}


def horizon(scenario: str, purchases: int) -> float:
    """Virtual seconds by which a run must have ended: its arrivals, many times over."""
    return 20.0 * purchases / SCENARIOS[scenario].arrival_rate + 600.0


def replay_args(failure: Failure) -> list[str]:
    """The `eventlesson simulate` arguments that replay a failing run (add `--with FILE`)."""
    args = [failure.scenario, "--seed", str(failure.seed)]
    if failure.purchases != SCENARIOS[failure.scenario].purchases:
        args += ["--purchases", str(failure.purchases)]
    return args


def judge(code: LearnerCode, plan: Plan) -> Verdict:
    """Every scenario on `plan.seeds` seeds (1, 2, ...), with the learner's functions in place."""
    broken = dict.fromkeys((*plan.holds, RUN_FINISHES), 0)
    runs = failed = 0
    first: Failure | None = None
    shape: dict[str, Any] = {"scenarios": plan.scenarios, "seeds": plan.seeds}
    for scenario in plan.scenarios:
        for seed in range(plan.first_seed, plan.first_seed + plan.seeds):
            try:
                run = Run(code, plan, scenario, seed)
            except LearnerFailed as stop:
                return Verdict(
                    exercise=plan.exercise,
                    status=ERROR,
                    runs=runs,
                    failed_runs=failed,
                    problem=stop.problem,
                    **shape,
                )
            runs += 1
            try:
                names = run.broken(plan.holds)
                for name in names:
                    broken[name] += 1
                if names:
                    failed += 1
                    if first is None:
                        first = run.failure(names[0])
            finally:  # a check that raises still closes the run's simulation
                run.close()
    tallies = tuple(Tally(name, n) for name, n in broken.items() if name != RUN_FINISHES or n)
    return Verdict(
        exercise=plan.exercise,
        status=FAILING if failed else PASSING,
        runs=runs,
        failed_runs=failed,
        checks=tallies,
        failure=first,
        **shape,
    )


class Run:
    """One finished run of one scenario and seed, with the learner's parts, and its read-out."""

    def __init__(self, code: LearnerCode, plan: Plan, scenario: str, seed: int) -> None:
        self.scenario = scenario
        self.seed = seed
        self.purchases = plan.purchases
        components: Components = code.parts(plan.functions)
        self.sim = sim = Simulation(
            scenario, seed=seed, purchases=plan.purchases, **components.as_parts().as_kwargs()
        )
        self.trace = TraceList()
        sim.add_listener(self.trace)
        sim.add_listener(components.restarted)  # a component's restart forgets its memory
        end, env = horizon(scenario, plan.purchases), sim.env
        try:
            while env.peek() <= end:
                env.step()
        except BaseException:
            sim.close()
            raise
        self.finished = sim.peek() == math.inf
        self.invariants = sim.summary().invariants if self.finished else {}
        self.findings: Findings = find(
            sim.ledger,
            sim.store,
            sim.consumer_stores,
            complete=self.finished,
            has_events=sim.scenario.has_events,
        )

    def close(self) -> None:
        self.sim.close()

    # -- the checks --

    def broken(self, holds: Iterable[str]) -> list[str]:
        """The checks this run broke, in the exercise's order (a run that never ended, alone)."""
        if not self.finished:
            return [RUN_FINISHES]
        return [name for name in holds if self.offenders(name)[1]]

    def offenders(self, check: str) -> tuple[list[int], int]:
        """The first purchases that broke `check` (as far as the read-out lists them), and how
        many broke it; (ids, 0) when it holds."""
        f = self.findings
        if check == PURCHASES_RECORDED:
            flags = self.sim.ledger.flags
            ids = [
                pid
                for pid in range(1, len(flags))
                if flags[pid] & COMMANDED and not flags[pid] & (COMMITTED | FAILED)
            ]
            return ids[:50], len(ids)
        if check == OUTBOX_DRAINED:
            store = self.sim.store
            return [row.purchase_id for row in store.pending_outbox()], store.outbox_backlog()
        lists = {
            "no_ghost_events": (f.ghost, f.ghosts),
            "publish_only_after_commit": (f.early, f.earlies),
            "no_lost_events": (f.lost, f.losts),
            "confirmed_at_commit": (f.late + f.misled, f.lates + f.misleds),
        }
        if check in lists:
            ids, count = lists[check]
            return list(ids), count
        consumer = _effect_consumer(check)
        if consumer is not None:
            ids = list(f.duplicates.get(consumer, ()))
            return ids, len(ids)
        if check == "every_event_handled":
            ids = [pid for name in f.unhandled for pid in f.unhandled[name]]
            return ids, len(ids)
        # the rest have no purchase to point at: lags_drained, the internal ones
        return [], 0 if self.invariants.get(check) is not False else 1

    # -- the failure, in words --

    def failure(self, check: str) -> Failure:
        ids, count = self.offenders(check) if check != RUN_FINISHES else ([], 1)
        pid = ids[0] if ids else 0
        consumer = _effect_consumer(check)
        if check == "every_event_handled" and pid:
            consumer = next(name for name, got in self.findings.unhandled.items() if pid in got)
        lines = self.lines(pid, consumer) if pid else []
        return Failure(
            scenario=self.scenario,
            seed=self.seed,
            purchases=self.purchases,
            check=check,
            purchase_id=pid,
            count=count,
            what=self.what(check, pid, consumer, count),
            trace=tuple(lines[:TRACE_LINES]),
            more=max(0, len(lines) - TRACE_LINES),
        )

    def records(self, pid: int) -> list[dict[str, Any]]:
        return [r for r in self.trace if r.get("purchase_id") == pid]

    def lines(self, pid: int, consumer: str | None) -> list[TraceLine]:
        """The purchase's story: its own records, the broker's outages meanwhile, and only the
        consumer in question's steps (or, without one, only the effects consumers applied)."""
        mine = self.records(pid)
        if not mine:
            return []
        start, end = mine[0]["t"], mine[-1]["t"]
        picked = []
        for record in self.trace:
            kind = record["type"]
            if kind in ("broker_down", "broker_up") or (
                kind == "restart" and consumer and record.get("consumer") == consumer
            ):
                if start <= record["t"] <= end:
                    picked.append(record)
                continue
            if record.get("purchase_id") != pid or kind in ("lag", "offset_commit"):
                continue
            who = record.get("consumer")
            if who is not None and (who != consumer if consumer else kind != "handle"):
                continue
            picked.append(record)
        return [TraceLine(f"{r['t']:.3f}", r["type"], describe(r)) for r in picked]

    def what(self, check: str, pid: int, consumer: str | None, count: int) -> str:
        """What happened, in a sentence or two, from the purchase's trace records."""
        p = f"P{pid}"
        mine = self.records(pid) if pid else []
        kinds = {r["type"] for r in mine}
        # how many of the run's purchases it happened to (the run's size is said apart from it)
        more = (
            f" In this run it happened to {count} of the {self.purchases} purchases, {p} first."
            if count > 1
            else ""
        )
        if check == RUN_FINISHES:
            return (
                f"The run had not ended after {horizon(self.scenario, self.purchases):g} "
                "virtual seconds: something repeats for ever (a relay that never marks its rows "
                "published hands them out again and again)."
            )
        if check == "no_ghost_events":
            return (
                f"{p}'s event was published, then its commit failed: the consumers acted on a "
                f"purchase the store never recorded (a ghost event).{more}"
            )
        if check == "publish_only_after_commit":
            return f"{p}'s event went out before the store had committed {p}.{more}"
        if check == "no_lost_events":
            if "publish_failed" in kinds:
                why = "the broker was down and the publish was given up"
            elif any(r["type"] == "crash" and r.get("lost") for r in mine):
                why = "the service crashed after the commit, before its publish landed"
            else:
                why = "nothing ever published it"
            return (
                f"{p} was committed and its learner told 'Purchase successful', but {why}: no "
                f"consumer will ever hear of it (a lost event).{more}"
            )
        if check == "confirmed_at_commit":
            return f"{p}'s learner was not told the outcome at its commit.{more}"
        if consumer is not None and check.startswith("no_effect_applied_twice"):
            times = self.sim.consumer_stores[consumer].times_applied(pid)
            effect = EFFECTS.get(consumer, "applied its effect")
            if self._crashed_between(mine, consumer):
                why = (
                    "the handler committed the effect in one transaction and the event's id in "
                    "another, and the consumer crashed between the two, so it was handed the "
                    "same event again with its id not recorded"
                )
            elif any(r["type"] == "crash" and r.get("consumer") == consumer for r in mine):
                why = (
                    "it crashed after its effect, before committing its offset, so it was "
                    "handed the same event again"
                )
            elif any(r["type"] == "publish" and r.get("repeat") for r in mine):
                why = (
                    "the relay crashed after publishing, before marking its row, and published "
                    "the same event again"
                )
            else:
                why = "the same event was delivered again"
            count_words = "twice" if times == 2 else f"{times} times"
            return (
                f"{consumer} {effect} for {p} {count_words}: {why}, and the handler applied "
                f"it as if it were new.{more}"
            )
        if check == "every_event_handled" and consumer is not None:
            if self._crashed_between(mine, consumer):
                return (
                    f"{consumer} never applied its effect for {p}: its handler recorded the "
                    "event's id in one transaction and was to apply the effect in another, and "
                    "the consumer crashed between the two. Handed the event again, it found the "
                    f"id recorded and skipped it.{more}"
                )
            return (
                f"{p}'s event was published, but {consumer} never applied its effect for it "
                f"(nor parked it as a dead letter).{more}"
            )
        if check == PURCHASES_RECORDED:
            return (
                f"{p} never reached the store: neither committed nor refused. "
                f"complete_purchase() must call store.mark_completed(purchase.id).{more}"
            )
        if check == OUTBOX_DRAINED:
            published = any(r["type"] == "publish" for r in mine)
            done = "was published but " if published else ""
            return (
                f"{p}'s outbox row {done}was never marked published: the relay will hand it "
                f"out again every time it reads the outbox.{more}"
            )
        return f"The check {check} did not hold in this run."

    @staticmethod
    def _crashed_between(records: list[dict[str, Any]], consumer: str) -> bool:
        """Whether the consumer died between two transactions of its handler (the run's fault)."""
        return any(
            r["type"] == "crash" and r.get("consumer") == consumer and r.get("between_transactions")
            for r in records
        )


def _effect_consumer(check: str) -> str | None:
    prefix, _, consumer = check.partition(".")
    return consumer if prefix == "no_effect_applied_twice" and consumer else None
