"""Pure functions from the classroom's plain data to rich renderables: the host's dashboard, the
class summary and a learner's own summary. (A learner's live screen is `simulate`'s, drawn by
`render_sim.render_live`; these are the screens only a class has.)

Render layer: rich and plain data only (`eventlesson.classroom.state`); never nats-py. It never
prints, sleeps or touches the terminal: `eventlesson.flows.classroom` does. Every state is a word
or a symbol as well as a colour; names that came over the network pass through `clean`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from eventlesson.classroom.state import (
    ClassSummary,
    ClassView,
    ConsumerCell,
    LearnerRow,
    LearnerSummary,
)
from eventlesson.sim.scenarios import CONSUMER_NAMES
from eventlesson.text import clean
from eventlesson.ui.render_sim import keys_line
from eventlesson.ui.styles import BAD, GOOD, KEY, MUTED, TITLE, WARN

WIDE = 72  # from here every consumer has a column of its own
SLOWEST = 56  # below WIDE, from here the slowest consumer is named
TINY = 60  # below this, the summaries keep their essential columns only
SHORT = {c: c[:5] for c in CONSUMER_NAMES}  # enrol, email, analy, recom, affil
DOWN = "✗"

LEARNER_KEYS: tuple[tuple[str, str], ...] = (
    ("1-5", "crash"),
    ("s", "slow one"),
    ("i", "email idempotent"),
    ("p", "try to publish"),
    ("q", "leave"),
)


# The host's actions in the footer's order: (the dashboard's key, the action, the words a host
# without a terminal types for it). The footer, the dashboard's keys and the typed commands all
# come from here; `status` (typed only) is the one command without a key.
HOST_ACTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("p", "purchase", ("p", "purchase")),
    ("b", "burst", ("b", "burst")),
    ("g", "ghost", ("g", "ghost")),
    ("x", "poison", ("x", "poison")),
    ("space", "pause", ("space", "pause", "resume")),
    ("q", "quit", ("q", "quit", "end")),
)


def host_keys(view: ClassView) -> list[tuple[str, str]]:
    """The keys the dashboard answers to, as (key, what it does now) pairs."""
    said = {
        "burst": f"burst of {view.burst}",
        "pause": ("resume" if view.started else "start") if view.paused else "pause",
        "quit": "end class",
    }
    return [(key, said.get(action, action)) for key, action, _ in HOST_ACTIONS]


def _rows(text: Text, width: int) -> int:
    """Rows a folded text takes at `width`."""
    return sum(max(1, math.ceil(len(line) / max(width, 1))) for line in text.plain.split("\n"))


def _minutes(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


# -- the dashboard ------------------------------------------------------------------------------


def _cell(cell: ConsumerCell, connected: bool) -> Text:
    """One consumer's lag; ✗ when its connection is down while its learner is connected."""
    text = Text()
    if connected and not cell.up:
        text.append(DOWN, style=BAD)
    style = BAD if cell.dead_letters else WARN if cell.lag else MUTED
    text.append(str(cell.lag), style=style)
    return text


def _count(value: int, bad: bool = False) -> Text:
    if not value:
        return Text("0", style=MUTED)
    return Text(str(value), style=BAD if bad else WARN)


