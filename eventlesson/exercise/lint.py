"""What `content check` adds for a lesson's exercises: names that exist, files that exist, and a
run of each: the reference solution must pass, the starting file must fail for the reason the
exercise teaches.

Core module: standard library and `eventlesson.sim` only (no rich, questionary or typer). Every
problem is `file: field: problem`, like the rest of the content check. The runs go through the
same worker as a learner's check, in parallel.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from eventlesson.exercise.judge import CHECKS
from eventlesson.exercise.learner import role
from eventlesson.exercise.runner import Limits, check_source
from eventlesson.exercise.verdict import FAILING, PASSING, Plan, Verdict
from eventlesson.exercise.workspace import (
    FOLDER,
    MAX_FILE_BYTES,
    SOLUTION,
    START,
    exercise_path,
    plan_for,
)
from eventlesson.files import FileError, read_file
from eventlesson.models import Exercise, Lesson
from eventlesson.schema import Problem
from eventlesson.sim.scenarios import SCENARIOS
from eventlesson.text import clean, unsafe_characters

LINT_LIMITS = Limits(call_seconds=2.0, total_seconds=60.0)  # a busy CI machine is no failure
# A course's own files are deterministic: the same source, name and plan give the same verdict,
# so a process that checks many copies of a course (the tests) runs each file once
_verdicts: dict[tuple[str, str, Plan], Verdict] = {}


def _check(exercise: Exercise, name: str, source: str) -> Verdict:
    key = (source, name, plan_for(exercise))
    if key not in _verdicts:
        _verdicts[key] = check_source(source, name, key[2], LINT_LIMITS)
    return _verdicts[key]


def check_exercises(lesson: Lesson, folder: Path, file: str) -> list[Problem]:
    """Every problem with the lesson's exercises; `file` names exercises.toml in messages."""
    problems: list[Problem] = []
    runs: list[tuple[Exercise, str, str, str]] = []  # exercise, which file, its name, source
    root = folder.parent
    for i, exercise in enumerate(lesson.exercises):
        at = f"exercises[{i}]"
        sound = _names(exercise, file, at, problems)
        for name in (START, SOLUTION):
            path = exercise_path(folder, exercise.id, name)
            source = _source(path, _rel(path, root), problems)
            if source is not None and sound:
                runs.append((exercise, name, _rel(path, root), source))
    with ThreadPoolExecutor(max_workers=2) as pool:
        verdicts = list(pool.map(lambda run: _check(run[0], Path(run[2]).name, run[3]), runs))
    for (exercise, name, shown, _), verdict in zip(runs, verdicts, strict=True):
        message = _judged(exercise, name, verdict)
        if message:
            problems.append(Problem(shown, "-", message))
    return problems


def _rel(path: Path, root: Path) -> str:
    """`path` as problems name it: from the folder above the content root, like the others."""
    try:
        return clean(str(path.relative_to(root.parent)))
    except ValueError:
        return clean(str(path))


def _names(exercise: Exercise, file: str, at: str, problems: list[Problem]) -> bool:
    """Whether the functions, scenarios and checks it names exist (problems added if not)."""
    before = len(problems)
    for j, name in enumerate(exercise.functions):
        try:
            role(name)
        except ValueError as exc:
            problems.append(Problem(file, f"{at}.functions[{j}]", str(exc)))
    for j, name in enumerate(exercise.scenarios):
        scenario = SCENARIOS.get(name)
        if scenario is None:
            problems.append(
                Problem(
                    file,
                    f"{at}.scenarios[{j}]",
                    f"unknown scenario {name!r} (choose one of: {', '.join(SCENARIOS)})",
                )
            )
        elif not scenario.has_events:
            problems.append(
                Problem(file, f"{at}.scenarios[{j}]", f"{name!r} has no events to judge")
            )
    for j, name in enumerate(exercise.holds):
        if name not in CHECKS:
            problems.append(
                Problem(
                    file,
                    f"{at}.holds[{j}]",
                    f"unknown check {name!r} (choose from: {', '.join(CHECKS)})",
                )
            )
    return len(problems) == before


def _source(path: Path, shown: str, problems: list[Problem]) -> str | None:
    try:
        text = read_file(path, MAX_FILE_BYTES).decode("utf-8")
    except FileError as exc:
        where = f"{FOLDER}/<id>/{path.name}"
        problems.append(Problem(shown, "-", f"{exc} (every exercise needs {where})"))
        return None
    except UnicodeDecodeError:
        problems.append(Problem(shown, "-", "not UTF-8 text"))
        return None
    for number, line in enumerate(text.split("\n"), 1):
        bad = unsafe_characters(line)
        if bad:
            problems.append(
                Problem(shown, f"line {number}", f"control character ({', '.join(bad[:5])})")
            )
            return None
    return text


def _judged(exercise: Exercise, name: str, verdict: Verdict) -> str:
    """What is wrong with a file's verdict, or "" when it is what the exercise needs."""
    if verdict.problem is not None:
        return f"the check stopped: {verdict.problem.message}"
    if name == SOLUTION:
        if verdict.status != PASSING:
            failure = verdict.failure
            broke = f" (it broke {failure.check}: seed {failure.seed})" if failure else ""
            return f"the reference solution must pass every check{broke}"
        return ""
    if verdict.status != FAILING or verdict.failure is None:
        return f"the starting file must fail, breaking {exercise.teaches}; it passes"
    if verdict.failure.check != exercise.teaches:
        return (
            f"the starting file must fail for the reason the exercise teaches "
            f"({exercise.teaches}); it first breaks {verdict.failure.check}"
        )
    return ""
