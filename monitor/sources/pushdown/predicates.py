"""Column checks as SQL: which rows a check looks at, and which of them fail.

Each column check becomes per-row predicates over the table, built with
SQLAlchemy Core (every value bound): ``missing`` (null, NaN, a configured
missing value compared in the column's type) and ``present`` (its negation),
and the check's ``failing`` predicate, true only on present rows. The
aggregates that count them are ``monitor.sources.pushdown.checks``'s.

A check pushes down when the column's SQL type holds what the check reads
(numbers for ``range`` on numbers, text for ``pattern``, ``format`` and
``length``, times for ``range`` on times outside SQLite, which keeps times as
text); otherwise ``Unpushable`` says why and the column is read instead.

``type`` checks ask whether each value reads as the expected kind. A typed SQL
column answers without looking at values: numbers are numbers and never
times, times are never numbers, integers are booleans when 0 or 1; only text
columns (whose parsing rules are Python's) are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from monitor.checks.plan import CheckPlan, ColumnCheck
from monitor.profiles import readers
from monitor.profiles.readers import category_name
from monitor.sources.pushdown import dialect as sql
from monitor.sources.pushdown.dialect import Unpushable
from monitor.sources.pushdown.dialects import of

__all__ = ["ColumnSql", "column_sql", "failing_values", "value_key"]

_WORDS = frozenset({"true", "t", "yes", "y", "1", "false", "f", "no", "n", "0"})
"""What ``readers.read_flags`` reads as a truth value."""


@dataclass(frozen=True, slots=True)
class ColumnSql:
    """One column as the checks read it in SQL.

    ``family`` is what its SQL type holds, ``kind`` the kind it is read as:
    the reference's, else the one pandas infers for such values, or None
    where that depends on the values (text may hold ISO times; booleans with
    nulls read as categories), and checks that depend on it read the rows.
    ``value``
    is the column as compared (NULL for text SQLite keeps in a numeric
    column; text by code points); ``wrong`` marks those SQLite values, which
    are present and fail checks of numbers.
    """

    name: str
    column: sa.ColumnElement[Any]
    family: sql.Family
    kind: str | None
    value: sa.ColumnElement[Any]
    missing: sa.ColumnElement[bool]
    nan: sa.ColumnElement[bool] | None
    configured: tuple[Any, ...]
    wrong: sa.ColumnElement[bool] | None
    dialect: sa.engine.Dialect
    present: sa.ColumnElement[bool]
    """Not null, not NaN, not a configured missing value."""
    present_count: sa.ColumnElement[int]
    """The rows where it is present (one aggregate, however many checks ask)."""


def column_sql(
    column: sa.Column[Any], plan: CheckPlan, kinds: Mapping[str, str],
    dialect: sa.engine.Dialect,
) -> ColumnSql:
    """A table column with its missing-value predicate.

    Raises:
        Unpushable: configured missing values the database cannot compare as Python does.
    """
    name = str(column.name)
    family = sql.family(column.type)
    kind = kinds.get(name) or sql.local_kind(family)
    value = sql.exact(column, family, dialect.name)
    if family in ("integer", "float"):
        value = sql.number_value(column, dialect.name)
    missing: list[sa.ColumnElement[bool]] = [column.is_(None)]
    nan = sql.is_nan(column, family, dialect.name)
    if nan is not None:
        missing.append(nan)
    configured: tuple[Any, ...] = ()
    if plan.missing_values.get(name):
        configured = _missing_values(plan.missing_values[name], family, kind, dialect.name)
        if configured:
            missing.append(_member(_target(column, value, family, dialect.name), family,
                                   dialect.name, list(configured)))
    absent = sa.or_(*missing)
    present = sa.not_(absent)
    return ColumnSql(name, column, family, kind, value, absent, nan, configured,
                     sql.wrong_type(column, family, dialect.name), dialect, present,
                     sa.func.sum(sa.case((present, 1), else_=0)))


def _missing_values(values: tuple[float | str | bool, ...], family: sql.Family,
                    kind: str | None, dialect: str) -> tuple[Any, ...]:
    """The configured missing values a column can hold, as ``values.is_missing`` matches them:
    numbers in a numeric column (and text SQLite keeps there), text in a text column."""
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    texts = [v for v in values if isinstance(v, str)]
    if family in ("integer", "float"):
        return (*numbers, *(texts if of(dialect).text_in_numbers else ()))
    if family == "text" and not (numbers and kind == "numeric"):
        return tuple(texts)  # a number never equals text, unless the text is read as numbers
    if family == "boolean" and not numbers:
        return tuple(v for v in values if isinstance(v, bool))
    raise Unpushable(f"missing values {list(values)!r} of a {family} column")


def failing_values(check: ColumnCheck, col: ColumnSql) -> sa.ColumnElement[bool]:
    """True on the present rows of ``col`` that fail ``check`` (a row check, not unique).

    Raises:
        Unpushable: the database cannot read the column as the check does.
    """
    if check.kind == "range":
        test = _range(check, col)
    elif check.kind == "allowed":
        test = _allowed(check, col)
    elif check.kind in ("pattern", "format"):
        test = _pattern(check, col)
    elif check.kind == "length":
        test = _length(check, col)
    elif check.kind == "type":
        test = _type(check, col)
    else:
        raise Unpushable(f"no SQL for {check.kind} checks")
    return sa.and_(col.present, test)


def value_key(col: ColumnSql) -> sa.ColumnElement[Any]:
    """What equal values share, as ``hashing.value_hashes`` tells them: numbers by value, times
    by instant, days by day, text by its characters."""
    if isinstance(col.column.type, sa.Date) and not isinstance(col.column.type, sa.DateTime):
        return col.column  # a day equals the same day, as the local hash of a date has it
    if col.family == "other" or (col.family == "text" and col.kind == "numeric"):
        raise Unpushable(f"values of a {col.column.type} column read as {col.kind}")
    return _target(col.column, col.value, col.family, col.dialect.name)


def _target(column: sa.ColumnElement[Any], value: sa.ColumnElement[Any], family: sql.Family,
            dialect: str) -> sa.ColumnElement[Any]:
    """What a value is compared by for equality: the number as pulled (the raw value on SQLite,
    where text may sit among numbers), text by its characters."""
    if family in ("integer", "float") and not of(dialect).text_in_numbers:
        return value
    return sql.exact(column, family, dialect)


def _range(check: ColumnCheck, col: ColumnSql) -> sa.ColumnElement[bool]:
    """Outside the bounds, or not readable as a number (a time, with ISO bounds)."""
    bounds = (check.minimum, check.maximum)
    times = any(isinstance(b, str) for b in bounds) or (
        check.minimum is None and check.maximum is None and col.kind == "datetime")
    number = col.family in ("integer", "float")
    if times and col.family == "time" and not of(col.dialect).times_as_text:
        try:
            low, high = (None if b is None else sql.bind_time(b, col.column, col.dialect.name)
                         for b in bounds)
        except ValueError as exc:
            raise Unpushable(str(exc)) from exc
        return _outside(col.column, low, high, col.column.type)
    if times and number:
        return sa.true()  # numbers are no times
    if not times and col.family == "time":
        return sa.true()  # nor times numbers
    if times or not number:
        raise Unpushable(f"{'times' if times else 'numbers'} held as {col.column.type}")
    low_number, high_number = (None if b is None else float(b) for b in bounds)
    outside = _outside(col.value, low_number, high_number, sa.Double())
    return outside if col.wrong is None else sa.or_(col.wrong, outside)


def _outside(value: sa.ColumnElement[Any], low: object, high: object,
             sql_type: Any) -> sa.ColumnElement[bool]:
    tests = []
    if low is not None:
        tests.append(value < sa.literal(low, sql_type))
    if high is not None:
        tests.append(value > sa.literal(high, sql_type))
    return sa.or_(*tests) if tests else sa.false()


def _allowed(check: ColumnCheck, col: ColumnSql) -> sa.ColumnElement[bool]:
    """Not among the values: compared as truth values, numbers or text, as the column reads."""
    values = pd.Series(list(check.values), dtype=object)
    number = col.family in ("integer", "float")
    if col.kind is None and col.family == "boolean":
        raise Unpushable(f"column '{col.name}' is read as the kind its values suggest")
    if col.kind == "boolean" or (col.kind != "numeric" and col.family == "boolean"):
        flags = readers.read_flags(values)
        allowed: list[Any] = sorted({bool(f) for f in flags[~np.isnan(flags)]})
        if col.family == "integer" and col.wrong is None:
            allowed = [int(f) for f in allowed]
        elif col.family != "boolean":
            raise Unpushable(f"truth values held as {col.column.type}")
    elif number:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64,
                                                                  na_value=np.nan)
        words = [v for v, n in zip(check.values, numbers, strict=True)
                 if isinstance(v, str) and np.isnan(n)]
        if words and col.wrong is not None:
            raise Unpushable("words allowed among numbers SQLite may keep as text")
        allowed = sorted({float(n) for n in numbers[~np.isnan(numbers)]})
    elif col.family == "text" and col.kind != "numeric":
        allowed = [v for v in check.values if isinstance(v, str)]
        for value in check.values:  # 3 matches "3" and "3.0"
            if not isinstance(value, str):
                allowed += [category_name(value), str(value)]
    else:
        raise Unpushable(f"allowed values of a {col.column.type} column read as {col.kind}")
    if not allowed:
        return sa.true()
    target = _target(col.column, col.value, col.family, col.dialect.name)
    outside = sa.not_(_member(target, col.family, col.dialect.name, allowed))
    return outside if col.wrong is None else sa.or_(col.wrong, outside)


def _pattern(check: ColumnCheck, col: ColumnSql) -> sa.ColumnElement[bool]:
    if col.family != "text":
        raise Unpushable(f"a pattern on a {col.column.type} column")
    return sa.not_(sql.search(col.column, check.regex or "", col.dialect))


def _length(check: ColumnCheck, col: ColumnSql) -> sa.ColumnElement[bool]:
    if col.family != "text":
        raise Unpushable(f"lengths of a {col.column.type} column")
    low, high = (None if b is None else float(b) for b in (check.minimum, check.maximum))
    return _outside(sa.func.char_length(col.column), low, high, sa.Double())


def _type(check: ColumnCheck, col: ColumnSql) -> sa.ColumnElement[bool]:
    """Values that do not read as the kind, told by the SQL type alone where it can."""
    kind, family = check.kind_of or col.kind, col.family
    if kind is None:
        raise Unpushable(f"column '{col.name}' is read as the kind its values suggest")
    number = family in ("integer", "float", "boolean")
    if kind not in ("numeric", "datetime", "boolean"):
        return sa.false()  # any value reads as text or a category
    if kind == "numeric" and number:
        return col.wrong if col.wrong is not None else sa.false()
    if kind == "datetime" and family == "time" and not of(col.dialect).times_as_text:
        return sa.false()
    if kind == "boolean" and family == "boolean":
        return sa.false()
    if kind == "boolean" and family == "integer":
        flag = sa.not_(col.column.in_([0, 1]))
        if col.wrong is None:
            return flag
        word = sa.func.lower(sa.func.trim(col.column)).in_(sorted(_WORDS))
        return sa.case((col.wrong, sa.not_(word)), else_=flag)
    if family == "time" or (kind == "datetime" and number):
        return sa.true()  # a time is no number nor truth value, a number no time
    raise Unpushable(f"{kind} values held as {col.column.type}")


def _member(column: sa.ColumnElement[Any], family: sql.Family, dialect: str,
            values: list[Any]) -> sa.ColumnElement[bool]:
    """``column IN (values)``, each bound in its own type."""
    if family == "text":
        return column.in_(values)
    return column.in_([sa.literal(v, sa.String() if isinstance(v, str) else
                                  sa.Boolean() if isinstance(v, bool) else sa.Double())
                       for v in values])
