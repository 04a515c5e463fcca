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

**Sparse cells.** ``statistic`` is Pearson's χ² (or G) of the whole
table, a cell per category: equal to ``scipy.stats.chi2_contingency``
without Yates' correction, so a category of 47 rows new among 3,256 against
32,561 reference rows adds its 472 to it. Its chi-square law holds when
every expected count is at least 5 (Cochran's rule); a cell whose smaller
expected count falls below 5 is *sparse*. With sparse cells the p-value
comes from two tests, combined by a weighted Bonferroni rule,
``p = min(1, p_pooled / 0.9, p_one_sided / 0.1)``
(``ONE_SIDED_WEIGHT`` = 0.1; the family-wise level stays at most alpha):

- ``p_pooled``: chi-square on the table with the sparse cells pooled into
  one cell (a pooled cell still below 5 joins the smallest other cell;
  ``pool_sparse_cells``). Pooling keeps the law valid but hides a category
  seen on one side only among the rare ones, hence the second test.
- ``p_one_sided``: each sparse cell seen on one side only (a category new in
  the current data, or gone from it) tested exactly: given the cell's total
  ``m``, the chance that all ``m`` values fall on the side they did is
  hypergeometric, ``C(n_side, m) / C(n, m)``; doubled, a two-sided p-value.
  The smallest, times the number of sparse cells, is ``p_one_sided``
  (Bonferroni: which cells are sparse depends on their totals only, which
  of them end up one-sided is chance). A pseudo-count would not do: no
  expected count of a 2 × k table is zero, it is the chi-square law that
  fails for such cells, and a cell of one value on the smaller side would
  weigh ``n_large / n_small`` in χ².

Without sparse cells ``p_value`` equals ``chi2_contingency``'s. Measured on
1,000 pairs drawn from one mix of 200 categories, most of them sparse
(20,000 against 2,000 rows, and the reverse), the share of p-values below
0.05 is 0.040 and 0.049; ten rows of a new category among 2,000 are found
in all of 100 windows, where pooling alone found 5%.
``category_drivers`` names the categories that weigh most in the statistic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from monitor.profiles import CATEGORY_KINDS, KINDS, ColumnProfile
from monitor.stats.base import (
    StatResult,
    ThresholdKind,
    binary_table,
    category_cells,
    frequency_tables,
)
from monitor.stats.distances import total_variation

__all__ = [
    "DRIVERS",
    "MIN_EXPECTED",
    "ONE_SIDED_WEIGHT",
    "ChiSquare",
    "Driver",
    "FisherExact",
    "GTest",
    "ZTest",
    "category_drivers",
    "contingency_test",
    "one_sided_p_value",
    "pool_sparse_cells",
    "sparse_cells",
]

MIN_EXPECTED = 5.0
ONE_SIDED_WEIGHT = 0.1
"""The share of the level given to the test of one-sided sparse cells (weighted Bonferroni)."""
DRIVERS = 5
"""The most categories a column's drift result names as its drivers."""


def pool_sparse_cells(
    reference: np.ndarray, current: np.ndarray, minimum: float = MIN_EXPECTED
) -> tuple[np.ndarray, np.ndarray]:
    """Pool the cells whose expected count under homogeneity is below ``minimum``.

    This is the table the chi-square p-value is read from; cells seen on
    one side only are tested apart as well (``one_sided_p_value``).

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


def sparse_cells(
    reference: np.ndarray, current: np.ndarray, minimum: float = MIN_EXPECTED
) -> np.ndarray:
    """Which non-empty cells have a smaller expected count below ``minimum``.

    It depends on the cells' totals and the two sides' sizes only, not on
    how each cell splits between the sides.
    """
    totals = reference + current
    share = min(reference.sum(), current.sum()) / totals.sum()
    return np.asarray((totals > 0) & (totals * share < minimum))


def one_sided_p_value(
    reference: np.ndarray, current: np.ndarray, minimum: float = MIN_EXPECTED
) -> float:
    """The p-value of the sparse cells seen on one side only being chance (1 when none).

    For each such cell of total ``m``, twice the hypergeometric chance that
    all ``m`` values fall on the side they did; the smallest, times the
    number of sparse cells (see the module docstring).

    >>> round(one_sided_p_value(np.array([7.0, 10.0, 0.0]), np.array([7.0, 7.0, 3.0])), 4)
    0.2273
    """
    sparse = sparse_cells(reference, current, minimum)
    lone = sparse & ((reference == 0) | (current == 0))
    if not lone.any():
        return 1.0
    ref_total, cur_total = float(reference.sum()), float(current.sum())
    total = ref_total + cur_total
    size = (reference + current)[lone]
    side = np.where(current[lone] > 0, cur_total, ref_total)
    log_chance = (special.gammaln(side + 1) - special.gammaln(side - size + 1)
                  - special.gammaln(total + 1) + special.gammaln(total - size + 1))
    return min(1.0, 2.0 * int(np.count_nonzero(sparse)) * float(np.exp(log_chance.min())))


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

    ``statistic`` is Pearson's χ² of the 2 × k table, as
    ``scipy.stats.chi2_contingency`` without Yates' correction gives it, and
    so is ``p_value`` when no cell is sparse; with sparse cells, see the
    module docstring. With a single cell the mixes are equal by
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
        keep = (ref + cur) > 0
        ref, cur = ref[keep], cur[keep]
        if ref.size < 2:
            return StatResult(self.name, 0.0, 1.0, effect)
        statistic, p_value = contingency_test(np.vstack([ref, cur]), self.log_likelihood)
        if sparse_cells(ref, cur).any():
            pooled = np.vstack(pool_sparse_cells(ref, cur))
            p_pooled = 1.0
            if pooled.shape[1] > 1:
                p_pooled = contingency_test(pooled, self.log_likelihood)[1]
            p_value = min(1.0, p_pooled / (1.0 - ONE_SIDED_WEIGHT),
                          one_sided_p_value(ref, cur) / ONE_SIDED_WEIGHT)
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


@dataclass(frozen=True, slots=True)
class Driver:
    """One category's part in a column's drift: its shares and its term of the statistic."""

    category: str
    reference_share: float
    current_share: float
    contribution: float


def category_drivers(
    reference: ColumnProfile, current: ColumnProfile, log_likelihood: bool = False,
    limit: int = DRIVERS,
) -> tuple[Driver, ...]:
    """The ``limit`` categories with the largest terms of χ² (or G), largest first.

    A category's term sums both sides' ``(O − E)² / E`` (or ``2·O·ln(O / E)``)
    in the table ``ChiSquare`` computes its statistic on, so the terms of all
    cells add up to it. The ``other`` cell (categories beyond the kept top-k)
    names no category and is left out; so are columns without categories.

    >>> import pandas as pd
    >>> from monitor.profiles import build_profile
    >>> ref = build_profile([pd.DataFrame({"c": list("aabb") * 5})]).columns["c"]
    >>> cur = build_profile([pd.DataFrame({"c": list("aaab") * 5})]).columns["c"]
    >>> [(d.category, d.current_share, round(d.contribution, 4))
    ...  for d in category_drivers(ref, cur)]
    [('b', 0.25, 1.6667), ('a', 0.75, 1.0)]
    """
    if (reference.categorical is None or current.categorical is None or reference.count == 0
            or current.count == 0):
        return ()
    names, ref_counts, cur_counts = category_cells(reference, current, "drivers")
    table = np.vstack([ref_counts, cur_counts])
    sides = table.sum(axis=1, keepdims=True)
    expected = sides * table.sum(axis=0) / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        if log_likelihood:
            terms = 2.0 * special.xlogy(table, table / expected)
        else:
            terms = (table - expected) ** 2 / expected
    contribution = np.nan_to_num(terms, nan=0.0).sum(axis=0)[:-1]
    weighing = [i for i in range(len(names)) if contribution[i] > 0]
    order = sorted(weighing, key=lambda i: (-contribution[i], names[i]))[:limit]
    shares = table[:, :-1] / sides
    return tuple(Driver(names[i], float(shares[0, i]), float(shares[1, i]),
                        float(contribution[i])) for i in order)
