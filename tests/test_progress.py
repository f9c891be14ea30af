"""The progress file: round trips, damage, foreign formats, no permission, concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from eventlesson.progress import CheckResult, Progress, ProgressStore, QuizRecord

from .support import REPO, as_learner


def _sample() -> Progress:
    progress = Progress()
    mine = progress.lesson("sample")
    mine.current = "concept-2"
    mine.done = ["start", "aha"]
    mine.checks["q1"] = CheckResult(chosen=2, correct=True, at="2026-01-01T00:00:00+00:00")
    mine.quiz["knowledge-check"] = QuizRecord(
        attempts=2, best=3, last=2, total=3, at="2026-01-02T03:04:05+00:00", missed=["kc-2"]
    )
    mine.touch()
    return progress


def test_round_trip(tmp_path: Path) -> None:
    sample = _sample()  # one object: its timestamps are the ones saved
    store = ProgressStore(tmp_path)
    assert store.save(sample)
    loaded = ProgressStore(tmp_path).load()
    assert loaded == sample
    assert loaded.lessons["sample"].started_at  # the stamps survived, not just the answers
    assert loaded.lessons["sample"].quiz["knowledge-check"].best == 3
    assert not list(tmp_path.glob(".progress-*"))  # no temp files left behind


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("{not json", "Expecting property name"),
        ('["a list"]', "not a JSON object"),
        ('{"format_version": 1, "lessons": {"x": {"done": "oops"}}}', "lessons.x.done: expected"),
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


def _parent_is_a_file(tmp_path: Path) -> Path:
    (tmp_path / "blocker").write_text("")
    return tmp_path / "blocker" / "home"  # no directory can be made under a file, even by root


def _home_is_a_file(tmp_path: Path) -> Path:
    (tmp_path / "home").write_text("")
    return tmp_path / "home"


def _file_is_a_directory(tmp_path: Path) -> Path:
    (tmp_path / "home" / "progress.json").mkdir(
        parents=True
    )  # replace() onto it fails, as root too
    return tmp_path / "home"


@pytest.mark.parametrize("make_home", [_parent_is_a_file, _home_is_a_file, _file_is_a_directory])
def test_unwritable_home_warns_once_and_keeps_running(tmp_path: Path, make_home) -> None:
    store = ProgressStore(make_home(tmp_path))
    progress = store.load()  # a folder where the file should be is unreadable: said here, once
    for page in ("a", "b", "c"):  # a session saves after every page
        progress.lesson("sample").current = page
        assert store.save(progress) is False
    assert not store.writable
    assert len(store.warnings) == 1 and "progress will not be kept" in store.warnings[0]


SAVE_THREE_PAGES = """
import json, sys
from pathlib import Path
from eventlesson.progress import ProgressStore

store = ProgressStore(Path(sys.argv[1]))
progress = store.load()
saved = []
for page in ("a", "b", "c"):
    progress.lesson("sample").current = page
    saved.append(store.save(progress))
print(json.dumps({"saved": saved, "writable": store.writable, "warnings": store.warnings}))
"""


def test_a_read_only_folder_warns_once_and_keeps_running(tmp_path: Path) -> None:
    """The same in a folder without write permission, for real as root too: the session runs
    in a child process without the power to write anywhere (see `as_learner`)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        argv = as_learner([sys.executable, "-c", SAVE_THREE_PAGES, str(locked / "sub")])
        done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=60)
    finally:
        locked.chmod(0o700)  # so that pytest can clean up
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["saved"] == [False, False, False] and seen["writable"] is False
    assert len(seen["warnings"]) == 1 and "progress will not be kept" in seen["warnings"][0]
    assert not (locked / "sub").exists()


HANG_SECONDS = 300  # a writer still running after this is hung, not slow


def _writer(home: str, name: str, count: int) -> None:
    store = ProgressStore(Path(home))
    progress = store.load()
    mine = progress.lesson("sample")
    for i in range(count):
        mine.current = f"{name}-{i}"
        mine.mark_done(f"{name}-{i}")
        assert store.save(progress)
    assert store.warnings == []  # never gave up waiting for the other's lock


