"""The classroom flows: `classroom host` starts the server, runs the class and draws the
dashboard until the instructor ends it; `classroom join` joins a class and runs the learner's five
consumers under `simulate`'s live view.

Flow layer: owns the asyncio loop, the rich `Live` views and their frame rate, the keys (through
`flows.simulate.keys_from_terminal` and `ui.terminal.KeyReader`), typed commands when there is no
terminal, and signals: Ctrl-C, SIGTERM and SIGHUP end a class the way `q` does (learners are
told, the summary is printed) and exit 130, 143 or 129. The server `classroom host` starts is
stopped and its folder removed on every way out. nats-py is imported only after
`missing_extra()` said it is installed. Never imports typer or questionary.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import json
import math
import re
import signal
import socket
import sys
import threading
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventlesson.broker import INSTALL_HINT
from eventlesson.classroom.roster import (
    DEFAULT_PORT,
    AddressProblem,
    ClassroomError,
    JoinAddress,
    NameProblem,
    check_name,
    new_password,
    new_secret,
    parse_join_url,
    server_config,
)
from eventlesson.errors import EventlessonError, ExitCode, Interrupted, Terminated, UsageError
from eventlesson.text import clean, counted, quoted, quoted_path
from eventlesson.ui.console import say
from eventlesson.ui.render_classroom import HOST_ACTIONS

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from eventlesson.app import App
    from eventlesson.broker.server import NatsServer
    from eventlesson.classroom.host import ClassHost
    from eventlesson.classroom.learner import LearnerSession
    from eventlesson.classroom.state import ClassSummary, LearnerSummary
    from eventlesson.flows.simulate import Keys

FRAME_SECONDS = 0.1  # ten frames a second: the server is read twice a second anyway
NOTICE_GRACE = 0.3  # after "the class has ended", before the server stops
MAX_DEMO = 60
MAX_RATE = 20.0
MAX_BURST = 1000
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,252}[A-Za-z0-9])?")
HOST_KEYS = {key: action for key, action, _ in HOST_ACTIONS}  # the dashboard's
HOST_COMMANDS = {word: action for _, action, words in HOST_ACTIONS for word in words}  # typed
HOST_COMMANDS["status"] = "status"
LEARNER_COMMANDS = {"s": "slow", "i": "idempotent", "p": "publish", "q": "quit", "quit": "quit"}


def _missing() -> str | None:
    from eventlesson.broker import missing_extra

    if missing_extra() is not None:
        return f"classroom needs the NATS client and server: {INSTALL_HINT}"
    return None


# -- signals and typed commands -----------------------------------------------------------------


class _Stop:
    """Ctrl-C (as a signal), SIGTERM and SIGHUP, caught inside the loop so the class can end in
    order: the learners told, the summary printed, the server stopped."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def _set(self, signum: int) -> None:
        self.signum = self.signum or signum

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        saved: dict[int, Any] = {}
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is None:
                continue
            try:
                previous = signal.getsignal(sig)
                loop.add_signal_handler(sig, self._set, sig)
            except (ValueError, RuntimeError, NotImplementedError):  # not the main thread
                continue
            saved[sig] = previous
        try:
            yield
        finally:
            for sig, previous in saved.items():
                with contextlib.suppress(ValueError, RuntimeError):
                    loop.remove_signal_handler(sig)
                    signal.signal(sig, previous)

    @property
    def code(self) -> int:
        return 128 + (self.signum or 0)


def _typed_lines() -> asyncio.Queue[str | None]:
    """Lines typed on standard input, for a run without a screen to draw keys on; None at the
    end of input. A daemon thread reads them, so a blocked read never holds up the exit."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def put(line: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
            loop.call_soon_threadsafe(queue.put_nowait, line)

    def read() -> None:
        try:
            for line in sys.stdin:
                put(line)
        except (OSError, ValueError, UnicodeDecodeError):
            pass
        put(None)

    threading.Thread(target=read, name="typed commands", daemon=True).start()
    return queue


def _raise_failed(tasks: set[asyncio.Task[Any]]) -> None:
    """A key's work that failed: one line, never a traceback."""
    for task in [t for t in tasks if t.done()]:
        tasks.discard(task)
        if task.cancelled():
            continue
        exc = task.exception()
        if isinstance(exc, EventlessonError):
            raise exc
        if exc is not None:
            raise ClassroomError(f"the class stopped working: {clean(str(exc)) or exc!r}") from exc


