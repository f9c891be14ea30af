"""The event trace as JSON Lines: one compact, deterministic line per record.

Core module: standard library only (no rich, questionary or typer, no SimPy).
"""

from __future__ import annotations

import json
from typing import IO, Any


def dumps(record: dict[str, Any]) -> str:
    """One record as one line; key order is the model's, so equal runs give equal bytes."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


class TraceWriter:
    """A listener that writes every record to a text stream."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.lines = 0

    def __call__(self, record: dict[str, Any]) -> None:
        self.stream.write(dumps(record) + "\n")
        self.lines += 1
