"""Pure functions from a simulation snapshot, log or summary to rich renderables.

Render layer: imports rich and the simulation's plain data types only. It never prints, sleeps,
reads the clock or touches the terminal; `eventlesson.flows.simulate` does that and tells these
functions what to show (which log lines, which of them are highlighted, paused or not). Every
status is a word or a symbol as well as a colour, so NO_COLOR terminals and screen readers lose
nothing. Styles come from `eventlesson.ui.styles`, so any Console can render them.

Two layouts: the wide one (a panel, a consumer table with offsets and lag bars) from WIDE
columns up, and a compact one below, down to 40 columns. Both fit the height they are given:
the running log takes the rows the rest leaves.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from eventlesson.sim.invariants import EVENT_INVARIANTS, INTERNAL, NEEDS_THE_END
from eventlesson.sim.narrate import describe
from eventlesson.sim.scenarios import CONSUMERS, Scenario
from eventlesson.sim.state import Snapshot, Summary
from eventlesson.sim.story import LogLine
from eventlesson.text import clean, hanging
from eventlesson.ui.styles import ACCENT, BAD, GOOD, KEY, MUTED, STRONG, TITLE, WARN

WIDE = 72  # from this many columns the wide layout fits without cutting a column
NARROW = 60  # summaries: below this many columns the short forms are used
MIN_LOG_LINES = 2

STEP_MARK = {"done": "✓", "failed": "✗", "waiting": "…", "pending": "·", "skipped": "–"}
STEP_STYLE = {"done": GOOD, "failed": BAD, "waiting": WARN, "pending": MUTED, "skipped": MUTED}
STATUS_STYLE = {
    "idle": MUTED,
    "busy": ACCENT,
    "crashed": BAD,
    "retrying": WARN,
    "down": BAD,
    "waiting": WARN,
}
SHORT_STATUS = {"crashed": "down", "retrying": "retry", "waiting": "wait"}
IDEMPOTENT = {spec.name for spec in CONSUMERS if spec.idempotent}
REFRESHES = {spec.name for spec in CONSUMERS if spec.refresh}
INVARIANT_WORDS = {
    "publish_only_after_commit": "events published only after their commit",
    "no_ghost_events": "no ghost events (published, never committed)",
    "no_lost_events": "no lost events (committed, never published)",
    "confirmed_at_commit": "learner confirmed at the commit, not after the consumers",
    "every_event_handled": "every event handled (or dead-lettered) by every consumer",
    "lags_drained": "every consumer's committed offset reached the log end",
    "idempotent_consumers_once": "the idempotent consumers applied each purchase once",
    "time_never_goes_back": "virtual time never went back",
}
SHORT_INVARIANT_WORDS = {  # the compact summary's: a few words each, for 40 columns
    "publish_only_after_commit": "publish only after commit",
    "no_ghost_events": "no ghost events",
    "no_lost_events": "no lost events",
    "confirmed_at_commit": "confirmed at commit",
    "every_event_handled": "every event handled",
    "lags_drained": "lags drained",
}
EIGHTHS = " ▏▎▍▌▋▊▉█"
NICE_SCALES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def _effect_consumer(name: str) -> str | None:
    """ "email" for "no_effect_applied_twice.email"; None for the other invariants."""
    prefix, _, consumer = name.partition(".")
    return consumer if prefix == "no_effect_applied_twice" and consumer else None


def invariant_words(name: str, short: bool = False) -> str:
    """What an invariant says, in words a learner reads."""
    consumer = _effect_consumer(name)
    if consumer is not None:
        if short:
            return f"{consumer} effect once"
        how = (
            "idempotent: a refresh"
            if consumer in REFRESHES
            else "idempotent by event id"
            if consumer in IDEMPOTENT
            else "not idempotent"
        )
        return f"{consumer} applied each effect once ({how})"
    table = SHORT_INVARIANT_WORDS if short else INVARIANT_WORDS
    return table.get(name, name.replace("_", " "))


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


def nice_scale(peak: float) -> float:
    """The bars' full scale: the smallest round number of seconds at or above the peak lag."""
    for value in NICE_SCALES:
        if peak <= value:
            return float(value)
    return float(10 ** math.ceil(math.log10(peak)))


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