# -- the host -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostOptions:
    bind: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    demo: int = 0
    rate: float = 1.0
    burst: int = 20
    save: str | None = None

    def check(self) -> None:
        """Every option before anything starts: one line, exit 2."""
        if not _valid_host(self.bind):
            raise UsageError(
                f"--bind must be an IP address or a host name (got {quoted(self.bind)})"
            )
        if not 0 <= self.port <= 65535:
            raise UsageError(f"--port must be from 0 (any free port) to 65535 (got {self.port})")
        if not 0 <= self.demo <= MAX_DEMO:
            raise UsageError(f"--demo must be from 0 to {MAX_DEMO} learners (got {self.demo})")
        if not (math.isfinite(self.rate) and 0 <= self.rate <= MAX_RATE):
            raise UsageError(f"--rate must be from 0 to {MAX_RATE:g} a second (got {self.rate:g})")
        if not 1 <= self.burst <= MAX_BURST:
            raise UsageError(f"--burst must be from 1 to {MAX_BURST} (got {self.burst})")
        if self.save is not None:
            from eventlesson.flows.simulate import write_problem

            problem = write_problem(self.save)
            if problem is None and not _ours_or_empty(self.save):
                problem = "it is there and is not a class summary; choose a new name"
            if problem is not None:
                raise UsageError(f"--save {quoted_path(self.save)}: cannot write it ({problem})")


