"""Fine histograms of a window counted in the database (``monitor.profiles.fine``).

Every finite value of each numeric column is counted on its reference's fine
edges, so the pushed-down profile's order-statistic tests see every row, and
equal those of the pulled rows.

Where the database can find each value's bin (``searchsorted`` on the right),
its dialect class counts them in one pass: ``width_bucket`` on PostgreSQL, an
``ASOF JOIN`` against the edges on DuckDB (``monitor.sources.pushdown.dialects``).
**Other databases** have no bucketing of a value against a list (SQLite,
MariaDB), so the numeric columns' values are streamed and counted here: exact,
at the cost of reading them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa

from monitor.profiles.fine import count_sorted
from monitor.sources.pushdown.dialects import of
from monitor.sources.pushdown.plan import NumericPlan

__all__ = ["count_fine"]

logger = logging.getLogger(__name__)

_CHUNK = 100_000


def count_fine(conn: sa.Connection, table: sa.FromClause, where: sa.ColumnElement[bool],
               params: dict[str, Any], plans: Sequence[NumericPlan]) -> dict[str, np.ndarray]:
    """Each planned column's counts on its reference's fine edges (those without: skipped)."""
    wanted = [p for p in plans if p.reference.has_fine]
    if not wanted:
        return {}
    dialect = conn.dialect.name
    counted = of(dialect).count_fine(conn, table, where, params,
                                     [p.value(dialect) for p in wanted],
                                     [p.reference.fine_edges for p in wanted])
    if counted is None:
        return _streamed(conn, table, where, params, wanted)
    return {p.name: counts for p, counts in zip(wanted, counted, strict=True)}


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
