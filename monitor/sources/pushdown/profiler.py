"""Profile one window of a table inside the database: the rows never leave it.

``profile_table`` returns the ``Profile`` that ``ProfileBuilder(reference=...)``
builds from the pulled rows of the window: the same columns, counts,
missing and invalid values, min/max, histogram counts and category counts,
mean and variance equal to float precision. Only the per-column samples
(and the joint sample) differ once a window holds more values than the
sample size: the first are read off the fine histogram, the joint sample is
drawn by the database (``monitor.sources.pushdown.sample``).

Queries, all bound parameters, all in one snapshot (the caller opens a
REPEATABLE READ transaction on PostgreSQL):

1. one ``SELECT`` of every aggregate of every pushed-down column;
2. again for columns holding infinities or NaN, filtered to finite values;
3. a ``GROUP BY`` for each categorical column with values outside the
   reference's categories (or too many categories to count one by one);
4. the fine histograms of the numeric columns (``monitor.sources.pushdown.fine``);
5. one random sample of rows for the columns whose window is small enough to
   sample whole, and for the joint sample; a column sample for columns with
   many nulls. A larger column's sample is read off its fine histogram
   (``quantile_sample``), so the same window always gives the same profile;
6. the pulled columns (see ``monitor.sources.pushdown.plan``), streamed in
   chunks into a ``ProfileBuilder``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from monitor.errors import ProfileError
from monitor.profiles import (
    CATEGORICAL,
    NUMERIC,
    ColumnProfile,
    JointSample,
    Profile,
    ProfileBuilder,
)
from monitor.profiles.fine import quantile_sample
from monitor.profiles.readers import read_numbers
from monitor.profiles.summaries import truncate_categories
from monitor.sources.base import ProfileRequest
from monitor.sources.pushdown.aggregates import (
    PACKED_ROWS_LIMIT,
    BooleanAggregate,
    CategoryAggregate,
    NumericAggregate,
    NumericTotals,
    category_key,
    category_profile,
    name_of,
)
from monitor.sources.pushdown.dialects import of
from monitor.sources.pushdown.fine import count_fine
from monitor.sources.pushdown.plan import (
    BooleanPlan,
    CategoryPlan,
    NumericPlan,
    Plan,
    plan_columns,
)
from monitor.sources.pushdown.sample import column_sample, row_sample

__all__ = ["profile_table"]

_OVERSAMPLE = 4  # at most this many sample sizes of rows are drawn to cover sparse columns


def profile_table(
    conn: sa.Connection,
    table: sa.Table,
    timestamp: sa.Column[Any],
    start: datetime,
    end: datetime,
    request: ProfileRequest,
    *,
    chunk_size: int = 50_000,
) -> Profile:
    """The profile of the rows of ``table`` with ``start <= timestamp < end``.

    ``start`` and ``end`` are bound as given (naive for SQLite).
    """
    plan = plan_columns(table, request.reference, request.exclude,
                        joint=request.joint_sample_size > 0)
    where = sa.and_(timestamp >= sa.bindparam("start"), timestamp < sa.bindparam("end"))
    window = _Window(conn, table, where, {"start": start, "end": end}, timestamp)
    rows, parts = _aggregate(window, plan, request)
    if rows == 0:
        return Profile(0, {}, ())
    numeric = {p.name: parts[p.name] for p in plan.numeric}
    fine = _fine(window, plan, numeric)
    samples, joint = _samples(window, plan, numeric, rows, request, fine)
    columns: dict[str, ColumnProfile] = {}
    for column in plan.columns:
        part = parts[column.name]
        if isinstance(part, NumericTotals):
            assert isinstance(column, NumericPlan)
            part = part.profile(column, samples[column.name], request.sample_size,
                                fine.get(column.name))
        columns[column.name] = part
    columns.update(_pulled(window, plan.pulled, request, chunk_size))
    order = {name: i for i, name in enumerate(request.reference.columns)}
    ordered = {name: columns[name] for name in sorted(columns, key=order.__getitem__)}
    return Profile(rows, ordered, plan.extra, joint)


class _Window:
    """The window's rows: where they are and how to select them."""

    def __init__(self, conn: sa.Connection, table: sa.Table, where: sa.ColumnElement[bool],
                 params: dict[str, Any], timestamp: sa.Column[Any]) -> None:
        self.conn, self.table, self.where, self.params = conn, table, where, params
        self.timestamp = timestamp
        self.dialect = conn.dialect.name

    def one(self, exprs: Sequence[Any]) -> Sequence[Any]:
        """The one row of aggregates ``exprs`` over the window."""
        statement = sa.select(*exprs).select_from(self.table).where(self.where)
        return tuple(self.conn.execute(statement, self.params).one())


