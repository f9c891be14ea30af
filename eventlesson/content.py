"""Find, load and lint lesson content (course.toml, lesson.toml, quiz.toml, Markdown pages).

Core module: standard library only (no rich, questionary or typer). The
schema is the dataclasses of `models`; `schema.Reader` turns each TOML file into them. This module
adds what spans files: finding them (regular files only, within MAX_FILE_BYTES), the Markdown
pages, ids unique across lesson.toml and quiz.toml, the lesson's id matching its folder, the
Markdown subset, and (for `content check` only) simulation scenario names. Every problem is
`file: field: problem`.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from eventlesson import markup
from eventlesson.errors import ContentError, UsageError
from eventlesson.files import FileError, NotFound, read_file
from eventlesson.models import (
    FORMAT_VERSION,
    ChoiceCheck,
    ClassifyCheck,
    Course,
    ExerciseBlock,
    Exercises,
    Lesson,
    MarkdownBlock,
    PredictCheck,
    Quiz,
    QuizBlock,
    Section,
    SimulationBlock,
)
from eventlesson.schema import Markdown, Problem, Reader, fields_of, suggestion
from eventlesson.text import clean, has_unsafe, quoted, unsafe_characters

COURSE_FILE = "course.toml"
LESSON_FILE = "lesson.toml"
QUIZ_FILE = "quiz.toml"
EXERCISES_FILE = "exercises.toml"
MAX_FILE_BYTES = 1_000_000  # a content file (TOML or Markdown) larger than this is refused

T = TypeVar("T")

__all__ = ["Problem"]  # re-exported: callers name problems through this module


# -- locating ---------------------------------------------------------------------------------


def default_content_dir() -> Path:
    """The shipped content: packaged copy in a wheel, else the checkout's `content/`."""
    # The package is a folder on disk (content is read through Path), so its own location
    # names the copy; importlib.resources would add ~3 ms of imports to every quiz start.
    packaged = Path(__file__).parent / "_content"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "content"


