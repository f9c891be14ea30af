"""The one reader: plain data parsed from TOML or JSON in, the typed dataclasses of the schema out.

Core module: standard library only (no rich, questionary or typer). The dataclasses (in `models`
for content, in `progress` for the progress file) *are* the schema: a field's type says what a value
must be, `Annotated` markers add rules (`Letter`, `Min`, `MaxLen`, `Markdown`, `Derived`, ...), a
`validate()` method adds checks that span fields. Every problem is collected, not raised, as
`file: field: problem`; a key the schema does not know gets a did-you-mean.

A base class with `kinds` (see `Kinds`) is read as a tagged union: the table's `kind` key picks the
subclass. Adding a kind of block or check is one new dataclass that names its `kind`.
"""

# No `from __future__ import annotations`: `Kinds` is a base of every block and check class, and
# typing.get_type_hints would compile its annotation strings again for each of them on every load.

import dataclasses
import types
import typing
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin

from eventlesson.records import record
from eventlesson.text import clean, has_unsafe, unsafe_characters

T = TypeVar("T")

MAX_DEPTH = 40  # tables nested deeper than this are refused, not recursed into
MAX_TEXT = 20_000  # characters in one text field, unless a field says otherwise (MaxLen)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # option letters; so at most 26 options


# -- markers for Annotated fields ---------------------------------------------------------------


class Derived:
    """Not read from the file: computed by the class or filled in by the loader."""


class Letter:
    """An index into a list, written as a letter in the file ("A" is 0)."""


class Markdown:
    """Prose in the Markdown subset of content/FORMAT.md (linted by `content check`)."""


class Timestamp:
    """An ISO 8601 time with a time zone, or "" for never."""


@record
class Min:
    """A whole number at least `value`."""

    value: int


@record
class Max:
    """A whole number at most `value`."""

    value: int


@record
class MaxLen:
    """Text of at most `value` characters (the default limit is MAX_TEXT)."""

    value: int


@record
class Items:
    """A list with at least `least` (and at most `most`) entries; `what` names them in messages."""

    least: int = 0
    most: int | None = None
    what: str = "entries"


class Kinds:
    """Mixin for a base class read as a tagged union: subclasses set `kind`, and are registered.

    `default_kind` is used when a table has no `kind` key; None makes `kind` required.
    """

    kind: ClassVar[str] = ""
    kinds: ClassVar[dict[str, type[Any]]]
    default_kind: ClassVar[str | None] = None
    family: ClassVar[str] = "kind"  # "block kind", "check kind": for messages

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kinds" not in cls.__dict__ and not hasattr(cls, "kinds"):
            cls.kinds = {}
        if cls.__dict__.get("kind"):
            cls.kinds[cls.kind] = cls


# -- problems -----------------------------------------------------------------------------------


@record
class Problem:
    """One thing wrong with a file."""

    file: str  # the file, relative to the content root's parent where possible
    field: str  # where in it, e.g. "sections[3].blocks[1].file"; "-" for the whole file
    message: str  # what is wrong

    def __str__(self) -> str:
        return clean(
            f"{self.file}: {self.field}: {self.message}"
        )  # safe to print, whatever came in


