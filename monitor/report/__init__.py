"""Reports: a comparison rendered for people and programs.

Owns the terminal table and the JSON document (``text``), the HTML report of
a report document (``html``: a whole page, or its body for the console, read
into plain values by ``page``) and the inline SVG charts it and the console
draw (``charts``, from the pieces in ``svg``; the time charts in
``timecharts``). Pure: it turns values into text and imports nothing but the
analysis it renders, Jinja2 and MarkupSafe; no database, HTTP client or
scheduler.
"""

from monitor.report.charts import (
    ChartPoint,
    HeatCell,
    category_bars,
    heatmap,
    histogram_overlay,
    line_chart,
    sparkline,
)
from monitor.report.html import REPORT_CSS, render_html, render_report, render_report_body
from monitor.report.page import ReportLinks, column_anchor
from monitor.report.text import render_json, render_table

__all__ = [
    "REPORT_CSS",
    "ChartPoint",
    "HeatCell",
    "ReportLinks",
    "category_bars",
    "column_anchor",
    "heatmap",
    "histogram_overlay",
    "line_chart",
    "render_html",
    "render_json",
    "render_report",
    "render_report_body",
    "render_table",
    "sparkline",
]
