"""Row conditions evaluated over a whole chunk at once, by SQL's three-valued logic.

Each node evaluates to an ``_Operand``: one value per row (or one value for
every row, for a literal) with a mask of the rows where it is defined. A
null operand makes a comparison or an arithmetic result undefined; ``and``
and ``or`` follow Kleene (undefined and false is false, undefined or true is
true); ``not`` keeps undefined. A row fails where the condition is defined
and false, as a SQL ``CHECK`` constraint fails it.

Columns are read as their kind: numbers (float64), times (seconds since the
epoch, UTC, so comparable to the microsecond), truth values, or text. A
text literal compared with a time is read as a time; a truth value compared
with a number reads as 1 or 0; the difference of two times is a number of
seconds. Text compared with a number (or a time with a number) is refused
with a ``ProfileError`` naming both sides, since no reading of it is the
obviously right one. A column with no value in the chunk and no known kind
is null: it compares with anything, to undefined.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from monitor.checks.plan import Arithmetic, Column, Compare, Literal, Logic, Not, RowNode
from monitor.checks.values import ChunkColumns
from monitor.errors import ProfileError
from monitor.profiles import readers

__all__ = ["condition_columns", "failing_mask"]

_COMPARE: Mapping[str, Callable[[Any, Any], Any]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
    "==": np.equal, "!=": np.not_equal,
}
_TYPE_NAMES = {"number": "a number", "time": "a time", "bool": "a truth value", "text": "text"}


@dataclass(frozen=True, slots=True)
class _Operand:
    """Values of one node for every row: ``data`` where ``defined`` (arrays or scalars)."""

    type: str  # number, time, bool, text, null
    data: Any
    defined: Any
    label: str


class _Refused(Exception):
    """A node that cannot be evaluated; ``failing_mask`` names the condition."""


def failing_mask(expression: RowNode, frame: pd.DataFrame, kinds: Mapping[str, str], *,
                 name: str | None = None, reader: ChunkColumns | None = None) -> np.ndarray:
    """True for each row where the condition is false (an undefined row does not fail).

    ``kinds`` maps columns to profile kinds; others are read by their dtype.
    ``name`` names the condition in errors; ``reader`` shares a chunk's
    readings with other checks (it may hold configured missing values).

    >>> frame = pd.DataFrame({"a": [1.0, 5.0, None], "b": [2.0, 3.0, 1.0]})
    >>> failing_mask(Compare((Column("a"), Column("b")), ("<",)), frame, {}).tolist()
    [False, True, False]
    """
    columns = reader if reader is not None else ChunkColumns(frame, kinds)
    title = f"condition '{name}'" if name else "the condition"
    for column in condition_columns(expression):
        if not columns.has(column) and not columns.absent_as_null:
            raise ProfileError(f"{title} reads column '{column}', which the data does not have")
    try:
        result = _evaluate(expression, columns)
        if result.type not in ("bool", "null"):
            raise _Refused(f"it is {_TYPE_NAMES[result.type]} ({result.label}), not a truth value")
    except _Refused as exc:
        raise ProfileError(f"{title} cannot be evaluated: {exc}") from None
    if result.type == "null":
        return np.zeros(columns.rows, dtype=bool)
    failing = np.broadcast_to(np.asarray(result.defined & ~result.data), (columns.rows,))
    return np.array(failing, dtype=bool)


def condition_columns(expression: RowNode) -> tuple[str, ...]:
    """The columns the condition reads, in order of first appearance."""
    if isinstance(expression, Column):
        return (expression.name,)
    found: dict[str, None] = {}
    for child in expression.children():
        found.update(dict.fromkeys(condition_columns(child)))
    return tuple(found)


def _evaluate(node: RowNode, columns: ChunkColumns) -> _Operand:
    if isinstance(node, Column):
        return _column(node.name, columns)
    if isinstance(node, Literal):
        return _literal(node.value)
    if isinstance(node, Arithmetic):
        return _arithmetic(node.op, _evaluate(node.left, columns), _evaluate(node.right, columns))
    if isinstance(node, Compare):
        operands = [_evaluate(operand, columns) for operand in node.operands]
        pairs = [_compare(op, left, right) for op, left, right
                 in zip(node.ops, operands, operands[1:], strict=False)]
        return pairs[0] if len(pairs) == 1 else _logic("and", pairs)
    if isinstance(node, Not):
        operand = _truth(_evaluate(node.operand, columns))
        if operand.type == "null":
            return operand
        return _Operand("bool", ~np.asarray(operand.data, dtype=bool), operand.defined, "not")
    if isinstance(node, Logic):
        return _logic(node.op, [_truth(_evaluate(child, columns)) for child in node.operands])
    raise _Refused(f"unknown node {type(node).__name__}")


def _column(name: str, columns: ChunkColumns) -> _Operand:
    series = columns.series(name)
    kind, dtype, label = columns.kind(name), series.dtype, f"column '{name}'"
    if kind == "numeric":
        values, kind_type = columns.numbers(name), "number"
    elif kind == "datetime" or ptypes.is_datetime64_any_dtype(dtype):
        values, kind_type = columns.times(name), "time"
    elif kind == "boolean" or ptypes.is_bool_dtype(dtype):
        flags = columns.flags(name)
        defined = ~np.isnan(flags)
        if not defined.any() and not columns.known_kind(name):
            return _Operand("null", None, False, label)
        return _Operand("bool", flags == 1.0, defined, label)
    elif ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype):
        values, kind_type = columns.numbers(name), "number"
    else:
        texts = columns.texts(name)
        defined = ~pd.isna(texts)
        if not defined.any() and not columns.known_kind(name):
            return _Operand("null", None, False, label)
        return _Operand("text", np.where(defined, texts, ""), defined, label)
    defined = ~np.isnan(values)
    if not defined.any() and not columns.known_kind(name):
        return _Operand("null", None, False, label)
    return _Operand(kind_type, values, defined, label)


def _literal(value: float | bool | str) -> _Operand:
    if isinstance(value, bool):
        return _Operand("bool", value, True, str(value))
    if isinstance(value, str):
        return _Operand("text", value, True, f"the text {value!r}")
    return _Operand("number", float(value), True, f"the number {value:g}")


def _as_time(operand: _Operand) -> _Operand:
    """Text read as times: a literal must be one, a column's unreadable values are undefined."""
    single = np.ndim(operand.data) == 0
    values = readers.read_datetimes(pd.Series(np.atleast_1d(operand.data), dtype=object))[0]
    if single:
        if np.isnan(values[0]):
            raise _Refused(f"{operand.label} is compared with a time but is not a time")
        return _Operand("time", float(values[0]), True, operand.label)
    return _Operand("time", values, operand.defined & ~np.isnan(values), operand.label)


