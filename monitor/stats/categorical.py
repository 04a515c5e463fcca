"""Tests on frequency tables: chi-square, G-test, two-proportion z-test, Fisher's exact test.

Chi-square and the G-test read the 2 × k table of reference and current
counts over the union of both columns' categories (plus one ``other`` cell
for categories beyond the kept top-k), or over the histogram bins of a
numeric column, so uncertainty on both sides is accounted for and a
category that appears only in the current data counts against it. The
z-test and Fisher's test read the 2 × 2 table of the reference's leading
category against all others (for a two-category column: the column).

``effect_size`` is the total variation distance: the share of values that
changed category.

**Sparse cells.** The chi-square law of both statistics holds when every
expected count is at least 5 (Cochran's rule). Cells whose smaller expected
count falls below 5 are pooled into one cell, and a pooled cell still below
5 joins the smallest other cell. Without such cells the results equal
``scipy.stats.chi2_contingency`` on the table.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from monitor.profiles import CATEGORY_KINDS, KINDS, ColumnProfile
from monitor.stats.base import StatResult, ThresholdKind, binary_table, frequency_tables
from monitor.stats.distances import total_variation

__all__ = [
    "MIN_EXPECTED",
    "ChiSquare",
    "FisherExact",
    "GTest",
    "ZTest",
    "contingency_test",
    "pool_sparse_cells",
]

MIN_EXPECTED = 5.0


def pool_sparse_cells(
    reference: np.ndarray, current: np.ndarray, minimum: float = MIN_EXPECTED
) -> tuple[np.ndarray, np.ndarray]:
    """Pool the cells whose expected count under homogeneity is below ``minimum``.

    >>> ref, cur = pool_sparse_cells(np.array([100.0, 100.0, 1.0, 2.0]),
    ...                              np.array([100.0, 90.0, 3.0, 0.0]))
    >>> ref.tolist(), cur.tolist()
    ([100.0, 103.0], [100.0, 93.0])
    """
    total = reference.sum() + current.sum()
    smaller_side = min(reference.sum(), current.sum())
    expected = (reference + current) * smaller_side / total
    sparse = expected < minimum
    if not sparse.any():
        return reference, current
    ref = np.append(reference[~sparse], reference[sparse].sum())
    cur = np.append(current[~sparse], current[sparse].sum())
    if len(ref) > 1 and (ref[-1] + cur[-1]) * smaller_side / total < minimum:
        smallest = int(np.argmin((ref + cur)[:-1]))
        ref[smallest] += ref[-1]
        cur[smallest] += cur[-1]
        ref, cur = ref[:-1], cur[:-1]
    return ref, cur


def contingency_test(table: np.ndarray, log_likelihood: bool = False) -> tuple[float, float]:
    """Pearson's χ² (or G) of a contingency table and its p-value, as ``chi2_contingency``.

    Computed from ``scipy.special`` (``chdtrc`` is what ``scipy.stats.chi2.sf``
    calls), so the default path needs no ``scipy.stats``; every cell's
    expected count must be positive.

    >>> statistic, p = contingency_test(np.array([[30.0, 70.0], [45.0, 55.0]]))
    >>> round(statistic, 4), round(p, 4)
    (4.8, 0.0285)
    """
    expected = np.multiply.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    if dof == 0:
        return 0.0, 1.0
    if log_likelihood:
        terms = 2.0 * special.xlogy(table, table / expected)
    else:
        terms = (table - expected) ** 2 / expected
    statistic = float(np.sum(terms, axis=None))
    return statistic, float(special.chdtrc(dof, statistic))


class ChiSquare:
    """Pearson's chi-square test that both columns draw from the same mix.

    ``statistic`` and ``p_value`` equal ``scipy.stats.chi2_contingency`` on
    the 2 × k table (sparse cells pooled, see the module docstring) without
    Yates' correction. With a single cell left the mixes are equal by
    construction: statistic 0, p-value 1.

    Reference: K. Pearson, "On the criterion that a given system of
    deviations...", Philosophical Magazine 50 (1900).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"c": list("aabb") * 5})]).columns["c"]
    >>> cur = build_profile([pd.DataFrame({"c": list("aaab") * 5})]).columns["c"]
    >>> round(ChiSquare().score(ref, cur).statistic, 4)
    2.6667
    """

    name = "chisquare"
    kinds: frozenset[str] = KINDS
    kind_of_threshold: ThresholdKind = "p_value"
    default_threshold = 0.05
    log_likelihood = False

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Run the test on the aligned counts."""
        ref, cur = frequency_tables(reference, current, self.name)
        effect = total_variation(ref, cur)
        ref, cur = pool_sparse_cells(ref, cur)
        keep = (ref + cur) > 0
        ref, cur = ref[keep], cur[keep]
        if ref.size < 2:
            return StatResult(self.name, 0.0, 1.0, effect)
        statistic, p_value = contingency_test(np.vstack([ref, cur]), self.log_likelihood)
        return StatResult(self.name, statistic, p_value, effect)


