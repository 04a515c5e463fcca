"""The recursive-descent parser of ``when:`` conditions: text in, a tree of nodes out.

Tokens, then one method per grammar rule (the grammar is in
``monitor.rules.expressions``). Sizes are bounded (tokens, nesting depth), so
a hostile condition cannot exhaust the stack; every error carries the
character offset the rule loader points at.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from monitor.errors import ExpressionError
from monitor.rules.expression_tree import (
    Arithmetic,
    Compare,
    Constant,
    Logic,
    Metric,
    Node,
    Not,
)
from monitor.rules.metric_names import (
    COLUMN_STATS,
    QUALITY_STATS,
    VERDICT_LEVELS,
    metric_problem,
)

__all__ = ["Parser"]

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

@dataclass(slots=True)
class _Token:
    kind: str  # number, name, op, other, end
    text: str
    offset: int


def _tokenize(text: str) -> list[_Token]:
    """The tokens of the text, stopping one past the most a condition may hold."""
    tokens: list[_Token] = []
    position = 0
    while len(tokens) <= _MAX_TOKENS:
        match = _TOKEN.match(text, position)
        assert match is not None  # the pattern matches any text, possibly empty
        kind = match.lastgroup
        if kind is None:
            tokens.append(_Token("end", "", len(text.rstrip())))
            return tokens
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


class Parser:
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

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise ExpressionError("empty condition: write one such as 'drift_share > 0.3'", 0)
        node = self.expression()
        if self.token.kind != "end":
            raise self.unexpected("an operator such as 'and', 'or', '>' or '+'")
        return node

    def expression(self) -> Node:
        return self.logic("or", self.and_expr)

    def and_expr(self) -> Node:
        return self.logic("and", self.not_expr)

    def logic(self, op: str, operand: Callable[[], Node]) -> Node:
        parts = [operand()]
        while self.at(op):
            self.take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else Logic(op, tuple(parts))

    def not_expr(self) -> Node:
        if self.at("not"):
            self.take()
            return Not(self.nested(self.not_expr))
        return self.comparison()

    def comparison(self) -> Node:
        operands, ops = [self.sum()], []
        while self.token.kind == "op" and self.token.text in _COMPARISONS:
            ops.append(self.take().text)
            operands.append(self.sum())
        return operands[0] if not ops else Compare(tuple(operands), tuple(ops))

    def sum(self) -> Node:
        node = self.product()
        while self.at("+", "-"):
            op = self.take().text
            node = Arithmetic(op, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("*", "/"):
            op = self.take().text
            node = Arithmetic(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.token.kind == "op" and self.token.text in ("-", "+"):
            negate = self.take().text == "-"
            operand = self.nested(self.unary)
            return Arithmetic("-", Constant(0.0), operand) if negate else operand
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.take()
            value = float(token.text)
            if not math.isfinite(value):  # such as 1e999: a comparison with it means nothing
                raise ExpressionError(f"the number {token.text[:40]} is too large", token.offset)
            return Constant(value)
        if token.kind == "name" and token.text in ("true", "false"):
            self.take()
            return Constant(token.text == "true")
        if token.kind == "name" and token.text not in _KEYWORDS:
            return self.metric()
        if token.kind == "string" and token.text[1:-1] in VERDICT_LEVELS:
            self.take()  # verdict == "retrain": a verdict reads as its level
            return Constant(VERDICT_LEVELS[token.text[1:-1]])
        if self.at("("):
            self.take()
            node = self.nested(self.expression)
            if not self.at(")"):
                raise self.unexpected(f"')' to close the '(' at character {token.offset + 1}")
            self.take()
            return node
        raise self.unexpected("a number, a metric name or '('")

    def metric(self) -> Node:
        first = self.take()
        name = first.text
        while self.at(".") and self.tokens[self.index + 1].kind == "name":
            self.take()
            name += "." + self.take().text
        if name in ("column", "quality") and self.at("("):
            name = self.quoted_metric(name)
        elif self.at("("):
            raise ExpressionError(
                f"calls such as '{name}(...)' are not supported; the only calls are "
                "column(\"NAME\").STAT and quality(\"CHECK\").STAT", first.offset)
        problem = metric_problem(name, self.known)
        if problem is not None:
            raise ExpressionError(problem, first.offset)
        self.names.add(name)
        return Metric(name)

    def quoted_metric(self, family: str) -> str:
        """``column("income").psi`` or ``quality("age.range").value``: the flat name."""
        stats = COLUMN_STATS if family == "column" else QUALITY_STATS
        example = 'column("income").psi' if family == "column" else 'quality("age.range").value'
        noun = "column name" if family == "column" else "check name"
        self.take()
        argument = self.token
        if argument.kind != "string":
            raise self.unexpected(f"a {noun} in quotes, as in {example}")
        if len(argument.text) < 3:
            raise ExpressionError(f"the {noun} is empty: write {example}, for example",
                                  argument.offset)
        self.take()
        if not self.at(")"):
            raise self.unexpected(f"')' after the {noun}")
        self.take()
        if not self.at(".") or self.tokens[self.index + 1].kind != "name":
            raise self.unexpected(
                f"'.' and a statistic, as in {family}({argument.text}).{example.split('.')[-1]}"
                f"; statistics: {', '.join(sorted(stats))}")
        self.take()
        stat = self.take()
        flat = f"{family}.{argument.text[1:-1]}.{stat.text}"
        if stat.text not in stats:
            problem = metric_problem(flat)
            raise ExpressionError(problem or "unknown statistic", stat.offset)
        return flat

    def nested(self, rule: Callable[[], Node]) -> Node:
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
                'as in column("income").psi, or as a verdict, as in verdict == "retrain"',
                token.offset)
        hint = _HINTS.get(token.text)
        if hint:
            return ExpressionError(f"unexpected '{token.text}': {hint}", token.offset)
        return ExpressionError(f"unexpected '{token.text}': expected {expected}", token.offset)
