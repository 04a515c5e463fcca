"""Exact repeats over a window: a 64-bit hash per value (or combination), kept per distinct one.

``unique`` and ``duplicates`` are exact over a window: each distinct value
(or combination) is kept as a 64-bit hash, 8 bytes per distinct value. Two
distinct values share a hash with probability 2^-64, so among n distinct
values a false repeat has probability below n²/2^65 (about 3e-8 for a
million, 3e-6 for ten million).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api import types as ptypes

from monitor.checks.values import ChunkColumns
from monitor.profiles import readers

__all__ = ["HashCounter", "combine_hashes", "value_hashes"]

_NULL_HASH = np.uint64(0x6A09E667F3BCC908)
_FLOAT_DOMAIN = np.uint64(0xBB67AE8584CAA73B)
_TIME_DOMAIN = np.uint64(0x3C6EF372FE94F82B)
_NANOS_PER_DAY = 86_400 * 10**9
_TEXT_KEY = "monitor-checks-1"  # hash_array's 16-character key for text


def _mix(values: np.ndarray) -> np.ndarray:
    """Spread 64-bit integers over 64 bits (splitmix64's finaliser, a bijection)."""
    h = values.astype(np.uint64, copy=True)
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def value_hashes(columns: ChunkColumns, name: str) -> np.ndarray:
    """A 64-bit hash per row of the column's value; every missing value has one same hash.

    Numbers hash by value whatever their dtype (``7``, ``7.0`` and, in a
    numeric column, ``"7"`` alike; integers beyond 2^53 exactly); times by
    their UTC instant; everything else by its text.
    """
    series = columns.series(name)
    dtype = series.dtype
    missing = columns.missing(name)
    if ptypes.is_object_dtype(dtype) and ptypes.infer_dtype(series, skipna=True) == "date":
        # datetime.date objects (Parquet's date32): by their day as a UTC instant, the hash
        # the same midnight has as a time; Arrow reads the objects at C speed
        values = series.to_numpy(dtype=object).copy()
        values[missing] = None
        days = pa.array(values, type=pa.date32(), from_pandas=True).cast(pa.int32())
        nanos = days.fill_null(0).to_numpy().astype(np.int64) * _NANOS_PER_DAY
        h = _mix(_mix(nanos) ^ _TIME_DOMAIN)
    elif ptypes.is_datetime64_any_dtype(dtype):
        times = readers.utc_times(series)
        assert times is not None
        nanos = times.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view(np.int64)
        h = _mix(_mix(nanos) ^ _TIME_DOMAIN)
    elif getattr(dtype, "kind", "") == "i" or (
            getattr(dtype, "kind", "") == "u" and getattr(dtype, "itemsize", 8) < 8):
        h = _mix(series.to_numpy(dtype=np.int64, na_value=0).view(np.uint64))
    elif (ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype)) or (
            columns.kind(name) == "numeric"):
        numbers = columns.numbers(name) + 0.0  # -0.0 reads as 0.0
        h = _number_hashes(numbers)
        unread = np.isnan(numbers) & ~missing
        if unread.any():  # text in a numeric column that is not a number: by its text
            h[unread] = _text_hashes(columns.texts(name)[unread])
    else:
        texts = columns.texts(name)
        h = np.zeros(len(series), dtype=np.uint64)
        h[~missing] = _text_hashes(texts[~missing])
    h[missing] = _NULL_HASH
    return h


def _number_hashes(numbers: np.ndarray) -> np.ndarray:
    integral = np.isfinite(numbers) & (np.abs(numbers) < 2.0**63)
    with np.errstate(invalid="ignore"):
        integral &= numbers == np.floor(numbers)
    h = _mix(_mix(numbers.view(np.uint64)) ^ _FLOAT_DOMAIN)
    h[integral] = _mix(numbers[integral].astype(np.int64).view(np.uint64))
    return h


def _text_hashes(texts: np.ndarray) -> np.ndarray:
    if len(texts) == 0:
        return np.zeros(0, dtype=np.uint64)
    hashed = pd.util.hash_array(np.asarray(texts, dtype=object), hash_key=_TEXT_KEY,
                                categorize=False)
    return np.asarray(hashed, dtype=np.uint64)


def combine_hashes(parts: Sequence[np.ndarray]) -> np.ndarray:
    """One hash per row of several columns' hashes (order matters)."""
    h = np.full(len(parts[0]), 0x9E3779B97F4A7C15, dtype=np.uint64)
    for part in parts:
        h = _mix(h * np.uint64(0x100000001B3) ^ part)
    return h


class HashCounter:
    """Counts values that repeat one seen before, exactly across chunks, by their hashes.

    Distinct hashes are kept in sorted runs whose sizes at least double
    from newest to oldest (merged like a binary counter), so a chunk's
    lookups cost O(n log N) and the whole window O(N log N).
    """

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def add(self, hashes: np.ndarray) -> tuple[int, np.ndarray]:
        """How many of ``hashes`` repeat an earlier one (of this chunk or any before), and
        the distinct hashes that repeat (sorted)."""
        ordered = np.sort(hashes)
        first = np.ones(len(ordered), dtype=bool)
        first[1:] = ordered[1:] != ordered[:-1]
        distinct = ordered[first]
        seen = np.zeros(len(distinct), dtype=bool)
        for run in self._runs:
            at = np.minimum(np.searchsorted(run, distinct), len(run) - 1)
            seen |= run[at] == distinct
        new = distinct[~seen]
        if len(new):
            self._runs.append(new)
            while len(self._runs) > 1 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
                newest = self._runs.pop()
                self._runs[-1] = np.sort(np.concatenate([self._runs[-1], newest]))
        repeats = len(hashes) - len(new)
        if not repeats:
            return 0, new[:0]
        again = np.zeros(len(distinct), dtype=bool)  # distinct hashes seen twice or before
        again[np.cumsum(first)[~first] - 1] = True
        return repeats, distinct[again | seen]
