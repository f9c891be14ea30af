"""Pure functions from a simulation snapshot or summary to rich renderables.

Render layer: imports rich and the simulation's plain data types only. It never prints, sleeps,
reads the clock or touches the terminal; `eventlesson.flows.simulate` does that. Every status is
a word or a symbol as well as a colour, so NO_COLOR terminals and screen readers lose nothing.
Styles come from `eventlesson.ui.styles` (concrete strings, not theme names), so any Console can
render them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from eventlesson.sim.narrate import describe
from eventlesson.sim.scenarios import Scenario
from eventlesson.sim.state import Snapshot, Summary
from eventlesson.ui.styles import ACCENT, BAD, GOOD, MUTED, TITLE, WARN

NARROW = 60  # below this many columns the compact layout is used

STEP_MARK = {"done": "✓", "failed": "✗", "waiting": "…", "pending": "·", "skipped": "–"}
STEP_STYLE = {"done": GOOD, "failed": BAD, "waiting": WARN, "pending": MUTED, "skipped": MUTED}
STATUS_STYLE = {"idle": MUTED, "busy": ACCENT, "crashed": BAD, "retrying": WARN}
SHORT_STATUS = {"crashed": "down", "retrying": "retry"}
INVARIANT_WORDS = {
    "publish_only_after_commit": "events published only after their commit",
    "no_ghost_events": "no ghost events (published, never committed)",
    "no_lost_events": "no lost events (committed, never published)",
    "confirmed_at_commit": "learner confirmed at commit, not after consumers",
    "idempotent_consumers_once": "enrollment and affiliate applied each purchase once",
    "every_event_handled": "every event handled (or dead-lettered) by every consumer",
    "lags_drained": "all lags drained to zero",
    "time_never_goes_back": "virtual time never went back",
}
SHORT_INVARIANT_WORDS = {  # the compact summary's: a few words each, for 40 columns
    "publish_only_after_commit": "publish only after commit",
    "no_ghost_events": "no ghost events",
    "no_lost_events": "no lost events",
    "confirmed_at_commit": "confirmed at commit",
    "idempotent_consumers_once": "idempotent consumers once",
    "every_event_handled": "every event handled",
    "lags_drained": "lags drained",
    "time_never_goes_back": "time never goes back",
}
NEEDS_THE_END = ("every_event_handled", "lags_drained")  # only meaningful once the run is over
EIGHTHS = " ▏▎▍▌▋▊▉█"


def lag_bar(value: float, scale: float, width: int) -> str:
    """A bar of `width` cells with eighth-cell precision; the track shows as light shade."""
    if width <= 0:
        return ""
    fraction = 0.0 if scale <= 0 else min(max(value / scale, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    if value > 0 and eighths == 0:
        eighths = 1  # any lag at all is visible
    full, part = divmod(eighths, 8)
    bar = "█" * full + (EIGHTHS[part] if part else "")
    return bar + "░" * (width - len(bar))


def seconds(value: float) -> str:
    """Lags and latencies: two decimals below a minute, whole seconds above."""
    return f"{value:.2f} s" if value < 60 else f"{value:.0f} s"


def _count(label: str, value: int, bad_when_nonzero: bool = True) -> Text:
    style = BAD if value and bad_when_nonzero else ""
    return Text.assemble((label + " ", MUTED if not value else ""), (str(value), style))


def _joined(parts: Iterable[Text], sep: str = " · ") -> Text:
    out = Text()
    for i, part in enumerate(parts):
        if i:
            out.append(sep, style=MUTED)
        out.append_text(part)
    return out


def _steps_line(snapshot: Snapshot) -> Text:
    line = Text()
    if snapshot.purchase_id is None:
        return Text("Waiting for the first purchase…", style=MUTED)
    line.append(f"P{snapshot.purchase_id}: ", style=TITLE)
    for i, step in enumerate(snapshot.steps):
        if i:
            line.append(" → ", style=MUTED)
        style = STEP_STYLE.get(step.state, "")
        line.append(step.name, style=style)
        line.append(" " + STEP_MARK.get(step.state, "?"), style=style)
        detail = step.detail if step.name not in ("command",) else ""
        if step.state == "failed" and not detail:
            detail = "failed"
        if detail:
            line.append(f" {detail}", style=style)
    return line


def _header(snapshot: Snapshot, speed: float | None, narrow: bool) -> Text:
    sep = " · " if narrow else "   "
    parts = [
        Text(
            f"t = {snapshot.clock:.2f} s" if narrow else f"t = {snapshot.clock:6.2f} s",
            style=TITLE,
        )
    ]
    if speed is not None:
        parts.append(Text(f"{speed:g}×" if narrow else f"speed {speed:g}×"))
    parts.append(Text(f"purchase {snapshot.purchases}/{snapshot.planned}"))
    if not narrow:
        parts.append(Text(f"committed {snapshot.committed}"))
    if snapshot.done:
        parts.append(Text("finished", style=GOOD))
    return _joined(parts, sep)


def _consumer_table(snapshot: Snapshot, narrow: bool) -> Table:
    # one space between columns and none at the edges: the 40-column layout needs every cell
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("Consumer", no_wrap=True, overflow="ellipsis")
    table.add_column("Status", no_wrap=True)
    table.add_column("Done", justify="right", no_wrap=True)
    if narrow:
        table.add_column("Lag", justify="right", no_wrap=True)
    else:
        table.add_column("Skipped", justify="right", no_wrap=True)
        table.add_column("Lag ev", justify="right", no_wrap=True)
        table.add_column("Lag s", justify="right", no_wrap=True)
    if not narrow:  # at 40 columns the numbers stay and the bar goes
        table.add_column("", no_wrap=True)
    scale = max(snapshot.peak_lag_seconds, 1.0)
    for c in snapshot.consumers:
        status = Text(
            SHORT_STATUS.get(c.status, c.status) if narrow else c.status,
            style=STATUS_STYLE.get(c.status, ""),
        )
        if narrow:
            table.add_row(
                c.name,
                status,
                str(c.handled),
                f"{c.lag_events} ev {c.lag_seconds:.1f}s",
            )
        else:
            table.add_row(
                c.name + (" ⟲" if c.idempotent else ""),
                status,
                str(c.handled),
                str(c.skipped) if c.idempotent else "-",
                str(c.lag_events),
                f"{c.lag_seconds:.2f}",
                lag_bar(c.lag_seconds, scale, 10),
            )
    return table


def _fault_counts(ghost: int, lost: int, duplicates: int, dead_letters: int) -> list[Text]:
    """The things that go wrong, counted the same way live and in the summary."""
    parts = [
        _count("ghost events", ghost),
        _count("lost events", lost),
        _count("duplicate effects", duplicates),
    ]
    if dead_letters:
        parts.append(_count("dead letters", dead_letters))
    return parts


def _counters(snapshot: Snapshot) -> Text:
    parts = _fault_counts(
        snapshot.ghost_events,
        snapshot.lost_events,
        snapshot.duplicate_effects,
        snapshot.dead_letters,
    )
    if snapshot.commit_failed:
        parts.append(_count("failed commits", snapshot.commit_failed, bad_when_nonzero=False))
    return _joined(parts)


def _infrastructure(snapshot: Snapshot) -> Text | None:
    parts = []
    if snapshot.outbox_backlog is not None:
        parts.append(Text(f"outbox backlog {snapshot.outbox_backlog}"))
        parts.append(
            Text("broker up", style=GOOD) if snapshot.broker_up else Text("broker DOWN", style=BAD)
        )
    if snapshot.service_status == "crashed":
        parts.append(Text("purchase service CRASHED, restarting", style=BAD))
    return _joined(parts) if parts else None


def render_live(
    snapshot: Snapshot, *, width: int = 80, speed: float | None = None
) -> RenderableType:
    """The live screen: clock, the current purchase's steps, consumers, counters, last step."""
    narrow = width < NARROW
    rows: list[RenderableType] = [_header(snapshot, speed, narrow), _steps_line(snapshot)]
    rows.append(_consumer_table(snapshot, narrow))
    rows.append(_counters(snapshot))
    infra = _infrastructure(snapshot)
    if infra is not None:
        rows.append(infra)
    rows.append(Text.assemble(("What just happened: ", TITLE), snapshot.what))
    title = f"simulate · {snapshot.scenario}"
    if narrow:
        return Group(Text(title, style=TITLE), *rows)
    legend = "⟲ idempotent by event id · lag: events behind, age of oldest"
    return Panel(Group(*rows), title=title, title_align="left", subtitle=legend, box=box.ROUNDED)


