"""Charts over time: a value per run as a line of linked points, and columns × runs as a heatmap.

The console draws these from stored runs: each point or cell may carry the
address of its run, so a click opens it. Times without a zone are taken as
UTC, and the axis reads in UTC. ``monitor.report.charts`` re-exports both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup

from monitor.report.svg import (
    CURRENT,
    MUTED,
    clean,
    format_value,
    frame,
    heat_colour,
    link,
    no_data,
    num,
    runs,
    shorten,
    text,
    title,
)

__all__ = ["ChartPoint", "HeatCell", "heatmap", "line_chart"]

_TICKS = 5
_CELL_HEIGHT = 14
_LABEL_WIDTH = 140.0
_LABEL_CHARS = 22


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One point of a line chart: a run's time, its value (None: a gap), a link and a tooltip."""

    time: datetime
    value: float | None
    href: str | None
    label: str


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One heatmap cell: a value in [0, 1] (clipped), whether it drifted, a link and a tooltip."""

    value: float
    drifted: bool
    href: str | None
    label: str


def line_chart(
    points: Sequence[ChartPoint],
    *,
    width: int = 720,
    height: int = 160,
    y_label: str = "",
    y_max: float | None = None,
    threshold: float | None = None,
) -> Markup:
    """A value over time: a line broken at gaps, one circle per known point, linked when
    the point has an ``href``, a time axis, and a dashed line at ``threshold``."""
    known = [(p, v) for p in points if (v := clean(p.value)) is not None]
    if not points:
        return no_data(width, height, "line")
    left, right, top, bottom = 44.0, width - 10.0, 20.0 if y_label else 8.0, height - 20.0
    seconds = [_seconds(p.time) for p in points]
    start, end = min(seconds), max(seconds)
    limit = clean(threshold)
    values = [v for _, v in known] + ([limit] if limit is not None else [])
    low = min([0.0, *values])
    high = clean(y_max) or max([*values, 0.0]) * 1.1 or 1.0
    high = high if high > low else low + 1.0

    def x(t: float) -> float:
        return (left + right) / 2 if end == start else left + (right - left) * (t - start) / (
            end - start)

    def y(v: float) -> float:
        return bottom - (bottom - top) * (min(max(v, low), high) - low) / (high - low)

    body = _axes(left, right, top, bottom, low, high, y, y_label)
    body += _time_ticks(start, end, bottom, x)
    if limit is not None:
        body.append(f'<line class="chart-threshold" x1="{num(left)}" y1="{num(y(limit))}" '
                    f'x2="{num(right)}" y2="{num(y(limit))}" stroke="#b91c1c" '
                    f'stroke-dasharray="4 3">{title(f"threshold {format_value(limit)}")}</line>')
    coords = [(x(s), clean(p.value)) for s, p in zip(seconds, points, strict=True)]
    for run in runs([v for _, v in coords]):
        shown = " ".join(f"{num(coords[i][0])},{num(y(v))}" for i, v in run)
        body.append(f'<polyline class="chart-line" fill="none" stroke="{CURRENT}" '
                    f'stroke-width="1.5" points="{shown}"/>')
    for (cx, value), point in zip(coords, points, strict=True):
        if value is None:
            continue
        dot = (f'<circle class="chart-point" cx="{num(cx)}" cy="{num(y(value))}" r="3" '
               f'fill="{CURRENT}">{title(point.label)}</circle>')
        body.append(link(point.href, dot))
    return frame(width, height, body, y_label or "values over time", "line")


def heatmap(
    rows: Sequence[str],
    times: Sequence[datetime],
    cells: Sequence[Sequence[HeatCell | None]],
    *,
    width: int = 720,
) -> Markup:
    """One row per name and one cell per time bucket, coloured by value, drifted cells outlined.

    ``cells[r][t]`` is the cell of ``rows[r]`` at ``times[t]``; None leaves it empty.
    """
    if not rows or not times:
        return no_data(width, 40, "heatmap")
    label_width = min(_LABEL_WIDTH, width / 3)
    step = (width - label_width - 4) / len(times)
    height = len(rows) * _CELL_HEIGHT + 20
    body = []
    for r, name in enumerate(rows):
        y = r * _CELL_HEIGHT
        body.append(text(label_width - 6, y + 11, shorten(name, _LABEL_CHARS), anchor="end",
                         tip=name))
        row = cells[r] if r < len(cells) else ()
        for t, cell in enumerate(row[:len(times)]):
            value = None if cell is None else clean(cell.value)
            if cell is None or value is None:
                continue
            edge = ('stroke="#111827" stroke-width="1.5"' if cell.drifted
                    else 'stroke="#ffffff" stroke-width="0.5"')
            rect = (f'<rect class="chart-cell{" drifted" if cell.drifted else ""}" '
                    f'x="{num(label_width + t * step)}" y="{num(y + 1)}" '
                    f'width="{num(max(step - 1, 1))}" height="{_CELL_HEIGHT - 2}" '
                    f'fill="{heat_colour(value)}" {edge}>{title(cell.label)}</rect>')
            body.append(link(cell.href, rect))
    seconds = [_seconds(t) for t in times]
    bottom = len(rows) * _CELL_HEIGHT + 2
    for i in sorted({0, len(times) // 2, len(times) - 1}):
        anchor = "start" if i == 0 else "end" if i == len(times) - 1 else "middle"
        x = label_width + (i + (0 if i == 0 else 1 if anchor == "end" else 0.5)) * step
        body.append(text(x, bottom + 13, _time_label(seconds[i], seconds[0], seconds[-1]),
                         anchor=anchor, cls="chart-tick"))
    return frame(width, height, body, "drift per column over time", "heatmap")


def _axes(left: float, right: float, top: float, bottom: float, low: float, high: float,
          y: Callable[[float], float], y_label: str) -> list[str]:
    out = [f'<line class="chart-axis" x1="{num(left)}" y1="{num(bottom)}" x2="{num(right)}" '
           f'y2="{num(bottom)}" stroke="{MUTED}"/>']
    for value in (low, (low + high) / 2, high):
        out.append(f'<line class="chart-grid" x1="{num(left)}" y1="{num(y(value))}" '
                   f'x2="{num(right)}" y2="{num(y(value))}" stroke="#e5e7eb"/>')
        out.append(text(left - 4, y(value) + 4, format_value(value), anchor="end",
                        cls="chart-tick"))
    if y_label:
        out.append(text(left, top - 8, y_label, cls="chart-label"))
    return out


def _time_ticks(start: float, end: float, bottom: float, x: Callable[[float], float]
                ) -> list[str]:
    # A label is about 80 px wide: as many ticks as fit without overlapping, at most _TICKS.
    room = x(end) - x(start)
    count = 1 if end == start else max(2, min(_TICKS, int(room // 110) + 1))
    out = []
    for i in range(count):
        t = start + (end - start) * i / max(count - 1, 1)
        anchor = "middle" if count == 1 or 0 < i < count - 1 else "start" if i == 0 else "end"
        out.append(text(x(t), bottom + 14, _time_label(t, start, end), anchor=anchor,
                        cls="chart-tick"))
    return out


def _seconds(moment: datetime) -> float:
    """Seconds since the epoch; a time without a zone is UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _time_label(t: float, start: float, end: float) -> str:
    """A tick's time in UTC: the hour within two days, the date beyond.

    >>> _time_label(3600.0, 0.0, 7200.0), _time_label(0.0, 0.0, 10 * 86400.0)
    ('01-01 01:00', '1970-01-01')
    """
    moment = datetime.fromtimestamp(t, UTC)
    return moment.strftime("%m-%d %H:%M" if end - start <= 2 * 86400 else "%Y-%m-%d")
