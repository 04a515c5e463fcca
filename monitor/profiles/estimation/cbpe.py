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
class was predicted. Each cell keeps five sums: rows, Σp, labelled rows,
labelled positives and the sum of the raw scores. They merge by addition, so
windows stream in chunks and combine exactly. Everything but ROC AUC is
exact; ROC AUC counts two rows of the same bin as a tie, an error below half
the largest bin's share of the rows (about 1/(2·SCORE_BINS)).

**Band.** Given the scores, the realized labels are independent Bernoulli
draws, so the realized metric varies around the estimate. Drawing each cell's
positives ``DRAWS`` times from a binomial law with the cell's rows and mean
probability (whose variance is at least the exact Poisson-binomial one, so
the band errs wide) gives the 2.5 % and 97.5 % quantiles of the realized metric: the 95 %
band. The calibration's own error, from a finite reference, is added to
each draw: the reference's labelled rows are resampled ``BOOTSTRAPS`` times
when the estimator is fitted, an isotonic map fitted on each, and the
metric's shift under each map (each cell's probability read at its mean
score) is added to the draws in turn. Scores kept as they are (no map) add
none. For multiclass models, whose classes share each row, the bands of
accuracy, precision, recall and F1 come from whole confusion matrices drawn
at once (``confusion``), and each class's drawn positives are scaled to the
class's total in the same matrix before its ROC AUC is read.

The same cells give the realized metrics from labelled rows, on the same
bins, so an estimate and its realized value are measured alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from monitor.profiles.estimation.calibration import Calibration
from monitor.profiles.estimation.confusion import confusion_metrics, draw_confusions, ratio

__all__ = [
    "BOOTSTRAPS",
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
BOOTSTRAPS = 20
DRAWS = 400
CHANNELS = ("rows", "p", "labelled", "positive", "score")
CLASSIFICATION_ESTIMATES = ("roc_auc", "f1", "precision", "recall", "accuracy")
_ROWS, _P, _LABELLED, _POSITIVE, _SCORE = range(5)


def score_edges(scores: np.ndarray, bins: int = SCORE_BINS) -> np.ndarray:
    """Inner bin edges at the quantiles of the finite ``scores`` (duplicates dropped)."""
    finite = scores[np.isfinite(scores)]
    if finite.size == 0:
        return np.zeros(0)
    return np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))


def bin_rows(cells: np.ndarray, edges: np.ndarray, scores: np.ndarray, probability: np.ndarray,
             predicted: np.ndarray, positive: np.ndarray, labelled: np.ndarray) -> None:
    """Add rows of one class to its cells (shape ``(2, len(edges) + 1, 5)``), in place.

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
            np.bincount(index[labelled & positive], minlength=size),
            np.bincount(index, weights=scores, minlength=size)]
    cells += np.stack(sums, axis=-1).reshape(2, width, 5)


def _metrics(rows: np.ndarray, positives: np.ndarray) -> dict[str, np.ndarray]:
    """One class's metrics from cells ``(..., 2, bins)`` of rows and positives (draws first)."""
    tp = positives[..., 1, :].sum(-1)
    predicted = rows[..., 1, :].sum(-1)
    fn = positives[..., 0, :].sum(-1)
    pos = positives.sum(-2)
    neg = rows.sum(-2) - pos
    below = np.cumsum(neg, axis=-1) - neg
    n_pos, n_neg = pos.sum(-1), neg.sum(-1)
    auc = ratio((pos * (below + 0.5 * neg)).sum(-1), n_pos * n_neg)
    return {"tp": tp, "tn": rows[..., 0, :].sum(-1) - fn, "rows": rows.sum((-1, -2)),
            "precision": ratio(tp, predicted), "recall": ratio(tp, tp + fn),
            "f1": ratio(2 * tp, predicted + tp + fn), "roc_auc": auc}


def _combine(per_class: list[dict[str, np.ndarray]], binary: bool) -> dict[str, np.ndarray]:
    """The window's metrics: the positive class's for binary, macro averages for multiclass."""
    if binary:
        only = per_class[0]
        out = {k: only[k] for k in ("precision", "recall", "f1", "roc_auc")}
        out["accuracy"] = ratio(only["tp"] + only["tn"], only["rows"])
        return out
    out = {}
    for name in ("precision", "recall", "f1", "roc_auc"):
        with np.errstate(invalid="ignore"):
            out[name] = np.mean(np.stack([m[name] for m in per_class]), axis=0)
    rows = per_class[0]["rows"]
    out["accuracy"] = ratio(np.sum([m["tp"] for m in per_class], axis=0), rows)
    return out


