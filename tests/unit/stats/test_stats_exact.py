"""Order-statistic tests on every row: the fine histograms against scipy on the raw values.

At 1,000,000 rows a side the KS distance read from the fine histograms must
be within 1e-4 of scipy's on all rows, and each test's verdict at 0.05 the
same; on a column with fewer distinct values than fine edges, whose windows hold
no value the reference never saw, every statistic is scipy's exactly.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitor.analysis.comparison import compare
from monitor.profiles import Profile, build_profile
from monitor.profiles import fine as fine_module
from monitor.profiles.fine import FINE_EDGES, ValueSpill, choose_fine_edges, fine_histogram
from monitor.stats.numeric import AndersonDarling, CramerVonMises, KolmogorovSmirnov, MannWhitney

N = 1_000_000


def profiles(a: np.ndarray, b: np.ndarray, chunk: int = 250_000) -> tuple[Profile, Profile]:
    def chunks(values: np.ndarray) -> list[pd.DataFrame]:
        return [pd.DataFrame({"x": values[i:i + chunk]}) for i in range(0, values.size, chunk)]

    reference = build_profile(chunks(a))
    return reference, build_profile(chunks(b), reference=reference)


SCENARIOS = {
    "normal, 0.006 sd apart": lambda rng: (rng.normal(size=N), rng.normal(0.006, size=N)),
    "normal, 0.01 sd apart": lambda rng: (rng.normal(size=N), rng.normal(0.01, size=N)),
    "no drift": lambda rng: (rng.normal(size=N), rng.normal(size=N)),
    "lognormal, scale 1.02": lambda rng: (rng.lognormal(size=N), rng.lognormal(size=N) * 1.02),
    "rounded with atoms": lambda rng: (np.round(rng.gamma(2, size=N), 1),
                                       np.round(rng.gamma(2.02, size=N), 1)),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_ks_and_mann_whitney_on_a_million_rows_agree_with_scipy(scenario: str) -> None:
    """KS within 1e-4 of scipy on all rows; KS and Mann–Whitney verdicts the same as scipy's."""
    a, b = SCENARIOS[scenario](np.random.default_rng(sorted(SCENARIOS).index(scenario)))
    reference, current = profiles(a, b)
    ref, cur = reference.columns["x"], current.columns["x"]
    ours, theirs = KolmogorovSmirnov().score(ref, cur), stats.ks_2samp(a, b)
    assert abs(ours.statistic - theirs.statistic) < 1e-4
    assert (ours.p_value < 0.05) == (theirs.pvalue < 0.05)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=0.25, abs=1e-12)
    ours_u, theirs_u = MannWhitney().score(ref, cur), stats.mannwhitneyu(a, b)
    assert abs(ours_u.statistic - theirs_u.statistic) / N**2 < 1e-5
    assert (ours_u.p_value < 0.05) == (theirs_u.pvalue < 0.05)


def test_a_shift_the_sample_misses_is_seen_on_all_rows() -> None:
    """0.01 sd at 1M rows: scipy on all rows detects it, and so does the monitor now."""
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=N), rng.normal(0.01, size=N)
    reference, current = profiles(a, b)
    result = KolmogorovSmirnov().score(reference.columns["x"], current.columns["x"])
    assert stats.ks_2samp(a, b).pvalue < 0.05 and result.p_value < 0.05


def test_cramer_von_mises_and_anderson_darling_agree_with_scipy() -> None:
    """CvM and AD from the bins: statistics within 0.1 % of scipy's, same verdicts."""
    rng = np.random.default_rng(5)
    n = 100_000
    for shift in (0.0, 0.03):
        a, b = rng.normal(size=n), rng.normal(shift, size=n)
        reference, current = profiles(a, b, chunk=30_000)
        ref, cur = reference.columns["x"], current.columns["x"]
        cvm, scipy_cvm = CramerVonMises().score(ref, cur), stats.cramervonmises_2samp(a, b)
        assert cvm.statistic == pytest.approx(scipy_cvm.statistic, rel=1e-3, abs=1e-3)
        assert (cvm.p_value < 0.05) == (scipy_cvm.pvalue < 0.05)
        ad = AndersonDarling().score(ref, cur)
        with pytest.warns(UserWarning):  # scipy caps its p-value to its table
            scipy_ad = stats.anderson_ksamp([a, b])
        assert ad.statistic == pytest.approx(scipy_ad.statistic, rel=1e-3, abs=1e-2)
        assert (ad.p_value < 0.05) == (scipy_ad.pvalue < 0.05)


def test_few_distinct_values_give_scipys_statistics_exactly() -> None:
    """Each value of the reference has a bin of its own: when the window holds no value the
    reference never saw, KS, U, CvM and AD equal scipy's on all rows."""
    rng = np.random.default_rng(2)
    a = np.minimum(rng.poisson(5, 200_000), 12).astype(float)
    b = np.minimum(rng.poisson(5.03, 150_000), 12).astype(float)
    reference, current = profiles(a, b, chunk=60_000)
    ref, cur = reference.columns["x"], current.columns["x"]
    assert KolmogorovSmirnov().score(ref, cur).statistic == pytest.approx(
        stats.ks_2samp(a, b).statistic, abs=1e-15)
    assert MannWhitney().score(ref, cur).statistic == pytest.approx(  # scipy sums ranks in
        stats.mannwhitneyu(a, b).statistic, rel=1e-9)                 # floats: 1e-9 of U
    assert MannWhitney().score(ref, cur).p_value == pytest.approx(
        stats.mannwhitneyu(a, b).pvalue, rel=1e-5)
    assert CramerVonMises().score(ref, cur).statistic == pytest.approx(
        stats.cramervonmises_2samp(a, b).statistic, rel=1e-9)
    with pytest.warns(UserWarning):
        expected = stats.anderson_ksamp([a, b]).statistic
    assert AndersonDarling().score(ref, cur).statistic == pytest.approx(expected, rel=1e-9)


