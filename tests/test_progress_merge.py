"""Two sessions at once: each save keeps what the other wrote in the meantime.

`learn` open in one terminal, `quiz` run in another: the learner's next page in `learn` must not
undo the quiz. A save writes only the parts this session changed (a lesson's walk as one unit,
each quiz set as one unit) on top of the file as it is now.
"""

from __future__ import annotations

import json
import multiprocessing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar

from typer.testing import CliRunner

from eventlesson.cli import app as cli_app
from eventlesson.progress import (
    CheckResult,
    LessonProgress,
    Progress,
    ProgressStore,
    QuizRecord,
    Sum,
    merge_lessons,
    merge_value,
)
from eventlesson.schema import Reader

AT = "2026-01-01T00:00:00+00:00"


def stamp(second: int) -> str:
    return f"2026-01-01T00:{second // 60:02d}:{second % 60:02d}+00:00"


def saved(home: Path) -> dict[str, Any]:
    return json.loads((home / "progress.json").read_text())["lessons"]


def test_quiz_from_another_terminal_survives_the_next_page(home: Path) -> None:
    learn = ProgressStore(home)
    walk = learn.load()
    walk.lesson("sample").current = "start"
    assert learn.save(walk)

    quiz = ProgressStore(home)
    scores = quiz.load()
    scores.lesson("sample").quiz["knowledge-check"] = QuizRecord(attempts=1, best=3, last=3)
    assert quiz.save(scores)

    walk.lesson("sample").mark_done("start")  # one page on, in the session opened first
    walk.lesson("sample").current = "aha"
    assert learn.save(walk)

    lesson = saved(home)["sample"]
    assert lesson["current"] == "aha" and lesson["done"] == ["start"]
    assert lesson["quiz"]["knowledge-check"]["best"] == 3


def test_the_reported_repro_through_the_cli(make_app: Any, home: Path) -> None:
    """Keep `learn` open, run `quiz --answers A,A,A` elsewhere, move one page: the quiz stays."""
    session = make_app()
    mine = session.progress.lesson("sample")
    mine.current = "start"
    session.save()

    result = CliRunner().invoke(cli_app, ["quiz", "--answers", "A,A,A", "--json"])
    assert result.exit_code == 0, result.output
    assert saved(home)["sample"]["quiz"]["knowledge-check"]["attempts"] == 1

    mine.mark_done("start")
    mine.current = "aha"
    mine.touch()
    session.save()
    lesson = saved(home)["sample"]
    assert lesson["current"] == "aha"
    assert lesson["quiz"]["knowledge-check"]["attempts"] == 1  # was lost before the merge
    assert make_app.errors.getvalue() == ""


def test_a_quiz_session_leaves_the_walk_alone(home: Path) -> None:
    quiz = ProgressStore(home)
    scores = quiz.load()  # before any walk exists

    learn = ProgressStore(home)
    walk = learn.load()
    walk.lesson("sample").current = "concept-2"
    walk.lesson("sample").done = ["start", "aha"]
    walk.lesson("sample").checks["q1"] = CheckResult(chosen=0, correct=True, at=AT)
    assert learn.save(walk)

    scores.lesson("sample").quiz.setdefault("practice", QuizRecord()).attempts = 1
    assert quiz.save(scores)  # its copy of the walk is empty and stale: not written
    lesson = saved(home)["sample"]
    assert lesson["current"] == "concept-2" and lesson["done"] == ["start", "aha"]
    assert lesson["checks"]["q1"]["chosen"] == 0
    assert lesson["quiz"]["practice"]["attempts"] == 1


def test_only_the_quiz_sets_this_session_changed_are_written(home: Path) -> None:
    first = ProgressStore(home)
    mine = first.load()
    mine.lesson("sample").quiz["knowledge-check"] = QuizRecord(attempts=1)
    mine.lesson("sample").quiz["practice"] = QuizRecord(attempts=1)
    assert first.save(mine)

    other = ProgressStore(home)
    theirs = other.load()
    theirs.lesson("sample").quiz["practice"].attempts = 5
    assert other.save(theirs)

    mine.lesson("sample").quiz["knowledge-check"].attempts = 2
    assert first.save(mine)
    quiz = saved(home)["sample"]["quiz"]
    assert quiz["knowledge-check"]["attempts"] == 2  # mine
    assert quiz["practice"]["attempts"] == 5  # theirs, untouched here since my last save


def test_a_reset_elsewhere_is_not_undone_by_an_untouched_part(home: Path) -> None:
    learn = ProgressStore(home)
    walk = learn.load()
    walk.lesson("sample").current = "start"
    walk.lesson("sample").quiz["knowledge-check"] = QuizRecord(attempts=1)
    assert learn.save(walk)
    assert ProgressStore(home).reset() is True  # `progress --reset --yes` in another terminal

    walk.lesson("sample").current = "aha"
    assert learn.save(walk)
    lesson = saved(home)["sample"]
    assert lesson["current"] == "aha"  # what this session did after the reset
    assert lesson["quiz"] == {}  # the quiz record it did not touch stays forgotten


