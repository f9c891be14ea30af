"""The broker's screens, printed into a StringIO console at 40, 80 and 200 columns."""

from __future__ import annotations

import asyncio
import io

import pytest
from rich.console import Console

from eventlesson.broker.jetstream import Connection, Names, delete_all, run_prefix
from eventlesson.broker.narrate import WORDS, describe
from eventlesson.broker.run import BrokerRun
from eventlesson.broker.server import NatsServer
from eventlesson.broker.state import ConsumerState, ServerView
from eventlesson.flows.broker import BrokerLiveView
from eventlesson.sim import CONSUMER_NAMES
from eventlesson.ui.render_broker import look_line, render_server_lines, render_server_summary

from .support import modules_after


def text_of(renderable: object, width: int, height: int = 200) -> str:
    console = Console(file=io.StringIO(), width=width, height=height, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def view(**change: object) -> ServerView:
    lags = {"analytics": (3, 1), "recommendations": (1, 0)}
    base = ServerView(
        url="nats://127.0.0.1:4222",
        stream="PURCHASES",
        last_seq=12,
        messages=12,
        consumers=tuple(
            ConsumerState(c, *lags.get(c, (0, 0)), 0, 12 - sum(lags.get(c, (0, 0))), 8)
            for c in CONSUMER_NAMES
        ),
        reachable=True,
        dropped_repeats=1,
        dead_letters=1,
    )
    return ServerView(**{**base.__dict__, **change})  # type: ignore[arg-type]


@pytest.mark.parametrize("width", [40, 64, 80, 200])
def test_the_live_lines_fit_their_width_and_name_every_consumer(width: int) -> None:
    lines = render_server_lines(view(), width=width)
    assert all(line.cell_len <= width for line in lines)
    text = " ".join(line.plain for line in lines)
    for name in CONSUMER_NAMES:
        assert name in text
    assert "analytics 3+1" in text and "offset = ack floor" in text
    assert "repeats dropped 1" in text and "dead letters 1" in text


def test_the_live_lines_say_when_the_server_is_down() -> None:
    lines = render_server_lines(view(reachable=False), width=80)
    assert "DOWN" in lines[0].plain


@pytest.mark.parametrize("width", [40, 80])
def test_the_summary_shows_the_read_back_the_notes_and_the_words(width: int) -> None:
    note = "The relay repeated 2 event(s): 1 inside the duplicate window."
    out = text_of(
        render_server_summary(view(), backend="nats", complete=True, notes=[note], width=width),
        width,
    )
    flat = " ".join(out.split())
    assert "Read back from the server" in flat and "last seq 12" in flat
    assert "The relay repeated 2 event(s)" in flat
    for lesson, _broker in WORDS:
        assert lesson.split()[0] in flat
    assert "some consumers still had events to handle" in flat  # analytics 3+1


def test_the_summary_without_a_broker_or_a_read_back_says_so() -> None:
    out = text_of(render_server_summary(None, backend="direct calls", complete=True), 80)
    assert "direct calls: no broker is involved" in " ".join(out.split())
    out = text_of(render_server_summary(None, backend="nats", complete=False), 80)
    assert "could not be read back" in out


def test_the_look_line_fits_each_case() -> None:
    common = {"url": "nats://127.0.0.1:4222", "stream": "PURCHASES", "consumers": ["email"]}
    kept = look_line(**common, monitor_url="http://127.0.0.1:8222", ours=True, kept=True)
    assert "curl -s 'http://127.0.0.1:8222/jsz?consumers=true'" in kept
    gone = look_line(**common, monitor_url=None, ours=True, kept=False)
    assert "--keep-server" in gone
    theirs = look_line(**common, monitor_url=None, ours=False, kept=False)
    assert "they stay there for you" in theirs
    assert all("\n" not in line for line in (kept, gone, theirs))


def test_the_broker_words_for_its_own_records() -> None:
    dropped = {"type": "publish_dropped", "event_id": "evt-000002", "offset": 2, "via": "relay"}
    assert "drops the repeat" in describe(dropped) and "Nats-Msg-Id" in describe(dropped)
    again = {"type": "deliver", "consumer": "email", "offset": 4, "delivery": 2}
    assert "redelivered by the server" in describe(again)
    floor = {"type": "offset_commit", "consumer": "email", "ack_floor": 7, "offset": 8}
    assert "ack floor" in describe(floor) and "7" in describe(floor)
    assert describe({"type": "confirm", "purchase_id": 1, "latency": 0.0}).startswith("P1:")


@pytest.mark.parametrize(("width", "height"), [(80, 24), (40, 24), (120, 30)])
def test_a_live_frame_of_a_real_run_fits_the_screen(
    broker: NatsServer, width: int, height: int
) -> None:
    names = Names(run_prefix())

    async def main() -> str:
        run = BrokerRun(
            "poison-event", url=broker.url, names=names, purchases=5, speed=20.0, observe=True
        )
        try:
            await run.setup()
            await run.run()
            console = Console(file=io.StringIO(), width=width, height=height, color_system=None)
            frame = BrokerLiveView(run, console, 20.0).renderable()
            return text_of(frame, width, height)
        finally:
            await run.close()
            run.close_store()
            conn = await Connection().open(broker.url, name="cleanup")
            await delete_all(conn.js, names, CONSUMER_NAMES)
            await conn.close()

    out = asyncio.run(main())
    rows = out.rstrip("\n").split("\n")
    assert len(rows) <= height
    assert all(len(row) <= width for row in rows)
    assert "NATS JetStream" in out and "finished" in out
    assert "Ctrl-C stop" in " ".join(out.replace("│", " ").split())  # the one key, on screen


def test_the_broker_core_loads_no_terminal_library() -> None:
    loaded = modules_after(
        "import eventlesson.broker, eventlesson.broker.server, eventlesson.broker.run"
    )
    assert "nats" in loaded  # the check itself works
    assert not {"rich", "typer", "questionary", "prompt_toolkit", "simpy"} & loaded
    bare = modules_after("import eventlesson.broker, eventlesson.broker.server")
    assert not {m for m in bare if m == "nats" or m.startswith("nats.")}
