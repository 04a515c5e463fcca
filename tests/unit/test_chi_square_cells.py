"""Chi-square on sparse tables: a category seen on one side only is never pooled away.

Statistics are checked against ``scipy.stats`` on the unpooled tables; the
false-alarm rate of the whole procedure is checked by simulation on tables
with many sparse categories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from monitor.analysis.comparison import compare
from monitor.profiles import ColumnProfile, build_profile
from monitor.profiles.summaries import CategoricalSummary
from monitor.stats import ChiSquare, GTest, pool_sparse_cells
from monitor.stats.categorical import DRIVERS, category_drivers, one_sided_p_value

ALPHA = 0.05


def _counted(values: np.ndarray) -> ColumnProfile:
    """The column profile of ``values``, as the profile builder counts them."""
    keys, counts = np.unique(values, return_counts=True)
    ordered = sorted(zip(keys.tolist(), counts.tolist(), strict=True), key=lambda kv: -kv[1])
    return ColumnProfile("categorical", int(counts.sum()), 0,
                         categorical=CategoricalSummary(dict(ordered)))


def _adult_like(seed: int, new_rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """32,561 reference rows of three categories; 3,256 current ones, ``new_rows`` of them new."""
    rng = np.random.default_rng(seed)
    names, mix = ["Private", "Self-emp", "Gov"], [0.6, 0.3, 0.1]
    reference = pd.DataFrame({"workclass": rng.choice(names, 32_561, p=mix)})
    current = list(rng.choice(names, 3_256 - new_rows, p=mix)) + ["Never-seen"] * new_rows
    return reference, pd.DataFrame({"workclass": current})


def test_a_new_category_of_47_rows_counts_in_full() -> None:
    """47 new rows among 3,256: the statistic is scipy's on the unpooled table (about 472),
    where pooling the sparse cell into the smallest one left a fraction of it."""
    reference, current = _adult_like(0, 47)
    ref_profile = build_profile([reference])
    ref = ref_profile.columns["workclass"]
    cur = build_profile([current], reference=ref_profile).columns["workclass"]
    names = ["Private", "Self-emp", "Gov", "Never-seen"]
    table = np.array([[(reference["workclass"] == n).sum() for n in names],
                      [(current["workclass"] == n).sum() for n in names]])
    unpooled = sps.chi2_contingency(table, correction=False)
    result = ChiSquare().score(ref, cur)
    assert result.statistic == pytest.approx(unpooled.statistic, rel=1e-12)
    assert result.statistic > 450
    pooled = sps.chi2_contingency(np.vstack(pool_sparse_cells(*table.astype(float))),
                                  correction=False)
    assert pooled.statistic < 0.1 * result.statistic  # what hid the category
    assert result.p_value is not None and result.p_value < 1e-40
    drivers = category_drivers(ref, cur)
    assert drivers[0].category == "Never-seen" and drivers[0].reference_share == 0.0
    assert drivers[0].current_share == pytest.approx(47 / 3_256)


def test_g_test_keeps_one_sided_cells_too() -> None:
    """G on the unpooled table equals scipy's log-likelihood statistic."""
    reference, current = _adult_like(1, 20)
    ref_profile = build_profile([reference])
    cur_profile = build_profile([current], reference=ref_profile)
    names = ["Private", "Self-emp", "Gov", "Never-seen"]
    table = np.array([[(reference["workclass"] == n).sum() for n in names],
                      [(current["workclass"] == n).sum() for n in names]])
    expected = sps.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    result = GTest().score(ref_profile.columns["workclass"], cur_profile.columns["workclass"])
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value is not None and result.p_value < 1e-10


def test_one_sided_p_value_is_the_hypergeometric_chance_times_the_sparse_cells() -> None:
    """Twice the smallest chance that a one-sided cell fell all on its side, times the number
    of sparse cells (scipy's hypergeometric law)."""
    ref = np.array([900.0, 80.0, 3.0, 0.0, 2.0])
    cur = np.array([90.0, 8.0, 0.0, 4.0, 1.0])
    n_ref, n_cur = ref.sum(), cur.sum()
    chances = [sps.hypergeom.pmf(3, n_ref + n_cur, n_ref, 3),  # all 3 in the reference
               sps.hypergeom.pmf(4, n_ref + n_cur, n_cur, 4)]  # all 4 in the current data
    sparse = 3  # expected counts on the smaller side below 5: the last three cells
    assert one_sided_p_value(ref, cur) == pytest.approx(min(1.0, 2 * sparse * min(chances)))
    assert one_sided_p_value(np.array([50.0, 50.0]), np.array([40.0, 60.0])) == 1.0


