"""Reports of a comparison: a plain-text table for a terminal, and the JSON document.

The table lists each column's test, then the multivariate tests and model
metrics when there are any, then the failed quality checks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from monitor.compare import Comparison
from monitor.quality import QualityResult

__all__ = ["render_json", "render_table"]

_HEADERS = ("column", "kind", "method", "statistic", "p-value", "threshold", "effect", "drifted")


def render_json(comparison: Comparison, reference_source: str, current_source: str) -> str:
    """The ``monitor compare --format json`` document, indented by 2."""
    document = comparison.to_dict(reference_source, current_source)
    return json.dumps(document, indent=2, allow_nan=False)


def render_table(comparison: Comparison, reference_source: str, current_source: str) -> str:
    """A summary an operator reads in a terminal: rows, drift per column, failed checks."""
    width = max(len(reference_source), len(current_source))
    lines = [
        f"Reference  {reference_source:<{width}}  {comparison.reference_rows:>12,} rows",
        f"Current    {current_source:<{width}}  {comparison.current_rows:>12,} rows",
        "",
        _headline(comparison),
    ]
    if comparison.columns:
        rows = [
            (c.column, c.kind, c.method, _number(c.statistic), _number(c.p_value),
             _number(c.threshold), _number(c.effect_size), "DRIFTED" if c.drifted else "no")
            for c in comparison.columns
        ]
        lines += ["", *_table(_HEADERS, rows)]
    if comparison.multivariate:
        rows = [(m.method, _number(m.statistic), _number(m.p_value), _number(m.threshold),
                 "DRIFTED" if m.drifted else "no") for m in comparison.multivariate]
        lines += ["", "Multivariate (numeric columns together):",
                  *("  " + line for line in _table(
                      ("method", "statistic", "p-value", "threshold", "drifted"), rows))]
    if comparison.performance:
        shown = ", ".join(f"{name} {_number(value)}"
                          for name, value in comparison.performance.items())
        lines += ["", f"Model performance: {shown}"]
    lines += ["", *_quality_lines(comparison.quality)]
    if comparison.extra_columns:
        lines.append(
            f"Extra columns (not in the reference): {', '.join(comparison.extra_columns)}"
        )
    return "\n".join(lines) + "\n"


def _headline(comparison: Comparison) -> str:
    compared = len(comparison.columns)
    if compared == 0:
        return "No column compared for drift (no rows, or no column with values on both sides)."
    drifted = len(comparison.drifted_columns)
    verdict = "yes" if comparison.dataset_drift else "no"
    return (
        f"{drifted} of {compared} columns drifted "
        f"(drift share {comparison.drift_share:.1%}); dataset drift: {verdict}"
    )


def _quality_lines(results: Sequence[QualityResult]) -> list[str]:
    failed = [q for q in results if not q.passed]
    passed = len(results) - len(failed)
    if not failed:
        return [f"Quality checks: all {passed} passed."]
    lines = [f"Quality checks: {len(failed)} failed, {passed} passed. Failed:"]
    rows = [
        (q.check, q.column or "(dataset)", _number(q.value), _limit(q))
        for q in failed
    ]
    lines += ["  " + line for line in _table(("check", "column", "value", "limit"), rows)]
    return lines


def _limit(result: QualityResult) -> str:
    if result.threshold is None:
        return "-"
    sign = ">=" if result.check == "min_rows" else "<="
    return f"{sign} {_number(result.threshold)}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _number(value: float | None) -> str:
    if value is None or value != value:
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    if abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"
