"""Tests of the numeric methods against scipy on fixed inputs."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from monitor.errors import ProfileError
from monitor.profiles import ColumnProfile, build_profile
from monitor.stats import (
    AndersonDarling,
    CramerVonMises,
    EnergyDistance,
    KolmogorovSmirnov,
    MannWhitney,
    Wasserstein,
    WelchT,
)
from monitor.stats.numeric import anderson_p_value


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


# --- Anderson–Darling, Cramér–von Mises, Mann–Whitney, Welch, energy --------

_CASES = [(40, 30, 0.0), (500, 400, 0.3), (3000, 700, 0.1), (15, 12, 1.0)]


def _pair(n_ref: int, n_cur: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n_ref + n_cur)
    return rng.normal(size=n_ref), rng.normal(shift, 1.3, n_cur)


@pytest.mark.parametrize(("n_ref", "n_cur", "shift"), _CASES)
def test_anderson_darling_equals_scipy(n_ref: int, n_cur: int, shift: float) -> None:
    """The statistic equals scipy's anderson_ksamp; the p-value too inside scipy's table."""
    ref, cur = _pair(n_ref, n_cur, shift)
    result = AndersonDarling().score(_column(ref), _column(cur))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = sps.anderson_ksamp([ref, cur])
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    if 0.001 < expected.pvalue < 0.25:
        assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert result.effect_size == pytest.approx(sps.wasserstein_distance(ref, cur) / np.std(ref))


def test_anderson_p_value_is_not_capped_and_stays_monotone() -> None:
    """Beyond scipy's table the p-value goes on falling (scipy floors it at 0.001)."""
    levels = [anderson_p_value(a) for a in np.linspace(-1.0, 40.0, 400)]
    assert all(b <= a for a, b in itertools.pairwise(levels))
    assert anderson_p_value(-5.0) == 1.0 and anderson_p_value(10.0) < 1e-4 < 0.001
    assert anderson_p_value(6.546) == pytest.approx(0.001, rel=0.05)


def test_anderson_darling_on_one_repeated_value_is_no_drift() -> None:
    """All values equal on both sides: statistic 0, p-value 1 (scipy refuses the input)."""
    result = AndersonDarling().score(_column(np.full(20, 2.0)), _column(np.full(30, 2.0)))
    assert (result.statistic, result.p_value) == (0.0, 1.0)


