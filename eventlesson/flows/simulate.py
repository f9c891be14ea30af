"""The `simulate` flow: pace the run, own the live view and its keys, write every output.

Flow layer: the only place that sleeps or paces a simulation, reads keys while it runs, owns
rich `Live`, and turns Ctrl-C into "stop, show the summary so far, exit 130" (or, inline in the
lesson, "back to the page"). It reaches the terminal through the `App` (consoles, `stdout_tty`,
`emit`), reads the core (`eventlesson.sim`) and draws with `eventlesson.ui.render_sim`; it never
imports typer or questionary. Every option is checked, files included, before the run starts: a
bad one costs one line and exit 2, never a finished run.

The lesson plays a scenario with `play_inline(console, scenario)`; see its docstring.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from eventlesson.errors import ExitCode, Interrupted, OutputError, UsageError
from eventlesson.outputs import open_output
from eventlesson.sim import MAX_PURCHASES, SCENARIOS, Simulation, Summary, TraceWriter
from eventlesson.sim.store import StoreError
from eventlesson.sim.story import LogLine, Story
from eventlesson.text import quoted, quoted_path

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    from eventlesson.app import App
    from eventlesson.flows.exercise import LearnerParts
    from eventlesson.ui.terminal import KeyReader

# rich and the render module are imported where they are used: a `--json` run never loads them

DEFAULT_SPEED = 1.0  # virtual seconds per real second
MIN_SPEED = 0.1  # slower than this, a 15-purchase run would take over ten minutes
MAX_SPEED = 1000.0  # `+` stops here
FRAME_SECONDS = 1 / 10  # at most 10 redraws a second: smooth enough, cheap on a core and ssh
KEY_SECONDS = 4.0  # a key moment stays highlighted (and its purchase followed) this long
LOG_LINES = 40  # the running log's lines a live view is given (it shows what fits)
PROGRESS_AFTER = 1.0  # an unpaced run longer than this many seconds reports its progress


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
    with_file: str | None = None  # the learner's code in place of the service, relay or handlers

    def check(self) -> None:
        """Every option, the files included, before anything runs: one line, exit 2."""
        if self.scenario not in SCENARIOS:
            raise UsageError(
                f"unknown scenario {quoted(self.scenario)}; choose one of: {', '.join(SCENARIOS)}"
            )
        if not (self.speed > 0 and math.isfinite(self.speed)):
            raise UsageError(f"--speed must be a number greater than 0 (got {self.speed:g})")
        if self.speed < MIN_SPEED:
            raise UsageError(f"--speed must be at least {MIN_SPEED:g} (got {self.speed:g})")
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
                raise UsageError(f"{flag} {quoted_path(path)}: cannot write it ({problem})")
        seen: dict[str, str] = {}
        for flag, path in files:
            real = os.path.realpath(path)
            if real in seen:
                raise UsageError(f"{seen[real]} and {flag} name the same file {quoted_path(path)}")
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
        return f"no such directory {quoted_path(parent)}"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot create files in {quoted_path(parent)}"
    return None


def real_console(console: Console) -> Console:
    """A rich Console itself: Live checks types, so unwrap the App's lazy stand-in."""
    return getattr(console, "real", console)


def list_scenarios(console: Console) -> int:
    from eventlesson.ui.render_sim import render_scenarios

    console.print(render_scenarios(SCENARIOS.values(), width=console.width))
    return int(ExitCode.OK)


# -- keys ------------------------------------------------------------------------------------

QUIT, PAUSE, STEP, FASTER, SLOWER, INTERRUPT = "quit", "pause", "step", "faster", "slower", "^C"
KEY_ACTIONS = {
    "q": QUIT,
    "space": PAUSE,
    ".": STEP,
    "right": STEP,
    "+": FASTER,
    "=": FASTER,  # + without shift on many keyboards
    "-": SLOWER,
    "_": SLOWER,
}


REDRAW = "redraw"  # back from Ctrl-Z (fg): draw once, and do not catch up on the time away


class Keys:
    """Single keys from the terminal while a run plays (no echo; Ctrl-C arrives as a key)."""

    def __init__(self, reader: KeyReader) -> None:
        self.reader = reader
        self.fd = reader.fd

    def wait(self, seconds: float) -> str | None:
        """The next key's action within `seconds`, or None (also for keys that do nothing)."""
        try:
            name = self.reader.read(timeout=max(seconds, 0.0))
        except (KeyboardInterrupt, Interrupted):  # Ctrl-C, Ctrl-D: end it as interrupted
            return INTERRUPT
        if name == "redraw":
            return REDRAW
        return KEY_ACTIONS.get(name or "")


