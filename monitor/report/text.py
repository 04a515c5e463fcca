"""A comparison as text: the table an operator reads in a terminal, and the JSON document.

The table lists each column's test, then the multivariate tests and model
metrics when there are any, then the failed quality checks. The number
formatting, the verdict sentence and the limits here are shared with the HTML
report (``report.page``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: the table helpers serve commands that load no statistics
    from monitor.analysis import Comparison, QualityResult

__all__ = [
    "COLUMN_HEADERS",
    "MULTIVARIATE_HEADERS",
    "QUALITY_HEADERS",
    "column_rows",
    "format_limit",
    "format_number",
    "format_table",
    "headline",
    "limit_text",
    "multivariate_rows",
    "render_json",
    "render_table",
    "samples_text",
    "verdict",
]

COLUMN_HEADERS = ("column", "kind", "method", "statistic", "p-value", "threshold", "effect",
                  "drifted")
MULTIVARIATE_HEADERS = ("method", "statistic", "p-value", "threshold", "drifted")
EMBEDDING_HEADERS = ("embedding", "dimension", *MULTIVARIATE_HEADERS)
QUALITY_HEADERS = ("check", "column", "value", "limit", "passed")


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
        headline(comparison),
    ]
    if comparison.columns:
        lines += ["", *format_table(COLUMN_HEADERS, column_rows(comparison))]
    if comparison.multivariate:
        lines += ["", "Multivariate (numeric columns together):",
                  *("  " + line for line in format_table(MULTIVARIATE_HEADERS,
                                                         multivariate_rows(comparison)))]
    if comparison.embeddings:
        rows = [(e.embedding, str(e.dimension), e.method, format_number(e.statistic),
                 format_number(e.p_value), format_number(e.threshold),
                 "DRIFTED" if e.drifted else "no") for e in comparison.embeddings]
        lines += ["", "Embeddings (vectors):",
                  *("  " + line for line in format_table(EMBEDDING_HEADERS, rows))]
    if comparison.texts:
        lines += _text_lines(comparison)
    if comparison.performance:
        shown = ", ".join(f"{name} {format_number(value)}"
                          for name, value in comparison.performance.items())
        lines += ["", f"Model performance: {shown}"]
    if comparison.estimated is not None and comparison.estimated.metrics:
        estimate = comparison.estimated
        shown = ", ".join(f"{name} {format_number(b.value)} [{format_number(b.lower)}, "
                          f"{format_number(b.upper)}]" for name, b in estimate.metrics.items())
        lines += ["", f"Estimated performance ({estimate.method.upper()}, 95 % band, "
                  f"{estimate.rows} rows, no labels needed): {shown}"]
    lines += ["", *_quality_lines(comparison.quality)]
    if comparison.extra_columns:
        lines.append(
            f"Extra columns (not in the reference): {', '.join(comparison.extra_columns)}"
        )
    return "\n".join(lines) + "\n"


def column_rows(comparison: Comparison) -> list[tuple[str, ...]]:
    """One row of ``COLUMN_HEADERS`` cells per compared column."""
    return [
        (c.column, c.kind, c.method, format_number(c.statistic), format_number(c.p_value),
         format_number(c.threshold), format_number(c.effect_size), "DRIFTED" if c.drifted else "no")
        for c in comparison.columns
    ]


def multivariate_rows(comparison: Comparison) -> list[tuple[str, ...]]:
    """One row of ``MULTIVARIATE_HEADERS`` cells per multivariate test."""
    return [(m.method, format_number(m.statistic), format_number(m.p_value),
             format_number(m.threshold),
             "DRIFTED" if m.drifted else "no") for m in comparison.multivariate]


def headline(comparison: Comparison) -> str:
    """The verdict in one sentence: columns drifted, drift share, dataset drift."""
    return verdict(len(comparison.columns), len(comparison.drifted_columns),
                   comparison.drift_share, comparison.dataset_drift)


def verdict(compared: int, drifted: int, share: float | None, dataset_drift: bool) -> str:
    """``headline`` from the numbers (a report document holds them, not a ``Comparison``).

    >>> verdict(4, 1, 0.25, False)
    '1 of 4 columns drifted (drift share 25.0%); dataset drift: no'
    """
    if compared == 0:
        return "No column compared for drift (no rows, or no column with values on both sides)."
    shown = "-" if share is None else f"{share:.1%}"
    return (f"{drifted} of {compared} columns drifted (drift share {shown}); "
            f"dataset drift: {'yes' if dataset_drift else 'no'}")


def _quality_lines(results: Sequence[QualityResult]) -> list[str]:
    failed = [q for q in results if not q.passed]
    passed = len(results) - len(failed)
    if not failed:
        return [f"Quality checks: all {passed} passed."]
    lines = [f"Quality checks: {len(failed)} failed, {passed} passed. Failed:"]
    rows = [
        (q.check, q.name or q.column or "(dataset)", format_number(q.value), limit_text(q),
         "-" if q.failing_rows is None else f"{q.failing_rows:,}", samples_text(q.samples))
        for q in failed
    ]
    headers = ("check", "column", "value", "limit", "failing rows", "failing values")
    lines += ["  " + line for line in format_table(headers, rows)]
    lines += [f"  {q.key}: {q.note}" for q in failed if q.note]
    return lines


def samples_text(samples: Sequence[str], width: int = 60) -> str:
    """Failing values quoted and joined, cut to ``width`` characters; ``-`` without any.

    >>> samples_text(["N/A", "bob@"])
    "'N/A', 'bob@'"
    """
    if not samples:
        return "-"
    text = ", ".join(repr(str(s)) for s in samples)
    return text if len(text) <= width else text[:width - 3] + "..."


def limit_text(result: QualityResult) -> str:
    """A quality check's limit as ``<= 0.05`` (``>=`` for ``min_rows``), ``-`` without one."""
    return format_limit(result.check, result.threshold, result.unit, result.bounds)


