"""Tests of the numeric methods against scipy on fixed inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from monitor.errors import ProfileError
from monitor.profiles import ColumnProfile, build_profile
from monitor.stats import KolmogorovSmirnov, Wasserstein


def _column(values: np.ndarray, sample_size: int = 20_000, seed: int = 0) -> ColumnProfile:
    frame = pd.DataFrame({"x": values})
    chunks = [frame.iloc[i : i + 997] for i in range(0, len(frame), 997)]
    return build_profile(chunks, sample_size=sample_size, seed=seed).columns["x"]


@pytest.mark.parametrize(
    ("n_ref", "n_cur", "shift"),
    [(40, 30, 0.0), (500, 500, 0.3), (3000, 700, 0.1), (9000, 12000, 0.05), (100, 5, 2.0)],
)
def test_ks_equals_scipy_when_sample_holds_all_values(n_ref: int, n_cur: int, shift: float) -> None:
    """With every value in the sample, D and p equal scipy.stats.ks_2samp to 1e-12."""
    rng = np.random.default_rng(n_ref)
    ref, cur = rng.normal(size=n_ref), rng.normal(shift, 1.0, n_cur)
    result = KolmogorovSmirnov().score(_column(ref), _column(cur))
    expected = sps.ks_2samp(ref, cur)
    assert result.method == "ks"
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12, abs=1e-300)


def test_ks_with_ties_equals_scipy() -> None:
    """Discrete values with many ties give scipy's result too."""
    rng = np.random.default_rng(7)
    ref, cur = rng.integers(0, 6, 800).astype(float), rng.integers(1, 7, 600).astype(float)
    result = KolmogorovSmirnov().score(_column(ref), _column(cur))
    expected = sps.ks_2samp(ref, cur)
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12, abs=1e-300)


def test_ks_on_samples_uses_their_sizes() -> None:
    """Beyond the sample size, the test runs on the two samples with their own n."""
    rng = np.random.default_rng(8)
    reference = _column(rng.normal(size=30_000), sample_size=2000)
    current = _column(rng.normal(0.2, 1.0, 25_000), sample_size=1500, seed=1)
    assert reference.numeric is not None and current.numeric is not None
    result = KolmogorovSmirnov().score(reference, current)
    expected = sps.ks_2samp(reference.numeric.sample, current.numeric.sample)
    assert current.numeric.sample.size == 1500
    assert result.statistic == expected.statistic and result.p_value == expected.pvalue
    assert 0.04 < result.statistic < 0.13  # true D of a 0.2 σ shift is 0.080


def test_ks_effect_size_is_the_normed_wasserstein_distance() -> None:
    """The KS effect size is the shift in reference standard deviations."""
    rng = np.random.default_rng(9)
    ref, cur = rng.normal(size=2000), rng.normal(size=2000) + 0.5
    result = KolmogorovSmirnov().score(_column(ref), _column(cur))
    assert result.effect_size == pytest.approx(
        sps.wasserstein_distance(ref, cur) / np.std(ref), rel=1e-12
    )


def test_wasserstein_equals_scipy_over_reference_std() -> None:
    """The statistic is scipy's Wasserstein distance divided by the reference's np.std."""
    rng = np.random.default_rng(10)
    ref, cur = rng.exponential(2.0, 1500), rng.exponential(2.5, 900)
    result = Wasserstein().score(_column(ref), _column(cur))
    expected = sps.wasserstein_distance(ref, cur) / np.std(ref)
    assert result.statistic == pytest.approx(expected, rel=1e-12)
    assert result.p_value is None and result.effect_size == result.statistic


def test_wasserstein_of_a_shift_counts_standard_deviations() -> None:
    """Shifting every value by 0.3 σ scores 0.3."""
    ref = np.random.default_rng(11).normal(5.0, 4.0, 1000)
    result = Wasserstein().score(_column(ref), _column(ref + 0.3 * np.std(ref)))
    assert result.statistic == pytest.approx(0.3, rel=1e-9)


def test_wasserstein_with_constant_reference_stays_in_units() -> None:
    """A constant reference has no spread: the distance is left in the column's units."""
    result = Wasserstein().score(_column(np.full(10, 3.0)), _column(np.full(10, 3.5)))
    assert result.statistic == pytest.approx(0.5)


def test_numeric_methods_refuse_categorical_and_empty_columns() -> None:
    """Scoring a categorical or value-less column is a ProfileError saying so."""
    categorical = build_profile([pd.DataFrame({"c": ["a", "b"]})]).columns["c"]
    with pytest.raises(ProfileError, match="method 'ks' needs numeric columns"):
        KolmogorovSmirnov().score(categorical, categorical)
    empty = _column(np.array([np.nan, np.nan]))
    with pytest.raises(ProfileError, match="needs values on both sides"):
        Wasserstein().score(_column(np.arange(5.0)), empty)
