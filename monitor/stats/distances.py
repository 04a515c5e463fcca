"""Distances between two frequency tables: PSI, Jensen–Shannon, Hellinger, KL, total variation.

Both work on numeric columns through the histogram (bins on the reference's
edges, the two open ends included, so values outside the reference range
count) and on categorical columns through the category counts (union of
categories plus ``other``).
"""

from __future__ import annotations

import numpy as np

from monitor.profiles import KINDS, ColumnProfile
from monitor.stats.base import StatResult, ThresholdKind, frequency_tables

__all__ = [
    "PSI_EPSILON",
    "Hellinger",
    "JensenShannon",
    "KullbackLeibler",
    "PopulationStabilityIndex",
    "TotalVariation",
    "hellinger",
    "jensenshannon",
    "kl_divergence",
    "psi",
    "total_variation",
]

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


def kl_divergence(reference: np.ndarray, current: np.ndarray) -> float:
    """Kullback–Leibler divergence ``Σ a·ln(a / e)`` of current shares from reference shares.

    Shares are raised to ``PSI_EPSILON`` as for PSI, so a bin empty on one
    side gives a bounded term (and ``psi = KL(a‖e) + KL(e‖a)``).

    >>> round(kl_divergence(np.array([50.0, 50.0]), np.array([40.0, 60.0])), 6)
    0.020136
    """
    expected = np.maximum(reference / reference.sum(), PSI_EPSILON)
    actual = np.maximum(current / current.sum(), PSI_EPSILON)
    return float(np.sum(actual * np.log(actual / expected)))


def jensenshannon(reference: np.ndarray, current: np.ndarray) -> float:
    """Jensen–Shannon distance (natural log) of two count vectors, as scipy computes it.

    Written out so the comparison needs no ``scipy.spatial``. Disjoint tables
    score ``sqrt(ln 2)``:

    >>> round(jensenshannon(np.array([1.0, 0.0]), np.array([0.0, 1.0])) ** 2, 6)
    0.693147
    """
    p, q = reference / reference.sum(), current / current.sum()
    m = (p + q) / 2.0

    def relative_entropy(x: np.ndarray) -> float:
        positive = x > 0
        return float(np.sum(x[positive] * np.log(x[positive] / m[positive])))

    return float(np.sqrt(max(0.0, (relative_entropy(p) + relative_entropy(q)) / 2.0)))


def hellinger(reference: np.ndarray, current: np.ndarray) -> float:
    """Hellinger distance ``sqrt(1 − Σ sqrt(e·a))`` of the two share vectors, in [0, 1].

    >>> round(hellinger(np.array([1.0, 0.0]), np.array([0.0, 1.0])), 12)
    1.0
    """
    bc = float(np.sum(np.sqrt(reference / reference.sum() * (current / current.sum()))))
    return float(np.sqrt(max(0.0, 1.0 - bc)))


def total_variation(reference: np.ndarray, current: np.ndarray) -> float:
    """Total variation distance between two count vectors: half the L1 distance of their shares.

    It is the share of values that would have to change category (or bin) to
    turn one mix into the other: a category moving by 5 points scores 0.05.

    >>> round(total_variation(np.array([50.0, 50.0]), np.array([45.0, 55.0])), 12)
    0.05
    """
    return float(0.5 * np.abs(reference / reference.sum() - current / current.sum()).sum())


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
    kinds: frozenset[str] = KINDS
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
    kinds: frozenset[str] = KINDS
    kind_of_threshold: ThresholdKind = "distance"
    default_threshold = 0.1

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """JS distance of the aligned frequency tables."""
        ref, cur = frequency_tables(reference, current, self.name)
        value = jensenshannon(ref, cur)
        return StatResult(self.name, value, None, value)


class Hellinger:
    """Hellinger distance between the reference and current frequency tables, in [0, 1].

    Symmetric and finite with empty bins. On a normal column a shift of 0.3
    standard deviations (PSI ≈ 0.1) scores about 0.1, the default threshold.

    Reference: E. Hellinger, "Neue Begründung der Theorie quadratischer
    Formen von unendlichvielen Veränderlichen", J. reine angew. Math. 136 (1909).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"c": list("ab")})]).columns["c"]
    >>> cur = build_profile([pd.DataFrame({"c": list("aaab")})]).columns["c"]
    >>> round(Hellinger().score(ref, cur).statistic, 4)
    0.1846
    """

    name = "hellinger"
    kinds: frozenset[str] = KINDS
    kind_of_threshold: ThresholdKind = "distance"
    default_threshold = 0.1

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Hellinger distance of the aligned frequency tables."""
        value = hellinger(*frequency_tables(reference, current, self.name))
        return StatResult(self.name, value, None, value)


class KullbackLeibler:
    """Kullback–Leibler divergence of the current frequency table from the reference one.

    Not symmetric: it weighs bins by their current share. Half of PSI on
    symmetric shifts, so the default threshold is 0.05 (PSI's 0.1).
    Equal to ``scipy.stats.entropy(current, reference)`` on the shares
    raised to ``PSI_EPSILON``.

    Reference: S. Kullback, R. A. Leibler, "On information and sufficiency",
    Ann. Math. Statist. 22 (1951).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"c": list("ab")})]).columns["c"]
    >>> cur = build_profile([pd.DataFrame({"c": list("aaab")})]).columns["c"]
    >>> round(KullbackLeibler().score(ref, cur).statistic, 4)
    0.1308
    """

    name = "kl"
    kinds: frozenset[str] = KINDS
    kind_of_threshold: ThresholdKind = "distance"
    default_threshold = 0.05

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """KL divergence of the aligned frequency tables."""
        value = kl_divergence(*frequency_tables(reference, current, self.name))
        return StatResult(self.name, value, None, value)


class TotalVariation:
    """Total variation distance: the share of values that changed category (or bin).

    A category share moving by 5 points scores 0.05; the default threshold
    is 0.1.

    Reference: A. B. Tsybakov, "Introduction to Nonparametric Estimation",
    Springer (2009), §2.4.

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"c": list("ab")})]).columns["c"]
    >>> cur = build_profile([pd.DataFrame({"c": list("aaab")})]).columns["c"]
    >>> TotalVariation().score(ref, cur).statistic
    0.25
    """

    name = "tvd"
    kinds: frozenset[str] = KINDS
    kind_of_threshold: ThresholdKind = "distance"
    default_threshold = 0.1

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Total variation distance of the aligned frequency tables."""
        value = total_variation(*frequency_tables(reference, current, self.name))
        return StatResult(self.name, value, None, value)
