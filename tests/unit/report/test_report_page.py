"""Tests of the report page: summary, column cards in order, escaping, links, size and speed."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pandas as pd
import pytest
from markupsafe import Markup

from monitor.analysis import compare, report_document
from monitor.analysis.quality import QualityOptions
from monitor.profiles import build_profile
from monitor.report import (
    REPORT_CSS,
    ReportLinks,
    column_anchor,
    render_html,
    render_report,
    render_report_body,
)
from tests.unit.test_report import labelled_comparison

XSS = "<img src=x onerror=alert(1)>"
VOID = {"meta", "link", "br"}


class Page(HTMLParser):
    """The parsed page: elements by tag, their attributes, its text, and balance checked."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def having(self, tag: str) -> list[dict[str, str | None]]:
        """Attributes of every ``tag`` element."""
        return [attrs for t, attrs in self.tags if t == tag]

    def classed(self, name: str) -> list[dict[str, str | None]]:
        """Attributes of every element whose class list holds ``name``."""
        return [a for _, a in self.tags if name in (a.get("class") or "").split()]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """A comparison where `age` and a hostile-named column drifted, with hostile categories."""
    rng = np.random.default_rng(0)
    hostile = ['a"<b>&c', "plain", "<script>x</script>"]
    ref = pd.DataFrame({"age": rng.normal(40, 10, 3000), "score": rng.random(3000),
                        XSS: rng.normal(0, 1, 3000),
                        "city": rng.choice(hostile[:2], 3000), "state": rng.choice(["a"], 3000)})
    cur = pd.DataFrame({"age": rng.normal(50, 10, 2000), "score": rng.random(2000),
                        XSS: rng.normal(0.3, 1, 2000),
                        "city": rng.choice(hostile, 2000), "extra": 1})
    reference = build_profile([ref], categorical=["city", "state"])
    current = build_profile([cur], reference=reference)
    comparison = compare(reference, current, quality=QualityOptions(min_rows=100))
    return report_document(comparison, reference, current, reference_source="<train>.csv",
                           current_source="today.parquet",
                           segments={"city=plain": comparison})


def test_the_page_is_whole_balanced_and_self_contained(document) -> None:
    """A full page with inline CSS, no script, no request to any host, every tag closed."""
    html = render_report(document)
    page = Page(html)
    assert page.open == []
    assert html.startswith("<!doctype html>") and "<style>" in html
    assert REPORT_CSS.strip()[:40] in html
    assert page.having("script") == [] and page.having("link") == []
    assert not [a for _, a in page.tags if "src" in a or "style" in a]
    hrefs = [a["href"] for _, a in page.tags if "href" in a]
    assert hrefs and all(str(h).startswith("#") for h in hrefs), hrefs


def test_a_stylesheet_address_replaces_the_inline_css(document) -> None:
    """With `stylesheet` the page links the CSS and inlines none (for a strict CSP)."""
    page = Page(render_report(document, stylesheet="/static/report.css", title="Run 7"))
    assert page.having("link") == [{"rel": "stylesheet", "href": "/static/report.css"}]
    assert page.having("style") == []
    assert "Run 7" in page.text


def test_the_body_embeds_without_head(document) -> None:
    """The body is Markup in one `div.report`, without html/head/style."""
    body = render_report_body(document)
    assert isinstance(body, Markup) and body.startswith('<div class="report">')
    page = Page(body)
    assert page.open == [] and not page.having("html") and not page.having("style")


def test_summary_says_rows_sources_verdict_and_failed_checks(document) -> None:
    """The summary names both sides, drifted columns of compared, drift share, failed checks."""
    text = " ".join(Page(render_report(document)).text)
    assert "<train>.csv (3,000 rows)" in text and "today.parquet (2,000 rows)" in text
    assert "3 of 4 columns drifted (drift share 75.0%); dataset drift: yes" in text
    # state is missing; city has a category the reference never saw, in a third of its rows
    assert "2 of" in text and "Quality checks failed" in text


def test_cards_come_drifted_first_then_by_effect_with_anchors(document) -> None:
    """One card per column, drifted first and by effect size; ids are column_anchor."""
    page = Page(render_report(document))
    cards = page.classed("card")
    columns = sorted(document["columns"], key=lambda c: (not c["drifted"], -c["effect_size"]))
    assert [c["id"] for c in cards] == [column_anchor(c["column"]) for c in columns]
    assert [("drifted" in (c["class"] or "")) for c in cards] == [c["drifted"] for c in columns]
    assert len(page.classed("histogram-chart")) == 3 and len(page.classed("categories-chart")) == 1
    text = page.text
    for label in ("method", "p-value", "effect size", "PSI", "Jensen–Shannon", "Hellinger",
                  "Wasserstein", "missing share"):
        assert label in text


def test_card_order_puts_missing_effect_last() -> None:
    """Among columns that did not drift, one without an effect size comes last."""
    columns = [{"column": n, "kind": "numeric", "drifted": d, "effect_size": e}
               for n, d, e in (("a", False, None), ("b", False, 0.1), ("c", True, 0.01),
                               ("d", False, 0.5))]
    page = Page(render_report({"columns": columns}))
    assert [c["id"] for c in page.classed("card")] == ["col-c", "col-d", "col-b", "col-a"]


