"""How the local checks read a chunk's column: what is missing, and the values as each kind.

Both the column checks (``local``) and the row conditions (``rows``) read
columns through a ``ChunkColumns``, so a column read as numbers or times
for several checks is parsed once per chunk. Values are read by
``monitor.profiles.readers``, as the profile reads them.

**Missing.** Null, NaN, None, ``pd.NA``, NaT, and the column's configured
missing values: a configured number matches the same number (``-1`` matches
``-1.0``, and the text ``"-1"`` in a column read as numeric), a configured
text matches the same text exactly, a configured truth value matches it in
a boolean column.

**Hashes.** ``unique`` and ``duplicates`` are exact over a window: each
distinct value (or combination) is kept as a 64-bit hash, 8 bytes per
distinct value. Two distinct values share a hash with probability 2^-64, so
among n distinct values a false repeat has probability below n²/2^65 (about
3e-8 for a million, 3e-6 for ten million).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from monitor.checks.plan import ColumnCheck
from monitor.errors import ProfileError
from monitor.profiles import readers
from monitor.profiles.readers import category_name

__all__ = ["ChunkColumns", "HashCounter", "combine_hashes", "is_missing", "render", "row_failures",
           "value_hashes"]

_NULL_HASH = np.uint64(0x6A09E667F3BCC908)
_FLOAT_DOMAIN = np.uint64(0xBB67AE8584CAA73B)
_TIME_DOMAIN = np.uint64(0x3C6EF372FE94F82B)
_TEXT_KEY = "monitor-checks-1"  # hash_array's 16-character key for text


def is_missing(series: pd.Series, extra_values: Sequence[float | str | bool] = (),
               kind: str | None = None) -> np.ndarray:
    """Where ``series`` holds no value: null, NaN, NaT, or one of ``extra_values``.

    ``kind`` is how the column is read: text reading as a configured number
    is missing in a numeric column.

    >>> is_missing(pd.Series([1.0, -1, None, 4]), (-1,)).tolist()
    [False, True, True, False]
    >>> is_missing(pd.Series(["a", "N/A", " N/A", None]), ("N/A",)).tolist()
    [False, True, False, True]
    """
    absent = np.asarray(series.isna().to_numpy(dtype=bool))
    if not extra_values or len(series) == 0:
        return absent
    numbers = [float(v) for v in extra_values
               if isinstance(v, int | float) and not isinstance(v, bool)]
    texts = [v for v in extra_values if isinstance(v, str)]
    flags = [v for v in extra_values if isinstance(v, bool)]
    dtype = series.dtype
    hit = np.zeros(len(series), dtype=bool)
    if ptypes.is_bool_dtype(dtype):
        if flags:
            hit = series.isin(flags).to_numpy(dtype=bool)
    elif ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype):
        if numbers:
            hit = np.isin(series.to_numpy(dtype=np.float64, na_value=np.nan), numbers)
    elif ptypes.is_string_dtype(dtype) or ptypes.is_object_dtype(dtype):
        objects = series.astype(object)
        if texts:  # a hash lookup: text equals text only
            hit = objects.isin(texts).to_numpy(dtype=bool)
        if flags:  # True == 1 in a lookup: keep the object booleans only
            hit |= (objects.isin(flags) & objects.map(type).isin([bool, np.bool_])).to_numpy(
                dtype=bool)
        if numbers:
            if kind == "numeric":
                values = readers.read_numbers(series)[0]
            else:  # numbers held as objects only, never their text
                values = pd.to_numeric(objects.where(~objects.map(type).isin([str])),
                                       errors="coerce").to_numpy(dtype=np.float64,
                                                                 na_value=np.nan)
            hit |= np.isin(values, numbers)
    elif texts:
        hit = series.astype(str).isin(texts).to_numpy(dtype=bool)
    return absent | hit


def render(value: object) -> str:
    """A value as a sample shows it: integral floats as integers, midnight times as dates.

    >>> render(7.0), render(pd.Timestamp("2024-01-01")), render(None), render("a b")
    ('7', '2024-01-01', 'null', 'a b')
    """
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return "null"
    if value is pd.NA:
        return "null"
    if isinstance(value, pd.Timestamp):
        if value.tz is None and value == value.normalize():
            return str(value.date().isoformat())
        return str(value.isoformat())
    return category_name(value)  # any other value by its text


class ChunkColumns:
    """One chunk's columns as the checks read them; each reading is made once.

    Every reading is NaN (or None) where the value is missing, configured
    missing values included. With ``absent_as_null``, a column the chunk
    does not have reads as all null; otherwise ``series`` raises KeyError.
    """

    def __init__(self, frame: pd.DataFrame, kinds: Mapping[str, str],
                 missing_values: Mapping[str, Sequence[float | str | bool]] | None = None,
                 *, absent_as_null: bool = False) -> None:
        self.frame = frame
        self.rows = len(frame)
        self._labels = {str(label): label for label in frame.columns}
        self._kinds = kinds
        self._extra = missing_values or {}
        self.absent_as_null = absent_as_null
        self._cache: dict[tuple[str, str], object] = {}

    def has(self, name: str) -> bool:
        """Whether the chunk has the column."""
        return name in self._labels

    def series(self, name: str) -> pd.Series:
        """The column as the chunk holds it (all None for an absent one, if allowed)."""
        if name in self._labels:
            return self.frame[self._labels[name]]
        if not self.absent_as_null:
            raise KeyError(name)
        return pd.Series([None] * self.rows, dtype=object, index=self.frame.index)

    def kind(self, name: str) -> str:
        """The kind the column is read as: the given one, else the one its dtype suggests."""
        return self._kinds.get(name) or readers.infer_kind(self.series(name))

    def known_kind(self, name: str) -> bool:
        """Whether the column's kind was given rather than inferred from this chunk."""
        return name in self._kinds

    def missing(self, name: str) -> np.ndarray:
        """Where the column has no value (read-only)."""
        return self._read(name, "missing", lambda s: is_missing(
            s, self._extra.get(name, ()), self.kind(name)))

    def numbers(self, name: str) -> np.ndarray:
        """Values as float64: NaN where missing or not a number."""
        return self._read(name, "numbers", lambda s: readers.read_numbers(s)[0])

    def times(self, name: str) -> np.ndarray:
        """Seconds since the epoch (UTC): NaN where missing or not a time."""
        return self._read(name, "times", lambda s: readers.read_datetimes(s)[0])

    def flags(self, name: str) -> np.ndarray:
        """Truth values as 1.0/0.0: NaN where missing or not a truth value."""
        return self._read(name, "flags", readers.read_flags)

    def lengths(self, name: str) -> np.ndarray:
        """Characters of each value's text: NaN where missing."""
        return self._read(name, "lengths", lambda s: readers.read_lengths(s)[0])

    def texts(self, name: str) -> np.ndarray:
        """Each value's text (``str(value)``) as an object array: None where missing."""
        def read(series: pd.Series) -> np.ndarray:
            if ptypes.is_string_dtype(series.dtype) and (
                    not ptypes.is_object_dtype(series.dtype)
                    or ptypes.infer_dtype(series, skipna=True) in ("string", "empty")):
                return np.asarray(series.to_numpy(dtype=object, na_value=None), dtype=object)
            return np.asarray(series.astype(str).to_numpy(dtype=object), dtype=object)
        return self._read(name, "texts", read, fill=None)

    def _read(self, name: str, what: str, reader: object, fill: object = np.nan) -> np.ndarray:
        key = (name, what)
        cached = self._cache.get(key)
        if cached is None:
            values = np.asarray(reader(self.series(name)))  # type: ignore[operator]
            missing = self.missing(name) if what != "missing" else None
            if missing is not None and missing.any():  # a copy: it may be the frame's array
                values = values.copy()
                values[missing] = fill
            values = values.view()  # read-only for the checks, not for the frame's owner
            values.flags.writeable = False
            self._cache[key] = cached = values
        return cached  # type: ignore[return-value]


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
    if ptypes.is_datetime64_any_dtype(dtype):
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


