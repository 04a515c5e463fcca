"""Performance estimation without labels, for scripts: fit on a reference, estimate windows.

The face of ``monitor.profiles.estimation`` (where profiles keep the
estimator): ``fit_estimator(reference, target=, score=|prediction=)`` fits
CBPE (with a score) or DLE (a regressor's prediction), and an
``EstimationAccumulator`` adds a window's chunks and gives its ``Estimate``.
It imports only the profiles layer.
"""

from monitor.profiles.estimation import (
    CLASSIFICATION_ESTIMATES,
    ESTIMATED_METRICS,
    REGRESSION_ESTIMATES,
    Band,
    Estimate,
    EstimationAccumulator,
    Estimator,
    EstimatorFitter,
    fit_estimator,
)

__all__ = [
    "CLASSIFICATION_ESTIMATES",
    "ESTIMATED_METRICS",
    "REGRESSION_ESTIMATES",
    "Band",
    "Estimate",
    "EstimationAccumulator",
    "Estimator",
    "EstimatorFitter",
    "fit_estimator",
]