_MEASURE: list[Console] = []  # one console, made on first use, only to wrap texts with


def _rows(text: Text, width: int) -> int:
    """Rows a text takes wrapped at `width`, as rich wraps it (an estimate that erred high
    took the log's last rows on a short screen, and cut its key moments)."""
    if not _MEASURE:
        _MEASURE.append(Console(file=io.StringIO(), width=200, color_system=None))
    return len(text.wrap(_MEASURE[0], max(width, 1)))


# -- the live view ---------------------------------------------------------------------------


def _steps_line(snapshot: Snapshot, narrow: bool) -> Text:
    """The followed purchase's sequence: each step's state, and the time it happened."""
    if snapshot.purchase_id is None:
        return Text("Waiting for the first purchase…", style=MUTED)
    line = Text(f"P{snapshot.purchase_id}: ", style=TITLE)
    steps = [step for step in snapshot.steps if step.name != "command"]
    for i, step in enumerate(steps):
        if i:
            line.append(" → ", style=MUTED)
        style = STEP_STYLE.get(step.state, "")
        line.append(step.name, style=style)
        line.append(" " + STEP_MARK.get(step.state, "?"), style=style)
        if step.at is not None:
            line.append(f" {step.at:.2f}" if narrow else f" {step.at:.2f} s", style=style)
        detail = step.detail
        if step.state == "failed" and not detail:
            detail = "failed"
        if detail and not detail.startswith(("offset", "+")):
            line.append(f" {detail}", style=style)
    return line


def _header(snapshot: Snapshot, speed: float | None, paused: bool, narrow: bool) -> Text:
    parts = [Text(f"t = {snapshot.clock:.2f} s", style=TITLE)]
    if snapshot.done:
        parts.append(Text("finished", style=GOOD))
    elif paused:
        parts.append(Text("PAUSED", style=WARN))
    elif speed is not None:
        parts.append(Text(f"{speed:g}×" if narrow else f"speed {speed:g}×"))
    parts.append(Text(f"purchase {snapshot.purchases}/{snapshot.planned}"))
    if not narrow:
        parts.append(Text(f"committed {snapshot.committed}"))
        if snapshot.log_end is not None:
            parts.append(Text(f"published {snapshot.published}"))
    return _joined(parts)


def _broker_line(snapshot: Snapshot, narrow: bool) -> Text:
    """Lag as the broker sees it: the log's end, and the furthest-behind consumer's sum."""
    if snapshot.log_end is None:
        return Text("No broker: the service calls each consumer in turn and waits.", style=MUTED)
    behind = max(snapshot.consumers, key=lambda c: c.lag_events, default=None)
    line = Text.assemble(
        ("log end " if narrow else "Broker log end ", MUTED), (str(snapshot.log_end), TITLE)
    )
    if behind is not None and behind.offset is not None:
        line.append(" · " if narrow else " · lag = log end − offset: ", style=MUTED)
        line.append(
            f"{behind.name} {snapshot.log_end} − {behind.offset} = {behind.lag_events}",
            style=WARN if behind.lag_events else "",
        )
    return line


