"""The default quality findings: a missing share that rose, categories the reference never saw,
and text columns of ISO times read as times.

Expected values are computed independently (pandas counts, scipy's normal and
hypergeometric laws, Holm's procedure written out here); the false-alarm and
detection rates are measured by simulation.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from monitor.analysis import analyse
from monitor.analysis.comparison import compare
from monitor.analysis.options import quality_options
from monitor.analysis.quality import QualityOptions, QualityResult, check_quality
from monitor.cli import main
from monitor.profiles import ColumnProfile, Profile, build_profile
from monitor.rules.schema import MonitorSpec

WORK = ["Private", "Self-emp", "Gov", "Without-pay"]


def _people(n: int, seed: int, missing: float = 0.10, day: str = "2026-03-01") -> pd.DataFrame:
    """Census-like rows: two columns 10% null, a category column, ISO times of one day."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "age": rng.normal(40, 12, n).round(),
        "hours": rng.normal(40, 8, n).round(),
        "occupation": rng.choice(["sales", "tech", "craft", "admin"], n),
        "workclass": rng.choice(WORK, n, p=[0.7, 0.15, 0.14, 0.01]),
        "seen_at": (pd.Timestamp(day, tz="UTC") + pd.to_timedelta(rng.integers(0, 86_400, n),
                                                                   unit="s"))
        .strftime("%Y-%m-%dT%H:%M:%SZ"),
    })
    for name in ("age", "occupation"):
        frame.loc[rng.random(n) < missing, name] = None
    return frame


