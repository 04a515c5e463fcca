"""The local check engine: each check kind against counts computed here with pandas and numpy,
the same results whatever the chunking, samples, missing values, statistics and the schema."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.checks.local import CheckAccumulator
from monitor.checks.plan import (
    FORMATS,
    CheckPlan,
    Column,
    ColumnCheck,
    Compare,
    ConditionCheck,
    DuplicateCheck,
    Literal,
    QualityResult,
    SchemaCheck,
    SqlCheck,
    Tolerance,
)
from monitor.errors import ProfileError

N = 3000


def loans(n: int = N, seed: int = 0) -> pd.DataFrame:
    """Loans with missing, configured-missing, unreadable and out-of-range values."""
    rng = np.random.default_rng(seed)
    age = rng.integers(10, 100, n).astype(float)
    age[rng.random(n) < 0.05] = np.nan
    age[rng.random(n) < 0.03] = -1
    amount = rng.lognormal(8, 1, n).astype(object)
    amount[rng.random(n) < 0.02] = "lots"
    amount[rng.random(n) < 0.02] = None
    emails = np.array([f"user{i % 2000}@example.com" for i in range(n)], dtype=object)
    emails[rng.random(n) < 0.05] = "not an email"
    emails[rng.random(n) < 0.03] = "N/A"
    applied = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 86400 * 60, n),
                                                           unit="s")
    approved = applied + pd.to_timedelta(rng.integers(-86400, 86400 * 10, n), unit="s")
    approved = pd.Series(approved).where(rng.random(n) > 0.05)
    return pd.DataFrame({
        "loan_id": rng.integers(0, n * 4, n),
        "age": age,
        "amount": amount,
        "status": rng.choice(np.array(["open", "closed", "late", "odd", None], dtype=object), n),
        "email": emails,
        "applied": applied,
        "approved": approved,
        "flag": rng.random(n) < 0.7,
        "code": rng.choice(["AB-12", "XY-99", "bad", "A1"], n),
    })


PLAN = CheckPlan(
    columns=(
        ColumnCheck("missing", "age", Tolerance(max_share=0.2)),
        ColumnCheck("range", "age", minimum=18, maximum=90),
        ColumnCheck("range", "amount", minimum=100, maximum=50_000),
        ColumnCheck("range", "applied", minimum="2024-01-15", maximum="2024-02-15T12:00:00"),
        ColumnCheck("allowed", "status", Tolerance(max_rows=10_000),
                    values=("open", "closed", "late")),
        ColumnCheck("allowed", "flag", values=(True,)),
        ColumnCheck("pattern", "code", regex=r"^[A-Z]{2}-[0-9]{2}$"),
        ColumnCheck("format", "email", format="email", regex=FORMATS["email"]),
        ColumnCheck("length", "email", minimum=5, maximum=18),
        ColumnCheck("unique", "loan_id"),
        ColumnCheck("unique", "email"),
        ColumnCheck("type", "amount", kind_of="numeric"),
        ColumnCheck("mean", "age", minimum=0, maximum=100),
        ColumnCheck("stddev", "age", maximum=5),
        ColumnCheck("quantile", "amount", quantile=0.9, maximum=1e9),
    ),
    conditions=(ConditionCheck("approved_after", Compare(
        (Column("approved"), Column("applied")), (">=",)), "approved >= applied"),),
    duplicates=(DuplicateCheck(("status", "flag")),),
    schema=SchemaCheck(required=("loan_id", "age")),
    sql=(SqlCheck("rows", "select 1"),),
    missing_values={"age": (-1,), "email": ("N/A",)},
)


def run(plan: CheckPlan, frame: pd.DataFrame, chunk: int | None = None,
        kinds: dict[str, str] | None = None) -> list[QualityResult]:
    accumulator = CheckAccumulator(plan, kinds or {})
    size = chunk or max(len(frame), 1)
    for start in range(0, len(frame), size):
        accumulator.update(frame.iloc[start:start + size])
    return accumulator.results()


def test_row_checks_match_pandas_counts() -> None:
    frame = loans()
    results = run(PLAN, frame)
    got = {(r.check, r.column or r.name): r for r in results}
    age = frame["age"]
    age_present = age.notna() & (age != -1)
    amount = pd.to_numeric(frame["amount"], errors="coerce")
    amount_present = frame["amount"].notna()
    emails = frame["email"]
    email_present = emails.notna() & (emails != "N/A")
    expected = {
        ("missing", "age"): (int((~age_present).sum()), len(frame)),
        ("range", "age"): (int((age_present & ((age < 18) | (age > 90))).sum()),
                           int(age_present.sum())),
        ("range", "amount"): (int((amount_present & ~amount.between(100, 50_000)).sum()),
                              int(amount_present.sum())),
        ("range", "applied"): (int((~frame["applied"].between(
            pd.Timestamp("2024-01-15"), pd.Timestamp("2024-02-15T12:00:00"))).sum()), len(frame)),
        ("allowed", "status"): (int((frame["status"].notna() & ~frame["status"].isin(
            ["open", "closed", "late"])).sum()), int(frame["status"].notna().sum())),
        ("allowed", "flag"): (int((~frame["flag"]).sum()), len(frame)),
        ("pattern", "code"): (sum(re.search(r"^[A-Z]{2}-[0-9]{2}$", c) is None
                                  for c in frame["code"]), len(frame)),
        ("format", "email"): (sum(re.search(FORMATS["email"], e) is None
                                  for e in emails[email_present]), int(email_present.sum())),
        ("length", "email"): (int((~emails[email_present].str.len().between(5, 18)).sum()),
                              int(email_present.sum())),
        ("unique", "loan_id"): (int(frame["loan_id"].duplicated().sum()), len(frame)),
        ("unique", "email"): (int(emails[email_present].duplicated().sum()),
                              int(email_present.sum())),
        ("type", "amount"): (int((amount_present & amount.isna()).sum()),
                             int(amount_present.sum())),
        ("condition", "approved_after"): (int((frame["approved"] < frame["applied"]).sum()),
                                          len(frame)),
        ("duplicates", "status,flag"): (int(frame.duplicated(["status", "flag"]).sum()),
                                        len(frame)),
    }
    for key, (failing, considered) in expected.items():
        result = got[key]
        assert failing > 0, key  # the data exercises every check
        assert result.failing_rows == failing, key
        assert result.value == pytest.approx(failing / considered), key
    assert got["missing", "age"].passed == (expected["missing", "age"][0] / N <= 0.2)
    assert got["allowed", "status"].passed and got["allowed", "status"].unit == "rows"
    assert got["allowed", "status"].threshold == 10_000.0
    assert not got["range", "age"].passed and got["range", "age"].threshold == 0.0


def test_statistics_match_numpy() -> None:
    frame = loans(20_000, seed=3)
    results = {r.key: r for r in run(PLAN, frame, chunk=1_500)}
    age = frame["age"].to_numpy()
    age = age[~np.isnan(age) & (age != -1)]
    amount = pd.to_numeric(frame["amount"], errors="coerce").dropna().to_numpy(dtype=float)
    mean, stddev = results["age.mean"], results["age.stddev"]
    assert mean.value == pytest.approx(age.mean(), rel=1e-9)
    assert stddev.value == pytest.approx(age.std(ddof=1), rel=1e-9)
    assert results["amount.quantile"].value == pytest.approx(np.quantile(amount, 0.9), rel=1e-12)
    assert mean.passed
    assert mean.bounds == (0.0, 100.0)
    assert not stddev.passed
    assert stddev.threshold is None
    assert stddev.failing_rows is None


def test_a_statistic_with_nothing_to_measure_fails_with_a_note() -> None:
    plan = CheckPlan(columns=(ColumnCheck("mean", "x"), ColumnCheck("stddev", "x")))
    mean, stddev = run(plan, pd.DataFrame({"x": [np.nan, 4.0]}))
    assert mean.value == 4.0 and mean.passed
    assert math.isnan(stddev.value) and not stddev.passed
    assert "fewer than two" in (stddev.note or "")
    (empty,) = run(CheckPlan(columns=(ColumnCheck("mean", "x"),)),
                   pd.DataFrame({"x": ["a", None]}))
    assert math.isnan(empty.value) and not empty.passed and empty.note


@pytest.mark.parametrize(("rows", "chunk"), [(120, 1), (1000, 7), (1000, 250), (1000, 999)])
def test_chunking_does_not_change_results(rows: int, chunk: int) -> None:
    frame = loans(rows, seed=5)
    whole, split = run(PLAN, frame), run(PLAN, frame, chunk=chunk)
    assert len(whole) == len(split)
    for one, other in zip(whole, split, strict=True):
        assert one.key == other.key
        assert one.failing_rows == other.failing_rows and one.passed == other.passed
        assert one.value == pytest.approx(other.value, rel=1e-12, nan_ok=True)
        if one.check not in ("unique", "duplicates"):  # which repeat is seen first may differ
            assert one.samples == other.samples


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.integers(-2, 6), st.sampled_from(["x", "N/A"])),
                       min_size=1, max_size=60),
       cuts=st.lists(st.integers(1, 60), max_size=5))
def test_unique_and_duplicates_are_exact_across_any_split(values: list[object],
                                                          cuts: list[int]) -> None:
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object),
                          "w": pd.Series([i % 3 for i in range(len(values))])})
    plan = CheckPlan(columns=(ColumnCheck("unique", "v"),),
                     duplicates=(DuplicateCheck(("v", "w")),), missing_values={"v": ("N/A",)})
    accumulator = CheckAccumulator(plan, {})
    edges = sorted({0, len(values), *(c for c in cuts if c < len(values))})
    for start, end in itertools.pairwise(edges):
        accumulator.update(frame.iloc[start:end])
    unique, duplicates = accumulator.results()
    present = frame["v"][frame["v"].notna() & (frame["v"] != "N/A")]
    assert unique.failing_rows == int(present.duplicated().sum())
    assert set(unique.samples) <= {str(v) for v in present[present.duplicated()]}
    keyed = frame.assign(v=frame["v"].where(frame["v"] != "N/A", None))
    assert duplicates.failing_rows == int(keyed.duplicated(["v", "w"]).sum())


def test_duplicates_treat_nulls_as_equal_and_render_samples() -> None:
    frame = pd.DataFrame({"loan_id": [7, 7, None, None, 8, 7],
                          "day": ["2024-01-01", "2024-01-01", None, None, "2024-01-01", "x"]})
    (result,) = run(CheckPlan(duplicates=(DuplicateCheck(("loan_id", "day")),)), frame)
    assert result.failing_rows == int(frame.duplicated().sum()) == 2
    assert result.name == "loan_id,day" and result.column is None
    assert set(result.samples) == {"loan_id=7, day=2024-01-01", "loan_id=null, day=null"}


def test_configured_missing_values_apply_to_every_check() -> None:
    frame = pd.DataFrame({"n": [-1.0, 5.0, -1.0, 200.0], "t": ["N/A", "ok", " N/A", "N/A"],
                          "s": ["-1", "3", "x", None]})
    plan = CheckPlan(columns=(
        ColumnCheck("missing", "n"), ColumnCheck("range", "n", minimum=0, maximum=100),
        ColumnCheck("unique", "n"), ColumnCheck("missing", "t"), ColumnCheck("unique", "t"),
        ColumnCheck("missing", "s"), ColumnCheck("type", "s", kind_of="numeric")),
        missing_values={"n": (-1,), "t": ("N/A",), "s": (-1,)})
    got = {r.key: r for r in run(plan, frame, kinds={"s": "numeric"})}
    assert got["n.missing"].failing_rows == 2
    assert got["n.range"].failing_rows == 1 and got["n.range"].samples == ("200",)
    assert got["n.unique"].failing_rows == 0  # the two -1 are missing, not repeated
    assert got["t.missing"].failing_rows == 2  # " N/A" is a value: no stripping
    assert got["t.unique"].failing_rows == 0
    assert got["s.missing"].failing_rows == 2  # "-1" reads as -1 in a numeric column
    assert got["s.type"].failing_rows == 1 and got["s.type"].samples == ("x",)


def test_samples_are_distinct_bounded_and_kept_only_where_allowed() -> None:
    frame = pd.DataFrame({"x": np.arange(100.0), "secret": np.arange(100.0)})
    checks = (ColumnCheck("range", "x", maximum=-1), ColumnCheck("range", "secret", maximum=-1))
    condition = ConditionCheck("neg", Compare((Column("secret"), Literal(0)), ("<",)), "")
    plan = CheckPlan(columns=checks, conditions=(condition,), sensitive=frozenset({"secret"}))
    x, secret, cond = run(plan, pd.concat([frame, frame]), chunk=30)
    assert x.samples == tuple(str(i) for i in range(10))
    assert secret.samples == () and cond.samples == ()
    assert secret.failing_rows == cond.failing_rows == 200
    quiet = CheckPlan(columns=checks, samples=False)
    assert all(r.samples == () for r in run(quiet, frame))


def test_condition_samples_name_the_columns() -> None:
    frame = pd.DataFrame({"approved": ["2024-01-01", "2024-03-01"],
                          "applied": ["2024-02-01", "2024-02-01"]})
    condition = ConditionCheck("after", Compare((Column("approved"), Column("applied")),
                                                (">=",)), "approved >= applied")
    (result,) = run(CheckPlan(conditions=(condition,)), frame,
                    kinds={"approved": "datetime", "applied": "datetime"})
    assert result.failing_rows == 1 and result.name == "after" and result.key == "after"
    assert result.samples == ("approved=2024-01-01, applied=2024-02-01",)


def test_a_condition_on_a_column_the_data_lacks() -> None:
    condition = ConditionCheck("c", Compare((Column("ghost"), Literal(1)), ("<",)), "ghost < 1")
    (result,) = run(CheckPlan(conditions=(condition,)), pd.DataFrame({"x": [1, 2]}))
    assert not result.passed and result.failing_rows is None
    assert result.note == "condition 'c' reads column 'ghost', which the data does not have"


def test_a_condition_comparing_text_with_a_number_is_an_error() -> None:
    condition = ConditionCheck("c", Compare((Column("s"), Literal(1)), ("<",)), "s < 1")
    with pytest.raises(ProfileError, match=r"condition 'c'.*column 's'.*the number 1"):
        run(CheckPlan(conditions=(condition,)), pd.DataFrame({"s": ["a", "b"]}))


def test_columns_absent_from_the_data_or_from_some_chunks() -> None:
    plan = CheckPlan(columns=(ColumnCheck("missing", "x"), ColumnCheck("range", "ghost"),
                              ColumnCheck("mean", "ghost")))
    accumulator = CheckAccumulator(plan, {})
    accumulator.update(pd.DataFrame({"x": [1.0, None]}))
    accumulator.update(pd.DataFrame({"y": [1, 2, 3]}))  # no x: three missing rows
    missing, ghost_range, ghost_mean = accumulator.results()
    assert missing.failing_rows == 4 and missing.value == pytest.approx(4 / 5)
    for result in (ghost_range, ghost_mean):
        assert not result.passed and result.failing_rows is None
        assert result.note == "column 'ghost' is not in the data"
    assert ghost_range.value == 1.0


def test_an_empty_window() -> None:
    results = CheckAccumulator(PLAN, {}).results()
    assert [r.check for r in results] == [c.kind for c in PLAN.columns] + [
        "condition", "duplicates"]  # no schema result, no SQL result
    for result in results:
        if result.check in ("mean", "stddev", "quantile"):
            assert math.isnan(result.value) and not result.passed
        else:
            assert result.value == 0.0 and result.passed and result.failing_rows == 0


def test_schema() -> None:
    frame = pd.DataFrame({"a": [1], "b": [2], "extra": [3]})
    strict = SchemaCheck(required=("a", "z"), optional=("b",), allow_extra=False)
    got = [(r.column, r.passed, r.note) for r in run(CheckPlan(schema=strict), frame)]
    assert got == [("z", False, "required column is missing"),
                   ("extra", False, "column not allowed")]
    (ok,) = run(CheckPlan(schema=SchemaCheck(required=("a",))), frame)
    assert ok.passed and ok.column is None and ok.value == 0.0 and ok.threshold == 0.0


def test_type_uses_the_reference_kind() -> None:
    frame = pd.DataFrame({"when": ["2024-01-01", "later", None], "ok": ["yes", "no", "perhaps"],
                          "n": ["1", "2.5", "three"]})
    plan = CheckPlan(columns=(ColumnCheck("type", "when"), ColumnCheck("type", "ok"),
                              ColumnCheck("type", "n"), ColumnCheck("type", "n",
                                                                    kind_of="text")))
    kinds = {"when": "datetime", "ok": "boolean", "n": "numeric"}
    assert [r.failing_rows for r in run(plan, frame, kinds=kinds)] == [1, 1, 1, 0]


def test_allowed_compares_numbers_as_numbers() -> None:
    frame = pd.DataFrame({"grade": [1, 2, 3, 2, 5], "label": ["1", "2", "x", "3.0", None]})
    plan = CheckPlan(columns=(ColumnCheck("allowed", "grade", values=(1.0, 2)),
                              ColumnCheck("allowed", "label", values=(1, "2"))))
    grade, label = run(plan, frame)
    assert grade.failing_rows == int((~frame["grade"].isin([1, 2])).sum())
    assert label.failing_rows == 2 and set(label.samples) == {"x", "3.0"}


def test_range_counts_infinities_and_unreadable_text() -> None:
    frame = pd.DataFrame({"v": [1.0, np.inf, -np.inf, np.nan, 5.0]})
    bounded = CheckPlan(columns=(ColumnCheck("range", "v", minimum=0, maximum=10),))
    assert run(bounded, frame)[0].failing_rows == 2
    open_top = CheckPlan(columns=(ColumnCheck("range", "v", minimum=0),))
    assert run(open_top, frame)[0].failing_rows == 1


def test_bad_chunks_are_refused() -> None:
    accumulator = CheckAccumulator(PLAN, {})
    with pytest.raises(ProfileError, match="DataFrame"):
        accumulator.update([1, 2])
    with pytest.raises(ProfileError, match="duplicate column names"):
        accumulator.update(pd.DataFrame([[1, 2]], columns=["a", "a"]))


def test_a_bad_regular_expression_or_bound_is_refused() -> None:
    with pytest.raises(ProfileError, match=r"code\.pattern check: '\(' is not a regular"):
        CheckAccumulator(CheckPlan(columns=(ColumnCheck("pattern", "code", regex="("),)), {})
    plan = CheckPlan(columns=(ColumnCheck("range", "t", minimum="someday"),))
    with pytest.raises(ProfileError, match="'someday' is not an ISO time"):
        run(plan, pd.DataFrame({"t": pd.to_datetime(["2024-01-01"])}))
