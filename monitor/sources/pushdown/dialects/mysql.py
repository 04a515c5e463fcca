"""MariaDB and MySQL: no ``FILTER``, no NaN nor infinities, case-blind text, ``RAND()``.

- aggregates over some rows are ``CASE`` inside the aggregate (neither has ``FILTER``);
- text collations ignore case and trailing spaces: text is compared, grouped and
  counted as binary strings (``CAST(CAST(x AS CHAR CHARACTER SET utf8mb4) AS BINARY)``),
  whose bytes come back decoded;
- a double is ``x + 0E0`` (``CAST(.. AS DOUBLE)`` is not in every version, and ``AVG`` of
  integers is a 4-digit decimal); a single-precision ``FLOAT`` is read as the six digits
  its text protocol sends, as the pulled rows read it;
- ``DATETIME`` has no zone: times are bound as naive UTC;
- a reflected ``DOUBLE`` is read as a float (SQLAlchemy's default, a decimal rounded to
  10 places, would round the pulled values);
- quantiles: MariaDB's window ``PERCENTILE_CONT``; MySQL has none;
- regular expressions: MariaDB's PCRE, rewritten (``monitor.sources.pushdown.regex``);
  MySQL's ICU is not rewritten for;
- reads run in one REPEATABLE READ transaction (InnoDB's consistent snapshot), bounded by
  ``max_statement_time`` (MariaDB, seconds) or ``max_execution_time`` (MySQL, ms);
- the fine bins are counted from the streamed values (no bucketing function).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from monitor.sources.pushdown import regex
from monitor.sources.pushdown.dialects.base import Family, Portable

__all__ = ["MySQL"]

_SAMPLE_SEED = 20261124
_FILTER_SEED = 11


class MySQL(Portable):
    """MariaDB and MySQL (PyMySQL, mysqlclient or any other driver)."""

    name = "mysql"
    folds_text = True

    def connect_args(self, query: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        return {} if "connect_timeout" in query else {"connect_timeout": int(timeout)}

    def prepare(self, conn: sa.Connection, *, snapshot: bool,
                timeout: float | None) -> sa.Connection:
        if snapshot:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        if getattr(conn.dialect, "is_mariadb", False):
            conn.execute(sa.text("SET SESSION max_statement_time = :s"),
                         {"s": float(timeout or 0)})
        else:
            conn.execute(sa.text("SET SESSION max_execution_time = :ms"),
                         {"ms": int((timeout or 0) * 1000)})
        return conn

    def reflect(self, conn: sa.Connection, name: str, schema: str | None) -> sa.Table:
        """The table, its ``DOUBLE`` columns read as floats: SQLAlchemy reads them as decimals
        rounded to 10 places by default, which would round every value pulled."""
        table = super().reflect(conn, name, schema)
        for column in table.columns:
            if isinstance(column.type, sa.Float):
                column.type.asdecimal = False
        return table

    def bind_window(self, value: datetime, column: sa.ColumnElement[Any] | None = None,
                    ) -> datetime:
        return value.astimezone(UTC).replace(tzinfo=None)

    def as_double(self, value: sa.ColumnElement[Any]) -> sa.ColumnElement[float]:
        return sa.type_coerce(value + sa.literal_column("0E0"), sa.Double())

    def number_value(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        if isinstance(column.type, mysql.FLOAT):
            # comparing the exact binary value would tell 0.1 from the 0.1 pulled
            return self.as_double(sa.cast(column, mysql.CHAR()))
        return column

    def exact(self, value: sa.ColumnElement[Any], kind: Family) -> sa.ColumnElement[Any]:
        if kind != "text":
            return value
        text = sa.cast(value, mysql.CHAR(charset="utf8mb4"))
        return sa.type_coerce(sa.cast(text, sa.LargeBinary()), value.type)  # binds as text

    def plain(self, value: Any) -> Any:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value

    def percentile_kind(self, dialect: sa.engine.Dialect) -> Literal["aggregate", "window"] | None:
        return "window" if getattr(dialect, "is_mariadb", False) else None

    def random_below(self, share: float) -> sa.ColumnElement[bool]:
        return sa.func.rand(_FILTER_SEED) < sa.literal(share, sa.Double())

    def random_order(self) -> sa.ColumnElement[Any]:
        return sa.func.rand(_SAMPLE_SEED)  # a seeded sequence: an unchanged table samples alike

    def translate(self, pattern: str, dialect: sa.engine.Dialect) -> str:
        if not getattr(dialect, "is_mariadb", False):
            return super().translate(pattern, dialect)
        return regex.translate_for(pattern, "mariadb")
