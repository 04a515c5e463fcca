"""SQLite: any value in any column, times kept as text, NaN stored as NULL, Python's own
regular expressions, and a signed 64-bit ``random()``.

- a numeric column may hold text (or a blob): such values read as NULL in the numbers and
  are counted as invalid (``typeof``), as pandas counts them;
- a timestamp column may be text; window bounds are bound as naive UTC, the form
  SQLAlchemy stores;
- no ``stddev_samp`` (the spread takes a second pass) and no percentile function;
- ``REGEXP`` is Python's ``re.search``, registered by the driver: no translation;
- no bucketing function: the fine bins are counted from the streamed values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from monitor.sources.pushdown.dialects.base import FilterAggregates

__all__ = ["SQLite"]

_NUMBER_TYPES = ("integer", "real")


class SQLite(FilterAggregates):
    """SQLite (the standard library's driver)."""

    name = "sqlite"
    keeps_infinity = True
    text_in_numbers = True
    times_as_text = True
    two_pass_spread = True

    def time_column_ok(self, sql_type: sa.types.TypeEngine[Any]) -> bool:
        return super().time_column_ok(sql_type) or isinstance(
            sql_type, sa.String | sa.types.NullType)

    def bind_window(self, value: datetime, column: sa.ColumnElement[Any] | None = None,
                    ) -> datetime:
        return value.astimezone(UTC).replace(tzinfo=None)

    def profile_number(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[float]:
        return sa.case((sa.func.typeof(column).in_(_NUMBER_TYPES), sa.cast(column, sa.Double())))

    def number_value(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return self.profile_number(column)

    def wrong_type(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool] | None:
        return sa.func.typeof(column).in_(("text", "blob"))

    def random_below(self, share: float) -> sa.ColumnElement[bool]:
        cut = int(-(2**63) + share * 2**64)  # random() is a signed 64-bit integer
        return sa.func.random() < sa.literal(min(cut, 2**63 - 1), sa.BigInteger())

    def search(self, value: sa.ColumnElement[Any], pattern: str,
               dialect: sa.engine.Dialect) -> sa.ColumnElement[bool]:
        return sa.cast(value, sa.Text()).regexp_match(pattern)

    def validate(self, conn: sa.Connection, pattern: str) -> None:
        """Python's ``re`` reads it: the local engine has checked it already."""
