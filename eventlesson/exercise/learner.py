"""The learner's file: compiled once, run as the purchase service, the relay or a consumer.

Core module: standard library and `eventlesson.sim` only (no rich, questionary or typer). Each
component gets its own namespace, as each is its own process in a real system: a global the
service sets is not seen by the relay, and a component that crashes restarts with its module
run afresh (its memory is gone). Every call into the learner's code is wrapped: an exception,
an endless loop (a per-call time limit, where the platform has `setitimer`) or a wrong call of
the API becomes a `LearnerFailed` carrying a `Problem`, with a traceback of their frames
only. `LearnerFailed` is not an `Exception`, so the engine's own error handling (a handler that
raises is retried, then dead-lettered) cannot swallow a learner's bug.
"""

from __future__ import annotations

import builtins
import inspect
import io
import linecache
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventlesson.exercise.api import (
    HandlerStore,
    Misuse,
    RelayBus,
    RelayOutbox,
    ServiceBus,
    ServiceStore,
)
from eventlesson.exercise.verdict import Problem
from eventlesson.sim.scenarios import CONSUMER_NAMES
from eventlesson.sim.services import BusSteps, Event, Handler, OutboxSteps, Purchase, StoreSteps
from eventlesson.sim.store import ConsumerCrashed, ConsumerStore

CALL_SECONDS = 1.0  # one call of the learner's function; microseconds is what it needs
SERVICE, RELAY, HANDLER = "complete_purchase", "relay", "handle_"
SIGNATURES = {  # how each function is called, as the learner reads it
    SERVICE: "complete_purchase(store, bus, purchase)",
    RELAY: "relay(outbox, bus)",
    HANDLER: "handle_<consumer>(store, event)",
}
OUTPUT_LINES = 20  # lines of the learner's printed output kept for the verdict


class LearnerFailed(BaseException):
    """Carries a Problem out through the engine (which catches `Exception`)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class TimeLimit(BaseException):
    """The per-call alarm: the learner's function ran past CALL_SECONDS."""


def role(name: str) -> str:
    """The part a function name plays: SERVICE, RELAY or HANDLER; ValueError for any other."""
    if name in (SERVICE, RELAY):
        return name
    if name.startswith(HANDLER):
        consumer = name[len(HANDLER) :]
        if consumer in CONSUMER_NAMES:
            return HANDLER
        raise ValueError(
            f"{name}: there is no consumer named {consumer!r} "
            f"(handle_{', handle_'.join(CONSUMER_NAMES)})"
        )
    raise ValueError(f"{name} is not one of complete_purchase, relay, handle_<consumer>")


def _arity(name: str) -> int:
    return 3 if role(name) == SERVICE else 2


# -- the time limit --------------------------------------------------------------------------------


AGAIN_SECONDS = 0.05  # a TimeLimit swallowed by a bare `except:` fires again this soon


def _alarm(_signum: int, _frame: object) -> None:
    signal.setitimer(signal.ITIMER_REAL, AGAIN_SECONDS)  # until the call is over
    raise TimeLimit


def can_limit_calls() -> bool:
    """Whether a call can be interrupted after a time (POSIX `setitimer`, main thread only)."""
    import threading

    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class _Limit:
    """The alarm around one call: our handler while it runs, the previous one after."""

    __slots__ = ("_previous", "seconds")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds if seconds and can_limit_calls() else None
        self._previous: Any = None

    def __enter__(self) -> None:
        if self.seconds is not None:
            self._previous = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: object) -> None:
        if self.seconds is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)


# -- the learner's printed output ------------------------------------------------------------------