def _consumer_table(snapshot: Snapshot, narrow: bool, width: int) -> Table:
    # one space between columns and none at the edges: the 40-column layout needs every cell
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("Consumer", no_wrap=True, overflow="ellipsis")
    table.add_column("St" if narrow else "Status", no_wrap=True)
    scale = nice_scale(max(snapshot.peak_lag_seconds, 1.0))
    has_log = snapshot.log_end is not None
    if narrow:  # short headings: a heading wider than its numbers would squeeze the names
        table.add_column("Done", justify="right", no_wrap=True)
        table.add_column("Ev", justify="right", no_wrap=True)
        table.add_column("Sec", justify="right", no_wrap=True)
    else:
        table.add_column("Done", justify="right", no_wrap=True)
        table.add_column("Skip", justify="right", no_wrap=True)
        table.add_column("Offset", justify="right", no_wrap=True)
        table.add_column("Lag ev", justify="right", no_wrap=True)
        table.add_column("Lag s", justify="right", no_wrap=True)
        bar = max(8, min(30, width - 64))
        table.add_column(f"0–{scale:g} s".ljust(bar), no_wrap=True)
    for c in snapshot.consumers:
        status = Text(
            SHORT_STATUS.get(c.status, c.status) if narrow else c.status,
            style=STATUS_STYLE.get(c.status, ""),
        )
        # the wide table's Skip column already says who is idempotent ("-": not)
        name = c.name + (" ⟲" if c.idempotent and narrow else "")
        if narrow:
            table.add_row(name, status, str(c.handled), str(c.lag_events), f"{c.lag_seconds:.1f}")
        else:
            table.add_row(
                name,
                status,
                str(c.handled),
                str(c.skipped) if c.idempotent else "-",
                str(c.offset) if has_log and c.offset is not None else "-",
                str(c.lag_events),
                f"{c.lag_seconds:.2f}",
                lag_bar(c.lag_seconds, scale, bar),
            )
    return table


def _legend(snapshot: Snapshot, narrow: bool) -> Text:
    """What each column means, and what "-" stands for."""
    if narrow:
        if snapshot.log_end is None:
            text = "Ev: calls waiting · Sec: age of the oldest · ⟲ idempotent"
        else:
            text = "Ev = log end − offset · Sec: age of the oldest · ⟲ idempotent"
    elif snapshot.log_end is None:
        text = (
            "Skip: repeats that changed nothing (- not idempotent) · Offset -: no broker here · "
            "Lag ev: calls waiting · Lag s: age of the oldest call"
        )
    else:
        text = (
            "Skip: repeats that changed nothing (- not idempotent) · Lag ev = log end − Offset · "
            "Lag s: age of the oldest unhandled event"
        )
    return Text(text, style=MUTED)


def _fault_counts(
    ghost: int, lost: int, duplicates: int, dead_letters: int, *, short: str | None = None
) -> list[Text]:
    """The things that go wrong, counted the same way live and in the summary; `short`: the
    narrow layout's one-word labels, with this word for the duplicates."""
    labels = (
        ("ghost", "lost", short, "dead")
        if short
        else ("ghost events", "lost events", "duplicate effects", "dead letters")
    )
    parts = [_count(labels[0], ghost), _count(labels[1], lost), _count(labels[2], duplicates)]
    if dead_letters:
        parts.append(_count(labels[3], dead_letters))
    return parts


def _counters(snapshot: Snapshot, narrow: bool) -> Text:
    parts = _fault_counts(
        snapshot.ghost_events,
        snapshot.lost_events,
        snapshot.duplicate_effects,
        snapshot.dead_letters,
        short="dup" if narrow else None,
    )
    if not narrow:
        if snapshot.commit_failed:
            parts.append(_count("failed commits", snapshot.commit_failed, bad_when_nonzero=False))
        if snapshot.repeats:
            parts.append(_count("repeats", snapshot.repeats, bad_when_nonzero=False))
    return _joined(parts)


def _infrastructure(snapshot: Snapshot) -> Text | None:
    parts = []
    if snapshot.outbox_backlog is not None:
        parts.append(Text(f"outbox backlog {snapshot.outbox_backlog}"))
    if snapshot.log_end is not None and (
        snapshot.outbox_backlog is not None or not snapshot.broker_up
    ):
        parts.append(
            Text("broker up", style=GOOD) if snapshot.broker_up else Text("broker DOWN", style=BAD)
        )
    if snapshot.service_status == "crashed":
        parts.append(Text("purchase service CRASHED, restarting", style=BAD))
    elif snapshot.service_status == "retrying":
        parts.append(Text("purchase service retrying a publish; learners queue", style=WARN))
    return _joined(parts) if parts else None


