"""Aggregate expressions of one window, built with SQLAlchemy Core, and what they decode to.

Each column plan contributes a few aggregates to one ``SELECT`` over the
window; the row that comes back decodes into the parts of a column profile.

**Numeric moments.** ``count``, ``min``, ``max``, and on PostgreSQL ``avg``
and ``var_pop``, which share one accumulator (Youngs–Cramer updates, as
precise as the two-pass formula): ``m2 = var_pop · n``. Elsewhere the sums
of ``x − c`` and ``(x − c)²`` with ``c`` the reference mean, so the variance
loses no precision to a large mean: ``mean = c + S1/n``, ``m2 = S2 − S1²/n``.

**Non-finite values.** The first pass aggregates every non-null value. A
column whose minimum or maximum comes back infinite or NaN (PostgreSQL
sorts NaN above every number) is aggregated again with ``finite_only``:
every aggregate filtered to finite values, and the infinities and NaNs
counted apart (NaN is missing, as in pandas).

**Histogram.** Counts on the reference edges, bins ``[e(i-1), e(i))``, the
last bin closed, and two open ends. Portable form: one
``count(*) FILTER (WHERE x < e)`` per edge, differenced. PostgreSQL form:
one aggregate per column, ``sum(w[width_bucket(x, edges) + 1])`` where
``w[i] = 10^(8·i)``: each bin is an 8-digit field of one exact ``NUMERIC``
sum (the last edge is moved up by one ulp so the last bin is closed). A
window of 10^8 rows or more uses the portable form.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import Grouping

from monitor.profiles import BOOLEAN, CategoricalSummary, ColumnProfile
from monitor.profiles.readers import category_name
from monitor.profiles.summaries import NumericSummary, truncate_categories
from monitor.sources.pushdown.dialects import of
from monitor.sources.pushdown.plan import BooleanPlan, CategoryPlan, NumericPlan

__all__ = [
    "MAX_FILTERED_CATEGORIES",
    "PACKED_ROWS_LIMIT",
    "BooleanAggregate",
    "CategoryAggregate",
    "NumericAggregate",
    "NumericTotals",
    "category_key",
    "category_profile",
    "name_of",
]

PACKED_ROWS_LIMIT = 10**8
"""Windows with at least this many rows use the portable histogram form."""

MAX_FILTERED_CATEGORIES = 64
"""Reference categories counted with one filtered count each; more use GROUP BY."""

_FIELD = 10**8
_INF = float("inf")


@dataclass(frozen=True, slots=True)
class NumericTotals:
    """The decoded aggregates of one numeric column (no sample yet).

    ``suspect`` is True when the column holds infinities or NaN, so the
    aggregates must be taken again on finite values only.
    """

    count: int
    missing: int
    invalid: int
    nonfinite: int
    minimum: float | None
    maximum: float | None
    mean: float
    m2: float
    counts: np.ndarray
    suspect: bool

    def profile(self, plan: NumericPlan, sample: np.ndarray, limit: int,
                fine: np.ndarray | None = None) -> ColumnProfile:
        """The column profile, given the sorted sample of finite values and the fine counts."""
        ref = plan.reference
        fine_edges = ref.fine_edges if fine is not None else ref.fine_edges[:0]
        summary = NumericSummary(
            self.minimum, self.maximum, self.mean, self.m2, self.nonfinite,
            _frozen(ref.edges.astype(np.float64)), _frozen(self.counts), _frozen(sample),
            limit, ref.bins, fine_edges,
            _frozen(fine if fine is not None else np.zeros(0, np.int64)),
        )
        return ColumnProfile(plan.kind, self.count, self.missing, self.invalid,  # type: ignore[arg-type]
                             numeric=summary)


class NumericAggregate:
    """Aggregates of one numeric column; ``decode`` reads them back."""

    def __init__(self, plan: NumericPlan, dialect: str, *, finite_only: bool,
                 packed: bool) -> None:
        self.plan = plan
        self.sql = sql = of(dialect)
        self.finite_only = finite_only and not plan.integral
        self.packed = packed and sql.packed_histogram and len(plan.reference.edges) > 0
        self.shift = float(plan.reference.mean) if math.isfinite(plan.reference.mean) else 0.0
        self.native = sql.native_moments
        x = plan.value(dialect)
        keep = sa.and_(x > _float(-_INF), x < _float(_INF)) if self.finite_only else None
        bad = plan.invalid(dialect)
        shifted = x - _float(self.shift)

        def only(aggregate: Any, value: sa.ColumnElement[Any] = x) -> Any:
            return sql.aggregate_where(aggregate, value, keep)

        moments = ((only(sa.func.avg), only(sa.func.var_pop)) if self.native
                   else (only(sa.func.sum, shifted), only(sa.func.sum, shifted * shifted)))
        self.exprs: list[Any] = [
            only(sa.func.count), only(sa.func.min), only(sa.func.max), *moments,
            sql.count_where(bad) if bad is not None else sa.literal(0),
        ]
        if self.finite_only:  # NaN (where kept) is neither: it counts as missing
            self.exprs += [sql.count_where(x == _float(_INF)),
                           sql.count_where(x == _float(-_INF))]
        self.exprs += self._histogram(x, only)

    def _histogram(self, x: sa.ColumnElement[float], only: Any) -> list[Any]:
        edges = [float(e) for e in self.plan.reference.edges]
        if not edges:
            return []
        if self.packed:
            thresholds = [*edges[:-1], math.nextafter(edges[-1], _INF)]
            bucket = sa.func.width_bucket(x, sa.bindparam(
                None, thresholds, type_=postgresql.ARRAY(sa.Double())))
            weights = sa.type_coerce(Grouping(sa.bindparam(
                None, [Decimal(_FIELD) ** i for i in range(len(edges) + 1)],
                type_=postgresql.ARRAY(sa.Numeric()))), postgresql.ARRAY(sa.Numeric()))
            return [only(sa.func.sum, weights[bucket + 1])]
        cuts = [x < _float(e) for e in edges[:-1]] + [x <= _float(edges[-1])]
        return [self.sql.count_where(sa.and_(cut, *_keep(x, self.finite_only)))
                for cut in cuts]

    def decode(self, values: Sequence[Any], rows: int) -> NumericTotals:
        """Turn this column's slice of the result row into totals."""
        n, lo, hi, s1, s2, invalid = values[:6]
        n, invalid = int(n or 0), int(invalid or 0)
        rest = list(values[6:])
        posinf = neginf = 0
        if self.finite_only:
            posinf, neginf = (int(v or 0) for v in rest[:2])
            rest = rest[2:]
        counts = self._counts(rest, n)
        suspect = not self.finite_only and not self.plan.integral and n > 0 and not (
            _finite(lo) and _finite(hi))
        mean = m2 = 0.0
        if n and self.native:
            mean, m2 = float(s1), max(float(s2) * n, 0.0)
        elif n:
            s1, s2 = float(s1 or 0.0), float(s2 or 0.0)
            mean = self.shift + s1 / n
            m2 = max(s2 - s1 * s1 / n, 0.0)
        nonfinite = posinf + neginf
        return NumericTotals(
            count=n, missing=rows - n - nonfinite - invalid, invalid=invalid,
            nonfinite=nonfinite, minimum=None if n == 0 else float(lo),
            maximum=None if n == 0 else float(hi), mean=mean, m2=m2, counts=counts,
            suspect=suspect,
        )

    def _counts(self, rest: list[Any], n: int) -> np.ndarray:
        edges = len(self.plan.reference.edges)
        if not edges:
            return np.zeros(0, dtype=np.int64)
        if self.packed:
            packed = int(rest[0] or 0)
            counts = []
            for _ in range(edges + 1):
                packed, field = divmod(packed, _FIELD)
                counts.append(field)
            return np.array(counts, dtype=np.int64)
        cumulative = [int(v or 0) for v in rest[:edges]] + [n]
        return np.diff(np.array(cumulative, dtype=np.int64), prepend=0)


