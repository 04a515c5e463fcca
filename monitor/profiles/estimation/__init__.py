"""Model performance estimated without labels: CBPE for classifiers, DLE for regressors.

A reference with labels fits an ``Estimator`` (``fitting``) that its profile
keeps; a window's rows add to a state array that merges by addition; the
state gives an ``Estimate``: each metric with its 95 % band, and the realized
metrics of whatever rows had labels. ``calibration`` holds the isotonic map,
``cbpe`` and ``dle`` the two estimators' arithmetic.

Part of the profiles layer: pure (numpy, pandas, scipy; scikit-learn on use
for DLE). It must not import anything above the profiles.

>>> import pandas as pd
>>> reference = pd.DataFrame({"p": [0.1, 0.4, 0.6, 0.9] * 50, "y": [0, 0, 1, 1] * 50})
>>> estimator = fit_estimator(reference, target="y", score="p")
>>> accumulator = EstimationAccumulator(estimator)
>>> accumulator.update(pd.DataFrame({"p": [0.1, 0.9, 0.6]}))
>>> round(accumulator.estimate().metrics["accuracy"].value, 3)
1.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitor.profiles.estimation.cbpe import CLASSIFICATION_ESTIMATES
from monitor.profiles.estimation.dle import REGRESSION_ESTIMATES
from monitor.profiles.estimation.estimator import Band, Estimate, Estimator, Method
from monitor.profiles.estimation.fitting import EstimatorFitter, fit_estimator, score_columns

__all__ = [
    "CLASSIFICATION_ESTIMATES",
    "ESTIMATED_METRICS",
    "REGRESSION_ESTIMATES",
    "Band",
    "Estimate",
    "EstimationAccumulator",
    "Estimator",
    "EstimatorFitter",
    "Method",
    "fit_estimator",
    "score_columns",
]

ESTIMATED_METRICS = CLASSIFICATION_ESTIMATES + REGRESSION_ESTIMATES


class EstimationAccumulator:
    """A window's state while its chunks stream in; ``estimate()`` reads it."""

    def __init__(self, estimator: Estimator) -> None:
        self.estimator = estimator
        self.state = estimator.new_state()
        self.unreadable = 0

    def update(self, chunk: pd.DataFrame) -> None:
        """Add a chunk's rows (with or without the target)."""
        self.unreadable += self.estimator.add(self.state, chunk)

    def merge(self, other: EstimationAccumulator) -> None:
        """Add another window part's state (same estimator)."""
        self.state += other.state
        self.unreadable += other.unreadable

    def estimate(self) -> Estimate:
        """The estimate of the rows so far."""
        return self.estimator.estimate(np.array(self.state, copy=True))
