"""Tests of the report document: the comparison's JSON plus distributions and segments."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from monitor.analysis import MAX_BINS, MAX_CATEGORIES, compare, report_document
from monitor.errors import ProfileError
from monitor.profiles import Profile, build_profile


def _document(ref: pd.DataFrame, cur: pd.DataFrame, **options: object) -> dict:
    reference = build_profile([ref], **options)
    current = build_profile([cur], reference=reference)
    comparison = compare(reference, current)
    return report_document(comparison, reference, current, reference_source="ref.csv",
                           current_source="cur.csv")


def test_document_is_the_json_contract_plus_distributions() -> None:
    """The compare --format json keys are there unchanged, plus distributions, segments, extras."""
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(list("ab"), 500)})
    cur = pd.DataFrame({"x": rng.normal(size=400), "c": rng.choice(list("ab"), 400), "e": 1})
    reference = build_profile([ref], categorical=["c"])
    current = build_profile([cur], reference=reference)
    comparison = compare(reference, current)
    document = report_document(comparison, reference, current, reference_source="r",
                               current_source="c")
    contract = comparison.to_dict("r", "c")
    assert {k: document[k] for k in contract} == contract
    assert set(document) - set(contract) == {"distributions", "segments", "extra_columns"}
    assert set(document["distributions"]) == {"x", "c"}
    assert document["segments"] == [] and document["extra_columns"] == ["e"]
    assert json.loads(json.dumps(document, allow_nan=False)) == document


def test_numeric_shares_match_numpy_on_the_reference_edges() -> None:
    """Bin shares are numpy's histogram of the current values on the reference's edges."""
    rng = np.random.default_rng(1)
    ref, cur = rng.normal(0, 1, 3000), rng.normal(0.5, 1.5, 2000)
    reference = build_profile([pd.DataFrame({"x": ref})])
    current = build_profile([pd.DataFrame({"x": cur})], reference=reference)
    document = report_document(compare(reference, current), reference, current,
                               reference_source="r", current_source="c")
    shown = document["distributions"]["x"]
    edges = reference.columns["x"].numeric.edges
    assert shown["kind"] == "numeric" and len(edges) == len(shown["reference"]) + 1
    np.testing.assert_allclose(shown["edges"], edges, rtol=1e-5)
    assert edges[0] == ref.min() and edges[-1] == ref.max()
    expected = np.histogram(cur, edges)[0] / cur.size
    np.testing.assert_allclose(shown["current"], expected, atol=1e-6)
    np.testing.assert_allclose(shown["reference"], np.histogram(ref, edges)[0] / ref.size,
                               atol=1e-6)
    assert shown["below"]["current"] == pytest.approx((cur < edges[0]).mean(), abs=1e-6)
    assert shown["above"]["current"] == pytest.approx((cur > edges[-1]).mean(), abs=1e-6)
    assert shown["below"]["reference"] == shown["above"]["reference"] == 0.0
    for side in ("reference", "current"):
        total = sum(shown[side]) + shown["below"][side] + shown["above"][side]
        assert total == pytest.approx(1.0, abs=1e-5)


def test_shares_leave_out_missing_and_round_to_six_digits() -> None:
    """Missing values are not in the shares; every number keeps at most 6 significant digits."""
    ref = pd.DataFrame({"x": np.r_[np.arange(7.0), [np.nan] * 3]})
    cur = pd.DataFrame({"x": [0.0, 1.0, 2.0, np.nan]})
    shown = _document(ref, cur)["distributions"]["x"]
    assert sum(shown["reference"]) == pytest.approx(1.0, abs=1e-5)
    assert sum(shown["current"]) == pytest.approx(1.0, abs=1e-5)
    assert shown["reference"][0] == 0.142857
    for value in shown["reference"] + shown["current"] + shown["edges"]:
        assert value == float(f"{value:.6g}")


def test_more_than_max_bins_are_merged_with_their_neighbours() -> None:
    """120 bins become 40 of three neighbours each: edges every third, shares summed."""
    rng = np.random.default_rng(2)
    ref, cur = rng.uniform(0, 1, 6000), rng.uniform(0.2, 1.2, 3000)
    reference = build_profile([pd.DataFrame({"x": ref})], bins=120)
    current = build_profile([pd.DataFrame({"x": cur})], reference=reference)
    document = report_document(compare(reference, current), reference, current,
                               reference_source="r", current_source="c")
    shown = document["distributions"]["x"]
    full_edges = reference.columns["x"].numeric.edges
    assert full_edges.size - 1 == 120 > MAX_BINS
    assert len(shown["reference"]) == len(shown["current"]) == 40
    np.testing.assert_allclose(shown["edges"], full_edges[::3], rtol=1e-5)
    counts = current.columns["x"].numeric.counts[1:-1]
    expected = counts.reshape(40, 3).sum(axis=1) / cur.size
    np.testing.assert_allclose(shown["current"], expected, atol=1e-6)
    assert shown["above"]["current"] == pytest.approx((cur > full_edges[-1]).mean(), abs=1e-6)


def test_categories_are_truncated_with_other_and_new_ones_shown() -> None:
    """The 20 largest categories on either side stay; a new one ranks by its current share."""
    ref_values = [f"k{i:02d}" for i in range(30) for _ in range(30 - i)]
    cur_values = ref_values + ["brand-new"] * 100
    document = _document(pd.DataFrame({"c": ref_values}), pd.DataFrame({"c": cur_values}),
                         categorical=["c"])
    shown = document["distributions"]["c"]
    assert shown["kind"] == "categorical" and len(shown["categories"]) == MAX_CATEGORIES
    assert shown["categories"][0] == "brand-new"
    new = shown["categories"].index("brand-new")
    assert shown["reference"][new] == 0.0
    assert shown["current"][new] == pytest.approx(100 / len(cur_values), abs=1e-6)
    ref_counts, cur_counts = Counter(ref_values), Counter(cur_values)
    kept = set(shown["categories"])
    assert kept == {"brand-new", *(f"k{i:02d}" for i in range(19))}
    pooled_ref = sum(v for k, v in ref_counts.items() if k not in kept) / len(ref_values)
    pooled_cur = sum(v for k, v in cur_counts.items() if k not in kept) / len(cur_values)
    assert shown["other"] == {"reference": pytest.approx(pooled_ref, abs=1e-6),
                              "current": pytest.approx(pooled_cur, abs=1e-6)}
    for side in ("reference", "current"):
        assert sum(shown[side]) + shown["other"][side] == pytest.approx(1.0, abs=1e-5)


def test_the_profiles_own_other_counts_in_other() -> None:
    """Categories a profile already pooled (beyond top_k) are part of ``other``."""
    ref = pd.DataFrame({"c": list("aaaabbbccd")})
    cur = pd.DataFrame({"c": list("aabbccddee")})
    document = _document(ref, cur, categorical=["c"], top_k=2)
    shown = document["distributions"]["c"]
    for side in ("reference", "current"):
        assert sum(shown[side]) + shown["other"][side] == pytest.approx(1.0, abs=1e-5)
    assert shown["other"]["reference"] > 0


def test_segments_list_each_comparison_and_null_for_non_finite() -> None:
    """Each segment gets its rows, drift share, verdict and drifted columns; NaN becomes null."""
    rng = np.random.default_rng(3)
    reference = build_profile([pd.DataFrame({"x": rng.normal(size=800)})])
    same = build_profile([pd.DataFrame({"x": rng.normal(size=300)})], reference=reference)
    moved = build_profile([pd.DataFrame({"x": rng.normal(3, 1, 300)})], reference=reference)
    whole = compare(reference, same)
    broken = compare(reference, moved)
    object.__setattr__(broken, "drift_share", float("nan"))
    document = report_document(whole, reference, same, reference_source="r",
                               current_source="c",
                               segments={"state=CA": compare(reference, moved),
                                         "state=NY": broken})
    ca, ny = document["segments"]
    assert ca == {"segment": "state=CA", "rows": 300, "drift_share": 1.0,
                  "dataset_drift": True, "drifted_columns": ["x"]}
    assert ny["drift_share"] is None
    json.dumps(document, allow_nan=False)


def test_a_profile_without_the_compared_column_is_an_error() -> None:
    """Profiles that are not the ones compared give a ProfileError naming the column."""
    reference = build_profile([pd.DataFrame({"x": [1.0, 2.0, 3.0]})])
    current = build_profile([pd.DataFrame({"x": [1.0, 2.0]})], reference=reference)
    with pytest.raises(ProfileError, match="'x'"):
        report_document(compare(reference, current), reference, Profile(2, {}),
                        reference_source="r", current_source="c")
