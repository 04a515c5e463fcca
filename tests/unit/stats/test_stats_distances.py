"""Tests of PSI, Jensen–Shannon, Hellinger, KL and total variation on frequency tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from scipy.spatial import distance as spd

from monitor.errors import ProfileError
from monitor.profiles import build_profile
from monitor.stats import (
    Hellinger,
    JensenShannon,
    KullbackLeibler,
    PopulationStabilityIndex,
    TotalVariation,
    kl_divergence,
    psi,
)
from monitor.stats.distances import PSI_EPSILON


def _textbook_psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e, a = expected / expected.sum(), actual / actual.sum()
    total = 0.0
    for ei, ai in zip(e, a, strict=True):
        ei, ai = max(ei, PSI_EPSILON), max(ai, PSI_EPSILON)
        total += (ai - ei) * np.log(ai / ei)
    return total


def _numeric_pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(21)
    return (pd.DataFrame({"x": rng.normal(size=4000)}),
            pd.DataFrame({"x": rng.normal(0.4, 1.3, 3000)}))


def test_psi_matches_textbook_formula_on_fixed_counts() -> None:
    """psi() is Σ (a − e)·ln(a / e) on the shares."""
    ref, cur = np.array([10.0, 20.0, 30.0, 40.0]), np.array([15.0, 25.0, 25.0, 35.0])
    assert psi(ref, cur) == pytest.approx(_textbook_psi(ref, cur), rel=1e-12)
    assert psi(ref, cur) == pytest.approx(0.0472231, rel=1e-5)


def test_psi_floors_empty_bins_with_epsilon() -> None:
    """An empty bin's share is raised to PSI_EPSILON, so PSI stays finite."""
    ref, cur = np.array([50.0, 50.0, 0.0]), np.array([45.0, 45.0, 10.0])
    value = psi(ref, cur)
    assert np.isfinite(value)
    assert value == pytest.approx(_textbook_psi(ref, cur), rel=1e-12)


def test_psi_on_numeric_histograms() -> None:
    """On numeric columns PSI reads the bins on the reference's edges, open ends included."""
    ref_frame, cur_frame = _numeric_pair()
    reference = build_profile([ref_frame])
    current = build_profile([cur_frame], reference=reference)
    ref_counts = reference.columns["x"].numeric.counts  # type: ignore[union-attr]
    cur_counts = current.columns["x"].numeric.counts  # type: ignore[union-attr]
    assert cur_counts[0] + cur_counts[-1] > 0  # some current values outside the reference range
    result = PopulationStabilityIndex().score(reference.columns["x"], current.columns["x"])
    assert result.statistic == pytest.approx(
        _textbook_psi(ref_counts.astype(float), cur_counts.astype(float)), rel=1e-12
    )
    assert result.p_value is None


def test_psi_and_js_on_categories() -> None:
    """On categorical columns both read the union of categories."""
    reference = build_profile([pd.DataFrame({"c": list("aaabbc")})])
    current = build_profile([pd.DataFrame({"c": list("abbccd")})], reference=reference)
    ref, cur = np.array([3.0, 2.0, 1.0, 0.0]), np.array([1.0, 2.0, 2.0, 1.0])
    args = (reference.columns["c"], current.columns["c"])
    assert PopulationStabilityIndex().score(*args).statistic == pytest.approx(
        _textbook_psi(ref, cur), rel=1e-12
    )
    assert JensenShannon().score(*args).statistic == pytest.approx(
        spd.jensenshannon(ref, cur), rel=1e-12
    )


def test_js_on_numeric_histograms_equals_scipy() -> None:
    """JS distance equals scipy's jensenshannon on the two histograms."""
    ref_frame, cur_frame = _numeric_pair()
    reference = build_profile([ref_frame])
    current = build_profile([cur_frame], reference=reference)
    result = JensenShannon().score(reference.columns["x"], current.columns["x"])
    expected = spd.jensenshannon(
        reference.columns["x"].numeric.counts,  # type: ignore[union-attr]
        current.columns["x"].numeric.counts,  # type: ignore[union-attr]
    )
    assert result.statistic == pytest.approx(expected, rel=1e-12)
    assert 0 < result.statistic < np.sqrt(np.log(2))


