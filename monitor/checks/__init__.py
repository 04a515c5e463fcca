"""Data-quality checks that operators write per column, across columns and as SQL.

``plan`` holds what to check (compiled from a rule file's ``quality:`` block
by ``monitor.rules``); ``local`` computes the checks over a window's chunks in
the same pass as its profile; ``monitor.sources.pushdown.checks`` computes
them as SQL aggregates inside the database. Both give ``QualityResult``s.

Pure (numpy and pandas on chunks): it imports the profiles and the foundation
only, never the rules, sources, store or anything above them.
"""

from monitor.checks.local import CheckAccumulator
from monitor.checks.plan import (
    CHECK_KINDS,
    FORMATS,
    Arithmetic,
    CheckPlan,
    Column,
    ColumnCheck,
    Compare,
    ConditionCheck,
    DuplicateCheck,
    Literal,
    Logic,
    Not,
    QualityResult,
    RowNode,
    SchemaCheck,
    SqlCheck,
    Tolerance,
)
from monitor.checks.rows import failing_mask

__all__ = [
    "CHECK_KINDS", "FORMATS", "Arithmetic", "CheckAccumulator", "CheckPlan", "Column",
    "ColumnCheck", "Compare",
    "ConditionCheck", "DuplicateCheck", "Literal", "Logic", "Not", "QualityResult", "RowNode",
    "SchemaCheck", "SqlCheck", "Tolerance", "failing_mask",
]
