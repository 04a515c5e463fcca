"""Building a profile from DataFrame chunks, one chunk at a time.

Memory stays bounded whatever the number of rows: each column keeps its
moments, a histogram, a sample of at most ``sample_size`` values and at most
``top_k`` categories. All work on a chunk is vectorised (numpy/pandas).

Without a reference, a column's kind is inferred (numeric dtypes are
numeric; everything else, booleans included, is categorical; ``categorical``
forces a column to categorical) and histogram edges are chosen from the
data when ``build()`` is called. With a reference, kinds and edges come
from it: values are read as the reference kind, those that cannot be read
count as ``invalid``, and columns the reference does not know are only
listed in ``Profile.extra_columns``.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from monitor.errors import ProfileError
from monitor.profiles.profile import CATEGORICAL, NUMERIC, ColumnProfile, Kind, Profile
from monitor.profiles.summaries import (
    DEFAULT_BINS,
    DEFAULT_SAMPLE_SIZE,
    DEFAULT_TOP_K,
    CategoricalSummary,
    NumericSummary,
    choose_edges,
    histogram_counts,
    merge_samples,
    scale_counts,
    truncate_categories,
)

__all__ = ["ProfileBuilder", "build_profile"]


class ProfileBuilder:
    """Accumulates DataFrame chunks into a ``Profile``.

    Args:
        categorical: columns to read as categorical although their dtype is numeric.
        exclude: columns to ignore entirely (the timestamp column, ids).
        reference: profile whose kinds and histogram edges to use.
        sample_size: bound of the per-column sample used by order-statistic tests.
        seed: seed of the sampling, so the same chunks give the same profile.
        bins: number of histogram bins chosen when there is no reference.
        top_k: categories kept per column beyond the reference's own.
    """

    def __init__(
        self,
        *,
        categorical: Collection[str] = (),
        exclude: Collection[str] = (),
        reference: Profile | None = None,
        sample_size: int = DEFAULT_SAMPLE_SIZE,
        seed: int = 0,
        bins: int = DEFAULT_BINS,
        top_k: int = DEFAULT_TOP_K,
    ) -> None:
        for name, value in (("sample_size", sample_size), ("bins", bins), ("top_k", top_k)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        self._categorical = frozenset(categorical)
        self._exclude = frozenset(exclude)
        self._reference = reference
        self._sample_size = sample_size
        self._bins = bins
        self._top_k = top_k
        self._rng = np.random.default_rng(seed)
        self._rows = 0
        self._columns: dict[str, _NumericColumn | _CategoricalColumn] = {}
        self._extra: dict[str, None] = {}

    def update(self, chunk: pd.DataFrame) -> None:
        """Add the rows of one chunk."""
        if not isinstance(chunk, pd.DataFrame):
            raise ProfileError(f"a chunk must be a pandas DataFrame, got {type(chunk).__name__}")
        if chunk.columns.has_duplicates:
            duplicated = sorted({str(c) for c in chunk.columns[chunk.columns.duplicated()]})
            raise ProfileError(
                f"duplicate column names {duplicated} in the data; rename them so each is unique"
            )
        seen: set[str] = set()
        for label in chunk.columns:
            name = str(label)
            if name in self._exclude:
                continue
            series = chunk[label]
            column = self._column(name, series)
            if column is not None:
                column.add(series)
                seen.add(name)
        for name, column in self._columns.items():
            if name not in seen:
                column.add_missing(len(chunk))
        self._rows += len(chunk)

    def build(self) -> Profile:
        """The profile of every row added so far (the builder can keep going)."""
        names = list(self._columns)
        if self._reference is not None:
            position = {name: i for i, name in enumerate(self._reference.columns)}
            names.sort(key=position.__getitem__)
        columns = {name: self._columns[name].build() for name in names}
        return Profile(self._rows, columns, tuple(self._extra))

    def _column(self, name: str, series: pd.Series) -> _NumericColumn | _CategoricalColumn | None:
        column = self._columns.get(name)
        if column is not None:
            return column
        if self._reference is None:
            kind = _infer_kind(series, name in self._categorical)
            column = self._new_column(kind, None)
        elif name in self._reference.columns:
            reference = self._reference.columns[name]
            column = self._new_column(reference.kind, reference)
        else:
            self._extra[name] = None
            return None
        column.add_missing(self._rows)
        self._columns[name] = column
        return column

    def _new_column(
        self, kind: Kind, reference: ColumnProfile | None
    ) -> _NumericColumn | _CategoricalColumn:
        if kind == NUMERIC:
            if reference is not None and reference.numeric is not None:
                return _NumericColumn(reference.numeric.edges, reference.numeric.bins,
                                      self._sample_size, self._rng)
            return _NumericColumn(None, self._bins, self._sample_size, self._rng)
        pinned: Collection[str] = ()
        if reference is not None and reference.categorical is not None:
            pinned = reference.categorical.counts.keys()
        return _CategoricalColumn(self._top_k, pinned)


def build_profile(chunks: Iterable[pd.DataFrame], **options: Any) -> Profile:
    """Profile an iterable of DataFrame chunks; ``options`` are ``ProfileBuilder``'s."""
    builder = ProfileBuilder(**options)
    for chunk in chunks:
        builder.update(chunk)
    return builder.build()