def realized_classes(cells: list[np.ndarray], binary: bool) -> dict[str, float]:
    """Metrics measured on the labelled rows of the cells."""
    per_class = [_metrics(c[..., _LABELLED], c[..., _POSITIVE]) for c in cells]
    return {k: float(v) for k, v in _combine(per_class, binary).items()}


def estimate_classes(
    cells: list[np.ndarray], binary: bool, classes: tuple[str, ...], seed: int = 0,
    joint: np.ndarray | None = None, resampled: Sequence[Sequence[Calibration]] = (),
) -> tuple[dict[str, tuple[float, float, float]], dict[str, dict[str, tuple[float, float, float]]]]:
    """Estimated metrics with their 95 % band: the window's, and each class's for multiclass.

    With the multiclass ``joint`` cells (``confusion``), the bands of accuracy,
    precision, recall and F1 come from whole confusion matrices drawn at once;
    ``resampled`` holds each class's bootstrap calibrations (empty: none).
    Returns ``({metric: (value, lower, upper)}, {class: {metric: (value, lower, upper)}})``.
    """
    rng = np.random.default_rng(seed)
    confusions = draw_confusions(joint, DRAWS, rng) if joint is not None and not binary else None
    expected, drawn = [], []
    for k, c in enumerate(cells):
        rows, p = c[..., _ROWS], c[..., _P]
        expected.append(_metrics(rows, p))
        share = np.clip(np.divide(p, rows, out=np.zeros_like(p), where=rows > 0), 0, 1)
        draws = rng.binomial(rows.astype(np.int64), share, size=(DRAWS, *p.shape)).astype(float)
        if confusions is not None:  # each class's total as the whole matrix drew it
            actual = confusions[:, :, k].sum(axis=1).astype(np.float64)
            total = draws.sum(axis=(1, 2))
            draws *= np.divide(actual, total, out=np.ones_like(total), where=total > 0)[
                :, None, None]
            np.minimum(draws, rows, out=draws)
        drawn.append(_metrics(rows, draws))
    together = _combine(drawn, binary)
    if confusions is not None:
        drawn_joint = confusion_metrics(confusions)
        for name in ("precision", "recall", "f1"):
            together[name] = np.mean(drawn_joint[name], axis=-1)
            for k, own in enumerate(drawn):
                own[name] = drawn_joint[name][:, k]
        together["accuracy"] = drawn_joint["accuracy"]
    center = _combine(expected, binary)
    shifts = _calibration_shifts(cells, resampled, binary, expected, center)
    for target, shift in ((together, shifts[0]), *zip(drawn, shifts[1], strict=False)):
        for name, values in shift.items():
            target[name] = target[name] + np.resize(values, DRAWS)
    window = _bands(center, together)
    per_class = {} if binary else {
        name: _bands(e, d) for name, e, d in zip(classes, expected, drawn, strict=True)}
    return window, per_class


def _calibration_shifts(
    cells: list[np.ndarray], resampled: Sequence[Sequence[Calibration]], binary: bool,
    expected: list[dict[str, np.ndarray]], center: Mapping[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], list[dict[str, np.ndarray]]]:
    """Each metric's shift under each bootstrap calibration: the window's, and each class's."""
    count = max((len(r) for r in resampled), default=0)
    if count == 0:
        return {}, []
    per_class: list[list[dict[str, np.ndarray]]] = []
    for k, c in enumerate(cells):
        rows = c[..., _ROWS]
        mean_score = np.divide(c[..., _SCORE], rows, out=np.zeros_like(rows), where=rows > 0)
        maps = resampled[k] if k < len(resampled) else ()
        per_class.append([_metrics(rows, rows * maps[b].apply(mean_score)) if maps
                          else expected[k] for b in range(count)])
    window = [_combine([runs[b] for runs in per_class], binary) for b in range(count)]
    shift = {name: np.array([float(w[name]) - float(center[name]) for w in window])
             for name in center}
    own = [{name: np.array([float(r[name]) - float(expected[k][name]) for r in runs])
            for name in ("precision", "recall", "f1", "roc_auc")}
           for k, runs in enumerate(per_class)]
    return shift, own


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
