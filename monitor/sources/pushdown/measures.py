"""The SQL parts of pushed-down checks: the aggregates each asks of the window
(``Aggregates``), the queries some need besides, and the ``QualityResult`` each makes.

Results are built as the local engine builds them (``monitor.checks.local``):
a row check's value is its failing share of the rows it considers (0 when
none), its threshold the tolerance's limit; a statistic is measured over
the finite present numbers (NaN and a note when there are none, or fewer
than two for a spread, and then it fails). Samples are rendered by
``monitor.checks.values.render``, several columns as ``name=value`` pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa

from monitor.checks.plan import (
    MAX_SAMPLES,
    ColumnCheck,
    DuplicateCheck,
    QualityResult,
    Tolerance,
)
from monitor.checks.results import row_result
from monitor.checks.values import render
from monitor.sources.pushdown import dialect as sql
from monitor.sources.pushdown.dialect import Unpushable
from monitor.sources.pushdown.dialects import of
from monitor.sources.pushdown.predicates import ColumnSql, value_key

__all__ = ["FREQUENT", "Aggregates", "DuplicatePart", "Part", "RowPart", "UniquePart", "Window",
           "count_of", "prefetch_samples", "statistic_part"]

_INF = float("inf")
_SCAN = 100  # failing rows read for samples, at most, per check
_PREFETCH = 20_000  # failing rows one shared scan reads for the samples of rare failures
FREQUENT = 0.01
"""A check failing on this share of its rows or more finds samples in the first rows read."""
Shown = Sequence[tuple[str, sa.ColumnElement[Any]]]


class Window:
    """The window's rows: where they are and how to select them."""

    def __init__(self, conn: sa.Connection, table: sa.Table, where: sa.ColumnElement[bool],
                 params: dict[str, Any]) -> None:
        self.conn, self.table, self.where, self.params = conn, table, where, params
        self.dialect = conn.dialect

    def one(self, exprs: Sequence[Any]) -> Sequence[Any]:
        """The one row of aggregates ``exprs`` over the window."""
        statement = sa.select(*exprs).select_from(self.table).where(self.where)
        return tuple(self.conn.execute(statement, self.params).one())

    def rows(self, statement: sa.Select[Any]) -> Sequence[Any]:
        return self.conn.execute(statement, self.params).all()

    def samples(self, shown: Shown, *conditions: sa.ColumnElement[bool],
                pairs: bool = False) -> tuple[str, ...]:
        """Up to ten distinct renderings of ``shown`` columns on the rows meeting
        ``conditions`` (as ``name=value`` pairs with ``pairs``), among the first rows found:
        no ``DISTINCT``, so the scan stops early."""
        statement = (sa.select(*(expr for _, expr in shown)).select_from(self.table)
                     .where(self.where, *conditions).limit(_SCAN))
        return _rendered(self.rows(statement), shown, pairs)


class Aggregates:
    """The aggregates of the window, each asked once, in two ``SELECT``s.

    The first holds those a database can compute in parallel (sums, counts,
    means, spreads); the second the ones that sort (``COUNT(DISTINCT)``,
    ``percentile_cont``), which would keep the first from running in
    parallel on PostgreSQL.
    """

    def __init__(self) -> None:
        self._exprs: tuple[list[Any], list[Any]] = ([], [])
        self._at: dict[int, tuple[int, int]] = {}
        self._values: tuple[Sequence[Any], Sequence[Any]] = ((), ())
        self.rows = self.add(sa.func.count())

    def add(self, expr: Any, *, sorts: bool = False) -> int:
        """Ask for ``expr``; the handle reads its value with ``value``."""
        if id(expr) not in self._at:
            query = int(sorts)
            self._at[id(expr)] = (query, len(self._exprs[query]))
            self._exprs[query].append(expr)
        return id(expr)

    def run(self, window: Window) -> None:
        """Run the queries (the second only when something needs it)."""
        first, second = self._exprs
        values = window.one(first)
        self._values = (values, window.one(second) if second else ())

    def value(self, handle: int) -> Any:
        query, position = self._at[handle]
        return self._values[query][position]

    def count(self, handle: int) -> int:
        return int(self.value(handle) or 0)


class Part:
    """A check computed from the window's aggregates and maybe a query of its own."""

    def result(self, found: Aggregates, window: Window) -> QualityResult:
        """The result, once the aggregates are in."""
        raise NotImplementedError


