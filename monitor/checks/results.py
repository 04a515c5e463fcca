"""Results both engines build alike: a row check's from its counts, the schema check's."""

from __future__ import annotations

from collections.abc import Collection

from monitor.checks.plan import STATISTIC_KINDS, CheckPlan, ColumnCheck, QualityResult, Tolerance

__all__ = ["absent_result", "row_result", "schema_results"]


def row_result(check: str, column: str | None, failing: int, considered: int,
               tolerance: Tolerance, samples: tuple[str, ...] = (),
               name: str | None = None) -> QualityResult:
    """A row check's result: its failing share of the rows it considers (0 when none)."""
    return QualityResult(
        check=check, column=column, value=failing / considered if considered else 0.0,
        threshold=tolerance.limit, passed=tolerance.allows(failing, considered),
        failing_rows=failing, samples=samples, name=name, unit=tolerance.unit)


def schema_results(plan: CheckPlan, seen: Collection[str]) -> list[QualityResult]:
    """The schema check over the columns seen: one failing result per absent required column
    and per column not allowed, else one passing result."""
    schema = plan.schema
    assert schema is not None
    out = [QualityResult(check="schema", column=name, value=1.0, threshold=None, passed=False,
                         note="required column is missing")
           for name in schema.required if name not in seen]
    if not schema.allow_extra:
        known = {*schema.required, *schema.optional}
        out += [QualityResult(check="schema", column=name, value=1.0, threshold=None,
                              passed=False, note="column not allowed")
                for name in seen if name not in known]
    return out or [QualityResult(check="schema", column=None, value=0.0, threshold=0.0,
                                 passed=True)]


def absent_result(check: ColumnCheck) -> QualityResult:
    """A check on a column the data does not have: failed, with a note that says so."""
    statistic = check.kind in STATISTIC_KINDS
    return QualityResult(
        check=check.kind, column=check.column, value=float("nan") if statistic else 1.0,
        threshold=None if statistic else check.tolerance.limit, passed=False,
        unit=check.tolerance.unit, bounds=(check.minimum, check.maximum) if statistic else None,
        note=f"column '{check.column}' is not in the data")