def row_failures(check: ColumnCheck, columns: ChunkColumns, present: np.ndarray,
                 regex: re.Pattern[str] | None = None) -> np.ndarray:
    """Where a present value fails a ``range``, ``allowed``, ``pattern``, ``format``,
    ``length`` or ``type`` check (``regex`` compiled for the two text checks)."""
    name, kind = check.column, columns.kind(check.column)
    fails = np.zeros(columns.rows, dtype=bool)
    if check.kind == "range":
        times = any(isinstance(b, str) for b in (check.minimum, check.maximum)) or (
            check.minimum is None and check.maximum is None and kind == "datetime")
        values = columns.times(name) if times else columns.numbers(name)
        fails = present & np.isnan(values)
        with np.errstate(invalid="ignore"):
            for bound, outside in ((check.minimum, np.less), (check.maximum, np.greater)):
                if bound is not None:
                    fails |= outside(values, _bound(check, bound, times))
    elif check.kind == "allowed":
        fails = present & ~_allowed(check, columns, kind)
    elif check.kind in ("pattern", "format") and regex is not None:
        fails[present] = ~_search(regex, columns.texts(name)[present])
    elif check.kind == "length":
        lengths = columns.lengths(name)
        with np.errstate(invalid="ignore"):
            for bound, outside in ((check.minimum, np.less), (check.maximum, np.greater)):
                if bound is not None:
                    fails |= outside(lengths, _bound(check, bound, False))
    elif check.kind == "type":
        reading = {"numeric": columns.numbers, "datetime": columns.times,
                   "boolean": columns.flags}.get(check.kind_of or kind)
        if reading is not None:
            fails = present & np.isnan(reading(name))
    return fails


