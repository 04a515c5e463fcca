"""Data-quality checks of a table window computed by the database: the rows never leave it.

``check_table`` gives the results ``CheckAccumulator`` (``monitor.checks.local``)
gives on the window's pulled rows: the same checks in the same order, equal
counts, shares and verdicts, statistics equal to float precision; samples
are failing values too, though maybe other ones. Queries, values bound:

1. one ``SELECT`` over the window of every row check's failing count
   (``SUM(CASE WHEN <fails> THEN 1 ELSE 0 END)``), the present count of each
   column, ``AVG`` and ``STDDEV_SAMP`` for the statistics: aggregates
   PostgreSQL computes in parallel;
2. one ``SELECT`` of those that sort: ``COUNT(DISTINCT)`` for ``unique``
   (failing: present minus distinct values), ``percentile_cont``;
3. per ``duplicates`` check, ``SUM(n - 1) OVER ()`` over the repeated groups,
   with the first ten groups as samples;
4. where SQL lacks a piece: the spread on SQLite (a second pass around the
   mean), the quantile on MariaDB (a window function);
5. per failing check, its first failing values (when kept): ten distinct
   ones among at most a hundred rows read;
6. the checks the database cannot compute as Python reads the values
   (``Unpushable``: numbers kept as text, a regular expression the database
   reads otherwise, no percentile function), fed by their columns' rows to
   a ``CheckAccumulator``; their results say "computed locally: ...".

An empty window gives what the local engine gives on no rows, without reading.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from monitor.checks.local import CheckAccumulator
from monitor.checks.plan import (
    STATISTIC_KINDS,
    CheckPlan,
    ColumnCheck,
    ConditionCheck,
    DuplicateCheck,
    QualityResult,
)
from monitor.checks.results import schema_results
from monitor.checks.rows import condition_columns
from monitor.sources.pushdown import dialect, measures
from monitor.sources.pushdown.conditions import failing_condition
from monitor.sources.pushdown.dialect import Unpushable
from monitor.sources.pushdown.measures import Aggregates, Part, Window
from monitor.sources.pushdown.predicates import ColumnSql, column_sql, failing_values

__all__ = ["check_table"]

Check = ColumnCheck | ConditionCheck | DuplicateCheck


def check_table(
    conn: sa.Connection,
    table: sa.Table,
    timestamp: sa.Column[Any],
    start: datetime,
    end: datetime,
    plan: CheckPlan,
    kinds: Mapping[str, str],
    *,
    chunk_size: int = 50_000,
) -> list[QualityResult]:
    """The results of ``plan``'s checks (all but its ``sql`` ones) over the rows of ``table``
    with ``start <= timestamp < end``; ``start`` and ``end`` are bound as given.

    Raises ProfileError where the local engine would (a bad regular expression
    or bound, a condition comparing text with a number).
    """
    CheckAccumulator(plan, kinds)  # refuses a plan as the local engine does
    where = sa.and_(timestamp >= sa.bindparam("start"), timestamp < sa.bindparam("end"))
    window = Window(conn, table, where, {"start": start, "end": end})
    aggregates = Aggregates()
    parts = _Planner(window, plan, kinds, aggregates).parts()
    aggregates.run(window)
    if aggregates.count(aggregates.rows) == 0:
        return CheckAccumulator(plan, kinds).results()
    measures.prefetch_samples([p for p in parts if isinstance(p, Part)], aggregates, window)
    local = iter(_local_results(window, plan, kinds, parts, chunk_size))
    results: list[QualityResult] = []
    for part in parts:
        if isinstance(part, Part):
            results.append(part.result(aggregates, window))
        else:
            result = next(local)
            if result.note is None:
                result = replace(result, note=f"computed locally: {part.reason}")
            results.append(result)
    if plan.schema is not None:
        results += schema_results(plan, [str(c.name) for c in table.columns])
    return results


@dataclass(frozen=True, slots=True)
class _Local:
    """A check computed from pulled rows, and why."""

    check: Check
    reason: str
    columns: frozenset[str] = field(default_factory=frozenset)


class _Planner:
    """Each check as SQL parts, or as a ``_Local`` one."""

    def __init__(self, window: Window, plan: CheckPlan, kinds: Mapping[str, str],
                 aggregates: Aggregates) -> None:
        self.window, self.plan, self.kinds, self.aggregates = window, plan, kinds, aggregates
        self.dialect = window.conn.dialect
        self._columns: dict[str, ColumnSql] = {}

    def parts(self) -> list[Part | _Local]:
        found: list[Part | _Local] = []
        checks: list[Check] = [*self.plan.columns, *self.plan.conditions,
                               *self.plan.duplicates]
        for check in checks:
            try:
                found.append(self.part(check))
            except Unpushable as why:
                found.append(_Local(check, str(why), _reads(check)))
        return found

    def part(self, check: Check) -> Part:
        absent = [name for name in _reads(check) if name not in self.window.table.c]
        if absent:
            raise Unpushable(f"column '{absent[0]}' is not in the table")
        if isinstance(check, ConditionCheck):
            failing = failing_condition(check.expression, self.column, self.dialect.name)
            names = condition_columns(check.expression)
            keep = self.plan.samples and not set(names) & self.plan.sensitive
            shown: list[tuple[str, sa.ColumnElement[Any]]] = []
            if keep:
                shown = [(name, self.window.table.c[name]) for name in names]
            return measures.RowPart(self.aggregates, "condition", None, check.name,
                                    check.tolerance, failing, None, shown)
        if isinstance(check, DuplicateCheck):
            keep = self.plan.samples and not set(check.columns) & self.plan.sensitive
            return measures.DuplicatePart(check, [self.column(n) for n in check.columns], keep)
        col = self.column(check.column)
        if check.kind in STATISTIC_KINDS:
            return measures.statistic_part(self.aggregates, check, col)
        keep = self.plan.keeps_samples(check.column) and check.kind != "missing"
        if check.kind == "unique":
            return measures.UniquePart(self.aggregates, check, col, keep)
        shown = [(col.name, col.column)] if keep else []
        if check.kind == "missing":
            return measures.RowPart(self.aggregates, "missing", check.column, None,
                                    check.tolerance, col.missing, None, [])
        failing = failing_values(check, col)
        if check.kind in ("pattern", "format"):
            dialect.validate(self.window.conn, check.regex or "")
        return measures.RowPart(self.aggregates, check.kind, check.column, None,
                                check.tolerance, failing, col.present_count, shown,
                                costly=check.kind in ("pattern", "format"))

    def column(self, name: str) -> ColumnSql:
        found = self._columns.get(name)
        if found is None:
            found = column_sql(self.window.table.c[name], self.plan, self.kinds, self.dialect)
            self._columns[name] = found
        return found


def _reads(check: Check) -> frozenset[str]:
    if isinstance(check, ConditionCheck):
        return check.expression.columns()
    if isinstance(check, DuplicateCheck):
        return frozenset(check.columns)
    return frozenset({check.column})


def _local_results(
    window: Window, plan: CheckPlan, kinds: Mapping[str, str], parts: Sequence[Part | _Local],
    chunk_size: int,
) -> list[QualityResult]:
    """The ``_Local`` parts' results, in their order, from their columns' rows."""
    local = [part for part in parts if isinstance(part, _Local)]
    if not local:
        return []
    sub = CheckPlan(
        columns=tuple(p.check for p in local if isinstance(p.check, ColumnCheck)),
        conditions=tuple(p.check for p in local if isinstance(p.check, ConditionCheck)),
        duplicates=tuple(p.check for p in local if isinstance(p.check, DuplicateCheck)),
        missing_values=plan.missing_values, sensitive=plan.sensitive, samples=plan.samples)
    accumulator = CheckAccumulator(sub, kinds)
    table = window.table
    names = [str(c.name) for c in table.columns
             if any(str(c.name) in p.columns for p in local)]
    if not names:  # only absent columns: one chunk without rows says which
        accumulator.update(pd.DataFrame({str(c.name): [] for c in table.columns}))
    for chunk in _chunks(window, names, chunk_size):
        accumulator.update(chunk)
    return accumulator.results()


def _chunks(window: Window, names: Sequence[str], chunk_size: int) -> Iterator[pd.DataFrame]:
    """The window's rows of ``names``, as ``SqlSource.read`` makes its chunks."""
    if not names:
        return
    statement = (sa.select(*(window.table.c[n] for n in names)).select_from(window.table)
                 .where(window.where))
    streamed = window.conn.execution_options(stream_results=True, max_row_buffer=chunk_size)
    result = streamed.execute(statement, window.params)
    for rows in result.partitions(chunk_size):
        frame = pd.DataFrame.from_records(rows, columns=list(names), coerce_float=True)
        if len(frame):
            yield frame
