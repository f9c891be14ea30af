"""Where the learner stands, kept as one JSON file written atomically; nothing the learner did is lost.

Core module: standard library only (no rich, questionary or typer). The dataclasses below are the
file's schema; `schema.Reader` reads progress.json into them (the same reader as the content).

What can happen to the file, and what the store does:
- It does not exist yet: start empty; the first save creates it.
- It exists but cannot be read (no permission, not a regular file, a folder): it is never replaced.
  The session runs, says once that its progress will not be kept, and leaves the file alone.
- It was written by a newer release (a higher format_version): the same. We cannot know what the
  newer fields mean, so we do not rewrite it.
- It is damaged (not JSON, nested too deeply, a field of the wrong type or out of range, a time we
  cannot read, larger than MAX_BYTES): it is moved aside as `progress.bad-<time>-<pid>.json`, with
  one warning, and the learner starts fresh. If it cannot be moved, it is treated as unreadable.
- Keys this release does not know (a compatible newer release may add them) are kept on save.

Several sessions may run at once (`learn` in one terminal, `quiz` in others). A save re-reads the
file under a lock and applies on top of it only this session's changes since it loaded or last
saved, as deltas: quiz attempts add up, the best score is the maximum, pages done and check answers
are merged one by one, and the latest current page wins. N concurrent quiz runs record N attempts.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, get_args, get_origin

from eventlesson.files import FileError, NotFound, TooLarge, read_file
from eventlesson.records import record
from eventlesson.schema import LETTERS, Max, MaxLen, Min, Reader, Timestamp, fields_of, split

try:  # POSIX only; elsewhere saves are unlocked (still atomic)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PROGRESS_FORMAT = 1  # bump when the JSON shape changes incompatibly
FILE_NAME = "progress.json"
LOCK_NAME = ".progress.lock"  # sibling of the progress file, held while reading-merging-writing
TMP_PREFIX = ".progress-"  # temporary files: .progress-<pid>-<random>.tmp, renamed into place
MAX_BYTES = 4_000_000  # a larger progress file is treated as damaged (kept aside)
LOCK_WAIT = 2.0  # seconds to wait for a lock holder that saves nothing meanwhile, the first time
LOCK_WAIT_AGAIN = 0.2  # after a wait ran out once: the lock is stuck, do not stall every page

Count = Annotated[int, Min(0)]
Chosen = Annotated[int, Min(0), Max(len(LETTERS) - 1)]  # an option's index: A to Z


def now_iso() -> str:
    """The current UTC time, to the second, as ISO 8601."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@record(frozen=False)
class CheckResult:
    """The learner's answer to one in-lesson check question."""

    chosen: Chosen  # authored index of the option picked
    correct: bool  # whether it was right
    at: Annotated[str, Timestamp]  # when (ISO 8601, UTC)


@record(frozen=False)
class QuizRecord:
    """The learner's record on one question set of the quiz."""

    BY_FIELD: ClassVar[bool] = True  # concurrent sessions merge it field by field

    attempts: Annotated[int, Min(0), Sum] = 0  # completed runs of the quiz
    best: Annotated[int, Min(0), Highest] = 0  # best score over all runs
    last: Count = 0  # score of the latest run
    total: Count = 0  # number of questions in the set at the latest run
    at: Annotated[str, Timestamp] = ""  # when the latest run ended
    missed: Annotated[list[str], Whole] = field(default_factory=list)  # wrong at the latest run
    answers: Annotated[dict[str, Chosen], Whole] = field(
        default_factory=dict
    )  # id -> index, latest run


PASSING = "passing"  # an exercise's state after a check that passed; any other value is failing


@record(frozen=False)
class ExerciseRecord:
    """The learner's record on one hands-on exercise (no record: not started)."""

    BY_FIELD: ClassVar[bool] = True  # concurrent sessions merge it field by field

    state: Annotated[str, MaxLen(20)] = ""  # the latest check: "passing", else "failing"
    checks: Annotated[int, Min(0), Sum] = 0  # checks run on the learner's file
    hints: Annotated[int, Min(0), Highest] = 0  # hints shown so far (the next one is hints + 1)
    checked_at: Annotated[str, Timestamp, Latest] = ""  # the latest check
    passed_at: Annotated[str, Timestamp, Earliest] = ""  # the first check that passed

    @property
    def passing(self) -> bool:
        return self.state == PASSING

    def record(self, passed: bool) -> None:
        """Stamp one check of the learner's file."""
        stamp = now_iso()
        self.state = PASSING if passed else "failing"
        self.checks += 1
        self.checked_at = stamp
        if passed and not self.passed_at:
            self.passed_at = stamp


