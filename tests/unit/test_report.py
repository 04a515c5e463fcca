"""Tests of the plain-text, JSON and HTML reports of a comparison."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from monitor.analysis.comparison import Comparison, compare
from monitor.analysis.quality import QualityOptions
from monitor.profiles import Profile, build_profile
from monitor.report import render_html, render_json, render_table


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    """A comparison where `age` drifted, `score` did not, `state` is missing, `extra` is new."""
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"age": rng.normal(40, 10, 3000), "score": rng.random(3000),
                        "state": rng.choice(list("ab"), 3000)})
    cur = pd.DataFrame({"age": rng.normal(50, 10, 2000), "score": rng.random(2000),
                        "extra": 1})
    reference = build_profile([ref])
    return compare(reference, build_profile([cur], reference=reference),
                   quality=QualityOptions(min_rows=100))


def test_table_names_rows_drift_and_columns(comparison: Comparison) -> None:
    """The table shows rows, the drift headline and one line per column, drifted marked."""
    text = render_table(comparison, "train.parquet", "today.parquet")
    lines = text.splitlines()
    assert "train.parquet" in lines[0] and "3,000 rows" in lines[0]
    assert "today.parquet" in lines[1] and "2,000 rows" in lines[1]
    assert "1 of 2 columns drifted (drift share 50.0%); dataset drift: yes" in text
    (age,) = [line for line in lines if line.startswith("age ")]
    (score,) = [line for line in lines if line.startswith("score ")]
    assert age.split()[:3] == ["age", "numeric", "ks"] and age.endswith("DRIFTED")
    assert score.endswith("no")
    header = next(line for line in lines if line.startswith("column "))
    assert header.split() == ["column", "kind", "method", "statistic", "p-value", "threshold",
                              "effect", "drifted"]


def test_table_lists_failed_checks_and_extra_columns(comparison: Comparison) -> None:
    """Failed quality checks and extra columns are listed."""
    text = render_table(comparison, "train.parquet", "today.parquet")
    # min_rows, then missing_share_increase and type_mismatch_share of age and score
    assert "Quality checks: 1 failed, 5 passed. Failed:" in text
    assert any(line.split()[:2] == ["missing_column", "state"] for line in text.splitlines())
    assert text.rstrip().endswith("Extra columns (not in the reference): extra")


def test_table_for_an_empty_window() -> None:
    """An empty window says nothing was compared and shows the failed min_rows."""
    reference = build_profile([pd.DataFrame({"x": [1.0, 2.0]})])
    empty = compare(reference, build_profile([], reference=reference))
    text = render_table(empty, "ref", "window")
    assert "No column compared for drift" in text
    assert any(line.split()[:4] == ["min_rows", "(dataset)", "0", ">="] for line in
               text.splitlines())


def test_json_is_the_contract_document(comparison: Comparison) -> None:
    """render_json is to_dict as indented JSON."""
    text = render_json(comparison, "train.parquet", "today.parquet")
    assert json.loads(text) == comparison.to_dict("train.parquet", "today.parquet")
    assert text.startswith('{\n  "reference": {')


def labelled_comparison() -> tuple[Any, Profile, Profile]:
    """Two correlated columns that decorrelate (multivariate drift), with labelled predictions."""
    from monitor.analysis.comparison import DriftOptions

    rng = np.random.default_rng(1)
    x = rng.normal(size=2000)
    ref = pd.DataFrame({"a": x, "b": x + rng.normal(0, 0.1, 2000), "p": rng.random(2000),
                        "y": rng.random(2000) < 0.5})
    cur = pd.DataFrame({"a": rng.normal(size=2000), "b": rng.normal(size=2000),
                        "p": rng.random(2000), "y": rng.random(2000) < 0.5})
    reference = build_profile([ref], exclude=["y"])
    current = build_profile([cur], reference=reference, prediction="p", target="y")
    return (compare(reference, current, DriftOptions(multivariate=("pca",), prediction="p")),
            reference, current)


def test_table_shows_multivariate_tests_and_model_metrics() -> None:
    """Multivariate verdicts and model metrics get their own lines; JSON carries them too."""
    result, _, _ = labelled_comparison()
    text = render_table(result, "ref", "cur")
    (pca,) = [line for line in text.splitlines() if line.strip().startswith("pca ")]
    assert pca.endswith("DRIFTED")
    assert "Model performance: accuracy 0." in text and "roc_auc" in text
    document = json.loads(render_json(result, "ref", "cur"))
    assert document["multivariate"][0]["method"] == "pca"
    assert 0.4 < document["performance"]["accuracy"] < 0.6


def test_html_page_marks_drift_and_failed_checks(comparison: Comparison) -> None:
    """The HTML page is well formed, escapes names, marks drifted columns and failed checks."""
    from html.parser import HTMLParser

    page = render_html(comparison, "<train>.parquet", "today.parquet")
    opened: list[str] = []

    class Balance(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag not in ("meta", "br", "link"):
                opened.append(tag)

        def handle_endtag(self, tag):
            assert opened.pop() == tag

    Balance().feed(page)
    assert opened == []
    assert "&lt;train&gt;.parquet" in page and "<train>" not in page
    assert '<article class="card drifted" id="col-age">' in page
    assert '<article class="card" id="col-score">' in page
    assert "1 of 2 columns drifted" in page
    assert "<td>missing_column</td><td>state</td>" in page and "FAILED" in page
