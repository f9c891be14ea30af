"""Every scenario on the session's real NATS server, checked against what the server holds."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest

from eventlesson.broker.jetstream import Connection, Names, delete_all, run_prefix
from eventlesson.broker.readout import ServerRead
from eventlesson.broker.run import BrokerRun
from eventlesson.broker.server import NatsServer
from eventlesson.sim import CONSUMER_NAMES, SCENARIOS
from eventlesson.sim.state import Summary

SPEED = 20.0  # twenty times real time: a 15-purchase scenario in about a second


@dataclass
class Result:
    run: BrokerRun
    summary: Summary
    read: ServerRead | None
    purchases: dict[int, float]  # the store's purchases and their commit times
    trace: list[dict[str, Any]] = field(default_factory=list)

    def of(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        return [
            r
            for r in self.trace
            if r["type"] == kind and all(r.get(k) == v for k, v in match.items())
        ]


def play(
    server: NatsServer,
    scenario: str,
    *,
    purchases: int = 8,
    speed: float | None = SPEED,
    during: Callable[[BrokerRun], Coroutine[Any, Any, None]] | None = None,
    own_server: bool = False,
) -> Result:
    """Run a scenario on the server under its own prefix; remove what it created afterwards."""
    names = Names(run_prefix())

    async def main() -> Result:
        run = BrokerRun(
            scenario,
            url=server.url,
            names=names,
            server=server if own_server else None,
            purchases=purchases,
            speed=speed,
            deadline=60.0,
        )
        trace: list[dict[str, Any]] = []
        run.add_listener(trace.append)
        try:
            await run.setup()
            side = asyncio.create_task(during(run)) if during is not None else None
            await run.run()
            if side is not None:
                await side
            await run.finish()
            return Result(run, run.summary(), run.final, dict(run.store.purchases()), trace)
        finally:
            await run.close()
            run.close_store()
            if run.uses_broker:
                conn = await Connection().open(server.url, name="test cleanup")
                await delete_all(conn.js, names, CONSUMER_NAMES)
                await conn.close()

    return asyncio.run(main())


def expected(scenario: str, summary: Summary) -> None:
    """Every invariant holds except the ones the scenario exists to break, which break."""
    broken = {name for name, ok in summary.invariants.items() if ok is False}
    assert summary.complete, summary
    expected = set(SCENARIOS[scenario].expected_broken) & set(summary.invariants)
    if SCENARIOS[scenario].faults(1).broker_outages:
        # the server redelivers what it never saw acknowledged: not-idempotent effects may repeat
        assert expected <= broken <= set(summary.expected_broken), summary
        assert all(name.startswith("no_effect_applied_twice.") for name in broken - expected)
    else:
        assert broken == expected, summary


def test_happy_every_consumer_handles_every_event_once_and_the_server_agrees(
    broker: NatsServer,
) -> None:
    r = play(broker, "happy")
    expected("happy", r.summary)
    assert r.read is not None
    assert [e.seq for e in r.read.events] == list(range(1, 9))
    assert {e.event_id for e in r.read.events} == {p["event_id"] for p in r.of("publish")}
    for name, state in r.read.consumers.items():
        assert (state.num_pending, state.num_ack_pending, state.ack_floor_seq) == (0, 0, 8), name
        handled = Counter(h["purchase_id"] for h in r.of("handle", consumer=name))
        assert handled == Counter(range(1, 9))
    # the publish always follows its commit, in the trace and on the server's clock
    commits = {c["purchase_id"]: c["t"] for c in r.of("commit")}
    for p in r.of("publish"):
        assert commits[p["purchase_id"]] <= p["t"]


def test_sync_chain_makes_direct_calls_and_no_broker_is_involved(broker: NatsServer) -> None:
    r = play(broker, "sync-chain", purchases=10)
    expected("sync-chain", r.summary)
    assert r.read is None and r.run.broker_facts() == {"backend": "direct calls"}
    assert all(d.get("via") == "call" for d in r.of("deliver"))
    assert not r.of("publish")
    # email stops answering for a while: calls to it time out and learners see an error
    assert r.of("consumer_down", consumer="email")
    assert r.of("purchase_failed")
    assert r.summary.invariants["no_lost_events"] is None  # no events: not applicable


def test_publish_before_commit_leaves_ghost_events_on_the_server(broker: NatsServer) -> None:
    r = play(broker, "publish-before-commit")
    expected("publish-before-commit", r.summary)
    assert r.read is not None
    failed = {f["purchase_id"] for f in r.of("commit_failed")}
    on_server = {e.purchase_id for e in r.read.events}
    assert failed and failed <= on_server  # announced, never true
    assert r.summary.ghost_events == len(failed)


def test_crash_after_commit_loses_events_the_server_never_got(broker: NatsServer) -> None:
    r = play(broker, "crash-after-commit")
    expected("crash-after-commit", r.summary)
    assert r.read is not None
    lost = {c["purchase_id"] for c in r.of("crash", component="purchase-service")}
    assert lost and not lost & {e.purchase_id for e in r.read.events}
    assert r.summary.lost_events == len(lost)


def test_outbox_repeats_dropped_inside_the_window_and_skipped_outside_it(
    broker: NatsServer,
) -> None:
    r = play(broker, "outbox", purchases=8)
    expected("outbox", r.summary)
    assert r.read is not None
    # inside the duplicate window: the server answered "duplicate" and appended nothing
    dropped = r.of("publish_dropped")
    assert dropped and r.run.dropped_repeats == len(dropped)
    for d in dropped:  # the offset it names is the first copy's
        assert r.of("publish", event_id=d["event_id"])[0]["offset"] == d["offset"]
    # outside it: stored twice under the same Nats-Msg-Id
    ids = Counter(e.event_id for e in r.read.events)
    twice = [event_id for event_id, n in ids.items() if n == 2]
    assert twice, "the long relay outage should outlast the duplicate window"
    assert r.of("publish", event_id=twice[0], repeat=True)
    skipped = {s["consumer"] for s in r.of("duplicate_skipped") if s["event_id"] in twice}
    # idempotent: by event id (enrollment, affiliate) or by nature (a refresh changes nothing)
    assert skipped == {"enrollment", "affiliate", "recommendations"}
    again = {h["consumer"] for h in r.of("handle", duplicate=True)}
    assert again == {"email", "analytics"}
    # nothing lost: every committed purchase is on the server
    assert r.summary.lost_events == 0
    assert set(r.purchases) == {e.purchase_id for e in r.read.events}


def test_consumer_crash_is_redelivered_by_the_server_after_ack_wait(broker: NatsServer) -> None:
    r = play(broker, "consumer-crash")
    expected("consumer-crash", r.summary)
    assert r.read is not None
    crashed = r.of("crash", consumer="email")
    assert crashed
    eid = crashed[0]["event_id"]
    # the delivery count is the server's own (the message metadata), not ours
    assert r.of("deliver", consumer="email", event_id=eid, delivery=2)
    assert r.summary.consumers["email"].redeliveries >= 1
    assert r.summary.consumers["email"].duplicates >= 1  # not idempotent: mailed twice
    assert r.summary.consumers["enrollment"].duplicates == 0
    assert r.summary.consumers["enrollment"].duplicates_skipped >= 1


def test_slow_consumer_lag_read_from_the_server_rises_and_drains(broker: NatsServer) -> None:
    r = play(broker, "slow-consumer", purchases=10)
    expected("slow-consumer", r.summary)
    assert r.read is not None
    assert r.summary.consumers["analytics"].lag_events_max >= 2
    assert r.read.consumers["analytics"].lag == 0
    assert r.summary.consumers["analytics"].duplicates == 0  # slow is not crashed


def test_poison_event_goes_to_the_dead_letter_subject_after_max_deliver(
    broker: NatsServer,
) -> None:
    r = play(broker, "poison-event")
    expected("poison-event", r.summary)
    assert r.read is not None
    assert [f["delivery"] for f in r.of("handle_failed", consumer="analytics")] == [1, 2, 3]
    [dead] = r.read.dead_letters
    assert (dead.consumer, dead.deliveries, dead.purchase_id) == ("analytics", 3, 3)
    # parked and terminated: the server never delivers it again, and the floor moves past it
    analytics = r.read.consumers["analytics"]
    assert analytics.lag == 0 and analytics.ack_floor_seq == r.read.stream.last_seq
    assert r.summary.dead_letters == 1


@pytest.fixture
def own_server() -> Any:
    """broker-outage stops and restarts the server: its own, so the session's stays put."""
    with NatsServer() as server:
        yield server