def _valid_host(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return bool(_HOSTNAME.fullmatch(text))
    return True


def _ours_or_empty(path: str) -> bool:
    """A file `--save` may replace: none there, an empty one, or a class summary we wrote."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 20)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not head.strip():
        return True
    try:
        data = json.loads(head)
    except ValueError:
        return False
    return isinstance(data, dict) and {"started_at", "learners"} <= set(data)


def _port_problem(bind: str, port: int) -> str | None:
    """Why nats-server could not listen there, in one line, asked before starting it: another
    class (or any program) on the port, or an address this machine does not have."""
    where_text = f"{bind}:{port}" if port else bind
    try:
        infos = socket.getaddrinfo(bind, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot open a class on {where_text} ({exc.strerror or exc})"
    family, kind, proto, _name, where = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nats-server does
        try:
            probe.bind(where)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return _port_taken(bind, port)
            return (
                f"cannot open a class on {where_text} ({exc.strerror or exc}): is {bind} an "
                "address of this machine? (--bind 0.0.0.0 listens on all of them)"
            )
    return None


def _port_taken(bind: str, port: int) -> str:
    return (
        f"cannot open a class on {bind}:{port}: the port is in use (another class or "
        "program); choose another with --port"
    )


def advertised(bind: str) -> str:
    """The address learners type: the one the class listens on, or for 0.0.0.0 this machine's
    address on its local network (asked of the routing table; no packet is sent)."""
    if bind not in ("0.0.0.0", "::", ""):
        from eventlesson.broker.server import url_host

        return url_host(bind)
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
        address = probe.getsockname()[0]
        if address and not address.startswith("127."):
            return str(address)
    return socket.gethostname() or "127.0.0.1"


def _act(host: ClassHost, command: str, tasks: set[asyncio.Task[Any]]) -> None:
    """What a key or a typed command does on the host."""
    work: Awaitable[Any] | None = None
    if command == "purchase":
        work = host.purchase()
    elif command == "burst":
        work = host.burst()
    elif command == "ghost":
        work = host.purchase("ghost")
    elif command == "poison":
        work = host.purchase("poison")
    elif command == "pause":
        host.toggle_pause()
    if work is not None:
        tasks.add(asyncio.ensure_future(work))


def _pressed(keys: Keys | None) -> tuple[str | None, int | None]:
    """The key pressed since the last frame (None: none, or no keys to read), and the exit code
    when the key reader ended the session instead: Ctrl-C (130), or a signal it caught."""
    if keys is None:
        return None, None
    try:
        return keys.reader.read(timeout=0), None
    except (KeyboardInterrupt, Interrupted):
        return None, int(ExitCode.INTERRUPTED)
    except Terminated as exc:
        return None, exc.exit_code


async def _dashboard(host: ClassHost, console: Console, stop: _Stop) -> int:
    """The live dashboard with its keys until `q`, Ctrl-C or a signal; the exit code."""
    from eventlesson.flows.simulate import LiveSuspend, keys_from_terminal, live_view
    from eventlesson.ui.render_classroom import render_dashboard

    def frame(controls: bool) -> RenderableType:
        size = console.size
        return render_dashboard(
            host.view(), width=size.width, height=size.height, controls=controls
        )

    tasks: set[asyncio.Task[Any]] = set()
    suspend = LiveSuspend()
    try:
        with (
            keys_from_terminal(suspend.erase, suspend.redraw) as keys,
            live_view(console, frame(keys is not None), suspend) as live,
        ):
            while stop.signum is None:
                _raise_failed(tasks)
                live.update(frame(keys is not None), refresh=True)
                name, code = _pressed(keys)
                if code is not None:
                    return code
                action = HOST_KEYS.get(name) if name is not None else None
                if action == "quit":
                    return int(ExitCode.OK)
                if action is not None:
                    _act(host, action, tasks)
                await asyncio.sleep(FRAME_SECONDS)
            live.update(frame(False), refresh=True)
            return stop.code
    finally:
        for task in tasks:
            task.cancel()


def _status_lines(host: ClassHost) -> list[str]:
    view = host.view()
    lines = [
        f"purchases {view.purchases}, committed {view.committed}, ghosts {view.ghosts}, "
        f"poison {view.poison}, log end {view.log_end}, "
        + ("steady purchases paused" if view.paused else f"{view.rate:g} a second")
        + f"; {counted(len(view.learners), 'learner')}:"
    ]
    for row in view.learners:
        each = ", ".join(
            f"{c.consumer} lag {c.lag} redelivered {c.redeliveries} dead {c.dead_letters}"
            + ("" if c.up else " down")
            for c in row.consumers
        )
        lines.append(
            f"  {row.name}: {'on' if row.connected else 'gone'}, lag {row.lag}, "
            f"redeliveries {row.redeliveries}, dead letters {row.dead_letters} | {each}"
        )
    return lines


async def _host_plain(host: ClassHost, console: Console, stop: _Stop) -> int:
    """Without a screen to redraw: one line per happening, and typed commands on stdin."""

    host.note_listeners.append(lambda text: say(console, f"{host.now:8.2f} s  {text}"))
    say(
        console,
        "Commands (then Enter): p purchase, b burst of "
        f"{host.burst_size}, g ghost, x poison, pause, status, q end the class.",
    )
    lines = _typed_lines()
    tasks: set[asyncio.Task[Any]] = set()
    try:
        while stop.signum is None:
            _raise_failed(tasks)
            try:
                line = await asyncio.wait_for(lines.get(), 0.2)
            except TimeoutError:
                continue
            if line is None:  # the end of the commands ends the class
                return int(ExitCode.OK)
            word = line.strip().lower()
            if not word and line.strip("\r\n"):
                word = "space"  # a line of spaces: the space key
            command = HOST_COMMANDS.get(word)
            if command is None:
                if word:
                    say(console, f"unknown command {quoted(word)}: p, b, g, x, pause, status or q")
                continue
            if command == "quit":
                return int(ExitCode.OK)
            if command == "status":
                for text in _status_lines(host):
                    say(console, text)
                continue
            _act(host, command, tasks)
        return stop.code
    finally:
        await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class _HostOutcome:
    code: int = 0
    summary: ClassSummary | None = None


async def _host_session(
    options: HostOptions,
    server: NatsServer,
    address: JoinAddress,
    password: str,
    console: Console,
    live: bool,
) -> _HostOutcome:
    from eventlesson.classroom.host import ClassHost

    outcome = _HostOutcome()
    host = ClassHost(server, address, password, rate=options.rate, burst=options.burst)
    stop = _Stop()
    with stop.installed():
        try:
            await host.open()
            if not live:
                say(console, f"Class open at {address.url}. Learners join with:")
                say(console, f"  {address.command()}")
            helpers: set[asyncio.Task[Any]] = set()
            if options.demo:
                helpers.add(asyncio.ensure_future(host.add_demo_learners(options.demo)))
            try:
                if live:
                    outcome.code = await _dashboard(host, console, stop)
                else:
                    outcome.code = await _host_plain(host, console, stop)
                _raise_failed(helpers)
            finally:
                for task in helpers:
                    task.cancel()
            outcome.summary = await host.end()
            await asyncio.sleep(NOTICE_GRACE)  # the notice reaches the learners first
        finally:
            await host.close()
    return outcome


def run_host(app: App, options: HostOptions) -> int:
    """Run a class until the instructor ends it; returns the exit code."""
    from eventlesson.broker.server import NatsServer, ServerError, find_server
    from eventlesson.flows.simulate import real_console

    options.check()
    problem = _missing()
    if problem is not None:
        raise UsageError(problem)
    try:
        binary = find_server(app.env.nats_server)
    except ServerError as exc:
        raise UsageError(str(exc)) from exc
    problem = _port_problem(options.bind, options.port)
    if problem is not None:
        raise ClassroomError(problem)
    console = app.console
    live = app.stdout_tty and app.stdin_tty and not console.is_dumb_terminal
    if live:
        console = real_console(console)
    secret, password = new_secret(), new_password()
    server = NatsServer(
        binary=binary,
        host=options.bind,
        port=options.port,
        config=server_config(password, secret, {}),
        monitor=False,  # the configuration asks for monitoring on loopback only
    )
    try:
        try:
            server.start()
        except ServerError as exc:
            if "address already in use" in str(exc):
                raise ClassroomError(_port_taken(options.bind, options.port)) from exc
            raise
        address = JoinAddress(advertised(options.bind), server.port, secret)
        outcome = asyncio.run(_host_session(options, server, address, password, console, live))
    finally:
        server.close()
    if outcome.summary is not None:
        _report_class(app, console, options, outcome.summary)
    return outcome.code


def _report_class(app: App, console: Console, options: HostOptions, summary: ClassSummary) -> None:
    from eventlesson.ui.render_classroom import render_class_summary

    console.print(render_class_summary(summary, width=console.width))
    if options.save is None:
        console.print("[muted](--save FILE keeps the class summary as JSON)[/]", highlight=False)
        return
    from eventlesson.outputs import open_output
    from eventlesson.text import json_text

    with open_output(options.save, f"--save {quoted_path(options.save)}") as out:
        out.write(json_text(summary.to_dict(), indent=2) + "\n")
    say(console, f"Saved the class summary to {options.save}.")


# -- a learner ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinOptions:
    url: str
    name: str
    speed: float = 1.0  # the consumers' work takes the model's time divided by this
    json: bool = False

    def check(self) -> None:
        from eventlesson.flows.simulate import MAX_SPEED, MIN_SPEED

        if not (math.isfinite(self.speed) and MIN_SPEED <= self.speed <= MAX_SPEED):
            raise UsageError(
                f"--speed must be from {MIN_SPEED:g} to {MAX_SPEED:g} (got {self.speed:g})"
            )


class _LearnerScreen:
    """Frames of a learner's session: `simulate`'s live screen (its numbers from the server),
    the running log with its key moments, the server's own counts below, the learner's keys."""

    def __init__(self, session: LearnerSession, console: Console, controls: bool) -> None:
        from eventlesson.flows.simulate import Highlights

        self.session = session
        self.console = console
        self.controls = controls
        self.highlights = Highlights()

    def renderable(self) -> RenderableType:
        from rich.console import Group

        from eventlesson.ui.render_broker import render_server_lines
        from eventlesson.ui.render_classroom import LEARNER_KEYS
        from eventlesson.ui.render_sim import render_live

        session = self.session
        size = self.console.size
        log, focus = self.highlights.log(session.story)
        below = render_server_lines(session.broker_view(), width=size.width)
        screen = render_live(
            session.snapshot(focus),
            width=size.width,
            height=size.height - len(below),
            log=log,
            controls=self.controls,
            keys=LEARNER_KEYS,
            title=f"classroom · {session.key}",
        )
        return Group(screen, *below)


def _learner_act(session: LearnerSession, name: str, tasks: set[asyncio.Task[Any]]) -> bool:
    """What a key or a typed command does for a learner; True to leave."""
    from eventlesson.sim.scenarios import CONSUMER_NAMES

    if name in ("1", "2", "3", "4", "5"):
        session.crash(CONSUMER_NAMES[int(name) - 1])
        return False
    command = LEARNER_COMMANDS.get(name)
    if command == "quit":
        return True
    if command == "slow":
        session.cycle_slow()
    elif command == "idempotent":
        session.toggle_idempotent()
    elif command == "publish":
        tasks.add(asyncio.ensure_future(session.try_publish()))
    return False


async def _learner_live(session: LearnerSession, console: Console, stop: _Stop) -> int:
    from eventlesson.flows.simulate import LiveSuspend, keys_from_terminal, live_view

    tasks: set[asyncio.Task[Any]] = set()
    suspend = LiveSuspend()
    try:
        with keys_from_terminal(suspend.erase, suspend.redraw) as keys:
            screen = _LearnerScreen(session, console, controls=keys is not None)
            with live_view(console, screen.renderable(), suspend) as live:
                try:
                    while stop.signum is None and session.over is None:
                        _raise_failed(tasks)
                        live.update(screen.renderable(), refresh=True)
                        name, code = _pressed(keys)
                        if code is not None:
                            return code
                        if name is not None and _learner_act(session, name, tasks):
                            return int(ExitCode.OK)
                        await asyncio.sleep(FRAME_SECONDS)
                finally:
                    live.update(screen.renderable(), refresh=True)
        return stop.code if stop.signum is not None else int(ExitCode.OK)
    finally:
        for task in tasks:
            task.cancel()


async def _learner_plain(
    session: LearnerSession, console: Console, stop: _Stop, lines_out: bool
) -> int:
    """Without a screen to redraw: one line per step (unless `--json`), typed commands."""
    from eventlesson.classroom.narrate import describe
    from eventlesson.flows.simulate import plain_printer
    from eventlesson.sim.story import in_log

    if lines_out:
        session.add_listener(plain_printer(console, words=describe, keep=in_log))
    typed = _typed_lines()
    tasks: set[asyncio.Task[Any]] = set()
    try:
        while stop.signum is None and session.over is None:
            _raise_failed(tasks)
            try:
                line = await asyncio.wait_for(typed.get(), 0.2)
            except TimeoutError:
                continue
            if line is None:  # the end of the commands: leave
                return int(ExitCode.OK)
            if _learner_act(session, line.strip().lower(), tasks):
                return int(ExitCode.OK)
        return stop.code if stop.signum is not None else int(ExitCode.OK)
    finally:
        await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class _JoinOutcome:
    code: int = 0
    summary: LearnerSummary | None = None
    failure: str | None = None  # the class went away, or the name was taken over


async def _join_session(
    options: JoinOptions, address: JoinAddress, key: str, console: Console, live: bool
) -> _JoinOutcome:
    from eventlesson.classroom.learner import LearnerSession

    outcome = _JoinOutcome()
    session = LearnerSession(address, key, work=1.0 / options.speed, watch=live)
    answer = await session.join()
    stop = _Stop()
    with stop.installed():
        try:
            await session.start()
            if not live and not options.json:
                again = " (again: your consumers continue where they stopped)"
                say(
                    console,
                    f"Joined the class at {address.url} as {key}"
                    f"{again if answer.joins > 1 else ''}. Commands (then Enter): 1-5 crash "
                    "a consumer, s slow one down, i email idempotent, p try to publish, q leave.",
                )
            if live:
                outcome.code = await _learner_live(session, console, stop)
            else:
                outcome.code = await _learner_plain(session, console, stop, not options.json)
        finally:
            await session.close()
    if session.over is not None and not session.ended_by_class:
        outcome.failure = session.over
        outcome.code = int(ExitCode.FAILURE)
    if session.over is not None:
        ended = session.over
    elif stop.signum is not None or outcome.code == ExitCode.INTERRUPTED:
        ended = "You stopped. Type the same command to come back where you left off."
    else:
        ended = "You left the class. Type the same command to come back where you left off."
    outcome.summary = session.summary(ended)
    return outcome


def run_join(app: App, options: JoinOptions) -> int:
    """Join a class and run the five consumers until the learner leaves or the class ends."""
    from eventlesson.flows.simulate import real_console

    options.check()
    try:
        address = parse_join_url(options.url)
    except AddressProblem as exc:
        raise UsageError(str(exc)) from exc
    try:
        key = check_name(options.name)
    except NameProblem as exc:
        raise UsageError(f"--name: {exc}") from exc
    problem = _missing()
    if problem is not None:
        raise UsageError(problem)
    console = app.console
    live = app.stdout_tty and not options.json and not console.is_dumb_terminal
    if live:
        console = real_console(console)
    outcome = asyncio.run(_join_session(options, address, key, console, live))
    summary = outcome.summary
    if summary is not None:
        if options.json:
            app.emit_json(summary.to_dict())
        else:
            from eventlesson.ui.render_classroom import render_learner_summary

            console.print(render_learner_summary(summary, width=console.width))
    if outcome.failure is not None:
        raise ClassroomError(outcome.failure)
    return outcome.code