class RowPart(Part):
    """A row check: rows where ``failing`` holds, out of those ``considered`` counts (all rows
    when None); samples show the ``shown`` columns of failing rows (as ``name=value``
    pairs for a condition).

    Where failing rows are frequent (``FREQUENT``), a query of its own finds samples in the
    first rows it reads. Where they are rare, finding them means a scan: those of cheap
    checks share one (``prefetch_samples``); a ``costly`` check (a regular expression,
    which the database would evaluate on every row again, at a few seconds a million rows)
    shows none and says so.
    """

    def __init__(self, aggregates: Aggregates, check: str, column: str | None,
                 name: str | None, tolerance: Tolerance, failing: sa.ColumnElement[bool],
                 considered: sa.ColumnElement[int] | None, shown: Shown, *,
                 costly: bool = False) -> None:
        self.check, self.column, self.name, self.tolerance = check, column, name, tolerance
        self.failing, self.shown, self.costly = failing, shown, costly
        self.failing_count = aggregates.add(count_of(failing))
        self.considered = aggregates.rows if considered is None else aggregates.add(considered)
        self.prefetched: tuple[str, ...] | None = None

    def rare(self, found: Aggregates) -> bool:
        """Whether it failed on a few rows only (and its samples need a scan)."""
        failing, considered = found.count(self.failing_count), found.count(self.considered)
        return 0 < failing < FREQUENT * max(considered, 1)

    def result(self, found: Aggregates, window: Window) -> QualityResult:
        failing, considered = found.count(self.failing_count), found.count(self.considered)
        samples: tuple[str, ...] = ()
        note = None
        if failing and self.shown:
            if self.prefetched is not None:
                samples = self.prefetched
            elif self.costly and self.rare(found):
                note = ("no failing values shown: finding so few among the rows would mean "
                        "a second pass of the regular expression over every row")
            else:
                samples = window.samples(self.shown, self.failing, pairs=self.name is not None)
        result = row_result(self.check, self.column, failing, considered, self.tolerance,
                            samples, self.name)
        return result if note is None else replace(result, note=note)


def prefetch_samples(parts: Sequence[Part], found: Aggregates, window: Window) -> None:
    """Samples of every cheap row check that failed on few rows, from one scan that reads
    only failing rows and stops once each has its samples (or after ``_PREFETCH`` rows)."""
    wanted = [p for p in parts if isinstance(p, RowPart) and p.shown and not p.costly
              and p.rare(found)]
    if not wanted:
        return
    shown: dict[str, sa.ColumnElement[Any]] = {}
    for part in wanted:
        shown.update(part.shown)
    names = list(shown)
    flags = [sa.case((part.failing, 1), else_=0) for part in wanted]
    statement = (sa.select(*shown.values(), *flags).select_from(window.table)
                 .where(window.where, sa.or_(*(part.failing for part in wanted)))
                 .limit(_PREFETCH))
    rows: list[list[Any]] = [[] for _ in wanted]
    for row in window.rows(statement):
        values = dict(zip(names, row[:len(names)], strict=True))
        for i, part in enumerate(wanted):
            if row[len(names) + i] and len(rows[i]) < _SCAN:
                rows[i].append(tuple(values[name] for name, _ in part.shown))
    for part, found_rows in zip(wanted, rows, strict=True):
        part.prefetched = _rendered(found_rows, part.shown, part.name is not None)


class UniquePart(Part):
    """Present values beyond the first of each repeated value: the present count minus
    ``COUNT(DISTINCT)``; samples are repeated values."""

    def __init__(self, aggregates: Aggregates, check: ColumnCheck, col: ColumnSql,
                 keep: bool) -> None:
        self.check, self.col, self.keep = check, col, keep
        self.key = value_key(col)  # Unpushable when it cannot
        self.distinct = aggregates.add(
            sa.func.count(sa.distinct(sa.case((col.present, self.key)))), sorts=True)
        self.present = aggregates.add(col.present_count)

    def result(self, found: Aggregates, window: Window) -> QualityResult:
        considered = found.count(self.present)
        failing = considered - found.count(self.distinct)
        samples: tuple[str, ...] = ()
        if failing and self.keep:
            repeated = (sa.select(self.key).select_from(window.table)
                        .where(window.where, self.col.present).group_by(self.key)
                        .having(sa.func.count() > 1).limit(MAX_SAMPLES))
            samples = _rendered(window.rows(repeated), [(self.col.name, self.key)], False)
        return row_result("unique", self.check.column, failing, considered,
                          self.check.tolerance, samples)


class DuplicatePart(Part):
    """Rows beyond the first of each repeated combination (missing values group together):
    ``SUM(n - 1)`` over ``GROUP BY`` the columns ``HAVING COUNT(*) > 1``, with the first
    repeated combinations in the same query."""

    def __init__(self, check: DuplicateCheck, cols: Sequence[ColumnSql], keep: bool) -> None:
        self.keys = [sa.case((col.present, value_key(col))).label(f"k{i}")
                     for i, col in enumerate(cols)]
        self.check, self.cols, self.keep = check, cols, keep

    def result(self, found: Aggregates, window: Window) -> QualityResult:
        groups = (sa.select(*self.keys, sa.func.count().label("n")).select_from(window.table)
                  .where(window.where).group_by(*self.keys).having(sa.func.count() > 1)
                  .subquery("g"))
        total = sa.func.sum(groups.c.n - 1).over()
        keys = [groups.c[key.name] for key in self.keys]
        rows = window.rows(sa.select(*keys, total).limit(MAX_SAMPLES))
        failing = int(rows[0][-1] or 0) if rows else 0
        samples: tuple[str, ...] = ()
        if failing and self.keep:
            shown = [(col.name, key) for col, key in zip(self.cols, keys, strict=True)]
            samples = _rendered([row[:-1] for row in rows], shown, pairs=True)
        return row_result("duplicates", None, failing, found.count(found.rows),
                          self.check.tolerance, samples, self.check.name)