def _table(rows: Sequence[LearnerRow], width: int) -> Table:
    narrow = width < WIDE
    slowest_column = narrow and width >= SLOWEST
    table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("Learner", no_wrap=True, overflow="ellipsis", max_width=14)
    table.add_column("State", no_wrap=True)
    if narrow:
        table.add_column("Lag", justify="right", no_wrap=True)
        if slowest_column:
            table.add_column("Slowest", no_wrap=True, overflow="ellipsis")
    else:
        for consumer in CONSUMER_NAMES:
            table.add_column(SHORT[consumer], justify="right", no_wrap=True)
        table.add_column("Lag", justify="right", no_wrap=True)
    table.add_column("Pend", justify="right", no_wrap=True)
    table.add_column("Redel", justify="right", no_wrap=True)
    table.add_column("Dead", justify="right", no_wrap=True)
    for row in rows:
        state = Text("on", style=GOOD) if row.connected else Text("gone", style=BAD)
        cells: list[Text] = [Text(clean(row.name)), state]
        if narrow:
            slowest = max(row.consumers, key=lambda c: c.lag, default=None)
            cells.append(_count(row.lag))
            if slowest_column:
                cells.append(
                    Text(slowest.consumer if slowest and slowest.lag else "-", style=MUTED)
                )
        else:
            by_name = {c.consumer: c for c in row.consumers}
            for consumer in CONSUMER_NAMES:
                cell = by_name.get(consumer)
                cells.append(_cell(cell, row.connected) if cell else Text("-", style=MUTED))
            cells.append(_count(row.lag))
        cells += [
            _count(row.pending),
            _count(row.redeliveries),
            _count(row.dead_letters, bad=True),
        ]
        table.add_row(*cells)
    return table


def render_dashboard(
    view: ClassView, *, width: int = 80, height: int = 24, controls: bool = True
) -> RenderableType:
    """The host's screen in at most `height` rows: where the class is and how to join, the
    purchases so far, one row per learner furthest behind first (as many as fit, then how
    many more), a legend, the last thing that happened and the keys."""
    narrow = width < WIDE
    head = Text("Classroom", style=TITLE)
    head.append(f" · {clean(view.url)} · {_minutes(view.clock)}")
    if not view.reachable:
        head.append(" · server not answering", style=BAD)
    command = clean(view.command)
    # the command on one line when it fits, so it copies whole; the label goes first
    join = Text(command, style=KEY)
    if len(command) + 6 <= width:
        join = Text.assemble(("Join: ", TITLE), join)
    counts = Text(
        f"purchases {view.purchases} · committed {view.committed} · ghosts {view.ghosts} · "
        f"poison {view.poison} · log end {view.log_end} · "
    )
    if view.paused:
        counts.append("PAUSED", style=WARN)
    else:
        counts.append(f"{view.rate:g} a second", style=GOOD)
    if width >= 100:
        words = (
            "lag = pending + ack pending · ✗ its connection is down · Pend: not yet delivered · "
            "Redel: redeliveries · Dead: dead letters"
        )
    elif not narrow:
        words = "lag = pending + ack pending · ✗ down · Redel: redelivered · Dead: parked"
    else:
        words = "lag = pending + ack pending · Redel: redelivered"
    legend = Text(words, style=MUTED)
    what = Text(clean(view.what), style=MUTED, no_wrap=True, overflow="ellipsis")
    footer = keys_line(host_keys(view), narrow) if controls else None
    above = [head, join, counts]
    below: list[Text] = [legend, what] + ([footer] if footer is not None else [])
    used = sum(_rows(t, width) for t in above + below) + 1  # + the table's header
    learners = view.learners
    if not learners:
        empty = Text(
            "No learners yet: each types the command above (with their own name).", style=MUTED
        )
        return Group(*above, empty, *below)
    room = max(height - used - 1, 1)  # one row spare: a terminal scrolls when the last is used
    shown = learners if len(learners) <= room else learners[: max(room - 1, 1)]
    parts: list[RenderableType] = [*above, _table(shown, width)]
    hidden = len(learners) - len(shown)
    if hidden:
        gone = sum(1 for r in learners[len(shown) :] if not r.connected)
        more = f"+{hidden} more learner{'s' if hidden > 1 else ''}, less behind"
        if gone:
            more += f" ({gone} gone)"
        parts.append(Text(more, style=MUTED))
    return Group(*parts, *below)


# -- the end of a class -------------------------------------------------------------------------


