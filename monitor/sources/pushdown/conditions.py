"""Row conditions compiled to SQL: a ``RowNode`` tree becomes one boolean expression.

SQL's three-valued logic is Kleene's, as the conditions' own: a null operand
makes a comparison unknown, ``and``/``or`` settle on a decisive operand, and
``NOT`` keeps unknown unknown. So a row fails exactly where ``NOT (expr)`` is
true, and passes where the expression is true or unknown. What the SQL must
add to match the rows read in Python:

- NaN is missing, like null: a float column reads as ``NULLIF(x, 'NaN')`` on
  PostgreSQL (which orders NaN above every number), and so does the result
  of arithmetic (``inf - inf``);
- arithmetic runs on doubles (``7 / 2`` is 3.5, not 3) and a division by zero
  is null: ``x / NULLIF(y, 0)``;
- columns are read as their kind (``kinds``, else the one their SQL type
  suggests), configured missing values as null; a truth value beside a
  number is 1 or 0; text compares character by character
  (``dialect.exact``); text beside a time column is read as an ISO time.

A node the database cannot evaluate as Python would (text in arithmetic, a
number used as a truth value, a column of another SQL type) raises
``Unpushable``: the caller then computes that condition from the pulled rows
(where the local engine reads it, or refuses it with a clear error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from monitor.checks.plan import Arithmetic, Column, Compare, Literal, Logic, Not, RowNode
from monitor.sources.pushdown import dialect as sql
from monitor.sources.pushdown.dialect import Unpushable
from monitor.sources.pushdown.dialects import of
from monitor.sources.pushdown.predicates import ColumnSql

__all__ = ["compile_condition", "failing_condition"]

Resolve = Callable[[str], ColumnSql]


@dataclass(frozen=True, slots=True)
class _Value:
    """A compiled operand and what it holds: number, text, bool or time."""

    expr: sa.ColumnElement[Any]
    holds: str
    literal: object = None  # the Python value of a text literal, read later as a time


def compile_condition(node: RowNode, resolve: Resolve, dialect: str) -> sa.ColumnElement[bool]:
    """The condition as a SQL boolean expression; ``resolve`` gives each column read.

    Raises:
        Unpushable: the database cannot compute it as Python would.
    """
    return _Compiler(resolve, dialect).truth(node)


def failing_condition(node: RowNode, resolve: Resolve, dialect: str) -> sa.ColumnElement[bool]:
    """True on the rows where the condition is false (never where it is unknown)."""
    return sa.not_(compile_condition(node, resolve, dialect))


class _Compiler:
    def __init__(self, resolve: Resolve, dialect: str) -> None:
        self.resolve, self.dialect = resolve, dialect

    def truth(self, node: RowNode) -> sa.ColumnElement[bool]:
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, Not):
            return sa.not_(self.truth(node.operand))
        if isinstance(node, Logic):
            parts = [self.truth(operand) for operand in node.operands]
            if node.op not in ("and", "or"):
                raise Unpushable(f"logic {node.op!r}")
            return sa.and_(*parts) if node.op == "and" else sa.or_(*parts)
        value = self.value(node)
        if value.holds != "bool":
            raise Unpushable(f"{value.holds} used as a truth value")
        return value.expr

    def value(self, node: RowNode) -> _Value:
        if isinstance(node, Column):
            return self.column(self.resolve(node.name))
        if isinstance(node, Literal):
            return _literal(node.value)
        if isinstance(node, Arithmetic):
            return self.arithmetic(node)
        if isinstance(node, Compare | Not | Logic):
            return _Value(self.truth(node), "bool")
        raise Unpushable(f"unknown node {type(node).__name__}")

    def column(self, col: ColumnSql) -> _Value:
        """The column's values read as its kind, null where missing (configured values too)."""
        if col.kind is None:
            raise Unpushable(f"column '{col.name}' is read as the kind its values suggest")
        number = col.family in ("integer", "float")
        if col.kind == "boolean" and number:
            flag = sa.case((col.value == 1, sa.true()), (col.value == 0, sa.false()))
            return _Value(sa.type_coerce(self.defined(col, flag), sa.Boolean()), "bool")
        if col.kind == "numeric" and col.family == "boolean":
            return self.column_as_number(col)
        holds = {"integer": "number", "float": "number", "time": "time", "boolean": "bool",
                 "text": "text"}.get(col.family)
        wanted = {"numeric": "number", "datetime": "time", "boolean": "bool"}.get(col.kind or "")
        if holds is None or (wanted is not None and wanted != holds):
            raise Unpushable(f"{col.kind} values held as {col.column.type}")
        return _Value(self.defined(col, col.value), holds)

    def column_as_number(self, col: ColumnSql) -> _Value:
        number = sa.case((col.column, 1.0), (sa.not_(col.column), 0.0))
        return _Value(sa.type_coerce(self.defined(col, number), sa.Double()), "number")

    def defined(self, col: ColumnSql, value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        if not col.configured and col.nan is None:
            return value  # null is null already
        nan = sql.nan_value(col.column, col.family, self.dialect)
        if not col.configured and nan is not None and value is col.value:
            return sa.func.nullif(value, nan, type_=value.type)  # cheaper than a CASE
        return sa.case((col.present, value))

    def arithmetic(self, node: Arithmetic) -> _Value:
        left, right = (self.number(self.value(n)) for n in (node.left, node.right))
        if left.holds != "number" or right.holds != "number":
            raise Unpushable(f"arithmetic on {left.holds} and {right.holds}")
        a = sql.as_double(left.expr, self.dialect)
        b = sql.as_double(right.expr, self.dialect)
        if node.op == "+":
            result = a + b
        elif node.op == "-":
            result = a - b
        elif node.op == "*":
            result = a * b
        elif node.op == "/":
            zero: sa.ColumnElement[float] = sa.literal(0.0, sa.Double())
            divisor: sa.ColumnElement[float] = sa.func.nullif(b, zero, type_=sa.Double())
            result = a / divisor
        else:
            raise Unpushable(f"operator {node.op!r}")
        return _Value(self.no_nan(sa.type_coerce(result, sa.Double())), "number")

    def compare(self, node: Compare) -> sa.ColumnElement[bool]:
        values = [self.value(operand) for operand in node.operands]
        pairs = [self.pair(op, a, b)
                 for op, a, b in zip(node.ops, values, values[1:], strict=False)]
        return pairs[0] if len(pairs) == 1 else sa.and_(*pairs)

    def pair(self, op: str, a: _Value, b: _Value) -> sa.ColumnElement[bool]:
        if {a.holds, b.holds} == {"bool", "number"}:
            a, b = self.number(a), self.number(b)
        a, b = self.as_time(a, b), self.as_time(b, a)
        if a.holds != b.holds:
            raise Unpushable(f"{a.holds} compared with {b.holds}")
        x, y = a.expr, b.expr
        if op == "<":
            return x < y
        if op == "<=":
            return x <= y
        if op == ">":
            return x > y
        if op == ">=":
            return x >= y
        if op == "==":
            return x == y
        if op == "!=":
            return x != y
        raise Unpushable(f"comparison {op!r}")

    def number(self, value: _Value) -> _Value:
        """A truth value read as 1 or 0."""
        if value.holds != "bool":
            return value
        if value.literal is not None:
            return _Value(sa.literal(float(bool(value.literal)), sa.Double()), "number")
        number = sa.case((value.expr, 1.0), (sa.not_(value.expr), 0.0))
        return _Value(sa.type_coerce(number, sa.Double()), "number")

    def as_time(self, value: _Value, other: _Value) -> _Value:
        """Text written in the condition, read as a time beside a time column."""
        if other.holds != "time" or value.holds != "text" or value.literal is None:
            return value
        try:
            moment = sql.bind_time(value.literal, other.expr, self.dialect)
        except ValueError as exc:
            raise Unpushable(str(exc)) from exc
        return _Value(sa.literal(moment, other.expr.type), "time")

    def no_nan(self, value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """NaN read as null (unknown), where the database keeps NaN."""
        return of(self.dialect).no_nan(value)


def _literal(value: float | bool | str) -> _Value:
    if isinstance(value, bool):
        return _Value(sa.literal(value, sa.Boolean()), "bool", value)
    if isinstance(value, str):
        return _Value(sa.literal(value, sa.String()), "text", value)
    return _Value(sa.literal(float(value), sa.Double()), "number")