def _log_line(
    line: LogLine, highlighted: bool, width: int, narrow: bool, rows: int | None = None
) -> list[Text]:
    """One log line as rows: one, cut to the width; a highlighted one (a key moment) may take
    more, broken at words, so its words stay readable: a second row in the wide layout, up to
    three in the narrow one (`rows` caps it; what still does not fit is cut). In the wide layout
    the second row starts under the words of the first when there is room for it there."""
    rows = rows if rows is not None else (3 if narrow else 2)
    stamp = f"{line.t:7.2f}" if narrow else f"{line.t:8.2f} s"
    text = Text()
    if highlighted:
        text.append("! ", style=BAD)
        text.append(stamp, style=BAD)
        text.append("  " + line.text, style=BAD)
    else:
        text.append("  ")
        text.append(stamp, style=MUTED)
        text.append("  " + line.text)
    out = [text]
    while highlighted and len(out) < rows and out[-1].cell_len > width:
        last = out.pop()
        cut = last.plain.rfind(" ", 0, width + 1)  # a word break, if there is one late enough
        cut = cut if cut > width // 2 else width
        rest = last[cut + 1 if last.plain[cut : cut + 1] == " " else cut :]
        if not narrow:
            words_start = len(f"! {stamp}  ")
            indent = words_start if rest.cell_len <= width - words_start else 2
            rest = Text(" " * indent) + rest
        out += [last[:cut], rest]
    for row in out:
        row.no_wrap = True
        if row.cell_len > width:
            row.truncate(width - 1)
            row.append("…")
    return out


def fit_log(log: list[tuple[LogLine, bool]], room: int) -> list[tuple[LogLine, bool]]:
    """The newest `room` lines, except that highlighted ones pushed out by newer lines take the
    place of the oldest plain ones: a key moment stays in view while it is highlighted."""
    if len(log) <= room:
        return log
    window = log[-room:]
    kept = [item for item in log[:-room] if item[1]][-room:]
    drop = len(kept)
    out = []
    for item in window:
        if drop and not item[1]:
            drop -= 1
            continue
        out.append(item)
    return (kept + out)[-room:]


BACK = "back to the page"  # what q does in a run played inside the lesson


def footer_keys(paused: bool, inline: bool, leave: str = BACK) -> list[tuple[str, str]]:
    """The keys the live view answers to, as (key, action) pairs; `leave`: what q does in a
    run played inline (inside the lesson, or before a prediction's comparison)."""
    keys = [("space", "resume" if paused else "pause")]
    if paused:
        keys.append((". →", "step"))
    keys += [("+ -", "speed"), ("q", leave if inline else "quit")]
    return keys


def keys_line(keys: Sequence[tuple[str, str]], narrow: bool = False) -> Text:
    """A footer of (key, action) pairs: `space pause · q quit`, single spaces when `narrow`."""
    out = Text()
    for i, (key, action) in enumerate(keys):
        if i:
            out.append(" " if narrow else " · ", style=MUTED)
        out.append(key, style=KEY)
        out.append(f" {action}", style=MUTED)
    return out


def _footer(
    paused: bool,
    inline: bool,
    narrow: bool,
    keys: Sequence[tuple[str, str]] | None = None,
    leave: str = BACK,
) -> Text:
    return keys_line(keys if keys is not None else footer_keys(paused, inline, leave), narrow)


