"""Numeric two-sample tests: KS, Anderson–Darling, Cramér–von Mises, Mann–Whitney U.

While both columns hold at most ``sample_limit`` values their samples are
the columns, and the tests run on them exactly as scipy does on the raw
data. Beyond, they read the fine histograms, which count every value on the
reference's quantile edges (``monitor.stats.binned``): same statistics, all
rows, to within one fine bin. A reference written before fine histograms
(profile format 1 or 2) falls back to the samples, with ``n`` the sample
size, so p-values stay valid (the test sees fewer values, never pretends to
see more). ``effect_size`` of each is the normed Wasserstein distance, a
shift in reference standard deviations.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from monitor.profiles import NUMERIC_KINDS, ColumnProfile
from monitor.stats.base import StatResult, ThresholdKind, numeric_summaries
from monitor.stats.binned import (
    anderson_binned,
    binned_of,
    cramervonmises_binned,
    ks_binned,
    mannwhitney_binned,
)
from monitor.stats.kolmogorov import ks_2samp
from monitor.stats.numeric_distances import normed_wasserstein

__all__ = [
    "AndersonDarling",
    "CramerVonMises",
    "KolmogorovSmirnov",
    "MannWhitney",
    "anderson_p_value",
]

# Scholz & Stephens (1987), Table 2: interpolation coefficients of the critical values.
_AD_B0 = np.array([0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085])
_AD_B1 = np.array([-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615])
_AD_B2 = np.array([-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154])
_AD_LEVELS = np.array([0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001])


def anderson_p_value(statistic: float, samples: int = 2) -> float:
    """p-value of the standardised k-sample Anderson–Darling statistic.

    Inside Scholz & Stephens' table (0.001 ≤ p ≤ 0.25) it is scipy's
    interpolation (a quadratic in the log of the level). scipy caps the
    p-value to that range, which after a multiple-testing correction would
    keep the test from ever rejecting; here the tail beyond the table goes on
    along the tangent of that curve (an exponential tail, as the asymptotic
    law of the statistic has), and the head is capped at 1.

    >>> round(anderson_p_value(1.961), 2)
    0.05
    >>> anderson_p_value(20.0) < 1e-6
    True
    """
    m = samples - 1
    critical = _AD_B0 + _AD_B1 / math.sqrt(m) + _AD_B2 / m
    curve = np.polyfit(critical, np.log(_AD_LEVELS), 2)
    last = critical.max()
    if statistic <= last:
        return float(min(1.0, math.exp(np.polyval(curve, statistic))))
    slope = np.polyval(np.polyder(curve), last)
    return float(math.exp(np.polyval(curve, last) + slope * (statistic - last)))


class KolmogorovSmirnov:
    """Two-sample Kolmogorov–Smirnov test: ``D = sup |F_ref − F_cur|`` and its p-value.

    The p-value is scipy's ``ks_2samp`` (exact for small samples, asymptotic
    otherwise) with the sample sizes used.

    Reference: N. Smirnov, "Table for estimating the goodness of fit of
    empirical distributions", Ann. Math. Statist. 19 (1948).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})]).columns["x"]
    >>> cur = build_profile([pd.DataFrame({"x": [3.0, 4.0, 5.0, 6.0]})]).columns["x"]
    >>> KolmogorovSmirnov().score(ref, cur).statistic
    0.5
    """

    name = "ks"
    kinds: frozenset[str] = NUMERIC_KINDS
    kind_of_threshold: ThresholdKind = "p_value"
    default_threshold = 0.05

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Run the test on the two samples."""
        ref, cur = numeric_summaries(reference, current, self.name)
        binned = binned_of(ref, cur)
        statistic, p_value = (ks_binned(binned) if binned is not None
                              else ks_2samp(ref.sample, cur.sample))
        effect = normed_wasserstein(ref, reference.count, cur)
        return StatResult(self.name, statistic, p_value, effect)