class _StatisticPart(Part):
    """``mean``, ``stddev`` or ``quantile`` of the finite present numbers."""

    def __init__(self, aggregates: Aggregates, check: ColumnCheck, col: ColumnSql) -> None:
        self.check, self.col = check, col
        dialect = col.dialect
        finite = [col.present]
        if col.wrong is not None:
            finite.append(sa.not_(col.wrong))
        if col.family == "float" and of(dialect).keeps_infinity:
            finite += [col.value > sa.literal(-_INF, sa.Double()),
                       col.value < sa.literal(_INF, sa.Double())]
        self.x = sa.case((sa.and_(*finite), sql.as_double(col.value, dialect.name)))
        # The measure is NULL where the count falls short, but for a spread without
        # stddev_samp (a second pass) and a windowed quantile (a query of its own).
        self.sqlite_spread = sqlite_spread = (check.kind == "stddev"
                                              and of(dialect).two_pass_spread)
        windowed = check.kind == "quantile" and sql.percentile_kind(dialect) == "window"
        self.count: int | None = None
        if sqlite_spread or windowed:
            self.count = aggregates.add(sa.func.count(self.x))
        self.measure: int | None = None
        if check.kind == "mean" or sqlite_spread:
            self.measure = aggregates.add(sa.func.avg(self.x))
        elif check.kind == "stddev":
            self.measure = aggregates.add(sa.func.stddev_samp(self.x))
        elif sql.percentile_kind(dialect) == "aggregate":
            self.measure = aggregates.add(
                sa.func.percentile_cont(self._q()).within_group(self.x), sorts=True)

    def _q(self) -> sa.BindParameter[float]:
        q = self.check.quantile
        return sa.literal(0.5 if q is None else float(q), sa.Double())

    def result(self, found: Aggregates, window: Window) -> QualityResult:
        check = self.check
        value = self._measure(found, window)
        note = None
        if math.isnan(value) and check.kind == "stddev":
            note = "no standard deviation: fewer than two numbers"
        elif math.isnan(value):
            note = f"no {check.kind}: no numbers in the window"
        low, high = (None if b is None else float(b) for b in (check.minimum, check.maximum))
        passed = note is None and (low is None or value >= low) and (high is None or value <= high)
        return QualityResult(check=check.kind, column=check.column, value=value, threshold=None,
                             passed=passed, bounds=(check.minimum, check.maximum), note=note)

    def _measure(self, found: Aggregates, window: Window) -> float:
        """The statistic; NaN when there are too few numbers."""
        count = None if self.count is None else found.count(self.count)
        if count is not None and count < (2 if self.check.kind == "stddev" else 1):
            return math.nan
        if self.measure is None:  # a window function (MariaDB)
            ordered = sa.func.percentile_cont(self._q()).within_group(self.x).over()
            statement = (sa.select(ordered).select_from(window.table)
                         .where(window.where, self.x.is_not(None)).limit(1))
            return float(window.rows(statement)[0][0])
        measured = found.value(self.measure)
        if measured is None:
            return math.nan
        if not self.sqlite_spread or count is None:
            return float(measured)
        mean: sa.ColumnElement[float] = sa.literal(float(measured), sa.Double())
        m2 = window.one([sa.func.sum((self.x - mean) * (self.x - mean))])[0]  # a second pass
        return math.sqrt(max(float(m2 or 0.0), 0.0) / (count - 1))


def statistic_part(aggregates: Aggregates, check: ColumnCheck, col: ColumnSql) -> Part:
    """The part of a statistic check, or ``Unpushable`` when SQL cannot measure it."""
    if col.family not in ("integer", "float"):
        raise Unpushable(f"numbers held as {col.column.type}")
    if check.kind == "quantile" and sql.percentile_kind(col.dialect) is None:
        raise Unpushable(f"{col.dialect.name} has no percentile function")
    return _StatisticPart(aggregates, check, col)


def count_of(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """The rows where ``condition`` holds (``SUM(CASE ..)``: every database has it)."""
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _rendered(rows: Sequence[Any], shown: Shown, pairs: bool) -> tuple[str, ...]:
    names = [name for name, _ in shown]
    found: dict[str, None] = {}
    for row in rows:
        if not pairs:
            text = render(_plain(row[0]))
        else:
            text = ", ".join(f"{n}={render(_plain(v))}" for n, v in zip(names, row, strict=True))
        found[text] = None
        if len(found) == MAX_SAMPLES:
            break
    return tuple(found)


def _plain(value: Any) -> Any:
    """A value as pandas holds it once pulled: decimals as floats, times as UTC timestamps,
    text MariaDB compared as bytes as text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, datetime):
        stamp = pd.Timestamp(value)
        return stamp if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return value
