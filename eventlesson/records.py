"""`@record`: `@dataclass` with the same behaviour, in less start-up time.

Core module: standard library only (no rich, questionary or typer); imports nothing of ours.
Python 3.11 compiles each method a dataclass generates separately (~80 µs each): six for a frozen
class, three for a mutable one. The content schema, the progress file and the quiz define about
fifty dataclasses that every `quiz` and `learn` start pays for. A record still has `__init__`
generated (and, when frozen, `__setattr__`/`__delattr__`); `__eq__`, `__hash__` and `__repr__`
are the three shared functions below, which do what the generated ones do: equal only to an
instance of the same class whose compared fields are equal, in order; hashed by the hashed fields
(frozen) or unhashable (mutable); shown as `Name(field=value, ...)` with `...` for recursion.
`dataclasses.fields`, `replace`, `asdict` and `is_dataclass` see an ordinary dataclass.
"""

import dataclasses
import reprlib
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = True, kw_only: bool = False) -> Callable[[type[T]], type[T]]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: Any = None, /, *, frozen: bool = True, kw_only: bool = False) -> Any:
    """`@dataclass(frozen=frozen, kw_only=kw_only)`: frozen unless asked otherwise."""

    def wrap(cls: type[T]) -> type[T]:
        for name in ("__eq__", "__hash__", "__repr__"):
            if name in cls.__dict__:  # @dataclass would keep it: use @dataclass there
                raise TypeError(f"@record: {cls.__qualname__} defines {name}")
        made = dataclasses.dataclass(frozen=frozen, eq=False, repr=False, kw_only=kw_only)(cls)
        made.__eq__ = _eq  # type: ignore[method-assign]
        # as @dataclass: a frozen one hashes by value, a mutable one cannot be hashed
        made.__hash__ = _hash if frozen else None  # type: ignore[assignment]
        made.__repr__ = _repr  # type: ignore[method-assign]
        return made

    return wrap if cls is None else wrap(cls)


_LAYOUT: dict[type, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}


def _layout(cls: type) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The fields a record compares, hashes and shows, chosen as @dataclass chooses them."""
    if cls not in _LAYOUT:
        fields = dataclasses.fields(cls)
        _LAYOUT[cls] = (
            tuple(f.name for f in fields if f.compare),
            tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)),
            tuple(f.name for f in fields if f.repr),
        )
    return _LAYOUT[cls]


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = _layout(self.__class__)[0]
    return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, n) for n in _layout(self.__class__)[1]))


@reprlib.recursive_repr()  # a record inside itself shows as ..., as @dataclass's repr does
def _repr(self: Any) -> str:
    shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in _layout(self.__class__)[2])
    return f"{self.__class__.__qualname__}({shown})"
