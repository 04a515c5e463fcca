"""Random samples drawn inside the database, for order statistics and the joint sample.

Histograms and moments are exact, but the KS test and its kin need values.
``row_sample`` draws ``size`` rows of the window uniformly without
replacement (``ORDER BY random() LIMIT size``); on a large window a
Bernoulli pre-filter (``WHERE random() < p``, expecting 3 × ``size`` rows)
spares the database a sort of every row. Given its size, a Bernoulli subset
is a uniform subset, so the rows kept are a uniform sample of the window.
The finite values of one column among those rows are a uniform sample of
that column's finite values; a column with too few of them (many nulls) is
sampled on its own with ``column_sample``.

These samples come from the database's random generator, so they differ
from the seeded sample ``ProfileBuilder`` draws from pulled rows. PostgreSQL's
generator is seeded first (``setseed``) and MariaDB's ``RAND(n)`` takes a seed,
so an unchanged table read in the same order gives the same sample; SQLite's
and DuckDB's (which reads in parallel) differ from one run to the next. Only the
joint sample and the samples of columns of a reference without fine histograms come
from here. While a window holds no more rows than the sample
size, the sample is every value and both ways agree exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa

from monitor.sources.pushdown.dialects import of

__all__ = ["column_sample", "random_below", "row_sample"]

_PREFILTER_FACTOR = 8  # pre-filter windows holding more than this many times the sample


def random_below(dialect: str, share: float) -> sa.ColumnElement[bool]:
    """A condition true for about ``share`` of the rows, drawn per row."""
    return of(dialect).random_below(share)


def row_sample(
    conn: sa.Connection,
    table: sa.FromClause,
    where: sa.ColumnElement[bool],
    columns: Sequence[sa.ColumnElement[Any]],
    size: int,
    rows: int,
    params: dict[str, Any],
) -> list[tuple[Any, ...]]:
    """Up to ``size`` rows of ``columns`` drawn uniformly from the ``rows`` rows of the window."""
    if size <= 0 or rows == 0 or not columns:
        return []
    dialect = conn.dialect.name
    of(dialect).seed(conn)  # where it can be: the same rows of a table draw the same sample
    base = sa.select(*columns).select_from(table).where(where)
    if rows > _PREFILTER_FACTOR * size:
        share = min(1.0, 3.0 * size / rows)
        drawn = _fetch(conn, base.where(random_below(dialect, share)), size, params)
        if len(drawn) == size:
            return drawn
    return _fetch(conn, base, size, params)


def column_sample(
    conn: sa.Connection,
    table: sa.FromClause,
    where: sa.ColumnElement[bool],
    value: sa.ColumnElement[float],
    size: int,
    params: dict[str, Any],
) -> np.ndarray:
    """Up to ``size`` finite values of one column, drawn uniformly (unsorted)."""
    finite = sa.and_(value > sa.literal(-np.inf, sa.Double()),
                     value < sa.literal(np.inf, sa.Double()))
    statement = sa.select(value).select_from(table).where(where, finite)
    drawn = _fetch(conn, statement, size, params)
    return np.array([row[0] for row in drawn], dtype=np.float64)


def _fetch(
    conn: sa.Connection, statement: sa.Select[Any], size: int, params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    ordered = statement.order_by(of(conn.dialect).random_order()).limit(size)
    return [tuple(row) for row in conn.execute(ordered, params).all()]