class CategoryAggregate:
    """Counts of a categorical column: one filtered count per reference category, and the total.

    When the values do not all fall in the reference's categories (or there
    are too many of them, or the column holds floats) the caller groups the
    column by value instead (``needs_grouping``).
    """

    def __init__(self, plan: CategoryPlan, dialect: str) -> None:
        self.plan = plan
        self.filtered = plan.typed != "float" and len(plan.pinned) <= MAX_FILTERED_CATEGORIES
        self.values = [_typed_value(name, plan.typed) for name in plan.pinned] \
            if self.filtered else []
        sql = of(dialect)
        column = plan.column
        key = category_key(column, plan.typed, dialect)
        self.exprs: list[Any] = [sa.func.count(column)]
        self.exprs += [sql.count_where(key == sa.literal(value, column.type))
                       for value in self.values if value is not None]

    def decode(self, values: Sequence[Any]) -> tuple[int, dict[str, int] | None]:
        """The non-null count, and the category counts (None when grouping is needed)."""
        total = int(values[0] or 0)
        if not self.filtered:
            return total, None
        found = iter(values[1:])
        counts = {name: int(next(found) or 0) for name, value in
                  zip(self.plan.pinned, self.values, strict=True) if value is not None}
        counts = {k: v for k, v in counts.items() if v}
        return total, counts if sum(counts.values()) == total else None


