"""Confidence-based performance estimation (CBPE): a classifier's metrics without labels.

If the calibrated probability ``p`` of a row is right (the assumption: no
concept drift, ``P(y | score)`` as in the reference), a row predicted
positive is a true positive with chance ``p`` and a false one with ``1 − p``.
Summing over a window gives the expected confusion matrix, hence accuracy,
precision, recall and F1; the expected ROC curve (each row counting ``p`` as
a positive and ``1 − p`` as a negative at its score) gives ROC AUC. This is
the estimator of NannyML's CBPE (H. Kronenberger, "Estimating model
performance without ground truth", 2022).

**State.** Per class (binary: the positive class only), rows are binned on
the reference's score quantiles (``SCORE_BINS`` bins) and split by whether the
class was predicted. Each cell keeps four sums: rows, Σp, labelled rows and
labelled positives. They merge by addition, so windows stream in chunks
and combine exactly. Everything but ROC AUC is exact; ROC AUC counts two rows
of the same bin as a tie, an error below half the largest bin's share of the
rows (about 1/(2·SCORE_BINS) of the positives times the negatives).

**Band.** Given the scores, the realized labels are independent Bernoulli
draws, so the realized metric varies around the estimate. Drawing each cell's
positives ``DRAWS`` times from a binomial law with the cell's rows and mean
probability (whose variance is at least the exact Poisson-binomial one, so
the band errs wide) gives the 2.5 % and 97.5 % quantiles of the realized metric: the 95 %
band. It leaves out the error of the calibration itself, which the
reference's size bounds.

The same cells give the realized metrics from labelled rows, on the same
bins, so an estimate and its realized value are measured alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = [
    "CHANNELS",
    "CLASSIFICATION_ESTIMATES",
    "DRAWS",
    "SCORE_BINS",
    "bin_rows",
    "estimate_classes",
    "realized_classes",
    "score_edges",
]

SCORE_BINS = 2048
DRAWS = 400
CHANNELS = ("rows", "p", "labelled", "positive")
CLASSIFICATION_ESTIMATES = ("roc_auc", "f1", "precision", "recall", "accuracy")
_ROWS, _P, _LABELLED, _POSITIVE = range(4)


def score_edges(scores: np.ndarray, bins: int = SCORE_BINS) -> np.ndarray:
    """Inner bin edges at the quantiles of the finite ``scores`` (duplicates dropped)."""
    finite = scores[np.isfinite(scores)]
    if finite.size == 0:
        return np.zeros(0)
    return np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))


def bin_rows(cells: np.ndarray, edges: np.ndarray, scores: np.ndarray, probability: np.ndarray,
             predicted: np.ndarray, positive: np.ndarray, labelled: np.ndarray) -> None:
    """Add rows of one class to its cells (shape ``(2, len(edges) + 1, 4)``), in place.

    Args:
        scores: the class's scores, binned on ``edges``.
        probability: the calibrated chance each row belongs to the class.
        predicted: whether each row was predicted as the class.
        positive: whether each labelled row belongs to the class.
        labelled: whether each row has a label.
    """
    width = cells.shape[1]
    index = np.searchsorted(edges, scores, side="right") + predicted.astype(np.int64) * width
    size = 2 * width
    sums = [np.bincount(index, minlength=size),
            np.bincount(index, weights=probability, minlength=size),
            np.bincount(index[labelled], minlength=size),
            np.bincount(index[labelled & positive], minlength=size)]
    cells += np.stack(sums, axis=-1).reshape(2, width, 4)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1),
                        np.nan)


def _metrics(rows: np.ndarray, positives: np.ndarray) -> dict[str, np.ndarray]:
    """One class's metrics from cells ``(..., 2, bins)`` of rows and positives (draws first)."""
    tp = positives[..., 1, :].sum(-1)
    predicted = rows[..., 1, :].sum(-1)
    fn = positives[..., 0, :].sum(-1)
    pos = positives.sum(-2)
    neg = rows.sum(-2) - pos
    below = np.cumsum(neg, axis=-1) - neg
    n_pos, n_neg = pos.sum(-1), neg.sum(-1)
    auc = _ratio((pos * (below + 0.5 * neg)).sum(-1), n_pos * n_neg)
    return {"tp": tp, "tn": rows[..., 0, :].sum(-1) - fn, "rows": rows.sum((-1, -2)),
            "precision": _ratio(tp, predicted), "recall": _ratio(tp, tp + fn),
            "f1": _ratio(2 * tp, predicted + tp + fn), "roc_auc": auc}


def _combine(per_class: list[dict[str, np.ndarray]], binary: bool) -> dict[str, np.ndarray]:
    """The window's metrics: the positive class's for binary, macro averages for multiclass."""
    if binary:
        only = per_class[0]
        out = {k: only[k] for k in ("precision", "recall", "f1", "roc_auc")}
        out["accuracy"] = _ratio(only["tp"] + only["tn"], only["rows"])
        return out
    out = {}
    for name in ("precision", "recall", "f1", "roc_auc"):
        with np.errstate(invalid="ignore"):
            out[name] = np.mean(np.stack([m[name] for m in per_class]), axis=0)
    rows = per_class[0]["rows"]
    out["accuracy"] = _ratio(np.sum([m["tp"] for m in per_class], axis=0), rows)
    return out


def realized_classes(cells: list[np.ndarray], binary: bool) -> dict[str, float]:
    """Metrics measured on the labelled rows of the cells."""
    per_class = [_metrics(c[..., _LABELLED], c[..., _POSITIVE]) for c in cells]
    return {k: float(v) for k, v in _combine(per_class, binary).items()}


def estimate_classes(
    cells: list[np.ndarray], binary: bool, classes: tuple[str, ...], seed: int = 0
) -> tuple[dict[str, tuple[float, float, float]], dict[str, dict[str, tuple[float, float, float]]]]:
    """Estimated metrics with their 95 % band: the window's, and each class's for multiclass.

    Returns ``({metric: (value, lower, upper)}, {class: {metric: (value, lower, upper)}})``.
    """
    rng = np.random.default_rng(seed)
    expected, drawn = [], []
    for c in cells:
        rows, p = c[..., _ROWS], c[..., _P]
        expected.append(_metrics(rows, p))
        share = np.clip(np.divide(p, rows, out=np.zeros_like(p), where=rows > 0), 0, 1)
        draws = rng.binomial(rows.astype(np.int64), share, size=(DRAWS, *p.shape))
        drawn.append(_metrics(rows, draws))
    window = _bands(_combine(expected, binary), _combine(drawn, binary))
    per_class = {} if binary else {
        name: _bands(e, d) for name, e, d in zip(classes, expected, drawn, strict=True)}
    return window, per_class


def _bands(value: Mapping[str, np.ndarray], draws: Mapping[str, np.ndarray]
           ) -> dict[str, tuple[float, float, float]]:
    out = {}
    for name in (n for n in CLASSIFICATION_ESTIMATES if n in value):
        center = float(value[name])
        sample = draws[name][np.isfinite(draws[name])]
        if math.isnan(center) or sample.size == 0:
            out[name] = (center, math.nan, math.nan)
            continue
        lower, upper = np.quantile(sample, [0.025, 0.975])
        out[name] = (center, min(float(lower), center), max(float(upper), center))
    return out
