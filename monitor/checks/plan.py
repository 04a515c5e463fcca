"""What to check, in a form both engines read: the local one and the SQL push-down.

A ``CheckPlan`` is compiled from the ``quality:`` block of a rule file (or a
``--checks`` file) by ``monitor.rules``; nothing here parses text. Every row
check counts *failing rows* and passes when they stay within its
``Tolerance`` (``max_share`` of the rows it looks at, or ``max_rows``; neither
allows no failing row).

Which rows a check looks at (the share's denominator):

- ``missing``: every row of the window.
- ``range``, ``allowed``, ``pattern``, ``format``, ``length``, ``type``,
  ``unique``: the column's *present* values, i.e. not null, not NaN and not one
  of the column's configured missing values. A value that cannot be read as
  a number (``range`` on numbers) or a time (``range`` on times) fails.
- ``condition`` and ``duplicates``: every row. A condition fails a row when
  it is false; where it is undefined (a null operand) the row passes, as a
  SQL ``CHECK`` constraint does: nulls are the ``missing`` check's business.

Statistic checks (``mean``, ``stddev``, ``quantile``) measure one number
over the present values and pass when it lies within ``[min, max]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from typing import Literal as Choice

__all__ = [
    "CHECK_KINDS", "FORMATS", "Arithmetic", "CheckPlan", "Column", "ColumnCheck", "Compare",
    "ConditionCheck", "DuplicateCheck", "Literal", "Logic", "Not", "QualityResult", "RowNode",
    "SchemaCheck", "SqlCheck", "Tolerance",
]

ColumnCheckKind = Choice[
    "missing", "range", "allowed", "pattern", "format", "length", "unique", "mean", "stddev",
    "quantile", "type",
]
CHECK_KINDS: tuple[str, ...] = (
    "missing", "range", "allowed", "pattern", "format", "length", "unique", "mean", "stddev",
    "quantile", "type", "condition", "duplicates", "schema", "sql",
)
"""Every check kind a ``quality:`` block may hold, as results name them in ``check``."""

STATISTIC_KINDS = frozenset({"mean", "stddev", "quantile"})
"""Column checks that measure one number rather than count failing rows."""

FORMATS: Mapping[str, str] = {
    "email": r"^[^@ \t\r\n]+@[^@ \t\r\n]+\.[^@ \t\r\n]+$",
    "uuid": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "iso_date": r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$",
    "url": r"^[A-Za-z][A-Za-z0-9+.-]*://[^ \t\r\n/?#]+[^ \t\r\n]*$",
    "phone": r"^\+?[0-9][0-9 ().-]{5,}[0-9]$",
}
"""Named formats and their regular expressions: the subset that Python's ``re``, RE2,
PostgreSQL's ``~`` and MariaDB's ``REGEXP`` read alike (no ``\\d``, ``\\s`` or look-around)."""

MAX_SAMPLES = 10
"""The most failing values a result keeps."""


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How many failing rows a check allows: a share, a count, or (neither) none."""

    max_share: float | None = None
    max_rows: int | None = None

    def allows(self, failing: int, considered: int) -> bool:
        """Whether ``failing`` rows out of ``considered`` are within the tolerance."""
        if self.max_rows is not None:
            return failing <= self.max_rows
        if self.max_share is not None:
            return considered == 0 or failing / considered <= self.max_share
        return failing == 0

    @property
    def limit(self) -> float:
        """The number results report as ``limit`` (a share, or a count with ``max_rows``)."""
        if self.max_rows is not None:
            return float(self.max_rows)
        return self.max_share if self.max_share is not None else 0.0

    @property
    def unit(self) -> Choice["share", "rows"]:
        """What ``limit`` counts."""
        return "rows" if self.max_rows is not None else "share"


