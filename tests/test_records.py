"""`@record` behaves as `@dataclass` does, frozen or mutable: each record class here has a plain
dataclass twin, and every comparison, hash, repr and refusal must come out the same."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pytest

from eventlesson.records import record


@dataclass(frozen=True)
class PlainNode:
    name: str
    children: tuple[PlainNode, ...] = ()
    note: str = field(default="", compare=False, repr=False)  # not compared, hashed or shown
    weight: int = field(default=0, hash=False)  # compared and shown, not hashed


@record
class RecordNode:
    name: str
    children: tuple[RecordNode, ...] = ()
    note: str = field(default="", compare=False, repr=False)
    weight: int = field(default=0, hash=False)


@dataclass(frozen=True, kw_only=True)
class PlainLeaf(PlainNode):
    extra: int


@record(kw_only=True)
class RecordLeaf(RecordNode):
    extra: int


@dataclass
class PlainTally:
    name: str
    counts: list[int] = field(default_factory=list)
    seen: bool = field(default=False, compare=False)


@record(frozen=False)
class RecordTally:
    name: str
    counts: list[int] = field(default_factory=list)
    seen: bool = field(default=False, compare=False)


def _frozen_twins() -> list[tuple[Any, Any]]:
    """The same values built as plain frozen dataclasses and as records."""
    return [
        (PlainNode("a"), RecordNode("a")),
        (PlainNode("a", note="x", weight=2), RecordNode("a", note="x", weight=2)),
        (
            PlainNode("root", (PlainNode("kid"), PlainLeaf("leaf", extra=1)), weight=3),
            RecordNode("root", (RecordNode("kid"), RecordLeaf("leaf", extra=1)), weight=3),
        ),
        (PlainLeaf("b", extra=7), RecordLeaf("b", extra=7)),
    ]


def _mutable_twins() -> list[tuple[Any, Any]]:
    return [
        (PlainTally("a"), RecordTally("a")),
        (PlainTally("a", [1, 2], seen=True), RecordTally("a", [1, 2], seen=True)),
        (PlainTally("b", [1]), RecordTally("b", [1])),
    ]


def _plain(text: str) -> str:
    for kind in ("Node", "Leaf", "Tally"):
        text = text.replace(f"Record{kind}", f"Plain{kind}")
    return text


@pytest.mark.parametrize("twins", [_frozen_twins, _mutable_twins])
def test_a_record_shows_and_compares_as_its_dataclass_twin(twins: Any) -> None:
    pairs = twins()
    for i, (plain, made) in enumerate(pairs):
        assert _plain(repr(made)) == repr(plain)
        assert type(made).__match_args__ == type(plain).__match_args__
        names = [f.name for f in dataclasses.fields(made)]
        assert names == [f.name for f in dataclasses.fields(plain)]
        for j, (other_plain, other_made) in enumerate(pairs):
            assert (made == other_made) is (plain == other_plain), (i, j)
            assert (made != other_made) is (plain != other_plain), (i, j)
        assert made != plain and made.__eq__(plain) is NotImplemented  # another class


def test_a_frozen_record_hashes_as_a_frozen_dataclass() -> None:
    for plain, made in _frozen_twins():
        assert hash(made) == hash(plain)  # the same tuple of the same hashed fields
    assert len({RecordNode("a", note="x"), RecordNode("a", note="y"), RecordNode("b")}) == 2
    assert RecordNode("a", note="x") == RecordNode("a", note="y")  # compare=False
    assert RecordNode("a", weight=1) != RecordNode("a", weight=2)
    assert RecordNode("b", weight=1) != RecordLeaf("b", weight=1, extra=0)  # a subclass


def test_a_mutable_record_changes_and_cannot_be_hashed() -> None:
    tally = RecordTally("a")
    tally.counts.append(1)
    tally.name = "b"
    assert tally == RecordTally("b", [1])
    with pytest.raises(TypeError, match="unhashable"):
        hash(tally)
    assert RecordTally.__hash__ is None and PlainTally.__hash__ is None


def test_a_frozen_record_refuses_changes_and_takes_keywords_where_asked() -> None:
    node = RecordNode("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.name = "b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del node.name
    with pytest.raises(TypeError):
        RecordLeaf("b", (), "", 0, 1)  # type: ignore[call-arg]
    changed = dataclasses.replace(RecordLeaf("b", extra=1), extra=2)
    assert changed == RecordLeaf("b", extra=2) and type(changed) is RecordLeaf


def test_a_record_inside_itself_shows_as_dots() -> None:
    plain, made = PlainNode("loop", []), RecordNode("loop", [])  # type: ignore[arg-type]
    plain.children.append(plain)  # type: ignore[attr-defined]
    made.children.append(made)  # type: ignore[attr-defined]
    assert repr(made) == "RecordNode(name='loop', children=[...], weight=0)"
    assert _plain(repr(made)) == repr(plain)


def test_a_record_refuses_a_class_with_its_own_comparison() -> None:
    with pytest.raises(TypeError, match="defines __eq__"):

        @record
        class Odd:
            name: str

            def __eq__(self, other: object) -> bool:
                return True
