"""The one reader (eventlesson.schema): any dataclass in, every problem out as `file: field: problem`.

Also: content/FORMAT.md documents every field the content schema reads, and a new block kind
costs one dataclass.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Literal

import pytest

from eventlesson.models import FILES, Block, Check
from eventlesson.schema import (
    MAX_DEPTH,
    Derived,
    Items,
    Kinds,
    Letter,
    MaxLen,
    Min,
    Reader,
    Timestamp,
    fields_of,
    file_fields,
    letter,
    split,
)

from .support import FORMAT_MD


@dataclass(frozen=True)
class Leaf:
    name: str
    size: Annotated[int, Min(0)] = 0


@dataclass(frozen=True)
class Shape(Kinds):
    family: ClassVar[str] = "shape kind"


@dataclass(frozen=True)
class Circle(Shape):
    kind: ClassVar[str] = "circle"
    radius: int


@dataclass(frozen=True)
class Square(Shape):
    kind: ClassVar[str] = "square"
    side: int
    label: str = ""


@dataclass(frozen=True)
class Everything:
    title: Annotated[str, MaxLen(10)]
    tags: dict[str, str]
    counts: dict[str, Annotated[int, Min(0)]] = field(default_factory=dict)
    leaves: Annotated[tuple[Leaf, ...], Items(1, 3, "leaves")] = ()
    mode: Literal["a", "b"] = "a"
    pick: Annotated[int, Letter] = 0
    when: Annotated[str, Timestamp] = ""
    shapes: tuple[Shape, ...] = ()
    note: str | None = None
    flag: bool = False
    computed: Annotated[str, Derived] = ""


def read(data: dict) -> tuple[Everything | None, list[str]]:
    reader = Reader("f.toml")
    result = reader.read(Everything, data)
    return result, [str(p) for p in reader.problems]


def test_reads_every_kind_of_field_by_its_type() -> None:
    value, problems = read(
        {
            "title": "Hi",
            "tags": {"a": "x", "b": "y"},  # a dict[str, str] needs no special case
            "counts": {"k": 2},
            "leaves": [{"name": "one", "size": 1}],
            "mode": "b",
            "pick": "c",
            "when": "2026-01-31T09:30:00+00:00",
            "shapes": [{"kind": "circle", "radius": 2}, {"kind": "square", "side": 3}],
            "note": "n",
            "flag": True,
        }
    )
    assert problems == []
    assert value == Everything(
        title="Hi",
        tags={"a": "x", "b": "y"},
        counts={"k": 2},
        leaves=(Leaf("one", 1),),
        mode="b",
        pick=2,
        when="2026-01-31T09:30:00+00:00",
        shapes=(Circle(radius=2), Square(side=3)),
        note="n",
        flag=True,
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"titel": "x", "tags": {}}, "f.toml: titel: unknown key (did you mean 'title'?)"),
        ({"tags": {}}, "f.toml: title: missing"),
        ({"title": " ", "tags": {}}, "f.toml: title: is empty"),
        ({"title": 3, "tags": {}}, "f.toml: title: expected text, got a number"),
        ({"title": "x" * 11, "tags": {}}, "f.toml: title: longer than 10 characters (11)"),
        ({"title": "x", "tags": {"a": 1}}, "f.toml: tags.a: expected text, got a number"),
        ({"title": "x", "tags": [], "counts": {}}, "f.toml: tags: expected a table, got a list"),
        ({"title": "x", "tags": {}, "counts": {"k": -1}}, "f.toml: counts.k: must be at least 0"),
        (
            {"title": "x", "tags": {}, "leaves": []},
            "f.toml: leaves: needs at least 1 leaves, has 0",
        ),
        (
            {"title": "x", "tags": {}, "leaves": [{"name": "a"}] * 4},
            "f.toml: leaves: has 4 leaves; at most 3",
        ),
        (
            {"title": "x", "tags": {}, "leaves": [{"name": "a", "sise": 1}]},
            "f.toml: leaves[0].sise: unknown key (did you mean 'size'?)",
        ),
        ({"title": "x", "tags": {}, "leaves": "a"}, "f.toml: leaves: expected a list of tables"),
        ({"title": "x", "tags": {}, "mode": "c"}, "f.toml: mode: 'c' is not one of: a, b"),
        ({"title": "x", "tags": {}, "pick": "["}, "f.toml: pick: expected one letter, A to Z"),
        ({"title": "x", "tags": {}, "pick": "AB"}, "f.toml: pick: expected one letter"),
        (
            {"title": "x", "tags": {}, "flag": 1},
            "f.toml: flag: expected true or false, got a number",
        ),
        (
            {"title": "x", "tags": {}, "when": "yesterday"},
            "f.toml: when: expected an ISO 8601 time",
        ),
        (
            {"title": "x", "tags": {}, "when": "0001-01-01T00:00:00+00:00"},
            "f.toml: when: expected a year",
        ),
        (
            {"title": "x", "tags": {}, "when": "2026-01-01T00:00:00"},
            "f.toml: when: expected a time with its time zone",
        ),
        (
            {"title": "x", "tags": {}, "shapes": [{"kind": "cube"}]},
            "f.toml: shapes[0].kind: 'cube' is not a shape kind (circle, square)",
        ),
        ({"title": "x", "tags": {}, "shapes": [{"radius": 1}]}, "f.toml: shapes[0].kind: missing"),
        (
            {"title": "x", "tags": {}, "shapes": [{"kind": "circle", "side": 1}]},
            "f.toml: shapes[0].side: unknown key (expected one of: kind, radius)",
        ),
        (
            {"title": "x", "tags": {}, "computed": "no"},
            "f.toml: computed: unknown key (expected one of: ",
        ),
        (
            {"title": "a\x1b]0;x\x07", "tags": {}},
            "f.toml: title: control character (U+001B, U+0007)",
        ),
    ],
)
def test_every_problem_is_file_field_problem(data: dict, expected: str) -> None:
    _, problems = read(data)
    assert any(p.startswith(expected) for p in problems), problems


def test_control_characters_are_replaced_even_when_only_cleaned() -> None:
    reader = Reader("progress.json", unknown="ignore", report_controls=False)
    value = reader.read(Everything, {"title": "a\x9bb", "tags": {"k\x1b": "v\x1b[2J"}, "x": 1})
    assert reader.problems == []  # unknown keys ignored, controls replaced without a word
    assert value is not None
    assert value.title == "a\ufffdb" and value.tags == {"k\ufffd": "v\ufffd[2J"}


def test_all_problems_are_collected_not_just_the_first() -> None:
    _, problems = read({"title": 1, "tags": 2, "mode": "z", "extra": 0})
    assert len(problems) == 4


@dataclass(frozen=True)
class Node:
    label: str
    children: tuple[Node, ...] = ()


def test_deep_nesting_is_refused_not_recursed_into() -> None:
    data: dict = {"label": "leaf"}
    for _ in range(5000):
        data = {"label": "x", "children": [data]}
    reader = Reader("deep.toml")
    reader.read(Node, data)
    assert len(reader.problems) == 1
    assert f"nested too deeply (more than {MAX_DEPTH} levels)" in str(reader.problems[0])


def test_a_new_block_kind_is_one_dataclass() -> None:
    @dataclass(frozen=True, kw_only=True)
    class QuoteBlock(Block):
        kind: ClassVar[str] = "quote"
        text: str
        who: str = ""

    try:
        reader = Reader("lesson.toml")
        block = reader.read(Block, {"kind": "quote", "text": "Hi", "who": "me"})
        assert reader.problems == []
        assert block == QuoteBlock(text="Hi", who="me")
    finally:
        del Block.kinds["quote"]


# -- content/FORMAT.md documents the schema ----------------------------------------------------


def schema_classes() -> list[type]:
    """Every dataclass the content files are read into, reachable from each file's class."""
    seen: list[type] = []

    def visit(hint: object) -> None:
        base, _ = split(hint)
        for arg in typing.get_args(base):
            visit(arg)
        if isinstance(base, type) and dataclasses.is_dataclass(base) and base not in seen:
            seen.append(base)
            if issubclass(base, Kinds) and "kinds" in vars(base):
                for kind in base.kinds.values():
                    visit(kind)
            for spec in fields_of(base):
                if not spec.derived:
                    visit(spec.type)

    for cls in FILES.values():
        visit(cls)
    return seen