@dataclass(frozen=True, slots=True)
class ColumnCheck:
    """One check of one column.

    Attributes:
        kind: the check (see ``ColumnCheckKind``).
        column: the column it reads.
        tolerance: failing rows allowed (row checks only).
        minimum, maximum: bounds of ``range`` (numbers, or ISO times for a
            datetime column), ``length`` (characters), ``mean``, ``stddev``
            and ``quantile``; None is unbounded.
        values: the ``allowed`` values (numbers compared as numbers, text as text).
        regex: the pattern a present value must match (``re.search``
            semantics: anchor with ``^``/``$``), for ``pattern`` and ``format``.
        format: the format's name for ``format`` checks.
        quantile: the quantile (0 to 1) of ``quantile`` checks, linear interpolation.
        kind_of: the kind values must be read as, for ``type`` (None: the reference's).
    """

    kind: ColumnCheckKind
    column: str
    tolerance: Tolerance = Tolerance()
    minimum: float | str | None = None
    maximum: float | str | None = None
    values: tuple[float | str | bool, ...] = ()
    regex: str | None = None
    format: str | None = None
    quantile: float | None = None
    kind_of: str | None = None

    @property
    def key(self) -> str:
        """The name ``when:`` conditions read it by: ``email.pattern``, ``age.quantile``."""
        return f"{self.column}.{self.kind}"


# --- row expressions: what a ``condition`` compiles to ---------------------------------------


class RowNode:
    """A node of a row condition's tree; evaluated per row locally, compiled to SQL in place."""

    __slots__ = ()

    def children(self) -> tuple[RowNode, ...]:
        """The operand nodes."""
        return ()

    def columns(self) -> frozenset[str]:
        """Every column the node reads."""
        found: set[str] = set()
        for child in self.children():
            found |= child.columns()
        return frozenset(found)


@dataclass(frozen=True, slots=True)
class Column(RowNode):
    """A column's value in the row."""

    name: str

    def columns(self) -> frozenset[str]:
        return frozenset({self.name})


@dataclass(frozen=True, slots=True)
class Literal(RowNode):
    """A number, truth value or text written in the condition."""

    value: float | bool | str


