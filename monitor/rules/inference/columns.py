"""Column kinds and roles read from a sample of the data: a monitor's ``columns:`` block.

Each column gets one kind (numeric, categorical, boolean, text, datetime) and
one role (timestamp, prediction, target, feature, excluded), with the reason
an operator reads in the drafted rule file. Values decide the kinds; names
decide only what values cannot tell, and conservatively: a prediction or a
labels column is recognised by the exact names models commonly write
(``prediction``, ``score``, ``y_pred``, ``proba*``; ``target``, ``label``,
``y``, ``y_true``, ``outcome``), anything else stays a feature until the
operator names it (``--prediction``, ``--target``). A timestamp is a column
of times (or of ISO-8601 text, as the sources read it); among several, the
one named like a log time wins.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitor.errors import MonitorError
from monitor.profiles import BOOLEAN, CATEGORICAL, DATETIME, NUMERIC, TEXT
from monitor.profiles.readers import utc_times
from monitor.rules.inference.facts import TIME_SHARE, Facts, facts_of, flag_share, time_share

__all__ = [
    "BOOLEAN", "CATEGORICAL", "DATETIME", "EXCLUDED", "FEATURE", "NUMERIC", "PREDICTION",
    "TARGET", "TEXT", "TIMESTAMP", "ColumnChoice", "ColumnPlan", "as_times", "infer_columns",
    "named_like_time", "time_name_rank",
]

TIMESTAMP, PREDICTION, TARGET, FEATURE, EXCLUDED = (
    "timestamp", "prediction", "target", "feature", "excluded")

NAMED_ID_CATEGORIES = 50
"""A column named like an id with at most this many values is a category (a store id)."""
ID_SHARE = 0.99
"""Share of distinct values from which text or whole numbers are ids."""
MANY_VALUES_SHARE = 0.5
"""Text with more distinct values than this share (and over 50) is left out: it rarely repeats."""
MIN_ID_ROWS = 20
MIN_UNORDERED_ID_ROWS = 1_000
"""Unique whole numbers count as ids in order from 20 rows, in any order only from 1,000."""

_LOG_TIMES = ("logged_at", "event_time", "event_timestamp", "timestamp", "ts", "created_at",
              "inserted_at", "received_at", "recorded_at", "time", "datetime", "date")
_TIME_SUFFIXES = ("_at", "_time", "_ts", "_timestamp", "_date")
_PREDICTIONS = ("prediction", "predicted", "pred", "y_pred", "y_hat", "yhat", "score")
_PROBABILITY = re.compile(r"proba(bility|bilities|s)?([_\-]?\d*|_.*)")
_TARGETS = ("target", "label", "y", "y_true", "outcome")
_ID_WORDS = ("id", "uuid", "guid")
_CAMEL_ID = re.compile(r".*[a-z0-9](Id|ID|Uuid|UUID|Guid|GUID)")

_Choice = tuple[str, str, str | None]
"""A column's role, the reason, and its kind when the role sets it (else its values')."""


@dataclass(frozen=True, slots=True)
class ColumnChoice:
    """What one column is for in the drafted monitor, and why.

    Attributes:
        name: the column.
        kind: ``numeric``, ``categorical``, ``boolean``, ``text`` or ``datetime``.
        role: ``timestamp``, ``prediction``, ``target``, ``feature`` or ``excluded``.
        reason: the evidence, in a few words (``id-like: 100% unique values``).
        missing_share: share of the sample's rows without a value.
        values: distinct values present in the sample.
        new_value_share: share of rows whose value occurs once in the sample: the
            Good–Turing estimate of how often later data brings an unseen category.
    """

    name: str
    kind: str
    role: str
    reason: str
    missing_share: float
    values: int
    new_value_share: float


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """Every column's choice, in the data's order, and notes for the operator."""

    rows: int
    columns: tuple[ColumnChoice, ...]
    notes: tuple[str, ...] = ()

    def named(self, role: str, kind: str | None = None) -> list[str]:
        """The columns of a role (and kind), in the data's order."""
        return [c.name for c in self.columns if c.role == role and kind in (None, c.kind)]

    def column(self, name: str) -> ColumnChoice:
        """One column's choice; KeyError when there is none."""
        for choice in self.columns:
            if choice.name == name:
                return choice
        raise KeyError(name)

    def _one(self, role: str) -> str | None:
        found = self.named(role)
        return found[0] if found else None

    @property
    def timestamp(self) -> str | None:
        """The column that dates each row, if one was found."""
        return self._one(TIMESTAMP)

    @property
    def prediction(self) -> str | None:
        """The model's prediction column, if one was found."""
        return self._one(PREDICTION)

    @property
    def target(self) -> str | None:
        """The labels column, if one was found."""
        return self._one(TARGET)