def test_two_processes_saving_at_once_leave_valid_json_and_both_histories(tmp_path: Path) -> None:
    """Each saves 150 times in a row, so the lock is nearly always held by one of them; on a
    loaded machine one can wait through many of the other's saves (see
    test_a_session_that_keeps_saving_is_waited_for_however_long_it_holds_the_lock)."""
    ctx = multiprocessing.get_context("spawn")
    writers = [
        ctx.Process(target=_writer, args=(str(tmp_path), name, 150)) for name in ("left", "right")
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join(HANG_SECONDS)  # only for a hang: the writers end on their own
        assert w.exitcode == 0, f"exit code {w.exitcode} (None: still running)"
    data = json.loads((tmp_path / "progress.json").read_text())
    loaded = Progress.from_json(data)
    mine = loaded.lessons["sample"]
    assert mine.current in ("left-149", "right-149")  # the latest move of one of them
    for name in ("left", "right"):  # each history whole, in its own order
        assert [d for d in mine.done if d.startswith(name)] == [f"{name}-{i}" for i in range(150)]
    assert not list(tmp_path.glob(".progress-*"))


def _doc(**lesson: object) -> str:
    return json.dumps({"format_version": 1, "lessons": {"sample": lesson}})


GOOD_CHECK = {"chosen": 1, "correct": True, "at": "2026-01-01T00:00:00+00:00"}


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (_doc(quiz={"kc": {"attempts": "3"}}), "quiz.kc.attempts: expected a whole number"),
        (_doc(quiz={"kc": {"best": True}}), "kc.best: expected a whole number"),  # a bool: no
        (_doc(quiz={"kc": {"at": 5}}), "quiz.kc.at: expected text, got a number"),
        (_doc(quiz={"kc": {"missed": ["a", 2]}}), "quiz.kc.missed[1]: expected text"),
        (_doc(quiz={"kc": {"answers": {"q": "b"}}}), "quiz.kc.answers.q: expected a whole number"),
        (_doc(quiz={"kc": []}), "quiz.kc: expected a table"),
        (_doc(quiz=[]), "lessons.sample.quiz: expected a table, got a list"),
        (_doc(checks={"q1": {**GOOD_CHECK, "chosen": "b"}}), "checks.q1.chosen: expected a whole"),
        (_doc(checks={"q1": {**GOOD_CHECK, "correct": 1}}), "correct: expected true or false"),
        (_doc(checks={"q1": {"chosen": 1, "correct": True}}), "checks.q1.at: missing"),
        (_doc(current=3), "lessons.sample.current: expected text, got a number"),
        (json.dumps({"format_version": True, "lessons": {}}), "no format_version"),
    ],
)
def test_fields_of_the_wrong_type_back_up_and_start_fresh(
    tmp_path: Path, raw: str, why: str
) -> None:
    (tmp_path / "progress.json").write_text(raw)
    store = ProgressStore(tmp_path)
    assert store.load() == Progress()
    assert len(store.warnings) == 1 and why in store.warnings[0], store.warnings
    assert [b.read_text() for b in tmp_path.glob("progress.bad-*.json")] == [raw]


def test_unknown_keys_are_ignored_not_fatal(tmp_path: Path) -> None:
    raw = {
        "format_version": 1,
        "written_by": "a later release",
        "lessons": {
            "sample": {
                "current": "aha",
                "bookmarks": ["why"],
                "checks": {"q1": {**GOOD_CHECK, "time_taken": 4.5}},
                "quiz": {"kc": {"attempts": 2, "best": 3, "streak": 2}},
            }
        },
    }
    (tmp_path / "progress.json").write_text(json.dumps(raw))
    store = ProgressStore(tmp_path)
    mine = store.load().lessons["sample"]
    assert store.warnings == []
    assert mine.current == "aha"
    assert mine.checks["q1"] == CheckResult(**GOOD_CHECK)
    assert (mine.quiz["kc"].attempts, mine.quiz["kc"].best) == (2, 3)
    assert not list(tmp_path.glob("progress.bad-*.json"))


def test_reset_one_lesson_keeps_the_others(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path)
    progress = _sample()
    progress.lesson("day-090").current = "start"
    assert store.save(progress)
    assert store.reset("day-090") is True
    assert store.reset("day-090") is False  # already forgotten
    assert list(ProgressStore(tmp_path).load().lessons) == ["sample"]
    assert store.reset() is True
    assert not (tmp_path / "progress.json").exists()
    assert store.reset() is False and store.reset("sample") is False


@pytest.mark.parametrize("make_home", [_parent_is_a_file, _file_is_a_directory])
def test_reset_that_cannot_remove_the_file_raises_oserror(tmp_path: Path, make_home) -> None:
    store = ProgressStore(make_home(tmp_path))
    with pytest.raises(OSError):
        store.reset()
