"""Tests of the isotonic calibration map, against scikit-learn's IsotonicRegression."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss

from monitor.profiles.estimation.calibration import (
    FOLDS,
    IDENTITY,
    Calibration,
    choose_calibration,
    fit_calibration,
)


def _sklearn(scores: np.ndarray, labels: np.ndarray) -> IsotonicRegression:
    return IsotonicRegression(out_of_bounds="clip").fit(scores, labels)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("decimals", [1, 2, 6])
def test_matches_sklearn_isotonic_regression_with_ties(seed: int, decimals: int) -> None:
    """Predictions equal sklearn's on the training points and on new points, ties included."""
    rng = np.random.default_rng(seed)
    n = 4000
    scores = np.round(rng.beta(2, 3, n), decimals)  # 1 decimal: 11 values, heavy ties
    labels = (rng.random(n) < 0.2 + 0.6 * scores).astype(np.float64)
    assert np.unique(scores).size < n  # the data do have ties
    ours = fit_calibration(scores, labels)
    theirs = _sklearn(scores, labels)
    fresh = np.concatenate([rng.uniform(-0.5, 1.5, 2000), np.unique(scores)])
    assert np.max(np.abs(ours.apply(scores) - theirs.predict(scores))) < 1e-9
    assert np.max(np.abs(ours.apply(fresh) - theirs.predict(fresh))) < 1e-9
    assert ours.x.size <= np.unique(scores).size  # only the corners are kept
    assert np.all(np.diff(ours.x) > 0) and np.all(np.diff(ours.y) >= 0)


def test_matches_sklearn_when_labels_do_not_follow_the_score() -> None:
    """Labels against the score pool into few steps; still sklearn's fit."""
    rng = np.random.default_rng(5)
    scores = rng.normal(size=1500)
    labels = (rng.random(1500) < 0.7 - 0.2 * (scores > 0)).astype(np.float64)
    ours = fit_calibration(scores, labels)
    theirs = _sklearn(scores, labels)
    grid = np.linspace(-5, 5, 1001)
    assert np.max(np.abs(ours.apply(grid) - theirs.predict(grid))) < 1e-9
    assert ours.x.size < 20  # pooled into a handful of steps


def test_one_distinct_score_maps_to_the_share_of_positives() -> None:
    """All scores equal: every score maps to the share of positives, as sklearn's does."""
    labels = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    scores = np.full(5, 0.3)
    ours = fit_calibration(scores, labels)
    points = np.array([0.0, 0.3, 0.9])
    np.testing.assert_allclose(ours.apply(points), _sklearn(scores, labels).predict(points),
                               atol=1e-12)
    np.testing.assert_allclose(ours.apply(points), 0.6, atol=1e-12)


def test_rows_with_nan_are_left_out_and_nan_scores_stay_nan() -> None:
    """NaN in a score or a label drops the row from the fit; a NaN score maps to NaN."""
    rng = np.random.default_rng(6)
    scores = rng.random(800)
    labels = (rng.random(800) < scores).astype(np.float64)
    dirty_scores, dirty_labels = scores.copy(), labels.copy()
    dirty_scores[:40] = np.nan
    dirty_labels[40:90] = np.nan
    keep = slice(90, None)
    ours = fit_calibration(dirty_scores, dirty_labels)
    clean = fit_calibration(scores[keep], labels[keep])
    np.testing.assert_array_equal(ours.x, clean.x)
    np.testing.assert_array_equal(ours.y, clean.y)
    grid = np.linspace(0, 1, 101)
    assert np.max(np.abs(ours.apply(grid) - _sklearn(scores[keep], labels[keep]).predict(grid))
                  ) < 1e-9
    mapped = ours.apply(np.array([np.nan, 0.5]))
    assert np.isnan(mapped[0]) and np.isfinite(mapped[1])


def test_no_finite_row_gives_an_empty_map_of_nan() -> None:
    """Without any usable row the map is empty and every score maps to NaN."""
    empty = fit_calibration(np.array([np.nan, 0.2]), np.array([1.0, np.nan]))
    assert empty.x.size == 0 and empty.y.size == 0
    assert np.isnan(empty.apply(np.array([0.1, 0.9]))).all()


