"""Model performance from a window's ``PerformanceSummary``: classification and regression.

Every metric but ROC AUC is exact (see ``monitor.profiles.performance``);
a metric with nothing to measure (precision without a positive prediction,
R² of constant labels) is NaN, which alert conditions read as undefined.

Classification: ``accuracy``, ``precision``, ``recall``, ``f1`` (of the
positive class at the summary's threshold), ``roc_auc`` (Mann–Whitney on the
pair sample), ``log_loss`` (mean negative log-likelihood) and
``calibration_error`` (expected calibration error over ten equal-width bins
of the predicted probability: Σ n_b/N · |mean prediction − mean label|).
Regression: ``mae``, ``rmse``, ``mape`` (over labels ≠ 0, as a fraction),
``r2`` (1 − SSE / SST).

References: T. Fawcett, "An introduction to ROC analysis", Pattern
Recognit. Lett. 27 (2006); M. P. Naeini, G. F. Cooper, M. Hauskrecht,
"Obtaining well calibrated probabilities using Bayesian binning", AAAI (2015).
"""

from __future__ import annotations

import math

import numpy as np

from monitor.profiles import CLASSIFICATION, PerformanceSummary

__all__ = [
    "CLASSIFICATION_METRICS",
    "PERFORMANCE_METRICS",
    "REGRESSION_METRICS",
    "performance_metrics",
    "roc_auc",
]

CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss",
                          "calibration_error")
REGRESSION_METRICS = ("mae", "rmse", "mape", "r2")
PERFORMANCE_METRICS = CLASSIFICATION_METRICS + REGRESSION_METRICS


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve: the chance a positive outscores a negative (ties count half).

    >>> roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
    0.75
    """
    positive = labels >= 0.5
    n_pos, n_neg = int(np.count_nonzero(positive)), int(np.count_nonzero(~positive))
    if n_pos == 0 or n_neg == 0:
        return math.nan
    from scipy import stats as sps  # imported on use: see monitor.stats.kolmogorov

    ranks = sps.rankdata(scores)
    u = float(ranks[positive].sum()) - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)


def performance_metrics(summary: PerformanceSummary) -> dict[str, float]:
    """The metrics of the summary's task, by name (NaN where undefined or nothing labelled)."""
    if summary.task == CLASSIFICATION:
        return _classification(summary)
    return _regression(summary)


def _classification(summary: PerformanceSummary) -> dict[str, float]:
    s, n = summary.sums, summary.count
    tp, fp, fn, tn = s["tp"], s["fp"], s["fn"], s["tn"]
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    calibration = summary.calibration
    if n and len(calibration):
        gaps = np.abs(calibration[:, 1] - calibration[:, 2])  # n_b·|mean p − mean y|
        ece = float(gaps.sum()) / n
    else:
        ece = math.nan
    pairs = summary.pairs
    return {
        "accuracy": _ratio(tp + tn, n),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "roc_auc": roc_auc(pairs[:, 0], pairs[:, 1]) if len(pairs) else math.nan,
        "log_loss": _ratio(s["log_loss"], n),
        "calibration_error": ece,
    }


def _regression(summary: PerformanceSummary) -> dict[str, float]:
    s, n = summary.sums, summary.count
    return {
        "mae": _ratio(s["abs_error"], n),
        "rmse": math.sqrt(s["sq_error"] / n) if n else math.nan,
        "mape": _ratio(s["rel_error"], s["rel_count"]),
        "r2": 1.0 - s["sq_error"] / s["target_m2"] if s["target_m2"] > 0 else math.nan,
    }
