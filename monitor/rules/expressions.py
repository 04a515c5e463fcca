"""Alert conditions: the small, safe ``when:`` language of rule files.

An alert fires when its condition holds for a window, for example
``drift_share > 0.3`` or ``failed_quality_checks > 0 and rows >= 500``. The
text is parsed once, at load time, by the recursive-descent parser below into
a tree of frozen nodes; nothing is ever handed to Python's ``eval``.

Grammar, loosest binding first::

    expression := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)*
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | primary
    primary    := NUMBER | "true" | "false" | metric | "(" expression ")"
    metric     := 'column' "(" STRING ")" "." NAME | NAME ("." NAME)*

Comparisons chain as in mathematics: ``0.1 < drift_share <= 0.3`` means
``0.1 < drift_share and drift_share <= 0.3``. ``column("income").psi`` reads
the metric ``column.income.psi``; dotted names such as ``performance.roc_auc``
and ``prediction.psi`` are checked against the known statistic and metric
names (``monitor.rules.metric_names``). Column names are only known at run time.

Evaluation uses three-valued logic. A metric missing from the mapping, a
division by zero and a NaN are *undefined*; a comparison involving an
undefined value is undefined, ``not`` keeps it undefined, ``and``/``or``
follow Kleene's rules (``undefined and false`` is false, ``undefined or
true`` is true), and a condition that ends undefined does not hold. So a
division by zero never crashes a run: the alert simply does not fire.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from monitor.errors import MonitorError
from monitor.rules.metric_names import (
    BASE_METRICS,
    COLUMN_STATS,
    PERFORMANCE_METRICS,
    column_metric,
    metric_problem,
)

__all__ = ["BASE_METRICS", "COLUMN_STATS", "PERFORMANCE_METRICS", "Expression", "ExpressionError",
           "parse"]

_KEYWORDS = frozenset({"and", "or", "not", "true", "false"})
_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})
_MAX_DEPTH = 64
_MAX_TOKENS = 256
_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<string>\"[^\"]*\"|'[^']*')"
    r"|(?P<op><=|>=|==|!=|[<>+\-*/().])"
    r"|(?P<other>\S)"
    r")?"
)
_HINTS = {"=": "write '==' to compare", "&": "write 'and'", "|": "write 'or'", "!": "write 'not'"}

# A value is a number, a truth value, or None for "undefined".
_Value = float | bool | None


class ExpressionError(MonitorError):
    """A ``when:`` condition that cannot be parsed.

    ``offset`` is the 0-based character position of the problem in the text,
    so the rule loader can point at the exact column.
    """

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.message} (at character {self.offset + 1})"


def _number(value: _Value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _truth(value: _Value) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    return None if math.isnan(value) else value != 0


class _Node:
    __slots__ = ()

    def eval(self, metrics: Mapping[str, float]) -> _Value:
        raise NotImplementedError

    def children(self) -> tuple[_Node, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class _Constant(_Node):
    value: float | bool

    def eval(self, metrics: Mapping[str, float]) -> _Value:
        return self.value


@dataclass(frozen=True, slots=True)
class _Metric(_Node):
    name: str

    def eval(self, metrics: Mapping[str, float]) -> _Value:
        value = metrics.get(self.name)
        return None if value is None else _number(value)


@dataclass(frozen=True, slots=True)
class _Arithmetic(_Node):
    op: str
    left: _Node
    right: _Node

    def eval(self, metrics: Mapping[str, float]) -> _Value:
        a, b = _number(self.left.eval(metrics)), _number(self.right.eval(metrics))
        if a is None or b is None:
            return None
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        if self.op == "*":
            return a * b
        return None if b == 0 else a / b

    def children(self) -> tuple[_Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class _Compare(_Node):
    operands: tuple[_Node, ...]
    ops: tuple[str, ...]

    def eval(self, metrics: Mapping[str, float]) -> _Value:
        values = [_number(o.eval(metrics)) for o in self.operands]
        result: bool | None = True
        for op, a, b in zip(self.ops, values, values[1:], strict=False):
            if a is None or b is None:
                result = None
            elif not _COMPARE[op](a, b):
                return False
        return result

    def children(self) -> tuple[_Node, ...]:
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
class _Not(_Node):
    operand: _Node

    def eval(self, metrics: Mapping[str, float]) -> _Value:
        value = _truth(self.operand.eval(metrics))
        return None if value is None else not value

    def children(self) -> tuple[_Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class _Logic(_Node):
    op: str  # "and" or "or"
    operands: tuple[_Node, ...]

    def eval(self, metrics: Mapping[str, float]) -> _Value:
        decisive = self.op == "or"  # the value that settles the result on its own
        result: bool | None = not decisive
        for operand in self.operands:
            value = _truth(operand.eval(metrics))
            if value is decisive:
                return decisive
            if value is None:
                result = None
        return result

    def children(self) -> tuple[_Node, ...]:
        return self.operands


def _focus(node: _Node) -> _Node | None:
    """The left operand of the first comparison, reading left to right."""
    if isinstance(node, _Compare):
        return node.operands[0]
    for child in node.children():
        found = _focus(child)
        if found is not None:
            return found
    return None


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed ``when:`` condition.

    Attributes:
        text: the condition as written.
        names: the metric names it reads.
    """

    text: str
    names: frozenset[str]
    _root: _Node = field(repr=False, compare=False)
    _focus: _Node = field(repr=False, compare=False)

    def evaluate(self, metrics: Mapping[str, float]) -> bool:
        """Tell whether the condition holds; undefined counts as not holding.

        >>> parse("drift_share > 0.3", {"drift_share"}).evaluate({"drift_share": 0.42})
        True
        """
        return _truth(self._root.eval(metrics)) is True

    def value(self, metrics: Mapping[str, float]) -> float | None:
        """The number an alert reports: the first comparison's left operand.

        For a condition without a comparison it is the whole condition's value
        (true is 1.0, false 0.0). None when undefined.

        >>> parse("drift_share > 0.3", {"drift_share"}).value({"drift_share": 0.42})
        0.42
        """
        return _number(self._focus.eval(metrics))

    def __str__(self) -> str:
        return self.text


