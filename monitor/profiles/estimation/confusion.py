"""Multiclass bands: rows by predicted class and confidence, with each class's expected share.

A row's label is one class: when one class gains a row, another loses it.
Drawing each class's labels apart (``cbpe``) ignores that, and the macro
averages of precision, recall and F1 then vary less than realized windows do.
These cells keep, per predicted class and ``CONFIDENCE_BINS`` bins of the
predicted class's calibrated probability, the rows and the sum of every
class's probability; drawing each cell's labels from a multinomial law (its
rows, its mean probabilities) gives a realized window's whole confusion
matrix at once, from which the bands of accuracy, precision, recall and F1
are read. The cells merge by addition, like ``cbpe``'s.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CONFIDENCE_BINS", "bin_predictions", "confusion_metrics", "draw_confusions",
           "joint_shape", "ratio"]

CONFIDENCE_BINS = 32


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` elementwise, NaN where the denominator is not positive."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1),
                        np.nan)


def joint_shape(classes: int) -> tuple[int, int, int]:
    """Cells per predicted class and confidence bin: rows, then each class's Σp."""
    return classes, CONFIDENCE_BINS, classes + 1


def bin_predictions(cells: np.ndarray, predicted: np.ndarray, probability: np.ndarray) -> None:
    """Add rows (predicted class index, -1 for none; calibrated probabilities) in place."""
    classes = probability.shape[1]
    keep = predicted >= 0
    chosen, probability = predicted[keep], probability[keep]
    confidence = probability[np.arange(chosen.size), chosen]
    index = chosen * CONFIDENCE_BINS + np.minimum(
        (confidence * CONFIDENCE_BINS).astype(np.int64), CONFIDENCE_BINS - 1)
    size = classes * CONFIDENCE_BINS
    sums = [np.bincount(index, minlength=size)]
    sums += [np.bincount(index, weights=probability[:, k], minlength=size)
             for k in range(classes)]
    cells += np.stack(sums, axis=-1).reshape(cells.shape)


def draw_confusions(cells: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` confusion matrices (predicted × actual) of windows with these rows."""
    classes = cells.shape[0]
    flat = cells.reshape(-1, classes + 1)
    rows = np.rint(flat[:, 0]).astype(np.int64)
    total = flat[:, 1:].sum(axis=1, keepdims=True)
    share = np.divide(flat[:, 1:], total, out=np.full_like(flat[:, 1:], 1 / classes),
                      where=total > 0)
    share = np.clip(share, 0, None)
    share /= share.sum(axis=1, keepdims=True)
    labels = rng.multinomial(rows, share, size=(draws, rows.size))
    matrices: np.ndarray = labels.reshape(draws, classes, CONFIDENCE_BINS, classes).sum(axis=2)
    return matrices


def confusion_metrics(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Per-class precision, recall, F1 (last axis the class) and accuracy of each matrix."""
    tp = np.diagonal(confusion, axis1=-2, axis2=-1).astype(np.float64)
    predicted = confusion.sum(axis=-1).astype(np.float64)
    actual = confusion.sum(axis=-2).astype(np.float64)
    return {"precision": ratio(tp, predicted), "recall": ratio(tp, actual),
            "f1": ratio(2 * tp, predicted + actual),
            "accuracy": ratio(tp.sum(axis=-1), confusion.sum(axis=(-2, -1)).astype(np.float64))}