@record(frozen=False)
class LessonProgress:
    """Everything we remember about one lesson."""

    BY_FIELD: ClassVar[bool] = True  # concurrent sessions merge it field by field

    current: str = ""  # id of the section the learner is on
    done: list[str] = field(default_factory=list)  # ids of sections finished, in the order finished
    checks: dict[str, CheckResult] = field(default_factory=dict)  # question id -> latest answer
    quiz: dict[str, QuizRecord] = field(default_factory=dict)  # set name -> record
    exercises: dict[str, ExerciseRecord] = field(default_factory=dict)  # exercise id -> record
    started_at: Annotated[str, Timestamp, Earliest] = ""  # first visit
    updated_at: Annotated[str, Timestamp, Latest] = ""  # latest change
    finished_at: Annotated[str, Timestamp] = ""  # when the last page was reached, if ever

    def mark_done(self, section_id: str) -> None:
        """Record a section as finished (once)."""
        if section_id not in self.done:
            self.done.append(section_id)

    def touch(self) -> None:
        """Stamp a change."""
        stamp = now_iso()
        self.started_at = self.started_at or stamp
        self.updated_at = stamp


@record(frozen=False)
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
        """Read a progress document; ValueError names the first problem (NewerFormat: a newer one).

        Keys this version does not know are passed over (and kept by the store on save).
        """
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        version = data.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("no format_version")
        if version > PROGRESS_FORMAT:
            raise NewerFormat(version)
        if "lessons" not in data:
            raise ValueError("no lessons table")
        reader = Reader(FILE_NAME, unknown="ignore", report_controls=False)
        progress = reader.read(cls, data)
        if reader.problems or progress is None:
            first = reader.problems[0] if reader.problems else None
            raise ValueError(f"{first.field}: {first.message}" if first else "unreadable")
        return progress


class NewerFormat(ValueError):
    """The file was written by a newer release, in a format this one does not know."""

    def __init__(self, version: int) -> None:
        super().__init__(f"written by a newer eventlesson (format {version})")
        self.version = version


class Unreadable(Exception):
    """The file exists but cannot be read (or must not be rewritten); the message says why."""


# -- merging one session's changes into what is on disk -------------------------------------
#
# Driven by the dataclasses above, so a new field merges without new code here. A field's rule:
# - Sum: a count; each session adds what it added (N quiz runs at once, N attempts).
# - Highest: the highest any session reached (the best score).
# - Earliest / Latest: a time; the earliest (first visit) or latest (last change) of all.
# - Whole: replaced as a whole by the session that changed it (the latest run's answers).
# - otherwise by type: a list is a history (what a session added is appended, what it removed is
#   removed); a table is merged entry by entry, each entry a record merged field by field when its
#   class says BY_FIELD, else replaced whole; a single value is the latest session's that changed.
# Whatever a session did not change keeps the file's value, whoever wrote it; keys this release
# does not know are left as they are.


class Sum:
    """Merge rule: counts add up across sessions."""


class Highest:
    """Merge rule: the highest value any session reached."""


class Earliest:
    """Merge rule: the earliest of the times ("" is none)."""


class Latest:
    """Merge rule: the latest of the times."""


class Whole:
    """Merge rule: replaced as a whole by the session that changed it."""


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def merge_record(
    cls: type, disk: dict[str, Any], had: dict[str, Any] | None, has: dict[str, Any]
) -> dict[str, Any]:
    """One record (a dataclass as JSON) merged field by field into `disk`, which is returned."""
    empty = asdict(cls())
    before = had if had is not None else empty
    for key, value in empty.items():
        disk.setdefault(key, _copy(value))
    for spec in fields_of(cls):
        name = spec.name
        disk[name] = merge_value(spec.type, spec.markers, disk[name], before[name], has[name])
    return disk


