"""A ``quality:`` block as the ``CheckPlan`` both engines run (``monitor.checks``)."""

from __future__ import annotations

from monitor.checks.plan import (
    FORMATS,
    CheckPlan,
    ColumnCheck,
    ConditionCheck,
    DuplicateCheck,
    SchemaCheck,
    SqlCheck,
    Tolerance,
)
from monitor.rules.checks import QualitySpec
from monitor.rules.conditions import parse_condition
from monitor.rules.quality import ColumnChecksSpec, RowLimit

__all__ = ["check_plan"]


def check_plan(quality: QualitySpec, *, known: tuple[str, ...] = ()) -> CheckPlan:
    """The checks of a ``quality:`` block; ``known`` columns (the timestamp) join a schema's
    allowed ones."""
    checks = [c for name, spec in quality.columns.items() for c in _column_checks(name, spec)]
    schema = quality.schema_
    if schema is not None:
        checks += [ColumnCheck("type", name, kind_of=kind) for name, kind in schema.kinds.items()]
    return CheckPlan(
        columns=tuple(checks),
        conditions=tuple(
            ConditionCheck(c.name, parse_condition(c.condition), c.condition, _tolerance(c))
            for c in quality.conditions),
        duplicates=tuple(DuplicateCheck(tuple(d.columns), _tolerance(d))
                         for d in quality.duplicates),
        schema=None if schema is None else SchemaCheck(
            tuple(schema.required), tuple(dict.fromkeys([*schema.optional, *known])),
            schema.allow_extra),
        sql=tuple(SqlCheck(s.name, s.query, s.returns, s.min, s.max, _tolerance(s))
                  for s in quality.sql),
        missing_values={name: tuple(spec.missing.values) for name, spec in quality.columns.items()
                        if spec.missing is not None and spec.missing.values},
        sensitive=frozenset(name for name, spec in quality.columns.items() if spec.sensitive),
        samples=quality.samples,
    )


def _tolerance(limit: RowLimit) -> Tolerance:
    return Tolerance(limit.max_share, limit.max_rows)


def _column_checks(name: str, spec: ColumnChecksSpec) -> list[ColumnCheck]:
    found = []
    if spec.missing is not None:
        found.append(ColumnCheck("missing", name, _tolerance(spec.missing)))
    if spec.range is not None:
        found.append(ColumnCheck("range", name, _tolerance(spec.range), spec.range.min,
                                 spec.range.max))
    if spec.allowed is not None:
        found.append(ColumnCheck("allowed", name, _tolerance(spec.allowed),
                                 values=tuple(spec.allowed.values)))
    if spec.pattern is not None:
        found.append(ColumnCheck("pattern", name, _tolerance(spec.pattern),
                                 regex=spec.pattern.regex))
    if spec.format is not None:
        found.append(ColumnCheck("format", name, _tolerance(spec.format),
                                 regex=FORMATS[spec.format.name], format=spec.format.name))
    if spec.length is not None:
        found.append(ColumnCheck("length", name, _tolerance(spec.length), spec.length.min,
                                 spec.length.max))
    if spec.unique is not None:
        found.append(ColumnCheck("unique", name, _tolerance(spec.unique)))
    if spec.mean is not None:
        found.append(ColumnCheck("mean", name, minimum=spec.mean.min, maximum=spec.mean.max))
    if spec.stddev is not None:
        found.append(ColumnCheck("stddev", name, minimum=spec.stddev.min,
                                 maximum=spec.stddev.max))
    quantiles = spec.quantile if isinstance(spec.quantile, list) else [spec.quantile]
    found += [ColumnCheck("quantile", name, minimum=q.min, maximum=q.max, quantile=q.q)
              for q in quantiles if q is not None]
    if spec.type is not None:
        found.append(ColumnCheck("type", name, _tolerance(spec.type), kind_of=spec.type.kind))
    return found