def resolve_content_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The content root: the folder asked for, else the shipped copy.

    The App passes --content-dir or EVENTLESSON_CONTENT_DIR (read in `eventlesson.environment`).
    """
    root = Path(explicit).expanduser() if explicit else default_content_dir()
    try:
        if not root.exists():
            raise ContentError(f"{root}: content directory not found")
        if not root.is_dir():
            raise ContentError(f"{root}: not a directory")
    except OSError as exc:  # e.g. a loop of symbolic links
        raise ContentError(f"{root}: cannot open ({exc.strerror or exc})") from None
    if not os.access(root, os.R_OK | os.X_OK):
        raise ContentError(f"{root}: content directory is not readable")
    return root


def _rel(path: Path, root: Path) -> str:
    """`path` as problems name it: relative to the folder above the content root."""
    try:
        return clean(str(path.relative_to(root.parent)))
    except ValueError:
        return clean(str(path))


def read_toml(
    path: Path, file: str, problems: list[Problem], missing: str = "file not found"
) -> dict[str, Any] | None:
    """A TOML file as a table; None (with the problem recorded, `missing` if there is no such
    file) when it cannot be read."""
    try:
        data = tomllib.loads(read_file(path, MAX_FILE_BYTES).decode("utf-8"))
    except NotFound:
        problems.append(Problem(file, "-", missing))
    except FileError as exc:
        problems.append(Problem(file, "-", str(exc)))
    except UnicodeDecodeError:
        problems.append(Problem(file, "-", "not UTF-8 text"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(file, "-", f"TOML syntax error: {clean(str(exc))}"))
    except RecursionError:
        problems.append(Problem(file, "-", "TOML nested too deeply"))
    else:
        return data
    return None


def read_document(
    cls: type[T], path: Path, file: str, problems: list[Problem], missing: str = "file not found"
) -> T | None:
    """One TOML file read into `cls`: its format_version checked, then the schema applied
    (`missing`: the problem when there is no such file)."""
    data = read_toml(path, file, problems, missing)
    if data is None:
        return None
    version = data.get("format_version")
    if version is None:
        problems.append(Problem(file, "format_version", "missing"))
    elif version != FORMAT_VERSION:
        problems.append(
            Problem(
                file,
                "format_version",
                f"{clean(repr(version))} is not supported (this tool reads {FORMAT_VERSION})",
            )
        )
        return None
    reader = Reader(file)
    result = reader.read(cls, data, also=("format_version",))
    problems.extend(reader.problems)
    return result


# -- the course ---------------------------------------------------------------------------------


def read_course(root: Path) -> tuple[Course, list[Problem]]:
    """The course.toml at `root` and every problem with it (names only: folders are not opened)."""
    problems: list[Problem] = []
    path = root / COURSE_FILE
    missing = "file not found (it lists the lessons, in order)"
    course = read_document(Course, path, _rel(path, root), problems, missing)
    if course is None or problems:
        return Course(()), problems
    return course, problems


def load_course(root: Path) -> Course:
    """The course at `root`; its first problem becomes a ContentError."""
    course, problems = read_course(root)
    if problems:
        raise ContentError(str(problems[0]))
    return course


def lesson_dirs(root: Path) -> list[Path]:
    """The lesson folders course.toml lists, in its order."""
    return [root / name for name in load_course(root).lessons]


# -- a lesson -----------------------------------------------------------------------------------


class LessonReader:
    """Reads one lesson folder (lesson.toml, its Markdown pages, quiz.toml), collecting problems."""

    def __init__(self, folder: Path, root: Path, *, scenarios: bool = False) -> None:
        self.folder = folder
        self.root = root
        self.scenarios = scenarios  # also check simulation scenario names (imports the simulation)
        self.problems: list[Problem] = []

    def rel(self, path: Path) -> str:
        return _rel(path, self.root)

    @functools.cached_property
    def _real_folder(self) -> Path:
        """The folder with links resolved, once: every page must lie inside it."""
        return self.folder.resolve()

    def lesson(self) -> Lesson | None:
        lesson_file = self.rel(self.folder / LESSON_FILE)
        lesson = read_document(Lesson, self.folder / LESSON_FILE, lesson_file, self.problems)
        if lesson is None:
            return None
        lesson = dataclasses.replace(
            lesson, sections=tuple(self.pages(s, i) for i, s in enumerate(lesson.sections))
        )
        quiz_path = self.folder / QUIZ_FILE
        quiz_file = self.rel(quiz_path)
        quiz = Quiz()
        if quiz_path.exists() or quiz_path.is_symlink():
            quiz = read_document(Quiz, quiz_path, quiz_file, self.problems) or Quiz()
        exercises_path = self.folder / EXERCISES_FILE
        exercises = Exercises()
        if exercises_path.exists() or exercises_path.is_symlink():
            exercises = (
                read_document(Exercises, exercises_path, self.rel(exercises_path), self.problems)
                or Exercises()
            )
        lesson = dataclasses.replace(
            lesson,
            questions=quiz.questions,
            exercises=exercises.exercises,
            path=str(self.folder),
        )
        self.cross_check(lesson, lesson_file, quiz_file)
        self.check_exercise_blocks(lesson, lesson_file)
        self.lint_prose(lesson, lesson_file)
        return lesson

    def pages(self, section: Section, index: int) -> Section:
        """The section with each Markdown block's file read into its text."""
        blocks = []
        for j, block in enumerate(section.blocks):
            if isinstance(block, MarkdownBlock):
                where = f"sections[{index}].blocks[{j}].file"
                block = dataclasses.replace(block, text=self.markdown(block.file, where))
            blocks.append(block)
        return dataclasses.replace(section, blocks=tuple(blocks))

    def markdown(self, name: str, where: str) -> str:
        lesson_file = self.rel(self.folder / LESSON_FILE)
        path = (self.folder / name).resolve()
        if self._real_folder not in path.parents:
            self.problems.append(
                Problem(lesson_file, where, f"{name!r} points outside the lesson folder")
            )
            return ""
        file = self.rel(self.folder / name)
        try:
            text = read_file(path, MAX_FILE_BYTES).decode("utf-8")
        except FileError as exc:
            self.problems.append(Problem(lesson_file, where, f"{file} {exc}"))
            return ""
        except UnicodeDecodeError:
            self.problems.append(Problem(lesson_file, where, f"{file} is not UTF-8 text"))
            return ""
        for number, line in enumerate(text.split("\n") if has_unsafe(text) else (), 1):
            bad = unsafe_characters(line)
            if bad:
                self.problems.append(
                    Problem(file, f"line {number}", f"control character ({', '.join(bad[:5])})")
                )
        for number, message in markup.unsupported(text):
            self.problems.append(Problem(file, f"line {number}", message))
        return clean(text)

    def cross_check(self, lesson: Lesson, lesson_file: str, quiz_file: str) -> None:
        """What spans files: the folder name, question ids, sections the quiz tests, scenarios."""
        if lesson.id and lesson.id != self.folder.name:
            self.problems.append(
                Problem(
                    lesson_file,
                    "id",
                    f"{lesson.id!r} must be the lesson's folder name, {self.folder.name!r}",
                )
            )
        first: dict[str, tuple[str, str]] = {}
        for file, where, question_id in self.question_ids(lesson, lesson_file, quiz_file):
            if question_id in first:
                first_file, first_where = first[question_id]
                at = first_where if first_file == file else f"{first_file}: {first_where}"
                self.problems.append(
                    Problem(
                        file,
                        where,
                        f"question id {question_id!r} is used more than once (first at {at})",
                    )
                )
            else:
                first[question_id] = (file, where)
        section_ids = {s.id for s in lesson.sections}
        for i, q in enumerate(lesson.questions):
            if q.section not in section_ids:
                self.problems.append(
                    Problem(quiz_file, f"questions[{i}].section", f"unknown section {q.section!r}")
                )
        for i, section in enumerate(lesson.sections):
            for j, block in enumerate(section.blocks):
                if isinstance(block, QuizBlock) and not lesson.quiz_questions(block.quiz):
                    self.problems.append(
                        Problem(
                            lesson_file,
                            f"sections[{i}].blocks[{j}].quiz",
                            f"the lesson has no quiz questions in the {block.quiz!r} set",
                        )
                    )
        self.check_outcomes(lesson, lesson_file, quiz_file)
        if self.scenarios:
            self.check_scenarios(lesson, lesson_file, quiz_file)

    def check_exercise_blocks(self, lesson: Lesson, lesson_file: str) -> None:
        """Each exercise block names an exercise, and each exercise is pointed to from a page."""
        known = {e.id for e in lesson.exercises}
        shown: set[str] = set()
        for i, section in enumerate(lesson.sections):
            for j, block in enumerate(section.blocks):
                if isinstance(block, ExerciseBlock):
                    shown.add(block.exercise)
                    if block.exercise not in known:
                        self.problems.append(
                            Problem(
                                lesson_file,
                                f"sections[{i}].blocks[{j}].exercise",
                                f"unknown exercise {block.exercise!r}",
                            )
                        )
        exercises_file = self.rel(self.folder / EXERCISES_FILE)
        for i, exercise in enumerate(lesson.exercises):
            if exercise.id not in shown:
                self.problems.append(
                    Problem(
                        exercises_file,
                        f"exercises[{i}].id",
                        f"exercise {exercise.id!r} is not pointed to from any page "
                        '(a block of kind "exercise")',
                    )
                )

    @staticmethod
    def question_ids(
        lesson: Lesson, lesson_file: str, quiz_file: str
    ) -> Iterator[tuple[str, str, str]]:
        """(file, field, id) of every question, in reading order."""
        for i, check in enumerate(lesson.checks):
            if isinstance(check, ClassifyCheck):
                for j, item in enumerate(check.items):
                    yield lesson_file, f"checks[{i}].items[{j}].id", item.id
            elif isinstance(check, ChoiceCheck | PredictCheck):
                for j, asked in enumerate(check.questions):
                    yield lesson_file, f"checks[{i}].questions[{j}].id", asked.id
        for i, question in enumerate(lesson.questions):
            yield quiz_file, f"questions[{i}].id", question.id

    def check_scenarios(self, lesson: Lesson, lesson_file: str, quiz_file: str) -> None:
        # Imported here, and only by `content check`: importing the simulation package loads
        # SimPy, which every other command (the quiz's start-up budget) must not pay for.
        from eventlesson.exercise.lint import check_exercises
        from eventlesson.sim.scenarios import SCENARIOS

        if lesson.exercises:  # their names, files, and a run of each start and solution
            self.problems.extend(
                check_exercises(lesson, self.folder, self.rel(self.folder / EXERCISES_FILE))
            )

        known = f"(choose one of: {', '.join(SCENARIOS)})"
        for i, section in enumerate(lesson.sections):
            for j, block in enumerate(section.blocks):
                if isinstance(block, SimulationBlock) and block.scenario not in SCENARIOS:
                    self.problems.append(
                        Problem(
                            lesson_file,
                            f"sections[{i}].blocks[{j}].scenario",
                            f"unknown scenario {block.scenario!r} {known}",
                        )
                    )
        for i, check in enumerate(lesson.checks):
            if isinstance(check, PredictCheck) and check.scenario not in SCENARIOS:
                self.problems.append(
                    Problem(
                        lesson_file,
                        f"checks[{i}].scenario",
                        f"unknown scenario {check.scenario!r} {known}",
                    )
                )
        for i, question in enumerate(lesson.questions):
            scenario = getattr(question, "scenario", "")
            if scenario and scenario not in SCENARIOS:
                self.problems.append(
                    Problem(
                        quiz_file,
                        f"questions[{i}].scenario",
                        f"unknown scenario {scenario!r} {known}",
                    )
                )

    def check_outcomes(self, lesson: Lesson, lesson_file: str, quiz_file: str) -> None:
        """Every outcome a prediction's (or a quiz predict question's) option names is one the
        read-out can measure."""
        from eventlesson.predict import OUTCOMES  # standard library only: cheap

        named: list[tuple[str, str, str]] = []  # (file, field, outcome)
        for i, check in enumerate(lesson.checks):
            if isinstance(check, PredictCheck):
                for k, asked in enumerate(check.questions):
                    for n, claim in enumerate(asked.options):
                        where = f"checks[{i}].questions[{k}].options[{n}].outcome"
                        named.append((lesson_file, where, claim.outcome))
        for i, question in enumerate(lesson.questions):
            for n, option in enumerate(question.options):
                outcome = getattr(option, "outcome", "")
                named.append((quiz_file, f"questions[{i}].options[{n}].outcome", outcome))
        for file, where, outcome in named:
            if outcome and outcome not in OUTCOMES:
                self.problems.append(
                    Problem(
                        file,
                        where,
                        f"unknown outcome {outcome!r}{suggestion(outcome, list(OUTCOMES))}",
                    )
                )

    def lint_prose(self, lesson: Lesson, lesson_file: str) -> None:
        """Markdown fields of lesson.toml (not the pages: `markdown` lints those) in the subset."""
        for where, text in markdown_fields(lesson):
            for number, message in markup.unsupported(text):
                line = f" (line {number})" if "\n" in text.strip() else ""
                self.problems.append(Problem(lesson_file, where, message + line))


