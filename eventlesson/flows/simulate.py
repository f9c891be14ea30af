"""The `simulate` flow: pace the model, own the live view, and write every requested output.

Flow layer: the only place that sleeps or paces a simulation, owns rich `Live`, and turns Ctrl-C
into "stop, show the summary so far, exit 130". It reaches the terminal through the `App`
(consoles, `stdout_tty`, `emit`), reads the core (`eventlesson.sim`) and draws with
`eventlesson.ui.render_sim`; it never imports typer or questionary. Every option is checked,
files included, before the run starts: a bad one costs one line and exit 2, never a finished run.
"""

from __future__ import annotations

import io
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from eventlesson.errors import ExitCode, UsageError
from eventlesson.sim import SCENARIOS, Simulation, Summary, TraceWriter
from eventlesson.sim.model import MAX_PURCHASES
from eventlesson.sim.store import StoreError

if TYPE_CHECKING:
    from rich.console import Console

    from eventlesson.app import App

# rich and the render module are imported where they are used: a `--json` run never loads them

DEFAULT_SPEED = 1.0  # virtual seconds per real second
FRAME_SECONDS = 1 / 20  # at most 20 redraws a second: smooth, and cheap over ssh


@dataclass(frozen=True)
class SimulateOptions:
    """What the learner asked for; validated by `check()`."""

    scenario: str = "happy"
    speed: float = DEFAULT_SPEED
    seed: int = 7
    purchases: int | None = None  # None: the scenario's default
    fast: bool = False  # no pacing, no live view
    plain: bool = False  # one line per event (also when stdout is not a terminal)
    events: str | None = None  # a file for the JSON Lines trace, or "-" for stdout
    json: bool = False  # the summary as one JSON object on stdout, nothing else
    svg: str | None = None  # the final screen as an SVG picture
    db: str = ":memory:"

    def check(self) -> None:
        """Every option, the files included, before anything runs: one line, exit 2."""
        if self.scenario not in SCENARIOS:
            raise UsageError(
                f"unknown scenario {self.scenario!r}; choose one of: {', '.join(SCENARIOS)}"
            )
        if not (self.speed > 0 and math.isfinite(self.speed)):
            raise UsageError(f"--speed must be a number greater than 0 (got {self.speed:g})")
        if self.purchases is not None and not 1 <= self.purchases <= MAX_PURCHASES:
            digits = str(self.purchases)
            shown = digits if len(digits) <= 24 else f"a {len(digits)}-digit number"
            raise UsageError(f"--purchases must be from 1 to {MAX_PURCHASES:,} (got {shown})")
        if self.json and self.events == "-":
            raise UsageError("--json and --events - both want stdout; write the trace to a file")
        files = [(flag, path) for flag, path in self.files() if path is not None]
        for flag, path in files:
            problem = write_problem(path)
            if problem is not None:
                raise UsageError(f"{flag} {path}: cannot write it ({problem})")
        seen: dict[str, str] = {}
        for flag, path in files:
            real = os.path.realpath(path)
            if real in seen:
                raise UsageError(f"{seen[real]} and {flag} name the same file {path}")
            seen[real] = flag

    def files(self) -> tuple[tuple[str, str | None], ...]:
        """The options that name a file this run writes, with their paths."""
        return (
            ("--events", None if self.events == "-" else self.events),
            ("--svg", self.svg),
            ("--db", None if self.db == ":memory:" else self.db),
        )


def write_problem(path: str) -> str | None:
    """Why `path` could not be written (created or replaced), or None; it creates nothing."""
    if os.path.isdir(path):
        return "it is a directory"
    if os.path.exists(path):
        return None if os.access(path, os.W_OK) else "permission denied"
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        return f"no such directory {parent}"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot create files in {parent}"
    return None


def real_console(console: Console) -> Console:
    """A rich Console itself: Live checks types, so unwrap the App's lazy stand-in."""
    return getattr(console, "real", console)


def list_scenarios(console: Console) -> int:
    from eventlesson.ui.render_sim import render_scenarios

    console.print(render_scenarios(SCENARIOS.values(), width=console.width))
    return int(ExitCode.OK)


