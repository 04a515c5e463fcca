"""SVG pieces the charts are drawn with: the frame, escaped text, safe links, numbers, colours.

Charts are inline SVG served under a strict Content-Security-Policy
(``style-src 'self'``), so nothing here writes a ``style`` attribute: colours
are presentation attributes (``fill``, ``stroke``), which the report's CSS
classes may override. Every text and attribute value passes ``html.escape``;
links keep only relative, ``http`` and ``https`` addresses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from html import escape

from markupsafe import Markup

__all__ = [
    "CURRENT",
    "MUTED",
    "REFERENCE",
    "clean",
    "format_value",
    "frame",
    "heat_colour",
    "link",
    "no_data",
    "num",
    "percent",
    "runs",
    "safe_href",
    "shorten",
    "text",
    "title",
]

REFERENCE = "#4b5563"
"""The reference side: grey outlines."""
CURRENT = "#2563eb"
"""The current side: filled blue."""
MUTED = "#9ca3af"
"""Axes, ticks and the "no data" note."""

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]")
_HEAT = ((241, 245, 249), (251, 191, 36), (185, 28, 28))  # 0, 0.5, 1


def frame(width: float, height: float, body: Iterable[str], label: str, kind: str,
          extra: str = "") -> Markup:
    """The ``<svg>`` element around ``body`` (already escaped), sized in pixels.

    ``extra`` is more attributes (trusted text) inherited by every shape.
    """
    return Markup(
        f'<svg class="chart {kind}-chart" xmlns="http://www.w3.org/2000/svg" '
        f'width="{num(width)}" height="{num(height)}" viewBox="0 0 {num(width)} {num(height)}" '
        f'font-family="system-ui, sans-serif" font-size="10" role="img" {extra}'
        f'{" " if extra else ""}aria-label="{escape(label)}">{"".join(body)}</svg>'
    )


def no_data(width: float, height: float, kind: str) -> Markup:
    """An empty chart of the given size saying "no data"."""
    note = text(width / 2, height / 2 + 4, "no data", anchor="middle", cls="chart-empty",
                fill=MUTED)
    return frame(width, height, [note], "no data", kind)


def text(x: float, y: float, content: str, *, anchor: str = "start", cls: str = "chart-label",
         fill: str | None = None, tip: str | None = None) -> str:
    """A ``<text>`` element with escaped content, and a tooltip when ``tip`` is given."""
    colour = f' fill="{fill}"' if fill else ""
    inner = (title(tip) if tip else "") + escape(content)
    return (f'<text class="{cls}" x="{num(x)}" y="{num(y)}" text-anchor="{anchor}"{colour}>'
            f"{inner}</text>")


def title(content: str) -> str:
    """A ``<title>`` child: the tooltip of the shape it sits in."""
    return f"<title>{escape(content)}</title>"


def link(href: str | None, inner: str) -> str:
    """``inner`` wrapped in ``<a href>`` when ``href`` is a safe address, else as it is."""
    safe = safe_href(href)
    return f'<a href="{escape(safe)}">{inner}</a>' if safe is not None else inner


def safe_href(href: str | None) -> str | None:
    """``href`` when it is relative or ``http(s)``; None otherwise (``javascript:``, ``data:``).

    Browsers ignore tabs, newlines and leading blanks in a scheme, so they are
    ignored here too.

    >>> safe_href("/runs/7#col-age"), safe_href("https://x.test/a"), safe_href(" java\\tscript:x")
    ('/runs/7#col-age', 'https://x.test/a', None)
    """
    if not href:
        return None
    scheme = _SCHEME.match(_INVISIBLE.sub("", href))
    if scheme is not None and scheme.group(1).lower() not in ("http", "https"):
        return None
    return href


def num(value: float) -> str:
    """A coordinate with one decimal at most: ``12``, ``12.5``.

    >>> num(12.0), num(12.46), num(-0.04)
    ('12', '12.5', '0')
    """
    shown = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if shown in ("-0", "") else shown


def clean(value: float | None) -> float | None:
    """``value`` as a float, or None for None, NaN, ±inf and anything not a number."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def percent(share: float | None) -> str:
    """A share as a percentage for labels and tooltips: ``12.3%``, ``<0.1%``, ``-``.

    >>> percent(0.1234), percent(0.0004), percent(0.0), percent(None)
    ('12.3%', '<0.1%', '0%', '-')
    """
    if share is None:
        return "-"
    if share == 0:
        return "0%"
    if 0 < share < 0.001:
        return "<0.1%"
    return f"{share:.1%}"


def heat_colour(value: float) -> str:
    """The colour of ``value`` on a light-to-amber-to-red scale over [0, 1] (clipped).

    >>> heat_colour(0.0), heat_colour(1.0), heat_colour(7.0)
    ('#f1f5f9', '#b91c1c', '#b91c1c')
    """
    v = min(1.0, max(0.0, value)) * 2
    low, high = (_HEAT[0], _HEAT[1]) if v <= 1 else (_HEAT[1], _HEAT[2])
    t = v if v <= 1 else v - 1
    channels = (round(a + (b - a) * t) for a, b in zip(low, high, strict=True))
    return "#" + "".join(f"{c:02x}" for c in channels)


def runs(points: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The stretches of consecutive known values, with their positions (a line breaks at None).

    >>> runs([1.0, None, 2.0, 3.0])
    [[(0, 1.0)], [(2, 2.0), (3, 3.0)]]
    """
    out: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for i, v in enumerate(points):
        if v is None:
            if current:
                out.append(current)
            current = []
        else:
            current.append((i, v))
    if current:
        out.append(current)
    return out


def format_value(value: float) -> str:
    """A value for an axis or a tooltip: 4 significant digits.

    >>> format_value(0.123456), format_value(123456.0), format_value(-2.0)
    ('0.1235', '1.235e+05', '-2')
    """
    return f"{value:.4g}"


def shorten(label: str, limit: int) -> str:
    """``label`` cut to ``limit`` characters with an ellipsis (its tooltip keeps it whole).

    >>> shorten("income", 10), shorten("a long column name", 10)
    ('income', 'a long co…')
    """
    return label if len(label) <= limit else label[:limit - 1] + "…"
