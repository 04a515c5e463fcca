"""Categorical drift methods on category counts: Pearson's chi-square test of homogeneity.

The test reads the 2 × k table of reference and current counts over the
union of both columns' categories (plus one ``other`` cell for categories
beyond the kept top-k), so uncertainty on both sides is accounted for and a
category that appears only in the current data counts against it.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from monitor.profiles import CATEGORICAL, ColumnProfile
from monitor.stats.base import StatResult, ThresholdKind, category_tables

__all__ = ["ChiSquare", "total_variation"]


def total_variation(reference: np.ndarray, current: np.ndarray) -> float:
    """Total variation distance between two count vectors: half the L1 distance of their shares.

    It is the share of values that would have to change category to turn one
    mix into the other: a category moving by 5 points scores 0.05.

    >>> round(total_variation(np.array([50.0, 50.0]), np.array([45.0, 55.0])), 12)
    0.05
    """
    return float(0.5 * np.abs(reference / reference.sum() - current / current.sum()).sum())


class ChiSquare:
    """Pearson's chi-square test that both columns draw from the same category mix.

    ``statistic`` and ``p_value`` equal ``scipy.stats.chi2_contingency`` on the
    2 × k table without Yates' correction; ``effect_size`` is the total
    variation distance. With a single category on both sides the mixes are
    equal by construction: statistic 0, p-value 1.

    Reference: K. Pearson, "On the criterion that a given system of
    deviations...", Philosophical Magazine 50 (1900).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"c": list("aabb")})]).columns["c"]
    >>> cur = build_profile([pd.DataFrame({"c": list("aaab")})]).columns["c"]
    >>> round(ChiSquare().score(ref, cur).statistic, 4)
    0.5333
    """

    name = "chisquare"
    kinds: frozenset[str] = frozenset({CATEGORICAL})
    kind_of_threshold: ThresholdKind = "p_value"
    default_threshold = 0.05

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Run the test on the aligned category counts."""
        ref, cur = category_tables(reference, current, self.name)
        effect = total_variation(ref, cur)
        if ref.size < 2:
            return StatResult(self.name, 0.0, 1.0, effect)
        result = sps.chi2_contingency(np.vstack([ref, cur]), correction=False)
        return StatResult(self.name, float(result.statistic), float(result.pvalue), effect)
