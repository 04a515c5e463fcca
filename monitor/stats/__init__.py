"""Drift statistics: methods that score a reference column against a current one.

``base.py`` holds the contract (``Method``, ``StatResult``); one module per
family: ``numeric.py`` (KS, Anderson–Darling, Cramér–von Mises, Mann–Whitney
on the samples), ``moments.py`` (Welch's t-test), ``numeric_distances.py``
(Wasserstein, energy), ``distances.py`` (PSI, Jensen–Shannon, Hellinger, KL,
total variation on frequency tables), ``categorical.py`` (chi-square,
G-test, z-test, Fisher), ``multivariate.py`` (PCA reconstruction error,
domain classifier) and ``performance.py`` (model metrics once labels exist);
``registry.py`` the column methods by name; ``decide.py`` the ``auto``
choice, multiple-testing correction and drift decision.

Pure (numpy and scipy on profiles): it imports the profiles and the
foundation only, never the rules, sources, store or anything above them.
"""

from monitor.stats.base import Method, StatResult, ThresholdKind
from monitor.stats.categorical import ChiSquare, FisherExact, GTest, ZTest, pool_sparse_cells
from monitor.stats.decide import (
    CORRECTIONS,
    DEFAULT_ALPHA,
    DEFAULT_DRIFT_SHARE,
    Decision,
    Trial,
    adjust_p_values,
    auto_method,
    choose_auto,
    dataset_drift,
    decide_drift,
    drift_share,
    meets_effect_floor,
)
from monitor.stats.distances import (
    Hellinger,
    JensenShannon,
    KullbackLeibler,
    PopulationStabilityIndex,
    TotalVariation,
    hellinger,
    kl_divergence,
    psi,
    total_variation,
)
from monitor.stats.moments import WelchT
from monitor.stats.multivariate import (
    DomainClassifier,
    PcaReconstruction,
    get_multivariate,
    known_multivariate,
)
from monitor.stats.numeric import AndersonDarling, CramerVonMises, KolmogorovSmirnov, MannWhitney
from monitor.stats.numeric_distances import EnergyDistance, Wasserstein, normed_wasserstein
from monitor.stats.performance import PERFORMANCE_METRICS, performance_metrics, roc_auc
from monitor.stats.registry import AUTO, get_method, known_methods, method_accepts, methods_for

__all__ = [
    "AUTO",
    "CORRECTIONS",
    "DEFAULT_ALPHA",
    "DEFAULT_DRIFT_SHARE",
    "PERFORMANCE_METRICS",
    "AndersonDarling",
    "ChiSquare",
    "CramerVonMises",
    "Decision",
    "DomainClassifier",
    "EnergyDistance",
    "FisherExact",
    "GTest",
    "Hellinger",
    "JensenShannon",
    "KolmogorovSmirnov",
    "KullbackLeibler",
    "MannWhitney",
    "Method",
    "PcaReconstruction",
    "PopulationStabilityIndex",
    "StatResult",
    "ThresholdKind",
    "TotalVariation",
    "Trial",
    "Wasserstein",
    "WelchT",
    "ZTest",
    "adjust_p_values",
    "auto_method",
    "choose_auto",
    "dataset_drift",
    "decide_drift",
    "drift_share",
    "get_method",
    "get_multivariate",
    "hellinger",
    "kl_divergence",
    "known_methods",
    "known_multivariate",
    "meets_effect_floor",
    "method_accepts",
    "methods_for",
    "normed_wasserstein",
    "performance_metrics",
    "pool_sparse_cells",
    "psi",
    "roc_auc",
    "total_variation",
]