@dataclass(frozen=True, slots=True)
class Arithmetic(RowNode):
    """``+ - * /`` of two numbers; a division by zero is undefined (null)."""

    op: str
    left: RowNode
    right: RowNode

    def children(self) -> tuple[RowNode, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Compare(RowNode):
    """A chain of comparisons (``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``)."""

    operands: tuple[RowNode, ...]
    ops: tuple[str, ...]

    def children(self) -> tuple[RowNode, ...]:
        return self.operands


@dataclass(frozen=True, slots=True)
class Not(RowNode):
    """``not``: undefined stays undefined."""

    operand: RowNode

    def children(self) -> tuple[RowNode, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Logic(RowNode):
    """``and`` / ``or`` by Kleene's rules, as SQL does."""

    op: str
    operands: tuple[RowNode, ...]

    def children(self) -> tuple[RowNode, ...]:
        return self.operands


@dataclass(frozen=True, slots=True)
class ConditionCheck:
    """A named row-level condition over columns; rows where it is false fail."""

    name: str
    expression: RowNode
    text: str
    tolerance: Tolerance = Tolerance()


@dataclass(frozen=True, slots=True)
class DuplicateCheck:
    """Rows beyond the first of each repeated combination of ``columns`` fail (nulls equal)."""

    columns: tuple[str, ...]
    tolerance: Tolerance = Tolerance()

    @property
    def name(self) -> str:
        """The result's name: the columns joined by commas."""
        return ",".join(self.columns)


@dataclass(frozen=True, slots=True)
class SchemaCheck:
    """Columns that must be there, and whether columns outside ``required`` and ``optional``
    may be (a column's kind is checked by a ``type`` check)."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    allow_extra: bool = True


@dataclass(frozen=True, slots=True)
class SqlCheck:
    """A named query run against a SQL source with ``:start``/``:end`` bound to the window.

    ``returns="value"``: the query's single number must lie within ``[minimum,
    maximum]``. ``returns="rows"``: the query selects failing rows, and their
    count must stay within ``tolerance.max_rows`` (none by default).
    """

    name: str
    query: str
    returns: Choice["value", "rows"] = "value"
    minimum: float | None = None
    maximum: float | None = None
    tolerance: Tolerance = Tolerance()


@dataclass(frozen=True, slots=True)
class CheckPlan:
    """Every check of one monitor (or one ``--checks`` file).

    ``missing_values`` lists, per column, values that count as missing besides
    null and NaN (``''``, ``'N/A'``, ``-1``). ``sensitive`` columns never keep
    samples of failing values; ``samples=False`` keeps none for any column.
    """

    columns: tuple[ColumnCheck, ...] = ()
    conditions: tuple[ConditionCheck, ...] = ()
    duplicates: tuple[DuplicateCheck, ...] = ()
    schema: SchemaCheck | None = None
    sql: tuple[SqlCheck, ...] = ()
    missing_values: Mapping[str, tuple[float | str | bool, ...]] = field(default_factory=dict)
    sensitive: frozenset[str] = frozenset()
    samples: bool = True

    def __bool__(self) -> bool:
        return bool(self.columns or self.conditions or self.duplicates or self.schema
                    or self.sql)

    def keeps_samples(self, column: str | None) -> bool:
        """Whether failing values of ``column`` may be kept in results."""
        return self.samples and (column is None or column not in self.sensitive)

    def read_columns(self) -> frozenset[str]:
        """Every column some row check reads (what a pulled read must fetch)."""
        names = {c.column for c in self.columns}
        for condition in self.conditions:
            names |= condition.expression.columns()
        for duplicate in self.duplicates:
            names |= set(duplicate.columns)
        return frozenset(names)


@dataclass(frozen=True, slots=True)
class QualityResult:
    """The outcome of one check (``column`` is None for dataset checks).

    ``value`` is the failing share for row checks and the measured number for
    the others; ``threshold`` the limit (a share, or a count when ``unit`` is
    ``rows``); ``failing_rows`` the exact count of failing rows where the check
    counts rows; ``samples`` up to ten failing values, as text; ``name`` names
    checks that have no single column (conditions, duplicates, SQL).
    ``bounds`` are a statistic check's ``[min, max]``.
    """

    check: str
    column: str | None
    value: float
    threshold: float | None
    passed: bool
    failing_rows: int | None = None
    samples: tuple[str, ...] = ()
    name: str | None = None
    unit: Choice["share", "rows"] = "share"
    bounds: tuple[float | str | None, float | str | None] | None = None
    note: str | None = None
    """A word on how it was computed, such as "computed locally: no regular expressions in
    this database"."""

    @property
    def key(self) -> str:
        """The name ``when:`` conditions read it by: ``email.pattern``, or a condition's name."""
        if self.name is not None:
            return self.name
        return self.check if self.column is None else f"{self.column}.{self.check}"

    def to_dict(self) -> dict[str, Any]:
        """The item of the ``quality`` list in JSON documents; non-finite numbers become null.

        Keys always there: ``check``, ``column``, ``value``, ``failing_rows``,
        ``limit``, ``passed``; ``name``, ``unit`` (``rows`` when ``limit``
        counts rows), ``min``/``max``, ``samples`` and ``note`` when they apply.
        """
        item: dict[str, Any] = {
            "check": self.check, "column": self.column, "value": _finite(self.value),
            "failing_rows": self.failing_rows, "limit": _finite(self.threshold),
            "passed": self.passed,
        }
        if self.name is not None:
            item["name"] = self.name
        if self.unit != "share":
            item["unit"] = self.unit
        if self.bounds is not None:
            item["min"], item["max"] = (b if isinstance(b, str) else _finite(b)
                                        for b in self.bounds)
        if self.samples:
            item["samples"] = list(self.samples)
        if self.note:
            item["note"] = self.note
        return item


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
