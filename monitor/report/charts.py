"""Charts as inline SVG drawn on the server: distributions, time series and the drift heatmap.

Each function takes plain numbers and returns ``Markup`` (safe to put in a
Jinja2 template as it is): no script, no external request, no ``style``
attribute, every text escaped (see ``monitor.report.svg``). Hovering a shape
shows its ``<title>``; a point or cell with an ``href`` is a link. The drawn
shapes carry the classes ``chart-bar``, ``chart-point``, ``chart-line`` and
``chart-cell`` so tests and stylesheets can find them. Empty or malformed
input draws a chart saying "no data"; nothing here raises on data.

Distributions come from the report document
(``monitor.analysis.report_document``): a histogram draws the reference's
bins side by side at equal width (their edges are quantiles, so the
reference's bars are near-level and a drift shows as bars rising or falling).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from markupsafe import Markup

from monitor.report.svg import (
    CURRENT,
    MUTED,
    REFERENCE,
    clean,
    format_value,
    frame,
    no_data,
    num,
    percent,
    runs,
    shorten,
    text,
    title,
)
from monitor.report.timecharts import ChartPoint, HeatCell, heatmap, line_chart

__all__ = [
    "ChartPoint",
    "HeatCell",
    "category_bars",
    "heatmap",
    "histogram_overlay",
    "line_chart",
    "sparkline",
]

_CURRENT_BAR = "#7ca1f3"
"""Current bars: the current blue at 60% on white (a solid colour, shorter than an opacity)."""
_OUTSIDE_BAR = "#e8ad6a"
"""Current values beyond the reference's range: amber, apart from the bins inside it."""
_BAR_HEIGHT = 7
_ROW = 20
_LABEL_CHARS = 18


def histogram_overlay(
    edges: Sequence[float | None],
    reference: Sequence[float | None],
    current: Sequence[float | None],
    *,
    width: int = 360,
    height: int = 120,
    below: Mapping[str, float | None] | None = None,
    above: Mapping[str, float | None] | None = None,
    value_format: Callable[[float], str] | None = None,
) -> Markup:
    """Reference (grey outline) and current (filled) shares per bin, overlaid.

    Shares below the first or above the last edge get one more bar at that
    end, in amber, outside the axis labels (which name the first and last edge).

    Args:
        edges: the bins' edges, one more than ``reference`` and ``current``.
        reference, current: the share of each side in each bin.
        below, above: ``{"reference": s, "current": s}`` outside the edges;
            drawn when a side has values there.
        value_format: how the edge labels read (default: 4 significant digits).
    """
    bins = min(len(reference), len(current), len(edges) - 1)
    if bins <= 0:
        return no_data(width, height, "histogram")
    shown = format_value if value_format is None else value_format
    bounds = [_edge(clean(e), shown) for e in edges[:bins + 1]]
    slots = [(f"{bounds[i]} to {bounds[i + 1]}", clean(reference[i]) or 0.0,
              clean(current[i]) or 0.0) for i in range(bins)]
    first = 0
    if below is not None and _has(below):
        slots.insert(0, (f"below {bounds[0]}", *_pair(below)))
        first = 1
    if above is not None and _has(above):
        slots.append((f"above {bounds[-1]}", *_pair(above)))
    top, bottom, side = 4.0, height - 16.0, 2.0
    step = (width - 2 * side) / len(slots)
    peak = max(max(r, c) for _, r, c in slots) or 1.0
    body = [f'<line class="chart-axis" x1="{num(side)}" y1="{num(bottom)}" '
            f'x2="{num(width - side)}" y2="{num(bottom)}" stroke="{MUTED}"/>']
    for i, (label, ref, cur) in enumerate(slots):
        x, w = side + i * step, max(step - (1 if step > 4 else 0), 0.5)
        outside = " outside" if (first and i == 0) or i >= first + bins else ""
        tip = f"{label}: reference {percent(ref)}, current {percent(cur)}"
        body.append(
            f"<g>{title(tip)}"
            + _bar(f"chart-bar cur{outside}", x, bottom, w, (bottom - top) * cur / peak,
                   f'fill="{_OUTSIDE_BAR if outside else _CURRENT_BAR}"')
            + _bar(f"chart-bar ref{outside}", x, bottom, w, (bottom - top) * ref / peak,
                   f'fill="none" stroke="{REFERENCE}"')
            + "</g>")
    left, right = side + first * step, side + (first + bins) * step
    body.append(text(left, height - 3, bounds[0], cls="chart-tick"))
    body.append(text(right, height - 3, bounds[-1], anchor="end", cls="chart-tick"))
    # pointer-events: an outlined (unfilled) reference bar shows its bin's tooltip too
    return frame(width, height, body, "histogram of reference and current shares", "histogram",
                 'pointer-events="all"')


