"""Tests on moments: Welch's t-test of the means, from counts, means and variances.

It needs no sample: the moments every numeric profile keeps are exact over
all values, so the test sees every row (and, like every p-value test, flags
any mean shift once a window is large enough; the effect floor of
``monitor.stats.decide`` guards against that).
"""

from __future__ import annotations

import math

from monitor.profiles import NUMERIC_KINDS, ColumnProfile
from monitor.stats.base import StatResult, ThresholdKind, numeric_summaries

__all__ = ["WelchT"]


class WelchT:
    """Welch's unequal-variances t-test of the two means.

    ``statistic`` is t (current mean minus reference mean over its standard
    error) and ``p_value`` two-sided, equal to ``scipy.stats.ttest_ind(ref,
    cur, equal_var=False)`` on the raw values (sample variances, ``ddof=1``).
    ``effect_size`` is the mean shift in reference standard deviations.

    Reference: B. L. Welch, "The generalization of 'Student's' problem when
    several different population variances are involved", Biometrika 34 (1947).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})]).columns["x"]
    >>> cur = build_profile([pd.DataFrame({"x": [2.0, 3.0, 4.0, 5.0]})]).columns["x"]
    >>> round(WelchT().score(ref, cur).statistic, 4)
    1.0954
    """

    name = "ttest"
    kinds: frozenset[str] = NUMERIC_KINDS
    kind_of_threshold: ThresholdKind = "p_value"
    default_threshold = 0.05

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Run the test on the moments."""
        ref, cur = numeric_summaries(reference, current, self.name)
        n1, n2 = reference.count, current.count
        spread = math.sqrt(ref.variance(n1))
        shift = cur.mean - ref.mean
        effect = abs(shift) / spread if spread > 0 else abs(shift)
        if n1 < 2 or n2 < 2:
            return StatResult(self.name, 0.0, 1.0, effect)
        var1, var2 = ref.m2 / (n1 - 1), cur.m2 / (n2 - 1)
        if var1 == 0 and var2 == 0:
            return StatResult(self.name, 0.0, 1.0 if shift == 0 else 0.0, effect)
        from scipy import stats as sps  # imported on use: see monitor.stats.kolmogorov

        result = sps.ttest_ind_from_stats(cur.mean, math.sqrt(var2), n2, ref.mean,
                                          math.sqrt(var1), n1, equal_var=False)
        return StatResult(self.name, float(result.statistic), float(result.pvalue), effect)
