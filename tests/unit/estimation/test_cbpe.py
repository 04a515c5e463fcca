"""Tests of confidence-based performance estimation of a binary classifier, by simulation.

Labels are drawn as Bernoulli(score) on a logit that shifts from window to
window (covariate shift, no concept drift): the estimate must be close to the
metric's expected value over label draws, its band must hold the realized
value, and the realized metrics the cells give must be scikit-learn's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from monitor.analysis.estimates import error_metrics
from monitor.profiles.estimation import (
    CLASSIFICATION_ESTIMATES,
    Estimate,
    EstimationAccumulator,
    Estimator,
    fit_estimator,
)
from monitor.profiles.estimation.calibration import fit_calibration

REFERENCE_ROWS = 50_000
METRICS = CLASSIFICATION_ESTIMATES


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-z)), dtype=np.float64)


def _logits(rng: np.random.Generator, rows: int, shift: float) -> np.ndarray:
    """The model's logit: a feature moved by ``shift`` (covariate shift) plus its own noise."""
    return np.asarray(0.5 * rng.normal(shift, 1, rows) - 0.3 + rng.normal(0, 0.8, rows))


@pytest.fixture(scope="module")
def reference() -> tuple[np.ndarray, np.ndarray]:
    """Reference logits and labels drawn as Bernoulli(sigmoid(logit))."""
    rng = np.random.default_rng(11)
    z = _logits(rng, REFERENCE_ROWS, 0.0)
    return z, (rng.random(REFERENCE_ROWS) < _sigmoid(z)).astype(np.int64)


@pytest.fixture(scope="module")
def calibrated(reference: tuple[np.ndarray, np.ndarray]) -> Estimator:
    """Fitted on scores that are the labels' true probabilities."""
    z, y = reference
    return fit_estimator(pd.DataFrame({"s": _sigmoid(z), "y": y}), target="y", score="s")


@pytest.fixture(scope="module")
def miscalibrated(reference: tuple[np.ndarray, np.ndarray]) -> Estimator:
    """Fitted on sigmoid(3·logit): monotone in the true probability, far from it."""
    z, y = reference
    return fit_estimator(pd.DataFrame({"s": _sigmoid(3 * z), "y": y}), target="y", score="s")


def _estimate(estimator: Estimator, frame: pd.DataFrame) -> Estimate:
    accumulator = EstimationAccumulator(estimator)
    accumulator.update(frame)
    return accumulator.estimate()


def _predicted(estimator: Estimator, frame: pd.DataFrame) -> np.ndarray:
    """The hard label the estimator uses without a prediction column: calibrated p >= 0.5."""
    return np.asarray(estimator.probabilities(frame)[1][:, 0] >= 0.5)


def _sklearn_metrics(y: np.ndarray, predicted: np.ndarray, score: np.ndarray
                     ) -> dict[str, float]:
    return {"roc_auc": roc_auc_score(y, score), "f1": f1_score(y, predicted),
            "precision": precision_score(y, predicted), "recall": recall_score(y, predicted),
            "accuracy": accuracy_score(y, predicted)}


def _drawn_metrics(labels: np.ndarray, predicted: np.ndarray, score: np.ndarray
                   ) -> dict[str, np.ndarray]:
    """Each metric of each row of ``labels`` (draws × rows), vectorised."""
    tp = (labels & predicted).sum(1)
    fp = (~labels & predicted).sum(1)
    fn = (labels & ~predicted).sum(1)
    positives = labels.sum(1)
    negatives = labels.shape[1] - positives
    ranks = rankdata(score)
    auc = ((labels * ranks).sum(1) - positives * (positives + 1) / 2) / (positives * negatives)
    return {"roc_auc": auc, "f1": 2 * tp / (2 * tp + fp + fn), "precision": tp / (tp + fp),
            "recall": tp / (tp + fn), "accuracy": (labels.shape[1] - fp - fn) / labels.shape[1]}


def test_vectorised_draw_metrics_equal_sklearn() -> None:
    """The Monte Carlo helper below computes exactly what sklearn does."""
    rng = np.random.default_rng(1)
    p = _sigmoid(_logits(rng, 1500, 0.3))
    labels = rng.random((3, 1500)) < p
    drawn = _drawn_metrics(labels, p >= 0.4, p)
    for k in range(3):
        expected = _sklearn_metrics(labels[k], p >= 0.4, p)
        for name in METRICS:
            assert drawn[name][k] == pytest.approx(expected[name], abs=1e-12)


