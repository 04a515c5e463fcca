"""A comparison as a self-contained HTML page: no script, no external style.

It shows what the terminal table shows, to attach to a ticket or serve as a
static file; every name and value is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from monitor.report.text import (
    COLUMN_HEADERS,
    MULTIVARIATE_HEADERS,
    QUALITY_HEADERS,
    column_rows,
    format_number,
    headline,
    limit_text,
    multivariate_rows,
)

if TYPE_CHECKING:
    from monitor.analysis import Comparison

__all__ = ["render_html"]

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1a1a1a; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { padding: 0.25rem 0.75rem; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #fde8e8; }
.verdict { font-size: 1.2rem; font-weight: 600; }
"""


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
        f'<p class="verdict">{escape(headline(comparison))}</p>',
    ]
    if comparison.columns:
        bad = [c.drifted for c in comparison.columns]
        parts += ["<h2>Columns</h2>", _html_table(COLUMN_HEADERS, column_rows(comparison), bad)]
    if comparison.multivariate:
        bad = [m.drifted for m in comparison.multivariate]
        parts += ["<h2>Multivariate</h2>",
                  _html_table(MULTIVARIATE_HEADERS, multivariate_rows(comparison), bad)]
    if comparison.performance:
        parts += ["<h2>Model performance</h2>", _html_table(
            ("metric", "value"),
            [(name, format_number(value)) for name, value in comparison.performance.items()])]
    quality = comparison.quality
    rows = [(q.check, q.column or "(dataset)", format_number(q.value), limit_text(q),
             "yes" if q.passed else "FAILED") for q in quality]
    failed = [not q.passed for q in quality]
    parts += ["<h2>Data quality</h2>", _html_table(QUALITY_HEADERS, rows, failed)]
    if comparison.extra_columns:
        parts.append(f"<p>Extra columns (not in the reference): "
                     f"{escape(', '.join(comparison.extra_columns))}</p>")
    return "\n".join([*parts, "</body></html>"]) + "\n"


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