@lru_cache(maxsize=256)
def _bound(check: ColumnCheck, bound: float | str, times: bool) -> float:
    """A bound as a number, or as seconds since the epoch for times (ISO text)."""
    if not times:
        try:
            return float(bound)
        except ValueError:
            raise ProfileError(f"{check.key} check: the bound {bound!r} is not a number") from None
    seconds = readers.read_datetimes(pd.Series([bound], dtype=object))[0][0]
    if not isinstance(bound, str) or np.isnan(seconds):
        raise ProfileError(f"{check.key} check: the bound {bound!r} is not an ISO time")
    return float(seconds)


@lru_cache(maxsize=256)
def _allowed_values(check: ColumnCheck) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """The allowed values as truth values, as numbers, the texts that are not numbers, and
    every value as text (``3`` as ``"3"`` and ``"3.0"``)."""
    values = pd.Series(list(check.values), dtype=object)
    flags = readers.read_flags(values)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    words = [v for v, n in zip(check.values, numbers, strict=True)
             if isinstance(v, str) and np.isnan(n)]
    texts = [v if isinstance(v, str) else t for v in check.values
             for t in (category_name(v), str(v))]
    return flags[~np.isnan(flags)], numbers[~np.isnan(numbers)], words, texts


def _allowed(check: ColumnCheck, columns: ChunkColumns, kind: str) -> np.ndarray:
    """Where a value is one of the allowed: as numbers, truth values or text by the column."""
    name, dtype = check.column, columns.series(check.column).dtype
    flags, numbers, words, texts = _allowed_values(check)
    if kind == "boolean" or (kind != "numeric" and ptypes.is_bool_dtype(dtype)):
        return np.isin(columns.flags(name), flags)
    if kind == "numeric" or (ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(
            dtype)):
        found = np.isin(columns.numbers(name), numbers)
        if words:  # text allowed in a column of numbers, such as "unknown"
            found |= pd.Series(columns.texts(name), dtype=object).isin(words).to_numpy(dtype=bool)
        return found
    return np.asarray(pd.Series(columns.texts(name), dtype=object).isin(texts), dtype=bool)


def _search(regex: re.Pattern[str], texts: np.ndarray) -> np.ndarray:
    """``re.search`` over texts, once per distinct text when texts repeat."""
    if len(texts) > 1000 and len(pd.unique(texts[:1000])) < 500:
        codes, uniques = pd.factorize(texts)
        found = np.fromiter(map(bool, map(regex.search, uniques)), np.bool_, len(uniques))
        return np.asarray(found[codes], dtype=bool)
    return np.fromiter(map(bool, map(regex.search, texts)), np.bool_, len(texts))
