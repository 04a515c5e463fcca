"""Alert conditions: the small, safe ``when:`` language of rule files.

An alert fires when its condition holds for a window, for example
``drift_share > 0.3`` or ``failed_quality_checks > 0 and rows >= 500``. The
text is parsed once, at load time, by a recursive-descent parser (``expression_parser``) into
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

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from monitor.errors import ExpressionError
from monitor.rules.expression_parser import Parser
from monitor.rules.expression_tree import Node, focus, number, truth
from monitor.rules.metric_names import BASE_METRICS, COLUMN_STATS, PERFORMANCE_METRICS

__all__ = ["BASE_METRICS", "COLUMN_STATS", "PERFORMANCE_METRICS", "Expression", "ExpressionError",
           "parse"]


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed ``when:`` condition.

    Attributes:
        text: the condition as written.
        names: the metric names it reads.
    """

    text: str
    names: frozenset[str]
    _root: Node = field(repr=False, compare=False)
    _focus: Node = field(repr=False, compare=False)

    def evaluate(self, metrics: Mapping[str, float]) -> bool:
        """Tell whether the condition holds; undefined counts as not holding.

        >>> parse("drift_share > 0.3", {"drift_share"}).evaluate({"drift_share": 0.42})
        True
        """
        return truth(self._root.eval(metrics)) is True

    def value(self, metrics: Mapping[str, float]) -> float | None:
        """The number an alert reports: the first comparison's left operand.

        For a condition without a comparison it is the whole condition's value
        (true is 1.0, false 0.0). None when undefined.

        >>> parse("drift_share > 0.3", {"drift_share"}).value({"drift_share": 0.42})
        0.42
        """
        return number(self._focus.eval(metrics))

    def __str__(self) -> str:
        return self.text


def parse(text: str, known_names: Collection[str] = BASE_METRICS) -> Expression:
    """Parse a ``when:`` condition, checking every metric name against ``known_names``.

    Raises:
        ExpressionError: a syntax error or an unknown metric, with its offset.
    """
    parser = Parser(text, known_names)
    root = parser.parse()
    return Expression(text, frozenset(parser.names), root, focus(root) or root)