def _latency(values: dict[str, float]) -> str:
    return f"p50 {seconds(values['p50'])}, max {seconds(values['max'])}"


def _count_of(summary: Summary) -> str:
    """How many learners asked; "n of m" when the run stopped before all of them came."""
    if summary.complete:
        return str(summary.purchases)
    return f"{summary.purchases} of {summary.planned}"


def _stopped(summary: Summary) -> Text:
    return Text(
        f"Stopped early at t = {summary.virtual_seconds:.2f} s: figures so far.", style=WARN
    )


def _confirmed(summary: Summary, label: str) -> Text:
    """Confirmation latency; for sync-chain, the event design's beside it."""
    confirm = Text(label + _latency(summary.confirm_latency))
    if summary.compared_with is not None:
        base = summary.compared_with
        confirm.append(f" (with events, {base['scenario']}: {_latency(base['confirm_latency'])})")
    return confirm


def _open(summary: Summary, name: str) -> bool:
    """An end-of-run check a stopped run could not make yet."""
    return not summary.complete and name in NEEDS_THE_END


def render_summary(summary: Summary, *, width: int = 80) -> RenderableType:
    """The end screen: lags p50/p95/max, confirmation latency, invariants and the takeaway."""
    narrow = width < NARROW
    rows: list[RenderableType] = []
    head = Text(f"Summary · {summary.scenario}", style=TITLE)
    head.append(f"  (seed {summary.seed}, {_count_of(summary)} purchases)", style=MUTED)
    rows.append(head)
    if not summary.complete:
        rows.append(_stopped(summary))
    rows.append(
        Text(
            f"committed {summary.committed}/{summary.purchases} · "
            f"published {summary.published} · failed commits {summary.commit_failed}"
        )
    )
    rows.append(_confirmed(summary, "Learner confirmed: "))
    counters = _fault_counts(
        summary.ghost_events, summary.lost_events, summary.duplicate_effects, summary.dead_letters
    )
    rows.append(_joined(counters))

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("Consumer", no_wrap=True, overflow="ellipsis")
    if not narrow:  # at 40 columns the lags stay and the handled count goes (see the JSON)
        table.add_column("Done", justify="right", no_wrap=True)
    table.add_column("Ev" if narrow else "Events max", justify="right", no_wrap=True)
    table.add_column("p50", justify="right", no_wrap=True)
    table.add_column("p95", justify="right", no_wrap=True)
    table.add_column("max", justify="right", no_wrap=True)
    for name, c in summary.consumers.items():
        fmt = (lambda v: f"{v:.1f}") if narrow else (lambda v: f"{v:.2f} s")
        row = [name] if narrow else [name, str(c.handled)]
        row.append(str(c.lag_events_max))
        row += [fmt(c.lag_seconds_p50), fmt(c.lag_seconds_p95), fmt(c.lag_seconds_max)]
        table.add_row(*row)
    title = (
        "Lag (events behind, seconds):" if narrow else "Lag per consumer (events behind, seconds):"
    )
    rows.append(Text(title, style=TITLE))
    rows.append(table)

    rows.append(Text("Invariants:", style=TITLE))
    checks = Table.grid(padding=(0, 1))  # a grid, so long lines wrap under their own text
    checks.add_column(no_wrap=True)
    checks.add_column()
    for name, ok in summary.invariants.items():
        words = Text(INVARIANT_WORDS.get(name, name))
        if not ok and name in summary.expected_broken:
            words.append(" - what this scenario shows", style=MUTED)
        mark = Text("✓ holds " if ok else "✗ BROKEN", style=GOOD if ok else BAD)
        if not ok and _open(summary, name):
            mark = Text("- open  ", style=MUTED)
            words.append(" (not checked: stopped early)", style=MUTED)
        checks.add_row(mark, words)
    rows.append(checks)
    rows.append(
        Panel(Text(summary.takeaway), title="Takeaway", title_align="left", box=box.ROUNDED)
    )
    return Group(*rows)