@contextmanager
def keys_from_terminal(
    on_suspend: Callable[[], None] | None = None, on_resume: Callable[[], None] | None = None
) -> Iterator[Keys | None]:
    """Keys from stdin in cbreak mode while the block runs, or None where that is impossible
    (stdin not a terminal, or no termios: the run then plays without controls)."""
    from eventlesson.environment import single_keys_supported

    try:
        usable = os.isatty(sys.stdin.fileno()) and single_keys_supported()
    except (OSError, ValueError):
        usable = False
    if not usable:
        yield None
        return
    from eventlesson.ui.terminal import KeyReader

    with KeyReader(on_suspend=on_suspend, on_resume=on_resume) as reader:
        yield Keys(reader)


class NoKeys:
    """Stands in for `Keys` when nobody can type: waiting is sleeping."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sleep = sleep

    def wait(self, seconds: float) -> str | None:
        self._sleep(max(seconds, 0.0))
        return None


# -- pacing ----------------------------------------------------------------------------------


class Pacer:
    """Steps the model so that virtual time runs `speed` times real time, and obeys the keys.

    Space pauses and resumes; `.` or → steps one event while paused; `+`/`-` double or halve
    the speed; `q` (and Ctrl-C, inline) ends the run. `on_frame(display_clock)` is called at
    most every FRAME_SECONDS, and after a key, so the clock ticks between events and a burst of
    steps costs one redraw.
    """

    def __init__(
        self,
        sim: Simulation,
        speed: float,
        keys: Keys | NoKeys,
        on_frame: Callable[[float], None] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sim = sim
        self.speed = speed
        self.keys = keys
        self.on_frame = on_frame
        self.clock = clock
        self.paused = False
        self.quit = False
        self.interrupted = False
        self.shown = sim.now  # the display clock
        self._real = clock()  # anchor: this real time ...
        self._virtual = sim.now  # ... was this virtual time
        self._last_frame = -math.inf
        self.paused_for = 0.0  # real seconds spent paused (key moments do not age meanwhile)
        self._paused_at = 0.0
        self.stale: Callable[[], bool] | None = None  # True when the picture must be redrawn

    def _anchor(self) -> None:
        self._real = self.clock()
        self._virtual = self.shown

    def _frame(self, force: bool = False) -> None:
        now = self.clock()
        if self.on_frame is not None and (force or now - self._last_frame >= FRAME_SECONDS):
            self.on_frame(self.shown)
            self._last_frame = now

    def _handle(self, action: str | None) -> None:
        if action is None:
            return
        if action == REDRAW:
            self._anchor()  # the time away does not count
        elif action == INTERRUPT:
            self.interrupted = True
            self.quit = True
        elif action == QUIT:
            self.quit = True
        elif action == PAUSE:
            self.paused = not self.paused
            if self.paused:
                self._paused_at = self.clock()
            else:
                self.paused_for += self.clock() - self._paused_at
                self._anchor()
        elif action == STEP and self.paused:
            if self.sim.peek() != math.inf:
                self.sim.step()
                self.shown = max(self.shown, self.sim.now)
        elif action in (FASTER, SLOWER):
            factor = 2.0 if action == FASTER else 0.5
            self.speed = min(max(self.speed * factor, MIN_SPEED), MAX_SPEED)
            self._anchor()
        self._frame(force=True)

    def run(self) -> None:
        """Play until the run is over or the learner ends it."""
        sim = self.sim
        while not self.quit:
            if self.paused:
                action = self.keys.wait(FRAME_SECONDS)
                if action is None and self.stale is not None and self.stale():
                    self._frame(force=True)  # resized while paused: redraw at the new size
                self._handle(action)
                continue
            upcoming = sim.peek()
            if upcoming == math.inf:
                break
            due = self._real + (upcoming - self._virtual) / self.speed
            now = self.clock()
            if now >= due:
                sim.step()
                self.shown = max(self.shown, sim.now)
                self._frame()
                continue
            # the display clock never passes the next event: time must not jump back
            self.shown = max(
                self.shown, min(self._virtual + (now - self._real) * self.speed, upcoming)
            )
            self._frame()
            self._handle(self.keys.wait(min(due - now, FRAME_SECONDS)))
        self._frame(force=True)


def pace(
    sim: Simulation,
    speed: float,
    on_frame: Callable[[float], None] | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Play the run at `speed` with nobody at the keys (a pipe, `--plain`, a test)."""
    Pacer(sim, speed, NoKeys(sleep), on_frame, clock=clock).run()