class AndersonDarling:
    """k-sample Anderson–Darling test (k = 2), more sensitive than KS in the tails.

    ``statistic`` is scipy's ``anderson_ksamp`` standardised statistic
    (midranks, so ties are handled); ``p_value`` is ``anderson_p_value``,
    equal to scipy's inside its table and not capped beyond.

    Reference: F. W. Scholz, M. A. Stephens, "K-sample Anderson–Darling
    tests", J. Amer. Statist. Assoc. 82 (1987).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0]})]).columns["x"]
    >>> cur = build_profile([pd.DataFrame({"x": [4.0, 5.0, 6.0, 7.0, 8.0]})]).columns["x"]
    >>> round(AndersonDarling().score(ref, cur).statistic, 4)
    3.124
    """

    name = "anderson"
    kinds: frozenset[str] = NUMERIC_KINDS
    kind_of_threshold: ThresholdKind = "p_value"
    default_threshold = 0.05

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Run the test on the two samples."""
        ref, cur = numeric_summaries(reference, current, self.name)
        effect = normed_wasserstein(ref, reference.count, cur)
        binned = binned_of(ref, cur)
        if binned is not None:
            statistic = anderson_binned(binned)
            return StatResult(self.name, statistic, anderson_p_value(statistic), effect)
        if (ref.sample.size < 2 or cur.sample.size < 2  # scipy fails or answers NaN
                or np.unique(np.concatenate([ref.sample, cur.sample])).size < 2):
            return StatResult(self.name, 0.0, 1.0, effect)  # nothing to tell apart
        from scipy import stats as sps  # imported on use: see monitor.stats.kolmogorov

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns when it caps the p-value
            result = sps.anderson_ksamp([ref.sample, cur.sample])
        statistic = float(result.statistic)
        return StatResult(self.name, statistic, anderson_p_value(statistic), effect)


class CramerVonMises:
    """Two-sample Cramér–von Mises test: the integrated squared distance between the CDFs.

    Equal to scipy's ``cramervonmises_2samp`` (exact for samples of at most
    20 values, asymptotic beyond).

    Reference: T. W. Anderson, "On the distribution of the two-sample
    Cramér–von Mises criterion", Ann. Math. Statist. 33 (1962).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})]).columns["x"]
    >>> cur = build_profile([pd.DataFrame({"x": [3.5, 4.5, 5.5, 6.5]})]).columns["x"]
    >>> round(CramerVonMises().score(ref, cur).statistic, 4)
    0.5
    """

    name = "cramervonmises"
    kinds: frozenset[str] = NUMERIC_KINDS
    kind_of_threshold: ThresholdKind = "p_value"
    default_threshold = 0.05

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Run the test on the two samples."""
        ref, cur = numeric_summaries(reference, current, self.name)
        effect = normed_wasserstein(ref, reference.count, cur)
        binned = binned_of(ref, cur)
        if binned is not None:
            return StatResult(self.name, *cramervonmises_binned(binned), effect)
        if ref.sample.size < 2 or cur.sample.size < 2:
            return StatResult(self.name, 0.0, 1.0, effect)  # scipy needs two values a side
        from scipy import stats as sps
        result = sps.cramervonmises_2samp(ref.sample, cur.sample, method="auto")
        p_value = min(1.0, max(0.0, float(result.pvalue)))
        return StatResult(self.name, float(result.statistic), p_value, effect)


class MannWhitney:
    """Mann–Whitney U test (two-sided): does one column tend to hold larger values?

    ``statistic`` is U of the reference sample and ``p_value`` scipy's
    ``mannwhitneyu`` (exact for small samples without ties, otherwise the
    normal approximation with tie and continuity corrections). It sees shifts
    of location, not changes of spread alone.

    Reference: H. B. Mann, D. R. Whitney, "On a test of whether one of two
    random variables is stochastically larger than the other", Ann. Math.
    Statist. 18 (1947).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"x": [1.0, 2.0, 3.0]})]).columns["x"]
    >>> cur = build_profile([pd.DataFrame({"x": [4.0, 5.0, 6.0]})]).columns["x"]
    >>> MannWhitney().score(ref, cur).statistic
    0.0
    """

    name = "mannwhitney"
    kinds: frozenset[str] = NUMERIC_KINDS
    kind_of_threshold: ThresholdKind = "p_value"
    default_threshold = 0.05

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Run the test on the two samples."""
        ref, cur = numeric_summaries(reference, current, self.name)
        effect = normed_wasserstein(ref, reference.count, cur)
        binned = binned_of(ref, cur)
        if binned is not None:
            return StatResult(self.name, *mannwhitney_binned(binned), effect)
        from scipy import stats as sps

        result = sps.mannwhitneyu(ref.sample, cur.sample, alternative="two-sided",
                                  method="auto")
        p_value = float(result.pvalue) if np.isfinite(result.pvalue) else 1.0
        return StatResult(self.name, float(result.statistic), p_value, effect)
