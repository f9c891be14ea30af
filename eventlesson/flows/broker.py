"""The `simulate --broker` flow: start or reach a NATS server, run a scenario on it in real time,
draw it live, and leave nothing running that it started.

Flow layer: owns the asyncio loop, the rich `Live` view and its frame rate, and turns Ctrl-C into
"stop, read the server back, show the summary so far, exit 130" (SIGTERM and SIGHUP the same,
exiting 143 and 129). The server it starts is stopped and its folder removed on every way out (the end, Ctrl-C, SIGTERM, an error). nats-py is imported
only after `missing_extra()` said it is installed, so without the extra `--broker` costs one line.
It reuses the model's flow for options, views and trace files, and the model's renderers for the
run; `eventlesson.ui.render_broker` adds the server's side.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

from eventlesson.broker import missing_extra
from eventlesson.broker.server import NatsServer, ServerError, find_server
from eventlesson.errors import ExitCode, Terminated, UsageError
from eventlesson.flows.simulate import (
    SimulateOptions,
    _choose_view,
    _open_trace,
    plain_printer,
    real_console,
)
from eventlesson.sim import SCENARIOS, Summary, TraceWriter
from eventlesson.ui.console import say

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from eventlesson.app import App
    from eventlesson.broker.run import BrokerRun
    from eventlesson.broker.state import ServerView

FRAME_SECONDS = 1 / 10  # the server is asked for lag about this often; more frames show nothing new
READ_BACK_SECONDS = 10.0  # reading the stream back after a run (or after Ctrl-C) gives up then
MAX_BROKER_PURCHASES = 100_000
URL = re.compile(r"^nats://(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):(?P<port>[0-9]{1,5})$")


@dataclass(frozen=True)
class Target:
    """Where the broker is: a server we start (`url` None), or one the learner runs."""

    url: str | None

    @property
    def ours(self) -> bool:
        return self.url is None


def parse_target(value: str) -> Target:
    """`nats` (start one for me) or `nats://HOST:PORT` (use mine); anything else: one line."""
    if value == "nats":
        return Target(None)
    match = URL.match(value)
    if match is None or not 1 <= int(match["port"]) <= 65535:
        from eventlesson.text import quoted

        raise UsageError(
            f"--broker must be 'nats' (start a server for this run) or nats://HOST:PORT "
            f"(got {quoted(value)})"
        )
    return Target(value)


def check(options: SimulateOptions, target: Target, keep_server: bool) -> None:
    """Everything about the broker options, before anything starts: one line, exit 2."""
    options.check()
    problem = missing_extra()
    if problem is not None:
        raise UsageError(problem)
    if options.purchases is not None and options.purchases > MAX_BROKER_PURCHASES:
        raise UsageError(
            f"--purchases on the real broker must be from 1 to {MAX_BROKER_PURCHASES:,} "
            f"(got {options.purchases:,})"
        )
    if keep_server and not target.ours:
        raise UsageError("--keep-server keeps the server eventlesson starts; yours stays up anyway")
    scenario = SCENARIOS[options.scenario]
    if scenario.faults(1).broker_outages and not target.ours:
        raise UsageError(
            f"{scenario.name} stops and restarts the server, so it needs the one eventlesson "
            "starts: use --broker nats"
        )


@dataclass
class _Caught:
    """The SIGTERM or SIGHUP that stopped the run, if one did, and the run's task to cancel."""

    signum: int | None = None
    task: asyncio.Task[None] | None = None


