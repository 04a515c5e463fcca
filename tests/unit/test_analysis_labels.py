"""Tests of labels that arrive later: the window they measure and the join on the id column."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from monitor.analysis import join_labels
from monitor.stats import performance_metrics


def _predictions(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"r{i}" for i in range(n)]
    score = rng.random(n)
    outcome = rng.random(n) < score
    return (pd.DataFrame({"rid": ids, "score": score, "x": rng.normal(size=n)}),
            pd.DataFrame({"rid": ids, "defaulted": outcome}))


def test_join_equals_metrics_on_the_joined_rows() -> None:
    """Labels streamed in shuffled chunks give the metrics of the rows joined in pandas."""
    predictions, labels = _predictions(3000, 1)
    shuffled = labels.sample(frac=1.0, random_state=2)
    chunks = [shuffled.iloc[i:i + 700] for i in range(0, 3000, 700)]
    summary = join_labels([predictions.iloc[:1500], predictions.iloc[1500:]], chunks,
                          id_column="rid", prediction="score", target="defaulted")
    assert summary is not None and (summary.count, summary.unlabelled) == (3000, 0)
    joined = predictions.merge(labels, on="rid")
    expected = ((joined["score"] >= 0.5) == joined["defaulted"]).mean()
    assert performance_metrics(summary)["accuracy"] == pytest.approx(expected, rel=1e-12)


def test_missing_extra_and_repeated_labels() -> None:
    """Unlabelled predictions are counted; labels of other ids are ignored; a repeat counts once."""
    predictions, labels = _predictions(1000, 3)
    partial = pd.concat([labels.iloc[:600], labels.iloc[:100],
                         pd.DataFrame({"rid": ["other"], "defaulted": [True]})])
    summary = join_labels([predictions], [partial], id_column="rid", prediction="score",
                          target="defaulted")
    assert summary is not None and (summary.count, summary.unlabelled) == (600, 400)


def test_no_label_yet_gives_no_metrics() -> None:
    """Before any label arrives there is nothing to measure."""
    predictions, labels = _predictions(100, 4)
    empty = labels.iloc[:0]
    assert join_labels([predictions], [empty], id_column="rid", prediction="score",
                       target="defaulted") is None
    regression = join_labels(
        [pd.DataFrame({"rid": [1, 2], "score": [1.0, 2.5]})],
        [pd.DataFrame({"rid": [2, 1], "y": [2.0, 1.0]})],
        id_column="rid", prediction="score", target="y", task="regression")
    assert regression is not None
    metrics = performance_metrics(regression)
    assert metrics["mae"] == pytest.approx(0.25) and not math.isnan(metrics["rmse"])