def parse(text: str, known_names: Collection[str] = BASE_METRICS) -> Expression:
    """Parse a ``when:`` condition, checking every metric name against ``known_names``.

    Raises:
        ExpressionError: a syntax error or an unknown metric, with its offset.
    """
    parser = _Parser(text, known_names)
    root = parser.parse()
    return Expression(text, frozenset(parser.names), root, _focus(root) or root)


@dataclass(slots=True)
class _Token:
    kind: str  # number, name, op, other, end
    text: str
    offset: int


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while True:
        match = _TOKEN.match(text, position)
        assert match is not None  # the pattern matches any text, possibly empty
        kind = match.lastgroup
        if kind is None:
            tokens.append(_Token("end", "", len(text.rstrip())))
            return tokens
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, text: str, known_names: Collection[str]) -> None:
        self.tokens = _tokenize(text)
        if len(self.tokens) > _MAX_TOKENS:
            # Evaluation recurses over the tree, so its size is bounded too.
            raise ExpressionError(
                f"the condition is too long: at most {_MAX_TOKENS} numbers, names and operators",
                self.tokens[_MAX_TOKENS].offset,
            )
        self.index = 0
        self.depth = 0
        self.known = known_names
        self.names: set[str] = set()

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.token
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        return self.token.kind in ("op", "name") and self.token.text in texts

    def parse(self) -> _Node:
        if self.token.kind == "end":
            raise ExpressionError("empty condition: write one such as 'drift_share > 0.3'", 0)
        node = self.expression()
        if self.token.kind != "end":
            raise self.unexpected("an operator such as 'and', 'or', '>' or '+'")
        return node

    def expression(self) -> _Node:
        return self.logic("or", self.and_expr)

    def and_expr(self) -> _Node:
        return self.logic("and", self.not_expr)

    def logic(self, op: str, operand: Callable[[], _Node]) -> _Node:
        parts = [operand()]
        while self.at(op):
            self.take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else _Logic(op, tuple(parts))

    def not_expr(self) -> _Node:
        if self.at("not"):
            self.take()
            return _Not(self.nested(self.not_expr))
        return self.comparison()

    def comparison(self) -> _Node:
        operands, ops = [self.sum()], []
        while self.token.kind == "op" and self.token.text in _COMPARISONS:
            ops.append(self.take().text)
            operands.append(self.sum())
        return operands[0] if not ops else _Compare(tuple(operands), tuple(ops))

    def sum(self) -> _Node:
        node = self.product()
        while self.at("+", "-"):
            op = self.take().text
            node = _Arithmetic(op, node, self.product())
        return node

    def product(self) -> _Node:
        node = self.unary()
        while self.at("*", "/"):
            op = self.take().text
            node = _Arithmetic(op, node, self.unary())
        return node

    def unary(self) -> _Node:
        if self.token.kind == "op" and self.token.text in ("-", "+"):
            negate = self.take().text == "-"
            operand = self.nested(self.unary)
            return _Arithmetic("-", _Constant(0.0), operand) if negate else operand
        return self.primary()

    def primary(self) -> _Node:
        token = self.token
        if token.kind == "number":
            self.take()
            return _Constant(float(token.text))
        if token.kind == "name" and token.text in ("true", "false"):
            self.take()
            return _Constant(token.text == "true")
        if token.kind == "name" and token.text not in _KEYWORDS:
            return self.metric()
        if self.at("("):
            self.take()
            node = self.nested(self.expression)
            if not self.at(")"):
                raise self.unexpected(f"')' to close the '(' at character {token.offset + 1}")
            self.take()
            return node
        raise self.unexpected("a number, a metric name or '('")

    def metric(self) -> _Node:
        first = self.take()
        name = first.text
        while self.at(".") and self.tokens[self.index + 1].kind == "name":
            self.take()
            name += "." + self.take().text
        if name == "column" and self.at("("):
            name = self.column_metric()
        elif self.at("("):
            raise ExpressionError(
                f"calls such as '{name}(...)' are not supported; the only call is "
                "column(\"NAME\").STAT", first.offset)
        problem = metric_problem(name, self.known)
        if problem is not None:
            raise ExpressionError(problem, first.offset)
        self.names.add(name)
        return _Metric(name)

    def column_metric(self) -> str:
        """``column("income").psi`` after the name: the flat name ``column.income.psi``."""
        self.take()
        argument = self.token
        if argument.kind != "string":
            raise self.unexpected('a column name in quotes, as in column("income").psi')
        if len(argument.text) < 3:
            raise ExpressionError('the column name is empty: write column("income").psi, for '
                                  "example", argument.offset)
        self.take()
        if not self.at(")"):
            raise self.unexpected("')' after the column name")
        self.take()
        if not self.at(".") or self.tokens[self.index + 1].kind != "name":
            raise self.unexpected(
                f"'.' and a statistic, as in column({argument.text}).psi; statistics: "
                f"{', '.join(sorted(COLUMN_STATS))}")
        self.take()
        stat = self.take()
        if stat.text not in COLUMN_STATS:
            problem = metric_problem(column_metric(argument.text[1:-1], stat.text))
            raise ExpressionError(problem or "unknown statistic", stat.offset)
        return column_metric(argument.text[1:-1], stat.text)

    def nested(self, rule: Callable[[], _Node]) -> _Node:
        """Parse one nested rule; bounded so a hostile condition cannot exhaust the stack."""
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            message = f"the condition nests deeper than {_MAX_DEPTH} levels"
            raise ExpressionError(message, self.token.offset)
        node = rule()
        self.depth -= 1
        return node

    def unexpected(self, expected: str) -> ExpressionError:
        token = self.token
        if token.kind == "end":
            message = f"the condition ends too early: expected {expected}"
            return ExpressionError(message, token.offset)
        if token.kind == "string":
            return ExpressionError(
                f"unexpected {token.text}: text in quotes is only allowed as a column name, "
                'as in column("income").psi', token.offset)
        hint = _HINTS.get(token.text)
        if hint:
            return ExpressionError(f"unexpected '{token.text}': {hint}", token.offset)
        return ExpressionError(f"unexpected '{token.text}': expected {expected}", token.offset)
