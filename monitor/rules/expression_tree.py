"""The tree of a parsed ``when:`` condition: frozen nodes evaluated with three-valued logic.

A value is a number, a truth value, or None for *undefined* (a missing
metric, a division by zero, a NaN); see ``monitor.rules.expressions`` for the
rules. ``expression_parser`` builds these nodes; nothing else does.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "Arithmetic", "Compare", "Constant", "Logic", "Metric", "Node", "Not", "Value", "focus",
    "number", "truth",
]

Value = float | bool | None
"""A number, a truth value, or None for undefined."""


def number(value: Value) -> float | None:
    """A value as a number (true is 1.0); None when undefined or NaN."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def truth(value: Value) -> bool | None:
    """A value as a truth value (a number is true when not 0); None when undefined or NaN."""
    if value is None or isinstance(value, bool):
        return value
    return None if math.isnan(value) else value != 0


class Node:
    """A node of the tree: its value on a run's metrics, and its operands."""

    __slots__ = ()

    def eval(self, metrics: Mapping[str, float]) -> Value:
        """The node's value on these metrics."""
        raise NotImplementedError

    def children(self) -> tuple[Node, ...]:
        """The operand nodes."""
        return ()


@dataclass(frozen=True, slots=True)
class Constant(Node):
    """A number or truth value written in the condition."""

    value: float | bool

    def eval(self, metrics: Mapping[str, float]) -> Value:
        return self.value


@dataclass(frozen=True, slots=True)
class Metric(Node):
    """A run metric by its flat name; undefined when the run lacks it."""

    name: str

    def eval(self, metrics: Mapping[str, float]) -> Value:
        value = metrics.get(self.name)
        return None if value is None else number(value)


@dataclass(frozen=True, slots=True)
class Arithmetic(Node):
    """``+ - * /`` of two numbers; a division by zero is undefined."""

    op: str
    left: Node
    right: Node

    def eval(self, metrics: Mapping[str, float]) -> Value:
        a, b = number(self.left.eval(metrics)), number(self.right.eval(metrics))
        if a is None or b is None:
            return None
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        if self.op == "*":
            return a * b
        return None if b == 0 else a / b

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """A chain of comparisons, as in ``0.1 < drift_share <= 0.3``."""

    operands: tuple[Node, ...]
    ops: tuple[str, ...]

    def eval(self, metrics: Mapping[str, float]) -> Value:
        values = [number(o.eval(metrics)) for o in self.operands]
        result: bool | None = True
        for op, a, b in zip(self.ops, values, values[1:], strict=False):
            if a is None or b is None:
                result = None
            elif not _COMPARE[op](a, b):
                return False
        return result

    def children(self) -> tuple[Node, ...]:
        return self.operands


_COMPARE = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True, slots=True)
class Not(Node):
    """``not``: undefined stays undefined."""

    operand: Node

    def eval(self, metrics: Mapping[str, float]) -> Value:
        value = truth(self.operand.eval(metrics))
        return None if value is None else not value

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Logic(Node):
    """``and`` / ``or`` over operands, by Kleene's rules."""

    op: str  # "and" or "or"
    operands: tuple[Node, ...]

    def eval(self, metrics: Mapping[str, float]) -> Value:
        decisive = self.op == "or"  # the value that settles the result on its own
        result: bool | None = not decisive
        for operand in self.operands:
            value = truth(operand.eval(metrics))
            if value is decisive:
                return decisive
            if value is None:
                result = None
        return result

    def children(self) -> tuple[Node, ...]:
        return self.operands


def focus(node: Node) -> Node | None:
    """The left operand of the first comparison, reading left to right."""
    if isinstance(node, Compare):
        return node.operands[0]
    for child in node.children():
        found = focus(child)
        if found is not None:
            return found
    return None
