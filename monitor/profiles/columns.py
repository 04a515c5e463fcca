"""The running state of one column while a builder's chunks stream in.

``NumericColumn`` (numbers, times, text lengths) keeps moments, min/max, a
uniform sample and, on a reference's edges, exact histogram counts;
``CategoricalColumn`` (categories, booleans) keeps category counts, bounded
to the most frequent ones plus those of the reference. ``build()`` turns each
into its ``ColumnProfile``.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from monitor.profiles import readers
from monitor.profiles.fine import (
    DistinctCounts,
    ValueSpill,
    choose_fine_edges,
    count_sorted,
    fine_histogram,
)
from monitor.profiles.moments import merge_moments
from monitor.profiles.profile import BOOLEAN, DATETIME, NUMERIC, TEXT, ColumnProfile, Kind
from monitor.profiles.summaries import (
    CategoricalSummary,
    NumericSummary,
    choose_edges,
    merge_samples,
    scale_counts,
    truncate_categories,
)

__all__ = ["CategoricalColumn", "NumericColumn"]

_NUMBER_READERS = {NUMERIC: readers.read_numbers, DATETIME: readers.read_datetimes,
                   TEXT: readers.read_lengths}


class NumericColumn:
    """Running state of a column kept as numbers (numeric, datetime, text lengths).

    With a reference (``edges`` given) every value is counted on the
    reference's histogram and fine edges. Without one the column is building
    a reference: once it holds more values than its sample, the values also
    go to a ``ValueSpill``, from which ``build`` draws exact fine edges.
    """

    def __init__(self, kind: Kind, edges: np.ndarray | None, bins: int, sample_size: int,
                 rng: np.random.Generator, fine_edges: np.ndarray | None = None) -> None:
        self.kind = kind
        self.read = _NUMBER_READERS[kind]
        self.edges = edges
        self.bins = bins
        self.counts = np.zeros(len(edges) + 1 if edges is not None and len(edges) else 0, np.int64)
        self.fine_edges = fine_edges if fine_edges is not None and fine_edges.size else None
        self.fine_counts = np.zeros(self.fine_edges.size + 1 if self.fine_edges is not None
                                    else 0, np.int64)
        self.distinct: DistinctCounts | None = None
        self.spill: ValueSpill | None = None
        self.sample_size = sample_size
        self.rng = rng
        self.count = self.missing = self.invalid = self.nonfinite = 0
        self.mean = self.m2 = 0.0
        self.lo: float | None = None
        self.hi: float | None = None
        self.sample = np.zeros(0, dtype=np.float64)

    def add_missing(self, rows: int) -> None:
        self.missing += rows

    def add(self, series: pd.Series) -> np.ndarray:
        """Add a chunk's values; returns them as read (NaN where absent), for the joint sample."""
        values, missing, invalid = self.read(series)
        finite = np.isfinite(values)
        n = int(np.count_nonzero(finite))
        self.missing += missing
        self.invalid += invalid
        self.nonfinite += values.size - n - missing - invalid
        if n == 0:
            return values
        v = values if n == values.size else values[finite]
        mean = float(v.sum()) / n
        deviations = v - mean
        np.multiply(deviations, deviations, out=deviations)  # no BLAS: threads cost more here
        m2 = float(deviations.sum())
        total = self.count + n
        self.mean, self.m2 = merge_moments(self.count, self.mean, self.m2, n, mean, m2)
        lo, hi = float(v.min()), float(v.max())
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)
        if self.edges is None:
            self._spill(v, n)
        self.sample = merge_samples(self.sample, self.count, v, n, self.sample_size, self.rng)
        if self.fine_edges is not None or (self.edges is not None and len(self.edges)):
            ordered = np.sort(v)
            if self.fine_edges is not None:
                self.fine_counts += count_sorted(ordered, self.fine_edges)
            if self.edges is not None and len(self.edges):
                self.counts += _histogram_of_sorted(ordered, self.edges)
        self.count = total
        return values

    def _spill(self, values: np.ndarray, n: int) -> None:
        """Keep every value once the sample no longer does (a reference being built): as
        counts per distinct value while there are few, else in a ``ValueSpill``."""
        if self.spill is None and self.distinct is None:
            if self.count + n <= self.sample_size:
                return
            self.distinct = DistinctCounts(self.sample)  # still every value added so far
        if self.distinct is not None:
            if self.distinct.add(values):
                return
            self.spill = ValueSpill()
            self.spill.append(self.distinct.values())
            self.distinct = None
        assert self.spill is not None
        self.spill.append(values)

    def _fine(self, sample: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.fine_edges is not None:
            return self.fine_edges, self.fine_counts
        if self.edges is not None:  # a reference of format 1 or 2: it has no fine edges
            return np.zeros(0, np.float64), np.zeros(0, np.int64)
        if self.distinct is not None:
            return self.distinct.histogram()
        if self.spill is not None:
            return fine_histogram(self.spill)
        fine_edges = choose_fine_edges(sample)  # the sample still holds every value
        return fine_edges, count_sorted(sample, fine_edges)

    def build(self) -> ColumnProfile:
        sample = np.sort(self.sample)
        fine_edges, fine_counts = self._fine(sample) if self.count else (
            np.zeros(0, np.float64), np.zeros(0, np.int64))
        edges, counts = self.edges, self.counts
        if edges is None:
            if self.count and self.lo is not None and self.hi is not None:
                edges = choose_edges(sample, self.lo, self.hi, self.bins)
                counts = scale_counts(_histogram_of_sorted(sample, edges), self.count)
            else:
                edges = np.zeros(0, dtype=np.float64)
        summary = NumericSummary(
            self.lo, self.hi, self.mean, self.m2, self.nonfinite,
            _frozen(edges), _frozen(counts), _frozen(sample), self.sample_size, self.bins,
            _frozen(fine_edges), _frozen(fine_counts),
        )
        return ColumnProfile(self.kind, self.count, self.missing, self.invalid, numeric=summary)


class CategoricalColumn:
    """Running state of a categorical or boolean column; reference categories are never dropped."""

    def __init__(self, kind: Kind, top_k: int, pinned: Collection[str]) -> None:
        self.kind = kind
        self.pinned = frozenset(pinned)
        self.limit = top_k + len(self.pinned)
        self.counts: dict[str, int] = {}
        self.other = self.count = self.missing = self.invalid = 0

    def add_missing(self, rows: int) -> None:
        self.missing += rows

    def add(self, series: pd.Series) -> None:
        if self.kind == BOOLEAN:
            keys, counts, missing, invalid = readers.read_booleans(series)
            self.invalid += invalid
        else:
            keys, counts, missing = readers.read_categories(series)
        self.missing += missing
        for key, value in zip(keys, counts.tolist(), strict=True):
            if value:
                self.counts[key] = self.counts.get(key, 0) + value
        self.count += int(counts.sum())
        if len(self.counts) > 2 * self.limit:  # trim now and then, not on every chunk
            self.counts, moved = truncate_categories(self.counts, self.limit, self.pinned)
            self.other += moved

    def build(self) -> ColumnProfile:
        kept, moved = truncate_categories(self.counts, self.limit, self.pinned)
        summary = CategoricalSummary(kept, self.other + moved, self.limit)
        return ColumnProfile(self.kind, self.count, self.missing, self.invalid,
                             categorical=summary)


def _histogram_of_sorted(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``summaries.histogram_counts`` of sorted values: by binary search, not a pass per edge."""
    below = np.searchsorted(values, edges[:-1], side="left")
    upto_last = np.searchsorted(values, edges[-1], side="right")
    return np.diff(np.concatenate([below, [upto_last, values.size]]), prepend=0).astype(np.int64)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.flags.writeable = False
    return array
