"""Isotonic calibration: the map from a model's score to the chance its label is positive.

Confidence-based estimation needs probabilities that mean what they say. The
reference (with labels) fits a monotone non-decreasing map from score to the
share of positives by isotonic regression (pool-adjacent-violators, through
``scipy.optimize.isotonic_regression``), as scikit-learn's
``IsotonicRegression`` does; new scores are mapped by linear interpolation
between the fitted points and clipped to the end values outside them. The map
is kept as the corners of its steps only, so it is small and JSON-able.

Scores that already are probabilities may need no map: isotonic steps flatten
the probability inside each step and clip the ends, which costs accuracy when
there was nothing to correct. ``choose_calibration`` keeps the scores as they
are (the identity map) unless the isotonic map predicts held-out reference
labels better (a lower Brier score over ``FOLDS`` folds), as NannyML checks
before it calibrates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FOLDS", "IDENTITY", "Calibration", "choose_calibration", "fit_calibration"]

FOLDS = 5


@dataclass(frozen=True, slots=True, eq=False)
class Calibration:
    """A monotone map from score to probability: points ``(x, y)``, interpolated."""

    x: np.ndarray
    y: np.ndarray

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of ``scores`` (NaN stays NaN).

        >>> Calibration(np.array([0.0, 1.0]), np.array([0.2, 0.6])).apply(np.array([0.5, 3]))
        array([0.4, 0.6])
        """
        if self.x.size == 0:
            return np.full(scores.shape, np.nan)
        return np.asarray(np.interp(scores, self.x, self.y), dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"x": [float(v) for v in self.x], "y": [float(v) for v in self.y]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """Rebuild from ``to_dict``; raises ValueError when the points are not a monotone map."""
        x = np.asarray(data["x"], dtype=np.float64)
        y = np.asarray(data["y"], dtype=np.float64)
        if x.shape != y.shape or x.ndim != 1 or np.any(np.diff(x) < 0) or np.any(np.diff(y) < 0):
            raise ValueError("a calibration needs as many x as y, both non-decreasing")
        return cls(x, y)


def fit_calibration(scores: np.ndarray, labels: np.ndarray) -> Calibration:
    """Fit the isotonic map of 0/1 ``labels`` on ``scores`` (rows with NaN are left out).

    >>> c = fit_calibration(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.0, 1.0, 0.0, 1.0]))
    >>> c.apply(np.array([0.1, 0.25, 0.4])).round(3).tolist()
    [0.0, 0.5, 1.0]
    """
    from scipy.optimize import isotonic_regression  # imported on use: it loads slowly

    keep = np.isfinite(scores) & np.isfinite(labels)
    scores, labels = scores[keep], labels[keep]
    if scores.size == 0:
        return Calibration(np.zeros(0), np.zeros(0))
    order = np.argsort(scores, kind="stable")
    xs, ys = scores[order], labels[order]
    unique, start, counts = np.unique(xs, return_index=True, return_counts=True)
    means = np.add.reduceat(ys, start) / counts
    fitted = isotonic_regression(means, weights=counts.astype(np.float64)).x
    return Calibration(*_corners(unique, np.clip(fitted, 0.0, 1.0)))


IDENTITY = Calibration(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
"""The map of scores that are probabilities already."""


def choose_calibration(scores: np.ndarray, labels: np.ndarray, seed: int = 0) -> Calibration:
    """The isotonic map of ``labels`` on ``scores``, or ``IDENTITY`` when it does not help.

    The identity is kept when every score lies in [0, 1] and its Brier score
    on held-out folds is no worse than the isotonic map's fitted on the rest.

    >>> rng = np.random.default_rng(0)
    >>> p = rng.random(4000)
    >>> choose_calibration(p, (rng.random(4000) < p).astype(float)) is IDENTITY
    True
    >>> choose_calibration(p, (rng.random(4000) < p ** 3).astype(float)) is IDENTITY
    False
    """
    keep = np.isfinite(scores) & np.isfinite(labels)
    scores, labels = scores[keep], labels[keep]
    fitted = fit_calibration(scores, labels)
    if scores.size < 2 * FOLDS or scores.min() < 0 or scores.max() > 1:
        return fitted
    fold = np.random.default_rng(seed).permutation(scores.size) % FOLDS
    raw = isotonic = 0.0
    for k in range(FOLDS):
        held = fold == k
        own = fit_calibration(scores[~held], labels[~held]).apply(scores[held])
        raw += float(np.square(scores[held] - labels[held]).sum())
        isotonic += float(np.square(own - labels[held]).sum())
    return IDENTITY if raw <= isotonic else fitted


def _corners(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points where a piecewise-linear map bends: interpolation through them is the same."""
    if x.size <= 2:
        return x, y
    step = np.diff(y)
    keep = np.ones(x.size, dtype=bool)
    keep[1:-1] = (step[:-1] != 0) | (step[1:] != 0)  # inside a flat run only the ends matter
    return x[keep], y[keep]
