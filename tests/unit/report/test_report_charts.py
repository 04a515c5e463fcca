"""Tests of the SVG charts: shapes counted by class, text escaped, links safe, never a raise."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from markupsafe import Markup

from monitor.report.charts import (
    ChartPoint,
    HeatCell,
    category_bars,
    heatmap,
    histogram_overlay,
    line_chart,
    sparkline,
)

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 11, 24, tzinfo=UTC)


def parse(chart: Markup) -> ET.Element:
    """The chart as XML (it must be well formed), after the checks every chart passes."""
    assert isinstance(chart, Markup)
    assert "style=" not in chart and "<script" not in chart
    root = ET.fromstring(str(chart))
    assert root.tag == f"{SVG}svg"
    return root


def of_class(root: ET.Element, name: str) -> list[ET.Element]:
    """Elements whose class list holds ``name``."""
    return [e for e in root.iter() if name in (e.get("class") or "").split()]


def links(root: ET.Element) -> list[str]:
    """The href of every link."""
    return [a.get("href", "") for a in root.iter(f"{SVG}a")]


def test_histogram_draws_two_bars_per_bin_and_names_the_end_edges() -> None:
    """One reference and one current bar per bin, tooltips with both shares, min/max labels."""
    root = parse(histogram_overlay([0.0, 1.0, 2.0, 3.5], [0.2, 0.3, 0.5], [0.1, 0.6, 0.3]))
    assert len(of_class(root, "chart-bar")) == 6
    assert len(of_class(root, "ref")) == len(of_class(root, "cur")) == 3
    tips = [t.text for t in root.iter(f"{SVG}title")]
    assert "1 to 2: reference 30.0%, current 60.0%" in tips
    assert [t.text for t in root.iter(f"{SVG}text")] == ["0", "3.5"]
    heights = [float(r.get("height", "0")) for r in of_class(root, "cur")]
    assert heights.index(max(heights)) == 1


def test_histogram_shows_values_beyond_the_edges_as_outside_bars() -> None:
    """Shares below the first and above the last edge get a bar each, marked outside."""
    root = parse(histogram_overlay([0, 1, 2], [0.5, 0.5], [0.3, 0.3],
                                   below={"reference": 0.0, "current": 0.1},
                                   above={"reference": 0.0, "current": 0.3}))
    assert len(of_class(root, "chart-bar")) == 8 and len(of_class(root, "outside")) == 4
    assert "below 0: reference 0%, current 10.0%" in [t.text for t in root.iter(f"{SVG}title")]
    nothing = parse(histogram_overlay([0, 1], [1.0], [1.0], below={"reference": 0.0,
                                                                  "current": 0.0}))
    assert len(of_class(nothing, "chart-bar")) == 2


def test_categories_pair_bars_with_other_last_and_escape_names() -> None:
    """Two bars per category, "(other)" last, names with quotes and brackets kept as text."""
    name = 'a"<b>&c'
    chart = category_bars([name, "x" * 40], [0.5, 0.3], [0.2, 0.6],
                          {"reference": 0.2, "current": 0.2})
    assert '"<b>' not in chart and "&lt;b&gt;" in chart
    root = parse(chart)
    assert len(of_class(root, "chart-bar")) == 6
    labels = [t.text for t in of_class(root, "chart-label")]
    assert labels[0] == name and labels[-1] == "(other)"
    assert labels[1].endswith("…") and len(labels[1]) < 40
    assert any(t.text and t.text.startswith("x" * 40) for t in root.iter(f"{SVG}title"))


def test_a_category_new_in_current_is_marked() -> None:
    """A category with no reference share has its row marked new; no other row without shares."""
    root = parse(category_bars(["old", "new"], [1.0, 0.0], [0.5, 0.5], None))
    assert len(of_class(root, "new")) == 1 and len(of_class(root, "chart-bar")) == 4


def test_line_chart_links_points_and_breaks_at_gaps() -> None:
    """A circle per known value, linked when it has an href, a line broken at None."""
    values = [0.1, 0.2, None, 0.4, 0.5]
    points = [ChartPoint(T0 + timedelta(hours=i), v, f"/runs/{i}" if i != 1 else None,
                         f"run {i} <b>") for i, v in enumerate(values)]
    chart = line_chart(points, y_label="drift share", y_max=1.0, threshold=0.3)
    root = parse(chart)
    assert len(of_class(root, "chart-point")) == 4
    assert links(root) == ["/runs/0", "/runs/3", "/runs/4"]
    assert len(of_class(root, "chart-line")) == 2
    [threshold] = of_class(root, "chart-threshold")
    assert threshold.get("stroke-dasharray")
    assert "run 3 <b>" in [t.text for t in root.iter(f"{SVG}title")]
    assert "&lt;b&gt;" in chart
    ticks = [t.text for t in of_class(root, "chart-tick")]
    assert "11-24 00:00" in ticks and "11-24 04:00" in ticks


def test_line_chart_keeps_only_relative_and_http_links() -> None:
    """javascript: and data: addresses draw no link; quotes in an address are escaped."""
    points = [ChartPoint(T0, 1.0, "javascript:alert(1)", "a"),
              ChartPoint(T0 + timedelta(1), 2.0, " JaVa\tscript:x", "b"),
              ChartPoint(T0 + timedelta(2), 3.0, "data:text/html,x", "c"),
              ChartPoint(T0 + timedelta(3), 4.0, '/runs/1?a="x"&b=<y>', "d")]
    chart = line_chart(points)
    assert links(parse(chart)) == ['/runs/1?a="x"&b=<y>']
    assert "javascript" not in chart.lower()


def test_line_chart_copes_with_one_point_naive_times_and_non_finite_values() -> None:
    """One point, times without zone, NaN and inf draw a chart and do not raise."""
    assert len(of_class(parse(line_chart([ChartPoint(T0, 0.5, None, "x")])), "chart-point")) == 1
    naive = [ChartPoint(datetime(2026, 1, 1, h), v, None, "x")
             for h, v in enumerate([1.0, math.nan, math.inf, 2.0])]
    assert len(of_class(parse(line_chart(naive)), "chart-point")) == 2
    flat = parse(line_chart([ChartPoint(T0, None, None, "x")]))
    assert of_class(flat, "chart-point") == []


def test_sparkline_is_one_line_per_stretch_and_a_dot_at_the_end() -> None:
    """A sparkline breaks at gaps, dots the last value, and a flat series sits in the middle."""
    root = parse(sparkline([0.1, 0.2, None, 0.5, 0.4]))
    assert len(of_class(root, "chart-line")) == 2 and len(of_class(root, "chart-point")) == 1
    flat = parse(sparkline([0.3, 0.3], height=24))
    assert of_class(flat, "chart-point")[0].get("cy") == "12"


def test_heatmap_draws_a_cell_per_value_marks_drift_and_clips_colours() -> None:
    """Cells per known value, drifted outlined, linked with an href, labels escaped."""
    times = [T0 + timedelta(hours=i) for i in range(3)]
    cells = [[HeatCell(0.0, False, "/runs/1", "a 1"), HeatCell(0.5, True, None, "a 2"), None],
             [HeatCell(7.0, True, "/runs/3", "b"), HeatCell(1.0, False, None, "b"),
              HeatCell(-2.0, False, "javascript:x", "b")]]
    chart = heatmap(["age", "<img src=x onerror=alert(1)>"], times, cells)
    root = parse(chart)
    assert len(of_class(root, "chart-cell")) == 5
    assert len(of_class(root, "drifted")) == 2
    assert links(root) == ["/runs/1", "/runs/3"]
    fills = [c.get("fill") for c in of_class(root, "chart-cell")]
    assert fills[2] == fills[3] and fills[0] == fills[4]
    assert "<img" not in chart and "&lt;img src=x onerror=alert(1)&gt;" in chart


@pytest.mark.parametrize(("chart", "empty"), [
    (lambda: histogram_overlay([], [], []), True),
    (lambda: histogram_overlay([1.0], [0.5], [0.5]), True),
    (lambda: histogram_overlay([0, 1, 2], [0.5], [0.5, 0.5]), False),
    (lambda: histogram_overlay([0, None, 2], [None, math.nan], [math.inf, 0.2]), False),
    (lambda: category_bars([], [], [], None), True),
    (lambda: category_bars(["a"], [None], [math.nan], (0.1, 0.2, 0.3)), False),
    (lambda: line_chart([]), True),
    (lambda: sparkline([]), True),
    (lambda: sparkline([None, math.nan]), True),
    (lambda: heatmap([], [], []), True),
    (lambda: heatmap(["a", "b"], [T0], []), False),
], ids=["hist-empty", "hist-one-edge", "hist-short", "hist-nan", "cat-empty", "cat-nan",
        "line-empty", "spark-empty", "spark-none", "heat-empty", "heat-no-cells"])
def test_empty_or_malformed_input_draws_a_chart_not_an_error(chart, empty) -> None:
    """Empty or inconsistent input returns a well-formed SVG; nothing to draw says "no data"."""
    texts = [t.text for t in parse(chart()).iter(f"{SVG}text")]
    assert (texts == ["no data"]) is empty
