"""The push-down plan: how each column of a table is profiled inside the database.

A column is pushed down when its reference kind and its SQL type agree on
what a value is, so that the database reads it exactly as the pulled rows
would be read (``monitor.profiles.readers``):

============  =========================================  ===============================
kind          SQL types pushed down                      computed as
============  =========================================  ===============================
numeric       integer, floating point, decimal           the value as double precision
text          character types                            the length in characters
categorical   character, integer, boolean, floating pt.  category counts
boolean       boolean, integer (1 and 0)                 true and false counts
============  =========================================  ===============================

Any other pair (numbers stored as text, a ``datetime`` kind, unknown types)
is *pulled*: only those columns' rows are read and profiled by
``ProfileBuilder``, and their column profiles join the pushed-down ones.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

from monitor.profiles import (
    BOOLEAN,
    CATEGORICAL,
    NUMERIC,
    TEXT,
    NumericSummary,
    Profile,
)
from monitor.sources.pushdown.dialects import of

__all__ = ["BooleanPlan", "CategoryPlan", "ColumnPlan", "NumericPlan", "Plan", "plan_columns"]

Typed = Literal["text", "integer", "boolean", "float"]
_NUMBERS = (sa.Integer, sa.Numeric, sa.Float)  # Float is not a Numeric since SQLAlchemy 2.1


@dataclass(frozen=True, slots=True)
class NumericPlan:
    """A numeric or text-length column: moments, histogram on the reference edges, sample."""

    name: str
    kind: str
    column: sa.ColumnElement[object]
    integral: bool  # never NaN nor infinite (integers, lengths)
    reference: NumericSummary

    def value(self, dialect: str) -> sa.ColumnElement[float]:
        """The column read as a double (or its length), NULL where it is not a number.

        SQLite may store text in a numeric column; such values become NULL
        here and are counted as invalid (``invalid``), as pandas would.
        """
        if self.kind == TEXT:
            return sa.cast(sa.func.char_length(self.column), sa.Double())
        return of(dialect).profile_number(self.column)

    def invalid(self, dialect: str) -> sa.ColumnElement[bool] | None:
        """The condition of a value of the wrong type, where the database allows one."""
        if self.kind == TEXT:
            return None
        return of(dialect).wrong_type(self.column)


@dataclass(frozen=True, slots=True)
class CategoryPlan:
    """A categorical column: counts per category, the reference's categories always kept."""

    name: str
    column: sa.ColumnElement[object]
    typed: Typed
    pinned: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BooleanPlan:
    """A boolean column: counts of true and false; other values are invalid."""

    name: str
    column: sa.ColumnElement[object]
    integer: bool
    pinned: tuple[str, ...]


ColumnPlan = NumericPlan | CategoryPlan | BooleanPlan


@dataclass(frozen=True, slots=True)
class Plan:
    """What to compute: pushed-down columns, pulled columns, extra columns, joint columns.

    ``joint`` is None when the reference keeps no joint sample.
    """

    columns: tuple[ColumnPlan, ...]
    pulled: tuple[str, ...]
    extra: tuple[str, ...]
    joint: tuple[str, ...] | None

    @property
    def numeric(self) -> tuple[NumericPlan, ...]:
        """The numeric and text-length columns."""
        return tuple(c for c in self.columns if isinstance(c, NumericPlan))


def plan_columns(
    table: sa.Table, reference: Profile, exclude: Collection[str], *, joint: bool
) -> Plan:
    """Plan every column of ``table`` against ``reference``, in the table's column order."""
    columns: list[ColumnPlan] = []
    pulled: list[str] = []
    extra: list[str] = []
    for column in table.columns:
        name = str(column.name)
        if name in exclude:
            continue
        ref = reference.columns.get(name)
        if ref is None:
            extra.append(name)
            continue
        planned = _plan(name, column, ref.kind, ref.numeric, ref.categorical)
        if planned is None:
            pulled.append(name)
        else:
            columns.append(planned)
    joint_columns = None
    if joint and reference.joint is not None:
        joint_columns = tuple(reference.joint.columns)
    return Plan(tuple(columns), tuple(pulled), tuple(extra), joint_columns)


def _plan(
    name: str, column: sa.Column[object], kind: str, numeric: NumericSummary | None,
    categorical: object,
) -> ColumnPlan | None:
    sql_type = column.type
    pinned = tuple(getattr(categorical, "counts", {}) or ())
    if kind in (NUMERIC, TEXT) and numeric is not None:
        if kind == TEXT:
            if not _is_text(sql_type):
                return None
            return NumericPlan(name, kind, column, True, numeric)
        if isinstance(sql_type, sa.Boolean) or not isinstance(sql_type, _NUMBERS):
            return None
        integral = isinstance(sql_type, sa.Integer)
        return NumericPlan(name, kind, column, integral, numeric)
    if kind == CATEGORICAL:
        typed = _typed(sql_type)
        return None if typed is None else CategoryPlan(name, column, typed, pinned)
    if kind == BOOLEAN:
        if isinstance(sql_type, sa.Boolean):
            return BooleanPlan(name, column, False, pinned)
        if isinstance(sql_type, sa.Integer):
            return BooleanPlan(name, column, True, pinned)
    return None


def _typed(sql_type: sa.types.TypeEngine[object]) -> Typed | None:
    if isinstance(sql_type, sa.Boolean):
        return "boolean"
    if isinstance(sql_type, sa.Integer):
        return "integer"
    if isinstance(sql_type, sa.Numeric | sa.Float):  # floats, decimals: read as floats by pandas
        return "float"
    if _is_text(sql_type):
        return "text"
    return None


def _is_text(sql_type: sa.types.TypeEngine[object]) -> bool:
    return isinstance(sql_type, sa.String)