def test_to_dict_from_dict_round_trip_through_json() -> None:
    """The JSON form rebuilds the same points and the same map."""
    rng = np.random.default_rng(7)
    scores = np.round(rng.random(3000), 3)
    labels = (rng.random(3000) < scores ** 2).astype(np.float64)
    fitted = fit_calibration(scores, labels)
    loaded = Calibration.from_dict(json.loads(json.dumps(fitted.to_dict())))
    np.testing.assert_array_equal(loaded.x, fitted.x)
    np.testing.assert_array_equal(loaded.y, fitted.y)
    grid = np.linspace(-0.2, 1.2, 500)
    np.testing.assert_array_equal(loaded.apply(grid), fitted.apply(grid))


@pytest.mark.parametrize("points", [
    {"x": [0.0, 0.5, 0.4], "y": [0.1, 0.2, 0.3]},  # x goes back
    {"x": [0.0, 0.5, 0.9], "y": [0.1, 0.3, 0.2]},  # y goes down: not monotone
    {"x": [0.0, 0.5], "y": [0.1, 0.2, 0.3]},  # lengths differ
    {"x": [[0.0, 0.5]], "y": [[0.1, 0.2]]},  # not flat
])
def test_from_dict_refuses_points_that_are_not_a_monotone_map(points: dict[str, object]
                                                              ) -> None:
    """Points that cannot come from an isotonic fit are refused with ValueError."""
    with pytest.raises(ValueError, match="non-decreasing"):
        Calibration.from_dict(points)


def _held_out_briers(scores: np.ndarray, labels: np.ndarray, seed: int) -> tuple[float, float]:
    """Brier scores of the raw scores and of sklearn's isotonic fit on the other folds."""
    fold = np.random.default_rng(seed).permutation(scores.size) % FOLDS
    raw = isotonic = 0.0
    for k in range(FOLDS):
        held = fold == k
        fitted = _sklearn(scores[~held], labels[~held]).predict(scores[held])
        raw += brier_score_loss(labels[held], scores[held]) * held.sum()
        isotonic += brier_score_loss(labels[held], fitted) * held.sum()
    return raw, isotonic


@pytest.mark.parametrize("seed", range(6))
def test_choice_follows_the_held_out_brier_score(seed: int) -> None:
    """The identity is kept exactly when it predicts held-out labels no worse (sklearn's Brier)."""
    rng = np.random.default_rng(seed)
    scores = rng.random(3000)
    power = (1.0, 1.0, 1.15, 1.3, 2.0, 3.0)[seed]  # from calibrated to far off
    labels = (rng.random(3000) < scores ** power).astype(np.float64)
    raw, isotonic = _held_out_briers(scores, labels, 0)
    chosen = choose_calibration(scores, labels)
    if raw <= isotonic:
        assert chosen is IDENTITY
    else:
        fitted = fit_calibration(scores, labels)
        assert chosen is not IDENTITY
        np.testing.assert_array_equal(chosen.x, fitted.x)
        np.testing.assert_array_equal(chosen.y, fitted.y)
    if power >= 2.0:  # far off: the isotonic map must win
        assert chosen is not IDENTITY


def test_calibrated_probabilities_keep_the_identity_map() -> None:
    """Labels drawn from the scores: the identity is kept in most of 10 references."""
    kept = 0
    for seed in range(10):
        rng = np.random.default_rng(100 + seed)
        scores = rng.beta(2, 2, 20_000)
        kept += choose_calibration(scores, (rng.random(20_000) < scores).astype(float)) is IDENTITY
    assert kept >= 8


def test_scores_that_are_not_probabilities_or_too_few_always_get_the_isotonic_map() -> None:
    """Scores outside [0, 1] cannot be kept; fewer rows than two per fold are not judged."""
    rng = np.random.default_rng(8)
    logits = rng.normal(size=2000)
    labels = (rng.random(2000) < 1 / (1 + np.exp(-logits))).astype(np.float64)
    chosen = choose_calibration(logits, labels)
    np.testing.assert_array_equal(chosen.y, fit_calibration(logits, labels).y)
    assert chosen is not IDENTITY
    few = choose_calibration(np.array([0.1, 0.5, 0.9]), np.array([0.0, 1.0, 1.0]))
    assert few is not IDENTITY and few.apply(np.array([0.9]))[0] == 1.0
    with_nan = np.concatenate([[np.nan] * 5, rng.random(2 * FOLDS - 1)])
    assert choose_calibration(with_nan, np.ones(with_nan.size)) is not IDENTITY