class Output(io.TextIOBase):
    """Stands in for stdout and stderr while the learner's code runs: keeps the first lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        parts = (self._partial + text).split("\n")
        self._partial = parts.pop()
        for line in parts:
            self.count += 1
            if len(self.lines) < OUTPUT_LINES:
                self.lines.append(line[:200])
        return len(text)

    def finish(self) -> None:
        if self._partial:
            self.write("\n")


# -- the learner's file ----------------------------------------------------------------------------


@dataclass
class Parts:
    """The replaceable parts of a run, as `Simulation(service=, relay=, handlers=)` takes them."""

    service: Callable[[StoreSteps, BusSteps, Purchase], None] | None = None
    relay: Callable[[OutboxSteps, BusSteps], None] | None = None
    handlers: dict[str, Handler] = field(default_factory=dict)

    def as_kwargs(self) -> dict[str, Any]:
        return {"service": self.service, "relay": self.relay, "handlers": self.handlers or None}


class LearnerCode:
    """The learner's file, compiled under `label` (the name tracebacks show), not yet run."""

    def __init__(self, source: str, label: str, *, limit: float | None = CALL_SECONDS) -> None:
        self.label = label
        self.limit = limit
        self.source = source
        self.output = Output()  # what their code printed
        # tracebacks read lines through linecache; the child process never opens the file
        linecache.cache[label] = (len(source), None, source.splitlines(True), label)
        try:
            self.code = compile(source, label, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte in the source
            raise LearnerFailed(_syntax_error(exc)) from None

    def defined(self) -> list[str]:
        """The functions this file defines that a run can use, in file order (runs the file once)."""
        namespace = self.run_module()
        return [name for name, value in namespace.items() if callable(value) and _usable(name)]

    def run_module(self) -> dict[str, Any]:
        """Run the file in a fresh namespace: one component starting up."""
        namespace: dict[str, Any] = {"__name__": "learner", "__builtins__": builtins}
        self.call("", exec, self.code, namespace)
        return namespace

    def function(self, namespace: dict[str, Any], name: str) -> Callable[..., Any]:
        """The function `name` from a namespace the file ran in, checked against its call."""
        fn = namespace.get(name)
        if fn is None:
            raise LearnerFailed(
                Problem("missing", name, f"Your file defines no {_signature(name)}.")
            )
        if not callable(fn):
            raise LearnerFailed(Problem("missing", name, f"{name} in your file is not a function."))
        try:
            inspect.signature(fn).bind(*range(_arity(name)))
        except TypeError:
            raise LearnerFailed(
                Problem(
                    "signature",
                    name,
                    f"{name} must take {_arity(name)} arguments: {_signature(name)}.",
                )
            ) from None
        except ValueError:  # a builtin without a signature: let the call say what is wrong
            pass
        return fn

    def call(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Call into the learner's code under the time limit; failures become LearnerFailed."""
        limit = _Limit(self.limit)
        saved = sys.stdout, sys.stderr
        try:
            with limit:
                sys.stdout = sys.stderr = self.output  # what they print is kept, not shown
                try:
                    return fn(*args)
                finally:
                    sys.stdout, sys.stderr = saved
        except (LearnerFailed, ConsumerCrashed):  # ConsumerCrashed: the run's fault, not theirs
            raise
        except TimeLimit as exc:
            where = f"{name}()" if name else "Your file"
            problem = Problem(
                "timeout",
                name,
                f"{where} did not finish within {self.limit:g} s: an endless loop?",
                self.their_frames(exc),
            )
        except Misuse as exc:
            problem = Problem("misuse", name, str(exc), self.their_frames(exc))
        except BaseException as exc:  # their bug, whatever it is (SystemExit included)
            what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            where = f"{name}() raised" if name else "Your file raised, while loading:"
            problem = Problem("exception", name, f"{where} {what}", self.their_frames(exc))
        raise LearnerFailed(problem)

    def their_frames(self, exc: BaseException) -> str:
        """The traceback of the learner's code only: frames in their file, none of ours."""
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == self.label]
        return "".join(traceback.format_list(frames)).rstrip("\n")

    # -- the parts of a run --

    def parts(self, names: tuple[str, ...] | list[str]) -> Components:
        """Components that play `names` (complete_purchase, relay, handle_<consumer>) in a run."""
        return Components(self, tuple(names))


class Components:
    """The learner's functions as the parts of one run, one namespace per component.

    Add `restarted` as a trace listener: a component's restart runs its module afresh.
    """

    def __init__(self, code: LearnerCode, names: tuple[str, ...]) -> None:
        self.code = code
        self.names = names
        self.namespaces: dict[str, dict[str, Any]] = {}
        for name in names:
            role(name)  # ValueError for a name no run can use
            self._start(name)

    def _start(self, name: str) -> None:
        namespace = self.code.run_module()
        self.code.function(namespace, name)  # defined, and callable as the run will call it
        self.namespaces[name] = namespace

    def _fn(self, name: str) -> Callable[..., Any]:
        return self.code.function(self.namespaces[name], name)

    def restarted(self, record: dict[str, Any]) -> None:
        """A trace listener: a restarted component starts with its module run again."""
        if record.get("type") != "restart":
            return
        component = record.get("component")
        name = {"purchase-service": SERVICE, "relay": RELAY}.get(str(component), "")
        if not name and record.get("consumer"):
            name = f"{HANDLER}{record['consumer']}"
        if name in self.namespaces:
            self._start(name)

    def service(self, store: StoreSteps, bus: BusSteps, purchase: Purchase) -> None:
        self.code.call(
            SERVICE,
            self._fn(SERVICE),
            ServiceStore(store, purchase.id),
            ServiceBus(bus, purchase.id),
            purchase,
        )

    def relay(self, outbox: OutboxSteps, bus: BusSteps) -> None:
        rows = RelayOutbox(outbox)
        self.code.call(RELAY, self._fn(RELAY), rows, RelayBus(bus, rows))

    def handler(self, name: str) -> Handler:
        def handle(store: ConsumerStore, event: Event) -> None:
            self.code.call(name, self._fn(name), HandlerStore(store, event.purchase_id), event)

        return handle

    def as_parts(self) -> Parts:
        parts = Parts()
        for name in self.names:
            if name == SERVICE:
                parts.service = self.service
            elif name == RELAY:
                parts.relay = self.relay
            else:
                parts.handlers[name[len(HANDLER) :]] = self.handler(name)
        return parts


def functions_in(source: str) -> list[str]:
    """The functions a run can use that `source` defines at its top level, without running it
    ([] when it does not parse: running it will say why)."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    names = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _usable(node.name)
    ]
    return list(dict.fromkeys(names))


def _usable(name: str) -> bool:
    try:
        role(name)
    except ValueError:
        return False
    return True


def _signature(name: str) -> str:
    if name.startswith(HANDLER):
        return f"{name}(store, event)"
    return SIGNATURES.get(name, name)


def _syntax_error(exc: SyntaxError | ValueError) -> Problem:
    if isinstance(exc, SyntaxError):
        where = f" at line {exc.lineno}" if exc.lineno else ""
        detail = "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
        # the lines after the first show the line and a caret under the problem
        shown = "\n".join(detail.split("\n")[1:-1]) if "\n" in detail else ""
        return Problem("syntax", "", f"Syntax error{where}: {exc.msg}", shown)
    return Problem("syntax", "", f"Your file cannot be read as Python: {exc}")
