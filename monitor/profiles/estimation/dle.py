"""Direct loss estimation (DLE): a regressor's error without labels.

On the reference, where the labels are known, a second model learns the
absolute error ``|y − ŷ|`` and the squared error ``(y − ŷ)²`` of each row
from its features and its prediction. On a window without labels its mean
predictions are the estimated MAE and MSE (RMSE is the square root). This is
NannyML's DLE; the learner is scikit-learn's histogram gradient boosting
(``pip install 'monitor[estimate]'``), with categorical features as codes.

**Assumption.** The error given the features is as in the reference (no
concept drift); the covariate shift itself is what the estimate follows.

**Band.** Given the features, each row's realized absolute error varies
with variance ``E[e²|x] − E[|e| | x]²``, both learned; the squared error with
variance ``(κ − 1)·E[e²|x]²``, where κ is the reference's ratio of the fourth
moment of the error to its squared second (3 for normal errors). Summed, they
give the normal 95 % band of the realized MAE and MSE around the estimate.

**What is kept.** The profile stores the rows the models are fitted on (a
uniform sample of at most ``FIT_ROWS`` reference rows, as float32) and not the
models: fitting is deterministic and is redone, once per process, on load.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from monitor.errors import ProfileError
from monitor.profiles.readers import read_numbers

__all__ = ["FIT_ROWS", "REGRESSION_ESTIMATES", "Encoding", "LossModel", "loss_model"]

FIT_ROWS = 50_000
MAX_CODES = 250
REGRESSION_ESTIMATES = ("mae", "rmse")
SUMS = ("rows", "abs", "sq", "abs_var", "sq_sq", "labelled", "abs_error", "sq_error")
_Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Encoding:
    """How a frame's feature columns become the learner's numbers.

    Numeric and boolean columns are read as numbers; other columns are
    categories, coded by their rank among the reference's ``categories``
    (others and missing values are NaN, which the learner sends its own way).
    The prediction is the last feature.
    """

    features: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, frame: pd.DataFrame, features: Sequence[str]) -> Encoding:
        """Read which features are categories, and their codes, from reference rows."""
        categories = {}
        for name in features:
            series = frame[name]
            if not (pd.api.types.is_numeric_dtype(series.dtype)
                    or pd.api.types.is_bool_dtype(series.dtype)):
                counts = series.dropna().astype(str).value_counts()
                categories[name] = tuple(sorted(counts.index[:MAX_CODES].tolist()))
        return cls(tuple(features), categories)

    def matrix(self, frame: pd.DataFrame, prediction: np.ndarray) -> np.ndarray:
        """The features and the prediction as a float32 matrix, one row per frame row."""
        out = np.empty((len(frame), len(self.features) + 1), dtype=np.float32)
        for i, name in enumerate(self.features):
            if name not in frame.columns:
                out[:, i] = np.nan
            elif name in self.categories:
                known = pd.Index(self.categories[name])
                codes = known.get_indexer(frame[name].astype("string").fillna("\0"))
                out[:, i] = np.where(codes >= 0, codes, np.nan)
            else:
                out[:, i] = read_numbers(frame[name])[0]
        out[:, -1] = prediction
        return out

    @property
    def categorical_mask(self) -> list[bool]:
        """Which matrix columns hold category codes."""
        return [name in self.categories for name in self.features] + [False]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"features": list(self.features),
                "categories": {k: list(v) for k, v in self.categories.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Encoding:
        """Rebuild from ``to_dict``."""
        return cls(tuple(str(f) for f in data["features"]),
                   {str(k): tuple(str(c) for c in v) for k, v in data["categories"].items()})


class LossModel:
    """The two fitted error models and the error's kurtosis ratio."""

    def __init__(self, matrix: np.ndarray, errors: np.ndarray, categorical: list[bool]) -> None:
        try:
            from sklearn.ensemble import HistGradientBoostingRegressor
        except ImportError as exc:
            raise ProfileError(
                "estimating a regressor's error (DLE) needs scikit-learn: "
                "pip install 'monitor[estimate]'") from exc

        def fit(target: np.ndarray) -> Any:
            model = HistGradientBoostingRegressor(
                categorical_features=categorical if any(categorical) else None,
                max_iter=50, learning_rate=0.2, early_stopping=False, random_state=0)
            return model.fit(matrix, target)

        self.absolute = fit(np.abs(errors))
        self.squared = fit(np.square(errors))
        mean_square = float(np.mean(np.square(errors))) if errors.size else 0.0
        fourth = float(np.mean(errors ** 4)) if errors.size else 0.0
        self.kurtosis = fourth / mean_square ** 2 if mean_square > 0 else 3.0

    def sums(self, matrix: np.ndarray) -> np.ndarray:
        """The estimate's sums over rows of ``matrix`` (the first five of ``SUMS``)."""
        if len(matrix) == 0:
            return np.zeros(5)
        absolute = np.clip(self.absolute.predict(matrix), 0, None)
        squared = np.maximum(np.clip(self.squared.predict(matrix), 0, None), absolute ** 2)
        return np.array([len(matrix), absolute.sum(), squared.sum(),
                         (squared - absolute ** 2).sum(), (squared ** 2).sum()])

    def estimate(self, sums: np.ndarray) -> dict[str, tuple[float, float, float]]:
        """Estimated MAE and RMSE with their 95 % bands, from ``SUMS``-ordered sums."""
        rows = sums[0]
        if rows <= 0:
            return dict.fromkeys(REGRESSION_ESTIMATES, (math.nan, math.nan, math.nan))
        mae, mae_se = sums[1] / rows, math.sqrt(max(sums[3], 0)) / rows
        mse = sums[2] / rows
        mse_se = math.sqrt(max(self.kurtosis - 1, 0) * sums[4]) / rows
        return {"mae": (mae, max(mae - _Z95 * mae_se, 0.0), mae + _Z95 * mae_se),
                "rmse": (math.sqrt(mse), math.sqrt(max(mse - _Z95 * mse_se, 0.0)),
                         math.sqrt(mse + _Z95 * mse_se))}


def realized_errors(sums: np.ndarray) -> dict[str, float]:
    """Realized MAE and RMSE of the labelled rows, from ``SUMS``-ordered sums."""
    labelled = sums[5]
    if labelled <= 0:
        return {}
    return {"mae": sums[6] / labelled, "rmse": math.sqrt(sums[7] / labelled)}


def loss_model(matrix: np.ndarray, errors: np.ndarray, categorical: list[bool]) -> LossModel:
    """The models fitted on these rows, fitted once per process for the same rows."""
    digest = hashlib.sha256(np.ascontiguousarray(matrix).tobytes())
    digest.update(np.ascontiguousarray(errors).tobytes())
    digest.update(bytes(categorical))
    return _fitted(digest.hexdigest(), _Rows(matrix, errors, categorical))


class _Rows:
    """Fit rows that hash by their digest only, for the cache."""

    def __init__(self, matrix: np.ndarray, errors: np.ndarray, categorical: list[bool]) -> None:
        self.matrix, self.errors, self.categorical = matrix, errors, categorical

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rows)


@lru_cache(maxsize=8)
def _fitted(digest: str, rows: _Rows) -> LossModel:
    return LossModel(rows.matrix, rows.errors, rows.categorical)