def render_live(
    snapshot: Snapshot,
    *,
    width: int = 80,
    height: int = 24,
    speed: float | None = None,
    log: Sequence[tuple[LogLine, bool]] = (),
    paused: bool = False,
    controls: bool = False,
    inline: bool = False,
    keys: Sequence[tuple[str, str]] | None = None,
    title: str | None = None,
    leave: str = BACK,
) -> RenderableType:
    """The live screen at `width` x at most `height`: clock, the followed purchase's steps with
    their times, what its learner was told, the broker's log end and each consumer's offset and
    lag, the counters, a legend, the running log (`log`: lines and whether each is highlighted)
    and, with `controls`, the keys (`keys`: another view's own, such as a classroom learner's;
    `inline`: q leaves the run, to do `leave`)."""
    narrow = width < WIDE
    inner = width if narrow else width - 4  # the panel's border and padding
    top: list[Text] = [
        _header(snapshot, speed, paused, narrow),
        _steps_line(snapshot, narrow),
    ]
    if snapshot.learner:
        top.append(Text.assemble(("Learner: ", TITLE), snapshot.learner))
    top.append(_broker_line(snapshot, narrow))
    table = _consumer_table(snapshot, narrow, width)
    bottom: list[Text] = [_counters(snapshot, narrow)]
    infra = _infrastructure(snapshot)
    if infra is not None:
        bottom.append(infra)
    bottom.append(_legend(snapshot, narrow))
    footer = _footer(paused, inline, narrow, keys, leave) if controls else None
    title = title or f"simulate · {snapshot.scenario}"

    used = sum(_rows(t, inner) for t in top + bottom) + len(snapshot.consumers) + 2
    used += 1 if narrow else 2  # the title line, or the panel's two borders
    if narrow and footer is not None:
        used += _rows(footer, inner)
    room = height - 1 - used
    if room < MIN_LOG_LINES:  # a short screen: the cursor's row too, then at least one line
        room = max(height - used, 1)
    lines = fit_log(list(log), room)
    drawn = [_log_line(line, hot, inner, narrow) for line, hot in lines]
    while len(lines) > 1 and sum(len(rows) for rows in drawn) > room:
        # a highlighted line may take two rows: the oldest plain line makes room
        plain = [i for i, (_, hot) in enumerate(lines) if not hot]
        gone = plain[0] if plain else 0
        del lines[gone], drawn[gone]
    if sum(len(rows) for rows in drawn) > room and any(hot for _, hot in lines):
        # a short screen: the key moment's words matter more than the legend's reminder
        room += _rows(bottom.pop(), inner)
    if sum(len(rows) for rows in drawn) > room:  # one key moment, one row left: cut it there
        drawn = [_log_line(line, hot, inner, narrow, rows=1) for line, hot in lines]
    log_rows: list[Text] = [row for rows in drawn for row in rows]
    if not log_rows:
        log_rows = [Text(snapshot.what, style=MUTED, no_wrap=True, overflow="ellipsis")]
    rows: list[RenderableType] = [*top, table, *bottom, *log_rows]
    if narrow:
        head = Text(title, style=TITLE)
        if footer is not None:
            return Group(head, *rows, footer)
        return Group(head, *rows)
    return Panel(
        Group(*rows),
        title=title,
        title_align="left",
        subtitle=footer,
        subtitle_align="left",
        box=box.ROUNDED,
    )


# -- the summaries ----------------------------------------------------------------------------


def _latency(values: dict[str, float]) -> str:
    return f"p50 {seconds(values['p50'])}, max {seconds(values['max'])}"


def _part_words(function: str) -> str:
    """What a learner's function stands in for, in words."""
    if function == "complete_purchase":
        return "the purchase service's step (complete_purchase)"
    if function == "relay":
        return "the outbox relay (relay)"
    consumer = function.removeprefix("handle_")
    return f"{consumer}'s handler ({function})"


def with_file_line(described: Mapping[str, Any]) -> Text:
    """`simulate --with FILE`: one line saying whose code ran in place of which parts."""
    line = Text("Your code ", style=STRONG)
    line.append(clean(str(described["file"])), style=KEY)
    parts = [_part_words(str(name)) for name in described["functions"]]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    line.append(f" ran in place of {joined}.")
    return line


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