def test_distances_of_identical_data_are_zero() -> None:
    """The same data scores 0 on both distances."""
    frame, _ = _numeric_pair()
    reference = build_profile([frame])
    current = build_profile([frame], reference=reference)
    args = (reference.columns["x"], current.columns["x"])
    assert PopulationStabilityIndex().score(*args).statistic == pytest.approx(0.0, abs=1e-12)
    assert JensenShannon().score(*args).statistic == pytest.approx(0.0, abs=1e-7)


def test_histograms_on_other_edges_are_refused() -> None:
    """A current column binned on its own edges cannot be compared bin by bin."""
    ref_frame, cur_frame = _numeric_pair()
    reference, current = build_profile([ref_frame]), build_profile([cur_frame])
    with pytest.raises(ProfileError, match=r"ProfileBuilder\(reference=\.\.\.\)"):
        PopulationStabilityIndex().score(reference.columns["x"], current.columns["x"])


def _tables() -> tuple[np.ndarray, np.ndarray, object, object]:
    reference, current = _numeric_pair()
    ref = build_profile([reference], bins=10)
    cur = build_profile([current], reference=ref)
    ref_column, cur_column = ref.columns["x"], cur.columns["x"]
    assert ref_column.numeric is not None and cur_column.numeric is not None
    return (ref_column.numeric.counts.astype(float), cur_column.numeric.counts.astype(float),
            ref_column, cur_column)


def test_hellinger_equals_textbook_formula() -> None:
    """H = ||√p − √q||₂ / √2 on the histogram shares (scipy's euclidean on square roots)."""
    ref, cur, ref_column, cur_column = _tables()
    p, q = ref / ref.sum(), cur / cur.sum()
    expected = spd.euclidean(np.sqrt(p), np.sqrt(q)) / np.sqrt(2)
    assert Hellinger().score(ref_column, cur_column).statistic == pytest.approx(expected,
                                                                                 rel=1e-9)


def test_kl_equals_scipy_entropy_with_the_epsilon_floor() -> None:
    """KL(a‖e) equals scipy.stats.entropy on the shares raised to PSI_EPSILON; PSI = KL + KL."""
    ref, cur, ref_column, cur_column = _tables()
    e = np.maximum(ref / ref.sum(), PSI_EPSILON)
    a = np.maximum(cur / cur.sum(), PSI_EPSILON)
    expected = float(np.sum(a * np.log(a / e)))
    result = KullbackLeibler().score(ref_column, cur_column).statistic
    assert result == pytest.approx(expected, rel=1e-12)
    assert result == pytest.approx(sps.entropy(a, e) if np.isclose(a.sum(), 1) else expected,
                                   rel=1e-6)
    assert psi(ref, cur) == pytest.approx(kl_divergence(ref, cur) + kl_divergence(cur, ref),
                                          rel=1e-12)


def test_total_variation_on_categories() -> None:
    """TVD is half the L1 distance of the shares: a 5-point move scores 0.05."""
    ref = build_profile([pd.DataFrame({"c": ["a"] * 50 + ["b"] * 50})])
    cur = build_profile([pd.DataFrame({"c": ["a"] * 45 + ["b"] * 55})], reference=ref)
    result = TotalVariation().score(ref.columns["c"], cur.columns["c"])
    assert result.statistic == pytest.approx(0.05) and result.p_value is None


def test_new_distances_are_zero_on_identical_data_and_bounded() -> None:
    """Identical data scores 0; disjoint categories score Hellinger 1 and TVD 1."""
    same = build_profile([pd.DataFrame({"c": list("abcab")})])
    other = build_profile([pd.DataFrame({"c": list("xyz")})])
    for method in (Hellinger(), KullbackLeibler(), TotalVariation()):
        assert method.score(same.columns["c"], same.columns["c"]).statistic == pytest.approx(0.0)
    assert Hellinger().score(same.columns["c"], other.columns["c"]).statistic == pytest.approx(1)
    tvd = TotalVariation().score(same.columns["c"], other.columns["c"]).statistic
    assert tvd == pytest.approx(1)
