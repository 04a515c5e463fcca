"""Tests of the estimator inside profiles, comparisons, segments and late labels.

The reference profile fits and keeps the estimator; a current profile keeps
its window's state; the comparison turns the two into ``estimated.*``; late
labels joined on an id give the realized values beside the estimate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from monitor.analysis import DriftOptions, QualityOptions, compare, compare_segments
from monitor.analysis.estimates import error_metrics
from monitor.analysis.labels import labelled_estimate, matched_labels
from monitor.profiles import Profile, build_profile
from monitor.profiles.estimation import (
    CLASSIFICATION_ESTIMATES,
    Estimate,
    EstimationAccumulator,
    Estimator,
)


def _rows(rng: np.random.Generator, rows: int, shift: float, sharpness: float = 1.0
          ) -> pd.DataFrame:
    """A feature, a model version, a score sigmoid(sharpness·z) and labels ~ Bernoulli(σ(z))."""
    x = rng.normal(shift, 1, rows)
    z = 0.8 * x - 0.2 + rng.normal(0, 0.7, rows)
    y = (rng.random(rows) < 1 / (1 + np.exp(-z))).astype(np.int64)
    return pd.DataFrame({"x": x, "p": 1 / (1 + np.exp(-sharpness * z)), "y": y})


def _chunks(frame: pd.DataFrame, size: int = 4000) -> Iterator[pd.DataFrame]:
    return (frame.iloc[i:i + size] for i in range(0, len(frame), size))


def _estimate(estimator: Estimator, frame: pd.DataFrame) -> Estimate:
    accumulator = EstimationAccumulator(estimator)
    accumulator.update(frame)
    return accumulator.estimate()


def _assert_same(estimate: Estimate, expected: Estimate) -> None:
    """Equal estimates, to the rounding of sums taken in another order."""
    assert (estimate.method, estimate.rows) == (expected.method, expected.rows)
    assert estimate.metrics.keys() == expected.metrics.keys()
    for name, band in estimate.metrics.items():
        other = expected.metrics[name]
        assert (band.value, band.lower, band.upper) == pytest.approx(
            (other.value, other.lower, other.upper), abs=1e-12), name
    assert estimate.realized == pytest.approx(expected.realized, abs=1e-12)


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference of 20,000 rows and a shifted current window of 5,000."""
    rng = np.random.default_rng(3)
    return _rows(rng, 20_000, 0.0), _rows(rng, 5000, 0.6)


@pytest.fixture(scope="module")
def reference(frames: tuple[pd.DataFrame, pd.DataFrame]) -> Profile:
    """The reference profile, with a CBPE estimator of the score ``p``."""
    return build_profile(_chunks(frames[0]), target="y", score="p")


def test_reference_profile_keeps_its_estimator_through_json(reference: Profile) -> None:
    """The reference fits a CBPE estimator; JSON and back keeps it whole."""
    estimator = reference.estimator
    assert estimator is not None and estimator.method == "cbpe"
    assert (estimator.scores, estimator.classes, estimator.rows) == (("p",), ("1",), 20_000)
    assert set(estimator.reference) == set(CLASSIFICATION_ESTIMATES)
    loaded = Profile.from_dict(json.loads(json.dumps(reference.to_dict())))
    assert loaded.estimator is not None
    assert loaded.estimator.to_dict() == estimator.to_dict()
    assert loaded.estimation is None


