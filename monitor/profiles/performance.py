"""The performance summary: what a window's predictions and labels need for model metrics.

Rows with both a prediction and a label are summed, so every metric but ROC
AUC is exact and merges by addition (the variance of the labels with Chan's
formula). ROC AUC is computed on a uniform sample of (prediction, label)
pairs, at most ``pair_limit`` (default 20 000): exact up to that many
labelled rows, with a standard error below ``0.5 / sqrt(pair_limit)``
(0.0035) beyond.

**Classification** (binary): labels are 0/1, booleans or the words
true/false, yes/no; predictions are probabilities of the positive class in
[0, 1] (or hard 0/1 labels); a prediction counts as positive at
``threshold`` (default 0.5). Sums: the confusion matrix, the log loss
(probabilities clipped to [1e-15, 1 − 1e-15]) and, per tenth of [0, 1], the
count, the sum of predictions and the sum of labels for the calibration error.

**Regression**: sums of absolute, squared and relative errors (relative over
labels ≠ 0) and the mean and squared deviations of the labels.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from monitor.profiles.joint import merge_rows
from monitor.profiles.moments import merge_moments
from monitor.profiles.readers import read_flags, read_numbers

__all__ = [
    "CALIBRATION_BINS",
    "CLASSIFICATION",
    "DEFAULT_PAIR_SAMPLE_SIZE",
    "REGRESSION",
    "PerformanceAccumulator",
    "PerformanceSummary",
    "Task",
    "infer_task",
    "read_labels",
]

Task = Literal["classification", "regression"]
CLASSIFICATION: Task = "classification"
REGRESSION: Task = "regression"
CALIBRATION_BINS = 10
DEFAULT_PAIR_SAMPLE_SIZE = 20_000
_CLIP = 1e-15
_CLASSIFICATION_SUMS = ("tn", "fp", "fn", "tp", "log_loss")
_REGRESSION_SUMS = ("abs_error", "sq_error", "rel_error", "rel_count", "target_mean",
                    "target_m2")


def infer_task(target: pd.Series) -> Task:
    """Classification for boolean, text or 0/1 labels; regression for other numbers.

    >>> infer_task(pd.Series([0, 1, 1])), infer_task(pd.Series([0.5, 2.0]))
    ('classification', 'regression')
    """
    if not pd.api.types.is_numeric_dtype(target.dtype) or pd.api.types.is_bool_dtype(
            target.dtype):
        return CLASSIFICATION
    values = target.dropna().to_numpy(dtype=np.float64)
    return CLASSIFICATION if np.isin(values, (0.0, 1.0)).all() else REGRESSION


def read_labels(series: pd.Series, task: Task) -> np.ndarray:
    """Labels or predictions as float64, NaN where missing or unreadable.

    For classification, numbers must lie in [0, 1] and words read as booleans.

    >>> read_labels(pd.Series(["yes", "no", "maybe"]), "classification").tolist()[:2]
    [1.0, 0.0]
    """
    dtype = series.dtype
    if task == CLASSIFICATION and not pd.api.types.is_numeric_dtype(dtype):
        return read_flags(series)
    values = np.array(read_numbers(series)[0], dtype=np.float64)  # a copy: it is changed below
    values[~np.isfinite(values)] = np.nan
    if task == CLASSIFICATION:
        values[(values < 0) | (values > 1)] = np.nan
    return values


@dataclass(frozen=True, slots=True, eq=False)
class PerformanceSummary:
    """Sums of a window's labelled predictions (see the module docstring)."""

    task: Task
    prediction: str
    target: str
    count: int
    unlabelled: int
    sums: Mapping[str, float]
    calibration: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    threshold: float = 0.5
    pair_limit: int = DEFAULT_PAIR_SAMPLE_SIZE

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PerformanceSummary):
            return NotImplemented
        return (self.to_dict() == other.to_dict())

    __hash__ = None  # type: ignore[assignment]

    def merge(self, other: PerformanceSummary) -> PerformanceSummary | None:
        """Both windows' summary; None when task, columns or threshold differ."""
        same = (self.task, self.prediction, self.target, self.threshold)
        if same != (other.task, other.prediction, other.target, other.threshold):
            return None
        sums = {k: self.sums.get(k, 0.0) + other.sums.get(k, 0.0) for k in self.sums}
        if self.task == REGRESSION:
            sums["target_mean"], sums["target_m2"] = merge_moments(
                self.count, self.sums["target_mean"], self.sums["target_m2"],
                other.count, other.sums["target_mean"], other.sums["target_m2"])
        limit = min(self.pair_limit, other.pair_limit)
        rng = np.random.default_rng([self.count, other.count, limit, 11])
        pairs = merge_rows(self.pairs, self.count, other.pairs, other.count, limit, rng)
        calibration = (self.calibration + other.calibration if len(self.calibration)
                       else other.calibration)
        return PerformanceSummary(self.task, self.prediction, self.target,
                                  self.count + other.count, self.unlabelled + other.unlabelled,
                                  sums, calibration, pairs, self.threshold, limit)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (pairs as base64 of little-endian float64)."""
        raw = np.ascontiguousarray(self.pairs, dtype="<f8").tobytes()
        return {
            "task": self.task, "prediction": self.prediction, "target": self.target,
            "count": self.count, "unlabelled": self.unlabelled, "threshold": self.threshold,
            "sums": {k: float(v) for k, v in self.sums.items()},
            "calibration": [[float(x) for x in row] for row in self.calibration],
            "pairs": {"limit": self.pair_limit, "encoding": "float64-le-base64",
                      "values": base64.b64encode(raw).decode("ascii")},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PerformanceSummary:
        """Rebuild from ``to_dict`` output; raises ValueError/KeyError/TypeError on bad input."""
        task = data["task"]
        if task not in (CLASSIFICATION, REGRESSION):
            raise ValueError(f"performance task {task!r} is unknown; "
                             "expected 'classification' or 'regression'")
        raw = base64.b64decode(data["pairs"]["values"], validate=True)
        pairs = np.frombuffer(raw, dtype="<f8").astype(np.float64).reshape(-1, 2)
        calibration = np.asarray(data["calibration"], dtype=np.float64).reshape(-1, 3)
        return cls(task, str(data["prediction"]), str(data["target"]), int(data["count"]),
                   int(data["unlabelled"]), {str(k): float(v) for k, v in data["sums"].items()},
                   calibration, pairs, float(data["threshold"]), int(data["pairs"]["limit"]))


class PerformanceAccumulator:
    """Running sums of predictions against labels while chunks stream in."""

    def __init__(self, prediction: str, target: str, task: Task | None, *,
                 threshold: float = 0.5, pair_limit: int = DEFAULT_PAIR_SAMPLE_SIZE,
                 rng: np.random.Generator) -> None:
        self.prediction, self.target, self.task = prediction, target, task
        self.threshold, self.pair_limit, self.rng = threshold, pair_limit, rng
        self.count = self.unlabelled = 0
        self.sums: dict[str, float] = _zero_sums(task) if task is not None else {}
        self.calibration = np.zeros((CALIBRATION_BINS, 3))
        self.pairs = np.zeros((0, 2))

    def add(self, chunk: pd.DataFrame) -> None:
        """Add the rows of a chunk holding the prediction (and maybe the target) column."""
        if self.prediction not in chunk.columns:
            return
        if self.target not in chunk.columns:
            self.unlabelled += len(chunk)
            return
        if self.task is None:
            labelled = chunk[self.target].dropna()
            if labelled.empty:
                self.unlabelled += len(chunk)
                return
            self.task = infer_task(labelled)
            self.sums = _zero_sums(self.task)
        predicted = read_labels(chunk[self.prediction], self.task)
        actual = read_labels(chunk[self.target], self.task)
        both = ~(np.isnan(predicted) | np.isnan(actual))
        self.unlabelled += len(chunk) - int(np.count_nonzero(both))
        p, y = predicted[both], actual[both]
        if p.size:
            (self._classification if self.task == CLASSIFICATION else self._regression)(p, y)
            self.pairs = merge_rows(self.pairs, self.count, np.column_stack([p, y]), p.size,
                                    self.pair_limit, self.rng)
            self.count += p.size

    def _classification(self, p: np.ndarray, y: np.ndarray) -> None:
        positive, label = p >= self.threshold, y >= 0.5
        for key, cell in (("tp", positive & label), ("fp", positive & ~label),
                          ("fn", ~positive & label), ("tn", ~positive & ~label)):
            self.sums[key] += float(np.count_nonzero(cell))
        clipped = np.clip(p, _CLIP, 1 - _CLIP)
        self.sums["log_loss"] -= float(np.sum(np.where(label, np.log(clipped),
                                                       np.log1p(-clipped))))
        bins = np.minimum((p * CALIBRATION_BINS).astype(np.int64), CALIBRATION_BINS - 1)
        self.calibration[:, 0] += np.bincount(bins, minlength=CALIBRATION_BINS)
        self.calibration[:, 1] += np.bincount(bins, weights=p, minlength=CALIBRATION_BINS)
        self.calibration[:, 2] += np.bincount(bins, weights=y, minlength=CALIBRATION_BINS)

    def _regression(self, p: np.ndarray, y: np.ndarray) -> None:
        error = p - y
        self.sums["abs_error"] += float(np.abs(error).sum())
        self.sums["sq_error"] += float(np.square(error).sum())
        nonzero = y != 0
        self.sums["rel_error"] += float(np.abs(error[nonzero] / y[nonzero]).sum())
        self.sums["rel_count"] += float(np.count_nonzero(nonzero))
        mean = float(y.mean())
        m2 = float(np.square(y - mean).sum())
        self.sums["target_mean"], self.sums["target_m2"] = merge_moments(
            self.count, self.sums["target_mean"], self.sums["target_m2"], y.size, mean, m2)

    def build(self) -> PerformanceSummary | None:
        """The summary so far; None before any labelled row told the task."""
        if self.task is None:
            return None
        calibration = self.calibration if self.task == CLASSIFICATION else np.zeros((0, 3))
        return PerformanceSummary(self.task, self.prediction, self.target, self.count,
                                  self.unlabelled, dict(self.sums), calibration.copy(),
                                  self.pairs.copy(), self.threshold, self.pair_limit)


def _zero_sums(task: Task) -> dict[str, float]:
    return dict.fromkeys(_CLASSIFICATION_SUMS if task == CLASSIFICATION else _REGRESSION_SUMS,
                         0.0)
