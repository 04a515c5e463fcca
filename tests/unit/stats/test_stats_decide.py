"""Tests of drift decisions: correction, effect floors, large windows, false-alarm rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitor.analysis.comparison import DriftOptions, compare
from monitor.profiles import ColumnProfile, Profile, build_profile
from monitor.stats import (
    StatResult,
    Trial,
    adjust_p_values,
    auto_method,
    choose_auto,
    dataset_drift,
    decide_drift,
    drift_share,
    get_method,
    meets_effect_floor,
)

LARGE = 200_000


def test_holm_adjustment_by_hand() -> None:
    """Holm multiplies the i-th smallest p by (m − i + 1) and keeps the running maximum."""
    p = [0.010, 0.040, 0.030, 0.005, 0.500]
    # sorted: 0.005·5=0.025, 0.010·4=0.040, 0.030·3=0.090, 0.040·2=0.080→0.090, 0.5·1→0.5
    assert adjust_p_values(p, "holm") == pytest.approx([0.04, 0.09, 0.09, 0.025, 0.5])


def test_bh_adjustment_by_hand() -> None:
    """BH multiplies the i-th smallest p by m / i and keeps the running minimum from the top."""
    p = [0.010, 0.040, 0.030, 0.005, 0.500]
    # sorted: 0.005·5/1=0.025, 0.010·5/2=0.025, 0.030·5/3=0.05, 0.040·5/4=0.05, 0.5·5/5=0.5
    assert adjust_p_values(p, "bh") == pytest.approx([0.025, 0.05, 0.05, 0.025, 0.5])
    assert adjust_p_values(p, "none") == p
    assert adjust_p_values([0.9, 0.8], "holm") == [1.0, 1.0]


def test_unknown_correction_is_refused() -> None:
    """An unknown correction names the valid ones."""
    with pytest.raises(ValueError, match="unknown correction 'bonf'; use one of: holm, bh, none"):
        adjust_p_values([0.1], "bonf")


def test_decide_corrects_p_values_and_reads_distances() -> None:
    """p-value methods are corrected together; distance methods compare their statistic."""
    ks, psi = get_method("ks"), get_method("psi")
    trials = [
        Trial(StatResult("ks", 0.3, 0.03, 0.3), ks, 0.05),
        Trial(StatResult("ks", 0.3, 0.04, 0.3), ks, 0.05),
        Trial(StatResult("psi", 0.12, None, 0.12), psi, 0.1),
        Trial(StatResult("psi", 0.08, None, 0.08), psi, 0.1),
    ]
    holm = decide_drift(trials, "holm")  # 0.03·2 = 0.06, then max(0.06, 0.04·1) = 0.06
    assert [d.p_value for d in holm] == pytest.approx([0.06, 0.06, None, None])
    assert [d.drifted for d in holm] == [False, False, True, False]
    assert [d.drifted for d in decide_drift(trials, "none")] == [True, True, True, False]
    assert [d.drifted for d in decide_drift(trials, "bh")] == [True, True, True, False]


def test_effect_floors() -> None:
    """auto needs a shift of 0.05 σ (or KS D of 0.05), or 1.5 points of category share."""
    assert not meets_effect_floor(StatResult("ks", 0.01, 1e-9, 0.02))
    assert meets_effect_floor(StatResult("ks", 0.01, 1e-9, 0.06))
    assert meets_effect_floor(StatResult("ks", 0.06, 1e-9, 0.01))
    assert not meets_effect_floor(StatResult("chisquare", 50.0, 1e-9, 0.01))
    assert meets_effect_floor(StatResult("chisquare", 50.0, 1e-9, 0.02))
    ks = get_method("ks")
    tiny = Trial(StatResult("ks", 0.01, 1e-12, 0.02), ks, 0.05, auto=True)
    assert decide_drift([tiny])[0].drifted is False
    assert decide_drift([Trial(tiny.result, ks, 0.05, auto=False)])[0].drifted is True


def test_auto_method_by_kind() -> None:
    """auto uses KS for numbers (times, lengths) and chi-square for categories (booleans)."""
    assert [auto_method(k).name for k in ("numeric", "datetime", "text")] == ["ks"] * 3
    assert [auto_method(k).name for k in ("categorical", "boolean")] == ["chisquare"] * 2
    with pytest.raises(ValueError, match="no automatic method for column kind 'colour'"):
        auto_method("colour")


def _pair(reference: pd.DataFrame, current: pd.DataFrame, column: str
          ) -> tuple[ColumnProfile, ColumnProfile]:
    ref = build_profile([reference])
    return ref.columns[column], build_profile([current], reference=ref).columns[column]


def test_choose_auto_by_values_and_counts() -> None:
    """Few distinct numbers → chi-square; small binary tables → Fisher; else KS / chi-square."""
    rng = np.random.default_rng(4)
    counts = pd.DataFrame({"n": rng.integers(0, 5, 500)})
    assert choose_auto(*_pair(counts, counts, "n")).name == "chisquare"
    smooth = pd.DataFrame({"x": rng.normal(size=500)})
    assert choose_auto(*_pair(smooth, smooth, "x")).name == "ks"
    small = pd.DataFrame({"b": [True] * 9 + [False] * 3})
    assert choose_auto(*_pair(small, small.iloc[:6], "b")).name == "fisher"
    large = pd.DataFrame({"b": [True] * 90 + [False] * 30})
    assert choose_auto(*_pair(large, large, "b")).name == "chisquare"
    many = pd.DataFrame({"c": list("abc") * 3})
    assert choose_auto(*_pair(many, many, "c")).name == "chisquare"


def test_min_effect_sets_the_floor_of_any_method() -> None:
    """min_effect overrides auto's floor and adds one to explicit methods."""
    ks = get_method("ks")
    result = StatResult("ks", 0.2, 1e-9, 0.08)
    assert decide_drift([Trial(result, ks, 0.05, auto=True)])[0].drifted
    assert not decide_drift([Trial(result, ks, 0.05, auto=True, min_effect=0.1)])[0].drifted
    assert not decide_drift([Trial(result, ks, 0.05, min_effect=0.1)])[0].drifted
    psi_method = get_method("psi")
    distance = StatResult("psi", 0.3, None, 0.3)
    assert decide_drift([Trial(distance, psi_method, 0.1, min_effect=0.2)])[0].drifted
    assert not decide_drift([Trial(distance, psi_method, 0.1, min_effect=0.5)])[0].drifted


