"""Find, load and lint lesson content (TOML + Markdown) into the dataclasses of `models`.

Core module: standard library only (no rich, questionary or typer). Every problem is reported as
`file: field: problem`, so a content author can go straight to it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from eventlesson.errors import ContentError, UsageError
from eventlesson.models import (
    BLOCK_KINDS,
    FORMAT_VERSION,
    QUESTION_SETS,
    Block,
    Check,
    Course,
    Insight,
    Lesson,
    Objective,
    Option,
    Question,
    Resource,
    Section,
    Term,
    TreeNode,
    letter,
)

COURSE_FILE = "course.toml"
LESSON_FILE = "lesson.toml"
QUIZ_FILE = "quiz.toml"

# The keys each kind of table may hold; anything else is reported (catches typos like `recpa`).
COURSE_KEYS = frozenset({"format_version", "lessons", "default"})
LESSON_KEYS = frozenset(
    {"format_version", "id", "title", "summary", "minutes", "objectives", "insights"}
    | {"resources", "glossary", "sections", "checks"}
)
QUIZ_KEYS = frozenset({"format_version", "questions"})
SECTION_KEYS = frozenset({"id", "title", "recap", "blocks"})
BLOCK_KEYS: dict[str, frozenset[str]] = {  # per block kind, besides `kind`
    "markdown": frozenset({"file"}),
    "code": frozenset({"language", "code", "caption"}),
    "tree": frozenset({"tree", "caption"}),
    "table": frozenset({"columns", "rows", "caption"}),
    "callout": frozenset({"title", "text"}),
    "check": frozenset({"check"}),
    "simulation": frozenset({"scenario", "text"}),
    "objectives": frozenset(),
    "resources": frozenset(),
    "insights": frozenset(),
    "glossary": frozenset(),
}
CHECK_KEYS = {  # per check kind
    "classify": frozenset(
        {"id", "section", "title", "intro", "kind", "prompt", "choices", "items"}
    ),
    "choice": frozenset({"id", "section", "title", "intro", "kind", "questions"}),
}
CHOICE_KEYS = frozenset({"text", "note"})  # one shared choice of a classify check
ITEM_KEYS = frozenset({"id", "message", "answer", "why"})  # one message of a classify check
CHECK_QUESTION_KEYS = frozenset({"id", "prompt", "answer", "options"})
QUIZ_QUESTION_KEYS = frozenset({"id", "set", "section", "kind", "prompt", "answer", "options"})
OPTION_KEYS = frozenset({"text", "explanation"})
TREE_KEYS = frozenset({"label", "children"})
LIST_KEYS = {  # the reference lists: table name -> its fields, in order
    "objectives": ("title", "detail"),
    "insights": ("title", "detail"),
    "resources": ("kind", "title", "link", "focus"),
    "glossary": ("term", "meaning"),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a content tree."""

    file: str  # path of the file, relative to the content root where possible
    field: str  # where in the file, e.g. "sections[3].blocks[1].file"
    message: str  # what is wrong

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


# -- locating ---------------------------------------------------------------------------------


def default_content_dir() -> Path:
    """The shipped content: packaged copy in a wheel, else the checkout's `content/`."""
    packaged = resources.files("eventlesson").joinpath("_content")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "content"


