"""Tests of model metrics from performance summaries, against textbook formulas and by merging."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from monitor.profiles import build_profile
from monitor.stats import performance_metrics, roc_auc


def _classified(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    score = np.clip(0.3 + 0.35 * (y - 0.3) + rng.normal(0, 0.2, n), 0, 1)
    return pd.DataFrame({"score": score, "label": y, "x": rng.normal(size=n)})


def _summary(frame: pd.DataFrame, **options: object):  # type: ignore[no-untyped-def]
    chunks = [frame.iloc[i: i + 700] for i in range(0, len(frame), 700)]
    profile = build_profile(chunks, prediction="score", target="label", **options)
    assert profile.performance is not None
    return profile


def _textbook_classification(score: np.ndarray, y: np.ndarray) -> dict[str, float]:
    pred = score >= 0.5
    tp, fp = np.sum(pred & y), np.sum(pred & ~y)
    fn, tn = np.sum(~pred & y), np.sum(~pred & ~y)
    p = np.clip(score, 1e-15, 1 - 1e-15)
    bins = np.minimum((score * 10).astype(int), 9)
    ece = sum(abs(score[bins == b].mean() - y[bins == b].mean()) * np.sum(bins == b)
              for b in range(10) if np.any(bins == b)) / len(y)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return {
        "accuracy": (tp + tn) / len(y), "precision": precision, "recall": recall,
        "f1": 2 * precision * recall / (precision + recall),
        "roc_auc": sps.mannwhitneyu(score[y], score[~y]).statistic / (y.sum() * (~y).sum()),
        "log_loss": -np.mean(np.where(y, np.log(p), np.log(1 - p))),
        "calibration_error": ece,
    }


def test_classification_metrics_equal_textbook_formulas() -> None:
    """Every classification metric equals its textbook formula on the raw rows."""
    frame = _classified(5000, 1)
    metrics = performance_metrics(_summary(frame).performance)  # type: ignore[arg-type]
    expected = _textbook_classification(frame["score"].to_numpy(), frame["label"].to_numpy())
    assert metrics == pytest.approx(expected, rel=1e-9)


def test_regression_metrics_equal_textbook_formulas() -> None:
    """MAE, RMSE, MAPE (labels ≠ 0) and R² equal numpy on the raw rows."""
    rng = np.random.default_rng(2)
    y = rng.normal(10, 3, 4000)
    y[:5] = 0.0
    score = y + rng.normal(0, 1, 4000)
    frame = pd.DataFrame({"score": score, "label": y})
    metrics = performance_metrics(_summary(frame).performance)  # type: ignore[arg-type]
    error = score - y
    nonzero = y != 0
    assert metrics == pytest.approx({
        "mae": np.mean(np.abs(error)), "rmse": np.sqrt(np.mean(error**2)),
        "mape": np.mean(np.abs(error[nonzero] / y[nonzero])),
        "r2": 1 - np.sum(error**2) / np.sum((y - y.mean()) ** 2),
    }, rel=1e-9)


def test_summaries_merge_to_the_whole() -> None:
    """merge(summary(A), summary(B)) gives the metrics of A ∪ B exactly (AUC too, below the cap)."""
    frame = _classified(6000, 3)
    whole = performance_metrics(_summary(frame).performance)  # type: ignore[arg-type]
    merged = _summary(frame.iloc[:2500]).merge(_summary(frame.iloc[2500:]))
    assert merged.performance is not None
    assert performance_metrics(merged.performance) == pytest.approx(whole, rel=1e-9)


def test_unlabelled_rows_are_counted_and_skipped() -> None:
    """Rows without a label (not yet arrived) are counted apart and left out of the metrics."""
    frame = _classified(1000, 4).astype({"label": object})
    frame.loc[frame.index[:400], "label"] = None
    summary = _summary(frame).performance
    assert summary is not None and (summary.count, summary.unlabelled) == (600, 400)


def test_label_words_and_task_inference() -> None:
    """yes/no labels are classification; continuous labels are regression."""
    words = pd.DataFrame({"score": [0.9, 0.2, 0.6, 0.4], "label": ["yes", "no", "no", "yes"]})
    summary = build_profile([words], prediction="score", target="label").performance
    assert summary is not None and summary.task == "classification"
    assert performance_metrics(summary)["accuracy"] == 0.5
    numbers = pd.DataFrame({"score": [1.0, 2.0], "label": [1.5, 2.5]})
    regression = build_profile([numbers], prediction="score", target="label").performance
    assert regression is not None and regression.task == "regression"


def test_undefined_metrics_are_nan() -> None:
    """Precision without a positive prediction, AUC with one class: NaN (undefined in alerts)."""
    frame = pd.DataFrame({"score": [0.1, 0.2, 0.3], "label": [0, 0, 1]})
    metrics = performance_metrics(build_profile([frame], prediction="score",
                                                target="label").performance)  # type: ignore[arg-type]
    assert math.isnan(metrics["precision"]) and metrics["recall"] == 0.0
    assert math.isnan(roc_auc(np.array([0.1, 0.2]), np.array([1, 1])))


def test_target_is_never_profiled_as_a_column() -> None:
    """The label column feeds performance only, not drift."""
    profile = _summary(_classified(100, 5))
    assert list(profile.columns) == ["score", "x"]
