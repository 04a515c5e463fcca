"""Fitting an ``Estimator`` on reference chunks: a bounded uniform sample of rows, then the fit.

The reference streams past like any data; the fitter keeps a uniform sample
of at most ``CALIBRATION_ROWS`` rows (CBPE: the scores and the label) or
``dle.FIT_ROWS`` rows (DLE: the features, the prediction and the label), and
fits on it when the profile is built: exact up to that many labelled rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from monitor.errors import ProfileError
from monitor.profiles.estimation import cbpe, dle
from monitor.profiles.estimation.calibration import (
    IDENTITY,
    Calibration,
    choose_calibration,
    fit_calibration,
)
from monitor.profiles.estimation.estimator import Estimator, Method, class_index
from monitor.profiles.joint import merge_rows
from monitor.profiles.performance import CLASSIFICATION, read_labels
from monitor.profiles.readers import read_numbers

__all__ = ["CALIBRATION_ROWS", "EstimatorFitter", "fit_estimator", "score_columns"]

CALIBRATION_ROWS = 200_000
ScoreSpec = str | Sequence[str] | Mapping[str, str]


def score_columns(score: ScoreSpec | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Score columns and their classes from a ``score`` role.

    One column is the positive class's score of a binary model (class
    ``"1"``); a mapping names each class's column; a list of columns names
    the classes by what follows their common prefix.

    >>> score_columns(["proba_cat", "proba_dog"])
    (('proba_cat', 'proba_dog'), ('cat', 'dog'))
    """
    if score is None:
        return (), ()
    if isinstance(score, str):
        return (score,), ("1",)
    if isinstance(score, Mapping):
        return tuple(score.values()), tuple(str(k) for k in score)
    columns = tuple(score)
    if len(columns) == 1:
        return columns, ("1",)
    prefix = _common_prefix(columns)
    classes = tuple(c[len(prefix):] or c for c in columns)
    if len(set(classes)) != len(classes):
        raise ProfileError(f"score columns {list(columns)} do not name distinct classes; "
                           "give a mapping of class to column")
    return columns, classes


def _common_prefix(names: Sequence[str]) -> str:
    first, last = min(names), max(names)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


