"""Where the learner stands, kept as one JSON file written atomically.

Core module: standard library only (no rich, questionary or typer). A damaged or foreign file is
never fatal: it is kept beside the new one as a backup and the learner starts fresh with a warning.
A directory we cannot write to is not fatal either: the session runs and says progress is not kept.

Several sessions may run at once (`learn` in one terminal, `quiz` in another). A save therefore
never writes the whole in-memory copy: it re-reads the file and applies on top of it only the parts
this session changed since it loaded or last saved (a lesson's walk — current, done, checks,
finished_at — as one unit, and each quiz set as one unit), under a best-effort lock file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeGuard, TypeVar

try:  # POSIX only; elsewhere saves are unlocked (still atomic)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PROGRESS_FORMAT = 1  # bump when the JSON shape changes incompatibly
FILE_NAME = "progress.json"
LOCK_NAME = ".progress.lock"  # sibling of the progress file, held while reading-merging-writing
LOCK_WAIT = 5.0  # seconds to wait for another session's save before writing unlocked
WALK_FIELDS = ("current", "done", "checks", "finished_at")  # saved together, as one unit


def now_iso() -> str:
    """The current UTC time, to the second, as ISO 8601."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class CheckResult:
    """The learner's answer to one in-lesson check question."""

    chosen: int  # authored index of the option picked
    correct: bool  # whether it was right
    at: str  # when (ISO 8601, UTC)


@dataclass
class QuizRecord:
    """The learner's record on one question set of the quiz."""

    attempts: int = 0  # completed runs of the quiz
    best: int = 0  # best score over all runs
    last: int = 0  # score of the latest run
    total: int = 0  # number of questions in the set at the latest run
    at: str = ""  # when the latest run ended
    missed: list[str] = field(default_factory=list)  # question ids wrong at the latest run
    answers: dict[str, int] = field(
        default_factory=dict
    )  # question id -> authored index, latest run


@dataclass
class LessonProgress:
    """Everything we remember about one lesson."""

    current: str = ""  # id of the section the learner is on
    done: list[str] = field(default_factory=list)  # ids of sections finished, in the order finished
    checks: dict[str, CheckResult] = field(default_factory=dict)  # question id -> latest answer
    quiz: dict[str, QuizRecord] = field(default_factory=dict)  # set name -> record
    started_at: str = ""  # first visit
    updated_at: str = ""  # latest change
    finished_at: str = ""  # when the last page was reached, if ever

    def mark_done(self, section_id: str) -> None:
        """Record a section as finished (once)."""
        if section_id not in self.done:
            self.done.append(section_id)

    def touch(self) -> None:
        """Stamp a change."""
        stamp = now_iso()
        self.started_at = self.started_at or stamp
        self.updated_at = stamp


@dataclass
class Progress:
    """The whole progress file."""

    lessons: dict[str, LessonProgress] = field(default_factory=dict)  # lesson id -> progress

    def lesson(self, lesson_id: str) -> LessonProgress:
        """The progress of one lesson, created empty on first use."""
        return self.lessons.setdefault(lesson_id, LessonProgress())

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": PROGRESS_FORMAT,
            "lessons": {k: asdict(v) for k, v in self.lessons.items()},
        }

    @classmethod
    def from_json(cls, data: object) -> Progress:
        """Parse a progress document; raises ValueError when its shape or a field's type is wrong.

        Keys this version does not know are ignored, so a file from a compatible newer release
        still loads.
        """
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        version = data.get("format_version")
        if not _is_int(version):
            raise ValueError("no format_version")
        if version > PROGRESS_FORMAT:
            raise ValueError(f"written by a newer eventlesson (format {version})")
        lessons = data.get("lessons")
        if not isinstance(lessons, dict):
            raise ValueError("no lessons table")
        try:
            return cls({str(k): _lesson_from_json(v, str(k)) for k, v in lessons.items()})
        except ValueError as exc:
            raise ValueError(f"unexpected shape ({exc})") from exc