class GTest(ChiSquare):
    """G-test (log-likelihood ratio) that both columns draw from the same mix.

    ``G = 2 Σ O·ln(O / E)``; equal to ``scipy.stats.chi2_contingency(...,
    lambda_="log-likelihood")``. It agrees with chi-square on large counts and
    behaves better when the mix is lopsided.

    Reference: J. H. McDonald, "Handbook of Biological Statistics", 3rd ed.
    (2014), "G–test of independence".

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"c": list("aabb") * 5})]).columns["c"]
    >>> cur = build_profile([pd.DataFrame({"c": list("aaab") * 5})]).columns["c"]
    >>> round(GTest().score(ref, cur).statistic, 4)
    2.7058
    """

    name = "gtest"
    log_likelihood = True


class ZTest:
    """Two-proportion z-test of the share of the reference's leading category.

    ``z = (p_cur − p_ref) / sqrt(p̂(1 − p̂)(1/n_ref + 1/n_cur))`` with the
    pooled share ``p̂``; two-sided p-value ``2·Φ(−|z|)``. On a two-category
    column ``z²`` equals the chi-square statistic. ``effect_size`` is the
    absolute change of that share.

    Reference: J. L. Fleiss, B. Levin, M. C. Paik, "Statistical Methods for
    Rates and Proportions", 3rd ed., Wiley (2003), §2.2.

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"c": list("aabb") * 5})]).columns["c"]
    >>> cur = build_profile([pd.DataFrame({"c": list("aaab") * 5})]).columns["c"]
    >>> round(ZTest().score(ref, cur).statistic, 4)
    1.633
    """

    name = "ztest"
    kinds: frozenset[str] = CATEGORY_KINDS
    kind_of_threshold: ThresholdKind = "p_value"
    default_threshold = 0.05

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Run the test on the leading category's counts."""
        ref, cur = binary_table(reference, current, self.name)
        n1, n2 = ref.sum(), cur.sum()
        p1, p2 = ref[0] / n1, cur[0] / n2
        pooled = (ref[0] + cur[0]) / (n1 + n2)
        spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        if spread == 0:
            return StatResult(self.name, 0.0, 1.0, abs(p2 - p1))
        z = (p2 - p1) / spread
        return StatResult(self.name, float(z), float(2 * special.ndtr(-abs(z))), abs(p2 - p1))


class FisherExact:
    """Fisher's exact test on the 2 × 2 table of the leading category against the others.

    Exact whatever the counts, so it is the test for small windows of a
    two-category column. Equal to ``scipy.stats.fisher_exact``; ``statistic``
    is its odds ratio (current odds over reference odds of the leading
    category) and ``effect_size`` the absolute change of its share.

    Reference: R. A. Fisher, "On the interpretation of χ² from contingency
    tables, and the calculation of P", J. R. Statist. Soc. 85 (1922).

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"c": list("aabb")})]).columns["c"]
    >>> cur = build_profile([pd.DataFrame({"c": list("aaab")})]).columns["c"]
    >>> round(FisherExact().score(ref, cur).p_value, 4)
    1.0
    """

    name = "fisher"
    kinds: frozenset[str] = CATEGORY_KINDS
    kind_of_threshold: ThresholdKind = "p_value"
    default_threshold = 0.05

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Run the test on the leading category's counts."""
        ref, cur = binary_table(reference, current, self.name)
        effect = abs(cur[0] / cur.sum() - ref[0] / ref.sum())
        table = np.vstack([cur, ref]).astype(np.int64)
        from scipy import stats as sps  # imported on use: see monitor.stats.kolmogorov

        result = sps.fisher_exact(table)
        statistic = float(result.statistic)
        return StatResult(self.name, statistic if math.isfinite(statistic) else math.inf,
                          float(result.pvalue), effect)