class EstimatorFitter:
    """Samples reference rows while chunks stream in; ``fit()`` returns the ``Estimator``."""

    def __init__(self, *, target: str, prediction: str | None, score: ScoreSpec | None,
                 features: Sequence[str] | None = None, skip: Sequence[str] = (),
                 seed: int = 0) -> None:
        self.scores, self.classes = score_columns(score)
        self.method: Method = "cbpe" if self.scores else "dle"
        if self.method == "dle" and not prediction:
            raise ProfileError("estimating a regressor's error needs its prediction column")
        self.target, self.prediction = target, prediction
        self.features = None if features is None else tuple(features)
        self.skip = frozenset(skip)
        self.limit = CALIBRATION_ROWS if self.method == "cbpe" else dle.FIT_ROWS
        self.rng = np.random.default_rng([seed, 29])
        self.rows = 0
        self.labelled = 0
        self.kept: pd.DataFrame | None = None

    def update(self, chunk: pd.DataFrame) -> None:
        """Add a reference chunk (rows without a label are counted, not kept)."""
        self.rows += len(chunk)
        if self.target not in chunk.columns:
            return
        if self.features is None:
            skip = {self.target, self.prediction, *self.scores, *self.skip}
            self.features = tuple(str(c) for c in chunk.columns if c not in skip)
        needed = [*self.scores, *([self.prediction] if self.prediction else []), self.target]
        if self.method == "dle":
            needed += [f for f in self.features if f not in needed]
        needed = list(dict.fromkeys(needed))  # the prediction may be the score itself
        missing = [c for c in needed if c not in chunk.columns]
        if missing:
            raise ProfileError(f"the reference lacks the column(s) {missing} that performance "
                               "estimation needs")
        part = chunk.loc[chunk[self.target].notna(), needed]
        if part.empty:
            return
        seen = self.labelled
        self.labelled += len(part)
        if self.kept is None:
            self.kept = part.iloc[:0]
        ids = merge_rows(np.arange(len(self.kept))[:, None], seen,
                         np.arange(len(part))[:, None] + len(self.kept), len(part),
                         self.limit, self.rng)[:, 0]
        self.kept = pd.concat([self.kept, part], ignore_index=True).iloc[ids].reset_index(
            drop=True)

    def fit(self) -> Estimator | None:
        """The fitted estimator; None when no reference row had a label."""
        if self.kept is None or self.kept.empty:
            return None
        estimator = self._fit_scores() if self.method == "cbpe" else self._fit_errors()
        state = estimator.new_state()
        estimator.add(state, self.kept)
        reference = estimator.estimate(state).realized
        return replace(estimator, reference=dict(reference))

    def _fit_scores(self) -> Estimator:
        frame = self.kept
        assert frame is not None
        raw = np.column_stack([read_numbers(frame[s])[0] for s in self.scores])
        if len(self.classes) == 1:
            labels = [read_labels(frame[self.target], CLASSIFICATION)]
        else:
            index = class_index(frame[self.target], self.classes)
            unknown = frame[self.target][index < 0].dropna().astype(str).unique()[:5]
            if len(unknown):
                raise ProfileError(
                    f"the reference's labels {list(unknown)} are not among the classes "
                    f"{list(self.classes)} of the score columns {list(self.scores)}")
            labels = [np.where(index >= 0, (index == k).astype(np.float64), np.nan)
                      for k in range(len(self.classes))]
        calibrations = tuple(choose_calibration(raw[:, k], y) for k, y in enumerate(labels))
        edges = tuple(cbpe.score_edges(raw[:, k]) for k in range(len(self.classes)))
        resampled = tuple(() if c is IDENTITY else _resampled(raw[:, k], labels[k], k)
                          for k, c in enumerate(calibrations))
        return Estimator("cbpe", self.target, self.prediction, self.rows, scores=self.scores,
                         classes=self.classes, calibrations=calibrations, edges=edges,
                         resampled=resampled if any(resampled) else ())



    def _fit_errors(self) -> Estimator:
        frame = self.kept
        assert frame is not None and self.prediction is not None and self.features is not None
        predicted = read_numbers(frame[self.prediction])[0]
        errors = read_numbers(frame[self.target])[0] - predicted
        keep = np.isfinite(errors)
        frame, predicted, errors = frame[keep], predicted[keep], errors[keep]
        if frame.empty:
            raise ProfileError(f"no reference row has both a numeric {self.prediction!r} and "
                               f"{self.target!r}: the regressor's error cannot be learned")
        encoding = dle.Encoding.of(frame, self.features)
        estimator = Estimator("dle", self.target, self.prediction, self.rows,
                              encoding=encoding, fit_rows=encoding.matrix(frame, predicted),
                              fit_errors=errors)
        estimator.model()  # fail now, with the reason, when scikit-learn is missing
        return estimator


def _resampled(scores: np.ndarray, labels: np.ndarray, seed: int) -> tuple[Calibration, ...]:
    """Isotonic maps fitted on bootstrap resamples of the reference rows, for the band.

    Seeded by the class alone: the same rows give the same maps, whoever fits them.
    """
    keep = np.isfinite(scores) & np.isfinite(labels)
    scores, labels = scores[keep], labels[keep]
    rng = np.random.default_rng([seed, 31])
    picks = (rng.integers(0, scores.size, scores.size) for _ in range(cbpe.BOOTSTRAPS))
    return tuple(fit_calibration(scores[i], labels[i]) for i in picks)


def fit_estimator(reference: pd.DataFrame | Iterable[pd.DataFrame], *, target: str,
                  score: ScoreSpec | None = None, prediction: str | None = None,
                  features: Sequence[str] | None = None) -> Estimator:
    """Fit an estimator on reference rows (a frame or chunks): CBPE with ``score``, else DLE.

    Raises:
        ProfileError: no labelled row, a missing column, or (DLE) no scikit-learn.
    """
    fitter = EstimatorFitter(target=target, prediction=prediction, score=score,
                             features=features)
    for chunk in [reference] if isinstance(reference, pd.DataFrame) else reference:
        fitter.update(chunk)
    estimator = fitter.fit()
    if estimator is None:
        raise ProfileError(f"no reference row has a label in {target!r}: nothing to fit on")
    return estimator