def _as_number(operand: _Operand) -> _Operand:
    if operand.type != "bool":
        return operand
    return _Operand("number", np.asarray(operand.data, dtype=np.float64), operand.defined,
                    operand.label)


def _align(left: _Operand, right: _Operand) -> tuple[_Operand, _Operand]:
    """Both sides as one type, or ``_Refused`` naming them."""
    types = {left.type, right.type}
    if len(types) == 1:
        return left, right
    if types == {"bool", "number"}:
        return _as_number(left), _as_number(right)
    if types == {"time", "text"}:
        return (_as_time(left) if left.type == "text" else left,
                _as_time(right) if right.type == "text" else right)
    raise _Refused(f"{left.label} ({_TYPE_NAMES[left.type]}) and {right.label} "
                   f"({_TYPE_NAMES[right.type]}) cannot be compared")


def _compare(op: str, left: _Operand, right: _Operand) -> _Operand:
    if "null" in (left.type, right.type):
        return _Operand("null", None, False, "a comparison")
    left, right = _align(left, right)
    with np.errstate(invalid="ignore"):
        value = _COMPARE[op](left.data, right.data)
    return _Operand("bool", np.asarray(value, dtype=bool), left.defined & right.defined,
                    "a comparison")


def _arithmetic(op: str, left: _Operand, right: _Operand) -> _Operand:
    label = "an arithmetic result"
    if "null" in (left.type, right.type):
        return _Operand("null", None, False, label)
    left, right = _as_number(left), _as_number(right)
    kind = _arithmetic_type(op, left.type, right.type)
    if kind is None:
        raise _Refused(f"{left.label} ({_TYPE_NAMES[left.type]}) {op} {right.label} "
                       f"({_TYPE_NAMES[right.type]}) is not arithmetic on numbers")
    with np.errstate(all="ignore"):
        if op == "+":
            value = np.add(left.data, right.data)
        elif op == "-":
            value = np.subtract(left.data, right.data)
        elif op == "*":
            value = np.multiply(left.data, right.data)
        elif op == "/":
            value = np.divide(left.data, right.data)
        else:
            raise _Refused(f"unknown operator {op!r}")
    defined = left.defined & right.defined & ~np.isnan(value)
    if op == "/":
        defined = defined & (np.asarray(right.data) != 0)
    return _Operand(kind, value, defined, label)


def _arithmetic_type(op: str, left: str, right: str) -> str | None:
    if left == right == "number":
        return "number"
    if op == "-" and left == right == "time":
        return "number"  # seconds between two times
    if op in "+-" and (left, right) == ("time", "number"):
        return "time"
    if op == "+" and (left, right) == ("number", "time"):
        return "time"
    return None


def _truth(operand: _Operand) -> _Operand:
    if operand.type in ("bool", "null"):
        return operand
    raise _Refused(f"{operand.label} is {_TYPE_NAMES[operand.type]}, not a truth value")


def _logic(op: str, operands: list[_Operand]) -> _Operand:
    """Kleene's ``and``/``or``: a null operand is undefined on every row."""
    if op not in ("and", "or"):
        raise _Refused(f"unknown logic {op!r}")
    decided: Any = False  # rows some operand settles: a defined false (and), a defined true (or)
    all_known: Any = True  # rows every operand gives the other truth value
    for operand in operands:
        if operand.type == "null":
            all_known = False
            continue
        hit = operand.data if op == "or" else ~operand.data
        decided = decided | (operand.defined & hit)
        all_known = all_known & operand.defined & ~hit
    defined = decided | all_known
    value = decided if op == "or" else all_known
    return _Operand("bool", np.asarray(value, dtype=bool), defined, "a condition")