@contextlib.contextmanager
def _signals_stop_the_run(caught: _Caught) -> Iterator[None]:
    """SIGTERM and SIGHUP stop the run the way Ctrl-C does (the summary so far, the server we
    started stopped), remembered in `caught` so the process then exits 143 or 129, not 130.

    While the run's task runs, the handler cancels it as `asyncio.run` does on Ctrl-C (an
    exception raised inside the loop could land in any task, or in nats-py, and be lost); before
    and after, it raises KeyboardInterrupt. A second signal during the clean-up is ignored.
    """

    def handler(signum: int, _frame: FrameType | None) -> None:
        if caught.signum is not None:
            return
        caught.signum = signum
        task = caught.task
        if task is not None and not task.done():
            task.cancel()
            task.get_loop().call_soon_threadsafe(lambda: None)  # wake the loop to see it
            return
        raise KeyboardInterrupt

    names = [name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    try:
        previous = {name: signal.signal(getattr(signal, name), handler) for name in names}
    except ValueError:  # not the main thread (tests calling the flow from a worker)
        yield
        return
    try:
        yield
    finally:
        for name, before in previous.items():
            signal.signal(getattr(signal, name), before)


@dataclass
class _Outcome:
    run: BrokerRun | None = None
    summary: Summary | None = None
    view: ServerView | None = None
    facts: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False


# A real server does not pause: the one key a run on it takes (said on screen, so it is found)
BROKER_KEYS = (("Ctrl-C", "stop and see the summary so far"),)


class BrokerLiveView:
    """Frames of a run on the broker: the model's live screen (its numbers from the server),
    with the running log and its highlighted key moments, and the server's own counts below."""

    def __init__(self, run: BrokerRun, console: Console, speed: float | None) -> None:
        from eventlesson.flows.simulate import Highlights

        self.run = run
        self.console = console
        self.speed = speed
        self.highlights = Highlights()

    def renderable(self) -> RenderableType:
        from rich.console import Group

        from eventlesson.ui.render_broker import render_server_lines
        from eventlesson.ui.render_sim import render_live

        run = self.run
        size = self.console.size
        log, focus = self.highlights.log(run.story)
        view = run.broker_view()
        below = render_server_lines(view, width=size.width) if view is not None else []
        screen = render_live(
            run.snapshot(focus=focus),
            width=size.width,
            height=size.height - len(below),
            speed=self.speed,
            log=log,
            controls=True,
            keys=BROKER_KEYS,
        )
        return Group(screen, *below)


async def _live(run: BrokerRun, console: Console, speed: float | None) -> None:
    from eventlesson.broker.jetstream import cancel_and_wait, cancelled
    from eventlesson.flows.simulate import live_view

    view = BrokerLiveView(run, console, speed)
    with live_view(console, view.renderable()) as live:
        task = asyncio.create_task(run.run())
        try:
            while not task.done():
                if cancelled():  # a Ctrl-C that a nats-py request swallowed on its way here
                    raise asyncio.CancelledError
                live.update(view.renderable(), refresh=True)
                await asyncio.wait({task}, timeout=FRAME_SECONDS)
            live.update(view.renderable(), refresh=True)
            task.result()
        finally:
            if not task.done():
                await cancel_and_wait([task])
                live.update(view.renderable(), refresh=True)


async def _session(
    outcome: _Outcome,
    options: SimulateOptions,
    target: Target,
    server: NatsServer | None,
    listeners: list[Callable[[dict[str, Any]], None]],
    view: str,
    console: Console,
    caught: _Caught,
) -> None:
    from eventlesson.broker.jetstream import Names, cancelled, run_prefix

    caught.task = asyncio.current_task()
    from eventlesson.broker.run import BrokerRun

    scenario = SCENARIOS[options.scenario]
    speed = None if options.fast or options.json else options.speed
    url = target.url or (server.url if server is not None else None)
    purchases = options.purchases or scenario.purchases
    deadline = 60.0 + (
        purchases / 500 if speed is None else purchases / scenario.arrival_rate / speed
    )
    from eventlesson.sim.store import StoreError

    try:
        run = BrokerRun(
            scenario,
            url=url,
            names=Names() if target.ours else Names(run_prefix()),
            server=server,
            seed=options.seed,
            purchases=options.purchases,
            speed=speed,
            db=options.db,
            deadline=deadline,
            observe=view == "live" or bool(options.svg),
        )
    except StoreError as exc:  # the core names the path; only here do we know the flag
        raise UsageError(f"--db {exc}") from exc
    outcome.run = run
    for listener in listeners:
        run.add_listener(listener)
    try:
        await run.setup()
        if cancelled():  # Ctrl-C during the set-up, lost inside a nats-py request
            raise asyncio.CancelledError
        try:
            if view == "live":
                await _live(run, console, speed)
            else:
                await run.run()
        except asyncio.CancelledError:  # Ctrl-C: read the server back, then stop
            outcome.interrupted = True
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(run.finish(), READ_BACK_SECONDS)
        outcome.summary = run.summary()
        outcome.view = run.final_view()
        outcome.facts = run.broker_facts()
        outcome.notes = run.notes()
    finally:
        await run.close()
        run.close_store()


def run_broker(app: App, options: SimulateOptions, broker: str, keep_server: bool) -> int:
    """Run one scenario on a real NATS server; returns the exit code (130 after Ctrl-C).

    SIGTERM or SIGHUP ends it like Ctrl-C, then raises `Terminated` (the CLI exits 143 or 129).
    """
    caught = _Caught()
    try:
        with _signals_stop_the_run(caught):
            code = _run(app, options, broker, keep_server, caught)
    except KeyboardInterrupt:  # a signal before the run's own handling began
        if caught.signum is None:
            raise
    if caught.signum is not None:
        raise Terminated(caught.signum)
    return code


def _run(
    app: App, options: SimulateOptions, broker: str, keep_server: bool, caught: _Caught
) -> int:
    target = parse_target(broker)
    check(options, target, keep_server)
    scenario = SCENARIOS[options.scenario]
    console = app.console
    view = _choose_view(options, app.stdout_tty, console)
    if view == "live":
        console = real_console(console)
    human = app.err if options.events == "-" else console
    listeners: list[Callable[[dict[str, Any]], None]] = []
    trace_file: IO[str] | None = None
    server: NatsServer | None = None
    outcome = _Outcome()
    code = int(ExitCode.OK)
    try:
        if target.ours and scenario.mode != "sync":
            try:
                server = NatsServer(binary=find_server(app.env.nats_server))
            except ServerError as exc:  # no binary: what to install, like the missing client
                raise UsageError(str(exc)) from exc
            server.start()
        if options.events == "-":
            listeners.append(TraceWriter(console.file))
        elif options.events is not None:
            trace_file = _open_trace(options.events)
            listeners.append(TraceWriter(trace_file))
        if view == "plain":
            from eventlesson.broker.narrate import describe

            listeners.append(plain_printer(console, words=describe))
        try:
            asyncio.run(
                _session(outcome, options, target, server, listeners, view, console, caught)
            )
        except KeyboardInterrupt:
            outcome.interrupted = True
        except asyncio.CancelledError:  # a signal cancelled the run before it could catch it
            if caught.signum is None:
                raise
            outcome.interrupted = True
        if outcome.interrupted:
            code = int(ExitCode.INTERRUPTED)
        if outcome.summary is None:  # stopped before the run began
            app.err.print("Stopped.")
            return code
        _report(app, human, options, target, server, outcome, keep_server)
        if outcome.run is not None and not outcome.run.finished and not outcome.interrupted:
            app.error(
                "the run did not drain before its time limit; the summary shows where it stood"
            )
            code = int(ExitCode.FAILURE)
        if keep_server and server is not None and code != ExitCode.INTERRUPTED:
            code = _hold(app, server, options.json)
    finally:
        if trace_file is not None:
            trace_file.close()
        if server is not None:
            server.close()
    return code


def _look(outcome: _Outcome, target: Target, server: NatsServer | None, kept: bool) -> str | None:
    from eventlesson.ui.render_broker import look_line

    run = outcome.run
    if run is None or not run.uses_broker:
        return None
    return look_line(
        url=run.url or "",
        stream=run.names.stream,
        consumers=[run.names.durable(c) for c in run.consumers],
        monitor_url=server.monitor_url if server is not None else None,
        ours=target.ours,
        kept=kept,
    )


def _report(
    app: App,
    human: Console,
    options: SimulateOptions,
    target: Target,
    server: NatsServer | None,
    outcome: _Outcome,
    keep_server: bool,
) -> None:
    summary = outcome.summary
    assert summary is not None
    look = _look(outcome, target, server, keep_server)
    if options.json:
        data = summary.to_dict()
        data.update(outcome.facts or {})
        app.emit_json(data)
        if look is not None:
            say(app.err, look)
    else:
        from eventlesson.ui.render_sim import render_summary

        if outcome.interrupted:
            human.print("\nStopped. The summary so far:")
        human.print(render_summary(summary, width=human.width))
        human.print(_server_summary(outcome, summary, human.width))
        if look is not None:
            say(human, look)
    if options.svg:
        _save_svg(options.svg, outcome, summary, app.console.width, options.speed)


def _server_summary(outcome: _Outcome, summary: Summary, width: int) -> RenderableType:
    """The server's side of the summary: what it holds, read back after the run, and notes."""
    from eventlesson.ui.render_broker import render_server_summary

    return render_server_summary(
        outcome.view,
        backend=(outcome.facts or {}).get("backend", "nats"),
        complete=summary.complete,
        notes=outcome.notes,
        width=width,
    )


def _save_svg(path: str, outcome: _Outcome, summary: Summary, width: int, speed: float) -> None:
    from rich.console import Console

    from eventlesson.ui.render_broker import render_server_lines
    from eventlesson.ui.render_sim import render_live, render_summary

    recorder = Console(record=True, file=io.StringIO(), width=max(width, 40), force_terminal=True)
    run = outcome.run
    if run is not None:
        log = [(line, line.key) for line in run.story.recent(8)]
        recorder.print(render_live(run.snapshot(), width=recorder.width, height=24, log=log))
        view = outcome.view
        if view is not None:
            for line in render_server_lines(view, width=recorder.width):
                recorder.print(line)
    recorder.print(render_summary(summary, width=recorder.width))
    recorder.print(_server_summary(outcome, summary, recorder.width))
    try:
        recorder.save_svg(path, title=f"eventlesson simulate {summary.scenario} --broker nats")
    except OSError as exc:  # a full disk, or a race with the check before the run
        from eventlesson.errors import OutputError
        from eventlesson.text import quoted_path

        raise OutputError(f"--svg {quoted_path(path)}", exc.strerror or str(exc)) from exc


def _hold(app: App, server: NatsServer, json_out: bool) -> int:
    """--keep-server: the server stays up until Enter, end of input or Ctrl-C."""
    out = app.err if json_out else app.console
    say(out, f"The server stays up at {server.url}. Press Enter to stop it.")
    try:
        sys.stdin.readline()
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)
    return int(ExitCode.OK)
