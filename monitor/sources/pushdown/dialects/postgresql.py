"""PostgreSQL: NaN kept (and equal to itself), ``width_bucket``, ``percentile_cont``, an ARE
regular expression dialect, a seedable generator, snapshots and statement timeouts.

- text equality in code point order needs ``COLLATE "C"``;
- NaN sorts above every number and equals NaN, in float and ``numeric`` columns;
- ``avg`` and ``var_pop`` share one accumulator (Youngs–Cramer): the moments are native;
- a histogram is one aggregate, ``sum(w[width_bucket(x, edges) + 1])``, each bin an 8-digit
  field of one exact ``NUMERIC`` sum (``monitor.sources.pushdown.aggregates``);
- the fine bins are counted in one pass: ``width_bucket`` per column, unnested into
  (column, bin) pairs and grouped;
- reads run in one REPEATABLE READ, read-only snapshot, JIT off (compiling a few hundred
  aggregates costs more than it saves on one pass), under ``statement_timeout``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from monitor.sources.pushdown import regex
from monitor.sources.pushdown.dialects.base import Family, FilterAggregates, finite

__all__ = ["PostgreSQL"]

_SEED = 0.5


class PostgreSQL(FilterAggregates):
    """PostgreSQL (psycopg or any other driver)."""

    name = "postgresql"
    keeps_nan = True
    keeps_infinity = True
    native_moments = True
    packed_histogram = True

    def connect_args(self, query: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        return {} if "connect_timeout" in query else {"connect_timeout": int(timeout)}

    def prepare(self, conn: sa.Connection, *, snapshot: bool,
                timeout: float | None) -> sa.Connection:
        if snapshot:
            conn = conn.execution_options(isolation_level="REPEATABLE READ",
                                          postgresql_readonly=True)
            conn.execute(sa.text("SELECT set_config('jit', 'off', true)"))
        if timeout:
            conn.execute(sa.text("SELECT set_config('statement_timeout', :ms, true)"),
                         {"ms": str(int(timeout * 1000))})
        return conn

    def nan_value(self, value: sa.ColumnElement[Any], kind: Family) -> sa.ColumnElement[Any] | None:
        if kind != "float":
            return None
        if isinstance(value.type, sa.Numeric) and not isinstance(value.type, sa.Float):
            # A decimal compared as a decimal: a cast to double per row costs more than the test.
            return sa.literal(Decimal("NaN"), sa.Numeric())
        return sa.literal(float("nan"), sa.Double())

    def exact(self, value: sa.ColumnElement[Any], kind: Family) -> sa.ColumnElement[Any]:
        return value.collate("C") if kind == "text" else value

    def zoned(self, moment: datetime, column: sa.ColumnElement[Any]) -> datetime:
        if getattr(column.type, "timezone", False):
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None)

    def percentile_kind(self, dialect: sa.engine.Dialect) -> Literal["aggregate", "window"] | None:
        return "aggregate"

    def count_fine(self, conn: sa.Connection, table: sa.FromClause,
                   where: sa.ColumnElement[bool], params: dict[str, Any],
                   values: Sequence[sa.ColumnElement[float]],
                   edges: Sequence[np.ndarray]) -> list[np.ndarray] | None:
        buckets = []
        bound = dict(params)
        for i, (value, fine) in enumerate(zip(values, edges, strict=True)):
            name = f"fine_edges_{i}"
            bound[name] = [float(e) for e in fine]
            array: Any = sa.bindparam(name, type_=postgresql.ARRAY(sa.Double()))
            buckets.append(sa.case((finite(value), sa.func.width_bucket(value, array))))
        pairs = (sa.select(sa.func.unnest(postgresql.array([sa.literal(i) for i in
                                                             range(len(values))])).label("k"),
                           sa.func.unnest(postgresql.array(buckets)).label("b"))
                 .select_from(table).where(where).subquery())
        statement = (sa.select(pairs.c.k, pairs.c.b, sa.func.count())
                     .where(pairs.c.b.is_not(None)).group_by(pairs.c.k, pairs.c.b))
        counts = [np.zeros(fine.size + 1, np.int64) for fine in edges]
        for k, bucket, count in conn.execute(statement, bound):
            counts[int(k)][int(bucket)] += int(count)
        return counts

    def seed(self, conn: sa.Connection) -> None:
        conn.execute(sa.select(sa.func.setseed(_SEED)))

    def translate(self, pattern: str, dialect: sa.engine.Dialect) -> str:
        return regex.translate_for(pattern, "postgresql")