# -- reading records, type by type ------------------------------------------------------------


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)  # True is not a number here


# field annotation (a string: postponed annotations) -> (test, what the value should be)
_KINDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "int": (_is_int, "a whole number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "str": (lambda v: isinstance(v, str), "text"),
    "list[str]": (
        lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
        "a list of text",
    ),
    "dict[str, int]": (
        lambda v: isinstance(v, dict) and all(_is_int(i) for i in v.values()),
        "a table of whole numbers",
    ),
}

_Record = TypeVar("_Record", CheckResult, QuizRecord, LessonProgress)


def _record_from_json(
    cls: type[_Record], raw: object, where: str, *, skip: tuple[str, ...] = ()
) -> _Record:
    """Build a dataclass from a JSON object, checking each field's type; unknown keys ignored."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where} is not an object")
    values: dict[str, Any] = {}
    for spec in fields(cls):
        if spec.name in skip:
            continue
        if spec.name not in raw:
            if spec.default is MISSING and spec.default_factory is MISSING:
                raise ValueError(f"{where}: {spec.name} is missing")
            continue
        value = raw[spec.name]
        test, kind = _KINDS[str(spec.type)]
        if not test(value):
            raise ValueError(f"{where}: {spec.name} is not {kind}")
        values[spec.name] = value.copy() if isinstance(value, list | dict) else value
    return cls(**values)


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    table = raw.get(key, {})
    if not isinstance(table, dict):
        raise ValueError(f"{where}: {key} is not a table")
    return table


def _lesson_from_json(raw: object, lesson_id: str) -> LessonProgress:
    lesson = _record_from_json(LessonProgress, raw, lesson_id, skip=("checks", "quiz"))
    assert isinstance(raw, dict)  # checked by _record_from_json
    lesson.checks = {
        str(k): _record_from_json(CheckResult, v, f"{lesson_id} check {k}")
        for k, v in _table(raw, "checks", lesson_id).items()
    }
    lesson.quiz = {
        str(k): _record_from_json(QuizRecord, v, f"{lesson_id} quiz {k}")
        for k, v in _table(raw, "quiz", lesson_id).items()
    }
    return lesson


# -- merging one session's changes into what is on disk -------------------------------------


def merge_lessons(
    disk: dict[str, Any], base: dict[str, Any], mine: dict[str, Any]
) -> dict[str, Any]:
    """Apply what changed from `base` to `mine` on top of `disk` (all three `lessons` tables as JSON).

    A lesson's walk (WALK_FIELDS) moves as one unit, and so does each quiz set: whatever this
    session did not change keeps the file's current value, whoever wrote it. `disk` is updated in
    place and returned.
    """
    empty = asdict(LessonProgress())
    for lesson_id in sorted(set(base) | set(mine)):
        had, has = base.get(lesson_id), mine.get(lesson_id)
        if had == has:
            continue
        if has is None:  # this session forgot the lesson
            disk.pop(lesson_id, None)
            continue
        had = had or empty
        target = disk.setdefault(lesson_id, asdict(LessonProgress()))
        if any(has[k] != had[k] for k in WALK_FIELDS):
            for k in WALK_FIELDS:
                target[k] = has[k]
        for name in sorted(set(had["quiz"]) | set(has["quiz"])):
            record = has["quiz"].get(name)
            if record == had["quiz"].get(name):
                continue
            if record is None:
                target["quiz"].pop(name, None)
            else:
                target["quiz"][name] = record
        starts = [s for s in (target["started_at"], has["started_at"]) if s]
        target["started_at"] = min(starts, default="")
        target["updated_at"] = max(target["updated_at"], has["updated_at"])
    return disk


class ProgressStore:
    """Loads and saves `progress.json` under a home directory.

    `warnings` collects the one-line notices the learner should see (damaged file backed up,
    progress not being kept); the UI decides how to show them. The store remembers what the file
    held when this session loaded it (or last saved), so that `save` writes only this session's
    changes and keeps those another session made meanwhile.
    """

    def __init__(self, home: Path) -> None:
        self.home = home  # the folder, resolved by the caller (see eventlesson.environment)
        self.path = self.home / FILE_NAME
        self.lock_path = self.home / LOCK_NAME
        self.warnings: list[str] = []
        self.writable = True
        self._base: dict[str, Any] = {}  # `lessons` as JSON, as of the last load or save

    def load(self) -> Progress:
        """The saved progress, or a fresh one (with a warning and a backup when the file was bad)."""
        try:
            progress = self._read()
        except OSError as exc:
            self.warnings.append(
                f"could not read {self.path} ({exc.strerror or exc}); starting fresh"
            )
            progress = None
        if progress is None:
            progress = Progress()
        self._base = progress.to_json()["lessons"]
        return progress

    def _read(self) -> Progress | None:
        """What the file holds now: empty when there is none; None when it was unusable.

        An unusable file is moved aside as a backup, with a warning. Raises OSError when the file
        exists but cannot be read.
        """
        try:
            raw = self.path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):  # nothing saved yet
            return Progress()
        try:
            return Progress.from_json(json.loads(raw.decode("utf-8")))
        except ValueError as exc:  # also JSONDecodeError and UnicodeDecodeError
            backup = self._backup()
            kept = f"kept it as {backup.name}" if backup else "could not back it up"
            self.warnings.append(
                f"progress file {self.path} was unusable ({_short(exc)}); {kept}; starting fresh"
            )
            return None

    def _backup(self) -> Path | None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        backup = self.path.with_name(f"{self.path.stem}.bad-{stamp}-{os.getpid()}.json")
        try:
            os.replace(self.path, backup)
        except OSError:
            return None
        return backup

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the sibling lock file while reading, merging and writing (best effort)."""
        fd = self._take_lock()
        try:
            yield
        finally:
            if fd is not None:
                os.close(fd)  # closing releases the lock

    def _take_lock(self) -> int | None:
        if fcntl is None:
            return None
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:  # e.g. no such directory: the write will say what is wrong
            return None
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() > deadline:  # a stuck session must not hang this one
                    break
                time.sleep(0.005)
            except OSError:  # a file system without locks
                break
        os.close(fd)
        return None

    def _write(self, lessons: dict[str, Any]) -> None:
        """Write atomically (temp file, fsync, replace); raises OSError."""
        data = {"format_version": PROGRESS_FORMAT, "lessons": lessons}
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        tmp_name = ""
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=".progress-", suffix=".tmp", dir=self.home)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
        except OSError:
            if tmp_name:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
            raise

    def save(self, progress: Progress) -> bool:
        """Merge this session's changes into the file and write it; False when it cannot be kept."""
        if not self.writable:
            return False
        mine = progress.to_json()["lessons"]
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            with self._locked():
                try:
                    current = self._read()
                except OSError:  # unreadable: ours is all there is (the write may fail too)
                    current = None
                if current is None:
                    lessons = mine  # the file was unusable (and is backed up): keep all of ours
                else:
                    lessons = merge_lessons(current.to_json()["lessons"], self._base, mine)
                self._write(lessons)
        except OSError as exc:
            self.writable = False
            self.warnings.append(
                f"cannot write to {self.home} ({exc.strerror or exc}); progress will not be kept"
            )
            return False
        self._base = progress.to_json()["lessons"]
        return True

    def reset(self, lesson_id: str | None = None) -> bool:
        """Forget one lesson, or everything; True when there was something to forget.

        Raises OSError when the file cannot be removed or rewritten.
        """
        with self._locked():
            if lesson_id is None:
                try:
                    self.path.unlink()
                except FileNotFoundError:
                    return False
                return True
            current = self._read()
            if current is None or lesson_id not in current.lessons:
                return False
            del current.lessons[lesson_id]
            self._write(current.to_json()["lessons"])
            return True


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 100 else text[:97] + "..."