class BooleanAggregate:
    """Counts of true and false values; any other value is invalid."""

    def __init__(self, plan: BooleanPlan, dialect: str) -> None:
        self.plan = plan
        sql = of(dialect)
        column = plan.column
        if plan.integer:
            true, false = column == 1, column == 0
        else:
            true, false = column.is_(sa.true()), column.is_(sa.false())
        self.exprs: list[Any] = [sa.func.count(column), sql.count_where(true),
                                 sql.count_where(false)]

    def decode(self, values: Sequence[Any], rows: int, top_k: int) -> ColumnProfile:
        """The boolean column profile."""
        total, trues, falses = (int(v or 0) for v in values)
        counts = {k: v for k, v in (("False", falses), ("True", trues)) if v}
        return category_profile(BOOLEAN, counts, self.plan.pinned, top_k, missing=rows - total,
                                invalid=total - trues - falses)


def category_profile(
    kind: str, counts: dict[str, int], pinned: Sequence[str], top_k: int, *, missing: int,
    invalid: int = 0, other: int = 0,
) -> ColumnProfile:
    """A categorical or boolean column profile, truncated as ``ProfileBuilder`` does."""
    limit = top_k + len(set(pinned))
    kept, moved = truncate_categories(counts, limit, frozenset(pinned))
    summary = CategoricalSummary(kept, other + moved, limit)
    count = sum(counts.values()) + other
    return ColumnProfile(kind, count, missing, invalid,  # type: ignore[arg-type]
                         categorical=summary)


def category_key(column: sa.ColumnElement[Any], typed: str,
                 dialect: str) -> sa.ColumnElement[Any]:
    """What a categorical column is compared and grouped by: text by its characters where
    the database's equality ignores case or trailing spaces."""
    sql = of(dialect)
    return sql.exact(column, "text") if typed == "text" and sql.folds_text else column


def name_of(value: Any) -> str | None:
    """A grouped value's category name as pandas would read it; None for NaN (missing)."""
    if isinstance(value, bytes):  # text compared as bytes
        value = value.decode("utf-8", "replace")
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return category_name(value)


def _typed_value(name: str, typed: str) -> object | None:
    """The SQL value whose category name is ``name``, or None when the type cannot hold it."""
    if typed == "text":
        return name
    if typed == "boolean":
        return {"True": True, "False": False}.get(name)
    try:
        number = int(name)
    except ValueError:
        return None
    return number if str(number) == name else None


def _keep(x: sa.ColumnElement[float], finite_only: bool) -> list[sa.ColumnElement[bool]]:
    return [x > _float(-_INF), x < _float(_INF)] if finite_only else []


def _float(value: float) -> sa.BindParameter[float]:
    return sa.literal(value, sa.Double())


def _finite(value: Any) -> bool:
    return value is not None and math.isfinite(float(value))


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.flags.writeable = False
    return array
