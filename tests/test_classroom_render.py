"""The classroom's screens, rendered at 80 columns into StringIO: the dashboard with thirty
learners at 80x24, the summaries, and a learner's live screen with its keys."""

from __future__ import annotations

import dataclasses
import io

from rich.console import Console, RenderableType

from eventlesson.classroom.roster import JoinAddress
from eventlesson.classroom.state import (
    ClassView,
    ConsumerTotals,
    LearnerRow,
    LearnerSummary,
    furthest_behind_first,
)
from eventlesson.sim import CONSUMER_NAMES
from eventlesson.sim.state import ConsumerView, Snapshot
from eventlesson.ui.render_classroom import (
    LEARNER_KEYS,
    render_class_summary,
    render_dashboard,
    render_learner_summary,
)
from eventlesson.ui.render_sim import render_live

from .support import class_summary, learner_row

ADDRESS = JoinAddress("127.0.0.1", 4222, "abcd2345")


def text(renderable: RenderableType, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return out


def view(learners: list[LearnerRow], paused: bool = False) -> ClassView:
    return ClassView(
        url=ADDRESS.url,
        command=ADDRESS.command(),
        clock=125.0,
        log_end=40,
        purchases=40,
        committed=39,
        ghosts=1,
        poison=1,
        paused=paused,
        rate=1.0,
        burst=20,
        learners=furthest_behind_first(learners),
        reachable=True,
        what="Published evt-000040 for P40: stream seq 40.",
    )


def thirty() -> list[LearnerRow]:
    rows = [learner_row(f"learner-{i:02d}", [i % 3, i % 4, i % 5, i % 7, 0]) for i in range(29)]
    rows.append(learner_row("slowpoke", [12, 30, 31, 33, 29], connected=False))
    return rows


def test_thirty_learners_fit_80x24_with_the_furthest_behind_on_the_first_row() -> None:
    out = text(render_dashboard(view(thirty()), width=80, height=24))
    lines = out.splitlines()
    assert len(lines) <= 23  # one row spare: a full terminal would scroll
    assert all(len(line) <= 80 for line in lines)
    header = next(i for i, line in enumerate(lines) if line.startswith("Learner"))
    first = lines[header + 1].split()
    assert first[:2] == ["slowpoke", "gone"] and first[-4] == "135"  # total lag, from the cells
    assert "more learners, less behind" in out
    assert ADDRESS.command() in out  # the whole command, ready to copy
    assert "p purchase" in out and "q end class" in out


def test_the_rows_shown_are_the_most_behind_and_the_count_hidden_adds_up() -> None:
    learners = thirty()
    lines = text(render_dashboard(view(learners), width=80, height=24)).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Learner"))
    more = next(line for line in lines if "more learner" in line)
    shown = [line.split()[0] for line in lines[header + 1 : lines.index(more)]]
    hidden = int(more.split()[0].lstrip("+"))
    assert len(shown) + hidden == 30
    expected = [r.name for r in furthest_behind_first(learners)][: len(shown)]
    assert shown == expected


def test_a_crashed_consumer_is_marked_in_its_cell() -> None:
    out = text(
        render_dashboard(view([learner_row("ada", [0, 3, 0, 0, 0], down="email")]), width=80)
    )
    line = next(line for line in out.splitlines() if line.startswith("ada"))
    assert "✗3" in line


def test_the_dashboard_fits_40_columns() -> None:
    out = text(render_dashboard(view(thirty()), width=40, height=24), width=40)
    lines = out.splitlines()
    assert len(lines) <= 23
    assert all(len(line) <= 40 for line in lines)
    assert "slowpoke" in out


def test_an_empty_class_says_how_to_join_and_a_paused_one_says_so() -> None:
    out = text(render_dashboard(view([], paused=True)))
    assert "No learners yet" in out
    assert "PAUSED" in out and "space start" in out  # the class begins paused (README)
    resumed = text(render_dashboard(dataclasses.replace(view([], paused=True), started=True)))
    assert "space resume" in resumed
    assert "space pause" in text(render_dashboard(view([])))


def test_the_class_summary_lists_every_learner() -> None:
    summary = class_summary(thirty())
    out = text(render_class_summary(summary))
    assert "Class summary · 12:34 · 30 learners" in out
    assert out.count("learner-") == 29 and "slowpoke" in out
    assert all(len(line) <= 80 for line in out.splitlines())
    narrow = text(render_class_summary(summary, width=40), 40)
    table = [line for line in narrow.splitlines() if line.startswith(("Learner", "learner-"))]
    assert len(table) == 30 and all(len(line) <= 40 and "…" not in line for line in table)


def test_a_learner_summary_shows_each_consumer() -> None:
    totals = tuple(
        ConsumerTotals(c, c != "email", 10, 1 if c == "email" else 0, 0, 1, 1, 0, 10, 0)
        for c in CONSUMER_NAMES
    )
    summary = LearnerSummary("ada", ADDRESS.url, 90.0, "The class has ended.", 10, 10, 0, totals)
    out = text(render_learner_summary(summary))
    assert "Your session · ada · 1:30" in out and "The class has ended." in out
    assert "email " in out and "enrollment ⟲" in out
    for width in (40, 64):
        lines = text(render_learner_summary(summary, width=width), width).splitlines()
        assert all(len(line) <= width and "…" not in line for line in lines), width
        assert any(line.startswith("recommendations") for line in lines)


def test_a_learners_live_screen_is_simulates_with_the_learners_keys() -> None:
    consumers = tuple(
        ConsumerView(c, "idle", 3, 0, 0, 0, 1, 0.5, False, offset=2) for c in CONSUMER_NAMES
    )
    snapshot = Snapshot(
        scenario="classroom",
        mode="event",
        clock=4.0,
        purchases=3,
        planned=3,
        committed=3,
        commit_failed=0,
        published=3,
        purchase_id=None,
        steps=(),
        consumers=consumers,
        ghost_events=0,
        lost_events=0,
        duplicate_effects=0,
        dead_letters=0,
        outbox_backlog=None,
        broker_up=True,
        service_status="idle",
        peak_lag_seconds=1.0,
        what="",
        last_type=None,
        done=False,
        log_end=3,
    )
    screen = render_live(
        snapshot, width=80, height=24, controls=True, keys=LEARNER_KEYS, title="classroom · ada"
    )
    out = text(screen)
    assert "classroom · ada" in out and "simulate ·" not in out
    assert "1-5 crash" in out and "p try to publish" in out and "q leave" in out
    assert "+ - speed" not in out
