"""Streaming statistics for the simulation: quantiles in bounded memory.

Core module: standard library only (no rich, questionary or typer, no SimPy).
"""

from __future__ import annotations

import math

EXACT_LIMIT = 20_000  # below this many samples quantiles are exact (every test run stays below)
BUCKET_RATIO = 1.01  # above it, log buckets 1 % wide: a p95 off by at most ~0.5 %
_INV_LOG_RATIO = 1.0 / math.log(BUCKET_RATIO)
_SHIFT = 4096  # more than |log(_TINY) / log(BUCKET_RATIO)| (about 2083)
_TINY = 1e-9  # lags this small are "no lag at all"; logs of them would explode


class StreamingQuantiles:
    """Count, max and nearest-rank quantiles of non-negative samples in bounded memory.

    Exact while few samples have arrived (tests, live runs); then the samples fold into a
    histogram of logarithmic buckets, so a million-purchase run keeps a few thousand counters
    instead of a million floats.
    """

    __slots__ = ("_buckets", "_values", "_zeros", "count", "max")

    def __init__(self) -> None:
        self.count = 0
        self.max = 0.0
        self._values: list[float] | None = []
        self._buckets: dict[int, int] = {}
        self._zeros = 0

    def add(self, value: float) -> None:
        self.count += 1
        if value > self.max:
            self.max = value
        values = self._values
        if values is not None:
            values.append(value)
            if len(values) > EXACT_LIMIT:
                self._values = None
                for kept in values:
                    self._bucket(kept)
        else:
            self._bucket(value)

    def _bucket(self, value: float) -> None:
        if value <= _TINY:
            self._zeros += 1
            return
        # shifted so keys stay positive above _TINY, where int() is floor and cheaper than it
        key = int(math.log(value) * _INV_LOG_RATIO + _SHIFT) - _SHIFT
        buckets = self._buckets
        buckets[key] = buckets.get(key, 0) + 1

    def quantile(self, q: float) -> float:
        """The nearest-rank q-quantile (0 < q <= 1); 0.0 when there are no samples."""
        if self.count == 0:
            return 0.0
        rank = max(1, math.ceil(q * self.count))
        if self._values is not None:
            return sorted(self._values)[rank - 1]
        if rank <= self._zeros:
            return 0.0
        seen = self._zeros
        for key in sorted(self._buckets):
            seen += self._buckets[key]
            if seen >= rank:
                # the bucket's geometric middle, never above the true max
                return min(BUCKET_RATIO ** (key + 0.5), self.max)
        return self.max