def merge_value(hint: Any, markers: tuple[Any, ...], disk: Any, had: Any, has: Any) -> Any:
    """The value the file should hold: `disk`, with this session's change from `had` to `has`."""
    base, more = split(hint)
    markers = markers + more
    if has == had:
        return disk  # not ours to change
    if Sum in markers:
        return max(0, disk + has - had)
    if Highest in markers:
        return max(disk, has)
    if Earliest in markers:
        return min((t for t in (disk, has) if t), default="")
    if Latest in markers:
        return max(disk, has)
    if Whole in markers:
        return has
    origin = get_origin(base)
    if origin is list:
        removed = [x for x in had if x not in has]
        added = [x for x in has if x not in had]
        return [x for x in disk if x not in removed] + [x for x in added if x not in disk]
    if origin is dict:
        item, _ = split(get_args(base)[1])
        by_field = isinstance(item, type) and getattr(item, "BY_FIELD", False)
        for key in sorted(set(had) | set(has)):
            if had.get(key) == has.get(key):
                continue
            if key not in has:
                disk.pop(key, None)
            elif by_field and isinstance(disk.get(key), dict | None):
                disk[key] = merge_record(item, disk.get(key) or {}, had.get(key), has[key])
            else:
                disk[key] = has[key]
        return disk
    return has


def merge_lessons(
    disk: dict[str, Any], base: dict[str, Any], mine: dict[str, Any]
) -> dict[str, Any]:
    """Apply what changed from `base` to `mine` on top of `disk` (all three `lessons` tables as JSON).

    `disk` is updated in place and returned (see the rules above).
    """
    hint = dict[str, LessonProgress]
    result: dict[str, Any] = merge_value(hint, (), disk, base, mine)
    return result


# -- the store ----------------------------------------------------------------------------------


