"""The learner's file on disk: where it lives, written once from the starting file, watched for saves.

Core module: standard library only (no rich, questionary or typer, no SimPy). The learner's file is
theirs: it is written only when it does not exist (with O_EXCL, so a file that appears meanwhile is
never overwritten), and never rewritten by us. The exercise's own files (the starting file and the
reference solution) are read from the lesson folder with the content's size limits.
"""

from __future__ import annotations

import os
from pathlib import Path

from eventlesson.errors import ContentError, EventlessonError
from eventlesson.exercise.verdict import Plan
from eventlesson.files import FileError, read_file
from eventlesson.models import Exercise, Lesson

START, SOLUTION = "start.py", "solution.py"
MAX_FILE_BYTES = 1_000_000  # an exercise's starting file or solution
FOLDER = "exercises"  # under the progress folder: exercises/<lesson>/<exercise>.py


class WorkspaceError(EventlessonError):
    """The learner's file cannot be written or read where it should be."""


def plan_for(exercise: Exercise) -> Plan:
    """What a check of this exercise runs."""
    return Plan(
        exercise=exercise.id,
        functions=exercise.functions,
        scenarios=exercise.scenarios,
        holds=exercise.holds,
        seeds=exercise.seeds,
        purchases=exercise.purchases,
    )


def exercise_path(lesson_folder: Path, exercise_id: str, name: str) -> Path:
    """An exercise's own file in the lesson folder: its START or its SOLUTION."""
    return lesson_folder / FOLDER / exercise_id / name


def read_exercise_file(lesson: Lesson, exercise: Exercise, name: str) -> str:
    """The starting file or the reference solution, as text; ContentError when unreadable."""
    path = exercise_path(Path(lesson.path), exercise.id, name)
    try:
        return read_file(path, MAX_FILE_BYTES).decode("utf-8")
    except FileError as exc:
        raise ContentError(f"{path}: {exc} (run `eventlesson content check`)") from None
    except UnicodeDecodeError:
        raise ContentError(f"{path}: not UTF-8 text") from None


def default_folder(home: Path, lesson_id: str) -> Path:
    """Where a lesson's exercise files go unless --dir says otherwise."""
    return home / FOLDER / lesson_id


def learner_path(folder: Path, exercise_id: str) -> Path:
    return folder / f"{exercise_id}.py"


def prepare(path: Path, start: str) -> bool:
    """Write the starting file at `path` unless something is there; True when written now."""
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise WorkspaceError(f"{path} is in the way: it is not a regular file")
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o644)
    except FileExistsError:  # it appeared meanwhile: it is theirs now
        return False
    except OSError as exc:
        raise WorkspaceError(f"cannot write {path} ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(start)
    except OSError as exc:
        path.unlink(missing_ok=True)  # half a starting file is of no use to anyone
        raise WorkspaceError(f"cannot write {path} ({exc.strerror or exc})") from None
    return True


Stamp = tuple[int, int, int]


def stamp(path: Path) -> Stamp | None:
    """What changes when the file is saved: its modification time, size and inode."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


class Watcher:
    """Polls a file for saves. A save counts once its stamp has held still for one poll, so a
    file caught half-written by an editor is not checked until the editor is done with it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.checked = stamp(path)  # the version last handed out as a save
        self._seen = self.checked  # what the previous poll saw

    def saved(self) -> bool:
        """True once per save (call it every few tenths of a second)."""
        now = stamp(self.path)
        steady = now == self._seen
        self._seen = now
        if now is None or now == self.checked or not steady:
            return False
        self.checked = now
        return True
