"""Distances between two frequency tables: PSI and Jensen–Shannon.

Both work on numeric columns through the histogram (bins on the reference's
edges, the two open ends included, so values outside the reference range
count) and on categorical columns through the category counts (union of
categories plus ``other``).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import distance as spd

from monitor.profiles import CATEGORICAL, NUMERIC, ColumnProfile
from monitor.stats.base import StatResult, ThresholdKind, frequency_tables

__all__ = ["PSI_EPSILON", "JensenShannon", "PopulationStabilityIndex", "psi"]

# A bin empty on one side would make PSI infinite; its share is raised to this
# floor instead (the value Evidently uses), so one empty bin adds a bounded term.
PSI_EPSILON = 1e-4


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index ``Σ (a − e)·ln(a / e)``, current shares ``a``, reference ``e``.

    Shares of 0 are raised to ``PSI_EPSILON`` (not renormalised).

    >>> round(psi(np.array([50.0, 50.0]), np.array([40.0, 60.0])), 6)
    0.040547
    """
    expected = np.maximum(reference / reference.sum(), PSI_EPSILON)
    actual = np.maximum(current / current.sum(), PSI_EPSILON)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


class PopulationStabilityIndex:
    """Population stability index between the reference and current frequency tables.

    Common reading: below 0.1 stable, 0.1–0.25 a moderate shift, above 0.25 a
    major one; the default threshold is 0.1.

    Reference: B. Yurdakul, "Statistical properties of population stability
    index", Western Michigan University (2018).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"c": list("ab")})]).columns["c"]
    >>> cur = build_profile([pd.DataFrame({"c": list("aaab")})]).columns["c"]
    >>> round(PopulationStabilityIndex().score(ref, cur).statistic, 4)
    0.2747
    """

    name = "psi"
    kinds: frozenset[str] = frozenset({NUMERIC, CATEGORICAL})
    kind_of_threshold: ThresholdKind = "distance"
    default_threshold = 0.1

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """PSI of the aligned frequency tables."""
        value = psi(*frequency_tables(reference, current, self.name))
        return StatResult(self.name, value, None, value)


class JensenShannon:
    """Jensen–Shannon distance (natural log), the square root of the JS divergence.

    Symmetric, bounded by ``sqrt(ln 2) ≈ 0.83`` and finite with empty bins
    (``0·ln 0 = 0``), so it needs no epsilon. Default threshold 0.1.
    Equal to ``scipy.spatial.distance.jensenshannon`` on the two tables.

    Reference: J. Lin, "Divergence measures based on the Shannon entropy",
    IEEE Trans. Inf. Theory 37 (1991).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"c": list("ab")})]).columns["c"]
    >>> cur = build_profile([pd.DataFrame({"c": list("aaab")})]).columns["c"]
    >>> round(JensenShannon().score(ref, cur).statistic, 4)
    0.1839
    """

    name = "jensenshannon"
    kinds: frozenset[str] = frozenset({NUMERIC, CATEGORICAL})
    kind_of_threshold: ThresholdKind = "distance"
    default_threshold = 0.1

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """JS distance of the aligned frequency tables."""
        ref, cur = frequency_tables(reference, current, self.name)
        value = float(spd.jensenshannon(ref, cur))
        return StatResult(self.name, value, None, value)
