"""What `monitor init` infers from a sample: column roles and kinds, timing, quality limits."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from monitor.errors import MonitorError
from monitor.rules.inference import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    EXCLUDED,
    FEATURE,
    NUMERIC,
    PREDICTION,
    TARGET,
    TEXT,
    TIMESTAMP,
    choose_quality,
    choose_timing,
    infer_columns,
)
from monitor.times import parse_duration

N = 2_000
RNG = np.random.default_rng(7)
START = pd.Timestamp("2026-11-24T00:00:00Z")


def times(n: int = N, every: str = "1min") -> pd.Series:
    """n timezone-aware times, one every ``every``."""
    return pd.Series(pd.date_range(START, periods=n, freq=every))


def role(frame: pd.DataFrame, column: str, **named: str) -> tuple[str, str, str]:
    """(role, kind, reason) of one column of ``frame``."""
    choice = infer_columns(frame, **named).column(column)
    return choice.role, choice.kind, choice.reason


# --- ids -----------------------------------------------------------------------------------

def test_unique_integers_in_order_are_ids_even_in_a_small_sample() -> None:
    """A row number counting up is an id; 200 unordered unique integers are still numbers."""
    frame = pd.DataFrame({"ts": times(200), "row": np.arange(200),
                          "amount": RNG.permutation(200) * 7 + 1000})
    assert role(frame, "row")[::2] == (EXCLUDED, "id-like: 100% unique values, in order")
    assert role(frame, "amount")[:2] == (FEATURE, NUMERIC)


def test_unique_integers_in_any_order_are_ids_from_a_thousand_rows() -> None:
    """Over 1,000 rows, integers that never repeat are ids whatever their order."""
    frame = pd.DataFrame({"ts": times(), "key": RNG.permutation(N) + 10**9})
    assert role(frame, "key")[::2] == (EXCLUDED, "id-like: 100% unique values")


def test_named_ids_with_many_values_are_excluded_and_with_few_are_categories() -> None:
    """request_id and requestId are left out; a store_id with 12 values is a category."""
    frame = pd.DataFrame({
        "ts": times(),
        "request_id": [f"r{i:08x}" for i in RNG.permutation(N)],
        "customerId": RNG.integers(0, 400, N),
        "store_id": RNG.integers(0, 12, N),
        "paid": RNG.normal(size=N),  # ends in 'id', but is no id
    })
    plan = infer_columns(frame)
    assert plan.named(EXCLUDED) == ["request_id", "customerId"]
    assert plan.column("request_id").reason == "id-like: named like an id, 100% unique values"
    assert plan.column("customerId").reason.startswith("id-like: named like an id, 3")
    store = plan.column("store_id")
    assert (store.role, store.kind) == (FEATURE, CATEGORICAL)
    assert store.reason == "named like an id, but only 12 values: compared as categories"
    assert plan.column("paid").role == FEATURE


def test_unique_strings_are_ids_and_nearly_unique_ones_too_many_categories() -> None:
    """UUID-like text is an id; short text that rarely repeats is left out; codes stay."""
    names = [f"{a} {b}" for a, b in zip(RNG.choice(list("ABCDEFGHIJ"), N),
                                        RNG.integers(0, 2_000, N), strict=True)]
    frame = pd.DataFrame({"ts": times(), "token": [f"{v:032x}" for v in RNG.integers(0, 2**62, N)],
                          "person": names, "plan": RNG.choice(["free", "pro", "team"], N)})
    plan = infer_columns(frame)
    assert plan.column("token").reason == "id-like: 100% unique values"
    assert plan.column("person").role == EXCLUDED
    assert "too many to compare as categories" in plan.column("person").reason
    assert (plan.column("plan").role, plan.column("plan").kind) == (FEATURE, CATEGORICAL)


# --- timestamps ----------------------------------------------------------------------------

def test_a_datetime_column_is_the_timestamp() -> None:
    """A column of times dates the rows; naive times too."""
    frame = pd.DataFrame({"when": times().dt.tz_localize(None), "x": RNG.normal(size=N)})
    plan = infer_columns(frame)
    assert plan.timestamp == "when"
    assert plan.column("when").reason == "a time column"


def test_iso_text_is_a_timestamp_and_a_year_or_epoch_is_not() -> None:
    """ISO-8601 text reads as times; '2026' (a year) and epoch seconds do not."""
    frame = pd.DataFrame({
        "year": ["2026"] * N,
        "ts": (1_700_000_000 + np.arange(N) * 60),
        "logged": times().dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
    })
    plan = infer_columns(frame)
    assert plan.timestamp == "logged"
    assert plan.column("logged").reason == "text that reads as times"
    assert plan.column("year").kind == CATEGORICAL
    assert any("'ts' is named like a time but holds numbers" in note for note in plan.notes)


def test_among_several_times_the_log_time_wins_and_the_others_are_left_out() -> None:
    """logged_at beats shipped_at and a date; the other times would always drift."""
    frame = pd.DataFrame({
        "shipped_at": times() + pd.Timedelta(days=2),
        "birth": times().dt.strftime("%Y-%m-%d"),
        "logged_at": times().dt.strftime("%Y-%m-%d %H:%M:%S"),
    })
    plan = infer_columns(frame)
    assert plan.timestamp == "logged_at"
    assert plan.column("logged_at").reason == ("text that reads as times, named like a log "
                                               "time; preferred to shipped_at, birth")
    for other in ("shipped_at", "birth"):
        choice = plan.column(other)
        assert (choice.role, choice.kind) == (EXCLUDED, DATETIME)
        assert "would always drift" in choice.reason


def test_the_named_timestamp_wins_and_must_hold_times() -> None:
    """--timestamp picks any column of times; a column of text or numbers is refused."""
    frame = pd.DataFrame({"logged_at": times(), "shipped_at": times(), "city": ["a"] * N,
                          "n": np.arange(N)})
    plan = infer_columns(frame, timestamp="shipped_at")
    assert (plan.timestamp, plan.column("shipped_at").reason) == (
        "shipped_at", "named with --timestamp")
    assert plan.column("logged_at").role == EXCLUDED
    with pytest.raises(MonitorError, match=r"--timestamp column 'city' holds no times: 0% .*"
                                           r"such as 'a'"):
        infer_columns(frame, timestamp="city")
    with pytest.raises(MonitorError, match="--timestamp column 'n' holds no times"):
        infer_columns(frame, timestamp="n")


def test_text_times_are_refused_where_the_source_needs_a_time_type() -> None:
    """A database other than SQLite needs a time type: text times are neither found nor named."""
    frame = pd.DataFrame({"logged_at": times().dt.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert infer_columns(frame, text_times=False).timestamp is None
    with pytest.raises(MonitorError, match="is text, not a time type"):
        infer_columns(frame, timestamp="logged_at", text_times=False)


def test_no_timestamp_is_none_not_a_guess() -> None:
    """Data without times has no timestamp: the command refuses, it does not guess."""
    plan = infer_columns(pd.DataFrame({"x": RNG.normal(size=N)}))
    assert plan.timestamp is None and plan.named(TIMESTAMP) == []


# --- prediction and target -----------------------------------------------------------------

def test_prediction_and_target_are_found_by_their_exact_common_names() -> None:
    """score and y_true are roles; credit_score and probation are features."""
    frame = pd.DataFrame({"ts": times(), "score": RNG.random(N), "y_true": RNG.integers(0, 2, N),
                          "credit_score": RNG.normal(600, 50, N),
                          "probation": RNG.integers(0, 2, N)})
    plan = infer_columns(frame)
    assert (plan.named(PREDICTION), plan.named(TARGET)) == (["score"], ["y_true"])
    assert plan.column("score").reason == "named like a model's prediction"
    assert plan.column("score").kind == NUMERIC
    assert plan.column("credit_score").role == FEATURE
    assert plan.column("probation").role == FEATURE


def test_probability_columns_are_predictions_after_the_exact_names() -> None:
    """proba_1 is a prediction when no column is called prediction, score or the like."""
    frame = pd.DataFrame({"ts": times(), "proba_1": RNG.random(N), "x": RNG.random(N)})
    assert infer_columns(frame).prediction == "proba_1"
    frame["prediction"] = RNG.random(N)
    assert infer_columns(frame).prediction == "prediction"


def test_labels_must_be_numbers_booleans_or_yes_no_words() -> None:
    """'label' holding yes/no is the target; holding class names it is not, with a note."""
    words = pd.DataFrame({"ts": times(), "label": RNG.choice(["yes", "no"], N)})
    assert infer_columns(words).target == "label"
    names = pd.DataFrame({"ts": times(), "label": RNG.choice(["cat", "dog", "bird"], N)})
    plan = infer_columns(names)
    assert plan.target is None and plan.column("label").role == FEATURE
    assert "'label' is named like labels but holds text" in plan.notes[0]


def test_named_prediction_and_target_win_over_names_and_ids() -> None:
    """--prediction and --target take any fitting column, even one that looks like an id."""
    frame = pd.DataFrame({"ts": times(), "score": RNG.random(N), "p": RNG.random(N),
                          "defaulted": RNG.integers(0, 2, N)})
    plan = infer_columns(frame, prediction="p", target="defaulted")
    assert (plan.prediction, plan.target) == ("p", "defaulted")
    assert plan.column("score").role == FEATURE
    assert plan.column("defaulted").reason.startswith("named with --target")


def test_named_columns_must_exist_hold_the_right_values_and_differ() -> None:
    """Unknown names get a suggestion; text is no prediction; one column, one role."""
    frame = pd.DataFrame({"ts": times(), "score": RNG.random(N), "city": ["a"] * N,
                          "text": ["a long comment, with words in it"] * N})
    with pytest.raises(MonitorError, match=r"--target column 'Score' is not in the data "
                                           r"\(did you mean 'score'\?\); its columns: ts, score"):
        infer_columns(frame, target="Score")
    with pytest.raises(MonitorError, match="--prediction column 'city' holds text values"):
        infer_columns(frame, prediction="city")
    with pytest.raises(MonitorError, match="--target column 'text' holds text values"):
        infer_columns(frame, target="text")
    with pytest.raises(MonitorError, match="--prediction and --target both name 'score'"):
        infer_columns(frame, prediction="score", target="score")


# --- kinds ---------------------------------------------------------------------------------

def test_low_cardinality_whole_numbers_are_categories() -> None:
    """Ten values or fewer (floats such as 3.0, with gaps, too) are categories; eleven are not."""
    rating = RNG.integers(1, 6, N).astype(float)
    rating[:100] = np.nan
    frame = pd.DataFrame({"ts": times(), "rating": rating, "ten": RNG.integers(0, 10, N),
                          "eleven": np.arange(N) % 11, "ratio": RNG.random(N).round(1)})
    plan = infer_columns(frame)
    assert plan.named(FEATURE, CATEGORICAL) == ["rating", "ten"]
    assert plan.column("rating").reason == ("whole numbers, only 5 values: compared as "
                                            "categories")
    assert plan.column("rating").missing_share == pytest.approx(0.05)
    assert plan.named(FEATURE, NUMERIC) == ["eleven", "ratio"]


def test_booleans_text_and_categories() -> None:
    """True/False is boolean; long varied sentences are text; short labels are categories."""
    sentences = [f"the parcel number {i} came late and the box was torn" for i in range(N)]
    frame = pd.DataFrame({"ts": times(), "flag": RNG.random(N) < 0.3, "comment": sentences,
                          "tier": RNG.choice(["Small business", "Large business"], N)})
    plan = infer_columns(frame)
    assert plan.column("flag").kind == BOOLEAN
    comment = plan.column("comment")
    assert (comment.role, comment.kind) == (FEATURE, TEXT)
    assert comment.reason.startswith("free text (about 5")
    assert plan.column("tier").kind == CATEGORICAL


def test_empty_columns_and_columns_excluded_by_the_caller_are_left_out() -> None:
    """A column without values cannot be profiled; a partition key is not data."""
    frame = pd.DataFrame({"ts": times(), "nothing": [None] * N, "date": ["2026-11-24"] * N,
                          "x": RNG.normal(size=N)})
    plan = infer_columns(frame, excluded={"date": "a partition key"})
    assert plan.column("nothing").reason == "every value is missing in the sample"
    assert plan.column("date").reason == "a partition key"
    assert plan.named(EXCLUDED) == ["nothing", "date"]


def test_a_sample_without_rows_or_with_twin_columns_is_refused() -> None:
    """No rows, no draft; two columns of one name cannot be told apart."""
    with pytest.raises(MonitorError, match="holds no rows"):
        infer_columns(pd.DataFrame({"ts": pd.Series([], dtype="datetime64[ns]")}))
    twins = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(MonitorError, match="columns of the same name: a"):
        infer_columns(twins)


# --- timing --------------------------------------------------------------------------------

@pytest.mark.parametrize(("every", "window", "schedule", "delay"), [
    ("100ms", "15m", "5m", "5m"),      # 9,000 rows in 15 minutes
    ("2400ms", "1h", "15m", "5m"),     # 1,500 rows an hour
    ("1min", "1d", "1h", "1h"),        # 1,440 rows a day
    ("5min", "7d", "6h", "6h"),        # 2,016 rows a week
])
def test_the_window_is_the_shortest_holding_a_thousand_rows(
    every: str, window: str, schedule: str, delay: str
) -> None:
    """Denser data gets shorter windows; schedule and delay follow the window."""
    timing = choose_timing(times(3_000, every))
    assert (timing.window, timing.every, timing.delay) == tuple(
        parse_duration(v) for v in (window, schedule, delay))
    assert timing.rows_per_window is not None and timing.rows_per_window >= 1_000
    assert "the shortest window with 1,000 rows or more" in timing.reason


def test_sparse_data_gets_the_longest_window_and_says_so() -> None:
    """Ten rows a day fill no window to 1,000 rows: 7d, and the reason warns."""
    timing = choose_timing(times(50, "144min").dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert timing.window == timedelta(days=7)
    assert timing.rows_per_window == pytest.approx(70)
    assert "only large shifts will show" in timing.reason
    assert timing.first == START.to_pydatetime()


def test_times_that_show_no_rate_give_an_hour() -> None:
    """One distinct time tells no rate: 1h to start with, and no rows per window."""
    timing = choose_timing(pd.Series([START] * 10))
    assert (timing.window, timing.rows_per_window, timing.timed_rows) == (
        timedelta(hours=1), None, 10)


# --- quality -------------------------------------------------------------------------------

def test_quality_limits_leave_room_for_what_the_sample_holds() -> None:
    """Missing values and one-off categories set limits the sample itself passes."""
    city = RNG.choice(["a", "b", "c"], N).astype(object)
    city[:40] = [f"rare{i}" for i in range(40)]  # 2% of rows hold a value seen once
    income = RNG.normal(size=N)
    income[:200] = np.nan  # 10% missing
    frame = pd.DataFrame({"ts": times(N, "2400ms"), "city": city, "income": income,
                          "label": RNG.integers(0, 2, N)})
    plan = infer_columns(frame)
    quality = choose_quality(plan, choose_timing(frame["ts"]))
    assert quality.missing_share == pytest.approx(0.16)  # 1.5 × 10% + 1%
    assert "income, 10.0%" in quality.missing_reason
    assert quality.new_category_share == pytest.approx(0.04)
    assert quality.new_category_reason.startswith("2.0% of city occur once")
    assert quality.min_rows == 375


def test_clean_data_gets_the_default_limits() -> None:
    """No missing value, no one-off category: 5% and 0; sparse data still gets a min_rows."""
    frame = pd.DataFrame({"ts": times(50, "144min"), "c": ["a", "b"] * 25,
                          "label": [0, 1] * 25})
    quality = choose_quality(infer_columns(frame), choose_timing(frame["ts"]))
    assert (quality.missing_share, quality.new_category_share) == (0.05, 0.0)
    assert quality.min_rows == 18  # a quarter of the 70 rows a week holds