class _NumericColumn:
    """Running state of a numeric column."""

    def __init__(
        self, edges: np.ndarray | None, bins: int, sample_size: int, rng: np.random.Generator
    ) -> None:
        self.edges = edges
        self.bins = bins
        self.counts = np.zeros(len(edges) + 1 if edges is not None and len(edges) else 0, np.int64)
        self.sample_size = sample_size
        self.rng = rng
        self.count = self.missing = self.invalid = self.nonfinite = 0
        self.mean = self.m2 = 0.0
        self.lo: float | None = None
        self.hi: float | None = None
        self.sample = np.zeros(0, dtype=np.float64)

    def add_missing(self, rows: int) -> None:
        self.missing += rows

    def add(self, series: pd.Series) -> None:
        values, missing, invalid = _as_numbers(series)
        finite = np.isfinite(values)
        n = int(np.count_nonzero(finite))
        self.missing += missing
        self.invalid += invalid
        self.nonfinite += values.size - n - missing - invalid
        if n == 0:
            return
        v = values if n == values.size else values[finite]
        mean = float(v.sum()) / n
        deviations = v - mean
        m2 = float(deviations @ deviations)
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        lo, hi = float(v.min()), float(v.max())
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)
        self.sample = merge_samples(self.sample, self.count, v, n, self.sample_size, self.rng)
        if self.edges is not None and len(self.edges):
            self.counts += histogram_counts(v, self.edges)
        self.count = total

    def build(self) -> ColumnProfile:
        sample = np.sort(self.sample)
        edges, counts = self.edges, self.counts
        if edges is None:
            if self.count and self.lo is not None and self.hi is not None:
                edges = choose_edges(sample, self.lo, self.hi, self.bins)
                counts = scale_counts(histogram_counts(sample, edges), self.count)
            else:
                edges = np.zeros(0, dtype=np.float64)
        summary = NumericSummary(
            self.lo, self.hi, self.mean, self.m2, self.nonfinite,
            _frozen(edges), _frozen(counts), _frozen(sample), self.sample_size, self.bins,
        )
        return ColumnProfile(NUMERIC, self.count, self.missing, self.invalid, numeric=summary)


class _CategoricalColumn:
    """Running state of a categorical column; reference categories are never dropped."""

    def __init__(self, top_k: int, pinned: Collection[str]) -> None:
        self.pinned = frozenset(pinned)
        self.limit = top_k + len(self.pinned)
        self.counts: dict[str, int] = {}
        self.other = self.count = self.missing = 0

    def add_missing(self, rows: int) -> None:
        self.missing += rows

    def add(self, series: pd.Series) -> None:
        keys, counts, missing = _category_counts(series)
        self.missing += missing
        for key, value in zip(keys, counts.tolist(), strict=True):
            self.counts[key] = self.counts.get(key, 0) + value
        self.count += int(counts.sum())
        if len(self.counts) > 2 * self.limit:  # trim now and then, not on every chunk
            self.counts, moved = truncate_categories(self.counts, self.limit, self.pinned)
            self.other += moved

    def build(self) -> ColumnProfile:
        kept, moved = truncate_categories(self.counts, self.limit, self.pinned)
        summary = CategoricalSummary(kept, self.other + moved, self.limit)
        return ColumnProfile(CATEGORICAL, self.count, self.missing, 0, categorical=summary)


def _infer_kind(series: pd.Series, forced_categorical: bool) -> Kind:
    dtype = series.dtype
    if forced_categorical or ptypes.is_bool_dtype(dtype) or ptypes.is_complex_dtype(dtype):
        return CATEGORICAL
    return NUMERIC if ptypes.is_numeric_dtype(dtype) else CATEGORICAL


def _as_numbers(series: pd.Series) -> tuple[np.ndarray, int, int]:
    """Read a column as float64; returns the values (NaN where missing or invalid),
    the missing count and the invalid count."""
    dtype = series.dtype
    numeric = ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype)
    if numeric or ptypes.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if isinstance(dtype, np.dtype) and dtype.kind in "iub":
            return values, 0, 0
        return values, int(np.count_nonzero(np.isnan(values))), 0
    absent = series.isna().to_numpy(dtype=bool)
    missing = int(np.count_nonzero(absent))
    if ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype):
        # Times are not numbers: every present value is a type mismatch.
        return np.full(len(series), np.nan), missing, len(series) - missing
    try:
        coerced = pd.to_numeric(series, errors="coerce")
    except (TypeError, ValueError):
        coerced = pd.to_numeric(series.astype(object), errors="coerce")
    values = np.asarray(coerced.to_numpy(dtype=np.float64, na_value=np.nan))
    invalid = int(np.count_nonzero(np.isnan(values) & ~absent))
    return values, missing, invalid


def _category_counts(series: pd.Series) -> tuple[list[str], np.ndarray, int]:
    """Distinct values of a column as strings, their counts, and the missing count."""
    missing = int(series.isna().sum())
    try:
        counted = series.value_counts(dropna=True, sort=False)
    except TypeError:  # unhashable objects: compare their text
        counted = series.dropna().astype(str).value_counts(sort=False)
    counted = counted[counted.to_numpy() > 0]  # a pandas categorical lists unused categories
    keys = [_category_name(value) for value in counted.index]
    return keys, counted.to_numpy(dtype=np.int64), missing


def _category_name(value: Hashable) -> str:
    """A category's text; integral floats read as integers so 3.0 and 3 are one category."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.flags.writeable = False
    return array