def test_drivers_are_the_largest_terms_of_the_statistic() -> None:
    """Each driver's contribution is its cell's (O − E)² / E summed over both sides (scipy's
    expected counts); at most five, largest first; the terms add up to the statistic."""
    rng = np.random.default_rng(2)
    names = [f"k{i}" for i in range(8)]
    ref = _counted(rng.choice(names, 4000, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05]))
    cur = _counted(rng.choice(names, 3000, p=[0.2, 0.2, 0.15, 0.1, 0.1, 0.05, 0.1, 0.1]))
    assert ref.categorical is not None and cur.categorical is not None
    table = np.array([[ref.categorical.counts[n] for n in names],
                      [cur.categorical.counts[n] for n in names]])
    expected = sps.chi2_contingency(table, correction=False).expected_freq
    terms = ((table - expected) ** 2 / expected).sum(axis=0)
    drivers = category_drivers(ref, cur)
    assert len(drivers) == DRIVERS
    order = np.argsort(-terms)[:DRIVERS]
    assert [d.category for d in drivers] == [names[i] for i in order]
    assert [d.contribution for d in drivers] == pytest.approx(terms[order].tolist())
    assert drivers[0].reference_share == pytest.approx(table[0, order[0]] / 4000)
    assert drivers[0].current_share == pytest.approx(table[1, order[0]] / 3000)
    assert terms.sum() == pytest.approx(ChiSquare().score(ref, cur).statistic)


def test_compare_names_the_drivers_of_categories_only() -> None:
    """compare() puts the drivers on categorical columns and none on numeric ones."""
    reference, current = _adult_like(3, 60)
    rng = np.random.default_rng(3)
    reference["age"] = rng.normal(40, 10, len(reference))
    current["age"] = rng.normal(40, 10, len(current))
    ref_profile = build_profile([reference])
    result = compare(ref_profile, build_profile([current], reference=ref_profile))
    by_name = {c.column: c for c in result.columns}
    assert by_name["age"].drivers == ()
    assert by_name["workclass"].drifted and by_name["workclass"].drivers[0].category == (
        "Never-seen")
    [item] = [c for c in result.to_dict("a", "b")["columns"] if c["column"] == "workclass"]
    assert item["drivers"][0] == {
        "category": "Never-seen", "reference_share": 0.0, "current_share": 60 / 3_256,
        "contribution": by_name["workclass"].drivers[0].contribution}


def _zipf(size: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1) ** 1.3
    return np.asarray(weights / weights.sum())


@pytest.mark.parametrize(("n_ref", "n_cur"), [(20_000, 2_000), (2_000, 20_000)])
def test_false_alarm_rate_stays_near_alpha_with_many_sparse_categories(
    n_ref: int, n_cur: int
) -> None:
    """300 pairs drawn from one mix of 200 categories (most of them sparse, many seen on one
    side only): the share of p-values below 0.05 lies in the 99.8% binomial band of 0.05."""
    rng = np.random.default_rng(n_ref)
    names, mix = np.array([f"c{i:03d}" for i in range(200)]), _zipf(200)
    trials = 300
    alarms = 0
    one_sided = 0
    for _ in range(trials):
        ref = _counted(rng.choice(names, n_ref, p=mix))
        cur = _counted(rng.choice(names, n_cur, p=mix))
        assert ref.categorical is not None and cur.categorical is not None
        one_sided += bool(set(ref.categorical.counts) ^ set(cur.categorical.counts))
        p_value = ChiSquare().score(ref, cur).p_value
        alarms += p_value is not None and p_value < ALPHA
    low, high = sps.binom.ppf([0.001, 0.999], trials, ALPHA)
    assert one_sided > trials * 0.9  # the case under test: one-sided sparse cells abound
    assert low <= alarms <= high, f"{alarms} alarms in {trials}"


def test_a_new_category_of_ten_rows_is_found_among_sparse_ones() -> None:
    """Ten rows of a new category among 2,000 (200 categories, most sparse): found at 0.05 in
    at least 95 of 100 windows."""
    rng = np.random.default_rng(7)
    names, mix = np.array([f"c{i:03d}" for i in range(200)]), _zipf(200)
    found = 0
    for _ in range(100):
        ref = _counted(rng.choice(names, 20_000, p=mix))
        cur = _counted(np.concatenate([rng.choice(names, 1_990, p=mix), ["new"] * 10]))
        p_value = ChiSquare().score(ref, cur).p_value
        found += p_value is not None and p_value < ALPHA
    assert found >= 95