def as_times(series: pd.Series) -> pd.Series:
    """A column read as UTC times the way the sources read it; NaT where it holds none.

    >>> as_times(pd.Series(["2026-11-24T10:00:00Z", "soon", None])).tolist()[:1]
    [Timestamp('2026-11-24 10:00:00+0000', tz='UTC')]
    """
    times = utc_times(series)
    if times is None:  # numbers: no time at all
        return pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns, UTC]")
    return times


def infer_columns(
    sample: pd.DataFrame,
    *,
    timestamp: str | None = None,
    prediction: str | None = None,
    target: str | None = None,
    excluded: Mapping[str, str] | None = None,
    text_times: bool = True,
) -> ColumnPlan:
    """Each column's kind and role in a first monitor of ``sample``'s data.

    Args:
        sample: rows of the data (a bounded sample is enough).
        timestamp, prediction, target: columns the operator named; they win.
        excluded: columns to leave out whatever they hold, with the reason.
        text_times: whether text reading as times may date the rows (files and
            SQLite: yes; other databases need a time type).

    Raises:
        MonitorError: a named column is not in the data, or does not hold
            what its role needs (times, numbers, labels).
    """
    names = [str(c) for c in sample.columns]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise MonitorError(f"the data has columns of the same name: {', '.join(twice)}; "
                           "rename them so that each column can be told apart")
    if not names or len(sample) == 0:
        raise MonitorError("the data holds no rows: a first monitor is drafted from rows, "
                           "give data with some")
    frame = sample.set_axis(names, axis=1)
    _check_named(names, {"--timestamp": timestamp, "--prediction": prediction,
                         "--target": target})
    facts = {name: facts_of(frame[name]) for name in names}
    decided: dict[str, _Choice] = {}
    notes: list[str] = []
    for name, why in (excluded or {}).items():
        if name in facts and name not in (timestamp, prediction, target):
            decided[name] = (EXCLUDED, why, None)
    _choose_timestamp(frame, facts, decided, notes, timestamp, text_times)
    for name, fact in facts.items():
        if name not in decided and fact.present == 0:
            decided[name] = (EXCLUDED, "every value is missing in the sample", None)
        elif name not in decided and fact.kind == DATETIME:
            decided[name] = (EXCLUDED, "a time besides the timestamp: it moves on with the "
                             "data, so it would always drift", None)
    _choose_prediction(frame, facts, decided, notes, prediction)
    _choose_target(frame, facts, decided, notes, target)
    for name, fact in facts.items():
        if name not in decided:
            decided[name] = _id_or_feature(name, fact)
    columns = tuple(
        ColumnChoice(name, decided[name][2] or facts[name].kind, *decided[name][:2],
                     missing_share=facts[name].missing_share, values=facts[name].distinct,
                     new_value_share=facts[name].singletons_share)
        for name in names)
    return ColumnPlan(rows=len(frame), columns=columns, notes=tuple(notes))