def render_compact_summary(summary: Summary, *, width: int = 80) -> RenderableType:
    """The end of an inline run in the lesson: the key numbers on one screen, no scrolling.

    At most 18 rows at 80 columns and 20 at 40: the lesson pager's alternate screen has no
    scrollback, so what does not fit is never seen. `render_summary` is the full version.
    """
    narrow = width < NARROW
    rows: list[RenderableType] = []
    head = Text(f"Summary · {summary.scenario}", style=TITLE)
    if not narrow:  # narrow: "committed 11/15" below says how many asked
        head.append(f" · {_count_of(summary)} purchases", style=MUTED)
    rows.append(head)
    if not summary.complete:
        rows.append(_stopped(summary))
    done = Text(
        f"committed {summary.committed}/{summary.purchases} · published {summary.published}"
    )
    confirmed = _confirmed(summary, "confirmed ")
    if narrow:
        rows += [done, confirmed]
    else:
        rows.append(_joined([done, confirmed]))
    if narrow:
        counters = [
            _count("ghost", summary.ghost_events),
            _count("lost", summary.lost_events),
            _count("duplicates", summary.duplicate_effects),
        ]
        if summary.dead_letters:
            counters.append(_count("dead", summary.dead_letters))
    else:
        counters = _fault_counts(
            summary.ghost_events,
            summary.lost_events,
            summary.duplicate_effects,
            summary.dead_letters,
        )
    rows.append(_joined(counters))
    rows.append(_max_lags(summary, narrow))

    broken = [
        name for name, ok in summary.invariants.items() if not ok and not _open(summary, name)
    ]
    if not broken:
        rows.append(Text("✓ all invariants hold", style=GOOD))
    else:
        if not all(name in summary.expected_broken for name in broken):
            label = "✗ BROKEN: "
        else:
            label = "✗ broken, as shown: " if narrow else "✗ broken, as this scenario shows: "
        line = Text(label, style=BAD)
        line.append(", ".join(SHORT_INVARIANT_WORDS.get(name, name) for name in broken))
        rows.append(line)
    if any(_open(summary, name) for name in summary.invariants):
        rows.append(Text("end-of-run checks open: stopped early", style=MUTED))
    rows.append(Text.assemble(("Takeaway: ", TITLE), summary.takeaway))
    return Group(*rows)