def render_class_summary(summary: ClassSummary, *, width: int = 80) -> RenderableType:
    """The class at its end: purchases, then each learner, furthest behind first."""
    narrow = width < WIDE
    rows: list[RenderableType] = []
    learners = summary.learners
    head = Text(f"Class summary · {_minutes(summary.seconds)}", style=TITLE)
    head.append(f" · {len(learners)} learner{'s' if len(learners) != 1 else ''}", style=MUTED)
    rows.append(head)
    rows.append(
        Text(
            f"purchases {summary.purchases} (committed {summary.committed}, ghosts "
            f"{summary.ghosts}, poison {summary.poison}) · published {summary.published}"
        )
    )
    if not summary.read_back:
        rows.append(Text("The server could not be read at the end: the last reading.", style=WARN))
    if not learners:
        rows.append(Text("Nobody joined.", style=MUTED))
        return Group(*rows)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("Learner", no_wrap=True, overflow="ellipsis", max_width=14)
    table.add_column("At end", no_wrap=True)
    if not narrow:
        table.add_column("Joins", justify="right", no_wrap=True)
        table.add_column("Acked", justify="right", no_wrap=True)
    table.add_column("Lag", justify="right", no_wrap=True)
    if width >= TINY:
        table.add_column("Peak", justify="right", no_wrap=True)
    table.add_column("Redel", justify="right", no_wrap=True)
    table.add_column("Dead", justify="right", no_wrap=True)
    for row in learners:
        floor = min((c.ack_floor for c in row.consumers), default=0)
        cells = [
            Text(clean(row.name)),
            Text("on", style=GOOD) if row.connected else Text("gone", style=MUTED),
        ]
        if not narrow:
            cells += [Text(str(row.joins)), Text(f"{floor}/{summary.published}")]
        cells.append(_count(row.lag))
        if width >= TINY:
            cells.append(Text(str(row.peak_lag)))
        cells += [_count(row.redeliveries), _count(row.dead_letters, bad=True)]
        table.add_row(*cells)
    rows.append(table)
    if not narrow:
        rows.append(
            Text(
                "Acked: the lowest ack floor of the learner's five consumers · Lag and Peak: "
                "events to handle, over all five · Redel: redeliveries · Dead: dead letters",
                style=MUTED,
            )
        )
    return Group(*rows)


def render_learner_summary(summary: LearnerSummary, *, width: int = 80) -> RenderableType:
    """A learner's session at its end: what each of the five consumers did."""
    narrow = width < WIDE
    head = Text(f"Your session · {clean(summary.name)} · {_minutes(summary.seconds)}", style=TITLE)
    rows: list[RenderableType] = [
        head,
        Text(clean(summary.ended)),
        Text(
            f"purchases seen {summary.purchases_seen} · ghosts {summary.ghosts_seen} · "
            f"log end {summary.log_end}"
        ),
    ]
    tiny = width < TINY  # 40 columns: what each consumer did, and where it stands
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("Consumer", no_wrap=True, overflow="ellipsis")
    table.add_column("Done", justify="right", no_wrap=True)
    table.add_column("Dup", justify="right", no_wrap=True)
    if not narrow:
        table.add_column("Skip", justify="right", no_wrap=True)
        table.add_column("Crashes", justify="right", no_wrap=True)
    table.add_column("Redel", justify="right", no_wrap=True)
    if not tiny:
        table.add_column("Dead", justify="right", no_wrap=True)
        table.add_column("Floor" if narrow else "Ack floor", justify="right", no_wrap=True)
    table.add_column("Lag", justify="right", no_wrap=True)
    for c in summary.consumers:
        name = c.name + (" ⟲" if c.idempotent and not tiny else "")
        cells = [Text(name), Text(str(c.handled)), _count(c.duplicates, bad=True)]
        if not narrow:
            cells += [Text(str(c.skipped)), _count(c.crashes)]
        cells.append(_count(c.redeliveries))
        if not tiny:
            cells += [
                _count(c.dead_letters, bad=True),
                Text("?" if c.ack_floor is None else str(c.ack_floor)),
            ]
        cells.append(Text("?" if c.lag is None else str(c.lag)))
        table.add_row(*cells)
    rows.append(table)
    legend = (
        "Dup: effects applied twice · Redel: redelivered by the server"
        if tiny
        else "Dup: effects applied twice · Skip: repeats recognised · Redel: redelivered by "
        "the server · ⟲ idempotent · ? the server could not be read"
    )
    rows.append(Text(legend, style=MUTED))
    return Group(*rows)
