"""`monitor compare --text`: the texts in the JSON document, the table and the HTML page."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.cli import main

from .corpus import Corpus


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ref.parquet, cur.parquet (a template in 5 % of rows) and same.parquet (no change)."""
    rng = np.random.default_rng(21)
    corpus = Corpus()
    for name, n, scenario in (("ref", 3000, "none"), ("cur", 1500, "template"),
                              ("same", 1500, "none")):
        pd.DataFrame({"review": corpus.documents(rng, n, scenario),
                      "x": rng.normal(size=n)}).to_parquet(tmp_path / f"{name}.parquet")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    return tmp_path


def test_compare_json_lists_the_drifted_text_and_exits_1(
        files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["compare", "--text", "review", "ref.parquet", "cur.parquet",
                   "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert status == 1
    (text,) = document["texts"]
    assert text["column"] == "review" and text["drifted"] is True
    assert text["documents"] == {"reference": 1500, "current": 1500}  # half chose the words
    assert text["vocabulary"]["drifted"] and text["vocabulary"]["p_value"] < 1e-6
    # the length column is compared as before, and x did not move
    assert {c["column"]: c["kind"] for c in document["columns"]} == {
        "review": "text", "x": "numeric"}
    assert not any(c["drifted"] for c in document["columns"] if c["column"] == "x")


def test_no_change_exits_0_and_the_table_shows_the_text(
        files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["compare", "--text", "review", "ref.parquet", "same.parquet"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "Text review (1,500 reference texts, 1,500 current): no drift" in out
    assert "vocabulary" in out and "oov_share" in out


def test_the_html_report_shows_the_words_that_moved(
        files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["compare", "--text", "review", "ref.parquet", "cur.parquet", "--format", "html"])
    page = capsys.readouterr().out
    assert '<h2 id="texts">Text columns</h2>' in page
    assert "Tokens whose share of texts moved most" in page
    assert "<td>oov_share</td>" in page
