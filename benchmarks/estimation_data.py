"""Data sets for the performance-estimation benchmark, each a reference period and analysis chunks.

Simulated sets know the truth: features drift (covariate shift) while P(y|x) stays put, so a
confidence-based or direct-loss estimate should follow the realized metric; the concept-drift
sets change P(y|x) in their later chunks, where every label-free estimator must miss. The
NannyML sets are data nobody here generated (census records, California housing, NannyML's
own synthetic sets with their models' outputs); they need the ``nannyml`` package.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FEATURES = ["x1", "x2", "x3"]
CLASSES = ["a", "b", "c"]


@dataclass
class DataSet:
    """A reference frame and an analysis frame (with its target) cut into equal chunks."""

    name: str
    task: str  # "binary" | "multiclass" | "regression"
    reference: pd.DataFrame
    analysis: pd.DataFrame
    target: str
    prediction: str
    score: str | dict[str, str] | None
    features: list[str]
    chunk_size: int
    note: str = ""
    drift_from: int | None = None  # first chunk whose P(y|x) differs from the reference's
    classes: list[str] = field(default_factory=list)

    def chunks(self) -> list[pd.DataFrame]:
        """The analysis frame cut by position into complete chunks (an incomplete tail dropped)."""
        n = len(self.analysis) // self.chunk_size
        return [self.analysis.iloc[i * self.chunk_size:(i + 1) * self.chunk_size]
                for i in range(n)]

    def trimmed_analysis(self) -> pd.DataFrame:
        """The analysis rows that the complete chunks hold, in order."""
        n = len(self.analysis) // self.chunk_size
        return self.analysis.iloc[:n * self.chunk_size].reset_index(drop=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return out


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def _shifts(n_chunks: int, direction: np.ndarray, low: float, high: float) -> list[np.ndarray]:
    return [s * direction for s in np.linspace(low, high, n_chunks)]


def _draw_x(rng: np.random.Generator, n: int, mu: np.ndarray) -> np.ndarray:
    out: np.ndarray = rng.normal(0.0, 1.0, (n, len(FEATURES))) + mu
    return out


def _periods(rng: np.random.Generator, n_ref: int, chunk: int, mus: list[np.ndarray],
             make: Callable[[np.random.Generator, np.ndarray, int], pd.DataFrame]
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    reference = make(rng, _draw_x(rng, n_ref, np.zeros(len(FEATURES))), -1)
    parts = [make(rng, _draw_x(rng, chunk, mu), i) for i, mu in enumerate(mus)]
    return reference, pd.concat(parts, ignore_index=True)


W_BIN = np.array([1.0, -1.0, 0.5])
B_BIN = -0.3


def binary(n_ref: int, n_chunks: int, chunk: int, *, slope: float = 1.0,
           concept_from: int | None = None, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Binary data: y ~ Bernoulli(sigmoid(w·x + b)), score = sigmoid(slope (w·x + b)).

    slope 1 is the calibrated truth, slope 2 a monotone miscalibration (same predictions).
    From chunk ``concept_from`` on, y follows other weights while the score does not.
    """
    rng = np.random.default_rng(seed)
    w_late = np.array([0.2, -1.0, -0.8])

    def make(r: np.random.Generator, x: np.ndarray, i: int) -> pd.DataFrame:
        z = x @ W_BIN + B_BIN
        true_z = x @ w_late + B_BIN if concept_from is not None and i >= concept_from else z
        y = (r.random(len(x)) < _sigmoid(true_z)).astype(int)
        score = _sigmoid(slope * z)
        return pd.DataFrame({**{f: x[:, j] for j, f in enumerate(FEATURES)},
                             "proba": score, "y_pred": (score >= 0.5).astype(int), "y": y})

    if concept_from is None:
        mus = _shifts(n_chunks, np.array([1.0, -0.6, 0.4]), -0.8, 1.6)
    else:
        mus = [np.zeros(len(FEATURES))] * n_chunks
    return _periods(rng, n_ref, chunk, mus, make)


W_MC = np.array([[1.2, 0.0, 0.5], [-0.4, 1.0, -0.6], [-0.8, -1.0, 0.2]])


