"""Segments: the rows of one value of a column, profiled apart (``state=CA``).

A segment is keyed ``column=value`` with the value's category text. Each
segment column keeps at most ``limit`` segments (default 50): with a
reference, the segments the reference has; without, the most frequent
values once the data is in (values beyond ``4 × limit`` distinct ones are
not tracked, and the rows of dropped values are logged once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol

import pandas as pd

from monitor.profiles.readers import category_name

__all__ = ["DEFAULT_SEGMENT_LIMIT", "DEFAULT_SEGMENT_SAMPLE_SIZE", "SegmentRouter", "segment_key"]

logger = logging.getLogger(__name__)

DEFAULT_SEGMENT_LIMIT = 50
DEFAULT_SEGMENT_SAMPLE_SIZE = 2_000


def segment_key(column: str, value: Any) -> str:
    """The key of a segment: ``column=value``.

    >>> segment_key("state", "CA"), segment_key("tier", 2.0)
    ('state=CA', 'tier=2')
    """
    return f"{column}={category_name(value)}"


def _groups(chunk: pd.DataFrame, column: str) -> Any:
    """The chunk's rows grouped by ``column``; unhashable values (JSON lists, objects) by text."""
    groups = chunk.groupby(chunk[column], sort=False, observed=True, dropna=True)
    try:
        groups.ngroups  # noqa: B018 - groups now: unhashable values raise here, not midway
    except TypeError:
        text = chunk[column].map(category_name, na_action="ignore")
        groups = chunk.groupby(text, sort=False, observed=True, dropna=True)
    return groups


class _Builder(Protocol):
    rows: int

    def update(self, chunk: pd.DataFrame) -> None: ...

    def build(self) -> Any: ...


class SegmentRouter:
    """Routes each chunk's rows to one builder per segment.

    Args:
        columns: the segment columns.
        make: builds the builder of a new segment key.
        known: the keys allowed per column (from a reference); None allows
            any value, up to ``4 × limit`` per column.
        limit: the segments kept per column.
    """

    def __init__(self, columns: Collection[str], make: Callable[[str], _Builder],
                 known: Mapping[str, Collection[str]] | None, limit: int) -> None:
        self.columns = list(columns)
        self.make = make
        self.known = {c: frozenset(k) for c, k in (known or {}).items()}
        self.limit = limit
        self.builders: dict[str, dict[str, _Builder]] = {c: {} for c in self.columns}
        self.ignored: dict[str, int] = dict.fromkeys(self.columns, 0)

    def update(self, chunk: pd.DataFrame) -> None:
        """Send each segment's rows to its builder."""
        for column in self.columns:
            if column not in chunk.columns:
                continue
            # Positions first, rows only for kept segments: a column of a hundred thousand
            # values costs no hundred thousand sub-frames.
            for value, positions in _groups(chunk, column).indices.items():
                key = segment_key(column, value)
                builder = self._builder(column, key)
                if builder is None:
                    self.ignored[column] += len(positions)
                else:
                    builder.update(chunk.take(positions))

    def _builder(self, column: str, key: str) -> _Builder | None:
        builders = self.builders[column]
        builder = builders.get(key)
        if builder is not None:
            return builder
        allowed = self.known.get(column)
        if allowed is not None and key not in allowed:
            return None
        if allowed is None and len(builders) >= 4 * self.limit:
            return None
        builder = builders[key] = self.make(key)
        return builder

    def build(self) -> dict[str, Any]:
        """The profiles of the kept segments, most rows first per column."""
        out: dict[str, Any] = {}
        for column, builders in self.builders.items():
            ranked = sorted(builders.items(), key=lambda kv: (-kv[1].rows, kv[0]))
            dropped = sum(b.rows for _, b in ranked[self.limit:]) + self.ignored[column]
            if dropped:
                logger.info("segments of %r: kept %d values, ignored %d rows of other values",
                            column, min(len(ranked), self.limit), dropped)
            out.update((key, builder.build()) for key, builder in ranked[: self.limit])
        return out
