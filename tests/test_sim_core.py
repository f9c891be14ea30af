"""The simulation core: scenarios tell their story, the sequence takes time, traces are sound.

No terminal, no pacing: runs go unpaced and are read through their trace, stores and read-out.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import pytest

from eventlesson.sim import (
    MAX_PURCHASES,
    SCENARIOS,
    Faults,
    Simulation,
    TraceList,
    TraceWriter,
    run_scenario,
)
from eventlesson.sim.engine import TRIM_AT
from eventlesson.sim.scenarios import (
    COMMIT_SECONDS,
    CONSUMERS,
    PUBLISH_SECONDS,
    SERVICE_RESTART_SECONDS,
    effect_once,
)
from eventlesson.sim.stats import EXACT_LIMIT, StreamingQuantiles
from eventlesson.sim.store import APPLICATION_ID, ConsumerCrashed, ConsumerStore, StoreError
from eventlesson.sim.trace import RECORD_TYPES

from .support import modules_after

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_SEED = 7
GOLDEN_PURCHASES = 5


def trace(scenario, seed: int = 7, purchases: int | None = None, **kw) -> tuple[list, object]:
    records = TraceList()
    sim = Simulation(scenario, seed=seed, purchases=purchases, **kw)
    sim.add_listener(records)
    summary = sim.run()
    sim.close()
    return records, summary


def of(records: list, kind: str, **match) -> list[dict]:
    return [
        r for r in records if r["type"] == kind and all(r.get(k) == v for k, v in match.items())
    ]


def broken(invariants: dict) -> set[str]:
    return {name for name, ok in invariants.items() if ok is False}


# -- layering ---------------------------------------------------------------------------------


def test_core_imports_no_terminal_library_in_a_fresh_interpreter() -> None:
    loaded = modules_after(
        "from eventlesson.sim import run_scenario\nrun_scenario('outbox', purchases=3).close()"
    )
    assert "simpy" in loaded
    assert not {"rich", "typer", "questionary", "prompt_toolkit"} & loaded


def test_invariants_and_read_out_need_no_simpy() -> None:
    loaded = modules_after(
        "import eventlesson.sim.invariants, eventlesson.sim.readout, eventlesson.sim.ledger"
    )
    assert "simpy" not in loaded


# -- every scenario tells its story ------------------------------------------------------------


@pytest.mark.parametrize("seed", [7, 11])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_scenario_breaks_exactly_what_it_exists_to_break(name: str, seed: int) -> None:
    summary = Simulation(name, seed=seed).run()
    assert broken(summary.invariants) == set(SCENARIOS[name].expected_broken)
    assert summary.complete
    assert summary.takeaway == SCENARIOS[name].takeaway


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_takeaways_name_lesson_pages_by_their_title(name: str) -> None:
    """That the titles exist in the shipped lesson is checked in test_shipped.py."""
    scenario = SCENARIOS[name]
    assert scenario.pages
    for title in scenario.pages:
        assert f'"{title}"' in scenario.takeaway
    assert "Concept 2" not in scenario.takeaway and "Concept 3" not in scenario.takeaway


def test_happy_commits_then_publishes_later_and_confirms_at_the_commit() -> None:
    records, summary = trace("happy", purchases=5)
    for pid in range(1, 6):
        commit = of(records, "commit", purchase_id=pid)[0]
        confirm = of(records, "confirm", purchase_id=pid)[0]
        publish = of(records, "publish", purchase_id=pid)[0]
        assert confirm["t"] == commit["t"]  # the learner is told at the commit ...
        assert publish["t"] == pytest.approx(commit["t"] + PUBLISH_SECONDS)  # ... before this
        assert records.index(commit) < records.index(confirm) < records.index(publish)
    assert summary.committed == summary.published == 5
    assert summary.confirm_latency["p50"] == pytest.approx(COMMIT_SECONDS)
    for name, c in summary.consumers.items():
        assert c.handled == 5, name


def test_crash_after_commit_dies_inside_the_commit_to_publish_window() -> None:
    records, summary = trace("crash-after-commit", purchases=5)
    crash = of(records, "crash", component="purchase-service", lost=True)
    assert crash
    pid = crash[0]["purchase_id"]
    commit = of(records, "commit", purchase_id=pid)[0]
    assert commit["t"] < crash[0]["t"] < commit["t"] + PUBLISH_SECONDS
    assert of(records, "confirm", purchase_id=pid)  # told "successful" ...
    assert not of(records, "publish", purchase_id=pid)  # ... and never announced
    assert summary.lost_events == len(crash)


def test_publish_before_commit_leaves_a_visible_ghost_window() -> None:
    with run_scenario("publish-before-commit", purchases=5) as run:
        ghost = run.report.ghost_events[0]
        publish = of(run.trace, "publish", purchase_id=ghost)[0]
        failed = of(run.trace, "commit_failed", purchase_id=ghost)[0]
        assert failed["ghost"] is True
        assert failed["t"] - publish["t"] >= COMMIT_SECONDS  # a span, not one instant
        assert not run.store.has_purchase(ghost)
        assert run.summary.ghost_effects >= 1  # access granted, receipt mailed for nothing
        assert run.store.count("purchases") == run.summary.committed


def test_outbox_rolls_back_a_crash_between_the_two_inserts() -> None:
    faults = Faults(mid_transaction_crashes=frozenset({2}))
    with run_scenario("outbox", purchases=3, faults=faults) as run:
        failed = of(run.trace, "commit_failed", purchase_id=2)[0]
        assert failed["rolled_back"] is True and "INSERT" in failed["reason"]
        assert of(run.trace, "crash", component="purchase-service", purchase_id=2)
        assert not run.store.has_purchase(2)  # nothing half-written
        rows = run.store.execute("SELECT count(*) FROM outbox WHERE purchase_id = 2")
        assert rows.fetchone()[0] == 0
        assert not of(run.trace, "confirm", purchase_id=2)
        assert run.report.rolled_back == 1 and not broken(run.summary.invariants)


def test_outbox_counts_the_relays_repeats_and_duplicates_reach_the_non_idempotent() -> None:
    with run_scenario("outbox", purchases=8) as run:
        s = run.summary
        assert s.published_repeats >= 1
        assert s.published == s.committed + s.published_repeats
        assert s.lost_events == 0 and s.ghost_events == 0
        assert s.consumers["enrollment"].duplicates_skipped >= 1
        assert s.consumers["enrollment"].duplicates == 0
        for name in ("email", "analytics"):
            assert run.report.consumers[name].duplicate_purchases, name
            assert s.invariants[effect_once(name)] is False
        # a refresh is idempotent by nature: the repeat reaches it and changes nothing
        assert s.invariants[effect_once("recommendations")] is True
        assert s.consumers["recommendations"].duplicates_skipped >= 1
        assert any(r.get("repeat") for r in of(run.trace, "publish"))


def test_idempotent_consumers_keep_processed_ids_with_their_effect() -> None:
    with run_scenario("consumer-crash", purchases=4) as run:
        enrollment = run.consumer_stores["enrollment"]
        email = run.consumer_stores["email"]
        handled = of(run.trace, "handle", consumer="enrollment")
        assert handled and all(r["event_id"] in enrollment.processed for r in handled)
        assert enrollment.applied == len(handled) == len(enrollment.processed)
        assert max(enrollment.effects) == 1
        assert max(email.effects) == 2 and not email.processed  # applied twice, remembers nothing
        assert run.report.consumers["email"].duplicate_purchases == (2,)
        assert run.report.redeliveries >= 2


def test_sync_chain_uses_happys_consumers_and_requests_queue() -> None:
    for spec in CONSUMERS:
        assert SCENARIOS["sync-chain"].mean(spec) == SCENARIOS["happy"].mean(spec), spec.name
    records, summary = trace("sync-chain", purchases=30, faults=Faults())
    assert summary.published == 0 and not of(records, "publish")
    assert any(r["lag_events"] > 0 for r in of(records, "lag"))  # calls waited in line
    assert summary.confirm_latency["p50"] > 5 * COMMIT_SECONDS
    assert summary.invariants["no_lost_events"] is None  # no events: n/a


def test_sync_chain_turns_a_downstream_outage_into_errors_for_paid_purchases() -> None:
    with run_scenario("sync-chain") as run:
        failed = of(run.trace, "purchase_failed")
        assert failed and all("email" in r["reason"] for r in failed)
        assert set(run.report.told_failed_but_committed) == {r["purchase_id"] for r in failed}
        assert run.summary.invariants["confirmed_at_commit"] is False


def test_sync_chain_comparison_is_worked_out_from_the_trace_not_a_second_run(monkeypatch) -> None:
    from eventlesson.sim import engine

    sim = Simulation("sync-chain", seed=7, purchases=40)
    sim.run()
    built: list[str] = []
    real = engine.Engine.__init__
    monkeypatch.setattr(
        engine.Engine, "__init__", lambda self, *a, **k: built.append("x") or real(self, *a, **k)
    )
    compared = sim.compare_with_event_design()
    assert built == []
    happy = Simulation("happy", seed=7, purchases=40).run()
    assert compared["scenario"] == "happy"
    for key in ("p50", "p95", "max"):  # the same learners, the same numbers
        assert compared["confirm_latency"][key] == pytest.approx(happy.confirm_latency[key])
    assert sim.summary().compared_with is None  # the summary does not ask for it


def test_slow_consumer_lag_grows_for_as_long_as_purchases_arrive() -> None:
    records, summary = trace("slow-consumer", purchases=40)
    analytics = SCENARIOS["slow-consumer"].capacity(CONSUMERS[2])
    assert analytics < summary.arrival_rate
    last_command = of(records, "command")[-1]["t"]
    behind = [
        r["lag_events"] for r in of(records, "lag", consumer="analytics") if r["t"] <= last_command
    ]
    assert behind[-1] >= 10  # still growing when the last learner arrived
    assert of(records, "lag", consumer="analytics")[-1]["lag_events"] == 0  # drained after
    assert summary.consumers["analytics"].capacity_per_second == pytest.approx(analytics)
    with run_scenario("slow-consumer", purchases=40) as run:
        overloaded = {n for n, c in run.report.consumers.items() if c.overloaded}
        assert overloaded == {"analytics"}
    assert summary.confirm_latency["max"] < 3 * (COMMIT_SECONDS + PUBLISH_SECONDS)


def test_broker_outage_stops_delivery_too_while_commits_go_on() -> None:
    records, summary = trace("broker-outage", purchases=20)
    kinds = [r["type"] for r in records]
    down, up = kinds.index("broker_down"), kinds.index("broker_up")
    during = records[down:up]
    assert any(r["type"] == "commit" for r in during)  # purchases keep committing
    assert not any(r["type"] in ("deliver", "publish") for r in during)  # nothing in or out
    assert any(r["type"] == "publish_failed" for r in during)
    assert summary.consumers["enrollment"].lag_seconds_max > 3.0  # the backlog's age
    assert not broken(summary.invariants)


def test_broker_outage_without_an_outbox_stalls_then_loses_events() -> None:
    with run_scenario("broker-outage-no-outbox") as run:
        gave_up = of(run.trace, "publish_failed", gave_up=True)
        assert gave_up and all(r["lost"] for r in gave_up)
        assert set(run.report.lost_events) == {r["purchase_id"] for r in gave_up}
        for pid in run.report.lost_events:  # paid and told "successful"
            assert of(run.trace, "confirm", purchase_id=pid) and run.store.has_purchase(pid)
        # the next learners waited behind the retries: a stalled purchase line
        assert run.summary.confirm_latency["max"] > 1.0


def test_poison_event_holds_up_the_events_behind_it_then_is_parked() -> None:
    records, summary = trace("poison-event", purchases=6)
    failures = of(records, "handle_failed", consumer="analytics")
    assert [r["delivery"] for r in failures] == [1, 2, 3]
    dead = of(records, "dead_letter")
    assert len(dead) == 1 and dead[0]["consumer"] == "analytics"
    start, end = records.index(failures[0]), records.index(dead[0])
    later = [
        r for r in records[start:end] if r["type"] == "handle" and r["consumer"] == "analytics"
    ]
    assert later == []  # head-of-line: nothing behind it was handled meanwhile
    assert summary.consumers["analytics"].blocked_seconds > 0
    assert summary.consumers["analytics"].handled == 5 and summary.consumers["email"].handled == 6
    assert "replay" in summary.takeaway


# -- trace -------------------------------------------------------------------------------------


def test_every_record_type_is_in_the_schema() -> None:
    for name in SCENARIOS:
        records, _ = trace(name, purchases=6)
        assert {r["type"] for r in records} <= set(RECORD_TYPES), name


def test_lag_can_be_recomputed_from_the_trace_alone() -> None:
    records, summary = trace("slow-consumer", purchases=12)
    end = 0
    offsets: dict[str, int] = {}
    for r in records:
        if r["type"] == "publish":
            end = max(end, r["offset"] + 1)
        elif r["type"] == "offset_commit":
            offsets[r["consumer"]] = r["offset"]
        elif r["type"] == "lag":
            assert r["offset"] == offsets[r["consumer"]]
            assert r["lag_events"] == end - offsets[r["consumer"]]
    waits = [r["lag_seconds"] for r in of(records, "lag", consumer="analytics")]
    assert max(waits) == pytest.approx(summary.consumers["analytics"].lag_seconds_max)


def test_same_seed_same_trace_and_another_seed_another() -> None:
    first, _ = trace("outbox", seed=11, purchases=6)
    second, _ = trace("outbox", seed=11, purchases=6)
    other, _ = trace("outbox", seed=12, purchases=6)
    assert first == second
    assert first != other


def test_trace_records_carry_time_type_and_ids() -> None:
    records, _ = trace("consumer-crash", purchases=3)
    kinds = {r["type"] for r in records}
    assert {"command", "commit", "publish", "confirm", "deliver", "handle"} <= kinds
    assert {"duplicate_skipped", "crash", "offset_commit", "lag"} <= kinds
    assert all("purchase_id" in r for r in records if r["type"] in ("commit", "publish", "handle"))
    assert all("event_id" in r for r in records if r["type"] in ("publish", "deliver", "handle"))
    assert all("consumer" in r for r in records if r["type"] in ("deliver", "handle", "lag"))
    times = [r["t"] for r in records]
    assert times == sorted(times)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_golden_trace(name: str) -> None:
    buffer = io.StringIO()
    sim = Simulation(name, seed=GOLDEN_SEED, purchases=GOLDEN_PURCHASES)
    sim.add_listener(TraceWriter(buffer))
    sim.run()
    sim.close()
    text = buffer.getvalue()
    path = GOLDEN / f"{name}.jsonl"
    if os.environ.get("EVENTLESSON_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden trace; run with EVENTLESSON_UPDATE_GOLDEN=1 to create {path}"
    assert text.encode("utf-8") == path.read_bytes()


# -- the small API: run, read out, replace a part ---------------------------------------------


def test_run_scenario_hands_back_trace_stores_and_a_report() -> None:
    with run_scenario("crash-after-commit", seed=7, purchases=6) as run:
        report = run.report
        assert report.lost_count == len(report.lost_events) >= 1
        assert all(run.store.has_purchase(pid) for pid in report.lost_events)
        assert report.broken == ("no_lost_events",)
        assert report.slowest_consumer == "recommendations"
        assert report.confirmation_p50 < report.consumers["email"].lag_seconds_p50
        json.dumps(report.to_dict())
        assert run.trace[0]["type"] == "command"


def test_a_learners_service_step_replaces_the_default() -> None:
    def publish_first(store, bus, purchase) -> None:  # the classic mistake, written by a learner
        bus.publish("purchase.completed", {"purchase_id": purchase.id})
        store.mark_completed(purchase.id)

    faults = Faults(fail_commits=frozenset({2}))
    with run_scenario("happy", purchases=4, faults=faults, service=publish_first) as run:
        assert run.report.ghost_events == (2,)
        assert {"publish_only_after_commit", "no_ghost_events"} <= set(run.report.broken)


def test_a_learners_idempotent_handler_stops_the_duplicate_email() -> None:
    def remember_then_send(store, event) -> None:
        with store.transaction() as tx:
            if tx.seen(event.id):
                return
            tx.remember(event.id)
            tx.apply(event.purchase_id, event.amount_cents)

    with run_scenario("consumer-crash", purchases=4, handlers={"email": remember_then_send}) as run:
        assert run.summary.invariants[effect_once("email")] is True
        assert run.summary.consumers["email"].duplicates_skipped >= 1


def test_a_handler_writing_in_two_transactions_crashes_between_them_in_consumer_crash() -> None:
    def send_then_remember(store, event) -> None:
        if store.seen(event.id):
            return
        store.apply(event.purchase_id, event.amount_cents)
        with store.transaction() as tx:
            tx.remember(event.id)

    with run_scenario("consumer-crash", purchases=4, handlers={"email": send_then_remember}) as run:
        crashes = of(run.trace, "crash", consumer="email")
        assert crashes and all(r.get("between_transactions") for r in crashes)
        crashed = tuple(r["purchase_id"] for r in crashes)
        assert 2 in crashed  # the scenario's own, besides its random ones
        email = run.consumer_stores["email"]
        for pid in crashed:
            assert email.times_applied(pid) == 2  # its id was not written with the first
            assert f"evt-{pid:06d}" in email.processed  # but at the redelivery
        assert run.report.consumers["email"].duplicate_purchases == crashed
    # one transaction per delivery, as every built-in handler writes: the fault never fires
    with run_scenario("consumer-crash", purchases=4) as run:
        assert not [r for r in of(run.trace, "crash") if r.get("between_transactions")]


def test_a_consumer_store_crashes_at_the_transaction_after_the_allowed_ones() -> None:
    store = ConsumerStore("email", 3)
    store.crash_after = 1
    store.apply(1, 100)  # the first transaction commits
    with pytest.raises(ConsumerCrashed), store.transaction() as tx:
        tx.remember("evt-1")
        tx.apply(1, 100)
    assert store.crashed and store.times_applied(1) == 1 and not store.seen("evt-1")
    with pytest.raises(ConsumerCrashed):  # dead stays dead, whatever the handler tries next
        store.apply(1, 100)
    with store.transaction():
        pass  # a transaction that writes nothing commits nothing: no crash, no write
    assert store.times_applied(1) == 1


def test_a_handler_that_raises_is_retried_then_dead_lettered() -> None:
    def broken_handler(_store, event) -> None:
        if event.purchase_id == 2:
            raise ValueError("cannot parse the course")

    with run_scenario("happy", purchases=3, handlers={"affiliate": broken_handler}) as run:
        assert run.report.consumers["affiliate"].dead_lettered == (2,)
        reasons = {r["reason"] for r in of(run.trace, "handle_failed")}
        assert reasons == {"cannot parse the course"}


def test_a_relay_that_marks_before_publishing_loses_an_event_in_a_crash() -> None:
    def mark_first(outbox, bus) -> None:
        for row in outbox.pending():
            outbox.mark_published(row)
            bus.publish(row.topic, {"purchase_id": row.purchase_id}, event_id=row.event_id)

    faults = Faults(relay_crashes=frozenset({2}))
    with run_scenario("outbox", purchases=3, faults=faults, relay=mark_first) as run:
        assert run.report.lost_events == ()  # published once before the crash: not lost ...
        assert run.summary.published_repeats == 0  # ... and never repeated
    safe = Faults(relay_crashes=frozenset({2}))
    with run_scenario("outbox", purchases=3, faults=safe) as run:
        assert run.summary.published_repeats == 1  # the default relay repeats it instead


# -- SQLite, memory, snapshot --------------------------------------------------------------------


def test_db_path_keeps_a_database_sqlite3_can_read(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    sim = Simulation("outbox", seed=7, purchases=6, db=str(db))
    summary = sim.run()
    sim.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM purchases").fetchone()[0] == summary.committed
        pending = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        assert pending.fetchone()[0] == 0
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()
    again = Simulation("happy", seed=7, purchases=2, db=str(db))  # our own file starts over
    again.run()
    assert again.store.count("purchases") == 2
    again.close()


def test_db_path_that_is_not_a_database_is_a_store_error_naming_no_flag(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello, not sqlite " * 100)
    with pytest.raises(StoreError) as caught:
        Simulation("happy", db=str(bogus))
    assert str(bogus) in str(caught.value)
    assert "--" not in str(caught.value)  # the core knows no command-line flags


@pytest.mark.parametrize("held", [b"x", b"notes\n", b"SQLite format 2\x00 and more"])
def test_a_short_or_foreign_file_is_refused_and_left_byte_for_byte(
    tmp_path: Path, held: bytes
) -> None:
    """SQLite opens a file shorter than its header as an empty database and writes over it."""
    mine = tmp_path / "mine.txt"
    mine.write_bytes(held)
    with pytest.raises(StoreError, match="not an SQLite database"):
        Simulation("happy", purchases=2, db=str(mine))
    assert mine.read_bytes() == held


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


def test_a_consumer_store_transaction_writes_all_or_nothing() -> None:
    from eventlesson.sim.store import ConsumerStore

    store = ConsumerStore("enrollment", 3)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.remember("evt-1")
        tx.apply(1, 4900)
        raise RuntimeError("crash before the commit")
    assert not store.processed and store.applied == 0
    with store.transaction() as tx:
        tx.remember("evt-1")
        tx.apply(1, 4900)
    assert store.seen("evt-1") and store.times_applied(1) == 1 and store.cents == 4900


def test_summary_is_made_once_for_a_finished_run() -> None:
    sim = Simulation("happy", seed=7, purchases=4)
    first = sim.run()
    assert sim.summary() is first and sim.summary() is first


def test_broker_log_drops_entries_every_consumer_has_committed() -> None:
    sim = Simulation("happy", seed=7, purchases=3 * TRIM_AT)
    sim.run()
    assert len(sim.engine.log.entries) <= TRIM_AT + 1
    assert sim.engine.log.end == 3 * TRIM_AT


def test_snapshot_shows_each_step_with_its_time() -> None:
    sim = Simulation("happy", seed=7, purchases=2, observe=True)
    seen: list[tuple[str, ...]] = []
    while not sim.done:
        sim.step()
        snap = sim.snapshot()
        states = tuple(f"{s.name}:{s.state}" for s in snap.steps)
        if not seen or seen[-1] != states:
            seen.append(states)
    assert ("command:done", "commit:done", "publish:waiting", "consumers:pending") in seen
    assert seen[-1] == ("command:done", "commit:done", "publish:done", "consumers:done")
    last = sim.snapshot()
    commit, publish = last.steps[1], last.steps[2]
    assert commit.at is not None and publish.at == pytest.approx(commit.at + PUBLISH_SECONDS)
    assert "before the publish" in last.learner
    assert last.log_end == 2 and {c.offset for c in last.consumers} == {2}


def test_snapshot_lag_ages_with_the_displayed_clock() -> None:
    sim = Simulation("slow-consumer", seed=7, purchases=6, observe=True)
    while sim.snapshot().consumers[2].lag_events < 2:
        sim.step()
    now = sim.snapshot()
    later = sim.snapshot(clock=sim.now + 1.5)
    assert later.consumers[2].lag_seconds == pytest.approx(now.consumers[2].lag_seconds + 1.5)
    assert later.clock == sim.now + 1.5
    assert sim.snapshot(clock=-5).clock == sim.now  # never behind the model


def test_summary_dict_holds_the_documented_keys() -> None:
    data = Simulation("happy", seed=7, purchases=3).run().to_dict()
    for key in (
        "scenario", "seed", "purchases", "committed", "published", "ghost_events",
        "lost_events", "duplicate_effects", "confirm_latency", "consumers", "invariants",
        "published_repeats", "arrival_rate",
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
            "capacity_per_second",
        }
    json.dumps(data)


def test_explicit_faults_replace_the_scenario_defaults() -> None:
    summary = Simulation("crash-after-commit", seed=7, purchases=5, faults=Faults()).run()
    assert summary.lost_events == 0


def test_learners_keep_arriving_during_a_service_crash_and_wait_for_the_restart() -> None:
    import dataclasses

    busy = dataclasses.replace(SCENARIOS["crash-after-commit"], arrival_rate=20.0)
    records, summary = trace(busy, purchases=30, faults=Faults(service_crashes=frozenset({3})))
    kinds = [r["type"] for r in records]
    crash, restart = kinds.index("crash"), kinds.index("restart")
    waiting = [r["purchase_id"] for r in records[crash:restart] if r["type"] == "command"]
    assert waiting and all(
        r.get("waits") == "restart" for r in records[crash:restart] if r["type"] == "command"
    )
    latency = {r["purchase_id"]: r["latency"] for r in of(records, "confirm")}
    assert max(latency[pid] for pid in waiting) > SERVICE_RESTART_SECONDS / 2
    assert summary.committed == 30 and summary.lost_events == 1
    assert summary.invariants["confirmed_at_commit"]


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
