"""Tests of the categorical methods against scipy and the textbook formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from monitor.profiles import ColumnProfile, build_profile
from monitor.stats import ChiSquare, FisherExact, GTest, ZTest, pool_sparse_cells, total_variation


def _column(counts: dict[str, int], top_k: int = 1000) -> ColumnProfile:
    values = [k for k, n in counts.items() for _ in range(n)]
    return build_profile([pd.DataFrame({"c": values})], top_k=top_k).columns["c"]


def test_chisquare_equals_scipy_contingency() -> None:
    """Statistic and p-value equal chi2_contingency on the 2 × k table without Yates."""
    ref = {"a": 120, "b": 80, "c": 50, "d": 10}
    cur = {"a": 90, "b": 95, "c": 40, "d": 25}
    result = ChiSquare().score(_column(ref), _column(cur))
    table = np.array([[ref[k] for k in "abcd"], [cur[k] for k in "abcd"]])
    expected = sps.chi2_contingency(table, correction=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)


def test_chisquare_equals_textbook_formula() -> None:
    """The statistic is Σ (O − E)² / E with E from the row and column totals."""
    ref, cur = {"x": 30, "y": 70}, {"x": 45, "y": 55}
    observed = np.array([[30.0, 70.0], [45.0, 55.0]])
    expected = observed.sum(1, keepdims=True) * observed.sum(0) / observed.sum()
    statistic = float(((observed - expected) ** 2 / expected).sum())
    result = ChiSquare().score(_column(ref), _column(cur))
    assert result.statistic == pytest.approx(statistic, rel=1e-12)
    assert result.p_value == pytest.approx(sps.chi2.sf(statistic, 1), rel=1e-12)


def test_chisquare_counts_new_categories() -> None:
    """A category only the current data has is a cell with reference count 0."""
    ref, cur = {"a": 50, "b": 50}, {"a": 40, "b": 40, "new": 20}
    result = ChiSquare().score(_column(ref), _column(cur))
    expected = sps.chi2_contingency(np.array([[50, 50, 0], [40, 40, 20]]), correction=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.effect_size == pytest.approx(0.2)


def test_chisquare_with_one_category_is_no_drift() -> None:
    """One category on both sides: statistic 0 and p-value 1."""
    result = ChiSquare().score(_column({"a": 5}), _column({"a": 9}))
    assert (result.statistic, result.p_value, result.effect_size) == (0.0, 1.0, 0.0)


def test_chisquare_other_bucket_is_one_cell() -> None:
    """Categories beyond top_k are compared through one `other` cell on each side; a current
    category the reference does not name, when the reference dropped some, may be one of those
    and joins the current `other`."""
    ref = _column({"a": 50, "b": 30, "c": 20}, top_k=1)
    cur = _column({"a": 40, "b": 10, "d": 50}, top_k=2)  # keeps d and a; b goes to other
    result = ChiSquare().score(ref, cur)
    expected = sps.chi2_contingency(np.array([[50, 50], [40, 60]]), correction=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)


def test_a_column_of_ids_does_not_differ_from_itself() -> None:
    """Unique values beyond top_k on both sides: the same data gives no difference at all."""
    values = {f"id{i:05d}": 1 for i in range(5_000)}
    ref = _column(values, top_k=100)
    cur = _column(values, top_k=100)
    result = ChiSquare().score(ref, cur)
    assert result.statistic == pytest.approx(0.0, abs=1e-12) and result.p_value == 1.0


def test_total_variation_distance() -> None:
    """TV is half the L1 distance between the shares."""
    assert total_variation(np.array([25.0, 25.0, 50.0]), np.array([30.0, 20.0, 50.0])) == (
        pytest.approx(0.05)
    )


def test_chisquare_on_numeric_histogram_bins_equals_scipy() -> None:
    """On a numeric column chi-square reads the histogram bins on the reference's edges."""
    rng = np.random.default_rng(3)
    reference = build_profile([pd.DataFrame({"x": rng.normal(size=2000)})], bins=5)
    current = build_profile([pd.DataFrame({"x": rng.normal(0.3, 1.0, 1000)})],
                            reference=reference)
    ref, cur = reference.columns["x"], current.columns["x"]
    assert ref.numeric is not None and cur.numeric is not None
    table = np.vstack([ref.numeric.counts, cur.numeric.counts])
    table = table[:, table.sum(axis=0) > 0]
    expected = sps.chi2_contingency(table, correction=False)
    result = ChiSquare().score(ref, cur)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)


# --- G-test, z-test, Fisher, sparse cells -----------------------------------