def category_bars(
    categories: Sequence[str],
    reference: Sequence[float | None],
    current: Sequence[float | None],
    other: Mapping[str, float | None] | Sequence[float | None] | None,
    *,
    width: int = 360,
) -> Markup:
    """Paired horizontal bars per category, reference (grey) above current (blue), "other" last.

    ``other`` is ``{"reference": s, "current": s}`` (or a pair); it is drawn
    when a side has a share in it.
    """
    rows = min(len(categories), len(reference), len(current))
    items = [(str(categories[i]), clean(reference[i]) or 0.0, clean(current[i]) or 0.0)
             for i in range(rows)]
    pooled = _pair(other)
    if pooled[0] > 0 or pooled[1] > 0:
        items.append(("(other)", *pooled))
    if not items:
        return no_data(width, _ROW * 2, "categories")
    label_width = min(130.0, width * 0.36)
    value_width = 92.0
    bar_room = max(width - label_width - value_width, 10.0)
    peak = max(max(r, c) for _, r, c in items) or 1.0
    body = []
    for i, (name, ref, cur) in enumerate(items):
        y = 2 + i * _ROW
        tip = f"{name}: reference {percent(ref)}, current {percent(cur)}"
        new = " new" if ref == 0 and cur > 0 else ""
        body.append(
            f'<g class="chart-row{new}">{title(tip)}'
            + text(label_width - 6, y + 13, shorten(name, _LABEL_CHARS), anchor="end")
            + _hbar("chart-bar ref", label_width, y + 2, bar_room * ref / peak,
                    f'fill="#e5e7eb" stroke="{REFERENCE}"')
            + _hbar("chart-bar cur", label_width, y + 2 + _BAR_HEIGHT + 1,
                    bar_room * cur / peak, f'fill="{_CURRENT_BAR}"')
            + text(width - 2, y + 13, f"{percent(ref)} → {percent(cur)}", anchor="end",
                   cls="chart-value")
            + "</g>")
    height = 4 + len(items) * _ROW
    return frame(width, height, body, "category shares, reference and current", "categories")


def sparkline(values: Sequence[float | None], *, width: int = 120, height: int = 24) -> Markup:
    """A small line of ``values`` (gaps at None), scaled to their own range, last value dotted."""
    points = [clean(v) for v in values]
    known = [v for v in points if v is not None]
    if not known:
        return no_data(width, height, "sparkline")
    low, high = min(known), max(known)
    span = high - low
    step = (width - 4) / max(len(points) - 1, 1)

    def y(v: float) -> float:
        return height / 2 if span == 0 else height - 2 - (height - 4) * (v - low) / span

    body = [f'<polyline class="chart-line" fill="none" stroke="{CURRENT}" stroke-width="1.5" '
            f'points="{" ".join(f"{num(2 + i * step)},{num(y(v))}" for i, v in run)}"/>'
            for run in runs(points)]
    last = max(i for i, v in enumerate(points) if v is not None)
    body.append(f'<circle class="chart-point" cx="{num(2 + last * step)}" '
                f'cy="{num(y(known[-1]))}" r="2" fill="{CURRENT}"/>')
    return frame(width, height, body, f"trend, last {format_value(known[-1])}", "sparkline")


def _edge(value: float | None, shown: Callable[[float], str]) -> str:
    return "?" if value is None else shown(value)


def _has(side: Mapping[str, float | None]) -> bool:
    return any((clean(v) or 0.0) > 0 for v in side.values())


def _pair(other: Mapping[str, float | None] | Sequence[float | None] | None
          ) -> tuple[float, float]:
    if other is None:
        return 0.0, 0.0
    if isinstance(other, Mapping):
        return clean(other.get("reference")) or 0.0, clean(other.get("current")) or 0.0
    if len(other) != 2:
        return 0.0, 0.0
    return clean(other[0]) or 0.0, clean(other[1]) or 0.0


def _bar(cls: str, x: float, bottom: float, w: float, h: float, paint: str) -> str:
    return (f'<rect class="{cls}" x="{num(x)}" y="{num(bottom - h)}" width="{num(w)}" '
            f'height="{num(h)}" {paint}/>')


def _hbar(cls: str, x: float, y: float, w: float, paint: str) -> str:
    return (f'<rect class="{cls}" x="{num(x)}" y="{num(y)}" width="{num(w)}" '
            f'height="{_BAR_HEIGHT}" {paint}/>')