def test_current_profile_state_is_the_windows_estimate(
        reference: Profile, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """The current profile's state is the accumulator's; it survives JSON unchanged."""
    assert reference.estimator is not None
    current = build_profile(_chunks(frames[1].drop(columns="y"), 1500), reference=reference)
    assert current.estimation is not None and current.estimator is None
    direct = EstimationAccumulator(reference.estimator)
    direct.update(frames[1].drop(columns="y"))
    np.testing.assert_array_equal(current.estimation[..., [0, 2, 3]], direct.state[..., [0, 2, 3]])
    np.testing.assert_allclose(current.estimation, direct.state, rtol=1e-12)
    loaded = Profile.from_dict(json.loads(json.dumps(current.to_dict())))
    assert loaded.estimation is not None
    np.testing.assert_array_equal(loaded.estimation, current.estimation)


def test_current_profiles_merge_their_states(
        reference: Profile, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Two parts of a window, profiled apart and merged, hold the whole window's state."""
    rows = frames[1].drop(columns="y")
    whole = build_profile([rows], reference=reference)
    parts = (build_profile([rows.iloc[:1800]], reference=reference)
             .merge(build_profile([rows.iloc[1800:]], reference=reference)))
    assert parts.estimation is not None and whole.estimation is not None
    np.testing.assert_array_equal(parts.estimation[..., 0], whole.estimation[..., 0])
    np.testing.assert_allclose(parts.estimation, whole.estimation, rtol=1e-12)
    halves = (build_profile([frames[0].iloc[:9000]], target="y", score="p")
              .merge(build_profile([frames[0].iloc[9000:]], target="y", score="p")))
    assert halves.estimator is None  # two references' estimators are not refitted as one


def test_comparison_reports_the_estimate_with_its_band(
        reference: Profile, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """compare() gives ``estimated``, its JSON document and ``estimated.*`` numbers."""
    assert reference.estimator is not None
    current = build_profile(_chunks(frames[1].drop(columns="y")), reference=reference)
    comparison = compare(reference, current)
    estimated = comparison.estimated
    assert estimated is not None and estimated.method == "cbpe" and estimated.rows == 5000
    _assert_same(estimated, _estimate(reference.estimator, frames[1].drop(columns="y")))
    document = comparison.to_dict("ref.parquet", "cur.parquet")["estimated_performance"]
    assert document["method"] == "cbpe" and document["rows"] == 5000
    assert set(document["metrics"]) == set(CLASSIFICATION_ESTIMATES)
    for name, band in document["metrics"].items():
        assert set(band) == {"value", "lower", "upper"}
        assert band["lower"] <= band["value"] <= band["upper"]
        assert band["value"] == estimated.metrics[name].value
    assert "realized" not in document  # no labels in this window
    metrics = comparison.metrics()
    auc = estimated.metrics["roc_auc"]
    assert (metrics["estimated.roc_auc"], metrics["estimated.roc_auc.lower"],
            metrics["estimated.roc_auc.upper"]) == (auc.value, auc.lower, auc.upper)
    narrowed = compare(reference, current, DriftOptions(estimates=("roc_auc", "f1")))
    assert narrowed.estimated is not None and set(narrowed.estimated.metrics) == {"roc_auc", "f1"}


def test_a_reference_without_score_has_no_estimate(
        frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """No ``score=``, no estimator and no ``estimated_performance``."""
    plain = build_profile(_chunks(frames[0]), target="y")
    current = build_profile(_chunks(frames[1]), reference=plain)
    assert plain.estimator is None and current.estimation is None
    comparison = compare(plain, current)
    assert comparison.estimated is None
    assert comparison.to_dict("a", "b")["estimated_performance"] is None
    assert not any(k.startswith("estimated.") for k in comparison.metrics())


def test_each_segment_is_estimated_with_its_own_estimator() -> None:
    """Versions with different calibrations: each segment fits its own map and uses it."""
    rng = np.random.default_rng(5)
    reference = pd.concat([_rows(rng, 15_000, 0.0).assign(version="v1"),
                           _rows(rng, 15_000, 0.0, sharpness=3.0).assign(version="v2")],
                          ignore_index=True).sample(frac=1.0, random_state=1)
    current = pd.concat([_rows(rng, 3000, 0.5).assign(version="v1"),
                         _rows(rng, 3000, 0.5, sharpness=3.0).assign(version="v2")],
                        ignore_index=True).drop(columns="y")
    profile = build_profile(_chunks(reference), target="y", score="p", segments=["version"])
    own = {v: profile.segments[f"version={v}"].estimator for v in ("v1", "v2")}
    assert own["v1"] is not None and own["v2"] is not None and profile.estimator is not None
    assert own["v1"].rows == own["v2"].rows == 15_000
    v1_map, v2_map = own["v1"].calibrations[0], own["v2"].calibrations[0]
    assert v1_map.x.tolist() == [0.0, 1.0] and v2_map.x.size > 10  # kept as is vs isotonic
    assert abs(float(v1_map.apply(np.array([0.9]))[0]) -
               float(v2_map.apply(np.array([0.9]))[0])) > 0.1  # σ(3z)=0.9 means σ(z)≈0.68
    loaded = Profile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert loaded.segments["version=v2"].estimator is not None
    assert loaded.segments["version=v2"].estimator.to_dict() == own["v2"].to_dict()

    window = build_profile(_chunks(current, 1000), reference=profile, segments=["version"])
    analyses = compare_segments(profile, window, DriftOptions(), QualityOptions())
    for version in ("v1", "v2"):
        rows = reference[reference["version"] == version].drop(columns="version")
        alone = build_profile(_chunks(rows), target="y", score="p")
        assert alone.estimator is not None
        assert alone.estimator.to_dict() == own[version].to_dict()  # type: ignore[union-attr]
        part = current[current["version"] == version].drop(columns="version")
        estimated = analyses[f"version={version}"].comparison.estimated
        assert estimated is not None and estimated.rows == 3000
        _assert_same(estimated, _estimate(alone.estimator, part))
    whole = _estimate(profile.estimator, current[current["version"] == "v2"])
    mine = analyses["version=v2"].comparison.estimated
    assert mine is not None  # the pooled map would be off for v2's sharper scores
    assert abs(whole.metrics["accuracy"].value - mine.metrics["accuracy"].value) > 0.02


def _sklearn(y: np.ndarray, predicted: np.ndarray, score: np.ndarray) -> dict[str, float]:
    return {"roc_auc": roc_auc_score(y, score), "f1": f1_score(y, predicted),
            "precision": precision_score(y, predicted), "recall": recall_score(y, predicted),
            "accuracy": accuracy_score(y, predicted)}


def test_late_labels_give_realized_values_beside_the_estimate(reference: Profile) -> None:
    """Predictions and later labels joined on an id: realized is sklearn's on the matched rows."""
    estimator = reference.estimator
    assert estimator is not None
    rng = np.random.default_rng(9)
    window = _rows(rng, 4000, 0.4).assign(id=[f"r{i}" for i in range(4000)])
    predictions = window.drop(columns="y")
    labels = window[["id", "y"]].sample(frac=1.0, random_state=2).iloc[:3200]  # 800 unlabelled
    relabel = labels.iloc[[0]].assign(y=1 - labels["y"].iloc[0])  # a second, different label
    stray = pd.DataFrame({"id": ["elsewhere"], "y": [1]})  # an id of no prediction
    missing = pd.DataFrame({"id": [labels["id"].iloc[5]], "y": [np.nan]})  # a blank label
    stream = [pd.concat([missing, labels.iloc[:1000]]), labels.iloc[1000:2100],
              pd.concat([relabel, stray, labels.iloc[2100:]])]
    joined, unmatched = matched_labels(
        [predictions.iloc[:2500], predictions.iloc[2500:]], stream, id_column="id",
        keep=("p",), target="y")
    assert unmatched == 800 and len(joined) == 3200
    first = labels.drop_duplicates("id").set_index("id")["y"]
    rows = predictions.set_index("id").loc[first.index]
    truth = first.to_numpy()
    estimate = labelled_estimate(estimator, joined)
    assert estimate.rows == 3200
    predicted = estimator.probabilities(rows)[1][:, 0] >= 0.5
    expected = _sklearn(truth, predicted, rows["p"].to_numpy())
    assert estimate.realized["roc_auc"] == pytest.approx(expected["roc_auc"], abs=1e-4)
    for name in ("precision", "recall", "f1", "accuracy"):
        assert estimate.realized[name] == pytest.approx(expected[name], abs=1e-12), name
    _assert_same(estimate, _estimate(estimator, rows.assign(y=truth)))  # the same rows

    errors = error_metrics(estimate)
    assert set(errors) == {f"estimation_error.{m}{s}" for m in CLASSIFICATION_ESTIMATES
                           for s in ("", ".outside")}
    for name in CLASSIFICATION_ESTIMATES:
        band = estimate.metrics[name]
        realized = estimate.realized[name]
        assert errors[f"estimation_error.{name}"] == realized - band.value
        outside = 0.0 if band.lower <= realized <= band.upper else 1.0
        assert errors[f"estimation_error.{name}.outside"] == outside
    assert sum(errors[f"estimation_error.{m}.outside"] for m in CLASSIFICATION_ESTIMATES) <= 1


def test_an_estimate_without_labels_has_no_estimation_error(reference: Profile) -> None:
    """Nothing realized: no ``estimation_error.*``; no estimate at all: nothing either."""
    assert reference.estimator is not None
    rng = np.random.default_rng(13)
    estimate = _estimate(reference.estimator, _rows(rng, 500, 0.0).drop(columns="y"))
    assert error_metrics(estimate) == {} and error_metrics(None) == {}
