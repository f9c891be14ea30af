"""The JetStream layer against the session's real server: consumers, redelivery, dead letters."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

import nats.errors

from eventlesson.broker.jetstream import (
    MSG_ID,
    SEQ_HEADER,
    Connection,
    ConsumerRunner,
    ConsumerSettings,
    DeadLetterParker,
    Delivery,
    Names,
    Outcome,
    delete_all,
    ensure_consumer,
    ensure_stream,
    read_consumers,
    read_messages,
    run_prefix,
)
from eventlesson.broker.server import NatsServer

T = TypeVar("T")
FIVE = ("enrollment", "email", "analytics", "recommendations", "affiliate")


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    """Wait for a condition the server reports (a safety limit, not a timed assertion)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await check():
        assert loop.time() < deadline, "the server never reported the expected state"
        await asyncio.sleep(0.02)


async def _setup(url: str, consumers: tuple[str, ...], settings: ConsumerSettings):
    names = Names(run_prefix())
    conn = await Connection().open(url, name="test")
    js = conn.js
    await ensure_stream(js, names, duplicate_window=0.5)
    for c in consumers:
        await ensure_consumer(js, names, c, settings)
    return names, conn, js


def test_five_consumers_each_get_every_event_and_lag_drains(broker: NatsServer) -> None:
    async def main() -> None:
        settings = ConsumerSettings(ack_wait=5.0, max_deliver=3)
        names, conn, js = await _setup(broker.url, FIVE, settings)
        seen: Counter[tuple[str, int]] = Counter()

        async def handle(d: Delivery) -> Outcome:
            seen[d.consumer, json.loads(d.data)["n"]] += 1
            return Outcome.ack()

        runner = ConsumerRunner(broker.url, names, FIVE, handle, batch=8)
        try:
            for n in range(30):
                await js.publish(names.subject, json.dumps({"n": n}).encode())
            await runner.start()

            async def drained() -> bool:
                states = await read_consumers(js, names, FIVE)
                return all(s.lag == 0 and s.ack_floor_seq == 30 for s in states.values())

            await _until(drained)
            assert seen == Counter({(c, n): 1 for c in FIVE for n in range(30)})
        finally:
            await runner.stop()
            await delete_all(js, names, FIVE)
            await conn.close()

    run(main())


def test_a_crash_before_the_ack_is_redelivered_after_ack_wait(broker: NatsServer) -> None:
    async def main() -> None:
        settings = ConsumerSettings(ack_wait=0.3, max_deliver=5)
        names, conn, js = await _setup(broker.url, ("email",), settings)
        deliveries: list[tuple[int, int]] = []
        notices: list[str] = []

        async def handle(d: Delivery) -> Outcome:
            deliveries.append((d.seq, d.delivered))
            return Outcome.crash() if (d.seq, d.delivered) == (2, 1) else Outcome.ack()

        runner = ConsumerRunner(
            broker.url,
            names,
            ("email",),
            handle,
            restart_after=0.05,
            notice=lambda c, what: notices.append(f"{c} {what}"),
        )
        try:
            for _ in range(3):
                await js.publish(names.subject, b"{}")
            await runner.start()

            async def acked() -> bool:
                s = (await read_consumers(js, names, ("email",)))["email"]
                return s.lag == 0 and s.ack_floor_seq == 3

            await _until(acked)
            state = (await read_consumers(js, names, ("email",)))["email"]
            assert (2, 2) in deliveries  # the server delivered it again
            # read back from the server: as many deliveries beyond the first as the handler saw
            assert state.redeliveries == sum(1 for _, n in deliveries if n > 1) >= 1
            assert notices[:2] == ["email crashed", "email restarted"]
        finally:
            await runner.stop()
            await delete_all(js, names, ("email",))
            await conn.close()

    run(main())


def test_max_deliver_then_the_advisory_parks_a_dead_letter(broker: NatsServer) -> None:
    async def main() -> None:
        settings = ConsumerSettings(ack_wait=2.0, max_deliver=3)
        names, conn, js = await _setup(broker.url, ("analytics",), settings)
        parked: list[tuple[str, int, int]] = []
        parker = DeadLetterParker(conn, names, lambda c, seq, n, _data: parked.append((c, seq, n)))
        await parker.start()
        tries: list[int] = []

        async def handle(d: Delivery) -> Outcome:
            if d.seq == 1:
                tries.append(d.delivered)
                return Outcome.retry(0.05)
            return Outcome.ack()

        runner = ConsumerRunner(broker.url, names, ("analytics",), handle)
        try:
            await js.publish(names.subject, b'{"poison": true}', headers={MSG_ID: "evt-1"})
            await js.publish(names.subject, b"{}", headers={MSG_ID: "evt-2"})
            await runner.start()

            async def done() -> bool:
                return bool(parked)

            await _until(done)
            assert tries == [1, 2, 3]
            assert parked == [("analytics", 1, 3)]
            dead = await read_messages(js, names.dead_letter_stream, names.dead_letter_subject)
            assert [m.headers[SEQ_HEADER] for m in dead] == ["1"]
            assert dead[0].data == b'{"poison": true}'
            state = (await read_consumers(js, names, ("analytics",)))["analytics"]
            assert state.lag == 0
        finally:
            await runner.stop()
            await parker.stop()
            await delete_all(js, names, ("analytics",))
            await conn.close()

    run(main())


