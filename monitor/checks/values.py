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
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api import types as ptypes

from monitor.checks.plan import ColumnCheck
from monitor.errors import ProfileError
from monitor.profiles import readers
from monitor.profiles.readers import category_name

__all__ = ["ChunkColumns", "arrow_strings", "is_missing", "render", "row_failures"]


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
    elif (strings := arrow_strings(series)) is not None:  # text held in Arrow: no objects
        if texts:
            hit = _arrow_isin(strings, texts)
        if numbers and kind == "numeric":
            hit |= np.isin(readers.read_numbers(series)[0], numbers)
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


def arrow_strings(series: pd.Series) -> pa.Array | None:
    """The column's text as the Arrow array pandas holds it in (no copy), else None."""
    dtype = series.dtype
    if ptypes.is_object_dtype(dtype) or not ptypes.is_string_dtype(dtype):
        return None
    if not hasattr(series.array, "__arrow_array__"):
        return None
    array = pa.array(series.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    return array


def _lengths(series: pd.Series) -> np.ndarray:
    """Characters per value (NaN where missing): by Arrow for text it holds."""
    strings = arrow_strings(series)
    if strings is None:
        return readers.read_lengths(series)[0]
    counted = pc.cast(pc.utf8_length(strings), pa.float64()).fill_null(np.nan)
    lengths: np.ndarray = np.asarray(counted.to_numpy(zero_copy_only=False), dtype=np.float64)
    return lengths


def _arrow_isin(strings: pa.Array, texts: Sequence[str]) -> np.ndarray:
    """Where the Arrow text is one of ``texts`` (never where it is null)."""
    found = pc.is_in(strings, value_set=pa.array(list(texts), type=strings.type))
    flags: np.ndarray = np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False),
                                   dtype=bool)
    return flags


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
        return self._read(name, "lengths", _lengths)

    def texts(self, name: str) -> np.ndarray:
        """Each value's text (``str(value)``) as an object array: None where missing."""
        def read(series: pd.Series) -> np.ndarray:
            if ptypes.is_string_dtype(series.dtype) and (
                    not ptypes.is_object_dtype(series.dtype)
                    or ptypes.infer_dtype(series, skipna=True) in ("string", "empty")):
                return np.asarray(series.to_numpy(dtype=object, na_value=None), dtype=object)
            values = series.to_numpy(dtype=object)  # str() each: no detour through arrow
            return np.fromiter(map(str, values), dtype=object, count=len(values))
        return self._read(name, "texts", read, fill=None)

    def matches(self, name: str, regex: re.Pattern[str]) -> np.ndarray:
        """Where the value's text matches ``regex`` (``re.search``); False where missing.

        Text the chunk already holds in Arrow is searched there, by RE2, when
        RE2 reads the pattern as Python does (``_re2_reads_alike``).
        """
        series = self.series(name)
        present = ~self.missing(name)
        if (len(series) > 1000 and ptypes.is_string_dtype(series.dtype)
                and hasattr(series.array, "__arrow_array__")
                and _re2_reads_alike(regex.pattern)):
            array = pa.array(series.array)
            if "$" not in regex.pattern or not pc.any(pc.ends_with(array, "\n")).as_py():
                matched = pc.match_substring_regex(array, regex.pattern).fill_null(False)
                searched: np.ndarray = np.asarray(matched.to_numpy(zero_copy_only=False),
                                                  dtype=bool) & present
                return searched
        found = np.zeros(len(series), dtype=bool)
        found[present] = _search(regex, self.texts(name)[present])
        return found

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
        fails = present & ~columns.matches(name, regex)
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
    strings = arrow_strings(columns.series(name))
    if strings is not None:
        return _arrow_isin(strings, texts)
    return np.asarray(pd.Series(columns.texts(name), dtype=object).isin(texts), dtype=bool)


def _search(regex: re.Pattern[str], texts: np.ndarray) -> np.ndarray:
    """``re.search`` over texts, once per distinct text when texts repeat."""
    if len(texts) > 1000 and len(pd.unique(texts[:1000])) < 500:
        codes, uniques = pd.factorize(texts)
        found = np.fromiter(map(bool, map(regex.search, uniques)), np.bool_, len(uniques))
        return np.asarray(found[codes], dtype=bool)
    return np.fromiter(map(bool, map(regex.search, texts)), np.bool_, len(texts))


@lru_cache(maxsize=256)
def _re2_reads_alike(pattern: str) -> bool:
    """Whether RE2 (pyarrow's regular expressions, ten times faster than ``re``) compiles the
    pattern and gives it Python's meaning on text that does not end with a newline (before
    which Python's ``$`` also matches): no class that is Unicode in Python and ASCII in RE2
    (``\\d``, ``\\w``, ``\\s``, ``\\b``)."""
    if _UNICODE_CLASSES.search(pattern):
        return False
    try:
        pc.match_substring_regex(pa.array([""], type=pa.large_string()), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


_UNICODE_CLASSES = re.compile(r"\\[dDwWsSbB]")
