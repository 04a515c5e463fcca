"""Tests of confidence-based estimation of a three-class classifier, by simulation.

Softmax probabilities of a linear model are the scores; labels are drawn
from them, so the scores are calibrated. Macro precision, recall and F1,
accuracy and one-vs-rest macro ROC AUC are checked against scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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

from monitor.errors import ProfileError
from monitor.profiles.estimation import (
    CLASSIFICATION_ESTIMATES,
    Estimate,
    EstimationAccumulator,
    Estimator,
    fit_estimator,
)

WEIGHTS = np.array([[1.2, 0.0], [-0.6, 1.0], [-0.6, -1.0]])
ANIMALS = ("cat", "dog", "owl")


def _probabilities(rng: np.random.Generator, rows: int, shift: tuple[float, float]
                   ) -> np.ndarray:
    x = rng.normal(shift, 1, (rows, 2))
    logit = x @ WEIGHTS.T + rng.normal(0, 0.5, (rows, 3))
    exp = np.exp(logit - logit.max(axis=1, keepdims=True))
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def _draw(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """A class index per row, drawn from its probabilities."""
    u = rng.random((probabilities.shape[0], 1))
    return np.asarray(np.minimum((u > np.cumsum(probabilities, axis=1)).sum(axis=1), 2))


def _frame(probabilities: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: probabilities[:, k] for k, c in enumerate(columns)})


def _sklearn(y: np.ndarray, predicted: np.ndarray, probabilities: np.ndarray,
             labels: Sequence[object] | np.ndarray) -> dict[str, float]:
    return {
        "roc_auc": roc_auc_score(y, probabilities, multi_class="ovr", average="macro",
                                 labels=list(labels)),
        "f1": f1_score(y, predicted, average="macro"),
        "precision": precision_score(y, predicted, average="macro"),
        "recall": recall_score(y, predicted, average="macro"),
        "accuracy": accuracy_score(y, predicted),
    }


def _estimate(estimator: Estimator, frame: pd.DataFrame) -> Estimate:
    accumulator = EstimationAccumulator(estimator)
    accumulator.update(frame)
    return accumulator.estimate()


SCORES: Mapping[str, tuple[object, tuple[str, ...], tuple[object, ...]]] = {
    # score role, the columns it names, the labels of classes 0, 1, 2
    "prefixed list, text labels": (["proba_cat", "proba_dog", "proba_owl"],
                                   ("proba_cat", "proba_dog", "proba_owl"), ANIMALS),
    "mapping, integer labels": ({0: "s0", 1: "s1", 2: "s2"}, ("s0", "s1", "s2"), (0, 1, 2)),
}


@pytest.fixture(scope="module", params=list(SCORES))
def fitted(request: pytest.FixtureRequest) -> tuple[Estimator, tuple[str, ...], np.ndarray]:
    """An estimator fitted on 30,000 reference rows, its score columns and class labels."""
    score, columns, labels = SCORES[request.param]
    rng = np.random.default_rng(3)
    probabilities = _probabilities(rng, 30_000, (0.0, 0.0))
    values = np.array(labels, dtype=object if isinstance(labels[0], str) else np.int64)
    reference = _frame(probabilities, columns).assign(y=values[_draw(rng, probabilities)])
    estimator = fit_estimator(reference, target="y", score=score)  # type: ignore[arg-type]
    return estimator, columns, values


def test_classes_are_named_from_the_score_role(
        fitted: tuple[Estimator, tuple[str, ...], np.ndarray]) -> None:
    """A prefixed list names classes by what follows the prefix; a mapping by its keys."""
    estimator, columns, labels = fitted
    assert estimator.scores == columns and not estimator.binary
    assert estimator.classes == tuple(str(v) for v in labels)
    assert set(estimator.reference) == set(CLASSIFICATION_ESTIMATES)


@pytest.mark.parametrize("shift", [(0.5, 0.3), (-0.5, 0.8)])
def test_estimate_and_realized_against_sklearn_on_a_shifted_window(
        fitted: tuple[Estimator, tuple[str, ...], np.ndarray], shift: tuple[float, float]
) -> None:
    """Realized metrics equal sklearn's; the estimate is within 0.03 of them; per class too."""
    estimator, columns, labels = fitted
    rng = np.random.default_rng(int(10 * shift[0]) + 50)
    probabilities = _probabilities(rng, 5000, shift)
    y = labels[_draw(rng, probabilities)]
    frame = _frame(probabilities, columns)
    predicted = labels[np.argmax(estimator.probabilities(frame)[1], axis=1)]
    expected = _sklearn(y, predicted, probabilities, labels)
    estimate = _estimate(estimator, frame.assign(y=y))
    assert estimate.rows == 5000
    assert estimate.realized["roc_auc"] == pytest.approx(expected["roc_auc"], abs=1e-4)
    for name in ("precision", "recall", "f1", "accuracy"):
        assert estimate.realized[name] == pytest.approx(expected[name], abs=1e-12), name
    for name in CLASSIFICATION_ESTIMATES:
        band = estimate.metrics[name]
        assert band.value == pytest.approx(expected[name], abs=0.03), name
        assert band.lower < band.value < band.upper and band.upper - band.lower < 0.06
    assert set(estimate.per_class) == set(estimator.classes)
    per_class_f1 = f1_score(y, predicted, average=None, labels=list(labels))
    for k, name in enumerate(estimator.classes):
        assert set(estimate.per_class[name]) == {"roc_auc", "f1", "precision", "recall"}
        assert estimate.per_class[name]["f1"].value == pytest.approx(per_class_f1[k], abs=0.04)
    macro = np.mean([estimate.per_class[c]["f1"].value for c in estimator.classes])
    assert estimate.metrics["f1"].value == pytest.approx(macro, abs=1e-12)
    assert estimate.to_dict()["per_class"].keys() == set(estimator.classes)