def resolve_content_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The content root: the folder asked for, else the shipped copy.

    The App passes --content-dir or EVENTLESSON_CONTENT_DIR (read in `eventlesson.environment`).
    """
    root = Path(explicit).expanduser() if explicit else default_content_dir()
    if not root.exists():
        raise ContentError(f"{root}: content directory not found")
    if not root.is_dir():
        raise ContentError(f"{root}: not a directory")
    if not os.access(root, os.R_OK | os.X_OK):
        raise ContentError(f"{root}: content directory is not readable")
    return root


def _rel(path: Path, root: Path) -> str:
    """`path` as problems name it: relative to the folder above the content root."""
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def read_course(root: Path) -> tuple[Course, list[Problem]]:
    """The course.toml at `root` and every problem with it (names only: folders are not opened)."""
    path = root / COURSE_FILE
    file = _rel(path, root)
    problems: list[Problem] = []
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return Course(()), [Problem(file, "-", "file not found (it lists the lessons, in order)")]
    except tomllib.TOMLDecodeError as exc:
        return Course(()), [Problem(file, "-", f"TOML syntax error: {exc}")]
    except (OSError, UnicodeDecodeError) as exc:
        return Course(()), [Problem(file, "-", f"cannot read: {exc}")]
    version = data.get("format_version")
    if version is None:
        problems.append(Problem(file, "format_version", "missing"))
    elif version != FORMAT_VERSION:
        problems.append(
            Problem(
                file,
                "format_version",
                f"{version!r} is not supported (this tool reads {FORMAT_VERSION})",
            )
        )
    for key in data:
        if key not in COURSE_KEYS:
            problems.append(Problem(file, key, f"unknown key{_suggestion(key, COURSE_KEYS)}"))
    raw = data.get("lessons")
    names: list[str] = []
    if not isinstance(raw, list) or not raw or not all(isinstance(n, str) for n in raw):
        problems.append(Problem(file, "lessons", "expected a list of lesson folder names"))
    else:
        for i, name in enumerate(raw):
            if not name or name in (".", "..") or "/" in name or "\\" in name:
                problems.append(Problem(file, f"lessons[{i}]", f"{name!r} is not a folder name"))
            elif name in names:
                problems.append(Problem(file, f"lessons[{i}]", f"{name!r} is listed twice"))
            else:
                names.append(name)
    default = data.get("default", "")
    if not isinstance(default, str):
        problems.append(Problem(file, "default", "expected a lesson folder name"))
        default = ""
    elif default and names and default not in names:
        problems.append(Problem(file, "default", f"{default!r} is not one of the lessons"))
        default = ""
    return Course(tuple(names), default), problems


def load_course(root: Path) -> Course:
    """The course at `root`; its first problem becomes a ContentError."""
    course, problems = read_course(root)
    if problems:
        raise ContentError(str(problems[0]))
    return course


def lesson_dirs(root: Path) -> list[Path]:
    """The lesson folders course.toml lists, in its order."""
    return [root / name for name in load_course(root).lessons]


# -- parsing ----------------------------------------------------------------------------------


class _Reader:
    """Reads one lesson folder, collecting problems instead of stopping at the first."""

    def __init__(self, folder: Path, root: Path, *, scenarios: bool = False) -> None:
        self.folder = folder
        self.root = root
        self.scenarios = scenarios  # also check simulation scenario names (imports the simulation)
        self.problems: list[Problem] = []
        self.file = ""
        self.question_ids: list[tuple[str, str, str]] = []  # (id, file, field) in reading order

    def rel(self, path: Path) -> str:
        return _rel(path, self.root)

    def problem(self, where: str, message: str, file: str | None = None) -> None:
        self.problems.append(Problem(file or self.file, where, message))

    def keys(self, table: dict[str, Any], known: frozenset[str], where: str) -> None:
        """Report every key of `table` that the schema does not know."""
        for key in table:
            if key not in known:
                self.problem(f"{where}{key}", f"unknown key{_suggestion(key, known)}")

    def load_toml(self, path: Path) -> dict[str, Any] | None:
        self.file = self.rel(path)
        try:
            with path.open("rb") as handle:
                return tomllib.load(handle)
        except FileNotFoundError:
            self.problem("-", "file not found")
        except tomllib.TOMLDecodeError as exc:
            self.problem("-", f"TOML syntax error: {exc}")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem("-", f"cannot read: {exc}")
        return None

    def text(self, table: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.problem(f"{where}{key}", "missing")
            return ""
        if not isinstance(value, str):
            self.problem(f"{where}{key}", f"expected text, got {type(value).__name__}")
            return ""
        if required and not value.strip():
            self.problem(f"{where}{key}", "is empty")
        return value

    def tables(self, table: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(f"{where}{key}", "expected a list of tables ([[...]])")
            return []
        return value

    def answer(self, raw: object, count: int, where: str) -> int:
        if not isinstance(raw, str) or len(raw.strip()) != 1:
            self.problem(f"{where}answer", 'expected one letter, e.g. "A"')
            return 0
        index = ord(raw.strip().upper()) - ord("A")
        if not 0 <= index < count:
            if count:  # no options at all is reported on its own
                last = letter(count - 1)
                self.problem(f"{where}answer", f"{raw!r} is not one of the options (A-{last})")
            return 0
        return index

    def check_version(self, data: dict[str, Any]) -> None:
        version = data.get("format_version")
        if version is None:
            self.problem("format_version", "missing")
        elif version != FORMAT_VERSION:
            self.problem(
                "format_version", f"{version!r} is not supported (this tool reads {FORMAT_VERSION})"
            )

    def markdown(self, name: str, where: str) -> str:
        path = (self.folder / name).resolve()
        if self.folder.resolve() not in path.parents:
            self.problem(where, f"{name!r} points outside the lesson folder")
            return ""
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.problem(where, f"{self.rel(path)} not found")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(where, f"cannot read {self.rel(path)}: {exc}")
        return ""

    # -- pieces --

    def options(self, table: dict[str, Any], where: str) -> tuple[Option, ...]:
        options = []
        raw = self.tables(table, "options", where)
        if len(raw) < 2:
            self.problem(f"{where}options", "a question needs at least two options")
        for i, item in enumerate(raw):
            at = f"{where}options[{i}]."
            self.keys(item, OPTION_KEYS, at)
            options.append(Option(self.text(item, "text", at), self.text(item, "explanation", at)))
        return tuple(options)

    def question_id(self, table: dict[str, Any], where: str) -> str:
        question_id = self.text(table, "id", where)
        self.question_ids.append((question_id, self.file, f"{where}id"))
        return question_id

    def question(
        self, table: dict[str, Any], where: str, *, check_section: str | None = None
    ) -> Question:
        """A quiz question, or (with `check_section`) a question of a choice check."""
        in_quiz = check_section is None
        self.keys(table, QUIZ_QUESTION_KEYS if in_quiz else CHECK_QUESTION_KEYS, where)
        options = self.options(table, where)
        set_name, kind = "check", "choice"
        if in_quiz:
            set_name = self.text(table, "set", where)
            if set_name and set_name not in QUESTION_SETS:
                self.problem(
                    f"{where}set", f"{set_name!r} is not a known set ({', '.join(QUESTION_SETS)})"
                )
            kind = table.get("kind", "choice")
            if kind not in ("choice", "predict"):
                self.problem(f"{where}kind", f"{kind!r} is not a question kind (choice, predict)")
        return Question(
            id=self.question_id(table, where),
            prompt=self.text(table, "prompt", where),
            options=options,
            answer=self.answer(table.get("answer"), len(options), where),
            section=self.text(table, "section", where) if in_quiz else str(check_section),
            set=set_name,
            kind=str(kind),
        )

    def choices(self, table: dict[str, Any], where: str) -> list[tuple[str, str]]:
        """A classify check's shared choices, each (text, note)."""
        raw = table.get("choices")
        if not isinstance(raw, list) or len(raw) < 2:
            self.problem(
                f"{where}choices",
                "a classify check needs at least two choices, each a table with text and note",
            )
            return []
        choices = []
        for i, item in enumerate(raw):
            at = f"{where}choices[{i}]"
            if not isinstance(item, dict):
                self.problem(at, "expected a table with text and note")
                choices.append((item if isinstance(item, str) else "", ""))
                continue
            self.keys(item, CHOICE_KEYS, f"{at}.")
            choices.append((self.text(item, "text", f"{at}."), self.text(item, "note", f"{at}.")))
        return choices

    def check(self, table: dict[str, Any], where: str) -> Check:
        section = self.text(table, "section", where)
        kind = table.get("kind", "choice")
        if isinstance(kind, str) and kind in CHECK_KEYS:
            self.keys(table, CHECK_KEYS[kind], where)
        questions: list[Question] = []
        if kind == "classify":
            choices = self.choices(table, where)
            template = self.text(table, "prompt", where)
            if template and "{message}" not in template:
                self.problem(f"{where}prompt", "must contain {message}")
            for i, item in enumerate(self.tables(table, "items", where)):
                at = f"{where}items[{i}]."
                self.keys(item, ITEM_KEYS, at)
                message = self.text(item, "message", at)
                why = self.text(item, "why", at)
                answer = self.answer(item.get("answer"), len(choices), at)
                questions.append(
                    Question(
                        id=self.question_id(item, at),
                        prompt=template.replace("{message}", message),
                        options=tuple(
                            Option(text, why if j == answer else _not_this(text, note))
                            for j, (text, note) in enumerate(choices)
                        ),
                        answer=answer,
                        section=section,
                        set="check",
                    )
                )
        elif kind == "choice":
            for i, item in enumerate(self.tables(table, "questions", where)):
                questions.append(
                    self.question(item, f"{where}questions[{i}].", check_section=section)
                )
        else:
            self.problem(f"{where}kind", f"{kind!r} is not a check kind (classify, choice)")
        if not questions:
            self.problem(where.rstrip("."), "a check needs at least one question")
        return Check(
            id=self.text(table, "id", where),
            title=self.text(table, "title", where),
            intro=self.text(table, "intro", where, required=False),
            questions=tuple(questions),
        )

    def tree(self, table: object, where: str) -> TreeNode | None:
        if not isinstance(table, dict):
            self.problem(where, "expected a table with a label and children")
            return None
        self.keys(table, TREE_KEYS, f"{where}.")
        children = [
            self.tree(c, f"{where}.children[{i}]")
            for i, c in enumerate(self.tables(table, "children", f"{where}."))
        ]
        return TreeNode(self.text(table, "label", f"{where}."), tuple(c for c in children if c))

    def block(self, table: dict[str, Any], where: str) -> Block:
        kind = table.get("kind")
        if kind not in BLOCK_KINDS:
            self.problem(f"{where}kind", f"{kind!r} is not a block kind ({', '.join(BLOCK_KINDS)})")
            return Block(kind="markdown")
        self.keys(table, BLOCK_KEYS[kind] | {"kind"}, where)
        fields: dict[str, Any] = {"kind": kind}
        if kind == "markdown":
            fields["file"] = self.text(table, "file", where)
            fields["text"] = self.markdown(fields["file"], f"{where}file") if fields["file"] else ""
        elif kind == "code":
            fields["code"] = self.text(table, "code", where).strip("\n")
            fields["language"] = self.text(table, "language", where, required=False) or "text"
        elif kind == "tree":
            fields["tree"] = self.tree(table.get("tree"), f"{where}tree")
        elif kind == "table":
            columns = table.get("columns")
            rows = table.get("rows")
            if (
                not isinstance(columns, list)
                or not columns
                or not all(isinstance(c, str) for c in columns)
            ):
                self.problem(f"{where}columns", "expected a list of headings")
                columns = []
            if not isinstance(rows, list) or not all(
                isinstance(r, list)
                and len(r) == len(columns)
                and all(isinstance(c, str) for c in r)
                for r in rows
            ):
                self.problem(f"{where}rows", f"expected rows of {len(columns)} texts each")
                rows = []
            fields["columns"] = tuple(columns)
            fields["rows"] = tuple(tuple(r) for r in rows)
        elif kind == "callout":
            fields["title"] = self.text(table, "title", where)
            fields["text"] = self.text(table, "text", where)
        elif kind == "check":
            fields["check"] = self.text(table, "check", where)
        elif kind == "simulation":
            fields["scenario"] = self.text(table, "scenario", where)
            fields["text"] = self.text(table, "text", where)
            if self.scenarios and fields["scenario"]:
                self.scenario(fields["scenario"], f"{where}scenario")
        if "caption" in BLOCK_KEYS[kind]:
            fields["caption"] = self.text(table, "caption", where, required=False)
        return Block(**fields)

    def scenario(self, name: str, where: str) -> None:
        # Imported here, and only by `content check`: importing the simulation package loads
        # SimPy, which every other command (the quiz's start-up budget) must not pay for.
        from eventlesson.sim.scenarios import SCENARIOS

        if name not in SCENARIOS:
            self.problem(
                where, f"unknown scenario {name!r} (choose one of: {', '.join(SCENARIOS)})"
            )

    # -- whole lesson --

    def lesson(self) -> Lesson | None:
        data = self.load_toml(self.folder / LESSON_FILE)
        if data is None:
            return None
        lesson_file = self.file
        self.check_version(data)
        self.keys(data, LESSON_KEYS, "")
        sections = []
        for i, raw in enumerate(self.tables(data, "sections", "")):
            where = f"sections[{i}]."
            self.keys(raw, SECTION_KEYS, where)
            blocks = tuple(
                self.block(b, f"{where}blocks[{j}].")
                for j, b in enumerate(self.tables(raw, "blocks", where))
            )
            if not blocks:
                self.problem(f"{where}blocks", "a section needs at least one block")
            sections.append(
                Section(
                    id=self.text(raw, "id", where),
                    title=self.text(raw, "title", where),
                    blocks=blocks,
                    recap=self.text(raw, "recap", where, required=False),
                )
            )
        if not sections:
            self.problem("sections", "a lesson needs at least one section")
        checks = tuple(
            self.check(c, f"checks[{i}].") for i, c in enumerate(self.tables(data, "checks", ""))
        )
        minutes = data.get("minutes", 0)
        if not isinstance(minutes, int) or minutes < 0:
            self.problem("minutes", "expected a whole number of minutes")
            minutes = 0
        lesson = Lesson(
            id=self.text(data, "id", ""),
            title=self.text(data, "title", ""),
            summary=self.text(data, "summary", ""),
            minutes=minutes,
            sections=tuple(sections),
            checks=checks,
            objectives=self._list(data, "objectives", Objective),
            resources=self._list(data, "resources", Resource),
            insights=self._list(data, "insights", Insight),
            glossary=self._list(data, "glossary", Term),
            path=str(self.folder),
        )
        quiz_path = self.folder / QUIZ_FILE
        if quiz_path.exists():
            quiz = self.load_toml(quiz_path)
            if quiz is not None:
                self.check_version(quiz)
                self.keys(quiz, QUIZ_KEYS, "")
                questions = tuple(
                    self.question(q, f"questions[{i}].")
                    for i, q in enumerate(self.tables(quiz, "questions", ""))
                )
                lesson = replace(lesson, questions=questions)
        self.file = lesson_file
        if lesson.id and lesson.id != self.folder.name:
            self.problem(
                "id", f"{lesson.id!r} must be the lesson's folder name, {self.folder.name!r}"
            )
        self.cross_check(lesson)
        return lesson

    def _list(self, data: dict[str, Any], key: str, cls: Callable[..., Any]) -> tuple[Any, ...]:
        names = LIST_KEYS[key]
        items = []
        for i, item in enumerate(self.tables(data, key, "")):
            self.keys(item, frozenset(names), f"{key}[{i}].")
            items.append(cls(*(self.text(item, n, f"{key}[{i}].") for n in names)))
        return tuple(items)

    def cross_check(self, lesson: Lesson) -> None:
        """Ids unique, references resolve, reference lists present where a page shows them."""
        quiz_file = self.rel(self.folder / QUIZ_FILE)
        for label, ids in (
            ("sections", [s.id for s in lesson.sections]),
            ("checks", [c.id for c in lesson.checks]),
        ):
            for dup in _duplicates(ids):
                self.problem(label, f"id {dup!r} is used more than once")
        first_use: dict[str, tuple[str, str]] = {}
        for question_id, file, where in self.question_ids:
            if not question_id:
                continue
            if question_id in first_use:
                first_file, first_where = first_use[question_id]
                at = first_where if first_file == file else f"{first_file}: {first_where}"
                self.problem(
                    where,
                    f"question id {question_id!r} is used more than once (first at {at})",
                    file=file,
                )
            else:
                first_use[question_id] = (file, where)
        section_ids = {s.id for s in lesson.sections}
        check_ids = {c.id for c in lesson.checks}
        for i, check in enumerate(lesson.checks):
            for q in check.questions[:1]:
                if q.section not in section_ids:
                    self.problem(f"checks[{i}].section", f"unknown section {q.section!r}")
        for i, q in enumerate(lesson.questions):
            if q.section not in section_ids:
                self.problem(
                    f"questions[{i}].section", f"unknown section {q.section!r}", file=quiz_file
                )
        used_checks = set()
        for i, section in enumerate(lesson.sections):
            for j, block in enumerate(section.blocks):
                where = f"sections[{i}].blocks[{j}]."
                if block.kind == "check":
                    used_checks.add(block.check)
                    if block.check and block.check not in check_ids:
                        self.problem(f"{where}check", f"unknown check {block.check!r}")
                elif block.kind in LIST_KEYS and not getattr(lesson, block.kind):
                    self.problem(
                        f"{where}kind", f"the page shows {block.kind} but the lesson lists none"
                    )
        for i, check in enumerate(lesson.checks):
            if check.id not in used_checks:
                self.problem(f"checks[{i}].id", f"check {check.id!r} is not shown on any page")
        for i, resource in enumerate(lesson.resources):
            if resource.link and not resource.link.startswith(("https://", "http://")):
                self.problem(f"resources[{i}].link", "expected an http(s) address")


