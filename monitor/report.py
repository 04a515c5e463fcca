"""Reports of a comparison: a plain-text table for a terminal, the JSON document, an HTML page.

The table lists each column's test, then the multivariate tests and model
metrics when there are any, then the failed quality checks. The HTML page
shows the same, self-contained (no script, no external style), to attach to
a ticket or serve as a static file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

from monitor.compare import Comparison
from monitor.quality import QualityResult

__all__ = ["render_html", "render_json", "render_table"]

_HEADERS = ("column", "kind", "method", "statistic", "p-value", "threshold", "effect", "drifted")
_MULTIVARIATE = ("method", "statistic", "p-value", "threshold", "drifted")
_QUALITY = ("check", "column", "value", "limit", "passed")
_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1a1a1a; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { padding: 0.25rem 0.75rem; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #fde8e8; }
.verdict { font-size: 1.2rem; font-weight: 600; }
"""


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
        lines += ["", *_table(_HEADERS, _column_rows(comparison))]
    if comparison.multivariate:
        lines += ["", "Multivariate (numeric columns together):",
                  *("  " + line for line in _table(_MULTIVARIATE, _multivariate_rows(comparison)))]
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


def render_html(comparison: Comparison, reference_source: str, current_source: str) -> str:
    """A self-contained HTML page of the comparison."""
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Drift report: {escape(current_source)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Drift report</h1>",
        _html_table(("", "source", "rows"), [
            ("reference", reference_source, f"{comparison.reference_rows:,}"),
            ("current", current_source, f"{comparison.current_rows:,}")]),
        f'<p class="verdict">{escape(_headline(comparison))}</p>',
    ]
    if comparison.columns:
        bad = [c.drifted for c in comparison.columns]
        parts += ["<h2>Columns</h2>", _html_table(_HEADERS, _column_rows(comparison), bad)]
    if comparison.multivariate:
        bad = [m.drifted for m in comparison.multivariate]
        parts += ["<h2>Multivariate</h2>",
                  _html_table(_MULTIVARIATE, _multivariate_rows(comparison), bad)]
    if comparison.performance:
        parts += ["<h2>Model performance</h2>", _html_table(
            ("metric", "value"),
            [(name, _number(value)) for name, value in comparison.performance.items()])]
    quality = comparison.quality
    rows = [(q.check, q.column or "(dataset)", _number(q.value), _limit(q),
             "yes" if q.passed else "FAILED") for q in quality]
    parts += ["<h2>Data quality</h2>", _html_table(_QUALITY, rows, [not q.passed for q in quality])]
    if comparison.extra_columns:
        parts.append(f"<p>Extra columns (not in the reference): "
                     f"{escape(', '.join(comparison.extra_columns))}</p>")
    return "\n".join([*parts, "</body></html>"]) + "\n"


def _column_rows(comparison: Comparison) -> list[tuple[str, ...]]:
    return [
        (c.column, c.kind, c.method, _number(c.statistic), _number(c.p_value),
         _number(c.threshold), _number(c.effect_size), "DRIFTED" if c.drifted else "no")
        for c in comparison.columns
    ]


def _multivariate_rows(comparison: Comparison) -> list[tuple[str, ...]]:
    return [(m.method, _number(m.statistic), _number(m.p_value), _number(m.threshold),
             "DRIFTED" if m.drifted else "no") for m in comparison.multivariate]


def _html_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], bad: Sequence[bool] = ()
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cells = "".join(
            f'<td class="n">{escape(v)}</td>' if _is_number(v) else f"<td>{escape(v)}</td>"
            for v in row)
        marked = ' class="bad"' if i < len(bad) and bad[i] else ""
        body.append(f"<tr{marked}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _is_number(text: str) -> bool:
    return bool(text) and text.lstrip("-<=> ").replace(",", "").replace(".", "", 1).replace(
        "e-", "", 1).replace("e+", "", 1).isdigit()


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