@pytest.mark.parametrize(("n_ref", "n_cur", "shift"), _CASES)
def test_cramer_von_mises_equals_scipy(n_ref: int, n_cur: int, shift: float) -> None:
    """Statistic and p-value equal scipy's cramervonmises_2samp (exact for small samples)."""
    ref, cur = _pair(n_ref, n_cur, shift)
    result = CramerVonMises().score(_column(ref), _column(cur))
    expected = sps.cramervonmises_2samp(ref, cur)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(min(1.0, expected.pvalue), rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(("n_ref", "n_cur", "shift"), _CASES)
def test_mann_whitney_equals_scipy(n_ref: int, n_cur: int, shift: float) -> None:
    """U and the two-sided p-value equal scipy's mannwhitneyu."""
    ref, cur = _pair(n_ref, n_cur, shift)
    result = MannWhitney().score(_column(ref), _column(cur))
    expected = sps.mannwhitneyu(ref, cur, alternative="two-sided")
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_mann_whitney_misses_a_pure_spread_change() -> None:
    """Mann–Whitney sees location, not spread: a variance × 4 with equal medians passes."""
    rng = np.random.default_rng(3)
    result = MannWhitney().score(_column(rng.normal(size=3000)), _column(rng.normal(0, 2, 3000)))
    assert result.p_value is not None and result.p_value > 0.01


@pytest.mark.parametrize(("n_ref", "n_cur", "shift"), [*_CASES, (50_000, 30_000, 0.02)])
def test_welch_t_equals_scipy_on_all_values(n_ref: int, n_cur: int, shift: float) -> None:
    """t and p equal scipy's ttest_ind(equal_var=False) on every value, beyond the sample too."""
    ref, cur = _pair(n_ref, n_cur, shift)
    result = WelchT().score(_column(ref, sample_size=1000), _column(cur, sample_size=1000))
    expected = sps.ttest_ind(cur, ref, equal_var=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
    assert result.effect_size == pytest.approx(abs(cur.mean() - ref.mean()) / np.std(ref))


def test_welch_t_on_constant_columns() -> None:
    """Constant equal columns do not drift; constant different ones do, at p = 0."""
    same = WelchT().score(_column(np.full(5, 1.0)), _column(np.full(6, 1.0)))
    moved = WelchT().score(_column(np.full(5, 1.0)), _column(np.full(6, 2.0)))
    assert (same.p_value, moved.p_value) == (1.0, 0.0)


def test_energy_equals_scipy_on_standardised_values() -> None:
    """The statistic is scipy's energy_distance of the values over the reference's np.std."""
    ref, cur = _pair(800, 600, 0.4)
    result = EnergyDistance().score(_column(ref), _column(cur))
    spread = np.std(ref)
    assert result.statistic == pytest.approx(
        sps.energy_distance(ref / spread, cur / spread), rel=1e-9)
    assert result.p_value is None and result.effect_size == result.statistic


def test_energy_reads_the_same_in_any_unit() -> None:
    """Scaling both columns by 1000 leaves the normed energy distance unchanged."""
    ref, cur = _pair(500, 500, 0.2)
    small = EnergyDistance().score(_column(ref), _column(cur)).statistic
    large = EnergyDistance().score(_column(ref * 1000), _column(cur * 1000)).statistic
    assert large == pytest.approx(small, rel=1e-9)


def test_sample_based_methods_run_on_the_samples_beyond_their_size() -> None:
    """Beyond sample_size every order-statistic method equals scipy on the two samples."""
    rng = np.random.default_rng(12)
    reference = _column(rng.normal(size=30_000), sample_size=2000)
    current = _column(rng.normal(0.1, 1.0, 25_000), sample_size=1500, seed=1)
    assert reference.numeric is not None and current.numeric is not None
    a, b = reference.numeric.sample, current.numeric.sample
    assert MannWhitney().score(reference, current).p_value == pytest.approx(
        sps.mannwhitneyu(a, b).pvalue, rel=1e-9)
    assert CramerVonMises().score(reference, current).statistic == pytest.approx(
        sps.cramervonmises_2samp(a, b).statistic, rel=1e-9)


def test_sample_approximation_stays_within_the_documented_bound() -> None:
    """Beyond 20 000 values, KS D and the normed Wasserstein distance on the samples stay
    within the DKW bound (0.0115 per side at 99 %) of their values on all 200 000 rows."""
    rng = np.random.default_rng(13)
    ref, cur = rng.normal(size=200_000), rng.normal(0.05, 1.1, 200_000)
    reference, current = _column(ref), _column(cur, seed=1)
    result = KolmogorovSmirnov().score(reference, current)
    assert abs(result.statistic - sps.ks_2samp(ref, cur).statistic) <= 2 * 0.0115
    full_w = sps.wasserstein_distance(ref, cur) / np.std(ref)
    assert result.effect_size == pytest.approx(full_w, abs=0.02)


@pytest.mark.parametrize(("n1", "n2", "shift", "scale"), [
    (20_000, 20_000, 0.0, 1.0), (20_000, 20_000, 0.01, 1.0), (20_000, 20_000, 0.03, 1.0),
    (20_000, 15_000, 0.1, 1.0), (12_000, 400, 0.05, 1.2), (20_000, 150, 0.3, 1.0),
    (20_000, 20_000, 1.0, 1.0), (11_000, 30, 0.0, 1.0), (20_000, 20_000, 0.0, 1.001),
])
def test_ks_without_scipy_stats_equals_scipy(n1: int, n2: int, shift: float, scale: float) -> None:
    """The large-sample KS p-value (Miller and Pelz–Good branches) equals scipy's to 1e-9."""
    from monitor.stats.kolmogorov import ks_2samp

    rng = np.random.default_rng(n1 + n2)
    a, b = np.sort(rng.normal(size=n1)), np.sort(rng.normal(shift, scale, n2))
    statistic, p_value = ks_2samp(a, b)
    expected = sps.ks_2samp(a, b)
    assert statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_kolmogorov_branches_cover_the_distribution() -> None:
    """kolmogorov_sf equals scipy's kstwo.sf wherever it answers, over a grid of n and x."""
    from monitor.stats.kolmogorov import kolmogorov_sf

    answered = 0
    for n in (141, 500, 5_000, 10_000, 150_000):
        for x in np.geomspace(1e-4, 0.99, 60):
            p = kolmogorov_sf(n, float(x))
            if p is not None:
                answered += 1
                assert p == pytest.approx(sps.kstwo.sf(x, n), rel=1e-9, abs=1e-300)
    assert answered > 150