def _aggregate(
    window: _Window, plan: Plan, request: ProfileRequest
) -> tuple[int, dict[str, NumericTotals | ColumnProfile]]:
    """Queries 1–3: every column's aggregates, decoded."""
    dialect = window.dialect
    numeric = [NumericAggregate(p, dialect, finite_only=False, packed=True) for p in plan.numeric]
    others = [CategoryAggregate(p, dialect) if isinstance(p, CategoryPlan)
              else BooleanAggregate(p, dialect)
              for p in plan.columns if isinstance(p, CategoryPlan | BooleanPlan)]
    parts = [*numeric, *others]
    values = window.one([sa.func.count(), *(e for a in parts for e in a.exprs)])
    rows = int(values[0])
    if rows >= PACKED_ROWS_LIMIT and of(dialect).packed_histogram:
        numeric = [NumericAggregate(p, dialect, finite_only=False, packed=False)
                   for p in plan.numeric]
        values = window.one([sa.func.count(), *(e for a in [*numeric, *others] for e in a.exprs)])
    decoded: dict[str, NumericTotals | ColumnProfile] = {}
    position = 1
    for aggregate in [*numeric, *others]:
        part = values[position:position + len(aggregate.exprs)]
        position += len(aggregate.exprs)
        if isinstance(aggregate, NumericAggregate):
            decoded[aggregate.plan.name] = aggregate.decode(part, rows)
        elif isinstance(aggregate, BooleanAggregate):
            decoded[aggregate.plan.name] = aggregate.decode(part, rows, request.top_k)
        else:
            decoded[aggregate.plan.name] = _categories(window, aggregate, part, rows, request)
    _refine(window, plan, decoded, rows)
    _check_histograms(plan, decoded)
    return rows, decoded


def _refine(window: _Window, plan: Plan, decoded: dict[str, Any], rows: int) -> None:
    """Query 2: aggregate again, on finite values only, the columns holding inf or NaN."""
    suspects = [p for p in plan.numeric if decoded[p.name].suspect]
    if not suspects:
        return
    again = [NumericAggregate(p, window.dialect, finite_only=True,
                              packed=rows < PACKED_ROWS_LIMIT) for p in suspects]
    values = window.one([e for a in again for e in a.exprs])
    position = 0
    for aggregate in again:
        part = values[position:position + len(aggregate.exprs)]
        position += len(aggregate.exprs)
        decoded[aggregate.plan.name] = aggregate.decode(part, rows)


def _fine(window: _Window, plan: Plan, totals: dict[str, Any]) -> dict[str, np.ndarray]:
    """Query 4: the fine histograms, checked against the counts of query 1."""
    fine = count_fine(window.conn, window.table, window.where, window.params, plan.numeric)
    for name, counts in fine.items():
        if int(counts.sum()) != totals[name].count:
            raise ProfileError(f"column {name!r}: fine histogram counts computed in the "
                               f"database add up to {int(counts.sum())}, not "
                               f"{totals[name].count}; the table changed while it was read")
    return fine


def _check_histograms(plan: Plan, decoded: dict[str, Any]) -> None:
    for p in plan.numeric:
        totals = decoded[p.name]
        if len(totals.counts) and int(totals.counts.sum()) != totals.count:
            raise ProfileError(f"column {p.name!r}: histogram counts computed in the database "
                               f"add up to {int(totals.counts.sum())}, not {totals.count}")


def _categories(
    window: _Window, aggregate: CategoryAggregate, values: Sequence[Any], rows: int,
    request: ProfileRequest,
) -> ColumnProfile:
    """A categorical column from its filtered counts, or grouped by value (query 3)."""
    plan = aggregate.plan
    total, counts = aggregate.decode(values)
    if counts is not None:
        return category_profile(CATEGORICAL, counts, plan.pinned, request.top_k,
                                missing=rows - total)
    limit = request.top_k + len(set(plan.pinned))
    grouped: dict[str, int] = {}
    other = 0
    key = category_key(plan.column, plan.typed, window.dialect)
    statement = (sa.select(key, sa.func.count()).select_from(window.table)
                 .where(window.where, plan.column.is_not(None)).group_by(key))
    streamed = window.conn.execution_options(stream_results=True, max_row_buffer=10_000)
    for value, count in streamed.execute(statement, window.params):
        name = name_of(value)
        if name is None:
            continue
        grouped[name] = grouped.get(name, 0) + int(count)
        if len(grouped) > 2 * limit:  # bounded, trimmed as ProfileBuilder trims
            grouped, moved = truncate_categories(grouped, limit, frozenset(plan.pinned))
            other += moved
    seen = sum(grouped.values()) + other
    return category_profile(CATEGORICAL, grouped, plan.pinned, request.top_k,
                            missing=rows - seen, other=other)