def format_limit(check: str, threshold: float | None, unit: str = "share",
                 bounds: Sequence[object] | None = None) -> str:
    """``limit_text`` from a check's name and threshold (as a report document holds them).

    >>> format_limit("min_rows", 500.0), format_limit("missing_share", 0.05)
    ('>= 500', '<= 0.05')
    >>> format_limit("unique", 3.0, "rows"), format_limit("mean", None, bounds=(1.0, None))
    ('<= 3 rows', '>= 1')
    """
    if bounds is not None:
        low, high = (_bound(b) for b in bounds)
        if low is not None and high is not None:
            return f"{low} to {high}"
        return f">= {low}" if low is not None else f"<= {high}"
    if threshold is None:
        return "-"
    sign = ">=" if check == "min_rows" else "<="
    return f"{sign} {format_number(threshold)}" + (" rows" if unit == "rows" else "")


def _bound(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return format_number(float(value)) if isinstance(value, int | float) else str(value)


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, rule: bool = True
) -> list[str]:
    """Lines of a table with columns padded to their widest cell; ``rule`` underlines the header.

    >>> print("\\n".join(format_table(("a", "bb"), [("1", "2")])))
    a  bb
    -  --
    1  2
    """
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    underline = [line(["-" * w for w in widths])] if rule else []
    return [line(headers), *underline, *(line(r) for r in rows)]


def _text_lines(comparison: Comparison) -> list[str]:
    """Each text column's tests, then the words that moved (``report.texts``)."""
    from monitor.report.texts import TEST_HEADERS, WORD_HEADERS, text_sections  # it uses ours

    lines = []
    for section in text_sections({"texts": [t.to_dict() for t in comparison.texts]}):
        state = "DRIFTED" if section.drifted else "no drift"
        lines += ["", f"Text {section.column} ({section.documents}): {state}",
                  *("  " + line for line in format_table(TEST_HEADERS,
                                                         [c for c, _ in section.tests]))]
        if section.words:
            lines += [f"  {section.words_title}:",
                      *("  " + line for line in format_table(WORD_HEADERS, section.words))]
    return lines


def format_number(value: float | None) -> str:
    """A number for a table: 4 significant digits, thousands separated, ``-`` for none or NaN.

    >>> [format_number(v) for v in (None, 0.0, 0.04213, 123456.0, 0.00001234)]
    ['-', '0', '0.04213', '123,456', '1.23e-05']
    """
    if value is None or value != value:
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    if abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"
