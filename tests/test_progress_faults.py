"""Nothing the learner did is lost (issue 14): progress.json under faults, races and hostile files.

Each test reproduces one reported way to lose a record or hang, with real processes where the
report used them: a file the learner cannot read (made unreadable for real, as root too, by running
the program without the capability that lets root read anything), N quiz runs at once, a newer
release's file, files that parse but break later, a FIFO, a held or planted lock, an interrupted
save.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from eventlesson import progress as progress_module
from eventlesson.progress import CheckResult, Progress, ProgressStore, QuizRecord

from .support import (
    REPO,
    SAMPLE,
    as_learner,
    ended,
    fixture_lesson,
    foreground_signals,
    position,
    pty_env,
)

KC = ["quiz", "--answers", "A,A,A", "--json"]  # the knowledge check, all right


def run(args: list[str], home: Path, *, learner: bool = False, **env: str):
    full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    full.update(EVENTLESSON_HOME=str(home), PYTHONPATH=str(REPO), **env)
    argv = [sys.executable, "-m", "eventlesson", *args]
    return subprocess.run(
        as_learner(argv) if learner else argv,
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )


def write_progress(home: Path, lessons: dict[str, Any], **top: Any) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "progress.json"
    path.write_text(json.dumps({"format_version": 1, "lessons": lessons, **top}))
    return path


def record(attempts: int = 3, best: int = 3) -> dict[str, Any]:
    return {"attempts": attempts, "best": best, "last": 2, "total": 3}


def lesson_on_disk(home: Path) -> dict[str, Any]:
    return json.loads((home / "progress.json").read_text())["lessons"][SAMPLE]


# -- 1. an existing file that cannot be read is never replaced ---------------------------------


def test_an_unreadable_file_is_left_alone_and_the_quiz_says_progress_is_not_kept(
    home: Path,
) -> None:
    path = write_progress(home, {SAMPLE: {"quiz": {"knowledge-check": record()}}})
    path.chmod(0o000)  # as after `sudo eventlesson quiz`: the learner cannot read it
    before = path.read_bytes()
    result = run(KC, home, learner=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["score"] == 3
    assert result.stderr.count("warning:") == 1
    assert "cannot read" in result.stderr and "will not be kept" in result.stderr
    assert "left as it is" in result.stderr
    assert path.read_bytes() == before  # attempts 3, untouched
    assert [p.name for p in home.iterdir()] == ["progress.json"]  # no backup, no temp file


@pytest.mark.pty
def test_learn_with_an_unreadable_file_says_so_and_leaves_it(home: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    done = ["welcome", "panels", "check-kinds"]
    path = write_progress(home, {SAMPLE: {"current": "fan-out", "done": done}})
    path.chmod(0o000)
    before = path.read_bytes()
    argv = as_learner([sys.executable, "-m", "eventlesson", "learn"])
    child = pexpect.spawn(
        argv[0],
        argv[1:],
        env=pty_env(home),
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=15,
        preexec_fn=foreground_signals,
    )
    # said before the full-screen view opens, so it is on the screen the view gives back
    # wrapped at words under "warning:" on a terminal (one line only into a pipe)
    child.expect(r"cannot\s+read\s[\s\S]*?will\s+not\s+be\s+kept")
    child.expect("\x1b\\[\\?1049h")
    child.expect("quit")
    child.send("n")
    child.expect("quit")
    child.send("q")
    child.expect("\x1b\\[\\?1049l")
    child.expect("progress could not be saved")
    ended(child, 0)
    assert path.read_bytes() == before  # 3 pages done, not wiped


@pytest.mark.pty
def test_progress_lost_during_the_full_screen_view_is_said_again_after_it(
    spawn, home: Path
) -> None:
    child = spawn("learn")
    child.expect("quit")
    path = home / "progress.json"
    path.unlink()
    path.mkdir()  # the file turns into something unreadable while the view is up
    child.send("n")  # this page's save finds it and warns, inside the view
    child.expect("quit")
    child.send("q")
    child.expect("\x1b\\[\\?1049l")  # the view closes...
    # ...and the warning is repeated (wrapped at words on a terminal)
    child.expect(r"warning:[\s\S]*?cannot\s+read\s[\s\S]*?will\s+not\s+be\s+kept")
    child.expect("progress could not be saved")
    ended(child, 0)
    assert path.is_dir()


@pytest.mark.parametrize("kind", ["directory", "fifo", "symlink-loop"])
def test_a_progress_file_that_is_not_a_file_is_left_alone_without_hanging(
    home: Path, kind: str
) -> None:
    home.mkdir(parents=True)
    path = home / "progress.json"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)  # reading it would wait for a writer forever
    else:
        path.symlink_to(path)
    result = run(KC, home)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("warning:") == 1 and "will not be kept" in result.stderr
    assert "left as it is" in result.stderr
    assert not list(home.glob("progress.bad-*"))
    assert path.is_dir() if kind == "directory" else path.is_symlink() or path.is_fifo()


# -- 2. concurrent runs record every attempt ---------------------------------------------------


def test_concurrent_quiz_runs_record_every_attempt_and_the_best_score(home: Path) -> None:
    write_progress(home, {SAMPLE: {"quiz": {"knowledge-check": record(attempts=2, best=1)}}})
    runs = 8
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    env.update(EVENTLESSON_HOME=str(home), PYTHONPATH=str(REPO))
    answers = ["A,A,A" if i == runs // 2 else "A,B,B" for i in range(runs)]  # one 3/3, others 1/3
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "eventlesson", "quiz", "--answers", letters, "--json"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            cwd=REPO,
        )
        for letters in answers
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    saved = lesson_on_disk(home)["quiz"]["knowledge-check"]
    assert saved["attempts"] == 2 + runs  # none lost
    assert saved["best"] == 3  # the one 3/3 is kept, whoever saved last
    assert not list(home.glob(".progress-*.tmp"))


def _page_walker(home: str, name: str) -> None:
    store = ProgressStore(Path(home))
    progress = store.load()
    mine = progress.lesson(SAMPLE)
    for i in range(40):
        mine.mark_done(f"{name}-{i}")
        mine.current = f"{name}-{i}"
        record = mine.quiz.setdefault("practice", QuizRecord())
        record.attempts += 1
        assert store.save(progress)


def test_concurrent_sessions_append_their_histories(tmp_path: Path) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    names = ["a", "b", "c"]
    workers = [ctx.Process(target=_page_walker, args=(str(tmp_path), n)) for n in names]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    saved = json.loads((tmp_path / "progress.json").read_text())["lessons"][SAMPLE]
    for name in names:
        assert [d for d in saved["done"] if d.startswith(f"{name}-")] == [
            f"{name}-{i}" for i in range(40)
        ]
    assert saved["quiz"]["practice"]["attempts"] == 40 * len(names)


# -- 3. a newer release's file: refused, said, left alone; unknown keys survive a save ----------


def test_a_newer_format_is_left_alone_and_not_written(home: Path) -> None:
    path = home / "progress.json"
    home.mkdir(parents=True)
    path.write_text(json.dumps({"format_version": 2, "lessons": {"x": {"new": "shape"}}}))
    before = path.read_bytes()
    result = run(KC, home)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("warning:") == 1
    assert "written by a newer eventlesson (format 2)" in result.stderr
    assert "will not be kept" in result.stderr
    assert path.read_bytes() == before
    assert not list(home.glob("progress.bad-*"))
    reset = run(["progress", SAMPLE, "--reset", "--yes"], home)
    assert reset.returncode == 1 and "newer eventlesson" in reset.stderr
    assert path.read_bytes() == before


def test_unknown_keys_are_kept_on_save(home: Path) -> None:
    check = {"chosen": 0, "correct": True, "at": "2026-01-01T00:00:00+00:00", "seconds": 4}
    write_progress(
        home,
        {
            SAMPLE: {
                "bookmarks": ["fan-out"],
                "checks": {"kinds-do-thing": check},
                "quiz": {"knowledge-check": {**record(), "streak": 2}},
            },
            "other": {"current": "x", "notes": {"a": 1}},
        },
        written_by="a later release",
    )
    assert run(KC, home).returncode == 0
    data = json.loads((home / "progress.json").read_text())
    assert data["written_by"] == "a later release"
    mine = data["lessons"][SAMPLE]
    assert mine["bookmarks"] == ["fan-out"]
    assert mine["checks"]["kinds-do-thing"]["seconds"] == 4
    assert mine["quiz"]["knowledge-check"]["streak"] == 2
    assert mine["quiz"]["knowledge-check"]["attempts"] == 4
    assert data["lessons"]["other"] == {"current": "x", "notes": {"a": 1}}


# -- 6. a file that parses but would break later: unusable, kept aside, one warning ------------


GOOD = {"chosen": 0, "correct": True, "at": "2026-01-01T00:00:00+00:00"}
BREAKS_LATER = {
    "deep-nesting": '{"format_version": 1, "lessons": {"x": '
    + "[" * 100_000
    + "]" * 100_000
    + "}}",
    "chosen-too-big": json.dumps(
        {"format_version": 1, "lessons": {SAMPLE: {"checks": {"q": {**GOOD, "chosen": 99}}}}}
    ),
    "chosen-negative": json.dumps(
        {"format_version": 1, "lessons": {SAMPLE: {"checks": {"q": {**GOOD, "chosen": -1}}}}}
    ),
    "year-1": json.dumps(
        {"format_version": 1, "lessons": {SAMPLE: {"updated_at": "0001-01-01T00:00:00+00:00"}}}
    ),
    "year-9999": json.dumps(
        {"format_version": 1, "lessons": {SAMPLE: {"updated_at": "9999-12-31T23:59:59-12:00"}}}
    ),
    "not-a-time": json.dumps(
        {"format_version": 1, "lessons": {SAMPLE: {"quiz": {"kc": {"at": "yesterday"}}}}}
    ),
    "answer-out-of-range": json.dumps(
        {"format_version": 1, "lessons": {SAMPLE: {"quiz": {"kc": {"answers": {"q": 40}}}}}}
    ),
}


CASES = [pytest.param(name, ["progress"], id=f"{name}-progress") for name in BREAKS_LATER]
CASES += [  # the crashes were reported on these commands too
    pytest.param("deep-nesting", ["lessons"], id="deep-nesting-lessons"),
    pytest.param("deep-nesting", ["quiz", "--answers", "A,A,A"], id="deep-nesting-quiz"),
]


@pytest.mark.parametrize(("name", "args"), CASES)
def test_a_file_that_breaks_later_is_kept_aside_with_one_warning(
    home: Path, name: str, args: list[str]
) -> None:
    home.mkdir(parents=True)
    raw = BREAKS_LATER[name]
    (home / "progress.json").write_text(raw)
    result = run(args, home)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.count("warning:") == 1 and "unusable" in result.stderr
    assert [b.read_text() for b in home.glob("progress.bad-*.json")] == [raw]


@pytest.mark.pty
def test_learn_resumes_on_a_fresh_start_after_an_out_of_range_answer(spawn, home: Path) -> None:
    home.mkdir(parents=True)
    raw = BREAKS_LATER["chosen-too-big"].replace('"checks"', '"current": "check-kinds", "checks"')
    (home / "progress.json").write_text(raw)
    child = spawn("learn")
    child.expect(position("welcome"))  # a fresh start, not a crash on the check page
    child.expect("quit")
    child.send("q")
    ended(child, 0)
    assert [b.read_text() for b in home.glob("progress.bad-*.json")] == [raw]


def test_a_check_answer_in_range_but_beyond_the_options_still_renders() -> None:
    """Range-checked on load (A-Z); an answer past a shorter question's options is not a crash."""
    from eventlesson.ui import render_lesson as view

    lesson = fixture_lesson()
    section = lesson.sections[lesson.section_index("check-kinds")]
    answers = {q.id: CheckResult(chosen=7, **GOOD_RESULT) for q in lesson.check("kinds").questions}
    out = io.StringIO()
    Console(file=out, width=80, color_system=None).print(
        view.body(lesson, section, answers=answers)
    )
    assert "You chose H: Not quite." in out.getvalue()