def _not_this(text: str, note: str) -> str:
    """The explanation of a wrong classify choice: which kind it is not, and what that kind is."""
    kind = text.split(":", 1)[0].strip().lower()
    article = "an" if kind[:1] in ("a", "e", "i", "o", "u") else "a"
    return f"Not {article} {kind}. {note}"


def _suggestion(key: str, known: frozenset[str]) -> str:
    import difflib  # only when a key is wrong

    close = difflib.get_close_matches(key, sorted(known), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return (
        f" (expected one of: {', '.join(sorted(known))})" if known else " (this table takes none)"
    )


def _duplicates(ids: list[str]) -> Iterator[str]:
    seen: set[str] = set()
    for item in ids:
        if item and item in seen:
            yield item
        seen.add(item)


# -- public API -------------------------------------------------------------------------------


def check_tree(root: Path) -> list[Problem]:
    """Lint a content root (course.toml and every lesson) or one lesson folder; [] means all is well."""
    if not root.is_dir():
        return [Problem(str(root), "-", "not a directory")]
    if (root / LESSON_FILE).exists():  # one lesson folder
        reader = _Reader(root, root.parent, scenarios=True)
        reader.lesson()
        return reader.problems
    course, problems = read_course(root)
    course_file = _rel(root / COURSE_FILE, root)
    listed = set(course.lessons)
    try:
        found = sorted(p.parent.name for p in root.glob(f"*/{LESSON_FILE}"))
    except OSError as exc:
        return [*problems, Problem(str(root), "-", f"cannot list content ({exc.strerror})")]
    for name in found:
        if name not in listed and course.lessons:
            problems.append(
                Problem(course_file, "lessons", f"{name!r} holds a lesson but is not listed")
            )
    # Without a readable course.toml, still check every lesson folder there is.
    for i, name in enumerate(course.lessons or tuple(found)):
        folder = root / name
        if not (folder / LESSON_FILE).is_file():
            problems.append(
                Problem(
                    course_file, f"lessons[{i}]", f"{_rel(folder, root)}/{LESSON_FILE} not found"
                )
            )
            continue
        reader = _Reader(folder, root, scenarios=True)
        reader.lesson()
        problems.extend(reader.problems)
    return problems


def load_folder(folder: Path, root: Path | None = None) -> Lesson:
    """Load one lesson folder; the first problem found becomes a ContentError."""
    reader = _Reader(folder, root or folder.parent)
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
    raise UsageError(f"unknown lesson {lesson_id!r}; available: {', '.join(course.lessons)}")


def load_lesson(
    lesson_id: str | None = None, content_dir: str | os.PathLike[str] | None = None
) -> Lesson:
    """Resolve the content root, find the lesson and load it."""
    root = resolve_content_dir(content_dir)
    return load_folder(find_lesson_dir(root, lesson_id), root)