def markdown_fields(value: object, where: str = "") -> Iterator[tuple[str, str]]:
    """(field, text) of every Markdown-marked field read from a file, anywhere under `value`."""
    if isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from markdown_fields(item, f"{where}[{i}]")
        return
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return
    for spec in fields_of(type(value)):
        item = getattr(value, spec.name)
        at = f"{where}.{spec.name}" if where else spec.name
        if spec.derived:
            continue  # e.g. a Markdown page's text: linted where it is read, by line
        if any(m is Markdown for m in spec.markers) and isinstance(item, str):
            yield at, item
        else:
            yield from markdown_fields(item, at)


# -- public API -------------------------------------------------------------------------------


def check_tree(root: Path) -> list[Problem]:
    """Lint a content root (course.toml and every lesson) or one lesson folder; [] means all is well."""
    try:
        if not root.is_dir():
            return [Problem(clean(str(root)), "-", "not a directory")]
        if (root / LESSON_FILE).exists():  # one lesson folder
            reader = LessonReader(root, root.parent, scenarios=True)
            reader.lesson()
            return reader.problems
        found = sorted(p.parent.name for p in root.glob(f"*/{LESSON_FILE}"))
    except OSError as exc:
        return [Problem(clean(str(root)), "-", f"cannot open ({exc.strerror or exc})")]
    except RecursionError:
        return [Problem(clean(str(root)), "-", "nested too deeply")]
    course, problems = read_course(root)
    course_file = _rel(root / COURSE_FILE, root)
    listed = set(course.lessons)
    if course.lessons:
        for name in found:
            if name not in listed:
                problems.append(
                    Problem(course_file, "lessons", f"{name!r} holds a lesson but is not listed")
                )
    # Without a readable course.toml, still check every lesson folder there is.
    for i, name in enumerate(course.lessons or tuple(found)):
        folder = root / name
        try:
            (folder / LESSON_FILE).stat()
        except OSError as exc:
            missing = isinstance(exc, FileNotFoundError | NotADirectoryError)
            why = "not found" if missing else f"cannot be opened ({exc.strerror or exc})"
            where = f"{_rel(folder, root)}/{LESSON_FILE}"
            problems.append(Problem(course_file, f"lessons[{i}]", f"{where} {why}"))
            continue
        reader = LessonReader(folder, root, scenarios=True)
        try:
            reader.lesson()
        except RecursionError:
            reader.problems.append(Problem(_rel(folder, root), "-", "nested too deeply"))
        problems.extend(reader.problems)
    return problems