GOOD_RESULT = {"correct": False, "at": "2026-01-01T00:00:00+00:00"}


def test_a_huge_progress_file_is_kept_aside_not_read(home: Path) -> None:
    home.mkdir(parents=True)
    path = home / "progress.json"
    with path.open("w") as handle:
        handle.write('{"format_version": 1, "lessons": {}, "pad": "')
        handle.write("x" * (progress_module.MAX_BYTES + 1))
        handle.write('"}')
    store = ProgressStore(home)
    assert store.load() == Progress()
    assert len(store.warnings) == 1 and "byte limit" in store.warnings[0]
    assert len(list(home.glob("progress.bad-*.json"))) == 1


# -- small items: temp files, a held lock, a planted lock link ----------------------------------


def test_an_interrupted_save_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ProgressStore(tmp_path)
    progress = store.load()
    progress.lesson(SAMPLE).current = "welcome"

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt  # Ctrl-C (or a signal turned into an exit) mid-write

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.save(progress)
    assert not list(tmp_path.glob(".progress-*.tmp"))
    assert not (tmp_path / "progress.json").exists()


def test_temp_files_of_killed_sessions_are_swept_up(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    stale = tmp_path / f".progress-{dead}-abcd.tmp"  # a session killed mid-save (kill -9)
    stale.write_text("{")
    live = tmp_path / f".progress-{os.getppid()}-efgh.tmp"  # a live session's, mid-save
    live.write_text("{")
    store = ProgressStore(tmp_path)
    assert store.save(store.load())
    assert not stale.exists() and live.exists()


def test_a_held_lock_is_said_once_and_then_waited_on_briefly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress_module, "LOCK_WAIT", 0.2)  # the first wait, shortened
    monkeypatch.setattr(progress_module, "LOCK_WAIT_AGAIN", 0.01)
    holder = os.open(tmp_path / ".progress.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # a session stopped (Ctrl-Z) while saving
    try:
        store = ProgressStore(tmp_path)
        store._lock_wait = progress_module.LOCK_WAIT
        progress = store.load()
        for page in ("a", "b", "c"):
            progress.lesson(SAMPLE).current = page
            assert store.save(progress)
        assert len(store.warnings) == 1 and "saving without waiting" in store.warnings[0]
        assert store._lock_wait == 0.01
    finally:
        os.close(holder)
    assert json.loads((tmp_path / "progress.json").read_text())["lessons"][SAMPLE]["current"] == "c"


def test_a_session_that_keeps_saving_is_waited_for_however_long_it_holds_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another session saving page after page holds the lock most of the time; on a loaded
    machine this one can miss every gap for longer than LOCK_WAIT. It is working, not stuck:
    saving without the lock then would let its next write drop this session's change. The
    clock is ours: each poll of the lock lasts half of LOCK_WAIT, and the other session saves
    in each one, six times (three LOCK_WAITs) before it lets go."""
    other = tmp_path / "progress.json"
    holder = os.open(tmp_path / ".progress.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)

    class Clock:
        now = 0.0
        polls = 0

        def monotonic(self) -> float:
            return self.now

        def sleep(self, _seconds: float) -> None:
            self.now += progress_module.LOCK_WAIT / 2
            self.polls += 1
            if self.polls <= 6:  # the other session's next save, lock held throughout
                doc = {"format_version": 1, "lessons": {"other": {"current": f"p{self.polls}"}}}
                tmp = tmp_path / "other.tmp"
                tmp.write_text(json.dumps(doc))
                os.replace(tmp, other)
            else:
                os.close(holder)  # and then it is done

    clock = Clock()
    monkeypatch.setattr(progress_module, "time", clock)
    store = ProgressStore(tmp_path)
    progress = store.load()
    progress.lesson(SAMPLE).current = "mine"
    assert store.save(progress)
    assert clock.polls == 7 and store.warnings == []  # it waited, and said nothing
    lessons = json.loads(other.read_text())["lessons"]
    assert lessons["other"]["current"] == "p6" and lessons[SAMPLE]["current"] == "mine"


def test_a_lock_file_planted_as_a_symlink_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    home = tmp_path / "home"
    home.mkdir()
    (home / ".progress.lock").symlink_to(target)
    store = ProgressStore(home)
    progress = store.load()
    progress.lesson(SAMPLE).current = "welcome"
    assert store.save(progress)  # saved (unlocked) ...
    assert not target.exists()  # ... without creating the file the link points to


def test_records_keep_every_field_through_a_round_trip(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path)
    progress = store.load()
    mine = progress.lesson(SAMPLE)
    mine.checks["q"] = CheckResult(chosen=25, correct=False, at="2026-01-01T00:00:00+00:00")
    mine.quiz["kc"] = QuizRecord(attempts=1, answers={"q": 25})
    assert store.save(progress)
    assert ProgressStore(tmp_path).load() == progress