def pace(
    sim: Simulation,
    speed: float,
    on_frame: Callable[[float], None] | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Step the model so that virtual time runs `speed` times real time.

    `on_frame(display_clock)` is called at most every FRAME_SECONDS while waiting and after
    steps, so the clock ticks between events and a burst of steps costs one redraw.
    """
    start_real = clock()
    start_virtual = sim.now
    last_frame = -math.inf
    while True:
        upcoming = sim.peek()
        if upcoming == math.inf:
            break
        due = start_real + (upcoming - start_virtual) / speed
        while True:
            now = clock()
            if now >= due:
                break
            if on_frame is not None and now - last_frame >= FRAME_SECONDS:
                # the display clock never passes the next event: time must not jump back
                on_frame(min(start_virtual + (now - start_real) * speed, upcoming))
                last_frame = now
            sleep(min(due - now, FRAME_SECONDS))
        sim.step()
        if on_frame is not None and clock() - last_frame >= FRAME_SECONDS:
            on_frame(sim.now)
            last_frame = clock()
    if on_frame is not None:
        on_frame(sim.now)


def _live(sim: Simulation, console: Console, speed: float) -> None:
    """The rich Live view; KeyboardInterrupt leaves the last frame on screen and propagates."""
    from rich.live import Live

    from eventlesson.ui.render_sim import render_live

    console = real_console(console)
    with Live(
        render_live(sim.snapshot(), width=console.width, speed=speed),
        console=console,
        auto_refresh=False,  # we refresh on our own frames; no thread racing the model
        transient=False,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as live:

        def frame(at: float) -> None:
            # the width is asked again for every frame, so a resized terminal gets the layout for
            # its new size (compact below 60 columns) rather than the old one squeezed into it
            live.update(
                render_live(sim.snapshot(at), width=console.width, speed=speed), refresh=True
            )

        pace(sim, speed, frame)


def _plain_printer(stream: IO[str]) -> Callable[[dict[str, Any]], None]:
    from eventlesson.ui.render_sim import plain_line

    def show(record: dict[str, Any]) -> None:
        stream.write(plain_line(record) + "\n")
        stream.flush()

    return show


def _save_svg(path: str, sim: Simulation, summary: Summary, width: int, speed: float) -> None:
    """Draw the final screen again on a recording console: the Live frames are not in it."""
    from rich.console import Console

    from eventlesson.ui.render_sim import render_live, render_summary

    recorder = Console(record=True, file=io.StringIO(), width=max(width, 40), force_terminal=True)
    recorder.print(render_live(sim.snapshot(), width=recorder.width, speed=speed))
    recorder.print(render_summary(summary, width=recorder.width))
    try:
        recorder.save_svg(path, title=f"eventlesson simulate {summary.scenario}")
    except OSError as exc:  # checked before the run; only a race gets here
        raise UsageError(f"--svg {path}: cannot write it ({exc.strerror})") from exc


def _choose_view(options: SimulateOptions, stdout_tty: bool, console: Console) -> str:
    """ "live", "plain" or "none": stdout carries one thing (JSON, the trace, or the view)."""
    if options.json or options.events == "-":
        return "none"
    if options.plain:
        return "plain"
    if options.fast:
        return "none"  # --fast is just the summary
    if not stdout_tty or console.is_dumb_terminal:
        return "plain"  # Live on a pipe writes only its last frame; dumb terminals cannot redraw
    return "live"


def _build(options: SimulateOptions, observe: bool) -> Simulation:
    """The simulation, or one line naming the option whose file it cannot use."""
    try:
        return Simulation(
            options.scenario,
            seed=options.seed,
            purchases=options.purchases,
            db=options.db,
            observe=observe,
        )
    except StoreError as exc:  # the core names the path; only here do we know the flag
        raise UsageError(f"--db {exc}") from exc


def _open_trace(path: str) -> IO[str]:
    try:
        return open(path, "w", encoding="utf-8")  # closed by run_simulate
    except OSError as exc:  # checked before; only a race gets here
        raise UsageError(f"--events {path}: cannot write it ({exc.strerror})") from exc


def run_simulate(app: App, options: SimulateOptions) -> int:
    """Run one scenario as asked; returns the exit code (130 after Ctrl-C)."""
    options.check()
    console = app.console
    json_out = options.json
    trace_to_stdout = options.events == "-"
    view = _choose_view(options, app.stdout_tty, console)
    if view == "live":  # the view and the summary below it share one real console
        console = real_console(console)
    paced = not options.fast and not json_out
    human = app.err if trace_to_stdout else console
    sim = _build(options, observe=view == "live" or bool(options.svg))
    trace_file: IO[str] | None = None
    code = int(ExitCode.OK)
    try:
        # opened only now that the simulation exists: a failed build leaves no empty file
        if options.events is not None and not trace_to_stdout:
            trace_file = _open_trace(options.events)
            sim.add_listener(TraceWriter(trace_file))
        elif trace_to_stdout:
            sim.add_listener(TraceWriter(console.file))
        if view == "plain":
            sim.add_listener(_plain_printer(console.file))
        try:
            if view == "live" and paced:
                _live(sim, console, options.speed)
            elif paced:
                pace(sim, options.speed)
            else:
                sim.run()
        except KeyboardInterrupt:
            code = int(ExitCode.INTERRUPTED)
        summary = sim.summary()
        if json_out:
            app.emit(json.dumps(summary.to_dict(), indent=2))
        else:
            if code:
                human.print("\nStopped. The summary so far:")
            from eventlesson.ui.render_sim import render_summary

            human.print(render_summary(summary, width=human.width))
        if options.svg:
            _save_svg(options.svg, sim, summary, console.width, options.speed)
    finally:
        sim.close()
        if trace_file is not None:
            trace_file.close()
    return code


def play_inline(console: Console, scenario: str, speed: float = DEFAULT_SPEED) -> None:
    """Play a scenario inline in the guided lesson with defaults; Ctrl-C propagates.

    `speed`: the App's `env.sim_speed` (EVENTLESSON_SIM_SPEED), for a slower classroom demo.

    The lesson pager's screen has no scrollback, so the run ends on a compact summary that fits
    one screen (80x24, and 40x20): on a terminal the live view is cleared first.
    """
    from eventlesson.ui.render_sim import render_compact_summary

    console = real_console(console)
    sim = Simulation(scenario, observe=True)
    try:
        if console.is_terminal and not console.is_dumb_terminal:
            _live(sim, console, speed)
            console.clear()
        else:
            sim.add_listener(_plain_printer(console.file))
            pace(sim, speed)
        console.print(render_compact_summary(sim.summary(), width=console.width))
    finally:
        sim.close()