def load_folder(folder: Path, root: Path | None = None) -> Lesson:
    """Load one lesson folder; the first problem found becomes a ContentError."""
    reader = LessonReader(folder, root or folder.parent)
    lesson = reader.lesson()
    if reader.problems or lesson is None:
        first = reader.problems[0]
        more = len(reader.problems) - 1
        tail = f" (and {more} more; run `eventlesson content check`)" if more else ""
        raise ContentError(f"{first}{tail}")
    return lesson


def find_lesson_dir(root: Path, lesson_id: str | None) -> Path:
    """The folder of the lesson asked for (by id or a unique part of it); the default without one."""
    course = load_course(root)
    if lesson_id is None:
        return root / course.default_lesson
    wanted = lesson_id.strip().lower()
    for name in course.lessons:
        if name.lower() == wanted:
            return root / name
    matches = [name for name in course.lessons if wanted and wanted in name.lower()]
    if len(matches) == 1:
        return root / matches[0]
    raise UsageError(f"unknown lesson {quoted(lesson_id)}; available: {', '.join(course.lessons)}")


def load_lesson(
    lesson_id: str | None = None, content_dir: str | os.PathLike[str] | None = None
) -> Lesson:
    """Resolve the content root, find the lesson and load it."""
    root = resolve_content_dir(content_dir)
    return load_folder(find_lesson_dir(root, lesson_id), root)
