"""`monitor compare --format html` on real CSV and Parquet files: a whole report with charts."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.cli import main
from monitor.report import column_anchor

pytestmark = pytest.mark.integration

ODD = 'city <b>"&'


class Elements(HTMLParser):
    """Tags with their attributes, and the text, of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def classed(self, name: str) -> list[dict[str, str | None]]:
        """Attributes of every element whose class list holds ``name``."""
        return [a for _, a in self.tags if name in (a.get("class") or "").split()]


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """train.csv and a drifted today.parquet (one new category, an odd column name)."""
    rng = np.random.default_rng(5)
    train = pd.DataFrame({"x": rng.normal(0, 1, 2000), "y": rng.random(2000),
                          ODD: rng.choice(["a", "b", "c"], 2000)})
    today = pd.DataFrame({"x": rng.normal(1.5, 1, 1500), "y": rng.random(1500),
                          ODD: rng.choice(["a", "b", "<new>"], 1500)})
    train.to_csv(tmp_path / "train.csv", index=False)
    today.to_parquet(tmp_path / "today.parquet", index=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run `monitor ARGS...`; return the exit status and stdout."""
    status = main(list(args))
    return status, capsys.readouterr().out


def test_compare_html_is_a_report_with_a_chart_per_column(files, capsys):
    """Exit 1 on drift; one card per column with its chart, drifted first, names as text."""
    status, html = run(capsys, "compare", "train.csv", "today.parquet", "--format", "html",
                       "--categorical", ODD)
    assert status == 1
    page = Elements(html)
    assert html.startswith("<!doctype html>") and not [t for t, _ in page.tags if t == "script"]
    cards = page.classed("card")
    assert [c["id"] for c in cards][:2] == [column_anchor("x"), column_anchor(ODD)]
    assert {c["id"] for c in cards} == {column_anchor(n) for n in ("x", "y", ODD)}
    assert len(page.classed("histogram-chart")) == 2 and len(page.classed("categories-chart")) == 1
    assert len(page.classed("chart-bar")) >= 2 * 2 * 20
    assert ODD in page.text and "<new>" in " ".join(page.text)
    assert not [t for t, _ in page.tags if t == "b"]
    assert "train.csv (2,000 rows)" in page.text and "today.parquet (1,500 rows)" in page.text


def test_compare_json_keeps_its_contract(files, capsys):
    """--format json is still exactly the documented keys, no distributions."""
    status, out = run(capsys, "compare", "train.csv", "today.parquet", "--format", "json",
                      "--categorical", ODD)
    assert status == 1
    assert set(json.loads(out)) == {"reference", "current", "columns", "quality",
                                    "drift_share", "dataset_drift", "multivariate",
                                    "performance", "estimated_performance", "embeddings", "texts"}


def test_compare_html_against_a_profile_file(files, capsys):
    """A profile JSON as REFERENCE draws the same charts (its edges and categories)."""
    assert run(capsys, "profile", "train.csv", "--out", "ref.json", "--categorical", ODD)[0] == 0
    status, html = run(capsys, "compare", "ref.json", "today.parquet", "--format", "html")
    assert status == 1
    page = Elements(html)
    assert len(page.classed("card")) == 3 and len(page.classed("histogram-chart")) == 2
