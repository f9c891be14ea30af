"""Pure functions from what the NATS server reports to rich renderables.

Render layer: rich and plain data only (`eventlesson.broker.state`, `eventlesson.broker.narrate`);
never nats-py. It never prints, sleeps or touches the terminal: `eventlesson.flows.broker` does.
The model's screens (`render_sim`) draw the run; these add the broker's side of it, in the
broker's words, beside the lesson's (offset ↔ stream sequence, committed offset ↔ ack floor).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from eventlesson.broker.narrate import WORDS
from eventlesson.broker.state import ServerView
from eventlesson.text import clean
from eventlesson.ui.styles import BAD, GOOD, MUTED, TITLE, WARN

NARROW = 60
LIVE_WIDE = 72  # the live screen's wide layout starts here (as render_sim's)


def _table(narrow: bool) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("Consumer", no_wrap=True, overflow="ellipsis")
    if narrow:
        table.add_column("Lag", justify="right", no_wrap=True)
        table.add_column("Floor", justify="right", no_wrap=True)
    else:
        table.add_column("Pending", justify="right", no_wrap=True)
        table.add_column("Ack pending", justify="right", no_wrap=True)
        table.add_column("Ack floor", justify="right", no_wrap=True)
        table.add_column("Last delivered", justify="right", no_wrap=True)
    return table


def _rows(table: Table, view: ServerView, narrow: bool) -> None:
    for c in view.consumers:
        if narrow:
            table.add_row(c.name, str(c.lag), str(c.ack_floor_seq))
        else:
            table.add_row(
                c.name,
                str(c.num_pending),
                str(c.num_ack_pending),
                str(c.ack_floor_seq),
                str(c.delivered_seq),
            )


def _extras(view: ServerView) -> Text:
    parts = Text()
    parts.append("repeats dropped by the server ", style=MUTED if not view.dropped_repeats else "")
    parts.append(str(view.dropped_repeats))
    parts.append(" · ", style=MUTED)
    parts.append("dead letters ", style=MUTED if not view.dead_letters else "")
    parts.append(str(view.dead_letters), style=BAD if view.dead_letters else "")
    return parts


def _packed(label: Text, items: Sequence[Text], width: int) -> list[Text]:
    """`label`, then the items joined by " · ", as few rows of at most `width` cells as fit."""
    rows: list[Text] = []
    row = label.copy()
    fresh = True  # nothing but the label on this row yet
    for item in items:
        sep = "" if fresh else " · "
        gap = " " if fresh and row.cell_len else sep
        if not fresh and row.cell_len + len(sep) + item.cell_len > width:
            rows.append(row)
            row, gap = Text(), ""
        row.append(gap, style=MUTED)
        row.append_text(item)
        fresh = False
    rows.append(row)
    for r in rows:
        r.no_wrap = True
        r.overflow = "ellipsis"
    return rows


def render_server_lines(view: ServerView, *, width: int = 80) -> list[Text]:
    """Below the live screen, one row each: the server, then each consumer's JetStream lag
    (pending + ack pending) packed into as few rows as fit. The screen above shows the same
    server's ack floors as offsets and its last sequence as the log's end."""
    narrow = width < LIVE_WIDE
    head = Text("NATS JetStream", style=TITLE)
    if narrow:
        head.append(" · offset = ack floor")
    else:
        head.append(f" · stream {clean(view.stream)} · offset = ack floor, log end = last seq")
    if not view.reachable:
        head.append(" · DOWN", style=BAD)
    head.no_wrap, head.overflow = True, "ellipsis"
    items = [
        Text.assemble(
            (c.name + " ", ""), (f"{c.num_pending}+{c.num_ack_pending}", WARN if c.lag else "")
        )
        for c in view.consumers
    ]
    if view.dropped_repeats:
        items.append(Text(f"repeats dropped {view.dropped_repeats}"))
    if view.dead_letters:
        items.append(Text(f"dead letters {view.dead_letters}", style=BAD))
    label = Text("pending+ack:" if narrow else "pending + ack pending:", style=MUTED)
    return [head, *_packed(label, items, width)]


def render_words(*, width: int = 80) -> RenderableType:
    """The lesson's words beside JetStream's: one row each."""
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        show_header=width >= NARROW,
    )
    table.add_column("In this lesson", no_wrap=width >= NARROW, style=TITLE)
    table.add_column("On NATS JetStream", overflow="fold")
    for lesson, broker in WORDS:
        table.add_row(lesson, broker)
    return table


def render_server_summary(
    view: ServerView | None,
    *,
    backend: str,
    complete: bool,
    notes: Sequence[str] = (),
    width: int = 80,
) -> RenderableType:
    """After the run: the server's state read back, and the words that map onto it."""
    narrow = width < NARROW
    rows: list[RenderableType] = []
    if view is None:
        if backend == "nats":
            rows.append(Text("The server could not be read back after the run.", style=WARN))
        else:
            rows.append(
                Text(
                    "sync-chain makes direct calls: no broker is involved, so none was started.",
                    style=MUTED,
                )
            )
        return Group(*rows)
    head = Text("Read back from the server", style=TITLE)
    head.append(f" ({clean(view.url)})" if not narrow else "", style=MUTED)
    rows.append(head)
    rows.append(
        Text(
            f"stream {clean(view.stream)}: {view.messages} events, last seq {view.last_seq}",
        )
    )
    rows.append(_extras(view))
    table = _table(narrow)
    _rows(table, view, narrow)
    rows.append(table)
    drained = all(c.lag == 0 for c in view.consumers)
    if complete and drained:
        rows.append(Text("every consumer: pending 0, ack pending 0", style=GOOD))
    elif not drained:
        rows.append(Text("some consumers still had events to handle", style=WARN))
    for note in notes:
        rows.append(Text(note))
    rows.append(Text("The lesson's words on JetStream:", style=TITLE))
    rows.append(render_words(width=width))
    return Group(*rows)


def look_line(
    *,
    url: str,
    stream: str,
    consumers: Sequence[str],
    monitor_url: str | None,
    ours: bool,
    kept: bool,
) -> str:
    """The one line that tells the learner how to look at the broker themselves."""
    names = ", ".join(consumers)
    if not ours:
        return (
            f"Look for yourself: on {url} this run created stream {stream} and consumers "
            f"{names}; they stay there for you (e.g. `nats stream info {stream} -s {url}`)."
        )
    if kept:
        where = f"curl -s '{monitor_url}/jsz?consumers=true'" if monitor_url else url
        return (
            f"Look for yourself while the server stays up: {where} shows stream {stream} "
            f"and consumers {names} (or `nats stream info {stream} -s {url}`)."
        )
    return (
        f"Look for yourself: run again with --keep-server to keep {url} up after the run and "
        f"read stream {stream} and its consumers with curl or the nats CLI."
    )