def _expected(probability: np.ndarray, predicted: np.ndarray, score: np.ndarray,
              rng: np.random.Generator, draws: int = 400) -> dict[str, float]:
    """Each metric's mean over label draws Bernoulli(probability)."""
    labels = rng.random((draws, probability.size)) < probability
    return {k: float(v.mean()) for k, v in _drawn_metrics(labels, predicted, score).items()}


def test_scores_that_are_probabilities_keep_them(calibrated: Estimator,
                                                 miscalibrated: Estimator) -> None:
    """Calibrated scores keep the identity map; sigmoid(3·logit) gets an isotonic one."""
    kept = calibrated.calibrations[0]
    assert kept.x.tolist() == [0.0, 1.0] and kept.y.tolist() == [0.0, 1.0]
    assert miscalibrated.calibrations[0].x.size > 10


@pytest.mark.parametrize("shift", [-0.8, 0.5, 1.5])
def test_estimate_is_the_expected_metric_under_covariate_shift(
        reference: tuple[np.ndarray, np.ndarray], calibrated: Estimator, shift: float) -> None:
    """The estimate is each metric's expected value over the labels' draws.

    With the scores kept as probabilities the arithmetic alone is measured
    (within 0.003); an isotonic map fitted on the 50,000 reference rows adds
    its own error (within 0.01; about 0.005 on ROC AUC at a shift of 1.5).
    """
    z, y = reference
    isotonic = dataclasses.replace(
        calibrated, calibrations=(fit_calibration(_sigmoid(z), y.astype(np.float64)),))
    rng = np.random.default_rng(int(10 * shift) + 100)
    for _ in range(3):
        p = _sigmoid(_logits(rng, 4000, shift))
        frame = pd.DataFrame({"s": p})
        for estimator, tolerance in ((calibrated, 0.003), (isotonic, 0.01)):
            expected = _expected(p, _predicted(estimator, frame), p, rng)
            estimate = _estimate(estimator, frame)
            for name in METRICS:
                assert estimate.metrics[name].value == pytest.approx(
                    expected[name], abs=tolerance), (shift, name, tolerance)


def _coverage(estimator: Estimator, score_of: Callable[[np.ndarray], np.ndarray],
              windows: int, seed: int) -> dict[str, float]:
    """Share of windows whose realized metric (sklearn, drawn labels) lies in the band."""
    rng = np.random.default_rng(seed)
    inside = dict.fromkeys(METRICS, 0)
    for _ in range(windows):
        z = _logits(rng, int(rng.integers(2000, 5001)), float(rng.uniform(-1.0, 1.5)))
        y = (rng.random(z.size) < _sigmoid(z)).astype(np.int64)
        frame = pd.DataFrame({"s": score_of(z)})
        realized = _sklearn_metrics(y, _predicted(estimator, frame), frame["s"].to_numpy())
        estimate = _estimate(estimator, frame)
        for name in METRICS:
            band = estimate.metrics[name]
            assert band.lower <= band.value <= band.upper
            inside[name] += band.lower <= realized[name] <= band.upper
    return {k: v / windows for k, v in inside.items()}


def test_band_covers_the_realized_metric_in_most_windows(calibrated: Estimator) -> None:
    """The 95 % band holds sklearn's realized metric in at least 90 % of 60 shifted windows."""
    rates = _coverage(calibrated, _sigmoid, 60, seed=21)
    assert min(rates.values()) >= 0.9, rates