def test_gtest_equals_scipy_log_likelihood() -> None:
    """G equals chi2_contingency(lambda_='log-likelihood') and 2 Σ O ln(O / E)."""
    ref = {"a": 120, "b": 80, "c": 50, "d": 10}
    cur = {"a": 90, "b": 95, "c": 40, "d": 25}
    result = GTest().score(_column(ref), _column(cur))
    observed = np.array([[ref[k] for k in "abcd"], [cur[k] for k in "abcd"]], dtype=float)
    expected = sps.chi2_contingency(observed, correction=False, lambda_="log-likelihood")
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    e = observed.sum(1, keepdims=True) * observed.sum(0) / observed.sum()
    assert result.statistic == pytest.approx(2 * float((observed * np.log(observed / e)).sum()))


def test_ztest_matches_textbook_and_chisquare() -> None:
    """z follows the pooled two-proportion formula; z² equals chi-square on two categories."""
    ref, cur = {"yes": 300, "no": 700}, {"yes": 350, "no": 650}
    result = ZTest().score(_column(ref), _column(cur))
    p1, p2, pooled = 0.7, 0.65, 1350 / 2000  # leading reference category: "no"
    z = (p2 - p1) / np.sqrt(pooled * (1 - pooled) * (1 / 1000 + 1 / 1000))
    assert result.statistic == pytest.approx(z, rel=1e-12)
    assert result.p_value == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-12)
    assert result.effect_size == pytest.approx(0.05)
    chi = ChiSquare().score(_column(ref), _column(cur))
    assert result.statistic**2 == pytest.approx(chi.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(chi.p_value, rel=1e-9)


def test_ztest_and_fisher_read_the_leading_category_of_many() -> None:
    """With more than two categories, the leading reference category is tested against the rest."""
    ref, cur = {"a": 50, "b": 30, "c": 20}, {"a": 30, "b": 50, "c": 20}
    result = FisherExact().score(_column(ref), _column(cur))
    expected = sps.fisher_exact([[30, 70], [50, 50]])
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.effect_size == pytest.approx(0.2)


@pytest.mark.parametrize(("ref", "cur"), [((9, 3), (2, 8)), ((1, 0), (0, 1)), ((60, 40), (59, 41))])
def test_fisher_equals_scipy(ref: tuple[int, int], cur: tuple[int, int]) -> None:
    """p-value and odds ratio equal scipy.stats.fisher_exact on the 2 × 2 table (x leads)."""
    reference = _column({"x": ref[0], "y": ref[1]}) if ref[1] else _column({"x": ref[0]})
    current = _column({"x": cur[0], "y": cur[1]}) if cur[0] else _column({"y": cur[1]})
    result = FisherExact().score(reference, current)
    expected = sps.fisher_exact([[cur[0], cur[1]], [ref[0], ref[1]]])
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    if np.isfinite(expected.statistic):
        assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)


def test_sparse_cells_are_pooled_for_the_p_value_and_one_sided_ones_tested_apart() -> None:
    """The statistic is scipy's on the whole table; the p-value combines the pooled table's
    chi-square and the exact test of the one-sided sparse cells (weighted Bonferroni)."""
    ref = {"a": 500, "b": 400, "r1": 2, "r2": 1, "r3": 3}
    cur = {"a": 480, "b": 410, "r1": 0, "r2": 3, "r4": 2}
    result = ChiSquare().score(_column(ref), _column(cur))
    whole = np.array([[500, 400, 2, 1, 3, 0], [480, 410, 0, 3, 0, 2]])
    assert result.statistic == pytest.approx(
        sps.chi2_contingency(whole, correction=False).statistic, rel=1e-12)
    pooled = sps.chi2_contingency(np.array([[500, 400, 6], [480, 410, 5]]), correction=False)
    n_ref, n_cur = 906, 895
    alone = [sps.hypergeom.pmf(2, n_ref + n_cur, n_ref, 2),  # r1: both values in the reference
             sps.hypergeom.pmf(3, n_ref + n_cur, n_ref, 3),  # r3
             sps.hypergeom.pmf(2, n_ref + n_cur, n_cur, 2)]  # r4: both in the current data
    one_sided = min(1.0, 2 * 4 * min(alone))  # four sparse cells: r1 to r4
    assert result.p_value == pytest.approx(min(1.0, pooled.pvalue / 0.9, one_sided / 0.1),
                                           rel=1e-9)


def test_a_pooled_cell_still_sparse_joins_the_smallest_cell() -> None:
    """When the pooled cell is itself below 5 expected, it joins the smallest other cell."""
    ref, cur = pool_sparse_cells(np.array([500.0, 400.0, 2.0, 1.0]),
                                 np.array([480.0, 410.0, 1.0, 0.0]))
    assert (ref.tolist(), cur.tolist()) == ([500.0, 403.0], [480.0, 411.0])


def test_pool_sparse_cells_leaves_dense_tables_alone() -> None:
    """A table with every expected count ≥ 5 is returned unchanged."""
    ref, cur = np.array([10.0, 20.0]), np.array([12.0, 18.0])
    assert pool_sparse_cells(ref, cur) == (ref, cur)