# -- what the live view shows: the log, its key moments, the purchase it follows ---------------


class Highlights:
    """Which key moments are still highlighted, by the wall time (unpaused) since they showed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.first_seen: dict[int, float] = {}  # log line seq -> when it first showed
        self.lines: dict[int, LogLine] = {}

    def hot(self, lines: list[LogLine], paused_for: float) -> list[LogLine]:
        """Key moments still in their highlight window, oldest first."""
        now = self.clock() - paused_for
        for line in lines:
            if line.key and line.seq not in self.first_seen:
                self.first_seen[line.seq] = now
                self.lines[line.seq] = line
        for seq in [s for s, at in self.first_seen.items() if now - at > KEY_SECONDS]:
            del self.first_seen[seq]
            del self.lines[seq]
        return [self.lines[seq] for seq in sorted(self.first_seen)]

    def log(
        self, story: Story, paused_for: float = 0.0
    ) -> tuple[list[tuple[LogLine, bool]], int | None]:
        """The running log as a live view draws it, and the purchase to follow.

        The log is the story's last LOG_LINES lines, each marked True while it is a highlighted
        key moment, below the highlighted ones that newer lines have pushed out; the purchase
        is the latest highlighted moment's (None: the view follows the newest purchase).
        """
        recent = story.recent(LOG_LINES)
        hot = self.hot(recent, paused_for)
        hot_seqs = {line.seq for line in hot}
        oldest = recent[0].seq if recent else 0
        # key moments stay on screen even once newer lines have pushed them out of the log
        log = [(line, True) for line in hot if line.seq < oldest]
        log += [(line, line.seq in hot_seqs) for line in recent]
        focus = next((ln.purchase_id for ln in reversed(hot) if ln.purchase_id), None)
        return log, focus


class LiveSuspend:
    """Ctrl-Z's hooks for `keys_from_terminal`, which exist before the rich `Live` view they
    act on: they do nothing until `live_view` hands them that view."""

    def __init__(self) -> None:
        self._hooks: tuple[Callable[[], None], Callable[[], None]] | None = None

    def attach(self, live: Any) -> None:
        from eventlesson.ui import terminal

        self._hooks = terminal.live_suspend_hooks(live)

    def erase(self) -> None:  # before the shell takes the screen: no half frame left behind
        if self._hooks is not None:
            self._hooks[0]()

    def redraw(self) -> None:  # after `fg`: one frame, below the shell's lines
        if self._hooks is not None:
            self._hooks[1]()


@contextmanager
def live_view(
    console: Console, first: RenderableType, suspend: LiveSuspend | None = None
) -> Iterator[Live]:
    """A rich `Live` view that draws only when told to (`live.update(..., refresh=True)` on
    the flow's own frames: no thread racing the run), cropped to the screen, leaving its last
    frame in place; with `suspend`, Ctrl-Z erases it and `fg` draws it again."""
    from rich.live import Live

    with Live(
        first,
        console=console,
        auto_refresh=False,
        transient=False,
        redirect_stdout=False,
        redirect_stderr=False,
        vertical_overflow="crop",
    ) as live:
        if suspend is not None:
            suspend.attach(live)
        yield live


class LiveView:
    """Draws frames: the snapshot, the running log with its highlighted key moments."""

    def __init__(
        self, sim: Simulation, console: Console, *, inline: bool, controls: bool, leave: str = ""
    ) -> None:
        self.sim = sim
        self.console = console
        self.inline = inline
        self.leave = leave  # what q does inline ("" for the view's own words)
        self.controls = controls
        self.highlights = Highlights()
        self.pacer: Pacer | None = None
        self.size = console.size  # the size of the last frame drawn

    def resized(self) -> bool:
        """Whether the terminal changed size since the last frame."""
        return self.console.size != self.size

    def renderable(self, at: float | None = None) -> Any:
        from eventlesson.ui.render_sim import BACK, render_live

        story = self.sim.story
        assert story is not None
        paused_for = self.pacer.paused_for if self.pacer is not None else 0.0
        log, focus = self.highlights.log(story, paused_for)
        size = self.size = self.console.size
        pacer = self.pacer
        return render_live(
            self.sim.snapshot(at, focus=focus),
            width=size.width,
            height=size.height,
            speed=pacer.speed if pacer is not None else None,
            log=log,
            paused=pacer.paused if pacer is not None else False,
            controls=self.controls,
            inline=self.inline,
            leave=self.leave or BACK,
        )


def _play_live(
    sim: Simulation, console: Console, speed: float, *, inline: bool, leave: str = ""
) -> tuple[Pacer, LiveView]:
    """The rich Live view with its keys; returns how it ended (quit, interrupted, finished)."""
    console = real_console(console)
    suspend = LiveSuspend()
    with keys_from_terminal(suspend.erase, suspend.redraw) as keys:
        view = LiveView(sim, console, inline=inline, controls=keys is not None, leave=leave)
        pacer = Pacer(sim, speed, keys if keys is not None else NoKeys())
        pacer.stale = view.resized
        view.pacer = pacer
        with live_view(console, view.renderable(), suspend) as live:
            # the size is asked again for every frame, so a resized terminal gets the layout
            # for its new size (compact below 72 columns) rather than the old one squeezed in
            pacer.on_frame = lambda at: live.update(view.renderable(at), refresh=True)
            pacer.run()
    return pacer, view


def plain_printer(
    console: Console,
    *,
    words: Callable[[dict[str, Any]], str] | None = None,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> Callable[[dict[str, Any]], None]:
    """A listener that prints one `--plain` line per step that `keep` wants (by default all but
    the trace-only ones), in `words` (by default the model's): one line each into a pipe or a
    log, broken at words on a terminal (a dumb one, or a screen reader's)."""
    from eventlesson.sim.narrate import describe
    from eventlesson.sim.story import QUIET
    from eventlesson.text import clean
    from eventlesson.ui.render_sim import plain_line

    stream, terminal = console.file, console.is_terminal

    def show(record: dict[str, Any]) -> None:
        if (record["type"] in QUIET) if keep is None else not keep(record):
            return  # in the trace (--events), not in the one-line-per-step log
        width = console.width if terminal else None  # asked each time: a resize applies at once
        stream.write(clean(plain_line(record, words=words or describe, width=width)) + "\n")
        stream.flush()

    return show


def _save_svg(path: str, sim: Simulation, summary: Summary, width: int, speed: float) -> None:
    """Draw the final screen again on a recording console: the Live frames are not in it."""
    from rich.console import Console

    from eventlesson.ui.render_sim import render_live, render_summary

    recorder = Console(record=True, file=io.StringIO(), width=max(width, 40), force_terminal=True)
    log = [(line, line.key) for line in sim.story.recent(8)] if sim.story is not None else []
    recorder.print(
        render_live(sim.snapshot(), width=recorder.width, height=24, speed=speed, log=log)
    )
    recorder.print(render_summary(summary, width=recorder.width))
    try:
        recorder.save_svg(path, title=f"eventlesson simulate {summary.scenario}")
    except OSError as exc:  # a full disk, or a race with the check before the run
        raise OutputError(f"--svg {quoted_path(path)}", exc.strerror or str(exc)) from exc


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


def _build(options: SimulateOptions, observe: bool) -> tuple[Simulation, LearnerParts | None]:
    """The simulation (with the learner's parts, for --with), or one line naming the option
    whose file it cannot use."""
    learner = None
    if options.with_file is not None:  # checked in a child process first (see the flow)
        from eventlesson.flows.exercise import learner_parts

        learner = learner_parts(
            options.with_file, options.scenario, options.seed, options.purchases
        )
    try:
        sim = Simulation(
            options.scenario,
            seed=options.seed,
            purchases=options.purchases,
            db=options.db,
            observe=observe,
            **(learner.kwargs if learner is not None else {}),
        )
    except StoreError as exc:  # the core names the path; only here do we know the flag
        raise UsageError(f"--db {exc}") from exc
    if learner is not None:
        sim.add_listener(learner.restarted)  # a restarted component runs their module afresh
    return sim, learner


def _open_trace(path: str) -> IO[str]:
    """The trace file (closed by run_simulate); a failed write is one line naming --events."""
    return open_output(path, f"--events {quoted_path(path)}")


def _report_progress(sim: Simulation, err: Console) -> Callable[[], None]:
    """On a terminal's stderr, a long unpaced run says how far it got; returns the cleanup."""
    if not err.is_terminal:
        return lambda: None
    stream = err.file
    started = time.monotonic()
    shown = [False]

    def progress(arrived: int) -> None:
        if time.monotonic() - started < PROGRESS_AFTER:
            return
        share = arrived / sim.planned
        stream.write(f"\rsimulating: {arrived:,} of {sim.planned:,} purchases ({share:.0%})")
        stream.flush()
        shown[0] = True

    def done() -> None:
        if shown[0]:
            stream.write("\r\x1b[K")
            stream.flush()

    sim.on_progress(progress)
    return done


def with_comparison(sim: Simulation, summary: Summary) -> Summary:
    """A design without events is compared with the event design, on the same learners."""
    if summary.has_events or not summary.complete:
        return summary
    return dataclasses.replace(summary, compared_with=sim.compare_with_event_design())


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
    sim, learner = _build(options, observe=view == "live" or bool(options.svg))
    if learner is not None and view in ("live", "plain"):  # the summary says it again
        from eventlesson.ui.render_sim import with_file_line

        human.print(with_file_line(learner.described()))
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
            sim.add_listener(plain_printer(console))
        try:
            if view == "live" and paced:
                pacer, _ = _play_live(sim, console, options.speed, inline=False)
                if pacer.interrupted:
                    code = int(ExitCode.INTERRUPTED)
            elif paced:
                pace(sim, options.speed)
            else:
                cleanup = _report_progress(sim, app.err)
                try:
                    sim.run()
                finally:
                    cleanup()
        except KeyboardInterrupt:
            code = int(ExitCode.INTERRUPTED)
        summary = with_comparison(sim, sim.summary())
        if learner is not None:
            learner.output.finish()
            summary = dataclasses.replace(summary, with_file=learner.described())
        if json_out:
            app.emit_json(summary.to_dict())
        else:
            if not summary.complete:
                human.print("\nStopped. The summary so far:")
            from eventlesson.ui.render_sim import render_summary

            human.print(render_summary(summary, width=human.width))
            if summary.with_file is not None and summary.with_file["printed_lines"]:
                from eventlesson.ui.console import print_trimmed
                from eventlesson.ui.render_exercise import printed_output

                printed = summary.with_file
                print_trimmed(human, *printed_output(printed["printed"], printed["printed_lines"]))
        if options.svg:
            _save_svg(options.svg, sim, summary, console.width, options.speed)
    finally:
        sim.close()
        if trace_file is not None:
            trace_file.close()
    return code


def play_inline(
    console: Console,
    scenario: str,
    speed: float = DEFAULT_SPEED,
    *,
    on_end: Callable[[Simulation], None] | None = None,
    leave: str = "",
    then: str = "return to the lesson",
) -> bool:
    """Play a scenario inside the lesson; True when the learner has already left it.

    `speed`: the App's `env.sim_speed` (EVENTLESSON_SIM_SPEED), for a slower classroom demo.
    `on_end(sim)`: called once the run is over or left with `q` (not after a Ctrl-C signal),
    before the simulation is closed, so a caller can read what this run measured (the lesson
    compares a prediction with it). `leave`: what the footer says q does ("" for "back to
    the page"); `then`: what the final screen's key leads to ("Press any key to {then}.").

    On a terminal that can redraw (stdin and stdout a terminal), the run plays live with its
    keys (space, `.`/→, `+`/`-`, `q`); `q` or Ctrl-C goes straight back to the page, and a run
    that reaches its end shows a one-screen summary until a key is pressed. Returns True: the
    caller just redraws its page. Anywhere else (a pipe, TERM=dumb) it prints one line per step
    and the summary, waits for nothing and returns False: the caller pauses as it sees fit.
    A Ctrl-C outside the live view (where there is none) propagates as KeyboardInterrupt.
    """
    from eventlesson.ui.render_sim import render_compact_summary

    console = real_console(console)
    sim = Simulation(scenario, observe=True)
    speed = min(max(speed, MIN_SPEED), MAX_SPEED)
    try:
        live = console.is_terminal and not console.is_dumb_terminal
        if not live:
            sim.add_listener(plain_printer(console))
            pace(sim, speed)
            console.print(
                render_compact_summary(with_comparison(sim, sim.summary()), width=console.width)
            )
            if on_end is not None:
                on_end(sim)
            return False
        try:
            pacer, _ = _play_live(sim, console, speed, inline=True, leave=leave)
        except KeyboardInterrupt:  # a Ctrl-C that arrived as a signal: back to the page too
            console.clear()
            return True
        console.clear()
        if pacer.quit:
            if on_end is not None:
                on_end(sim)
            return True  # `q` or Ctrl-C: back to the page
        summary = with_comparison(sim, sim.summary())
        console.print(render_compact_summary(summary, width=console.width))
        _wait_for_any_key(console, then)
        if on_end is not None:
            on_end(sim)
        return True
    finally:
        sim.close()


def _wait_for_any_key(console: Console, then: str) -> None:
    """The final screen stays until a key (Ctrl-C too: it means "back", not "leave")."""
    from rich.text import Text

    from eventlesson.ui.styles import MUTED
    from eventlesson.ui.terminal import give_back, restore_screen

    console.print(Text(f"Press any key to {then}.", style=MUTED), end="")
    try:
        # Ctrl-Z: the summary and this line come back as they were after `fg`
        with keys_from_terminal(give_back, restore_screen) as keys:
            if keys is None:
                return
            while True:
                try:
                    if keys.reader.read() != "redraw":
                        return
                except (KeyboardInterrupt, Interrupted):
                    return
    finally:
        console.print()  # what follows starts on a line of its own


def run_command(
    app: App,
    options: SimulateOptions,
    *,
    list_: bool = False,
    force: bool = False,
    broker: str | None = None,
    keep_server: bool = False,
    predict: bool = False,
) -> int:
    """`eventlesson simulate` as typed: the options that do not go together first, then every
    option (the scenario, the speed, the files' places), then the files that would be
    replaced, and only then the run: the model, the real broker, or the lesson's prediction."""
    if list_:
        return list_scenarios(app.console)
    if predict:
        others = {"--fast": options.fast, "--plain": options.plain, "--events": options.events}
        others |= {"--json": options.json, "--svg": options.svg, "--db": options.db != ":memory:"}
        others |= {"--with": options.with_file, "--broker": broker, "--keep-server": keep_server}
        given = [flag for flag, value in others.items() if value]
        if given:
            raise UsageError(
                f"--predict plays the run live with the lesson's question; drop {given[0]}"
            )
        options.check()
        from eventlesson.flows.predict import run_predict

        return run_predict(app, options.scenario, options.speed)
    if keep_server and broker is None:
        raise UsageError("--keep-server goes with --broker nats")
    if options.with_file is not None and broker is not None:
        raise UsageError("--with runs your code on the model; leave out --broker")
    if broker is not None:
        from eventlesson.flows.broker import check, parse_target

        check(options, parse_target(broker), keep_server)  # options.check() and the broker's
    else:
        options.check()
    if options.with_file is None:
        return _guarded(app, options, force, broker, keep_server)
    from eventlesson.exercise.learner import LearnerFailed
    from eventlesson.flows.exercise import CodeProblem, show_problem

    try:
        return _guarded(app, options, force)
    except (CodeProblem, LearnerFailed) as stop:  # the learner's code failed: their frames only
        return show_problem(app, stop.problem)


def _guarded(
    app: App,
    options: SimulateOptions,
    force: bool,
    broker: str | None = None,
    keep_server: bool = False,
) -> int:
    """Run with the output files protected: none replaced unasked, none left half-written."""
    from eventlesson.outputs import refuse_overwrite, removed_on_failure, sqlite_failure

    kinds = {"--events": "trace", "--svg": "svg", "--db": ""}  # --db: the store checks its own
    files = options.files()
    refuse_overwrite(
        [(flag, path, kinds[flag]) for flag, path in files],
        force=force,
        protected=[app.store.path],
    )
    with removed_on_failure(files, sqlite_failure("--db", options.db)):
        if broker is not None:  # the same scenario on a real NATS server
            from eventlesson.flows.broker import run_broker

            return run_broker(app, options, broker, keep_server)
        return run_simulate(app, options)
