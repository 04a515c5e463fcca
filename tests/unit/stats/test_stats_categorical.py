"""Tests of the categorical methods against scipy and the textbook formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from monitor.errors import ProfileError
from monitor.profiles import ColumnProfile, build_profile
from monitor.stats import ChiSquare, total_variation


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
    """Categories beyond top_k are compared through one `other` cell on each side."""
    ref = _column({"a": 50, "b": 30, "c": 20}, top_k=1)
    cur = _column({"a": 40, "b": 10, "d": 50}, top_k=2)  # keeps d and a; b goes to other
    result = ChiSquare().score(ref, cur)
    expected = sps.chi2_contingency(np.array([[50, 0, 50], [40, 50, 10]]), correction=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)


def test_total_variation_distance() -> None:
    """TV is half the L1 distance between the shares."""
    assert total_variation(np.array([25.0, 25.0, 50.0]), np.array([30.0, 20.0, 50.0])) == (
        pytest.approx(0.05)
    )


def test_chisquare_refuses_numeric_columns() -> None:
    """Chi-square on numeric columns is a ProfileError naming the method."""
    numeric = build_profile([pd.DataFrame({"x": [1.0, 2.0]})]).columns["x"]
    with pytest.raises(ProfileError, match="method 'chisquare' needs categorical columns"):
        ChiSquare().score(numeric, numeric)
