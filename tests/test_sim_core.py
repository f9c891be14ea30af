"""The simulation core: scenarios tell their story, traces are deterministic, state is sane.

No terminal, no pacing: the model runs unpaced and is read through its summary, snapshot,
trace records and the SQLite database itself.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import sqlite3
from pathlib import Path

import pytest

from eventlesson.sim import SCENARIOS, Faults, Simulation, TraceWriter
from eventlesson.sim.model import MAX_PURCHASES, TRIM_AT
from eventlesson.sim.scenarios import COMMIT_SECONDS, SERVICE_RESTART_SECONDS
from eventlesson.sim.stats import EXACT_LIMIT, StreamingQuantiles
from eventlesson.sim.store import APPLICATION_ID, StoreError

from .support import modules_after

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_SEED = 7
GOLDEN_PURCHASES = 5


def trace(scenario: str, seed: int = 7, purchases: int | None = None, **kw) -> tuple[str, object]:
    buffer = io.StringIO()
    sim = Simulation(scenario, seed=seed, purchases=purchases, **kw)
    sim.add_listener(TraceWriter(buffer))
    summary = sim.run()
    sim.close()
    return buffer.getvalue(), summary


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# -- layering ---------------------------------------------------------------------------------


def test_core_imports_no_terminal_library_in_a_fresh_interpreter() -> None:
    loaded = modules_after(
        "from eventlesson.sim import Simulation\nSimulation('happy', purchases=2, observe=True).run()"
    )
    assert "simpy" in loaded
    assert not {"rich", "typer", "questionary", "prompt_toolkit"} & loaded


# -- every scenario tells its story ------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_scenario_breaks_exactly_what_it_exists_to_break(name: str) -> None:
    summary = Simulation(name, seed=7).run()
    broken = {k for k, ok in summary.invariants.items() if not ok}
    assert broken == set(SCENARIOS[name].expected_broken)
    assert summary.complete
    assert summary.takeaway == SCENARIOS[name].takeaway
    assert "Concept" in summary.takeaway or "Troubleshooting" in summary.takeaway


def test_happy_confirms_at_commit_and_every_consumer_handles_every_purchase() -> None:
    summary = Simulation("happy", seed=3, purchases=20).run()
    assert summary.committed == summary.published == 20
    assert summary.confirm_latency["p50"] == pytest.approx(0.02)
    for name, c in summary.consumers.items():
        assert c.handled == 20, name
    lags = {n: c.lag_seconds_p50 for n, c in summary.consumers.items()}
    assert lags["enrollment"] < lags["email"] < lags["recommendations"]


def test_sync_chain_makes_the_learner_wait_and_compares_with_happy() -> None:
    summary = Simulation("sync-chain", seed=7).run()
    assert summary.published == 0  # no events: direct calls
    assert summary.compared_with is not None
    happy = summary.compared_with["confirm_latency"]
    assert summary.confirm_latency["p50"] > 10 * happy["p50"]


def test_publish_before_commit_has_ghost_events_the_store_does_not_have() -> None:
    sim = Simulation("publish-before-commit", seed=7, purchases=5)
    text = io.StringIO()
    sim.add_listener(TraceWriter(text))
    summary = sim.run()
    assert summary.ghost_events >= 1
    assert summary.ghost_effects >= 1  # access granted, receipt mailed for nothing
    failed = [r["purchase_id"] for r in records(text.getvalue()) if r["type"] == "commit_failed"]
    assert failed
    for pid in failed:
        assert not sim.store.has_purchase(pid)
    assert sim.store.count("purchases") == summary.committed


def test_crash_after_commit_loses_events_for_purchases_that_exist() -> None:
    sim = Simulation("crash-after-commit", seed=7, purchases=5)
    summary = sim.run()
    assert summary.lost_events >= 1
    assert sim.store.count("purchases") == summary.committed == 5
    assert summary.published == 5 - summary.lost_events


def test_outbox_duplicates_but_never_loses_or_ghosts() -> None:
    summary = Simulation("outbox", seed=7, purchases=8).run()
    assert summary.published > summary.committed  # the relay crash repeated one
    assert summary.lost_events == 0 and summary.ghost_events == 0
    assert summary.consumers["enrollment"].duplicates_skipped >= 1
    assert summary.consumers["enrollment"].duplicates == 0
    assert summary.duplicate_effects >= 1  # email is not idempotent


def test_consumer_crash_sends_email_twice_and_enrolls_once() -> None:
    summary = Simulation("consumer-crash", seed=7, purchases=4).run()
    email, enrollment = summary.consumers["email"], summary.consumers["enrollment"]
    assert email.crashes >= 1 and email.duplicates >= 1
    assert enrollment.crashes >= 1
    assert enrollment.duplicates == 0 and enrollment.duplicates_skipped >= 1
    assert summary.invariants["idempotent_consumers_once"]


def test_slow_consumer_lag_grows_while_the_purchase_path_stays_fast() -> None:
    sim = Simulation("slow-consumer", seed=7, purchases=30)
    peaks: list[int] = []
    while not sim.done:
        sim.step()
        peaks.append(next(c.lag_events for c in sim.snapshot().consumers if c.name == "analytics"))
    summary = sim.summary()
    analytics = summary.consumers["analytics"]
    assert analytics.lag_events_max >= 8
    assert all(
        analytics.lag_events_max > c.lag_events_max
        for n, c in summary.consumers.items()
        if n != "analytics"
    )
    # the purchase path stays fast: at worst a learner waits for the one commit ahead of them
    assert summary.confirm_latency["p50"] == pytest.approx(COMMIT_SECONDS)
    assert summary.confirm_latency["max"] < 3 * COMMIT_SECONDS
    assert peaks[-1] == 0  # it drains once the learners stop


def test_learners_keep_arriving_during_a_service_crash_and_wait_for_the_restart() -> None:
    busy = dataclasses.replace(SCENARIOS["crash-after-commit"], arrival_rate=20.0)
    sim = Simulation(busy, seed=7, purchases=30, faults=Faults(service_crashes=frozenset({3})))
    buffer = io.StringIO()
    sim.add_listener(TraceWriter(buffer))
    summary = sim.run()
    rs = records(buffer.getvalue())
    crash = next(i for i, r in enumerate(rs) if r["type"] == "crash")
    restart = next(i for i, r in enumerate(rs) if r["type"] == "restart")
    waiting = [r["purchase_id"] for r in rs[crash:restart] if r["type"] == "command"]
    assert waiting  # arrivals do not pause while the service is down
    assert all(r.get("waits") == "restart" for r in rs[crash:restart] if r["type"] == "command")
    latency = {r["purchase_id"]: r["latency"] for r in rs if r["type"] == "confirm"}
    assert max(latency[pid] for pid in waiting) > SERVICE_RESTART_SECONDS / 2
    assert summary.confirm_latency["max"] > SERVICE_RESTART_SECONDS / 2
    assert summary.committed == 30 and summary.lost_events == 1
    assert summary.invariants["confirmed_at_commit"]  # they waited before the commit, not after


def test_broker_outage_keeps_committing_then_drains_a_lag_spike() -> None:
    text, summary = trace("broker-outage", purchases=20)
    kinds = [r["type"] for r in records(text)]
    assert "broker_down" in kinds and "broker_up" in kinds and "publish_failed" in kinds
    down = kinds.index("broker_down")
    up = kinds.index("broker_up")
    assert "commit" in kinds[down:up]  # purchases keep committing during the outage
    assert summary.confirm_latency["max"] < 3 * COMMIT_SECONDS
    assert summary.consumers["enrollment"].lag_seconds_max > 3.0  # the backlog's age
    assert all(summary.invariants.values())


def test_poison_event_is_retried_then_dead_lettered_and_others_flow() -> None:
    text, summary = trace("poison-event", purchases=6)
    rs = records(text)
    failures = [r for r in rs if r["type"] == "handle_failed"]
    assert [r["delivery"] for r in failures] == [1, 2, 3]
    dead = [r for r in rs if r["type"] == "dead_letter"]
    assert len(dead) == 1 and dead[0]["consumer"] == "analytics"
    assert summary.dead_letters == 1
    assert summary.consumers["analytics"].handled == 5
    assert summary.consumers["email"].handled == 6
    assert summary.invariants["every_event_handled"]


# -- trace -------------------------------------------------------------------------------------


def test_same_seed_same_trace_and_another_seed_another() -> None:
    first, _ = trace("outbox", seed=11, purchases=6)
    second, _ = trace("outbox", seed=11, purchases=6)
    other, _ = trace("outbox", seed=12, purchases=6)
    assert first == second
    assert first != other


def test_trace_records_carry_time_type_and_ids() -> None:
    text, _ = trace("consumer-crash", purchases=3)
    rs = records(text)
    kinds = {r["type"] for r in rs}
    assert {"command", "commit", "publish", "confirm", "deliver", "handle"} <= kinds
    assert {"duplicate_skipped", "crash"} <= kinds
    for r in rs:
        assert isinstance(r["t"], float | int)
    assert all("purchase_id" in r for r in rs if r["type"] in ("commit", "publish", "handle"))
    assert all("event_id" in r for r in rs if r["type"] in ("publish", "deliver", "handle"))
    assert all("consumer" in r for r in rs if r["type"] in ("deliver", "handle"))
    times = [r["t"] for r in rs]
    assert times == sorted(times)


def test_commit_precedes_publish_in_the_trace() -> None:
    text, _ = trace("happy", purchases=5)
    committed: set[int] = set()
    for r in records(text):
        if r["type"] == "commit":
            committed.add(r["purchase_id"])
        if r["type"] == "publish":
            assert r["purchase_id"] in committed


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_golden_trace(name: str) -> None:
    text, _ = trace(name, seed=GOLDEN_SEED, purchases=GOLDEN_PURCHASES)
    path = GOLDEN / f"{name}.jsonl"
    if os.environ.get("EVENTLESSON_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden trace; run with EVENTLESSON_UPDATE_GOLDEN=1 to create {path}"
    assert text.encode("utf-8") == path.read_bytes()


# -- SQLite, memory, snapshot --------------------------------------------------------------------


def test_db_path_keeps_a_database_sqlite3_can_read(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    sim = Simulation("outbox", seed=7, purchases=6, db=str(db))
    summary = sim.run()
    sim.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM purchases").fetchone()[0] == summary.committed
        assert (
            conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]
            == 0
        )
        assert conn.execute("SELECT count(*) FROM processed_events").fetchone()[0] > 0
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    again = Simulation("happy", seed=7, purchases=2, db=str(db))  # our own file starts over
    again.run()
    assert again.store.count("purchases") == 2


def test_db_path_that_is_not_a_database_is_a_store_error_naming_no_flag(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello, not sqlite " * 100)
    with pytest.raises(StoreError) as caught:
        Simulation("happy", db=str(bogus))
    assert str(bogus) in str(caught.value)
    assert "--" not in str(caught.value)  # the core knows no command-line flags


def test_someone_elses_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    theirs = tmp_path / "shop.db"
    with sqlite3.connect(theirs) as conn:
        conn.execute("CREATE TABLE purchases (invoice TEXT)")
        conn.execute("INSERT INTO purchases VALUES ('keep me')")
    conn.close()
    with pytest.raises(StoreError, match="did not create"):
        Simulation("happy", db=str(theirs))
    with sqlite3.connect(theirs) as conn:
        assert conn.execute("SELECT invoice FROM purchases").fetchall() == [("keep me",)]
    conn.close()


def test_an_empty_database_file_is_claimed(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    sim = Simulation("happy", seed=7, purchases=2, db=str(empty))
    sim.run()
    sim.close()
    with sqlite3.connect(empty) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


def test_confirmation_reads_the_commit_time_back_from_the_store() -> None:
    sim = Simulation("happy", seed=7, purchases=3)
    summary = sim.run()
    stored = sim.store._db.execute("SELECT committed_at FROM purchases").fetchall()
    assert len(stored) == 3
    assert summary.invariants["confirmed_at_commit"] and sim.late_confirms == 0


def test_summary_is_made_once_and_sync_chain_runs_its_twin_once(monkeypatch) -> None:
    from eventlesson.sim import model

    made: list[str] = []
    real_init = model.Simulation.__init__

    def counting(self, scenario="happy", **kw) -> None:
        made.append(scenario if isinstance(scenario, str) else scenario.name)
        real_init(self, scenario, **kw)

    monkeypatch.setattr(model.Simulation, "__init__", counting)
    sim = Simulation("sync-chain", seed=7, purchases=4)
    first = sim.run()
    assert sim.summary() is first and sim.summary() is first
    assert made == ["sync-chain", "happy"]


def test_broker_log_drops_entries_every_consumer_has_committed() -> None:
    sim = Simulation("happy", seed=7, purchases=3 * TRIM_AT)
    sim.run()
    assert len(sim.log.entries) <= TRIM_AT + 1
    assert sim.log.end == 3 * TRIM_AT


def test_snapshot_follows_the_current_purchase_step_by_step() -> None:
    sim = Simulation("happy", seed=7, purchases=2, observe=True)
    seen: list[tuple[str, ...]] = []
    while not sim.done:
        sim.step()
        snap = sim.snapshot()
        states = tuple(f"{s.name}:{s.state}" for s in snap.steps)
        if not seen or seen[-1] != states:
            seen.append(states)
    first = sim.snapshot()
    assert [s.name for s in first.steps] == ["command", "commit", "publish", "consumers"]
    assert ("command:done", "commit:waiting", "publish:pending", "consumers:pending") in seen
    assert seen[-1] == ("command:done", "commit:done", "publish:done", "consumers:done")
    assert first.what and first.done
    assert {c.name for c in first.consumers} == set(sim.summary().consumers)


def test_snapshot_clock_never_runs_behind_the_model() -> None:
    sim = Simulation("happy", seed=7, purchases=1, observe=True)
    sim.step()
    assert sim.snapshot(clock=-5).clock == sim.now
    assert sim.snapshot(clock=sim.now + 1).clock == sim.now + 1


def test_summary_dict_holds_the_documented_keys() -> None:
    data = Simulation("happy", seed=7, purchases=3).run().to_dict()
    for key in (
        "scenario", "seed", "purchases", "committed", "published", "ghost_events",
        "lost_events", "duplicate_effects", "confirm_latency", "consumers", "invariants",
    ):  # fmt: skip
        assert key in data
    assert set(data["confirm_latency"]) >= {"p50", "max"}
    for c in data["consumers"].values():
        assert set(c) >= {
            "handled",
            "lag_events_max",
            "lag_seconds_p50",
            "lag_seconds_p95",
            "lag_seconds_max",
        }
    json.dumps(data)


def test_explicit_faults_replace_the_scenario_defaults() -> None:
    summary = Simulation("crash-after-commit", seed=7, purchases=5, faults=Faults()).run()
    assert summary.lost_events == 0


def test_purchases_outside_the_bounds_are_refused() -> None:
    with pytest.raises(ValueError):
        Simulation("happy", purchases=0)
    with pytest.raises(ValueError):
        Simulation("happy", purchases=MAX_PURCHASES + 1)


# -- statistics --------------------------------------------------------------------------------


def test_quantiles_are_exact_for_small_samples() -> None:
    q = StreamingQuantiles()
    for v in [5.0, 1.0, 3.0, 2.0, 4.0]:
        q.add(v)
    assert q.quantile(0.5) == 3.0
    assert q.quantile(0.95) == 5.0
    assert q.max == 5.0 and q.count == 5
    assert StreamingQuantiles().quantile(0.5) == 0.0


def test_quantiles_stay_close_once_folded_into_buckets() -> None:
    q = StreamingQuantiles()
    n = EXACT_LIMIT * 3
    for i in range(n):
        q.add((i % 1000) / 100.0)  # 0.00 .. 9.99, evenly
    assert q.quantile(0.5) == pytest.approx(5.0, rel=0.02)
    assert q.quantile(0.95) == pytest.approx(9.5, rel=0.02)
    assert q.max == pytest.approx(9.99)
