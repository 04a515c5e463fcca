"""Numeric drift methods on the order-statistics sample: Kolmogorov–Smirnov and Wasserstein.

Both read the sorted uniform sample each numeric profile keeps (see
``monitor.profiles.summaries``): while a column holds at most ``sample_limit``
values the sample is the column and the results equal scipy's on the raw
data; beyond, ``n`` is the sample size, so p-values stay valid.
"""

from __future__ import annotations

import math

from scipy import stats as sps

from monitor.profiles import NUMERIC, ColumnProfile, NumericSummary
from monitor.stats.base import StatResult, ThresholdKind, numeric_summaries

__all__ = ["KolmogorovSmirnov", "Wasserstein", "normed_wasserstein"]

def normed_wasserstein(reference: NumericSummary, count: int, current: NumericSummary) -> float:
    """Wasserstein-1 distance between the samples over the reference standard deviation.

    A shift of the whole distribution by ``k`` reference standard deviations
    scores ``k``. When the reference is constant the distance is left in the
    column's own units.
    """
    distance = float(sps.wasserstein_distance(reference.sample, current.sample))
    spread = math.sqrt(reference.variance(count))
    return distance / spread if spread > 0 else distance


class KolmogorovSmirnov:
    """Two-sample Kolmogorov–Smirnov test: ``D = sup |F_ref − F_cur|`` and its p-value.

    The p-value is scipy's ``ks_2samp`` (exact for small samples, asymptotic
    otherwise) with the sample sizes used. ``effect_size`` is the normed
    Wasserstein distance, a shift in reference standard deviations.

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
    kinds: frozenset[str] = frozenset({NUMERIC})
    kind_of_threshold: ThresholdKind = "p_value"
    default_threshold = 0.05

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Run the test on the two samples."""
        ref, cur = numeric_summaries(reference, current, self.name)
        result = sps.ks_2samp(ref.sample, cur.sample, method="auto")
        effect = normed_wasserstein(ref, reference.count, cur)
        return StatResult(self.name, float(result.statistic), float(result.pvalue), effect)


class Wasserstein:
    """Wasserstein-1 (earth mover's) distance normed by the reference standard deviation.

    Reads as "how many reference standard deviations the distribution moved";
    the default threshold 0.1 flags a shift of a tenth of one.

    Reference: L. N. Vaserstein, "Markov processes over denumerable products
    of spaces", Problems Inform. Transmission 5 (1969).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"x": [0.0, 2.0]})]).columns["x"]
    >>> cur = build_profile([pd.DataFrame({"x": [1.0, 3.0]})]).columns["x"]
    >>> Wasserstein().score(ref, cur).statistic
    1.0
    """

    name = "wasserstein"
    kinds: frozenset[str] = frozenset({NUMERIC})
    kind_of_threshold: ThresholdKind = "distance"
    default_threshold = 0.1

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Distance between the two samples in reference standard deviations."""
        ref, cur = numeric_summaries(reference, current, self.name)
        distance = normed_wasserstein(ref, reference.count, cur)
        return StatResult(self.name, distance, None, distance)
