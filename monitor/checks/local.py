"""The local engine: a ``CheckPlan``'s checks over a window's chunks, beside its profile.

``CheckAccumulator.update`` takes the same chunks as the profile builder,
one at a time; ``results`` gives one ``QualityResult`` per check after the
last one: column checks in plan order, then conditions, duplicates and the
schema. SQL checks run against their source elsewhere and give none here.

Memory stays bounded by the counts and at most ten samples per check, but
for three exact states: ``unique`` and ``duplicates`` keep a 64-bit hash per
distinct value (see ``monitor.checks.values``), ``quantile`` the column's
numbers (8 bytes a row).

A column's kind is the reference's (``kinds``), else the one its dtype
suggests in the first chunk that holds a value of it, kept for the window.
A checked column no chunk has fails its checks with a note; one missing
from some chunks only is missing on their rows. An empty window (no chunk
at all) knows no columns: its row checks consider no row and pass, its
statistic checks measure nothing and fail, and it has no schema result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from monitor.checks.hashing import HashCounter, combine_hashes, value_hashes
from monitor.checks.plan import (
    FORMATS,
    MAX_SAMPLES,
    STATISTIC_KINDS,
    CheckPlan,
    ColumnCheck,
    ConditionCheck,
    DuplicateCheck,
    QualityResult,
    Tolerance,
)
from monitor.checks.results import absent_result, row_result, schema_results
from monitor.checks.rows import condition_columns, failing_mask
from monitor.checks.values import ChunkColumns, render, row_failures
from monitor.errors import ProfileError
from monitor.profiles import readers
from monitor.profiles.moments import merge_moments

__all__ = ["CheckAccumulator"]

_SAMPLE_SCAN = 10_000  # failing rows looked at for distinct samples, per chunk


class CheckAccumulator:
    """Accumulates the checks of ``plan`` over a window's chunks.

    ``kinds`` maps columns to profile kinds (the reference's); a column it
    does not name is read by its dtype.
    """

    def __init__(self, plan: CheckPlan, kinds: Mapping[str, str]) -> None:
        self._plan = plan
        self._kinds: dict[str, str] = dict(kinds)
        self._read = plan.read_columns()
        self._rows = 0
        self._chunks = 0
        self._seen: dict[str, None] = {}
        self._columns = [_statistic(c) if c.kind in STATISTIC_KINDS else _ColumnState(c, plan)
                         for c in plan.columns]
        self._conditions = [_ConditionState(c, plan) for c in plan.conditions]
        self._duplicates = [_DuplicateState(d, plan) for d in plan.duplicates]

    def update(self, chunk: pd.DataFrame) -> None:
        """Add the rows of one chunk of the window."""
        if not isinstance(chunk, pd.DataFrame):
            raise ProfileError(f"a chunk must be a pandas DataFrame, got {type(chunk).__name__}")
        if chunk.columns.has_duplicates:
            duplicated = sorted({str(c) for c in chunk.columns[chunk.columns.duplicated()]})
            raise ProfileError(
                f"duplicate column names {duplicated} in the data; rename them so each is unique")
        for label in chunk.columns:
            name = str(label)
            self._seen[name] = None
            if name in self._read and name not in self._kinds and chunk[label].notna().any():
                self._kinds[name] = readers.infer_kind(chunk[label])
        columns = ChunkColumns(chunk, self._kinds, self._plan.missing_values,
                               absent_as_null=True)
        for state in [*self._columns, *self._conditions, *self._duplicates]:
            state.update(columns)
        self._rows += len(chunk)
        self._chunks += 1

    def results(self) -> list[QualityResult]:
        """One result per check (none for SQL checks), after the last chunk."""
        seen = self._seen if self._chunks else None
        out = [state.result(seen) for state in [*self._columns, *self._conditions,
                                                *self._duplicates]]
        if self._plan.schema is not None and self._chunks:
            out.extend(schema_results(self._plan, self._seen))
        return out


class _Samples:
    """Up to ``MAX_SAMPLES`` distinct failing values as text (none when not kept)."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep
        self.values: dict[str, None] = {}

    def wanted(self) -> bool:
        return self.keep and len(self.values) < MAX_SAMPLES

    def add(self, series: Sequence[pd.Series], positions: np.ndarray,
            names: Sequence[str] | None = None) -> None:
        """Render the rows at ``positions`` (``name=value`` pairs when ``names`` are given)."""
        for start in range(0, min(len(positions), _SAMPLE_SCAN), 4 * MAX_SAMPLES):
            if not self.wanted():
                return
            at = positions[start:start + 4 * MAX_SAMPLES]
            parts = [s.iloc[at].tolist() for s in series]
            for row in zip(*parts, strict=True):
                if names is None:
                    text = render(row[0])
                else:
                    text = ", ".join(f"{n}={render(v)}" for n, v in zip(names, row, strict=True))
                self.values[text] = None
                if not self.wanted():
                    return

    def result(self) -> tuple[str, ...]:
        return tuple(self.values)


def _row_result(kind: str, column: str | None, failing: int, considered: int,
                tolerance: Tolerance, samples: _Samples, name: str | None = None) -> QualityResult:
    return row_result(kind, column, failing, considered, tolerance, samples.result(), name)


class _ColumnState:
    """A row check of one column: ``missing``, ``range``, ``allowed``, ``pattern``, ``format``,
    ``length``, ``type`` or ``unique``."""

    def __init__(self, check: ColumnCheck, plan: CheckPlan) -> None:
        self.check = check
        self.failing = self.considered = 0
        self.seen = False
        self.samples = _Samples(plan.keeps_samples(check.column) and check.kind != "missing")
        self.counter = HashCounter() if check.kind == "unique" else None
        self.regex: re.Pattern[str] | None = None
        if check.kind in ("pattern", "format"):
            text = check.regex or FORMATS.get(check.format or "")
            if text is None:
                raise ProfileError(f"{check.key} check: no regular expression to match")
            try:
                self.regex = re.compile(text)
            except re.error as exc:
                raise ProfileError(f"{check.key} check: {text!r} is not a regular expression: "
                                   f"{exc}") from None

    def update(self, columns: ChunkColumns) -> None:
        check, name = self.check, self.check.column
        if not columns.has(name):
            if check.kind == "missing":
                self.failing += columns.rows
                self.considered += columns.rows
            return
        self.seen = True
        missing = columns.missing(name)
        if check.kind == "missing":
            self.failing += int(np.count_nonzero(missing))
            self.considered += columns.rows
            return
        present = ~missing
        self.considered += int(np.count_nonzero(present))
        if self.counter is not None:
            hashes = value_hashes(columns, name)
            failing, repeated = self.counter.add(hashes[present])
            self.failing += failing
            if self.samples.wanted() and failing:  # rows of repeated values
                self.samples.add([columns.series(name)],
                                 np.flatnonzero(present & np.isin(hashes, repeated)))
            return
        positions = np.flatnonzero(row_failures(check, columns, present, self.regex))
        self.failing += len(positions)
        if self.samples.wanted() and len(positions):
            self.samples.add([columns.series(name)], positions)

    def result(self, seen: Mapping[str, None] | None) -> QualityResult:
        if seen is not None and not self.seen:
            return absent_result(self.check)
        return _row_result(self.check.kind, self.check.column, self.failing, self.considered,
                           self.check.tolerance, self.samples)


class _StatisticState:
    """``mean``, ``stddev`` or ``quantile`` of a column's finite present numbers."""

    def __init__(self, check: ColumnCheck) -> None:
        self.check = check
        self.seen = False
        self.count = 0
        self.mean = self.m2 = 0.0
        self.parts: list[np.ndarray] = []

    def update(self, columns: ChunkColumns) -> None:
        if not columns.has(self.check.column):
            return
        self.seen = True
        numbers = columns.numbers(self.check.column)
        values = numbers[np.isfinite(numbers)]
        if self.check.kind == "quantile":
            self.parts.append(values)
        elif len(values):  # per chunk in two passes, then merged exactly (Chan et al.)
            mean = float(values.sum()) / len(values)
            deviations = values - mean
            m2 = float(np.dot(deviations, deviations))
            self.mean, self.m2 = merge_moments(self.count, self.mean, self.m2,
                                               len(values), mean, m2)
        self.count += len(values)

    def measure(self) -> tuple[float, str | None]:
        check = self.check
        if check.kind == "stddev":
            if self.count < 2:
                return float("nan"), "no standard deviation: fewer than two numbers"
            return float(np.sqrt(self.m2 / (self.count - 1))), None
        if self.count == 0:
            return float("nan"), f"no {check.kind}: no numbers in the window"
        if check.kind == "mean":
            return self.mean, None
        values = np.concatenate(self.parts)
        return float(np.quantile(values, check.quantile if check.quantile is not None else 0.5)
                     ), None

    def result(self, seen: Mapping[str, None] | None) -> QualityResult:
        check = self.check
        if seen is not None and not self.seen:
            return absent_result(check)
        value, note = self.measure()
        low, high = (None if b is None else float(b) for b in (check.minimum, check.maximum))
        passed = note is None and (low is None or value >= low) and (high is None or value <= high)
        return QualityResult(check=check.kind, column=check.column, value=value, threshold=None,
                             passed=passed, bounds=(check.minimum, check.maximum), note=note)


def _statistic(check: ColumnCheck) -> _StatisticState:
    for bound in (check.minimum, check.maximum):
        if bound is not None and not isinstance(bound, int | float):
            raise ProfileError(f"{check.key} check: the bound {bound!r} is not a number")
    if check.kind == "quantile" and not (check.quantile is not None and 0 <= check.quantile <= 1):
        raise ProfileError(f"{check.key} check: the quantile must lie in [0, 1], "
                           f"not {check.quantile!r}")
    return _StatisticState(check)


class _ConditionState:
    """Rows where a condition is false."""

    def __init__(self, condition: ConditionCheck, plan: CheckPlan) -> None:
        self.condition = condition
        self.names = condition_columns(condition.expression)
        self.seen: set[str] = set()
        self.failing = self.rows = 0
        self.samples = _Samples(plan.samples and not set(self.names) & plan.sensitive)

    def update(self, columns: ChunkColumns) -> None:
        self.seen |= {name for name in self.names if columns.has(name)}
        mask = failing_mask(self.condition.expression, columns.frame, {}, reader=columns,
                            name=self.condition.name)
        positions = np.flatnonzero(mask)
        self.failing += len(positions)
        self.rows += columns.rows
        if self.samples.wanted() and len(positions):
            self.samples.add([columns.series(n) for n in self.names], positions, self.names)

    def result(self, seen: Mapping[str, None] | None) -> QualityResult:
        condition = self.condition
        unknown = [name for name in self.names if name not in self.seen]
        if seen is not None and unknown:
            return QualityResult(
                check="condition", column=None, value=1.0, threshold=condition.tolerance.limit,
                passed=False, name=condition.name, unit=condition.tolerance.unit,
                note=f"condition '{condition.name}' reads column '{unknown[0]}', which the data "
                     "does not have")
        return _row_result("condition", None, self.failing, self.rows, condition.tolerance,
                           self.samples, condition.name)


class _DuplicateState:
    """Rows beyond the first of each repeated combination of columns (nulls equal)."""

    def __init__(self, check: DuplicateCheck, plan: CheckPlan) -> None:
        self.check = check
        self.counter = HashCounter()
        self.seen: set[str] = set()
        self.failing = self.rows = 0
        self.samples = _Samples(plan.samples and not set(check.columns) & plan.sensitive)

    def update(self, columns: ChunkColumns) -> None:
        names = self.check.columns
        self.seen |= {name for name in names if columns.has(name)}
        hashes = combine_hashes([value_hashes(columns, name) for name in names])
        failing, repeated = self.counter.add(hashes)
        self.failing += failing
        self.rows += columns.rows
        if self.samples.wanted() and failing:  # rows of repeated combinations
            self.samples.add([_nulled(columns, n) for n in names],
                             np.flatnonzero(np.isin(hashes, repeated)), names)

    def result(self, seen: Mapping[str, None] | None) -> QualityResult:
        check = self.check
        unknown = [name for name in check.columns if name not in self.seen]
        if seen is not None and unknown:
            return QualityResult(
                check="duplicates", column=None, value=1.0, threshold=check.tolerance.limit,
                passed=False, name=check.name, unit=check.tolerance.unit,
                note=f"column '{unknown[0]}' is not in the data")
        return _row_result("duplicates", None, self.failing, self.rows, check.tolerance,
                           self.samples, check.name)


def _nulled(columns: ChunkColumns, name: str) -> pd.Series:
    """The column with its configured missing values as null, as duplicates group them."""
    series = columns.series(name)
    missing = columns.missing(name)
    return series.astype(object).where(~missing, None) if missing.any() else series