def test_the_server_drops_a_repeat_inside_the_duplicate_window(broker: NatsServer) -> None:
    async def main() -> None:
        names, conn, js = await _setup(broker.url, (), ConsumerSettings(1.0, 1))
        try:
            first = await js.publish(names.subject, b"a", headers={MSG_ID: "evt-1"})
            again = await js.publish(names.subject, b"a", headers={MSG_ID: "evt-1"})
            assert (first.seq, bool(first.duplicate)) == (1, False)
            assert (again.seq, again.duplicate) == (1, True)
            await asyncio.sleep(0.6)  # past the 0.5 s window: the server takes it as new
            later = await js.publish(names.subject, b"a", headers={MSG_ID: "evt-1"})
            assert (later.seq, bool(later.duplicate)) == (2, False)
            stored = await read_messages(js, names.stream, names.subject)
            assert [(m.seq, m.msg_id) for m in stored] == [(1, "evt-1"), (2, "evt-1")]
        finally:
            await delete_all(js, names, ())
            await conn.close()

    run(main())


def test_connecting_to_nothing_is_one_clear_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: nothing answers there

    async def main() -> str:
        try:
            await Connection().open(f"nats://127.0.0.1:{port}", name="t", wait=0.5)
        except Exception as exc:
            return str(exc)
        return "connected?"

    message = run(main())
    assert message.startswith(f"nats://127.0.0.1:{port}: cannot connect (")
    assert "\n" not in message


def test_a_parked_message_is_terminated_and_the_ack_floor_moves_past_it(
    broker: NatsServer,
) -> None:
    async def main() -> None:
        settings = ConsumerSettings(ack_wait=2.0, max_deliver=3)
        names, conn, js = await _setup(broker.url, ("analytics",), settings)
        seen: list[tuple[int, int]] = []

        async def handle(d: Delivery) -> Outcome:
            seen.append((d.seq, d.delivered))
            return Outcome.park() if d.seq == 1 else Outcome.ack()

        runner = ConsumerRunner(broker.url, names, ("analytics",), handle)
        try:
            await js.publish(names.subject, b"{}")
            await js.publish(names.subject, b"{}")
            await runner.start()

            async def floor_at_end() -> bool:
                s = (await read_consumers(js, names, ("analytics",)))["analytics"]
                return s.lag == 0 and s.ack_floor_seq == 2

            await _until(floor_at_end)
            assert seen == [(1, 1), (2, 1)]  # never delivered again
        finally:
            await runner.stop()
            await delete_all(js, names, ("analytics",))
            await conn.close()

    run(main())


CLASSROOM = """
accounts {
  CLASS {
    jetstream: enabled
    users = [
      {user: instructor, password: teach}
      {user: ada, password: learn, permissions: {
        publish: {allow: ["$JS.API.CONSUMER.>", "$JS.ACK.>", "$JS.API.INFO"], deny: ["purchase.>"]}
        subscribe: {allow: ["_INBOX.>"]}
      }}
    ]
  }
}
"""


def test_a_server_with_accounts_enforces_who_may_publish() -> None:
    """The lifecycle takes the server's own configuration: the classroom's accounts and
    permissions are enforced by the server, and a refused publish is reported by it."""

    async def main(url: str) -> tuple[int, str | None, bool]:
        names = Names()
        teacher = await Connection().open(
            url, name="instructor", user="instructor", password="teach"
        )
        learner = await Connection().open(url, name="ada", user="ada", password="learn")
        try:
            await ensure_stream(teacher.js, names, duplicate_window=1.0)
            ack = await teacher.js.publish(names.subject, b"{}")
            refused = False
            try:
                await learner.js.publish(names.subject, b"{}", timeout=1.0)
            except nats.errors.TimeoutError:
                refused = True  # the server dropped it; its reason arrives on the connection
            return ack.seq, learner.last_error, refused
        finally:
            await learner.close()
            await teacher.close()

    with NatsServer(config=CLASSROOM) as server:
        seq, why, refused = run(main(server.url))
    assert seq == 1 and refused
    assert why is not None and "permissions violation" in why and "purchase.completed" in why