def _max_lags(summary: Summary, narrow: bool) -> Table:
    """Each consumer's worst lag, in events behind and in seconds: one row each when narrow,
    one column each when wide."""
    table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    consumers = summary.consumers
    if narrow:
        table.add_column("Max lag", style=TITLE, no_wrap=True, overflow="ellipsis")
        table.add_column("events", justify="right", no_wrap=True)
        table.add_column("seconds", justify="right", no_wrap=True)
        for name, c in consumers.items():
            table.add_row(name, str(c.lag_events_max), seconds(c.lag_seconds_max))
        return table
    table.add_column("Max lag", style=TITLE, no_wrap=True)
    for name in consumers:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_row("events behind", *(str(c.lag_events_max) for c in consumers.values()))
    table.add_row("seconds", *(seconds(c.lag_seconds_max) for c in consumers.values()))
    return table


def render_scenarios(scenarios: Iterable[Scenario], *, width: int = 80) -> RenderableType:
    """The `--list` table: each scenario's name and its one line."""
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        show_header=width >= NARROW,
    )
    table.add_column("Scenario", no_wrap=True, style=TITLE)
    table.add_column("What it shows", overflow="fold")
    for scenario in scenarios:
        table.add_row(scenario.name, scenario.summary)
    return table


def plain_line(record: dict[str, Any]) -> str:
    """One `--plain` line: virtual time, record type, plain words."""
    return f"{record['t']:9.3f}s  {record['type']:<17} {describe(record)}"
