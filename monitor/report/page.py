"""What the report page shows, read from a report document: the summary, column cards, tables.

``report_page`` turns the JSON document (``monitor.analysis.report_document``,
or a stored one) into plain values the template prints: texts already
formatted, charts already drawn, rows already sorted. It reads the document
with ``.get`` throughout, so an older or partial document (one without
``distributions``, say) renders with less, never fails. The column cards
come drifted first, then by effect size (largest first, none last); each has
the anchor ``column_anchor(name)``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from monitor.report.charts import category_bars, histogram_overlay
from monitor.report.svg import clean, percent, safe_href
from monitor.report.text import format_limit, format_number, samples_text, verdict

__all__ = ["Card", "Page", "ReportLinks", "column_anchor", "report_page"]

_PLAIN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DISTANCES = (("psi", "PSI"), ("jensenshannon", "Jensen–Shannon"), ("hellinger", "Hellinger"),
              ("wasserstein", "Wasserstein"))
_SHOWN_SEGMENT_COLUMNS = 8


@dataclass(frozen=True, slots=True)
class ReportLinks:
    """Addresses the page links to (the console's); each optional, only relative or http(s).

    Attributes:
        monitor: the monitor's page, shown as ``monitor_label``.
        previous, next: the runs before and after this one.
        json: this document as JSON.
        columns: per column name, the page of its history.
    """

    monitor: str | None = None
    monitor_label: str = "monitor"
    previous: str | None = None
    next: str | None = None
    json: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Card:
    """One compared column: its verdict, chart and numbers."""

    name: str
    anchor: str
    kind: str
    drifted: bool
    chart: Markup | None
    stats: tuple[tuple[str, str], ...]
    history: str | None


@dataclass(frozen=True, slots=True)
class Page:
    """Everything the template prints, formatted; ``nav`` holds (label, href) pairs."""

    title: str
    headline: str
    drifted: bool
    summary: tuple[tuple[str, str, bool], ...]
    cards: tuple[Card, ...]
    quality: tuple[tuple[tuple[str, ...], bool], ...]
    multivariate: tuple[tuple[tuple[str, ...], bool], ...]
    performance: tuple[tuple[str, str], ...]
    segments: tuple[tuple[tuple[str, ...], bool], ...]
    extra_columns: tuple[str, ...]
    nav: tuple[tuple[str, str], ...]


def column_anchor(name: str) -> str:
    """The id of a column's card: ``col-NAME`` for plain names, else a slug and a digest.

    Stable across runs, valid as an HTML id and a URL fragment, and distinct
    for distinct names (the digest tells apart names with the same slug).

    >>> column_anchor("age"), column_anchor("Größe (cm)"), column_anchor("<img src=x>")
    ('col-age', 'col-groe-cm--ac079a78', 'col-img-src-x--16c555b9')
    """
    if _PLAIN.fullmatch(name):
        return f"col-{name}"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40]
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"col-{slug}--{digest}" if slug else f"col--{digest}"


def report_page(document: Mapping[str, Any], *, title: str | None = None,
                links: ReportLinks | None = None) -> Page:
    """The page of a report document (see the module docstring)."""
    reference, current = _mapping(document, "reference"), _mapping(document, "current")
    columns = [c for c in _list(document, "columns") if isinstance(c, Mapping)]
    drifted = sum(bool(c.get("drifted")) for c in columns)
    share = clean(document.get("drift_share"))
    dataset_drift = bool(document.get("dataset_drift"))
    quality = [q for q in _list(document, "quality") if isinstance(q, Mapping)]
    failed = sum(not q.get("passed", True) for q in quality)
    shown_links = links or ReportLinks()
    summary = [
        ("Reference", _side(reference), False),
        ("Current", _side(current), False),
        ("Drifted columns", f"{drifted} of {len(columns)}", drifted > 0),
        ("Drift share", "-" if share is None else f"{share:.1%}", dataset_drift),
        ("Dataset drift", "yes" if dataset_drift else "no", dataset_drift),
        ("Quality checks failed", f"{failed} of {len(quality)}", failed > 0),
    ]
    performance = _performance(document)
    if performance:
        summary.append(("Model performance", ", ".join(f"{k} {v}" for k, v in performance),
                        False))
    distributions = _mapping(document, "distributions")
    return Page(
        title=title or f"Drift report: {current.get('source', '')}",
        headline=verdict(len(columns), drifted, share, dataset_drift),
        drifted=dataset_drift,
        summary=tuple(summary),
        cards=tuple(_card(c, distributions.get(str(c.get("column"))), shown_links)
                    for c in sorted(columns, key=_card_order)),
        quality=tuple(_quality_row(q) for q in sorted(quality, key=lambda q: bool(
            q.get("passed", True)))),
        multivariate=tuple(_multivariate_row(m) for m in _list(document, "multivariate")
                           if isinstance(m, Mapping)),
        performance=tuple(performance),
        segments=_segment_rows(_list(document, "segments")),
        extra_columns=tuple(str(c) for c in _list(document, "extra_columns")),
        nav=_nav(shown_links),
    )


def _card_order(column: Mapping[str, Any]) -> tuple[bool, bool, float]:
    effect = clean(column.get("effect_size"))
    return (not column.get("drifted"), effect is None, -(effect or 0.0))


def _card(column: Mapping[str, Any], distribution: Any, links: ReportLinks) -> Card:
    name = str(column.get("column", ""))
    kind = str(column.get("kind", ""))
    distances = column.get("distances")
    distances = distances if isinstance(distances, Mapping) else {}
    stats = [("method", str(column.get("method", "-"))),
             *((label, _number(column.get(key))) for key, label in (
                 ("statistic", "statistic"), ("p_value", "p-value"), ("threshold", "threshold"),
                 ("effect_size", "effect size"))),
             *((label, _number(distances[key])) for key, label in _DISTANCES
               if key in distances),
             ("missing share", percent(clean(column.get("missing_share"))))]
    return Card(name, column_anchor(name), kind, bool(column.get("drifted")),
                _chart(distribution, kind), tuple(stats),
                safe_href(links.columns.get(name)))


def _chart(distribution: Any, kind: str) -> Markup | None:
    if not isinstance(distribution, Mapping):
        return None
    if distribution.get("kind") == "numeric":
        return histogram_overlay(
            _seq(distribution.get("edges")), _seq(distribution.get("reference")),
            _seq(distribution.get("current")), below=_pair(distribution.get("below")),
            above=_pair(distribution.get("above")),
            value_format=_moment if kind == "datetime" else None)
    if distribution.get("kind") == "categorical":
        return category_bars(
            [str(c) for c in _seq(distribution.get("categories"))],
            _seq(distribution.get("reference")), _seq(distribution.get("current")),
            _pair(distribution.get("other")))
    return None


def _quality_row(q: Mapping[str, Any]) -> tuple[tuple[str, ...], bool]:
    check = str(q.get("check", ""))
    passed = bool(q.get("passed", True))
    subject = q.get("column") or q.get("name") or "(dataset)"
    bounds = (q["min"], q["max"]) if "min" in q or "max" in q else None
    limit = format_limit(check, clean(q.get("limit", q.get("threshold"))),
                         str(q.get("unit", "share")), bounds)
    failing = q.get("failing_rows")
    shown = samples_text([str(v) for v in _seq(q.get("samples"))], 120)
    if q.get("note"):
        shown = f"{shown} ({q['note']})" if shown != "-" else str(q["note"])
    return ((check, str(subject), _number(q.get("value")), limit,
             "-" if failing is None else _number(failing), shown,
             "yes" if passed else "FAILED"), not passed)


def _multivariate_row(m: Mapping[str, Any]) -> tuple[tuple[str, ...], bool]:
    drifted = bool(m.get("drifted"))
    return ((str(m.get("method", "")), _number(m.get("statistic")), _number(m.get("p_value")),
             _number(m.get("threshold")), "DRIFTED" if drifted else "no"), drifted)


def _performance(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Realized metrics, then estimated ones with their 95 % band."""
    metrics = document.get("performance")
    out = [(str(k), _number(v)) for k, v in metrics.items()] if isinstance(
        metrics, Mapping) else []
    estimated = document.get("estimated_performance")
    if isinstance(estimated, Mapping) and isinstance(estimated.get("metrics"), Mapping):
        method = str(estimated.get("method", "")).upper()
        for name, band in estimated["metrics"].items():
            if isinstance(band, Mapping):
                out.append((f"{name} (estimated, {method})",
                            f"{_number(band.get('value'))} [{_number(band.get('lower'))}, "
                            f"{_number(band.get('upper'))}]"))
    return out


def _segment_rows(segments: Sequence[Any]) -> tuple[tuple[tuple[str, ...], bool], ...]:
    rows = []
    for s in segments:
        if not isinstance(s, Mapping):
            continue
        share = clean(s.get("drift_share"))
        names = [str(n) for n in s.get("drifted_columns") or ()]
        shown = ", ".join(names[:_SHOWN_SEGMENT_COLUMNS]) + (
            f" and {len(names) - _SHOWN_SEGMENT_COLUMNS} more"
            if len(names) > _SHOWN_SEGMENT_COLUMNS else "")
        rows.append((share, (str(s.get("segment", "")), _number(s.get("rows")),
                             "-" if share is None else f"{share:.1%}",
                             "yes" if s.get("dataset_drift") else "no", shown or "-"),
                     bool(s.get("dataset_drift"))))
    rows.sort(key=lambda r: (r[0] is None, -(r[0] or 0.0)))
    return tuple((cells, bad) for _, cells, bad in rows)


def _nav(links: ReportLinks) -> tuple[tuple[str, str], ...]:
    wanted = ((links.monitor_label, links.monitor), ("previous run", links.previous),
              ("next run", links.next), ("JSON", links.json))
    return tuple((label, href) for label, raw in wanted if (href := safe_href(raw)))


def _side(side: Mapping[str, Any]) -> str:
    rows = side.get("rows")
    counted = f"{rows:,} rows" if isinstance(rows, int) else "rows unknown"
    return f"{side.get('source', '')} ({counted})"


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return format_number(clean(value))


def _moment(seconds: float) -> str:
    """Seconds since the epoch as a UTC time, for the edges of a datetime column."""
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return format_number(seconds)


def _mapping(document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = document.get(key)
    return value if isinstance(value, Mapping) else {}


def _list(document: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = document.get(key)
    return value if isinstance(value, list | tuple) else ()


def _seq(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def _pair(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None