class ProgressStore:
    """Loads and saves `progress.json` under a home directory.

    `warnings` collects the one-line notices the learner should see, each once (a damaged file kept
    aside, progress not being kept); the UI decides how to show them. `not_kept` says why this
    session's progress is not being kept ("" while it is), for a UI to repeat after a full-screen
    view hid the first warning. The store remembers what the file held when this session loaded it
    (or last saved), so that `save` writes only this session's changes.
    """

    def __init__(self, home: Path) -> None:
        self.home = home  # the folder, resolved by the caller (see eventlesson.environment)
        self.path = self.home / FILE_NAME
        self.lock_path = self.home / LOCK_NAME
        self.warnings: list[str] = []
        self.not_kept = ""
        self._base: dict[str, Any] = {}  # `lessons` as JSON, as of the last load or save
        self._lock_wait = LOCK_WAIT

    @property
    def writable(self) -> bool:
        """Whether this session's progress is still being kept."""
        return not self.not_kept

    def _stop_keeping(self, why: str) -> None:
        if not self.not_kept:
            self.not_kept = why
            self.warnings.append(why)

    def load(self) -> Progress:
        """The saved progress, or a fresh one (see the module docstring for what may go wrong)."""
        try:
            _, progress, _ = self._read()
        except Unreadable as exc:
            self._stop_keeping(str(exc))
            progress = Progress()
        self._base = progress.to_json()["lessons"]
        return progress

    def _read(self) -> tuple[dict[str, Any], Progress, bool]:
        """The file as raw JSON (every key, for merging), as read into the schema, and whether it
        was damaged and set aside.

        A missing file is empty; a damaged one is moved aside (with a warning) and reads as empty.
        Raises Unreadable when it exists but cannot be read, or must not be rewritten.
        """
        fresh: dict[str, Any] = {"format_version": PROGRESS_FORMAT, "lessons": {}}
        try:
            raw = read_file(self.path, MAX_BYTES)
        except NotFound:
            return fresh, Progress(), False
        except TooLarge as exc:
            return fresh, self._set_aside(str(exc)), True
        except FileError as exc:
            raise Unreadable(self._unreadable(str(exc))) from None
        try:
            data = json.loads(raw.decode("utf-8"))
            return data, Progress.from_json(data), False
        except NewerFormat as exc:
            raise Unreadable(
                f"{self.path} was {exc}; it is left as it is and this session's progress will "
                "not be kept (update eventlesson to keep it)"
            ) from None
        except RecursionError:
            return fresh, self._set_aside("nested too deeply"), True
        except ValueError as exc:  # also JSONDecodeError and UnicodeDecodeError
            return fresh, self._set_aside(_short(str(exc))), True

    def _unreadable(self, why: str) -> str:
        return (
            f"cannot read {self.path} ({why}); it is left as it is and this session's progress "
            "will not be kept"
        )

    def _set_aside(self, why: str) -> Progress:
        """Move a damaged file aside as a backup; Unreadable when it cannot be moved."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        backup = self.path.with_name(f"{self.path.stem}.bad-{stamp}-{os.getpid()}.json")
        try:
            os.replace(self.path, backup)
        except OSError as exc:
            raise Unreadable(
                self._unreadable(f"unusable ({why}) and cannot be moved aside: {exc.strerror}")
            ) from None
        self.warnings.append(
            f"progress file {self.path} was unusable ({why}); kept it as {backup.name}; "
            "starting fresh"
        )
        return Progress()

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
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.lock_path, flags, 0o600)
        except OSError:  # e.g. no such directory, or a symbolic link planted there
            return None
        deadline = time.monotonic() + self._lock_wait
        seen = self._stamp()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                stamp = self._stamp()
                if stamp != seen:
                    # another session saved meanwhile: it is working, not stuck, however long
                    # its turns take on a busy machine; only a holder that writes nothing for
                    # the whole wait is stuck (writing without the lock could lose its save)
                    seen = stamp
                    deadline = time.monotonic() + self._lock_wait
                elif time.monotonic() > deadline:  # a stuck session must not hang this one
                    break
                time.sleep(0.005)
            except OSError:  # a file system without locks
                os.close(fd)
                return None
        os.close(fd)
        if self._lock_wait == LOCK_WAIT:  # say it once; from now on wait only briefly
            self.warnings.append(
                f"another eventlesson has held {self.lock_path} for {LOCK_WAIT:g} s; "
                "saving without waiting for it"
            )
            self._lock_wait = LOCK_WAIT_AGAIN
        return None

    def _stamp(self) -> tuple[int, int, int] | None:
        """Which version of the file is there (every save replaces it with a new one)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _write(self, data: dict[str, Any]) -> None:
        """Write atomically (temp file, fsync, replace); raises OSError. No temp file survives."""
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        tmp_name = ""
        try:
            fd, tmp_name = tempfile.mkstemp(
                prefix=f"{TMP_PREFIX}{os.getpid()}-", suffix=".tmp", dir=self.home
            )
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:  # OSError, and Ctrl-C or a signal's exit mid-write alike
            if tmp_name:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
            raise

    def _sweep(self) -> None:
        """Remove temp files left by sessions that were killed mid-save (their process is gone)."""
        with contextlib.suppress(OSError):
            for path in self.home.glob(f"{TMP_PREFIX}*-*.tmp"):
                pid = path.name[len(TMP_PREFIX) :].split("-", 1)[0]
                if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                    with contextlib.suppress(OSError):
                        path.unlink()

    def save(self, progress: Progress) -> bool:
        """Merge this session's changes into the file and write it; False when it is not kept."""
        if not self.writable:
            return False
        mine = progress.to_json()["lessons"]
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            with self._locked():
                self._sweep()
                try:
                    data, _, damaged = self._read()
                except Unreadable as exc:
                    self._stop_keeping(str(exc))
                    return False
                base = {} if damaged else self._base  # set aside: all of ours is new there
                data["lessons"] = merge_lessons(data["lessons"], base, mine)
                data["format_version"] = PROGRESS_FORMAT
                self._write(data)
        except OSError as exc:
            self._stop_keeping(
                f"cannot write to {self.home} ({exc.strerror or exc}); progress will not be kept"
            )
            return False
        self._base = mine
        return True

    def reset(self, lesson_id: str | None = None) -> bool:
        """Forget one lesson, or everything; True when there was something to forget.

        Raises OSError when the file cannot be removed or rewritten (or must not be: a newer
        release's file, or one that cannot be read, is left alone when one lesson is reset).
        """
        with self._locked():
            if lesson_id is None:
                try:
                    self.path.unlink()
                except FileNotFoundError:
                    return False
                return True
            try:
                data, current, _ = self._read()
            except Unreadable as exc:
                raise OSError(errno.EPERM, str(exc)) from None
            if lesson_id not in current.lessons:
                return False
            del data["lessons"][lesson_id]
            self._write(data)
            return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def _short(text: str) -> str:
    return text if len(text) <= 100 else text[:97] + "..."