def test_broker_outage_stops_the_server_and_the_outbox_holds_the_rows(
    own_server: NatsServer,
) -> None:
    pids: list[int | None] = [own_server.pid]
    backlog: list[int] = []

    async def watch(run: BrokerRun) -> None:
        while not run.complete and not run.interrupted:
            if not run.broker_up:
                pids.append(own_server.pid)  # None while stopped
                backlog.append(run.store.outbox_backlog())
            await asyncio.sleep(0.01)
        pids.append(own_server.pid)

    r = play(own_server, "broker-outage", purchases=12, during=watch, own_server=True)
    expected("broker-outage", r.summary)
    assert r.read is not None
    assert None in pids and pids[-1] not in (None, pids[0])  # stopped, then a new process
    down = r.of("broker_down")[0]["t"]
    up = r.of("broker_up")[0]["t"]
    held = {c["purchase_id"] for c in r.of("commit") if down < c["t"] < up}
    assert held, "purchases kept committing while the server was down"
    assert max(backlog) >= 1  # their rows waited in the outbox
    published = {p["purchase_id"]: p["t"] for p in r.of("publish")}
    assert all(published[pid] > down for pid in held)
    assert r.summary.lost_events == 0


def test_without_an_outbox_a_publish_the_stopped_server_rejects_is_lost(
    own_server: NatsServer,
) -> None:
    # slower, so the outage (7 model seconds) outlasts a publish's timeout several times over
    r = play(own_server, "broker-outage-no-outbox", purchases=20, speed=5.0, own_server=True)
    seen = [(t["t"], t["type"], t.get("purchase_id")) for t in r.trace if "broker" in t["type"]]
    seen += [(t["t"], t["type"], t.get("purchase_id")) for t in r.of("publish_failed")]
    assert r.of("publish_failed", gave_up=True), sorted(seen)
    expected("broker-outage-no-outbox", r.summary)
    assert r.read is not None
    gave_up = {f["purchase_id"] for f in r.of("publish_failed", gave_up=True)}
    assert gave_up and gave_up <= set(r.purchases)  # paid and confirmed...
    assert not gave_up & {e.purchase_id for e in r.read.events}  # ...never on the server
    assert r.summary.lost_events == len(gave_up)


