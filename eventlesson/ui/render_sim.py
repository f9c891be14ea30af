"""Pure functions from a simulation snapshot or summary to rich renderables.

Render layer: imports rich and the simulation's plain data types only. It never prints, sleeps,
reads the clock or touches the terminal; `eventlesson.flows.simulate` does that. Every status is
a word or a symbol as well as a colour, so NO_COLOR terminals and screen readers lose nothing.
Styles are spelled out (not theme names), so any Console can render them.
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

NARROW = 60  # below this many columns the compact layout is used

STEP_MARK = {"done": "✓", "failed": "✗", "waiting": "…", "pending": "·", "skipped": "–"}
STEP_STYLE = {
    "done": "bold green",
    "failed": "bold red",
    "waiting": "yellow",
    "pending": "dim",
    "skipped": "dim",
}
STATUS_STYLE = {"idle": "dim", "busy": "cyan", "crashed": "bold red", "retrying": "yellow"}
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
    style = "bold red" if value and bad_when_nonzero else ""
    return Text.assemble((label + " ", "dim" if not value else ""), (str(value), style))


def _joined(parts: Iterable[Text], sep: str = " · ") -> Text:
    out = Text()
    for i, part in enumerate(parts):
        if i:
            out.append(sep, style="dim")
        out.append_text(part)
    return out


def _steps_line(snapshot: Snapshot) -> Text:
    line = Text()
    if snapshot.purchase_id is None:
        return Text("Waiting for the first purchase…", style="dim")
    line.append(f"P{snapshot.purchase_id}: ", style="bold")
    for i, step in enumerate(snapshot.steps):
        if i:
            line.append(" → ", style="dim")
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
            style="bold",
        )
    ]
    if speed is not None:
        parts.append(Text(f"{speed:g}×" if narrow else f"speed {speed:g}×"))
    parts.append(Text(f"purchase {snapshot.commands}/{snapshot.purchases}"))
    if not narrow:
        parts.append(Text(f"committed {snapshot.committed}"))
    if snapshot.done:
        parts.append(Text("finished", style="bold green"))
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
                f"{c.lag_events} {c.lag_seconds:.1f}s",
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
            Text("broker up", style="green")
            if snapshot.broker_up
            else Text("broker DOWN", style="bold red")
        )
    if snapshot.service_status == "crashed":
        parts.append(Text("purchase service CRASHED, restarting", style="bold red"))
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
    rows.append(Text.assemble(("What just happened: ", "bold"), snapshot.what))
    title = f"simulate · {snapshot.scenario}"
    if narrow:
        return Group(Text(title, style="bold"), *rows)
    legend = "⟲ idempotent by event id · lag: events behind, age of oldest"
    return Panel(Group(*rows), title=title, title_align="left", subtitle=legend, box=box.ROUNDED)


def _latency(values: dict[str, float]) -> str:
    return f"p50 {seconds(values['p50'])}, max {seconds(values['max'])}"


def render_summary(summary: Summary, *, width: int = 80) -> RenderableType:
    """The end screen: lags p50/p95/max, confirmation latency, invariants and the takeaway."""
    narrow = width < NARROW
    rows: list[RenderableType] = []
    head = Text(f"Summary · {summary.scenario}", style="bold")
    count = (
        f"{summary.purchases}" if summary.complete else f"{summary.purchases} of {summary.planned}"
    )
    head.append(f"  (seed {summary.seed}, {count} purchases)", style="dim")
    rows.append(head)
    if not summary.complete:
        rows.append(
            Text(
                f"Stopped early at t = {summary.virtual_seconds:.2f} s: figures so far.",
                style="yellow",
            )
        )
    rows.append(
        Text(
            f"committed {summary.committed}/{summary.purchases} · "
            f"published {summary.published} · failed commits {summary.commit_failed}"
        )
    )
    confirm = Text("Learner confirmed: " + _latency(summary.confirm_latency))
    if summary.compared_with is not None:
        base = summary.compared_with
        confirm.append(f" (with events, {base['scenario']}: {_latency(base['confirm_latency'])})")
    rows.append(confirm)
    counters = _fault_counts(
        summary.ghost_events, summary.lost_events, summary.duplicate_effects, summary.dead_letters
    )
    rows.append(_joined(counters))

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("Consumer", no_wrap=True, overflow="ellipsis")
    table.add_column("Done", justify="right", no_wrap=True)
    if not narrow:
        table.add_column("Lag ev max", justify="right", no_wrap=True)
    table.add_column("p50", justify="right", no_wrap=True)
    table.add_column("p95", justify="right", no_wrap=True)
    table.add_column("max", justify="right", no_wrap=True)
    for name, c in summary.consumers.items():
        fmt = (lambda v: f"{v:.1f}") if narrow else (lambda v: f"{v:.2f} s")
        row = [name, str(c.handled)]
        if not narrow:
            row.append(str(c.lag_events_max))
        row += [fmt(c.lag_seconds_p50), fmt(c.lag_seconds_p95), fmt(c.lag_seconds_max)]
        table.add_row(*row)
    rows.append(Text("Lag in seconds per consumer:", style="bold"))
    rows.append(table)

    rows.append(Text("Invariants:", style="bold"))
    checks = Table.grid(padding=(0, 1))  # a grid, so long lines wrap under their own text
    checks.add_column(no_wrap=True)
    checks.add_column()
    for name, ok in summary.invariants.items():
        words = Text(INVARIANT_WORDS.get(name, name))
        if not ok and name in summary.expected_broken:
            words.append(" - what this scenario shows", style="dim")
        mark = Text("✓ holds " if ok else "✗ BROKEN", style="green" if ok else "bold red")
        if not ok and not summary.complete and name in NEEDS_THE_END:
            mark = Text("- open  ", style="dim")
            words.append(" (not checked: stopped early)", style="dim")
        checks.add_row(mark, words)
    rows.append(checks)
    rows.append(
        Panel(Text(summary.takeaway), title="Takeaway", title_align="left", box=box.ROUNDED)
    )
    return Group(*rows)


def render_scenarios(scenarios: Iterable[Scenario], *, width: int = 80) -> RenderableType:
    """The `--list` table: each scenario's name and its one line."""
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        show_header=width >= NARROW,
    )
    table.add_column("Scenario", no_wrap=True, style="bold")
    table.add_column("What it shows", overflow="fold")
    for scenario in scenarios:
        table.add_row(scenario.name, scenario.summary)
    return table


def plain_line(record: dict[str, Any]) -> str:
    """One `--plain` line: virtual time, record type, plain words."""
    return f"{record['t']:9.3f}s  {record['type']:<17} {describe(record)}"
