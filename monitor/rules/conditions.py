"""Row conditions of ``quality.conditions``: the ``when:`` language read over a row's columns.

The grammar is that of ``when:`` (``monitor.rules.expressions``), with three
differences: a bare name (or ``column("a name")``) reads the row's column of
that name; text in quotes is a value (``status == 'void'``); and ``=``
compares like ``==``, as in SQL. The tree that comes out is the engines'
own (``monitor.checks.plan``): evaluated per row in process, compiled to SQL
for push-down; never handed to Python's ``eval``.
"""

from __future__ import annotations

from pydantic_core import PydanticCustomError

from monitor.checks import plan as rows
from monitor.errors import ExpressionError
from monitor.rules import expression_tree as tree
from monitor.rules.expression_parser import Parser

__all__ = ["parse_condition"]

_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})


class _Text(tree.Node):
    """Text in quotes, a value in a row condition (``when:`` reads no text)."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value


class _RowParser(Parser):
    """The ``when:`` parser with names read as columns and text as values."""

    def comparison(self) -> tree.Node:
        operands, ops = [self.sum()], []
        while (op := self._comparison()) is not None:
            self.take()
            ops.append(op)
            operands.append(self.sum())
        return operands[0] if not ops else tree.Compare(tuple(operands), tuple(ops))

    def _comparison(self) -> str | None:
        token = self.token
        if token.kind == "op" and token.text in _COMPARISONS:
            return token.text
        return "==" if token.kind == "other" and token.text == "=" else None

    def primary(self) -> tree.Node:
        token = self.token
        if token.kind == "string":
            self.take()
            return _Text(token.text[1:-1])
        return super().primary()

    def metric(self) -> tree.Node:
        first = self.take()
        if first.text == "column" and self.at("("):
            self.take()
            argument = self.token
            if argument.kind != "string" or len(argument.text) < 3:
                raise self.unexpected('a column name in quotes, as in column("first name")')
            self.take()
            if not self.at(")"):
                raise self.unexpected("')' after the column name")
            self.take()
            name = argument.text[1:-1]
        else:
            if self.at("("):
                raise ExpressionError(f"calls such as '{first.text}(...)' are not supported "
                                      "in a condition", first.offset)
            name = first.text
            if self.at("."):
                raise ExpressionError(f"'{name}.' is not a column: write a name with a dot "
                                      f'as column("{name}.…")', self.token.offset)
        self.names.add(name)
        return tree.Metric(name)

    def unexpected(self, expected: str) -> ExpressionError:
        expected = expected.replace("a metric name", "a column name, text in quotes")
        if self.token.kind == "string":
            return ExpressionError(f"unexpected {self.token.text}: expected {expected}",
                                   self.token.offset)
        return super().unexpected(expected)


def parse_condition(text: str, *, located: bool = False) -> rows.RowNode:
    """Parse a row condition into the engines' tree.

    Raises:
        ExpressionError: a syntax error, with its offset; with ``located``, the
            pydantic error the rule loader points at the offending character.
    """
    try:
        parser = _RowParser(text, ())
        return _convert(parser.parse())
    except ExpressionError as exc:
        if not located:
            raise
        raise PydanticCustomError(
            "expression", "{message}", {"message": exc.message, "offset": exc.offset}
        ) from None


def _convert(node: tree.Node) -> rows.RowNode:
    if isinstance(node, _Text):
        return rows.Literal(node.value)
    if isinstance(node, tree.Constant):
        return rows.Literal(node.value)
    if isinstance(node, tree.Metric):
        return rows.Column(node.name)
    if isinstance(node, tree.Arithmetic):
        return rows.Arithmetic(node.op, _convert(node.left), _convert(node.right))
    if isinstance(node, tree.Compare):
        return rows.Compare(tuple(_convert(o) for o in node.operands), node.ops)
    if isinstance(node, tree.Not):
        return rows.Not(_convert(node.operand))
    if isinstance(node, tree.Logic):
        return rows.Logic(node.op, tuple(_convert(o) for o in node.operands))
    raise TypeError(f"unknown node {type(node).__name__}")  # every parser node is listed above