def test_fine_edges_bound_the_mass_of_a_bin_and_isolate_atoms() -> None:
    """No reference bin holds more than about 1/FINE_EDGES; an atom has a bin of its own."""
    rng = np.random.default_rng(4)
    values = np.sort(np.concatenate([rng.normal(size=300_000), np.full(30_000, 0.25)]))
    edges = choose_fine_edges(values)
    counts = np.diff(np.searchsorted(values, edges, side="left"), prepend=0,
                     append=values.size)
    assert counts[0] == 0 and counts[-1] == 0  # nothing of the reference in the outer bins
    atom = int(np.searchsorted(edges, 0.25, side="right"))
    assert counts[atom] == 30_000 and edges[atom] == np.nextafter(0.25, np.inf)
    others = np.delete(counts, atom)
    assert others.max() <= 2.2 * values.size / FINE_EDGES


def test_a_large_reference_counts_every_value_from_its_spill(monkeypatch) -> None:
    """Beyond the values read at once, edges come from a systematic sample, counts stay exact;
    past the memory budget the values go to disk, and closing gives the budget back."""
    monkeypatch.setattr(fine_module, "_EDGE_SAMPLE", 50_000)
    monkeypatch.setattr(fine_module, "_BLOCK", 40_000)
    monkeypatch.setattr(fine_module.MEMORY_BUDGET, "limit",
                        fine_module.MEMORY_BUDGET.used + 1_000_000)
    used = fine_module.MEMORY_BUDGET.used
    rng = np.random.default_rng(8)
    values = np.concatenate([rng.standard_t(3, 300_000), rng.integers(-50, 50, 100_000)])
    spill = ValueSpill()
    for part in np.array_split(values, 7):
        spill.append(part)
    assert 0 < fine_module.MEMORY_BUDGET.used - used <= 1_000_000  # the rest is on disk
    assert sorted(np.concatenate(list(spill.blocks())).tolist()) == sorted(values.tolist())
    edges, counts = fine_histogram(spill, limit=1_000)
    expected = np.bincount(np.searchsorted(edges, values, side="right"), minlength=edges.size + 1)
    assert np.array_equal(counts, expected) and counts.sum() == values.size
    assert counts[0] == 0 and counts[-1] == 0
    assert counts.max() <= 2 * values.size / 1_000 + 100_000 / 100  # integers: atoms of 1 %
    spill.close()
    assert fine_module.MEMORY_BUDGET.used == used


def test_windows_merge_their_fine_counts_by_addition() -> None:
    """Two windows' fine histograms add up to the histogram of both together."""
    rng = np.random.default_rng(6)
    reference = build_profile([pd.DataFrame({"x": rng.normal(size=50_000)})])
    a, b = rng.normal(size=30_000), rng.normal(size=40_000)
    first = build_profile([pd.DataFrame({"x": a})], reference=reference)
    second = build_profile([pd.DataFrame({"x": b})], reference=reference)
    whole = build_profile([pd.DataFrame({"x": np.concatenate([a, b])})], reference=reference)
    merged = first.merge(second).columns["x"].numeric
    assert np.array_equal(merged.fine_counts, whole.columns["x"].numeric.fine_counts)


def test_a_reference_without_fine_histograms_falls_back_to_samples_and_says_so(caplog) -> None:
    """A format-2 reference (no fine part) still compares, on samples, with a warning."""
    rng = np.random.default_rng(9)
    reference = build_profile([pd.DataFrame({"x": rng.normal(size=60_000)})])
    data = reference.to_dict()
    data["format_version"] = 2
    del data["columns"]["x"]["numeric"]["fine"]
    old = Profile.from_dict(data)
    assert not old.columns["x"].numeric.has_fine
    current = build_profile([pd.DataFrame({"x": rng.normal(size=60_000)})], reference=old)
    assert not current.columns["x"].numeric.has_fine
    with caplog.at_level(logging.WARNING):
        result = compare(old, current)
    assert result.columns[0].method == "ks" and 0.0 <= result.columns[0].statistic <= 1.0
    assert "predates fine histograms" in caplog.text and "rebuild" in caplog.text


def test_reference_fine_histograms_are_exact_however_the_values_were_kept() -> None:
    """Few distinct values (counted per value), a column that outgrows them mid-stream
    (then spilled), float32-exact and float64 values: the fine counts are exact each time."""
    rng = np.random.default_rng(12)
    n = 120_000
    frame = pd.DataFrame({
        "codes": rng.integers(0, 300, n).astype(float),
        "late": np.concatenate([rng.integers(0, 50, n // 2), rng.normal(size=n // 2) * 1e3]),
        "narrow": rng.normal(size=n).astype(np.float32).astype(float),
        "wide": rng.normal(size=n),
    })
    profile = build_profile([frame.iloc[i:i + 7_000] for i in range(0, n, 7_000)])
    for name in frame:
        summary = profile.columns[name].numeric
        values = frame[name].to_numpy()
        expected = np.bincount(np.searchsorted(summary.fine_edges, values, side="right"),
                               minlength=summary.fine_edges.size + 1)
        assert np.array_equal(summary.fine_counts, expected), name
        assert summary.fine_counts[0] == 0 and summary.fine_counts[-1] == 0, name
    assert profile.columns["codes"].numeric.fine_edges.size == 301  # one bin per code
