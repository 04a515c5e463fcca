"""The drift report as HTML: a whole self-contained page, or its body for the console's layout.

Both render a report document (``monitor.analysis.report_document``) with the
Jinja2 templates in ``templates/`` (autoescaped: every name and value is
text) and the charts of ``monitor.report.charts``. The page runs no script
and asks no other host for anything; its CSS (``REPORT_CSS``, the file
``static/report.css``) is inlined unless a ``stylesheet`` address is given,
as the console does under its Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from monitor.report.page import Page, ReportLinks, column_anchor, report_page
from monitor.report.svg import safe_href
from monitor.report.texts import TEST_HEADERS, WORD_HEADERS, text_sections

if TYPE_CHECKING:
    from monitor.analysis import Comparison

__all__ = [
    "REPORT_CSS",
    "ReportLinks",
    "column_anchor",
    "render_html",
    "render_report",
    "render_report_body",
]

REPORT_CSS: str = files("monitor.report").joinpath("static/report.css").read_text("utf-8")
"""The report's stylesheet, for a server to send as a file (``render_report(stylesheet=...)``)."""

_TEMPLATES = Environment(loader=PackageLoader("monitor.report", "templates"), autoescape=True,
                         undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_report(
    document: Mapping[str, Any],
    *,
    title: str | None = None,
    links: ReportLinks | None = None,
    stylesheet: str | None = None,
) -> str:
    """The report of ``document`` as a whole HTML page.

    Args:
        document: a report document, or any ``compare --format json`` document.
        title: the page's title and heading (default: "Drift report: CURRENT").
        links: addresses of the console's pages to link to.
        stylesheet: the address of ``REPORT_CSS`` served as a file; None inlines it.
    """
    page = report_page(document, title=title, links=links)
    return _TEMPLATES.get_template("report.html").render(
        title=page.title, body=_body(page, document), css=REPORT_CSS,
        stylesheet=safe_href(stylesheet))


def render_report_body(
    document: Mapping[str, Any],
    *,
    title: str | None = None,
    links: ReportLinks | None = None,
) -> Markup:
    """The report of ``document`` without ``<html>``/``<head>``, to embed in another page.

    The embedding page loads ``REPORT_CSS``; everything sits in ``<div class="report">``.
    """
    return _body(report_page(document, title=title, links=links), document)


def _body(page: Page, document: Mapping[str, Any]) -> Markup:
    """The page's body, then its text columns' tests and words (``report.texts``)."""
    body = _TEMPLATES.get_template("body.html").render(page=page)
    sections = text_sections(document)
    if sections:
        body += _TEMPLATES.get_template("texts.html").render(
            texts=sections, test_headers=TEST_HEADERS, word_headers=WORD_HEADERS)
    return Markup(body)


def render_html(comparison: Comparison, reference_source: str, current_source: str) -> str:
    """The page of a comparison alone: its numbers and tables, no distribution charts.

    With the two profiles at hand, ``render_report(report_document(...))`` draws the charts too.
    """
    document = comparison.to_dict(reference_source, current_source)
    document["extra_columns"] = list(comparison.extra_columns)
    return render_report(document)