def suggestion(key: str, known: list[str]) -> str:
    """ " (did you mean 'x'?)" for a close known key, else the list of keys allowed."""
    import difflib  # only when a key is wrong

    close = difflib.get_close_matches(key, sorted(known), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if not known:
        return " (this table takes none)"
    return f" (expected one of: {', '.join(sorted(known))})"


def letter(index: int) -> str:
    """The letter of the option at `index` (0 is "A"); ValueError beyond Z."""
    if not 0 <= index < len(LETTERS):
        raise ValueError(f"no letter for option {index + 1} (at most {len(LETTERS)})")
    return LETTERS[index]


# -- the fields of a dataclass, resolved once ---------------------------------------------------


@record
class FieldSpec:
    """One field of a schema dataclass: its name, base type, markers and whether it is required."""

    name: str
    type: Any
    markers: tuple[Any, ...]
    required: bool
    derived: bool


_FIELDS: dict[type, tuple[FieldSpec, ...]] = {}


def fields_of(cls: type) -> tuple[FieldSpec, ...]:
    """The fields of a schema dataclass with their types resolved (no annotation strings)."""
    if cls not in _FIELDS:
        _FIELDS[cls] = _resolve(cls)
    return _FIELDS[cls]


def _resolve(cls: type) -> tuple[FieldSpec, ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    specs = []
    for spec in dataclasses.fields(cls):
        if not spec.init:
            continue
        base, markers = split(hints[spec.name])
        required = (
            spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
        )
        derived = any(m is Derived or isinstance(m, Derived) for m in markers)
        specs.append(FieldSpec(spec.name, base, markers, required, derived))
    return tuple(specs)


def file_fields(cls: type) -> list[str]:
    """The keys a table of `cls` may hold in a file (Derived fields are not read)."""
    names = [f.name for f in fields_of(cls) if not f.derived]
    if issubclass(cls, Kinds) and cls.kind:
        names.insert(0, "kind")
    return names


def split(hint: Any) -> tuple[Any, tuple[Any, ...]]:
    """`Annotated[T, m1, m2]` as (T, (m1, m2)); any other type as (type, ())."""
    if get_origin(hint) is Annotated:
        base, *markers = get_args(hint)
        return base, tuple(markers)
    return hint, ()


def _marker(markers: tuple[Any, ...], kind: type[T]) -> T | None:
    for marker in markers:
        if isinstance(marker, kind):
            return marker
    return None


def _has(markers: tuple[Any, ...], kind: type) -> bool:
    return any(m is kind or isinstance(m, kind) for m in markers)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # true is not a number here


def _type_name(value: object) -> str:
    return {
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def check_timestamp(value: str) -> str | None:
    """Why `value` is not a usable timestamp, or None when it is ("" means never)."""
    if value == "":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return "expected an ISO 8601 time, e.g. 2026-01-31T09:30:00+00:00"
    if moment.tzinfo is None:
        return "expected a time with its time zone, e.g. +00:00"
    if not 1970 <= moment.year <= 9000:  # far from the edges where local-time conversion fails
        return "expected a year between 1970 and 9000"
    return None


# -- reading ------------------------------------------------------------------------------------


class Reader:
    """Reads plain data of one file into schema dataclasses, collecting problems.

    `unknown`: "report" makes a key the schema does not know a problem (content files); "ignore"
    passes over it (the progress file, where a newer release may add keys, which the store keeps).
    `report_controls`: control characters in text are a problem (content); either way they are
    replaced, so no text read here can reach a terminal with control codes in it.
    """

    def __init__(
        self,
        file: str,
        *,
        unknown: Literal["report", "ignore"] = "report",
        report_controls: bool = True,
    ) -> None:
        self.file = file
        self.unknown = unknown
        self.report_controls = report_controls
        self.problems: list[Problem] = []
        self._also: tuple[str, ...] = ()

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where or "-", message))

    def read(self, cls: type[T], data: object, *, also: tuple[str, ...] = ()) -> T | None:
        """`data` (a table) as an instance of the dataclass `cls`; None when it cannot be built.

        `also`: keys of the top table read elsewhere (format_version), so not unknown here.
        """
        self._also = also
        try:
            return self._dataclass(cls, data, "", 0)
        finally:
            self._also = ()

    # -- by type --

    def value(
        self, hint: Any, markers: tuple[Any, ...], raw: object, where: str, depth: int
    ) -> Any:
        """`raw` read as `hint`; raises _Skip (after reporting) when it cannot be used."""
        if depth > MAX_DEPTH:
            self.problem(where, f"nested too deeply (more than {MAX_DEPTH} levels)")
            raise _Skip
        if hint is str:  # most fields: before the generic forms, which it is none of
            return self._text(markers, raw, where)
        origin = get_origin(hint)
        if origin is Annotated:
            base, more = split(hint)
            return self.value(base, markers + more, raw, where, depth)
        if origin in (Union, types.UnionType):
            options = [a for a in get_args(hint) if a is not type(None)]
            if raw is None and len(options) < len(get_args(hint)):
                return None
            if len(options) == 1:
                return self.value(options[0], markers, raw, where, depth)
            raise TypeError(f"unsupported union {hint}")  # a schema mistake, not a file's
        if origin is Literal:
            allowed = get_args(hint)
            if raw not in allowed:
                self.problem(where, f"{raw!r} is not one of: {', '.join(map(str, allowed))}")
                raise _Skip
            return raw
        if origin in (tuple, list):
            return self._list(hint, markers, raw, where, depth)
        if origin is dict:
            return self._dict(hint, markers, raw, where, depth)
        if hint is bool:
            if not isinstance(raw, bool):
                self.problem(where, f"expected true or false, got {_type_name(raw)}")
                raise _Skip
            return raw
        if hint is int:
            return self._int(markers, raw, where)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            result = self._dataclass(hint, raw, where, depth + 1)
            if result is None:
                raise _Skip
            return result
        raise TypeError(f"unsupported field type {hint!r}")  # a schema mistake, not a file's

    def _text(self, markers: tuple[Any, ...], raw: object, where: str) -> str:
        if not isinstance(raw, str):
            self.problem(where, f"expected text, got {_type_name(raw)}")
            raise _Skip
        limit = _marker(markers, MaxLen)
        most = limit.value if limit else MAX_TEXT
        if len(raw) > most:
            self.problem(where, f"longer than {most} characters ({len(raw)})")
            raise _Skip
        bad = unsafe_characters(raw) if has_unsafe(raw) else []
        if bad and self.report_controls:
            self.problem(where, f"control character ({', '.join(bad[:5])})")
        if _has(markers, Timestamp):
            why = check_timestamp(raw)
            if why:
                self.problem(where, why)
                raise _Skip
        return clean(raw) if bad else raw

    def _int(self, markers: tuple[Any, ...], raw: object, where: str) -> int:
        if _has(markers, Letter):
            if (
                not isinstance(raw, str)
                or len(raw.strip()) != 1
                or raw.strip().upper() not in LETTERS
            ):
                self.problem(where, 'expected one letter, A to Z, e.g. "A"')
                raise _Skip
            return LETTERS.index(raw.strip().upper())
        if not _is_int(raw):
            self.problem(where, f"expected a whole number, got {_type_name(raw)}")
            raise _Skip
        assert isinstance(raw, int)
        low, high = _marker(markers, Min), _marker(markers, Max)
        if low is not None and raw < low.value:
            self.problem(where, f"must be at least {low.value}")
            raise _Skip
        if high is not None and raw > high.value:
            self.problem(where, f"must be at most {high.value}")
            raise _Skip
        return raw

    def _list(
        self, hint: Any, markers: tuple[Any, ...], raw: object, where: str, depth: int
    ) -> Any:
        args = get_args(hint)
        item = args[0]
        if not isinstance(raw, list):
            table = isinstance(split(item)[0], type) and dataclasses.is_dataclass(split(item)[0])
            what = "a list of tables ([[...]])" if table else "a list"
            self.problem(where, f"expected {what}, got {_type_name(raw)}")
            raise _Skip
        rule = _marker(markers, Items)
        if rule is not None and len(raw) < rule.least:
            self.problem(where, f"needs at least {rule.least} {rule.what}, has {len(raw)}")
        if rule is not None and rule.most is not None and len(raw) > rule.most:
            self.problem(where, f"has {len(raw)} {rule.what}; at most {rule.most}")
            raise _Skip
        out = []
        for i, element in enumerate(raw):
            try:
                out.append(self.value(item, (), element, f"{where}[{i}]", depth + 1))
            except _Skip:
                continue
        return tuple(out) if get_origin(hint) is tuple else out

    def _dict(
        self, hint: Any, markers: tuple[Any, ...], raw: object, where: str, depth: int
    ) -> Any:
        _, item = get_args(hint)
        if not isinstance(raw, dict):
            self.problem(where, f"expected a table, got {_type_name(raw)}")
            raise _Skip
        out = {}
        for key, element in raw.items():
            name = clean(str(key))
            try:
                out[name] = self.value(
                    item, (), element, f"{where}.{name}" if where else name, depth + 1
                )
            except _Skip:
                continue
        return out

    def _dataclass(self, cls: type[Any], raw: object, where: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            self.problem(where, f"nested too deeply (more than {MAX_DEPTH} levels)")
            return None
        if not isinstance(raw, dict):
            names = file_fields(cls)
            keys = ", ".join(names) if len(names) <= 4 else ", ".join(names[:3]) + ", ..."
            self.problem(where, f"expected a table ({keys}), got {_type_name(raw)}")
            return None
        if issubclass(cls, Kinds) and "kinds" in vars(cls):  # a tagged union: pick the subclass
            chosen = self._kind(cls, raw, where)
            if chosen is None:
                return None
            cls = chosen
        prefix = f"{where}." if where else ""
        known = file_fields(cls) + (list(self._also) if depth == 0 else [])
        if self.unknown == "report":
            for key in raw:
                if key not in known:
                    name = clean(str(key))
                    self.problem(f"{prefix}{name}", f"unknown key{suggestion(name, known)}")
        values: dict[str, Any] = {}
        complete = True
        for spec in fields_of(cls):
            if spec.derived:
                continue
            at = f"{prefix}{spec.name}"
            if spec.name not in raw:
                if spec.required:
                    self.problem(at, "missing")
                    complete = False
                continue
            try:
                value = self.value(spec.type, spec.markers, raw[spec.name], at, depth)
            except _Skip:
                complete = complete and not spec.required
                continue
            if spec.required and spec.type is str and not value.strip():
                self.problem(at, "is empty")
            values[spec.name] = value
        if not complete:
            return None
        instance = cls(**values)
        validate: Callable[[], Iterator[tuple[str, str]]] | None = getattr(
            instance, "validate", None
        )
        if validate is not None:
            for field, message in validate():
                self.problem(f"{prefix}{field}" if field else where, message)
        return instance

    def _kind(self, base: type[Any], raw: dict[str, Any], where: str) -> type[Any] | None:
        kinds: dict[str, type[Any]] = base.kinds
        kind = raw.get("kind", base.default_kind)
        if kind is None:
            self.problem(f"{where}.kind" if where else "kind", "missing")
            return None
        if not isinstance(kind, str) or kind not in kinds:
            self.problem(
                f"{where}.kind" if where else "kind",
                f"{kind!r} is not a {base.family} ({', '.join(kinds)})",
            )
            return None
        return kinds[kind]


class _Skip(Exception):
    """A value that could not be read (already reported): leave its field out."""
