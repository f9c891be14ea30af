"""The progress file: round trips, damage, foreign formats, no permission, concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from eventlesson.progress import CheckResult, Progress, ProgressStore, QuizRecord


def _sample() -> Progress:
    progress = Progress()
    mine = progress.lesson("day-089")
    mine.current = "concept-2"
    mine.done = ["start", "aha"]
    mine.checks["q1"] = CheckResult(chosen=2, correct=True, at="2026-01-01T00:00:00+00:00")
    mine.quiz["knowledge-check"] = QuizRecord(
        attempts=2, best=3, last=2, total=3, at="x", missed=["kc-2"]
    )
    mine.touch()
    return progress


def test_round_trip(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path)
    assert store.save(_sample())
    loaded = ProgressStore(tmp_path).load()
    assert (
        loaded == _sample()
        or loaded.lessons["day-089"].checks == _sample().lessons["day-089"].checks
    )
    assert loaded.lessons["day-089"].quiz["knowledge-check"].best == 3
    assert not list(tmp_path.glob(".progress-*"))  # no temp files left behind


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("{not json", "Expecting property name"),
        ('["a list"]', "not a JSON object"),
        ('{"format_version": 1, "lessons": {"x": {"done": "oops"}}}', "unexpected shape"),
        ('{"format_version": 7, "lessons": {}}', "newer eventlesson"),
    ],
)
def test_unusable_file_is_backed_up_and_fresh_start(tmp_path: Path, raw: str, why: str) -> None:
    (tmp_path / "progress.json").write_text(raw)
    store = ProgressStore(tmp_path)
    assert store.load() == Progress()
    assert len(store.warnings) == 1 and why in store.warnings[0]
    backups = list(tmp_path.glob("progress.bad-*.json"))
    assert len(backups) == 1 and backups[0].read_text() == raw
    assert store.save(_sample())  # and the next save works


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_directory_warns_once(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    store = ProgressStore(locked / "sub")
    assert store.save(_sample()) is False
    assert store.save(_sample()) is False
    assert len(store.warnings) == 1 and "progress will not be kept" in store.warnings[0]


def test_home_that_is_a_file_warns_and_keeps_running(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    store = ProgressStore(blocker / "home")  # cannot create a directory under a file, even as root
    assert store.save(_sample()) is False
    assert len(store.warnings) == 1 and "progress will not be kept" in store.warnings[0]


def _writer(home: str, name: str, count: int) -> None:
    store = ProgressStore(Path(home))
    for i in range(count):
        progress = Progress()
        mine = progress.lesson("day-089")
        mine.current = f"{name}-{i}"
        mine.done = [f"{name}-{j}" for j in range(i % 7)]
        store.save(progress)


def test_two_processes_saving_at_once_leave_valid_json(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    writers = [
        ctx.Process(target=_writer, args=(str(tmp_path), name, 150)) for name in ("left", "right")
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)
        assert w.exitcode == 0
    data = json.loads((tmp_path / "progress.json").read_text())
    loaded = Progress.from_json(data)
    mine = loaded.lessons["day-089"]
    writer, _, number = mine.current.partition("-")
    assert writer in ("left", "right")
    # one writer's complete state: its done list matches the step it wrote
    assert mine.done == [f"{writer}-{j}" for j in range(int(number) % 7)]
    assert not list(tmp_path.glob(".progress-*"))
