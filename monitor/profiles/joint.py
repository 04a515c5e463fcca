"""The joint sample: a bounded uniform sample of whole rows of the numeric columns.

Per-column samples lose which values came from the same row; multivariate
methods (PCA reconstruction error, the domain classifier) need rows. The
joint sample keeps at most ``limit`` rows (default 2 000) of the numeric
columns, NaN where a value was missing, drawn uniformly from every row seen.
Merging two joint samples draws from each side in proportion, exactly as
``merge_samples`` does for one column, so it stays a uniform sample of the
union.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DEFAULT_JOINT_SAMPLE_SIZE", "JointSample", "merge_rows"]

DEFAULT_JOINT_SAMPLE_SIZE = 2_000
_ENCODING = "float64-le-base64"


def merge_rows(
    a: np.ndarray, count_a: int, b: np.ndarray, count_b: int, limit: int, rng: np.random.Generator
) -> np.ndarray:
    """Merge uniform row samples (2-D, one row per data row) of two row sets.

    >>> rng = np.random.default_rng(0)
    >>> merge_rows(np.ones((1, 2)), 1, np.zeros((2, 2)), 2, 10, rng).shape
    (3, 2)
    """
    if count_a + count_b <= limit:
        return np.vstack([a, b])
    if count_a and count_b:
        take_a = int(rng.hypergeometric(count_a, count_b, limit))
    else:
        take_a = limit if count_a else 0
    parts = []
    for rows, take in ((a, take_a), (b, limit - take_a)):
        if take >= len(rows):
            parts.append(rows)
        else:
            parts.append(rows[np.sort(rng.choice(len(rows), take, replace=False))])
    return np.vstack(parts)


@dataclass(frozen=True, slots=True, eq=False)
class JointSample:
    """At most ``limit`` of ``count`` rows of ``columns``: a ``len(rows) × len(columns)`` array."""

    columns: tuple[str, ...]
    rows: np.ndarray
    count: int
    limit: int = DEFAULT_JOINT_SAMPLE_SIZE

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JointSample):
            return NotImplemented
        return ((self.columns, self.count, self.limit) == (other.columns, other.count, other.limit)
                and np.array_equal(self.rows, other.rows, equal_nan=True))

    __hash__ = None  # type: ignore[assignment]

    def merge(self, other: JointSample) -> JointSample | None:
        """The joint sample of both row sets; None when their columns differ."""
        if other.columns != self.columns:
            return None
        limit = min(self.limit, other.limit)
        rng = np.random.default_rng([self.count, other.count, limit, 7])
        rows = merge_rows(self.rows, self.count, other.rows, other.count, limit, rng)
        return JointSample(self.columns, _readonly(rows), self.count + other.count, limit)

    def column(self, name: str) -> np.ndarray:
        """The sampled values of one column."""
        return self.rows[:, self.columns.index(name)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (rows as base64 of little-endian float64, row-major)."""
        raw = np.ascontiguousarray(self.rows, dtype="<f8").tobytes()
        return {"columns": list(self.columns), "count": self.count, "limit": self.limit,
                "encoding": _ENCODING, "rows": base64.b64encode(raw).decode("ascii")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JointSample:
        """Rebuild from ``to_dict`` output; raises ValueError/KeyError/TypeError on bad input."""
        if data["encoding"] != _ENCODING:
            raise ValueError(f"joint sample encoding {data['encoding']!r} is unknown; "
                             f"expected {_ENCODING!r}")
        columns = tuple(str(c) for c in data["columns"])
        flat = np.frombuffer(base64.b64decode(data["rows"], validate=True), dtype="<f8")
        width = max(len(columns), 1)
        if flat.size % width:
            raise ValueError(f"joint sample holds {flat.size} values, not rows of {width}")
        count, limit = int(data["count"]), int(data["limit"])
        # Rows of no columns leave no bytes: their number is the count's.
        rows = (flat.astype(np.float64).reshape(-1, len(columns)) if columns
                else np.zeros((min(count, limit), 0)))
        if len(rows) != min(count, limit):
            raise ValueError(f"joint sample holds {len(rows)} rows for count {count}")
        return cls(columns, _readonly(rows), count, limit)


class JointSampler:
    """Running state of a joint sample while chunks stream in."""

    def __init__(self, columns: Sequence[str], limit: int, rng: np.random.Generator) -> None:
        self.columns = tuple(columns)
        self.limit = limit
        self.rng = rng
        self.count = 0
        self.rows = np.zeros((0, len(self.columns)))

    def add(self, values: Mapping[str, np.ndarray], size: int) -> None:
        """Add one chunk of ``size`` rows; ``values`` maps columns to float arrays (NaN absent)."""
        if size == 0:
            return
        if self.count + size <= self.limit:
            picked = np.arange(size)
        else:
            take = int(self.rng.hypergeometric(size, self.count, self.limit)) if self.count \
                else self.limit
            picked = np.sort(self.rng.choice(size, min(take, size), replace=False))
        chunk = np.full((len(picked), len(self.columns)), np.nan)
        for j, name in enumerate(self.columns):
            column = values.get(name)
            if column is not None:
                chunk[:, j] = column[picked]
        kept = self.limit - len(picked)
        old = self.rows
        if len(old) > kept:
            old = old[np.sort(self.rng.choice(len(old), kept, replace=False))]
        self.rows = np.vstack([old, chunk])
        self.count += size

    def build(self) -> JointSample:
        """The joint sample so far."""
        return JointSample(self.columns, _readonly(self.rows.copy()), self.count, self.limit)


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