def _published(summary: Summary) -> str:
    text = f"published {summary.published}"
    if summary.published_repeats:
        n = summary.published_repeats
        text += f" ({n} repeat{'s' if n > 1 else ''} by the relay)"
    return text


def _state(summary: Summary, name: str, ok: bool | None) -> tuple[Text, str]:
    """The mark for one invariant, and a note after its words."""
    if ok is True:
        return Text("✓ holds ", style=GOOD), ""
    if ok is False:
        note = " - what this scenario shows" if name in summary.expected_broken else ""
        return Text("✗ BROKEN", style=BAD), note
    if not summary.has_events and name in EVENT_INVARIANTS:
        return Text("  n/a   ", style=MUTED), " (no events in this design)"
    return Text("- open  ", style=MUTED), " (not checked: stopped early)"


def _shown(summary: Summary) -> list[tuple[str, bool | None]]:
    """The invariants a learner sees: internal checks stay in --json."""
    return [(name, ok) for name, ok in summary.invariants.items() if name not in INTERNAL]


def _notes(summary: Summary) -> list[Text]:
    """What the numbers mean here: overload, head-of-line waits, errors shown to paid learners."""
    notes = []
    for name, c in summary.consumers.items():
        if c.capacity_per_second < summary.arrival_rate:
            notes.append(
                Text(
                    f"{name} handles {c.capacity_per_second:.2f}/s, fewer than the "
                    f"{summary.arrival_rate:.2f}/s arriving: its lag grew for as long as "
                    "purchases came and drained only because they stopped.",
                    style=WARN,
                )
            )
        if c.blocked_seconds > 0:
            notes.append(
                Text(
                    f"{name}: the events behind a failing one waited {seconds(c.blocked_seconds)}"
                    " (head-of-line) before it was parked.",
                    style=WARN,
                )
            )
    if summary.told_failed:
        notes.append(
            Text(
                f"{summary.told_failed} learner(s) were shown an error; the purchases had "
                "committed: paid, and told it failed.",
                style=BAD,
            )
        )
    return notes


def render_summary(summary: Summary, *, width: int = 80) -> RenderableType:
    """The end screen: lags p50/p95/max, confirmation latency, invariants and the takeaway."""
    narrow = width < NARROW
    rows: list[RenderableType] = []
    head = Text(f"Summary · {summary.scenario}", style=TITLE)
    head.append(f"  (seed {summary.seed}, {_count_of(summary)} purchases)", style=MUTED)
    rows.append(head)
    if summary.with_file is not None:
        rows.append(with_file_line(summary.with_file))
    if not summary.complete:
        rows.append(_stopped(summary))
    rows.append(
        Text(
            f"committed {summary.committed}/{summary.purchases} · {_published(summary)} · "
            f"failed commits {summary.commit_failed} · arrivals {summary.arrival_rate:g}/s"
        )
    )
    rows.append(_confirmed(summary, "Learner confirmed: "))
    counters = _fault_counts(
        summary.ghost_events, summary.lost_events, summary.duplicate_effects, summary.dead_letters
    )
    rows.append(_joined(counters))

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("Consumer", no_wrap=True, overflow="ellipsis")
    if not narrow:  # at 40 columns the lags stay and the counts go (see the JSON)
        table.add_column("Done", justify="right", no_wrap=True)
        table.add_column("Cap/s", justify="right", no_wrap=True)
    table.add_column("Ev" if narrow else "Events max", justify="right", no_wrap=True)
    table.add_column("p50", justify="right", no_wrap=True)
    table.add_column("p95", justify="right", no_wrap=True)
    table.add_column("max", justify="right", no_wrap=True)
    for name, c in summary.consumers.items():
        fmt = (lambda v: f"{v:.1f}") if narrow else (lambda v: f"{v:.2f} s")
        row = [name] if narrow else [name, str(c.handled), f"{c.capacity_per_second:.2f}"]
        row.append(str(c.lag_events_max))
        row += [fmt(c.lag_seconds_p50), fmt(c.lag_seconds_p95), fmt(c.lag_seconds_max)]
        table.add_row(*row)
    title = (
        "Lag (events behind, seconds):" if narrow else "Lag per consumer (events behind, seconds):"
    )
    rows.append(Text(title, style=TITLE))
    rows.append(table)
    rows += _notes(summary)

    rows.append(Text("Invariants:", style=TITLE))
    checks = Table.grid(padding=(0, 1))  # a grid, so long lines wrap under their own text
    checks.add_column(no_wrap=True)
    checks.add_column()
    for name, ok in _shown(summary):
        mark, note = _state(summary, name, ok)
        words = Text(invariant_words(name))
        if note:
            words.append(note, style=MUTED)
        checks.add_row(mark, words)
    rows.append(checks)
    rows.append(
        Panel(Text(summary.takeaway), title="Takeaway", title_align="left", box=box.ROUNDED)
    )
    return Group(*rows)


