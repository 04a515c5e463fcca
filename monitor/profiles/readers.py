"""Readers: how a chunk's column is read as the values of a column kind.

Each reader returns what the profile counts: the values (numbers, or
category names with their counts), how many were missing and how many could
not be read as the kind (``invalid``, a type mismatch). Everything is
vectorised; nothing here keeps state between chunks.

- numeric: numbers as float64; booleans read as 0/1; text that parses as a
  number counts, other text is invalid; timestamps are invalid. A number
  beyond float64's range (a 400-digit integer from JSON or CSV) reads as
  ±inf, as the text ``1e400`` does: it counts with the column's infinities
  (out of range), not as a type mismatch, since it is a number. Text of
  more digits than Python converts (4300) is not read as one: invalid.
- datetime: seconds since the Unix epoch (UTC; naive times are UTC); text
  that parses as a time counts; numbers are invalid, and so is text longer
  than 64 characters, which no time format needs (and whose parsing costs
  grow faster than its length).
- text: the length of each value in characters.
- boolean: ``True``/``False`` (also 1/0 and the words true/false, yes/no,
  t/f, y/n in any case); anything else is invalid.
- categorical: each value's text (integral floats read as integers, so 3.0
  and 3 are one category).
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

__all__ = [
    "category_name",
    "infer_kind",
    "read_booleans",
    "read_categories",
    "read_datetimes",
    "read_flags",
    "read_lengths",
    "read_numbers",
    "utc_times",
]

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_LONGEST_TIME = 64
_TIME_SAMPLE = 1_000
_DASHED_DATE = re.compile(r"\s*[0-9]{4}-[0-9]{2}(?![0-9])")
# Numbers held as Python objects: integers beyond int64 (JSON, CSV), decimals (Parquet).
_NUMBER_OBJECTS = frozenset({"integer", "floating", "mixed-integer-float", "decimal"})


def infer_kind(series: pd.Series) -> str:
    """The kind of a column read without a reference, from its dtype.

    A column of numbers held as Python objects (integers too large for
    int64, decimals) is numeric too. A text column of ISO-8601 times (as a
    CSV file holds them) is datetime, so that windows of other days compare
    their times rather than count each time as a new category: every one
    of its first ``_TIME_SAMPLE`` present values must be text that starts
    with a date written with dashes (``2026-11-24``, ``2026-11``) and reads
    as a time. Numbers written as text (``2024``, ``20240101``) and free
    text stay categorical.

    >>> infer_kind(pd.Series([1, 10**400], dtype=object))
    'numeric'
    >>> infer_kind(pd.Series([1.5])), infer_kind(pd.Series([True])), infer_kind(pd.Series(["a"]))
    ('numeric', 'boolean', 'categorical')
    >>> infer_kind(pd.Series(["2026-11-24T10:00:00Z", None])), infer_kind(pd.Series(["2024"]))
    ('datetime', 'categorical')
    """
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return "boolean"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "datetime"
    if ptypes.is_object_dtype(dtype) and ptypes.infer_dtype(series, skipna=True) in _NUMBER_OBJECTS:
        return "numeric"
    if ptypes.is_string_dtype(dtype) and _holds_times(series):
        return "datetime"
    if ptypes.is_complex_dtype(dtype) or not ptypes.is_numeric_dtype(dtype):
        return "categorical"
    return "numeric"


def _holds_times(series: pd.Series) -> bool:
    """Whether the first ``_TIME_SAMPLE`` present values are all ISO-8601 times as text."""
    sample = series.dropna().iloc[:_TIME_SAMPLE].tolist()
    if not sample or not all(isinstance(v, str) and len(v) <= _LONGEST_TIME
                             and _DASHED_DATE.match(v) for v in sample):
        return False
    times = utc_times(pd.Series(sample, dtype=object))
    return times is not None and bool(times.notna().all())


def utc_times(values: pd.Series) -> pd.Series | None:
    """A column of log times as UTC timestamps (naive ones taken as UTC), NaT where a value is
    not an ISO-8601 time; None for a column of numbers or booleans, which hold no time.

    The file and SQL sources read their ``timestamp`` column so, and ``monitor init``
    looks for one the same way.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is None:
            return values.dt.tz_localize("UTC")
        return values.dt.tz_convert("UTC")
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_object_dtype(values.dtype):
        # Numbers among text are parsed as text (so unreadable), never as epochs of some unit.
        values = values.astype(str).where(values.notna())
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")


def read_numbers(series: pd.Series) -> tuple[np.ndarray, int, int]:
    """Values as float64 (NaN where missing or invalid), the missing and the invalid count.

    >>> values, missing, invalid = read_numbers(pd.Series(["1", None, "x", "2.5"]))
    >>> values.tolist()[::3], missing, invalid
    ([1.0, 2.5], 1, 1)
    """
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
    values = np.asarray(_coerce(series).to_numpy(dtype=np.float64, na_value=np.nan))
    invalid = int(np.count_nonzero(np.isnan(values) & ~absent))
    return values, missing, invalid


