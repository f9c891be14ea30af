"""Where the learner stands, kept as one JSON file written atomically.

Core module: standard library only (no rich, questionary or typer). A damaged or foreign file is
never fatal: it is kept beside the new one as a backup and the learner starts fresh with a warning.
A directory we cannot write to is not fatal either: the session runs and says progress is not kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HOME_ENV = "EVENTLESSON_HOME"
PROGRESS_FORMAT = 1  # bump when the JSON shape changes incompatibly
FILE_NAME = "progress.json"


def now_iso() -> str:
    """The current UTC time, to the second, as ISO 8601."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def default_home() -> Path:
    """The per-user data directory: EVENTLESSON_HOME, else the platform's usual place."""
    explicit = os.environ.get(HOME_ENV)
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "eventlesson"


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
        """Parse a progress document; raises ValueError when its shape is wrong."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        version = data.get("format_version")
        if not isinstance(version, int):
            raise ValueError("no format_version")
        if version > PROGRESS_FORMAT:
            raise ValueError(f"written by a newer eventlesson (format {version})")
        lessons = data.get("lessons")
        if not isinstance(lessons, dict):
            raise ValueError("no lessons table")
        try:
            return cls({str(k): _lesson_from_json(v) for k, v in lessons.items()})
        except (TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"unexpected shape ({exc})") from exc


def _lesson_from_json(raw: dict[str, Any]) -> LessonProgress:
    if not isinstance(raw, dict):
        raise TypeError("lesson entry is not an object")
    checks = {str(k): CheckResult(**v) for k, v in raw.get("checks", {}).items()}
    quiz = {str(k): QuizRecord(**v) for k, v in raw.get("quiz", {}).items()}
    done = raw.get("done", [])
    if not isinstance(done, list) or not all(isinstance(d, str) for d in done):
        raise TypeError("done is not a list of ids")
    fields = {k: raw[k] for k in ("current", "started_at", "updated_at", "finished_at") if k in raw}
    if not all(isinstance(v, str) for v in fields.values()):
        raise TypeError("text field is not text")
    return LessonProgress(done=list(done), checks=checks, quiz=quiz, **fields)


class ProgressStore:
    """Loads and saves `progress.json` under a home directory.

    `warnings` collects the one-line notices the learner should see (damaged file backed up,
    progress not being kept); the UI decides how to show them.
    """

    def __init__(self, home: Path | None = None) -> None:
        self.home = home or default_home()
        self.path = self.home / FILE_NAME
        self.warnings: list[str] = []
        self.writable = True

    def load(self) -> Progress:
        """The saved progress, or a fresh one (with a warning and a backup when the file was bad)."""
        try:
            raw = self.path.read_text(encoding="utf-8")
        except (
            FileNotFoundError,
            NotADirectoryError,
        ):  # nothing saved yet; save() will say if it cannot
            return Progress()
        except (OSError, UnicodeDecodeError) as exc:
            self.warnings.append(f"could not read {self.path} ({exc}); starting fresh")
            return Progress()
        try:
            return Progress.from_json(json.loads(raw))
        except (json.JSONDecodeError, ValueError) as exc:
            backup = self._backup()
            kept = f"kept it as {backup.name}" if backup else "could not back it up"
            self.warnings.append(
                f"progress file {self.path} was unusable ({_short(exc)}); {kept}; starting fresh"
            )
            return Progress()

    def _backup(self) -> Path | None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        backup = self.path.with_name(f"{self.path.stem}.bad-{stamp}-{os.getpid()}.json")
        try:
            os.replace(self.path, backup)
        except OSError:
            return None
        return backup

    def save(self, progress: Progress) -> bool:
        """Write atomically (temp file, fsync, replace); False when progress cannot be kept."""
        if not self.writable:
            return False
        data = json.dumps(progress.to_json(), indent=2, sort_keys=True) + "\n"
        tmp_name = ""
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".progress-", suffix=".tmp", dir=self.home)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
        except OSError as exc:
            if tmp_name:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
            self.writable = False
            self.warnings.append(
                f"cannot write to {self.home} ({exc.strerror or exc}); progress will not be kept"
            )
            return False
        return True

    def reset(self) -> bool:
        """Forget everything; True when there was something to forget."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 60 else text[:57] + "..."