def test_miscalibrated_scores_are_corrected_by_the_calibration(
        miscalibrated: Estimator) -> None:
    """Scores sigmoid(3·logit) taken at face value are far off; calibrated, the estimate is not."""
    rng = np.random.default_rng(31)
    for shift in (-0.5, 1.0):
        z = _logits(rng, 4000, shift)
        p, score = _sigmoid(z), _sigmoid(3 * z)
        frame = pd.DataFrame({"s": score})
        predicted = _predicted(miscalibrated, frame)
        expected = _expected(p, predicted, score, rng)
        estimate = _estimate(miscalibrated, frame)
        naive = {"accuracy": float(np.mean(np.where(predicted, score, 1 - score))),
                 "precision": float(score[predicted].mean()),
                 "recall": float(score[predicted].sum() / score.sum())}
        for name, value in naive.items():
            assert abs(value - expected[name]) > 0.05, (shift, name)  # face value is off
        for name in METRICS:
            assert estimate.metrics[name].value == pytest.approx(expected[name], abs=0.01)
    rates = _coverage(miscalibrated, lambda z: _sigmoid(3 * z), 30, seed=32)
    assert min(rates.values()) >= 0.85, rates


@pytest.mark.parametrize("rows", [2000, 5000])
def test_realized_metrics_from_the_cells_equal_sklearn(calibrated: Estimator, rows: int) -> None:
    """With the target in the chunk, the realized metrics are sklearn's on the same rows."""
    rng = np.random.default_rng(rows)
    z = _logits(rng, rows, 0.7)
    y = (rng.random(rows) < _sigmoid(z)).astype(np.int64)
    frame = pd.DataFrame({"s": _sigmoid(z), "y": y})
    expected = _sklearn_metrics(y, _predicted(calibrated, frame), frame["s"].to_numpy())
    realized = _estimate(calibrated, frame).realized
    assert realized["roc_auc"] == pytest.approx(expected["roc_auc"], abs=1e-4)
    for name in ("precision", "recall", "f1", "accuracy"):
        assert realized[name] == pytest.approx(expected[name], abs=1e-12), name


def test_prediction_column_is_the_hard_label_when_given(
        reference: tuple[np.ndarray, np.ndarray]) -> None:
    """A ``prediction`` column decides what counts as predicted positive, not p >= 0.5."""
    z, y = reference
    fitted = fit_estimator(pd.DataFrame({"s": _sigmoid(z), "y": y, "hard": z > -1.0}),
                           target="y", score="s", prediction="hard")
    assert fitted.prediction == "hard"
    rng = np.random.default_rng(41)
    zc = _logits(rng, 3000, 0.2)
    yc = (rng.random(3000) < _sigmoid(zc)).astype(np.int64)
    hard = zc > -1.0  # a lower threshold than p >= 0.5
    frame = pd.DataFrame({"s": _sigmoid(zc), "y": yc, "hard": hard})
    estimate = _estimate(fitted, frame)
    expected = _sklearn_metrics(yc, hard, frame["s"].to_numpy())
    for name in ("precision", "recall", "f1", "accuracy"):
        assert estimate.realized[name] == pytest.approx(expected[name], abs=1e-12), name
    p = fitted.probabilities(frame)[1][:, 0]
    assert not np.array_equal(hard, p >= 0.5)
    assert estimate.metrics["precision"].value == pytest.approx(p[hard].mean(), rel=1e-12)
    assert estimate.metrics["accuracy"].value == pytest.approx(
        np.mean(np.where(hard, p, 1 - p)), rel=1e-12)
    without = _estimate(fitted, frame.drop(columns="hard"))  # no column: p >= 0.5 again
    assert without.metrics["precision"].value == pytest.approx(p[p >= 0.5].mean(), rel=1e-12)


def test_concept_drift_puts_the_realized_value_outside_the_band(calibrated: Estimator) -> None:
    """Labels flipped for 30 % of rows: the estimate, blind to it, visibly fails."""
    rng = np.random.default_rng(51)
    z = _logits(rng, 5000, 0.3)
    y = rng.random(5000) < _sigmoid(z)
    flipped = np.where(rng.random(5000) < 0.3, ~y, y).astype(np.int64)
    estimate = _estimate(calibrated, pd.DataFrame({"s": _sigmoid(z), "y": flipped}))
    errors = error_metrics(estimate)
    for name in ("roc_auc", "accuracy", "f1", "precision"):
        band = estimate.metrics[name]
        assert not band.lower <= estimate.realized[name] <= band.upper, name
        assert estimate.realized[name] < band.lower, name  # worse than estimated
        assert errors[f"estimation_error.{name}.outside"] == 1.0
        assert errors[f"estimation_error.{name}"] == pytest.approx(
            estimate.realized[name] - band.value, abs=1e-15)
    honest = _estimate(calibrated, pd.DataFrame({"s": _sigmoid(z), "y": y.astype(np.int64)}))
    assert honest.metrics["accuracy"].value == estimate.metrics["accuracy"].value
    assert honest.metrics["accuracy"].lower <= honest.realized["accuracy"] <= (
        honest.metrics["accuracy"].upper)


