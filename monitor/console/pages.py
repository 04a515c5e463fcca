"""The console's HTML: Jinja2 templates (autoescaped) around charts drawn as SVG.

Each page takes the view of ``monitor.console.views`` (the same values the
API returns) and turns its series into charts whose points link to runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from monitor.alerts.links import monitor_path
from monitor.console.series import RANGES, STATES
from monitor.report.charts import ChartPoint, HeatCell, heatmap, line_chart, sparkline
from monitor.report.html import REPORT_CSS, column_anchor, render_report_body
from monitor.report.page import ReportLinks
from monitor.report.text import format_number
from monitor.times import format_time

__all__ = ["Pages"]

SMALL_MULTIPLES = 12
"""Quality checks and model metrics drawn as charts; the others are listed."""


class Pages:
    """Renders the console's pages; ``writable`` shows the silence forms."""

    def __init__(self, writable: bool) -> None:
        self.writable = writable
        self.env = Environment(loader=PackageLoader("monitor.console", "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(when=_when, num=format_number, pct=_pct)
        self.env.globals.update(writable=writable, states=STATES)
        self._static = {
            "console.css": resources.files("monitor.console").joinpath(
                "static/console.css").read_text("utf-8"),
            "report.css": REPORT_CSS,
        }

    @staticmethod
    def anchor(column: str) -> str:
        """The id of a column's card on a run's page."""
        return column_anchor(column)

    def static(self, name: str) -> str | None:
        """A stylesheet by file name, or None."""
        return self._static.get(name)

    def overview(self, view: Mapping[str, Any]) -> str:
        """``/``: every monitor, firing first, with a sparkline of its drift share."""
        rows = [{**row, "spark": sparkline(row["drift_share"])} for row in view["monitors"]]
        return self._render("overview.html", view=view, rows=rows, title="Monitors")

    def monitor(self, view: Mapping[str, Any], query: Mapping[str, str]) -> str:
        """``/monitors/NAME``: a monitor's charts over the chosen range."""
        runs = view["runs"]
        drift = line_chart(
            [ChartPoint(r["window_end"], r["drift_share"], r["href"],
                        f"{format_time(r['window_end'], 'seconds')}: drift share "
                        f"{_pct(r['drift_share'])} ({r['status']}, {r['rows'] or 0:,} rows)")
             for r in runs], y_label="drift share", y_max=1.0)
        columns = view["columns"]
        heat_runs = [runs[i] for i in columns["runs"]]
        cells = [[None if effect is None else HeatCell(
            effect, bool(drifted), run["href"] + (f"#{anchor}" if anchor else ""),
            f"{name} at {format_time(run['window_end'], 'seconds')}: {'/'.join(methods)} "
            f"effect {format_number(effect)}{' (drifted)' if drifted else ''}")
                  for effect, drifted, run in zip(effects, flags, heat_runs, strict=True)]
                 for name, methods, anchor, effects, flags in zip(
                     columns["names"], columns["methods"], columns["anchors"],
                     columns["effect"], columns["drifted"], strict=True)]
        heat = heatmap(columns["names"], [r["window_end"] for r in heat_runs], cells)
        charted = [s for s in view["quality"] if _telling(s)][:SMALL_MULTIPLES]
        quality = [(s, self._series_chart(s, runs, "value")) for s in charted]
        performance = [(s, self._series_chart(s, runs, s["name"]))
                       for s in view["performance"][:SMALL_MULTIPLES]]
        name = view["monitor"]
        base = monitor_path(name)
        keep = {k: v for k, v in query.items() if k == "segment" and v}
        ranges = [(preset, f"{base}?{urlencode({**keep, 'range': preset})}") for preset in RANGES]
        span = view["range"]
        same = ({"from": format_time(span["start"]), "to": format_time(span["end"])}
                if span["name"] == "custom" else {"range": span["name"]})
        segments = [(None, f"{base}?{urlencode(same)}")] + [
            (key, f"{base}?{urlencode({**same, 'segment': key})}") for key in view["segments"]]
        return self._render(
            "monitor.html", view=view, title=name, drift=drift, heat=heat, quality=quality,
            performance=performance, ranges=ranges, segments=segments,
            more_quality=[s for s in view["quality"] if s not in charted],
            more_performance=view["performance"][SMALL_MULTIPLES:], query=query)

    def run(self, view: Mapping[str, Any]) -> str:
        """``/runs/ID``: the run's report, or its results when it stored none."""
        run = view["run"]
        # The page's own header links the previous and next runs, report or not.
        links = ReportLinks(monitor=run["monitor_href"], monitor_label=run["monitor"],
                            json=run["href"].replace("/runs/", "/api/runs/", 1))
        report = (render_report_body(view["report"], links=links)
                  if view["report"] is not None else None)
        title = f"{run['monitor']} · {format_time(run['window_end'], 'seconds')}"
        return self._render("run.html", view=view, run=run, report=report, title=title)

    def silences(self, view: Mapping[str, Any], query: Mapping[str, str]) -> str:
        """``/silences``: the silences, and the form to add one when writable."""
        return self._render("silences.html", view=view, title="Silences",
                            done=query.get("done"), prefill=query)

    def error(self, status: str, message: str) -> str:
        """A page that says what went wrong."""
        return self._render("error.html", status=status, message=message, title=status)

    def _series_chart(self, series: Mapping[str, Any], runs: Sequence[Mapping[str, Any]],
                      label: str) -> Markup:
        points = [ChartPoint(run["window_end"], value, run["href"],
                             f"{format_time(run['window_end'], 'seconds')}: {series['name']} = "
                             f"{format_number(value)}" + (" (failed)" if ok is False else ""))
                  for run, value, ok in zip(runs, series["values"], series["passed"],
                                            strict=True) if value is not None]
        return line_chart(points, width=360, height=110, y_label=label,
                          threshold=series["limit"])

    def _render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)


def _telling(series: Mapping[str, Any]) -> bool:
    """A check worth a chart: it failed in the range, or its value moved."""
    return bool(series["failed_runs"]) or len(set(series["values"]) - {None}) > 1


def _when(value: datetime | None) -> str:
    return "-" if value is None else format_time(value, "seconds").replace("T", " ")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"
