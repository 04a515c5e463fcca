"""DuckDB: NaN and infinities kept, ``FILTER``, ``percentile_cont``, RE2, ``ASOF JOIN``.

- NaN equals NaN and sorts above every number, as on PostgreSQL; text compares by bytes
  (UTF-8, so in code point order) unless a collation is declared;
- the fine bins are counted in the database: each row unnested into (column, value)
  pairs, joined ``ASOF`` against the (column, edge, rank) list of the edges (the greatest
  edge at or below the value), grouped and counted;
- regular expressions are RE2's (``regexp_matches``), rewritten where Python reads them
  otherwise (``monitor.sources.pushdown.regex``); RE2 has no look-arounds;
- a ``TIMESTAMP`` column has no zone: times are bound as naive UTC, a ``TIMESTAMPTZ``
  column takes them as they are;
- the table is reflected from ``information_schema`` (the PostgreSQL catalogue queries
  duckdb-engine inherits do not all run on DuckDB);
- one transaction is one snapshot; there is no statement timeout.

A Parquet dataset is read through a view: ``CREATE VIEW logs AS SELECT * FROM
read_parquet('/data/logs/*.parquet')`` in a DuckDB file, and that file's URL
(``duckdb:////data/monitor.duckdb``) with ``table: logs`` in the source.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, NoSuchTableError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import Join

from monitor.sources.pushdown import regex
from monitor.sources.pushdown.dialects.base import FilterAggregates, Unpushable, finite

__all__ = ["DuckDB"]

_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "BOOLEAN": sa.Boolean(), "TINYINT": sa.SmallInteger(), "SMALLINT": sa.SmallInteger(),
    "INTEGER": sa.Integer(), "BIGINT": sa.BigInteger(), "HUGEINT": sa.BigInteger(),
    "UTINYINT": sa.SmallInteger(), "USMALLINT": sa.Integer(), "UINTEGER": sa.BigInteger(),
    "UBIGINT": sa.BigInteger(), "FLOAT": sa.Float(), "REAL": sa.Float(),
    "DOUBLE": sa.Double(), "VARCHAR": sa.String(), "DATE": sa.Date(),
    "TIMESTAMP": sa.DateTime(), "TIMESTAMP_NS": sa.DateTime(), "TIMESTAMP_MS": sa.DateTime(),
    "TIMESTAMP_S": sa.DateTime(), "TIMESTAMP WITH TIME ZONE": sa.DateTime(timezone=True),
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


class _AsofJoin(Join):
    """``left ASOF LEFT JOIN right ON ..``: each left row with the closest right row."""

    inherit_cache = True


@compiles(_AsofJoin)
def _asof(join: _AsofJoin, compiler: Any, **kw: Any) -> str:
    kw.pop("asfrom", None)
    left = compiler.process(join.left, asfrom=True, **kw)
    right = compiler.process(join.right, asfrom=True, **kw)
    return f"{left} ASOF LEFT JOIN {right} ON {compiler.process(join.onclause, **kw)}"


class DuckDB(FilterAggregates):
    """DuckDB files (duckdb-engine), Parquet read through their views."""

    name = "duckdb"
    keeps_nan = True
    keeps_infinity = True

    def prepare(self, conn: sa.Connection, *, snapshot: bool,
                timeout: float | None) -> sa.Connection:
        conn.execute(sa.text("SET TimeZone = 'UTC'"))  # times with and without zone meet in UTC
        return conn

    def bind_window(self, value: datetime, column: sa.ColumnElement[Any] | None = None,
                    ) -> datetime:
        if column is None or getattr(column.type, "timezone", False):
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def zoned(self, moment: datetime, column: sa.ColumnElement[Any]) -> datetime:
        return self.bind_window(moment, column)

    def reflect(self, conn: sa.Connection, name: str, schema: str | None) -> sa.Table:
        query = ("SELECT column_name, data_type FROM information_schema.columns "
                 "WHERE table_name = :name AND table_schema = coalesce(:schema, "
                 "current_schema()) ORDER BY ordinal_position")
        found = conn.execute(sa.text(query), {"name": name, "schema": schema}).all()
        if not found:
            raise NoSuchTableError(name)
        return sa.Table(name, sa.MetaData(), *(sa.Column(str(column), _type(str(kind)))
                                               for column, kind in found), schema=schema)

    def percentile_kind(self, dialect: sa.engine.Dialect) -> Literal["aggregate", "window"] | None:
        return "aggregate"

    def count_fine(self, conn: sa.Connection, table: sa.FromClause,
                   where: sa.ColumnElement[bool], params: dict[str, Any],
                   values: Sequence[sa.ColumnElement[float]],
                   edges: Sequence[np.ndarray]) -> list[np.ndarray] | None:
        keys = [sa.literal(i, sa.Integer()) for i in range(len(values))]
        kept = [sa.case((finite(v), v)) for v in values]
        pairs = (sa.select(sa.func.unnest(_list(keys, sa.Integer())).label("k"),
                           sa.func.unnest(_list(kept, sa.Double())).label("x"))
                 .select_from(table).where(where).subquery("p"))
        bound = dict(params)
        bound["fine_k"] = [i for i, fine in enumerate(edges) for _ in range(fine.size)]
        bound["fine_e"] = [float(e) for fine in edges for e in fine]
        bound["fine_i"] = [j + 1 for fine in edges for j in range(fine.size)]
        lists = [sa.func.unnest(sa.bindparam(n, type_=postgresql.ARRAY(t))).label(n[-1])
                 for n, t in (("fine_k", sa.Integer()), ("fine_e", sa.Double()),
                              ("fine_i", sa.Integer()))]
        fine_edges = sa.select(*lists).subquery("e")
        join = _AsofJoin(pairs, fine_edges, sa.and_(pairs.c.k == fine_edges.c.k,
                                                    pairs.c.x >= fine_edges.c.e), isouter=True)
        bucket = sa.func.coalesce(fine_edges.c.i, 0)
        statement = (sa.select(pairs.c.k, bucket, sa.func.count()).select_from(join)
                     .where(pairs.c.x.is_not(None)).group_by(pairs.c.k, bucket))
        counts = [np.zeros(fine.size + 1, np.int64) for fine in edges]
        for k, i, count in conn.execute(statement, bound):
            counts[int(k)][int(i)] += int(count)
        return counts

    def translate(self, pattern: str, dialect: sa.engine.Dialect) -> str:
        return regex.translate_for(pattern, "re2")

    def search(self, value: sa.ColumnElement[Any], pattern: str,
               dialect: sa.engine.Dialect) -> sa.ColumnElement[bool]:
        translated = sa.literal(self.translate(pattern, dialect), sa.String())
        return sa.func.regexp_matches(value, translated, type_=sa.Boolean())

    def validate(self, conn: sa.Connection, pattern: str) -> None:
        """Compiled on a connection of its own: an error would end this one's transaction."""
        probe = sa.select(self.search(sa.literal(""), pattern, conn.dialect))
        try:
            with conn.engine.connect() as other:
                other.execute(probe)
        except DBAPIError as exc:
            raise Unpushable(f"duckdb cannot read the regular expression {pattern!r}") from exc


def _list(items: Sequence[sa.ColumnElement[Any]],
          item: sa.types.TypeEngine[Any]) -> sa.ColumnElement[Any]:
    """``[a, b, ..]``: a DuckDB list of expressions (typed as an array, which ``unnest``
    asks of its argument)."""
    return sa.func.list_value(*items, type_=postgresql.ARRAY(item))


def _type(name: str) -> sa.types.TypeEngine[Any]:
    found = _TYPES.get(name.upper())
    if found is not None:
        return found
    decimal = _DECIMAL.fullmatch(name.upper())
    if decimal:
        return sa.Numeric(int(decimal.group(1)), int(decimal.group(2)))
    return sa.types.NullType()
