"""A window's estimated model metrics: from the reference's estimator and the window's state.

Metric names alert conditions read (``when:``): ``estimated.<metric>`` for
the estimate, ``estimated.<metric>.lower`` and ``.upper`` for its 95 % band,
with ``<metric>`` in ``ESTIMATED_METRICS`` (the task's metrics only). Once
labels arrive for an earlier window: ``estimation_error.<metric>`` (realized
− estimated on its labelled rows) and ``estimation_error.<metric>.outside``
(1.0 when the realized value fell outside the band: the estimate's
assumption, no concept drift, visibly failed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from monitor.profiles import Profile
from monitor.profiles.estimation import ESTIMATED_METRICS, Estimate

__all__ = ["ESTIMATED_METRICS", "band_metrics", "error_metrics", "estimate_metrics",
           "estimate_of"]


def estimate_of(reference: Profile, current: Profile, names: Sequence[str] = ()
                ) -> Estimate | None:
    """The estimate of ``current``'s rows, narrowed to ``names``; None without an estimator."""
    if reference.estimator is None or current.estimation is None:
        return None
    return reference.estimator.estimate(current.estimation).only(names)


def estimate_metrics(estimate: Estimate | None) -> dict[str, float]:
    """``estimated.*`` numbers for alert conditions (NaN where undefined)."""
    if estimate is None:
        return {}
    out: dict[str, float] = {}
    for name, band in estimate.metrics.items():
        out.update(band_metrics(name, band.value, band.lower, band.upper))
    return out


def band_metrics(metric: str, value: float | None, lower: float | None, upper: float | None
                 ) -> dict[str, float]:
    """One estimated metric's names and numbers: ``estimated.M``, ``.lower``, ``.upper``
    (NaN where undefined), for a live estimate and a stored one alike."""
    named = ((f"estimated.{metric}", value), (f"estimated.{metric}.lower", lower),
             (f"estimated.{metric}.upper", upper))
    return {k: v if v is not None and math.isfinite(v) else math.nan for k, v in named}


def error_metrics(estimate: Estimate | None) -> dict[str, float]:
    """``estimation_error.*`` of an estimate that has realized values beside it."""
    if estimate is None:
        return {}
    out = {}
    for name, realized in estimate.realized.items():
        band = estimate.metrics.get(name)
        if band is None or not math.isfinite(realized) or not math.isfinite(band.value):
            continue
        out[f"estimation_error.{name}"] = realized - band.value
        outside = not band.lower <= realized <= band.upper
        out[f"estimation_error.{name}.outside"] = 1.0 if outside else 0.0
    return out