def multiclass(n_ref: int, n_chunks: int, chunk: int, seed: int = 2
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three classes, y ~ Categorical(softmax(W x)); the scores are the true probabilities."""
    rng = np.random.default_rng(seed)

    def make(r: np.random.Generator, x: np.ndarray, i: int) -> pd.DataFrame:
        p = _softmax(x @ W_MC.T)
        y = (r.random((len(x), 1)) > np.cumsum(p, axis=1)).sum(axis=1)
        labels = np.array(CLASSES)
        frame = pd.DataFrame({f: x[:, j] for j, f in enumerate(FEATURES)})
        for k, c in enumerate(CLASSES):
            frame[f"proba_{c}"] = p[:, k]
        frame["y_pred"] = labels[p.argmax(axis=1)]
        frame["y"] = labels[np.minimum(y, len(CLASSES) - 1)]
        return frame

    mus = _shifts(n_chunks, np.array([0.8, -0.6, 0.5]), -1.0, 1.5)
    return _periods(rng, n_ref, chunk, mus, make)


def regression(n_ref: int, n_chunks: int, chunk: int, *, concept_from: int | None = None,
               seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """y = f(x) + e with sd(e) = 0.3 + 0.7 |x1|; the prediction is the truth E[y|x] = f(x).

    From chunk ``concept_from`` on, y gains a term 1.5 x2 that the prediction does not have.
    """
    rng = np.random.default_rng(seed)

    def make(r: np.random.Generator, x: np.ndarray, i: int) -> pd.DataFrame:
        f = 2.0 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2] ** 2
        y = f + r.normal(0.0, 1.0, len(x)) * (0.3 + 0.7 * np.abs(x[:, 0]))
        if concept_from is not None and i >= concept_from:
            y = y + 1.5 * x[:, 1]
        return pd.DataFrame({**{n: x[:, j] for j, n in enumerate(FEATURES)},
                             "y_pred": f, "y": y})

    if concept_from is None:
        mus = _shifts(n_chunks, np.array([1.0, 0.5, 0.0]), -0.5, 1.5)
    else:
        mus = [np.zeros(len(FEATURES))] * n_chunks
    return _periods(rng, n_ref, chunk, mus, make)


def _xy(name: str, task: str, frames: tuple[pd.DataFrame, pd.DataFrame], chunk: int,
        note: str, drift_from: int | None = None) -> DataSet:
    return DataSet(name, task, *frames, target="y", prediction="y_pred",
                   score="proba" if task == "binary" else None, features=FEATURES,
                   chunk_size=chunk, note=note, drift_from=drift_from)


def simulated(quick: bool, chunks: int | None = None) -> list[DataSet]:
    """The six simulated data sets (smaller with ``quick``), ``chunks`` analysis chunks each."""
    n_ref, n_chunks, chunk = (10_000, 4, 2_000) if quick else (50_000, 12, 5_000)
    n_chunks = chunks or n_chunks
    late = n_chunks // 2
    return [
        _xy("sim_binary", "binary", binary(n_ref, n_chunks, chunk), chunk,
            "covariate shift, calibrated score"),
        _xy("sim_binary_miscal", "binary", binary(n_ref, n_chunks, chunk, slope=2.0), chunk,
            "covariate shift, score sigmoid(2z): monotone, miscalibrated"),
        DataSet("sim_multiclass", "multiclass", *multiclass(n_ref, n_chunks, chunk),
                target="y", prediction="y_pred", score={c: f"proba_{c}" for c in CLASSES},
                features=FEATURES, chunk_size=chunk, classes=CLASSES,
                note="3 classes, covariate shift"),
        _xy("sim_regression", "regression", regression(n_ref, n_chunks, chunk), chunk,
            "covariate shift, heteroscedastic noise, prediction = E[y|x]"),
        _xy("concept_binary", "binary", binary(n_ref, n_chunks, chunk, concept_from=late),
            chunk, f"P(y|x) changes from chunk {late} on; no covariate shift", late),
        _xy("concept_regression", "regression",
            regression(n_ref, n_chunks, chunk, concept_from=late), chunk,
            f"y gains 1.5 x2 from chunk {late} on", late),
    ]


def _joined(loaded: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    reference, analysis, targets = loaded
    analysis = analysis.merge(targets, on="id", how="left", validate="one_to_one")
    return reference.reset_index(drop=True), analysis.sort_values("id").reset_index(drop=True)


def _head(data: DataSet, quick: bool) -> DataSet:
    if quick:
        data.analysis = data.analysis.iloc[:4 * data.chunk_size]
    return data


def nannyml_sets(quick: bool) -> list[DataSet]:
    """NannyML's shipped data sets, analysis targets joined by ``id`` as its docs show."""
    os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"  # no usage statistics sent anywhere
    import nannyml as nml  # type: ignore[import-not-found]

    census = _joined(nml.load_us_census_ma_employment_data())
    housing = _joined(nml.load_modified_california_housing_dataset())
    car = _joined(nml.load_synthetic_car_price_dataset())
    wfh = _joined(nml.load_synthetic_binary_classification_dataset())
    cards = _joined(nml.load_synthetic_multiclass_classification_dataset())
    card_classes = ["prepaid_card", "highstreet_card", "upmarket_card"]
    car_features = ["car_age", "km_driven", "price_new", "accident_count", "door_count",
                    "fuel", "transmission"]
    sets = [
        DataSet("us_census_employment", "binary", *census, target="employed",
                prediction="prediction", score="predicted_probability", features=[],
                chunk_size=5_000, note="real census records (Massachusetts), 2015 vs 2016-18"),
        DataSet("california_housing", "binary", *housing, target="clf_target",
                prediction="y_pred", score="y_pred_proba", features=[], chunk_size=1_000,
                note="real housing records, binary target; 8,232 analysis rows, chunks of 1,000"),
        DataSet("nml_synthetic_binary", "binary", *wfh, target="work_home_actual",
                prediction="y_pred", score="y_pred_proba", features=[], chunk_size=5_000,
                note="NannyML's synthetic work-from-home set"),
        DataSet("nml_synthetic_multiclass", "multiclass", *cards, target="y_true",
                prediction="y_pred", score={c: f"y_pred_proba_{c}" for c in card_classes},
                features=[], chunk_size=5_000, classes=card_classes,
                note="NannyML's synthetic credit-card set"),
        DataSet("nml_car_price", "regression", *car, target="y_true", prediction="y_pred",
                score=None, features=car_features, chunk_size=5_000,
                note="NannyML's synthetic car-price regression set"),
    ]
    return [_head(d, quick) for d in sets]