def test_a_server_killed_mid_run_loses_nothing_committed_with_the_outbox(
    broker: NatsServer,
) -> None:
    killed: list[int] = []

    async def kill_and_restart(run: BrokerRun) -> None:
        while run.ledger.published < 4:
            await asyncio.sleep(0.01)
        killed.append(run.ledger.committed)
        broker.kill()  # SIGKILL: no shutdown, no flush
        await asyncio.sleep(1.2)  # longer than the relay's publish timeout: it must give up
        broker.start()  # same port, same store folder

    r = play(broker, "outbox", purchases=12, speed=10.0, during=kill_and_restart)
    assert killed and r.summary.complete
    assert r.read is not None
    stored = {e.purchase_id for e in r.read.events}
    committed = set(r.purchases)
    assert committed and committed <= stored  # nothing committed is lost
    assert r.summary.invariants["no_lost_events"] and r.summary.invariants["lags_drained"]
    assert r.of("publish_failed"), "the relay met the dead server and kept its rows"


def test_the_events_on_the_server_are_the_json_the_consumers_read(broker: NatsServer) -> None:
    r = play(broker, "happy", purchases=3)
    assert r.read is not None
    published = {p["event_id"]: p for p in r.of("publish")}
    for e in r.read.events:
        assert published[e.event_id]["offset"] == e.seq
        assert published[e.event_id]["purchase_id"] == e.purchase_id
    assert json.loads(json.dumps(r.summary.to_dict()))["scenario"] == "happy"