def _samples(
    window: _Window, plan: Plan, totals: dict[str, NumericTotals | ColumnProfile], rows: int,
    request: ProfileRequest, fine: dict[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], JointSample | None]:
    """Query 5: the per-column samples of finite values (sorted) and the joint sample.

    ``totals`` gives each numeric column's count of finite values.
    """
    size = request.sample_size
    wanted = {p.name: min(size, totals[p.name].count) for p in plan.numeric}
    read_off = {p.name: _read_off(p, totals[p.name], fine[p.name], size) for p in plan.numeric
                if p.name in fine and totals[p.name].count > size}
    sampled = [p for p in plan.numeric if wanted[p.name] > 0 and p.name not in read_off]
    joint_size = min(request.joint_sample_size, rows) if plan.joint is not None else 0
    draw = joint_size
    if sampled:
        sparsest = min(totals[p.name].count for p in sampled)
        draw = max(draw, min(rows, size * _OVERSAMPLE,
                             math.ceil(size * rows / sparsest * 1.1) + 16))
    values: dict[str, sa.ColumnElement[Any]] = {p.name: p.value(window.dialect)
                                                for p in plan.numeric}
    for name in plan.joint or ():  # pulled joint columns: raw values, read as pandas reads them
        if name in plan.pulled:
            values[name] = window.table.c[name]
    names = list(dict.fromkeys([p.name for p in sampled]
                               + [n for n in plan.joint or () if n in values]))
    drawn = row_sample(window.conn, window.table, window.where,
                       [values[n] for n in names] + [window.timestamp], draw, rows, window.params)
    index = {name: i for i, name in enumerate(names)}
    samples: dict[str, np.ndarray] = {p.name: np.zeros(0) for p in plan.numeric}
    samples.update(read_off)
    for p in sampled:
        column = _floats(row[index[p.name]] for row in drawn)
        finite = column[np.isfinite(column)]
        want = wanted[p.name]
        if len(finite) < want:
            finite = column_sample(window.conn, window.table, window.where, values[p.name],
                                   want, window.params)
        if len(finite) < want:
            raise ProfileError(f"column {p.name!r}: the database sample holds {len(finite)} "
                               f"finite values, {want} were expected; the table changed while "
                               "it was read")
        samples[p.name] = np.sort(finite[:want])
    return samples, _joint(plan, drawn[:joint_size], index, rows, request)


def _read_off(plan: NumericPlan, totals: Any, counts: np.ndarray, size: int) -> np.ndarray:
    return quantile_sample(plan.reference.fine_edges, counts, totals.minimum, totals.maximum,
                           size)


def _joint(
    plan: Plan, drawn: list[tuple[Any, ...]], index: dict[str, int], rows: int,
    request: ProfileRequest,
) -> JointSample | None:
    if plan.joint is None:
        return None
    numeric = {p.name for p in plan.numeric if p.kind == NUMERIC}
    ordered = sorted(drawn, key=lambda row: (row[-1] is None, row[-1] or 0))
    matrix = np.full((len(ordered), len(plan.joint)), np.nan)
    for j, name in enumerate(plan.joint):
        if name in numeric:
            matrix[:, j] = _floats(row[index[name]] for row in ordered)
        elif name in plan.pulled:
            raw = pd.Series([row[index[name]] for row in ordered], dtype=object)
            matrix[:, j] = read_numbers(raw.infer_objects())[0]
    matrix.flags.writeable = False
    return JointSample(tuple(plan.joint), matrix, rows, request.joint_sample_size)


def _pulled(
    window: _Window, names: Sequence[str], request: ProfileRequest, chunk_size: int
) -> dict[str, ColumnProfile]:
    """Query 5: the columns the database cannot read as their kind, profiled from their rows."""
    if not names:
        return {}
    builder = ProfileBuilder(reference=request.reference, exclude=request.exclude,
                             sample_size=request.sample_size, top_k=request.top_k,
                             joint_sample_size=0)
    for chunk in _chunks(window, names, chunk_size):
        builder.update(chunk)
    built = builder.build()
    return {name: built.columns[name] for name in names if name in built.columns}


def _chunks(window: _Window, names: Sequence[str], chunk_size: int) -> Iterator[pd.DataFrame]:
    columns = [window.table.c[name] for name in names]
    statement = (sa.select(*columns).select_from(window.table).where(window.where)
                 .order_by(window.timestamp))
    streamed = window.conn.execution_options(stream_results=True, max_row_buffer=chunk_size)
    result = streamed.execute(statement, window.params)
    for rows in result.partitions(chunk_size):
        yield pd.DataFrame.from_records(rows, columns=list(names), coerce_float=True)


def _floats(values: Any) -> np.ndarray:
    """Numbers (float, int or Decimal; None for null) as float64, NaN for null."""
    numbers: np.ndarray = pd.Series(list(values), dtype=object).to_numpy(dtype=np.float64,
                                                                         na_value=np.nan)
    return numbers