def test_estimate_is_the_expected_macro_metric(
        fitted: tuple[Estimator, tuple[str, ...], np.ndarray]) -> None:
    """Averaged over 40 label draws, sklearn's metrics are the estimate within 0.01."""
    estimator, columns, labels = fitted
    rng = np.random.default_rng(61)
    probabilities = _probabilities(rng, 5000, (0.3, -0.4))
    frame = _frame(probabilities, columns)
    predicted = labels[np.argmax(estimator.probabilities(frame)[1], axis=1)]
    draws = [_sklearn(labels[_draw(rng, probabilities)], predicted, probabilities, labels)
             for _ in range(40)]
    estimate = _estimate(estimator, frame)
    assert not estimate.realized  # no target column: nothing realized
    for name in CLASSIFICATION_ESTIMATES:
        mean = float(np.mean([d[name] for d in draws]))
        assert estimate.metrics[name].value == pytest.approx(mean, abs=0.01), name


def test_prediction_column_names_the_predicted_class() -> None:
    """With a prediction column its classes are used, not the argmax of the probabilities."""
    rng = np.random.default_rng(71)
    columns = ("proba_cat", "proba_dog", "proba_owl")
    names = np.array(ANIMALS, dtype=object)
    probabilities = _probabilities(rng, 20_000, (0.0, 0.0))
    reference = _frame(probabilities, columns).assign(
        y=names[_draw(rng, probabilities)], guess=names[np.argmax(probabilities, axis=1)])
    estimator = fit_estimator(reference, target="y", score=list(columns), prediction="guess")
    window = _probabilities(rng, 3000, (0.2, 0.2))
    y = names[_draw(rng, window)]
    guess = names[(np.argmax(window, axis=1) + (rng.random(3000) < 0.2)) % 3]  # 20 % shifted
    estimate = _estimate(estimator, _frame(window, columns).assign(y=y, guess=guess))
    expected = _sklearn(y, guess, window, ANIMALS)
    for name in ("precision", "recall", "f1", "accuracy"):
        assert estimate.realized[name] == pytest.approx(expected[name], abs=1e-12), name
    p = estimator.probabilities(_frame(window, columns))[1]
    chosen = p[np.arange(3000), pd.Index(ANIMALS).get_indexer(guess)]
    assert estimate.metrics["accuracy"].value == pytest.approx(chosen.mean(), rel=1e-12)


def test_rows_with_a_missing_score_are_unreadable(
        fitted: tuple[Estimator, tuple[str, ...], np.ndarray]) -> None:
    """A row missing any class's score is left out and counted."""
    estimator, columns, labels = fitted
    rng = np.random.default_rng(91)
    probabilities = _probabilities(rng, 1000, (0.0, 0.0))
    frame = _frame(probabilities, columns).assign(y=labels[_draw(rng, probabilities)])
    frame.loc[:6, columns[1]] = np.nan
    accumulator = EstimationAccumulator(estimator)
    accumulator.update(frame)
    assert accumulator.unreadable == 7
    assert accumulator.estimate() == _estimate(estimator, frame.iloc[7:])


def test_labels_outside_the_classes_are_refused() -> None:
    """A reference label no score column names is a ProfileError that names both."""
    rng = np.random.default_rng(81)
    probabilities = _probabilities(rng, 500, (0.0, 0.0))
    labels = np.array(["cat", "dog", "bird"], dtype=object)[_draw(rng, probabilities)]
    frame = _frame(probabilities, ("proba_cat", "proba_dog", "proba_owl")).assign(y=labels)
    with pytest.raises(ProfileError, match=r"labels \['bird'\] are not among the classes "
                                           r"\['cat', 'dog', 'owl'\]"):
        fit_estimator(frame, target="y", score=["proba_cat", "proba_dog", "proba_owl"])
    numbered = frame.assign(y=rng.integers(0, 3, 500))
    with pytest.raises(ProfileError, match="not among the classes"):
        fit_estimator(numbered, target="y", score={"a": "proba_cat", "b": "proba_dog",
                                                   "c": "proba_owl"})


def test_score_columns_that_name_no_distinct_classes_are_refused() -> None:
    """Columns whose suffixes after the common prefix collide need a mapping."""
    frame = pd.DataFrame({"p": [0.5], "pp": [0.5], "y": ["p"]})
    with pytest.raises(ProfileError, match="give a mapping"):
        fit_estimator(frame, target="y", score=["p", "pp", "pp"])
