"""Fine histograms of a window counted in the database (``monitor.profiles.fine``).

Every finite value of each numeric column is counted on its reference's fine
edges, so the pushed-down profile's order-statistic tests see every row, and
equal those of the pulled rows.

**PostgreSQL** counts them in one pass over the window:
``width_bucket(x, edges)`` is exactly the fine bin (``searchsorted`` on the
right), and ``unnest`` turns each row into one (column, bin) pair per
column, grouped and counted. **Other databases** have no bucketing of a
value against an array (SQLite has none at all), so the numeric columns'
values are streamed and counted here: exact, at the cost of reading them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from monitor.profiles.fine import count_sorted
from monitor.sources.pushdown.plan import NumericPlan

__all__ = ["count_fine"]

logger = logging.getLogger(__name__)

_INF = float("inf")
_CHUNK = 100_000


def count_fine(conn: sa.Connection, table: sa.FromClause, where: sa.ColumnElement[bool],
               params: dict[str, Any], plans: Sequence[NumericPlan]) -> dict[str, np.ndarray]:
    """Each planned column's counts on its reference's fine edges (those without: skipped)."""
    wanted = [p for p in plans if p.reference.has_fine]
    if not wanted:
        return {}
    if conn.dialect.name == "postgresql":
        return _postgresql(conn, table, where, params, wanted)
    return _streamed(conn, table, where, params, wanted)


def _finite(value: sa.ColumnElement[float]) -> sa.ColumnElement[bool]:
    return sa.and_(value > sa.literal(-_INF, sa.Double()), value < sa.literal(_INF, sa.Double()))


def _postgresql(conn: sa.Connection, table: sa.FromClause, where: sa.ColumnElement[bool],
                params: dict[str, Any], plans: Sequence[NumericPlan]) -> dict[str, np.ndarray]:
    buckets = []
    bound = dict(params)
    for i, plan in enumerate(plans):
        name = f"fine_edges_{i}"
        bound[name] = [float(e) for e in plan.reference.fine_edges]
        value = plan.value("postgresql")
        edges: Any = sa.bindparam(name, type_=postgresql.ARRAY(sa.Double()))
        buckets.append(sa.case((_finite(value), sa.func.width_bucket(value, edges))))
    pairs = (sa.select(sa.func.unnest(postgresql.array([sa.literal(i) for i in
                                                         range(len(plans))])).label("k"),
                       sa.func.unnest(postgresql.array(buckets)).label("b"))
             .select_from(table).where(where).subquery())
    statement = (sa.select(pairs.c.k, pairs.c.b, sa.func.count())
                 .where(pairs.c.b.is_not(None)).group_by(pairs.c.k, pairs.c.b))
    counts = {p.name: np.zeros(p.reference.fine_edges.size + 1, np.int64) for p in plans}
    for k, bucket, count in conn.execute(statement, bound):
        counts[plans[int(k)].name][int(bucket)] += int(count)
    return counts


def _streamed(conn: sa.Connection, table: sa.FromClause, where: sa.ColumnElement[bool],
              params: dict[str, Any], plans: Sequence[NumericPlan]) -> dict[str, np.ndarray]:
    logger.debug("%s cannot bucket values in SQL: reading %d numeric columns to count them",
                 conn.dialect.name, len(plans))
    dialect = conn.dialect.name
    statement = sa.select(*(p.value(dialect) for p in plans)).select_from(table).where(where)
    counts = {p.name: np.zeros(p.reference.fine_edges.size + 1, np.int64) for p in plans}
    streamed = conn.execution_options(stream_results=True, max_row_buffer=_CHUNK)
    for rows in streamed.execute(statement, params).partitions(_CHUNK):
        block = np.array([[np.nan if v is None else float(v) for v in row] for row in rows],
                         dtype=np.float64).reshape(len(rows), len(plans))
        for j, plan in enumerate(plans):
            values = block[:, j]
            values = np.sort(values[np.isfinite(values)])
            counts[plan.name] += count_sorted(values, plan.reference.fine_edges)
    return counts
