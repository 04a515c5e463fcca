"""What differs between the databases checks are pushed down to, in one table of helpers.

The checks compare values exactly as Python does once the rows are pulled,
so each database's habits are undone here:

===============  ============================  ===========================  ==================
                 PostgreSQL                    MariaDB / MySQL              SQLite
===============  ============================  ===========================  ==================
text equality    ``COLLATE "C"`` (bytes)       binary strings (collations   bytes already
                                               ignore case and trailing
                                               spaces)
NaN              ``x = 'NaN'`` in float and    none stored                  stored as NULL
                 numeric columns
a double         ``CAST(x AS DOUBLE ..)``      ``x + 0E0`` (``AVG`` of      ``CAST`` of
                                               integers is a 4-digit        integers and reals
                                               decimal)                     only (text is kept
                                                                            in any column)
percentile       ``percentile_cont``           window ``PERCENTILE_CONT``   none
                                               (MariaDB), none (MySQL)
===============  ============================  ===========================  ==================

Regular expressions have a module of their own (``monitor.sources.pushdown.regex``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

__all__ = [
    "CHECK_DIALECTS", "Family", "Unpushable", "as_double", "bind_time", "exact", "family",
    "is_nan", "local_kind", "nan_value", "number_value", "percentile_kind", "wrong_type",
]

CHECK_DIALECTS = frozenset({"postgresql", "sqlite", "mysql", "mariadb"})
"""Databases (SQLAlchemy dialect names) whose table windows are checked in place."""

Family = Literal["integer", "float", "text", "boolean", "time", "other"]
_MYSQL = frozenset({"mysql", "mariadb"})
_NAN = float("nan")
_KINDS: dict[str, str] = {"integer": "numeric", "float": "numeric", "time": "datetime"}


class Unpushable(Exception):
    """The database cannot compute a check as the rows read in Python would; says why."""


def family(sql_type: sa.types.TypeEngine[Any]) -> Family:
    """What a column's SQL type holds, as far as the checks care."""
    if isinstance(sql_type, sa.Boolean):
        return "boolean"
    if isinstance(sql_type, sa.Integer):
        return "integer"
    if isinstance(sql_type, sa.Float | sa.Numeric):  # Float is no Numeric since SQLAlchemy 2.1
        return "float"
    if isinstance(sql_type, sa.String):
        return "text"
    if isinstance(sql_type, sa.DateTime):
        return "time"
    return "other"


def local_kind(kind: Family) -> str | None:
    """The kind pandas infers for the values of a column of this SQL type; None where it
    depends on the values (text holding ISO times reads as times; booleans with nulls are
    categories)."""
    return _KINDS.get(kind)


def as_double(value: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[float]:
    """``value`` as a double, so integer arithmetic and averages are not rounded."""
    if dialect in _MYSQL:  # CAST(.. AS DOUBLE) is not in every version SQLAlchemy serves
        return sa.type_coerce(value + sa.literal_column("0E0"), sa.Double())
    return sa.cast(value, sa.Double())


def number_value(column: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[Any]:
    """A numeric column's numbers as the driver hands them over.

    NULL for the text SQLite may keep in a numeric column; a single-precision
    ``FLOAT`` of MariaDB/MySQL as the six digits its text protocol sends
    (comparing the exact binary value would tell 0.1 from the 0.1 pulled).
    """
    if dialect == "sqlite":
        return sa.case((sa.func.typeof(column).in_(("integer", "real")),
                        sa.cast(column, sa.Double())))
    if dialect in _MYSQL and isinstance(column.type, mysql.FLOAT):
        return as_double(sa.cast(column, mysql.CHAR()), dialect)
    return column


def wrong_type(
    column: sa.ColumnElement[Any], kind: Family, dialect: str
) -> sa.ColumnElement[bool] | None:
    """Values a numeric column holds that are no number (only SQLite keeps such values)."""
    if dialect != "sqlite" or kind not in ("integer", "float"):
        return None
    return sa.func.typeof(column).in_(("text", "blob"))


def nan_value(
    value: sa.ColumnElement[Any], kind: Family, dialect: str
) -> sa.ColumnElement[Any] | None:
    """NaN in the column's type, or None when the column cannot hold one."""
    if kind != "float" or dialect != "postgresql":
        return None
    if isinstance(value.type, sa.Numeric) and not isinstance(value.type, sa.Float):
        # A decimal compared as a decimal: a cast to double per row costs more than the test.
        return sa.literal(Decimal("NaN"), sa.Numeric())
    return sa.literal(_NAN, sa.Double())


def is_nan(
    value: sa.ColumnElement[Any], kind: Family, dialect: str
) -> sa.ColumnElement[bool] | None:
    """Where a value is NaN, or None when the column cannot hold one."""
    nan = nan_value(value, kind, dialect)
    return None if nan is None else value == nan  # NaN equals NaN in PostgreSQL


def exact(value: sa.ColumnElement[Any], kind: Family, dialect: str) -> sa.ColumnElement[Any]:
    """Text compared character by character, in code point order, as Python compares it."""
    if kind != "text":
        return value
    if dialect == "postgresql":
        return value.collate("C")
    if dialect in _MYSQL:
        text = sa.cast(value, mysql.CHAR(charset="utf8mb4"))
        return sa.type_coerce(sa.cast(text, sa.LargeBinary()), value.type)  # binds as text
    return value


def percentile_kind(dialect: sa.engine.Dialect) -> Literal["aggregate", "window"] | None:
    """How the database computes a linear-interpolation quantile, if it can."""
    if dialect.name == "postgresql":
        return "aggregate"
    if dialect.name in _MYSQL and getattr(dialect, "is_mariadb", False):
        return "window"
    return None


def bind_time(value: object, column: sa.ColumnElement[Any], dialect: str) -> datetime:
    """An ISO time (naive is UTC) as the database compares it with ``column``.

    Raises ValueError when it is not the text of a time.
    """
    if not isinstance(value, str) or _is_number(value):  # as readers.read_datetimes reads
        raise ValueError(f"{value!r} is not the text of a time")
    stamp = pd.to_datetime(pd.Series([value]), errors="coerce", utc=True, format="mixed")[0]
    if pd.isna(stamp):
        raise ValueError(f"{value!r} is not a time")
    moment: datetime = stamp.to_pydatetime(warn=False)
    zoned = getattr(column.type, "timezone", False)
    if dialect == "postgresql" and zoned:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