def _broken_line(summary: Summary, narrow: bool) -> Text:
    broken = [name for name, ok in _shown(summary) if ok is False]
    if not broken:
        if any(ok is None for _, ok in _shown(summary)) and not summary.has_events:
            return Text("✓ all that apply hold (no events: event checks n/a)", style=GOOD)
        return Text("✓ all invariants hold", style=GOOD)
    if not all(name in summary.expected_broken for name in broken):
        label = "✗ BROKEN: "
    else:
        label = "✗ broken, as shown: " if narrow else "✗ broken, as this scenario shows: "
    consumers = [c for c in map(_effect_consumer, broken) if c]
    words = [invariant_words(n, short=True) for n in broken if not _effect_consumer(n)]
    if consumers:
        words.append(f"effect applied twice by {', '.join(consumers)}")
    line = Text(label, style=BAD)
    line.append(", ".join(words))
    return line


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
    done = Text(f"committed {summary.committed}/{summary.purchases} · {_published(summary)}")
    confirmed = _confirmed(summary, "confirmed ")
    if narrow:
        rows += [done, confirmed]
    else:
        rows.append(_joined([done, confirmed]))
    counters = _fault_counts(
        summary.ghost_events,
        summary.lost_events,
        summary.duplicate_effects,
        summary.dead_letters,
        short="duplicates" if narrow else None,
    )
    rows.append(_joined(counters))
    rows.append(_max_lags(summary, narrow))
    rows.append(_broken_line(summary, narrow))
    if not summary.complete and any(
        ok is None and name in NEEDS_THE_END for name, ok in _shown(summary)
    ):
        rows.append(Text("end-of-run checks open: stopped early", style=MUTED))
    rows.append(Text.assemble(("Takeaway: ", TITLE), summary.takeaway))
    return Group(*rows)


def _max_lags(summary: Summary, narrow: bool) -> RenderableType:
    """Each consumer's worst lag, in events behind and in seconds: one line when narrow (names
    and seconds), one column each when wide."""
    consumers = summary.consumers
    if narrow:
        line = Text("Max lag s: ", style=TITLE)
        line.append(", ".join(f"{name} {c.lag_seconds_max:.1f}" for name, c in consumers.items()))
        return line
    table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
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


PLAIN_INDENT = 30  # where a `--plain` line's words start: after the time and the record type


def plain_line(
    record: dict[str, Any],
    *,
    words: Callable[[dict[str, Any]], str] = describe,
    width: int | None = None,
) -> str:
    """One `--plain` line: virtual time, record type, plain words (`words`: the model's, or a
    broker's or a classroom's). With a terminal's `width`, wrapped at words under the words'
    column (a screen reader or a dumb terminal reads whole words); one line otherwise, for a log."""
    line = f"{record['t']:9.3f}s  {record['type']:<17} {words(record)}"
    return line if width is None else hanging(line, width, PLAIN_INDENT)