def read_datetimes(series: pd.Series) -> tuple[np.ndarray, int, int]:
    """Seconds since the epoch (UTC) as float64, the missing and the invalid count.

    >>> values, missing, invalid = read_datetimes(pd.Series(["1970-01-02", None, "soon"]))
    >>> values[0], missing, invalid
    (np.float64(86400.0), 1, 1)
    """
    absent = series.isna().to_numpy(dtype=bool)
    missing = int(np.count_nonzero(absent))
    dtype = series.dtype
    if ptypes.is_datetime64_any_dtype(dtype):
        times = series
    elif ptypes.is_numeric_dtype(dtype) or ptypes.is_bool_dtype(dtype):
        return np.full(len(series), np.nan), missing, len(series) - missing
    else:
        # Bare numbers (or numeric text) are not times, though the parser would take them.
        numbers = _coerce(series.astype(object)).notna().to_numpy()
        long = series.astype(object).map(lambda v: isinstance(v, str) and len(v) > _LONGEST_TIME)
        text = series.astype(object).where(~(numbers | long.to_numpy(dtype=bool)), None)
        times = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    nanos = times.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    values = nanos / 1e9
    values[pd.isna(times).to_numpy(dtype=bool)] = np.nan
    invalid = int(np.count_nonzero(np.isnan(values) & ~absent))
    return values, missing, invalid


def read_lengths(series: pd.Series) -> tuple[np.ndarray, int, int]:
    """Text lengths in characters as float64 (NaN where missing) and the missing count.

    >>> values, missing, invalid = read_lengths(pd.Series(["abc", None, 12]))
    >>> values.tolist()[::2], missing, invalid
    ([3.0, 2.0], 1, 0)
    """
    absent = series.isna().to_numpy(dtype=bool)
    text = series if ptypes.is_string_dtype(series.dtype) else series.astype(object)
    lengths = text.dropna().astype(str).str.len().to_numpy(dtype=np.float64)
    values = np.full(len(series), np.nan)
    values[~absent] = lengths
    return values, int(np.count_nonzero(absent)), 0


def read_flags(series: pd.Series) -> np.ndarray:
    """Values read as booleans: 1.0, 0.0, or NaN where missing or not a boolean.

    >>> read_flags(pd.Series(["yes", "No", None, "maybe", 1])).tolist()
    [1.0, 0.0, nan, nan, 1.0]
    """
    absent = series.isna().to_numpy(dtype=bool)
    if ptypes.is_bool_dtype(series.dtype):
        flags: np.ndarray = series.to_numpy(dtype=np.float64, na_value=np.nan)
        flags[absent] = np.nan
        return flags
    words = series.astype(object).where(~absent, "").astype(str).str.strip().str.lower()
    if ptypes.is_numeric_dtype(series.dtype):
        words = words.str.replace(r"\.0+$", "", regex=True)
    out = np.full(len(series), np.nan)
    out[words.isin(_TRUE).to_numpy(dtype=bool)] = 1.0
    out[words.isin(_FALSE).to_numpy(dtype=bool)] = 0.0
    out[absent] = np.nan
    return out


def read_booleans(series: pd.Series) -> tuple[list[str], np.ndarray, int, int]:
    """Counts of ``False``/``True``, the missing and the invalid count.

    >>> read_booleans(pd.Series(["yes", "No", None, "maybe", 1]))
    (['False', 'True'], array([1, 2]), 1, 1)
    """
    missing = int(series.isna().sum())
    flags = read_flags(series)
    trues = int(np.count_nonzero(flags == 1.0))
    falses = int(np.count_nonzero(flags == 0.0))
    invalid = len(series) - missing - trues - falses
    return ["False", "True"], np.array([falses, trues]), missing, invalid


def read_categories(series: pd.Series) -> tuple[list[str], np.ndarray, int]:
    """Distinct values of a column as text, their counts, and the missing count.

    >>> read_categories(pd.Series(["a", None, "b", "a"]))
    (['a', 'b'], array([2, 1]), 1)
    """
    missing = int(series.isna().sum())
    try:
        counted = series.value_counts(dropna=True, sort=False)
    except TypeError:  # unhashable objects: compare their text
        counted = series.dropna().astype(str).value_counts(sort=False)
    counted = counted[counted.to_numpy() > 0]  # a pandas categorical lists unused categories
    keys = [category_name(value) for value in counted.index]
    if len(set(keys)) < len(keys):  # 3 and 3.0, or True and "True": one category
        summed: dict[str, int] = {}
        for key, count in zip(keys, counted.to_numpy().tolist(), strict=True):
            summed[key] = summed.get(key, 0) + count
        return list(summed), np.array(list(summed.values()), dtype=np.int64), missing
    return keys, counted.to_numpy(dtype=np.int64), missing


def _coerce(series: pd.Series) -> pd.Series:
    """``pd.to_numeric(errors="coerce")`` that reads integers beyond float64 as ±inf.

    pandas parses the text of such a number to ±inf but raises OverflowError
    on the Python integer itself.
    """
    try:
        return pd.to_numeric(series, errors="coerce")
    except (TypeError, ValueError):
        objects = series.astype(object)
    except OverflowError:
        objects = series.astype(object).map(_int_as_float)
    try:
        return pd.to_numeric(objects, errors="coerce")
    except OverflowError:
        return pd.to_numeric(objects.map(_int_as_float), errors="coerce")


def _int_as_float(value: object) -> object:
    if not isinstance(value, int) or isinstance(value, bool):
        return value
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def category_name(value: Hashable) -> str:
    """A category's text; integral floats read as integers so 3.0 and 3 are one category."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return str(value)