def test_hostile_names_and_categories_stay_text(document) -> None:
    """A column named like an img tag and categories with quotes and tags show as text only."""
    html = render_report(document)
    page = Page(html)
    assert page.having("img") == [] and page.having("script") == []
    assert XSS in page.text
    assert any('a"<b>&c' in t for t in page.text)
    assert any("<script>x</script>" in t for t in page.text)
    assert column_anchor(XSS) in [c["id"] for c in page.classed("card")]


def test_quality_failed_first_segments_and_extra_columns(document) -> None:
    """Failed checks lead the quality table; segments and extra columns are listed."""
    page = Page(render_report(document))
    rows = page.classed("bad")
    html = render_report(document)
    quality = html[html.index('id="quality"'):]
    assert quality.index("FAILED") < quality.index(">yes<")
    assert "missing_column" in page.text and "city=plain" in page.text
    assert "Not in the reference, so not compared: extra" in " ".join(page.text)
    assert rows


def test_multivariate_and_performance_sections() -> None:
    """Multivariate verdicts and model metrics each get a section when present."""
    result, reference, current = labelled_comparison()
    html = render_report(report_document(result, reference, current, reference_source="r",
                                         current_source="c"))
    assert 'id="multivariate"' in html and ">pca<" in html
    assert 'id="performance"' in html and ">accuracy<" in html and "roc_auc" in html


def test_links_are_shown_and_unsafe_ones_dropped(document) -> None:
    """The console's links appear (escaped); a javascript: address is left out."""
    links = ReportLinks(monitor="/monitors/m%20<1>", monitor_label="m <1>",
                        previous="/runs/6", next="javascript:alert(1)", json="/api/runs/7",
                        columns={"age": "/monitors/m?column=age&range=7d"})
    html = render_report_body(document, links=links)
    page = Page(html)
    hrefs = [a["href"] for a in page.having("a")]
    assert "/monitors/m%20<1>" in hrefs and "/runs/6" in hrefs and "/api/runs/7" in hrefs
    assert "/monitors/m?column=age&range=7d" in hrefs
    assert "javascript" not in html and "m <1>" in page.text


def test_column_anchor_is_stable_distinct_and_safe() -> None:
    """Anchors are valid ids for any name, the same for the same name, distinct for others."""
    names = ["age", "a b", "a-b", "a_b", "A b", "größe", "grosse", "年龄", XSS, "", " ", "é" * 200]
    anchors = [column_anchor(n) for n in names]
    assert len(set(anchors)) == len(names)
    assert anchors == [column_anchor(n) for n in names]
    assert all(re.fullmatch(r"col-[A-Za-z0-9_-]+", a) for a in anchors), anchors
    assert all(len(a) <= 70 for a in anchors)


def test_a_comparison_alone_renders_without_charts(document) -> None:
    """render_html still gives a page for callers holding only a Comparison."""
    rng = np.random.default_rng(2)
    reference = build_profile([pd.DataFrame({"x": rng.normal(size=300)})])
    current = build_profile([pd.DataFrame({"x": rng.normal(size=300)})], reference=reference)
    page = Page(render_html(compare(reference, current), "ref", "cur"))
    assert page.open == [] and "No distribution in this report." in page.text
    assert [c["id"] for c in page.classed("card")] == ["col-x"]


def test_a_partial_document_renders() -> None:
    """An empty or malformed document renders a page instead of failing."""
    for document in ({}, {"columns": [None, {"column": 3}], "distributions": {"3": "x"},
                          "quality": "x", "reference": [], "segments": [{"drift_share": "x"}]}):
        assert Page(render_report(document)).open == []


def _wide_document(columns: int) -> dict[str, Any]:
    """A document of ``columns`` columns, half numeric (20 bins), half categorical (20 + other)."""
    rng = np.random.default_rng(3)
    entries, distributions = [], {}
    for i in range(columns):
        name = f"feature_{i}"
        effect = float(rng.random())
        entries.append({"column": name, "kind": "numeric" if i % 2 else "categorical",
                        "method": "ks", "statistic": effect, "p_value": 0.01,
                        "threshold": 0.05, "effect_size": effect, "drifted": effect > 0.7,
                        "distances": {"psi": 0.1, "jensenshannon": 0.1, "hellinger": 0.1},
                        "missing_share": 0.0})
        ref, cur = rng.dirichlet(np.ones(20)).tolist(), rng.dirichlet(np.ones(20)).tolist()
        distributions[name] = (
            {"kind": "numeric", "edges": np.linspace(0, 1, 21).tolist(), "reference": ref,
             "current": cur, "below": {"reference": 0.0, "current": 0.01},
             "above": {"reference": 0.0, "current": 0.0}} if i % 2 else
            {"kind": "categorical", "categories": [f"category {k}" for k in range(20)],
             "reference": ref, "current": cur, "other": {"reference": 0.0, "current": 0.0}})
    return {"reference": {"rows": 10, "source": "r"}, "current": {"rows": 10, "source": "c"},
            "columns": entries, "distributions": distributions, "quality": [],
            "drift_share": 0.3, "dataset_drift": True, "multivariate": [], "performance": None}


def test_two_hundred_columns_render_fast_and_small() -> None:
    """A 200-column report renders in well under a second and stays under 2 MB."""
    document = _wide_document(200)
    render_report(document)  # templates compiled once
    start = time.perf_counter()
    html = render_report(document)
    elapsed = time.perf_counter() - start
    assert len(Page(html).classed("card")) == 200
    assert elapsed < 2.0, f"{elapsed:.2f} s"  # ~0.1 s alone; slack for a busy machine
    assert len(html.encode()) < 2_000_000