def test_chunks_added_apart_or_together_give_the_same_state(calibrated: Estimator) -> None:
    """Counts add exactly; the sums of p to rounding; merged accumulators estimate alike."""
    rng = np.random.default_rng(61)
    z = _logits(rng, 6000, 0.4)
    frame = pd.DataFrame({"s": _sigmoid(z), "y": (rng.random(6000) < _sigmoid(z)).astype(int)})
    frame.loc[::3, "y"] = np.nan  # some rows without their label yet
    together = calibrated.new_state()
    calibrated.add(together, frame)
    apart = calibrated.new_state()
    for part in (frame.iloc[:2500], frame.iloc[2500:4100], frame.iloc[4100:]):
        calibrated.add(apart, part)
    counts = [0, 2, 3]  # rows, labelled, positive
    np.testing.assert_array_equal(apart[..., counts], together[..., counts])
    np.testing.assert_allclose(apart[..., 1], together[..., 1], rtol=1e-12, atol=1e-12)
    one, first, second = (EstimationAccumulator(calibrated) for _ in range(3))
    one.update(frame)
    first.update(frame.iloc[:3000])
    second.update(frame.iloc[3000:])
    first.merge(second)
    merged, single = first.estimate(), one.estimate()
    assert merged.rows == single.rows == 6000
    assert merged.realized == pytest.approx(single.realized, abs=1e-12)
    for name in METRICS:
        for part in ("value", "lower", "upper"):
            assert getattr(merged.metrics[name], part) == pytest.approx(
                getattr(single.metrics[name], part), abs=1e-9), (name, part)


def test_the_estimate_is_deterministic(calibrated: Estimator) -> None:
    """The same rows give the same floats, band included."""
    rng = np.random.default_rng(71)
    frame = pd.DataFrame({"s": _sigmoid(_logits(rng, 3000, 0.0))})
    assert _estimate(calibrated, frame) == _estimate(calibrated, frame.copy())


def test_rows_without_a_readable_score_are_counted_apart_with_a_prediction_column(
        reference: tuple[np.ndarray, np.ndarray]) -> None:
    """A row whose score is missing or not a number is left out and counted as unreadable."""
    z, y = reference
    fitted = fit_estimator(pd.DataFrame({"s": _sigmoid(z), "y": y, "hard": z > 0}),
                           target="y", score="s", prediction="hard")
    frame = pd.DataFrame({"s": [0.2, None, 0.7, "x", 0.9], "hard": [0, 1, 1, 0, 1]})
    accumulator = EstimationAccumulator(fitted)
    accumulator.update(frame)
    assert accumulator.unreadable == 2
    assert accumulator.estimate().rows == 3
    clean = pd.DataFrame({"s": [0.2, 0.7, 0.9], "hard": [0, 1, 1]})
    assert accumulator.estimate() == _estimate(fitted, clean)



def test_a_missing_score_without_a_prediction_column_is_unreadable(calibrated: Estimator
                                                                   ) -> None:
    """Binary, no prediction column: a NaN score is counted as unreadable, not a crash."""
    accumulator = EstimationAccumulator(calibrated)
    accumulator.update(pd.DataFrame({"s": [0.2, None, 0.7, "x", 0.9]}))
    assert accumulator.unreadable == 2
    assert accumulator.estimate() == _estimate(calibrated, pd.DataFrame({"s": [0.2, 0.7, 0.9]}))


def test_a_reference_with_a_missing_score_still_fits() -> None:
    """A labelled reference row without a score is left out of the fit, not a crash."""
    rng = np.random.default_rng(81)
    p = rng.random(400)
    frame = pd.DataFrame({"s": p, "y": (rng.random(400) < p).astype(int)})
    frame.loc[3, "s"] = np.nan
    fitted = fit_estimator(frame, target="y", score="s")
    assert set(fitted.reference) == set(METRICS)