def test_format_md_documents_every_field_and_kind() -> None:
    doc = FORMAT_MD.read_text(encoding="utf-8")
    classes = schema_classes()
    assert Check in classes and Block in classes
    missing = []
    for cls in classes:
        for name in file_fields(cls):
            if not re.search(rf"(^|[\s.\[]){re.escape(name)}\s*(=|\])", doc, re.MULTILINE):
                missing.append(f"{cls.__name__}.{name}")
        kind = getattr(cls, "kind", "")
        if kind and f'kind = "{kind}"' not in doc:
            missing.append(f'{cls.__name__}: kind = "{kind}"')
    assert missing == [], "content/FORMAT.md does not document: " + ", ".join(missing)


def test_problems_print_without_control_codes_whatever_the_file_held() -> None:
    reader = Reader("f\x1b.toml")
    reader.read(Everything, {"title": "x", "tags": {}, "bad\x1b[2Jkey": 1})
    printed = [str(p) for p in reader.problems]
    assert printed == [
        "f\ufffd.toml: bad\ufffd[2Jkey: unknown key (expected one of: counts, flag, leaves, "
        "mode, note, pick, shapes, tags, title, when)"
    ]


def test_letters_stop_at_z() -> None:
    assert [letter(i) for i in (0, 25)] == ["A", "Z"]
    with pytest.raises(ValueError, match="at most 26"):
        letter(26)  # no "[" for a 27th option: content check refuses more than 26