def test_drift_share_and_dataset_drift() -> None:
    """Drift share is drifted over compared; no compared column is never dataset drift."""
    assert drift_share(2, 8) == 0.25 and drift_share(0, 0) == 0.0
    assert dataset_drift(0.5, 4) and not dataset_drift(0.49, 4)
    assert not dataset_drift(0.0, 0, threshold=0.0)


# --- decisions on large windows (the targets of the statistics issue) --------


@pytest.fixture(scope="module")
def large_reference() -> Profile:
    """A 200 000-row reference: one standard normal column, one four-level category."""
    rng = np.random.default_rng(2024)
    frame = pd.DataFrame({"x": rng.normal(size=LARGE),
                          "c": rng.choice(list("abcd"), LARGE, p=[0.25] * 4)})
    return build_profile([frame])


def _auto(reference: Profile, frame: pd.DataFrame, column: str) -> tuple[bool, float]:
    current = build_profile([frame], reference=reference)
    result = compare(reference, current, DriftOptions())
    (drift,) = [c for c in result.columns if c.column == column]
    return drift.drifted, drift.p_value or 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_large_window_flags_a_tenth_sigma_shift(large_reference: Profile, seed: int) -> None:
    """At 200 000 rows a mean shift of 0.1 σ is flagged."""
    values = np.random.default_rng(seed).normal(0.1, 1.0, LARGE)
    assert _auto(large_reference, pd.DataFrame({"x": values}), "x")[0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_large_window_ignores_a_trivial_shift(large_reference: Profile, seed: int) -> None:
    """At 200 000 rows a mean shift of 0.02 σ is not flagged, though raw KS on all rows rejects."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(0.02, 1.0, LARGE)})
    assert not _auto(large_reference, frame, "x")[0]
    full_ref = build_profile([pd.DataFrame({"x": np.random.default_rng(2024).normal(size=LARGE)})],
                             sample_size=LARGE)
    full_cur = build_profile([frame], reference=full_ref, sample_size=LARGE)
    raw = get_method("ks").score(full_ref.columns["x"], full_cur.columns["x"])
    assert raw.p_value is not None and raw.p_value < 0.05


def test_large_window_flags_a_variance_change(large_reference: Profile) -> None:
    """At 200 000 rows a variance × 1.2 is flagged."""
    values = np.random.default_rng(5).normal(0.0, np.sqrt(1.2), LARGE)
    assert _auto(large_reference, pd.DataFrame({"x": values}), "x")[0]


def test_large_window_flags_a_five_point_category_move(large_reference: Profile) -> None:
    """At 200 000 rows a category share moving by 5 points is flagged; 1 point is not."""
    rng = np.random.default_rng(6)
    moved = rng.choice(list("abcd"), LARGE, p=[0.30, 0.20, 0.25, 0.25])
    assert _auto(large_reference, pd.DataFrame({"c": moved}), "c")[0]
    nudged = rng.choice(list("abcd"), LARGE, p=[0.26, 0.24, 0.25, 0.25])
    drifted, p_value = _auto(large_reference, pd.DataFrame({"c": nudged}), "c")
    assert not drifted and p_value < 0.05


def test_false_alarm_rate_without_drift_stays_near_alpha() -> None:
    """200 windows of 500 rows on 5 undrifted columns: Holm keeps false alarms per window ≤ α."""
    rng = np.random.default_rng(77)

    def frame(n: int) -> pd.DataFrame:
        return pd.DataFrame({
            "n1": rng.normal(size=n), "n2": rng.exponential(size=n), "n3": rng.uniform(size=n),
            "c1": rng.choice(list("abc"), n, p=[0.5, 0.3, 0.2]),
            "c2": rng.choice(list("wxyz"), n, p=[0.4, 0.3, 0.2, 0.1]),
        })

    reference = build_profile([frame(5000)])
    options = DriftOptions(correction="holm")
    alarms = sum(
        compare(reference, build_profile([frame(500)], reference=reference), options)
        .drifted_columns != ()
        for _ in range(200)
    )
    # α = 0.05: 10 expected at most; binomial sd ≈ 3.1, so 20 is α plus a 3-sd margin.
    assert alarms <= 20