def _check_named(names: list[str], named: Mapping[str, str | None]) -> None:
    for flag, column in named.items():
        if column is not None and column not in names:
            close = difflib.get_close_matches(column, names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise MonitorError(f"{flag} column '{column}' is not in the data{hint}; its "
                               f"columns: {_listed(names)}")
    given = [(flag, column) for flag, column in named.items() if column is not None]
    for i, (flag, column) in enumerate(given):
        for other, same in given[i + 1:]:
            if column == same:
                raise MonitorError(f"{flag} and {other} both name '{column}': a column has "
                                   "one role")


def _choose_timestamp(
    frame: pd.DataFrame, facts: Mapping[str, Facts], decided: dict[str, _Choice],
    notes: list[str], named: str | None, text_times: bool,
) -> None:
    if named is not None:
        share = time_share(frame[named])
        if share < 0.5:
            example = _example(frame[named])
            raise MonitorError(
                f"--timestamp column '{named}' holds no times: {share:.0%} of its values read "
                f"as ISO-8601 times (such as {example}); name a column of times, such as "
                "2026-11-24T10:00:00Z")
        if not text_times and facts[named].family != "datetime":
            raise MonitorError(f"--timestamp column '{named}' is text, not a time type: this "
                               "database's source needs a timestamp column; convert it")
        decided[named] = (TIMESTAMP, "named with --timestamp", DATETIME)
        return
    candidates = [n for n, f in facts.items() if f.kind == DATETIME and n not in decided
                  and (text_times or f.family == "datetime")]
    for name, fact in facts.items():
        if named_like_time(name) and fact.family in ("integer", "float"):
            notes.append(f"'{name}' is named like a time but holds numbers (seconds since "
                         "1970?); the sources read times or ISO-8601 text")
    if not candidates:
        return
    best = min(candidates, key=lambda n: (time_name_rank(n), facts[n].missing_share,
                                          candidates.index(n)))
    what = "a time column" if facts[best].family == "datetime" else "text that reads as times"
    reason = what + (", named like a log time" if named_like_time(best) else "")
    others = [n for n in candidates if n != best]
    if others:
        reason += f"; preferred to {_listed(others, 3)}"
    decided[best] = (TIMESTAMP, reason, None)


def named_like_time(name: str) -> bool:
    """Whether a column's name says it dates its rows (``logged_at``, ``ts``, ``*_time``...)."""
    return time_name_rank(name) <= len(_LOG_TIMES)


def time_name_rank(name: str) -> int:
    """0 for the most log-like time name; names of times rank before other names.

    >>> time_name_rank("logged_at") < time_name_rank("shipped_at") < time_name_rank("age")
    True
    """
    lower = name.lower()
    if lower in _LOG_TIMES:
        return _LOG_TIMES.index(lower)
    return len(_LOG_TIMES) if lower.endswith(_TIME_SUFFIXES) else len(_LOG_TIMES) + 1


def _choose_prediction(
    frame: pd.DataFrame, facts: Mapping[str, Facts], decided: dict[str, _Choice],
    notes: list[str], named: str | None,
) -> None:
    if named is not None:
        if facts[named].family not in ("integer", "float", "number", "bool"):
            raise MonitorError(f"--prediction column '{named}' holds {facts[named].family} "
                               f"values (such as {_example(frame[named])}), not numbers: name "
                               "the column of the model's scores or probabilities")
        decided[named] = (PREDICTION, "named with --prediction", _number_kind(facts[named]))
        return
    found = _by_name(facts, decided, _PREDICTIONS, _PROBABILITY)
    if found is None:
        return
    if facts[found].family in ("integer", "float", "number", "bool"):
        decided[found] = (PREDICTION, "named like a model's prediction",
                          _number_kind(facts[found]))
    else:
        notes.append(f"'{found}' is named like a prediction but holds {facts[found].family}; "
                     "name the prediction with --prediction if there is one")


def _choose_target(
    frame: pd.DataFrame, facts: Mapping[str, Facts], decided: dict[str, _Choice],
    notes: list[str], named: str | None,
) -> None:
    if named is not None:
        if not _labels(frame[named], facts[named]):
            raise MonitorError(f"--target column '{named}' holds {facts[named].family} values "
                               f"(such as {_example(frame[named])}): labels are numbers, "
                               "booleans or yes/no words")
        decided[named] = (TARGET, "named with --target: labels, not checked for drift", None)
        return
    found = _by_name(facts, decided, _TARGETS, None)
    if found is None:
        return
    if _labels(frame[found], facts[found]):
        decided[found] = (TARGET, "named like labels: used for model metrics, not drift",
                          None)
    else:
        notes.append(f"'{found}' is named like labels but holds {facts[found].family}; name "
                     "the labels with --target if there are some")


def _by_name(
    facts: Mapping[str, Facts], decided: Mapping[str, object], names: tuple[str, ...],
    pattern: re.Pattern[str] | None,
) -> str | None:
    """The free column whose name ranks first in ``names`` (then matches ``pattern``)."""
    ranked = []
    for position, name in enumerate(facts):
        lower = name.lower()
        if name in decided:
            continue
        if lower in names:
            ranked.append((names.index(lower), position, name))
        elif pattern is not None and pattern.fullmatch(lower):
            ranked.append((len(names), position, name))
    return min(ranked)[2] if ranked else None


def _labels(series: pd.Series, fact: Facts) -> bool:
    if fact.family in ("integer", "float", "number", "bool"):
        return True
    return fact.family == "text" and flag_share(series) >= TIME_SHARE


def _is_id_name(name: str) -> bool:
    lower = name.lower()
    return (lower in _ID_WORDS or any(lower.endswith(s) for s in _suffixes())
            or _CAMEL_ID.fullmatch(name) is not None)


def _suffixes() -> tuple[str, ...]:
    return tuple(sep + word for sep in "_-. " for word in _ID_WORDS)


def _id_or_feature(name: str, fact: Facts) -> _Choice:
    """Excluded when the values (or the name and the values) say id; else a feature."""
    unique = fact.distinct / fact.present if fact.present else 0.0
    shown = f"{math.floor(unique * 100):.0f}% unique values"
    countable = fact.family in ("integer", "text") or (fact.family == "float" and fact.integral)
    if _is_id_name(name) and countable:
        if fact.distinct <= NAMED_ID_CATEGORIES:
            return FEATURE, (f"named like an id, but only {fact.distinct} values: "
                             "compared as categories"), CATEGORICAL
        many = shown if unique >= ID_SHARE else f"{fact.distinct:,} values"
        return EXCLUDED, f"id-like: named like an id, {many}", None
    if fact.family == "text" and fact.kind != TEXT and fact.present >= MIN_ID_ROWS:
        if unique >= ID_SHARE:
            return EXCLUDED, f"id-like: {shown}", None
        if unique >= MANY_VALUES_SHARE and fact.distinct > NAMED_ID_CATEGORIES:
            return EXCLUDED, (f"{fact.distinct:,} values ({shown}): too many to compare as "
                              "categories"), None
    if fact.family == "integer" and unique >= ID_SHARE and (
            fact.present >= MIN_UNORDERED_ID_ROWS
            or (fact.present >= MIN_ID_ROWS and fact.monotonic)):
        return EXCLUDED, f"id-like: {shown}" + (", in order" if fact.monotonic else ""), None
    return FEATURE, fact.reason, None


def _number_kind(fact: Facts) -> str:
    """A prediction is profiled as the numbers (or booleans) it holds, whatever their count."""
    return BOOLEAN if fact.family == "bool" else NUMERIC


def _example(series: pd.Series) -> str:
    present = series.dropna()
    if present.empty:
        return "nothing: every value is missing"
    text = repr(present.iloc[0].item() if isinstance(present.iloc[0], np.generic)
                else present.iloc[0])
    return text if len(text) <= 40 else text[:40] + "..."


def _listed(names: list[str], most: int = 20) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
