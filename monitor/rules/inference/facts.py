"""What one column of a sample holds: its storage, counts, and the kind its values suggest.

The facts every role decision reads (``columns``), gathered in one pass per
column so that a 100,000-row sample is summed up in well under a second.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from monitor.profiles import BOOLEAN, CATEGORICAL, DATETIME, NUMERIC, TEXT

__all__ = ["LOW_CARDINALITY", "TIME_SHARE", "Facts", "facts_of", "flag_share", "time_share"]

LOW_CARDINALITY = 10
"""Whole numbers with at most this many values are categories (ratings, flags, codes)."""
TIME_SHARE = 0.95
"""Share of text values that must read as ISO-8601 times for a column to hold times."""
TEXT_LENGTH = 20
"""Mean length in characters from which spaced, varied text is free text, not categories."""

_DATE = re.compile(r"\s*\d{4}-\d{2}-\d{2}")  # an ISO time has a whole date: '2026' is a year
_FLAGS = frozenset({"true", "false", "t", "f", "yes", "no", "y", "n", "1", "0"})
_NUMBER_OBJECTS = frozenset({"floating", "mixed-integer-float", "decimal"})


@dataclass(frozen=True, slots=True)
class Facts:
    """One column of a sample, summed up.

    Attributes:
        family: how it is stored: ``bool``, ``datetime``, ``integer``, ``float``,
            ``number`` (decimals and other number objects), ``text`` or ``other``.
        present: values that are not missing.
        missing_share: share of rows without a value.
        distinct: distinct values present.
        integral: every value is a whole number (integers, or floats such as 3.0).
        monotonic: the values present strictly increase down the rows.
        singletons_share: share of rows whose value occurs once (categories only).
        kind: the kind the values suggest.
        reason: why, in a few words.
    """

    family: str
    present: int
    missing_share: float
    distinct: int
    integral: bool
    monotonic: bool
    singletons_share: float
    kind: str
    reason: str


def facts_of(series: pd.Series) -> Facts:
    """Sum up one column of a sample."""
    if isinstance(series.dtype, pd.CategoricalDtype):  # judged by its values, not its storage
        series = series.astype(object)
    present = series.dropna()
    family = _family(series, present)
    counts = _value_counts(present)
    distinct = len(counts)
    integral = family == "integer" or (family == "float" and _whole(present))
    monotonic = (family == "integer" and distinct == len(present) > 1
                 and bool(present.is_monotonic_increasing))
    kind, reason = _kind(series, present, family, distinct, integral)
    singletons = (int((counts.to_numpy() == 1).sum()) / len(present)
                  if kind in (CATEGORICAL, BOOLEAN) and len(present) else 0.0)
    return Facts(family=family, present=len(present),
                 missing_share=1 - len(present) / len(series) if len(series) else 0.0,
                 distinct=distinct, integral=integral, monotonic=monotonic,
                 singletons_share=singletons, kind=kind, reason=reason)


def time_share(series: pd.Series) -> float:
    """Share of the values present that are times, or text with an ISO-8601 date and time.

    >>> time_share(pd.Series(["2026-11-24T10:00:00Z", "2026-11-24 11:00", "2026", None]))
    0.6666666666666666
    """
    present = series.dropna()
    if present.empty:
        return 0.0
    if ptypes.is_datetime64_any_dtype(series.dtype):
        return 1.0
    if ptypes.is_numeric_dtype(series.dtype) or ptypes.is_bool_dtype(series.dtype):
        return 0.0
    text = present.map(lambda v: v if isinstance(v, str) else "")
    dated = text.str.match(_DATE).to_numpy(dtype=bool)
    if not dated.any():
        return 0.0
    times = pd.to_datetime(text[dated], utc=True, errors="coerce", format="ISO8601")
    return float(times.notna().sum()) / len(present)


def flag_share(series: pd.Series) -> float:
    """Share of the values present that read as booleans (yes/no, true/false, 1/0...)."""
    present = series.dropna()
    if present.empty:
        return 0.0
    words = present.astype(str).str.strip().str.lower()
    return float(words.isin(_FLAGS).sum()) / len(present)


def _family(series: pd.Series, present: pd.Series) -> str:
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return "bool"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "datetime"
    if ptypes.is_integer_dtype(dtype):
        return "integer"
    if ptypes.is_float_dtype(dtype):
        return "float"
    if ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype):
        return "number"
    if ptypes.is_string_dtype(dtype) or ptypes.is_object_dtype(dtype):
        inferred = ptypes.infer_dtype(present, skipna=True)
        if inferred == "integer":
            return "integer"
        if inferred in _NUMBER_OBJECTS:
            return "number"
        if inferred == "boolean":
            return "bool"
        if inferred in ("string", "empty"):
            return "text"
    return "other"


def _value_counts(present: pd.Series) -> pd.Series:
    try:
        return present.value_counts(sort=False)
    except TypeError:  # unhashable values (lists, dicts from JSON): count their text
        return present.astype(str).value_counts(sort=False)


def _whole(present: pd.Series) -> bool:
    values = present.to_numpy(dtype=np.float64)
    return bool(values.size) and bool(np.all(np.isfinite(values) & (values == np.round(values))))


def _kind(
    series: pd.Series, present: pd.Series, family: str, distinct: int, integral: bool
) -> tuple[str, str]:
    """The kind a column's values suggest, and why."""
    if family == "bool":
        return BOOLEAN, "true/false values"
    if family == "datetime":
        return DATETIME, "times"
    if family in ("integer", "float", "number"):
        if integral and distinct <= LOW_CARDINALITY:
            return CATEGORICAL, f"whole numbers, only {distinct} values: compared as categories"
        words = "whole numbers" if integral else "numbers"
        return NUMERIC, f"{words}, {distinct:,} values"
    if family == "text":
        if time_share(series) >= TIME_SHARE:
            return DATETIME, "text that reads as ISO-8601 times"
        if _free_text(present, distinct):
            length = present.astype(str).str.len().mean()
            return TEXT, f"free text (about {math.floor(length):,} characters): compared by length"
        return CATEGORICAL, f"text, {distinct:,} values"
    return CATEGORICAL, f"values of mixed types, {distinct:,} of them: compared as text"


def _free_text(present: pd.Series, distinct: int) -> bool:
    """Long, spaced, rarely repeated text: sentences, not category names."""
    if distinct <= LOW_CARDINALITY or distinct < len(present) / 2:
        return False
    text = present.astype(str)
    spaced = float(text.str.contains(r"\s", regex=True).mean())
    return spaced >= 0.5 and float(text.str.len().mean()) >= TEXT_LENGTH