def _break(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The injected faults: age and occupation 22% null, 1.5% of workclass a new category."""
    rng = np.random.default_rng(seed)
    broken = frame.copy()
    for name in ("age", "occupation"):
        broken.loc[rng.random(len(frame)) < 0.12, name] = None  # 10% + 12% of the rest ≈ 22%
    broken.loc[rng.random(len(frame)) < 0.015, "workclass"] = "Contractor"
    return broken


def _compare_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], reference: pd.DataFrame,
                   current: pd.DataFrame) -> dict[str, object]:
    reference.to_csv(tmp_path / "reference.csv", index=False)
    current.to_csv(tmp_path / "current.csv", index=False)
    capsys.readouterr()
    status = main(["compare", str(tmp_path / "reference.csv"), str(tmp_path / "current.csv"),
                   "--format", "json"])
    assert status in (0, 1)
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


def _failed(document: dict[str, object]) -> dict[tuple[str, str], float]:
    quality = document["quality"]
    assert isinstance(quality, list)
    return {(q["check"], q["column"]): q["value"] for q in quality if not q["passed"]}


def test_monitor_compare_finds_the_injected_faults_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`monitor compare` with its defaults: the doubled missing shares and the new category
    fail, on the faulty file only; the clean one fails no quality check."""
    reference = _people(10_000, seed=1)
    clean = _people(3_000, seed=2, day="2026-03-08")
    assert _failed(_compare_files(tmp_path, capsys, reference, clean)) == {}
    broken = _break(clean, seed=3)
    document = _compare_files(tmp_path, capsys, reference, broken)
    contractor = (broken["workclass"] == "Contractor").sum()
    assert _failed(document) == {
        ("missing_share_increase", "age"): pytest.approx(broken["age"].isna().mean()),
        ("missing_share_increase", "occupation"): pytest.approx(
            broken["occupation"].isna().mean()),
        ("new_category", "workclass"): pytest.approx(contractor / len(broken)),
    }
    columns = document["columns"]
    assert isinstance(columns, list)
    assert {c["column"]: c["kind"] for c in columns}["seen_at"] == "datetime"


def test_the_daemon_analysis_runs_the_same_defaults() -> None:
    """A monitor's rules leave both checks on; analyse() reports the same findings."""
    spec = MonitorSpec.model_validate({
        "name": "census", "schedule": {"every": "1h"}, "window": "1h",
        "source": {"type": "file", "path": "people.parquet", "timestamp": "seen_at"},
        "reference": {"path": "train.parquet"},
    })
    options = quality_options(spec)
    assert options.missing_increase and options.new_categories
    reference = build_profile([_people(10_000, seed=1)], exclude=["seen_at"])
    broken = _break(_people(3_000, seed=2), seed=3)
    analysis = analyse(spec, reference, [broken.iloc[:1_500], broken.iloc[1_500:]])
    failed = {(q.check, q.column) for q in analysis.comparison.quality if not q.passed}
    assert failed == {("missing_share_increase", "age"),
                      ("missing_share_increase", "occupation"),
                      ("new_category", "workclass")}


# --- missing_share_increase ---------------------------------------------------------------


def _nulls(n: int, share: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    x[rng.permutation(n)[: round(share * n)]] = np.nan
    return pd.DataFrame({"x": x})


def _increase(reference: Profile, current: Profile) -> QualityResult:
    [result] = [q for q in check_quality(reference, current)
                if q.check == "missing_share_increase"]
    return result


def _floor(share: float) -> float:
    """2 points, and half the reference share up to 10 points."""
    return max(0.02, min(share / 2, 0.10))


def test_a_small_rise_on_a_large_window_passes() -> None:
    """10% → 10.5% on 100,000 rows: significant (z-test p < 0.001) but below the floor."""
    reference = build_profile([_nulls(100_000, 0.10, seed=1)])
    current = build_profile([_nulls(100_000, 0.105, seed=2)], reference=reference)
    p = sps.norm.sf((0.105 - 0.10) / np.sqrt(0.1025 * 0.8975 * 2 / 100_000))
    assert p < 0.001
    result = _increase(reference, current)
    assert result.passed and result.value == pytest.approx(0.105)
    assert result.threshold == pytest.approx(0.10 + _floor(0.10))


def test_ten_to_twenty_two_percent_on_a_thousand_rows_fails() -> None:
    """10% → 22% on 1,000 rows fails; value is the current share, threshold the reference's
    share plus the floor, failing_rows the missing rows."""
    frame = _nulls(1_000, 0.22, seed=4)
    reference = build_profile([_nulls(1_000, 0.10, seed=3)])
    result = _increase(reference, build_profile([frame], reference=reference))
    assert not result.passed
    assert result.value == pytest.approx(frame["x"].isna().mean())
    assert result.threshold == pytest.approx(0.10 + _floor(0.10))
    assert result.failing_rows == frame["x"].isna().sum()


def _holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, written out."""
    order = sorted(range(len(p_values)), key=p_values.__getitem__)
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (len(p_values) - rank) * p_values[i])
        adjusted[i] = min(1.0, running)
    return adjusted


def _profile(rows: int, missing: list[int]) -> Profile:
    return Profile(rows, {f"c{i}": ColumnProfile("numeric", rows - m, m)
                          for i, m in enumerate(missing)})


def test_decisions_follow_the_z_test_after_holm_and_the_floor() -> None:
    """On random columns near the limits, each verdict is: Holm-adjusted one-sided z-test
    p < 0.01 and share ≥ reference share + floor (scipy's normal law)."""
    rng = np.random.default_rng(5)
    checked = failed = 0
    for _ in range(40):
        n_ref, n_cur = int(rng.integers(200, 5_000)), int(rng.integers(50, 2_000))
        ref_shares = rng.choice([0.0, 0.02, 0.1, 0.3], 6)
        rises = rng.choice([0.0, 0.02, 0.05, 0.08, 0.15], 6)
        ref_missing = [int(rng.binomial(n_ref, s)) for s in ref_shares]
        cur_missing = [int(rng.binomial(n_cur, min(s + r, 1.0)))
                       for s, r in zip(ref_shares, rises, strict=True)]
        if n_cur in cur_missing:
            continue  # an all-null column is missing_share's finding
        results = {q.column: q for q in check_quality(_profile(n_ref, ref_missing),
                                                      _profile(n_cur, cur_missing))
                   if q.check == "missing_share_increase"}
        raw = []
        for m_ref, m_cur in zip(ref_missing, cur_missing, strict=True):
            pooled = (m_ref + m_cur) / (n_ref + n_cur)
            spread = np.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / n_cur))
            raw.append(1.0 if spread == 0 else sps.norm.sf((m_cur / n_cur - m_ref / n_ref)
                                                           / spread))
        for i, p in enumerate(_holm(raw)):
            limit = min(1.0, ref_missing[i] / n_ref + _floor(ref_missing[i] / n_ref))
            expected_fail = p < 0.01 and cur_missing[i] / n_cur >= limit
            assert results[f"c{i}"].passed is (not expected_fail)
            assert results[f"c{i}"].threshold == pytest.approx(limit)
            checked += 1
            failed += expected_fail
    assert checked > 200 and 0 < failed < checked  # both verdicts were exercised


def _draw(rows: int, shares: list[float], rng: np.random.Generator) -> Profile:
    return _profile(rows, [int(rng.binomial(rows, s)) for s in shares])


def test_false_alarms_are_rare_when_the_missing_share_does_not_change() -> None:
    """300 windows of 1,000 rows against 5,000, ten columns 0% to 60% null, no change: at most
    3 of the 3,000 column verdicts fail (measured: none)."""
    rng = np.random.default_rng(6)
    shares = [0.0, 0.001, 0.01, 0.05, 0.1, 0.1, 0.2, 0.3, 0.4, 0.6]
    failures = 0
    for _ in range(300):
        results = check_quality(_draw(5_000, shares, rng), _draw(1_000, shares, rng))
        failures += sum(not q.passed for q in results if q.check == "missing_share_increase")
    assert failures <= 3


def test_a_doubled_missing_share_is_found_in_every_window() -> None:
    """300 windows of 1,000 rows where one column goes from 10% to 22% null: all found."""
    rng = np.random.default_rng(7)
    shares = [0.0, 0.05, 0.1, 0.2, 0.4]
    found = 0
    for _ in range(300):
        results = check_quality(_draw(5_000, [0.10, *shares], rng),
                                _draw(1_000, [0.22, *shares], rng))
        found += any(not q.passed for q in results
                     if (q.check, q.column) == ("missing_share_increase", "c0"))
    assert found == 300


def test_an_all_null_column_is_left_to_missing_share() -> None:
    """A column with no value at all fails missing_share; no missing_share_increase besides."""
    reference = build_profile([_nulls(500, 0.1, seed=8)])
    current = build_profile([pd.DataFrame({"x": [np.nan] * 50})], reference=reference)
    assert [(q.check, q.passed) for q in check_quality(reference, current)] == [
        ("missing_share", False), ("type_mismatch_share", True)]


# --- new_category -------------------------------------------------------------------------


def _categories(counts: dict[str, int], reference: Profile | None = None,
                **options: int) -> Profile:
    values = [k for k, n in counts.items() for _ in range(n)]
    frame = pd.DataFrame({"c": np.random.default_rng(0).permutation(np.array(values))})
    return build_profile([frame], reference=reference, **options)


def _new(reference: Profile, current: Profile) -> list[QualityResult]:
    return [q for q in check_quality(reference, current) if q.check == "new_category"]


def test_one_percent_of_five_thousand_rows_fails() -> None:
    """50 of 5,000 values in a category the reference never saw: share 1%, failed, named."""
    reference = _categories({"a": 3_000, "b": 2_000})
    current = _categories({"a": 2_950, "b": 2_000, "new": 50}, reference)
    assert _new(reference, current) == [QualityResult(
        "new_category", "c", 50 / 5_000, 0.005, False, failing_rows=50, samples=("new",))]


def test_one_stray_row_in_a_hundred_thousand_passes_but_is_listed() -> None:
    """One row of 100,000: listed with its share, passed."""
    reference = _categories({"a": 60_000, "b": 40_000})
    current = _categories({"a": 59_999, "b": 40_000, "typo": 1}, reference)
    [result] = _new(reference, current)
    assert (result.value, result.passed, result.samples, result.failing_rows) == (
        1 / 100_000, True, ("typo",), 1)


def test_few_rows_or_a_small_reference_pass() -> None:
    """4 rows (below 5) pass whatever their share; so does 1% against a 60-row reference, which
    could well have missed it (hypergeometric chance above 1%)."""
    reference = _categories({"a": 300, "b": 200})
    [few] = _new(reference, _categories({"a": 300, "b": 196, "new": 4}, reference))
    assert few.passed and few.value == pytest.approx(4 / 500)
    small = _categories({"a": 36, "b": 24})
    [result] = _new(small, _categories({"a": 2_950, "b": 2_000, "new": 50}, small))
    assert sps.hypergeom.pmf(50, 5_060, 5_000, 50) > 0.01
    assert result.passed and result.value == pytest.approx(0.01)


def test_beyond_ten_new_categories_the_rest_is_summed() -> None:
    """12 new categories: the ten largest one by one, largest first; the other two in one."""
    reference = _categories({"a": 5_000})
    new = {f"n{i:02d}": 30 - i for i in range(12)}
    results = _new(reference, _categories({"a": 4_000, **new}, reference))
    total = 4_000 + sum(new.values())
    assert [r.samples for r in results[:10]] == [(f"n{i:02d}",) for i in range(10)]
    assert [r.value for r in results[:10]] == pytest.approx([(30 - i) / total for i in range(10)])
    rest = results[10]
    assert (rest.samples, rest.failing_rows) == (("n10", "n11"), 20 + 19)
    assert rest.value == pytest.approx(39 / total) and rest.note is not None
    assert "2 more new categories" in rest.note
    assert len(results) == 11


def test_no_new_category_is_claimed_when_the_reference_kept_only_its_top_k() -> None:
    """A reference with an `other` count could hide any category: nothing is called new."""
    reference = _categories({"a": 50, "b": 30, "c": 20}, top_k=2)
    assert reference.columns["c"].categorical is not None
    assert reference.columns["c"].categorical.other == 20
    assert _new(reference, _categories({"a": 50, "b": 30, "z": 20}, reference)) == []


def test_both_defaults_can_be_switched_off() -> None:
    """QualityOptions(missing_increase=False, new_categories=False) runs neither."""
    reference = build_profile([pd.DataFrame({"c": ["a", "b", None, "a"] * 250})])
    current = build_profile([pd.DataFrame({"c": ["a", "new", None, None] * 250})],
                            reference=reference)
    on = {q.check for q in check_quality(reference, current)}
    assert {"missing_share_increase", "new_category"} <= on
    off = QualityOptions(missing_increase=False, new_categories=False)
    assert [q.check for q in check_quality(reference, current, off)] == ["type_mismatch_share"]


# --- text columns of ISO times --------------------------------------------------------------


def _csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


def test_a_csv_column_of_iso_times_is_profiled_as_times() -> None:
    """ISO times read from CSV text are a datetime column of epoch seconds."""
    stamps = ["2026-03-01T08:00:00Z", "2026-03-01 09:30:00", "2026-03-01T10:00:00+02:00", ""]
    frame = _csv("t,n\n" + "".join(f"{s},{i}\n" for i, s in enumerate(stamps)))
    column = build_profile([frame]).columns["t"]
    assert column.kind == "datetime" and column.numeric is not None
    seconds = pd.to_datetime(pd.Series(stamps[:3]), utc=True, format="mixed")
    assert (column.count, column.missing) == (3, 1)
    assert column.numeric.min == seconds.min().timestamp()
    assert column.numeric.max == seconds.max().timestamp()


@pytest.mark.parametrize("values", [
    ["red", "green", "blue"],  # categories
    ["2024", "2025", "2026"],  # years as text: numbers, not times
    ["20240101", "20240102", "20240103"],  # dates without dashes: numbers too
    ["007", "042", "100"],  # codes
    ["the meeting on 2026-03-01 ran late", "ok", "fine"],  # free text holding a date
    ["2026-03-01", "2026-03-02", "soon"],  # one value is not a time
])
@pytest.mark.parametrize("dtype", ["str", "object"])
def test_other_text_stays_categorical(values: list[str], dtype: str) -> None:
    """Text that is not all ISO times, numbers written as text included, stays categorical."""
    frame = pd.DataFrame({"t": pd.Series([*values, None], dtype=dtype)})
    assert build_profile([frame]).columns["t"].kind == "categorical"
    times = pd.DataFrame({"t": pd.Series(["2026-03-01T08:00:00Z", None], dtype=dtype)})
    assert build_profile([times]).columns["t"].kind == "datetime"


def test_windows_of_other_days_are_compared_as_times() -> None:
    """A window of another day: every time read, none reported as a new category."""
    reference = build_profile([_people(2_000, seed=10, day="2026-03-01")])
    current = build_profile([_people(1_000, seed=11, day="2026-03-09")], reference=reference)
    column = current.columns["seen_at"]
    assert (column.kind, column.count, column.invalid) == ("datetime", 1_000, 0)
    result = compare(reference, current)
    assert not [q for q in result.quality if q.check == "new_category"]
    [seen_at] = [c for c in result.columns if c.column == "seen_at"]
    assert seen_at.method == "ks" and seen_at.drivers == ()