def test_a_file_damaged_meanwhile_is_backed_up_and_ours_written_whole(home: Path) -> None:
    store = ProgressStore(home)
    progress = store.load()
    progress.lesson("sample").current = "start"
    progress.lesson("sample").quiz["knowledge-check"] = QuizRecord(attempts=2)
    assert store.save(progress)
    (home / "progress.json").write_text("{broken")

    progress.lesson("sample").current = "aha"
    assert store.save(progress)
    assert len(store.warnings) == 1 and "unusable" in store.warnings[0]
    assert [b.read_text() for b in home.glob("progress.bad-*.json")] == ["{broken"]
    assert ProgressStore(home).load() == progress


def test_timestamps_keep_the_first_start_and_the_latest_change() -> None:
    def lesson(started: str, updated: str, current: str = "") -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(LessonProgress(current=current, started_at=started, updated_at=updated))

    disk = {"l": lesson("2026-01-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00", "x")}
    base = {"l": lesson("2026-02-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00")}
    mine = {"l": lesson("2026-02-01T00:00:00+00:00", "2026-02-02T00:00:00+00:00", "y")}
    merged = merge_lessons(disk, base, mine)["l"]
    assert merged["current"] == "y"
    assert merged["started_at"] == "2026-01-01T00:00:00+00:00"
    assert merged["updated_at"] == "2026-03-01T00:00:00+00:00"


# -- two real processes, many saves each ------------------------------------------------------

ROUNDS = 120
HANG_SECONDS = 300  # a session still running after this is hung, not slow


def _walker(home: str) -> None:
    """A `learn` session: loads once, then saves its walk after every page."""
    store = ProgressStore(Path(home))
    progress = store.load()
    mine = progress.lesson("sample")
    for i in range(ROUNDS):
        mine.mark_done(f"page-{i}")
        mine.current = f"page-{i + 1}"
        mine.checks[f"q{i % 5}"] = CheckResult(chosen=i % 3, correct=i % 2 == 0, at=stamp(i))
        mine.touch()
        assert store.save(progress)
    assert store.warnings == []  # never gave up waiting for the other's lock


def _quizzer(home: str) -> None:
    """A `quiz` session: loads once, then saves its record after every answer."""
    store = ProgressStore(Path(home))
    progress = store.load()
    record = progress.lesson("sample").quiz.setdefault("knowledge-check", QuizRecord())
    for i in range(ROUNDS):
        record.attempts = i + 1
        record.last = i % 4
        record.answers = {"kc-1": i % 3}
        progress.lesson("sample").touch()
        assert store.save(progress)
    assert store.warnings == []


def test_a_walk_and_a_quiz_saved_at_once_both_survive(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=t, args=(str(tmp_path),)) for t in (_walker, _quizzer)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(HANG_SECONDS)  # only for a hang: the workers end on their own
        assert w.exitcode == 0, f"exit code {w.exitcode} (None: still running)"
    loaded = Progress.from_json(json.loads((tmp_path / "progress.json").read_text()))
    mine = loaded.lessons["sample"]
    last = ROUNDS - 1
    assert mine.current == f"page-{ROUNDS}"  # the walker's last state, whole
    assert mine.done == [f"page-{i}" for i in range(ROUNDS)]
    assert mine.checks[f"q{last % 5}"].at == stamp(last)
    record = mine.quiz["knowledge-check"]  # and the quizzer's last record, whole
    assert (record.attempts, record.last, record.answers) == (ROUNDS, last % 4, {"kc-1": last % 3})
    assert not list(tmp_path.glob(".progress-*"))


# -- a new field merges and reads by its type, with no new code --------------------------------


@dataclass
class FutureRecord:
    """What a later LessonProgress might add: a count, a dict[str, str], a history, a note."""

    BY_FIELD: ClassVar[bool] = True
    runs: Annotated[int, Sum] = 0
    labels: dict[str, str] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    note: str = ""


def test_a_new_progress_field_needs_no_merge_or_reading_code() -> None:
    disk = {"a": {"runs": 5, "labels": {"x": "1"}, "seen": ["p"], "note": "theirs", "later": 1}}
    had = {"a": asdict(FutureRecord(runs=2, seen=["p"]))}
    has = {"a": asdict(FutureRecord(runs=3, labels={"y": "2"}, seen=["p", "q"], note="mine"))}
    merged = merge_value(dict[str, FutureRecord], (), disk, had, has)
    assert merged == {
        "a": {
            "runs": 6,  # theirs 5, plus the one run this session added
            "labels": {"x": "1", "y": "2"},
            "seen": ["p", "q"],
            "note": "mine",
            "later": 1,  # a key this release does not know: kept
        }
    }
    reader = Reader("progress.json", unknown="ignore")
    assert reader.read(FutureRecord, merged["a"]) == FutureRecord(
        6, {"x": "1", "y": "2"}, ["p", "q"], "mine"
    )
    assert reader.problems == []
