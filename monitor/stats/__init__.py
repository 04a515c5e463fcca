"""Drift statistics: methods that score a reference column against a current one.

``base.py`` holds the contract (``Method``, ``StatResult``); ``numeric.py``,
``categorical.py`` and ``distances.py`` one module per family; ``registry.py``
the methods by name; ``decide.py`` the ``auto`` choice, multiple-testing
correction and drift decision.
"""

from monitor.stats.base import Method, StatResult, ThresholdKind
from monitor.stats.categorical import ChiSquare, total_variation
from monitor.stats.decide import (
    CORRECTIONS,
    DEFAULT_ALPHA,
    DEFAULT_DRIFT_SHARE,
    Decision,
    Trial,
    adjust_p_values,
    auto_method,
    dataset_drift,
    decide_drift,
    drift_share,
    meets_effect_floor,
)
from monitor.stats.distances import JensenShannon, PopulationStabilityIndex, psi
from monitor.stats.numeric import KolmogorovSmirnov, Wasserstein, normed_wasserstein
from monitor.stats.registry import AUTO, get_method, known_methods, method_accepts, methods_for

__all__ = [
    "AUTO",
    "CORRECTIONS",
    "DEFAULT_ALPHA",
    "DEFAULT_DRIFT_SHARE",
    "ChiSquare",
    "Decision",
    "JensenShannon",
    "KolmogorovSmirnov",
    "Method",
    "PopulationStabilityIndex",
    "StatResult",
    "ThresholdKind",
    "Trial",
    "Wasserstein",
    "adjust_p_values",
    "auto_method",
    "dataset_drift",
    "decide_drift",
    "drift_share",
    "get_method",
    "known_methods",
    "meets_effect_floor",
    "method_accepts",
    "methods_for",
    "normed_wasserstein",
    "psi",
    "total_variation",
]
