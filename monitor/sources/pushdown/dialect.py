"""The helpers the checks compile with, each asking the database's class what differs.

The checks compare values exactly as Python does once the rows are pulled, so each
database's habits are undone by its class in ``monitor.sources.pushdown.dialects``
(text equality, NaN, doubles, percentiles, times, regular expressions). These functions
take the SQLAlchemy dialect name, so the modules that compile checks stay free of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from monitor.sources.pushdown.dialects import DIALECTS, Family, Unpushable, of

__all__ = [
    "CHECK_DIALECTS", "Family", "Unpushable", "as_double", "bind_time", "exact", "family",
    "is_nan", "local_kind", "nan_value", "number_value", "percentile_kind", "search",
    "translate", "validate", "wrong_type",
]

CHECK_DIALECTS = frozenset(DIALECTS)
"""Databases (SQLAlchemy dialect names) whose table windows are checked in place."""

_KINDS: dict[str, str] = {"integer": "numeric", "float": "numeric", "time": "datetime"}


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
    return of(dialect).as_double(value)


def number_value(column: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[Any]:
    """A numeric column's numbers as the driver hands them over (NULL for text SQLite keeps
    in a numeric column; a single-precision MariaDB ``FLOAT`` as the digits it sends)."""
    return of(dialect).number_value(column)


def wrong_type(
    column: sa.ColumnElement[Any], kind: Family, dialect: str
) -> sa.ColumnElement[bool] | None:
    """Values a numeric column holds that are no number (only SQLite keeps such values)."""
    if kind not in ("integer", "float"):
        return None
    return of(dialect).wrong_type(column)


def nan_value(
    value: sa.ColumnElement[Any], kind: Family, dialect: str
) -> sa.ColumnElement[Any] | None:
    """NaN in the column's type, or None when the column cannot hold one."""
    return of(dialect).nan_value(value, kind)


def is_nan(
    value: sa.ColumnElement[Any], kind: Family, dialect: str
) -> sa.ColumnElement[bool] | None:
    """Where a value is NaN, or None when the column cannot hold one."""
    nan = nan_value(value, kind, dialect)
    return None if nan is None else value == nan  # NaN equals NaN where it is kept


def exact(value: sa.ColumnElement[Any], kind: Family, dialect: str) -> sa.ColumnElement[Any]:
    """Text compared character by character, in code point order, as Python compares it."""
    return of(dialect).exact(value, kind)


def percentile_kind(dialect: sa.engine.Dialect) -> Literal["aggregate", "window"] | None:
    """How the database computes a linear-interpolation quantile, if it can."""
    return of(dialect).percentile_kind(dialect)


def bind_time(value: object, column: sa.ColumnElement[Any], dialect: str) -> datetime:
    """An ISO time (naive is UTC) as the database compares it with ``column``.

    Raises ValueError when it is not the text of a time.
    """
    return of(dialect).bind_time(value, column)


def search(value: sa.ColumnElement[Any], pattern: str,
           dialect: sa.engine.Dialect) -> sa.ColumnElement[bool]:
    """Whether ``pattern`` is found in the text, as ``re.search`` finds it.

    Raises:
        Unpushable: the database would read the pattern otherwise.
    """
    return of(dialect).search(value, pattern, dialect)


def translate(pattern: str, dialect: sa.engine.Dialect) -> str:
    """The pattern in the database's reading (``monitor.sources.pushdown.regex``).

    >>> from sqlalchemy.dialects import postgresql
    >>> translate(r"^a.c$", postgresql.dialect()) == "^a[^\\n]c\\n?$"
    True
    """
    return of(dialect).translate(pattern, dialect)


def validate(conn: sa.Connection, pattern: str) -> None:
    """Compile the translated pattern once in the database.

    Raises:
        Unpushable: the database refuses it.
    """
    of(conn.dialect).validate(conn, pattern)
