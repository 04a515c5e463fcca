"""The retrain verdict: each rule of the policy, ``since``, the reasons' numbers, and properties."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.analysis.verdict import VERDICT_LEVELS, VERDICTS, Verdict, WindowSignals, decide
from monitor.rules.retrain import RetrainSpec

T0 = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)
NOW = T0 + 30 * 24 * HOUR
OLD = T0 - timedelta(days=60)  # a reference well past min_age
AUC = RetrainSpec(floors={"roc_auc": 0.85})


def window(i: int, *, rows: int = 1000, estimated: Mapping[str, Any] | None = None,
           realized: Mapping[str, float] | None = None,
           drifted: Mapping[str, float | None] | None = None,
           failed: tuple[str, ...] = ()) -> WindowSignals:
    """Window ``i`` (hour i after T0); a bare number as an estimate has no band."""
    bands = {k: v if isinstance(v, tuple) else (v, None, None)
             for k, v in (estimated or {}).items()}
    return WindowSignals(start=T0 + i * HOUR, end=T0 + (i + 1) * HOUR, rows=rows,
                         estimated=bands, realized=realized or {}, drifted=drifted or {},
                         quality_failed=failed)


def estimates(*values: float, metric: str = "roc_auc") -> list[WindowSignals]:
    return [window(i, estimated={metric: v}) for i, v in enumerate(values)]


def realized(*values: float | None, metric: str = "roc_auc") -> list[WindowSignals]:
    return [window(i, realized={} if v is None else {metric: v}) for i, v in enumerate(values)]


def judge(history: list[WindowSignals], policy: RetrainSpec = AUC,
          built: datetime | None = OLD) -> Verdict:
    return decide(policy, history, reference_built=built, now=NOW)


def test_levels_match_the_verdicts() -> None:
    assert list(VERDICT_LEVELS) == list(VERDICTS)
    assert [VERDICT_LEVELS[v] for v in VERDICTS] == [0.0, 1.0, 2.0]


def test_no_history_is_ok_with_nothing_to_judge() -> None:
    verdict = judge([])
    assert verdict.verdict == "ok" and verdict.since is None
    assert "no window with at least 500 rows" in verdict.reasons[0]


def test_the_ok_verdict_says_why() -> None:
    verdict = judge(estimates(0.91, 0.9, 0.91))
    assert verdict.verdict == "ok"
    assert "; ".join(verdict.reasons) == ("estimated roc_auc 0.91, above the 0.85 floor; "
                                           "no persistent drift; data quality fine")
    assert verdict.since == T0


def test_estimated_below_the_floor_in_persistence_windows_is_retrain() -> None:
    verdict = judge(estimates(0.9, 0.83, 0.84, 0.82, 0.81, 0.81))
    assert verdict.verdict == "retrain"
    assert verdict.reasons[0] == ("estimated roc_auc 0.81, below the 0.85 floor in 5 of the "
                                  "last 6 windows")


def test_estimated_below_in_fewer_windows_is_watch() -> None:
    verdict = judge(estimates(0.9, 0.9, 0.9, 0.84, 0.83, 0.84))
    assert verdict.verdict == "watch"
    assert "in 3 of the last 6 windows" in verdict.reasons[0]


def test_one_window_below_then_recovered_is_watch_with_worst_and_now() -> None:
    verdict = judge(estimates(0.9, 0.8, 0.9, 0.92))
    assert verdict.verdict == "watch"
    assert verdict.reasons[0] == ("estimated roc_auc below the 0.85 floor in 1 of the last 4 "
                                  "windows (worst 0.8, now 0.92)")


def test_the_band_counts_certain_windows() -> None:
    bands = [(0.84, 0.80, 0.88), (0.83, 0.81, 0.84), (0.82, 0.80, 0.84), (0.81, 0.78, 0.84)]
    verdict = judge([window(i, estimated={"roc_auc": b}) for i, b in enumerate(bands)])
    assert verdict.verdict == "retrain"
    assert verdict.reasons[0] == ("estimated roc_auc 0.81 (band 0.78 to 0.84), below the 0.85 "
                                  "floor in 4 of the last 4 windows, the whole band in 3")
    shown = verdict.evidence["metrics"]["roc_auc"]["estimated"][-1]
    assert shown == {"start": "2026-11-20T03:00:00Z", "value": 0.81, "lower": 0.78,
                     "upper": 0.84}


def test_realized_below_the_floor_in_persistence_windows_is_retrain() -> None:
    verdict = judge(realized(0.9, 0.8, 0.79, None, 0.8, 0.79))
    assert verdict.verdict == "retrain"
    assert verdict.reasons[0] == ("realized roc_auc 0.79, below the 0.85 floor in 4 of the 5 "
                                  "labelled windows among the last 6")


def test_two_labelled_windows_both_below_is_retrain() -> None:
    verdict = judge(realized(None, None, None, 0.8, None, 0.79))
    assert verdict.verdict == "retrain"
    assert verdict.reasons[0] == ("realized roc_auc 0.79, below the 0.85 floor on the 2 "
                                  "windows labelled so far")


def test_few_labelled_windows_must_all_be_below() -> None:
    assert judge(realized(None, None, None, 0.9, None, 0.79)).verdict == "watch"
    assert judge(realized(None, None, 0.8, 0.9, None, 0.79)).verdict == "watch"
    assert judge(realized(None, None, 0.8, 0.8, None, 0.79)).verdict == "retrain"


def test_one_labelled_window_below_is_only_watch() -> None:
    verdict = judge(realized(None, None, None, None, None, 0.7))
    assert verdict.verdict == "watch"
    assert "realized roc_auc below the 0.85 floor in 1 of the 1 labelled windows" in (
        verdict.reasons[0])


def test_realized_fine_overrules_a_persistent_estimate() -> None:
    history = [window(i, estimated={"roc_auc": 0.8}, realized={"roc_auc": 0.9} if i >= 4 else {})
               for i in range(6)]
    verdict = judge(history)
    assert verdict.verdict == "watch"
    assert verdict.reasons[0] == ("estimated roc_auc 0.8, below the 0.85 floor in 6 of the last "
                                  "6 windows, but realized roc_auc says fine (0.9 on the 2 "
                                  "windows labelled since)")


def test_realized_below_confirms_a_persistent_estimate() -> None:
    history = [window(i, estimated={"roc_auc": 0.8}, realized={"roc_auc": 0.9 if i == 4 else 0.8}
                      if i >= 4 else {}) for i in range(6)]
    assert judge(history).verdict == "retrain"


def test_realized_outranks_a_good_estimate() -> None:
    history = [window(i, estimated={"roc_auc": 0.95}, realized={"roc_auc": 0.7})
               for i in range(4)]
    verdict = judge(history)
    assert verdict.verdict == "retrain" and verdict.reasons[0].startswith("realized roc_auc 0.7")


def test_a_ceiling_metric_is_beyond_when_above() -> None:
    policy = RetrainSpec(floors={"mae": 2.0})
    verdict = judge(estimates(2.5, 2.6, 2.4, 2.7, metric="mae"), policy)
    assert verdict.verdict == "retrain"
    assert verdict.reasons[0] == "estimated mae 2.7, above the 2 ceiling in 4 of the last 4 windows"
    fine = judge(estimates(1.5, 1.6, metric="mae"), policy)
    assert fine.verdict == "ok" and fine.reasons[0] == "estimated mae 1.6, below the 2 ceiling"
    assert fine.evidence["metrics"]["mae"]["direction"] == "ceiling"


def test_without_floors_metrics_do_not_weigh() -> None:
    verdict = judge(estimates(0.1, 0.1, 0.1, 0.1), RetrainSpec())
    assert verdict.verdict == "ok"
    assert verdict.reasons[0] == "no performance floors set"
    assert verdict.evidence["metrics"]["roc_auc"]["bound"] is None


def test_a_floored_metric_never_seen_is_said() -> None:
    verdict = judge([window(i) for i in range(3)])
    assert verdict.verdict == "ok"
    assert verdict.reasons[0] == "no roc_auc estimated or measured in the last 3 windows"


def test_windows_below_min_rows_are_not_evidence() -> None:
    small = [window(i, rows=499, estimated={"roc_auc": 0.5}) for i in range(6)]
    verdict = judge(small)
    assert verdict.verdict == "ok" and verdict.evidence["windows"]["too_small"] == 6
    mixed = [*small, window(6, estimated={"roc_auc": 0.9})]
    assert judge(mixed).verdict == "ok"
    assert judge(mixed, AUC.model_copy(update={"min_rows": 400})).verdict == "retrain"


def test_only_the_last_windows_count() -> None:
    history = estimates(0.8, 0.8, 0.8, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9)
    assert judge(history).verdict == "ok"
    assert judge(history, AUC.model_copy(update={"windows": 10})).verdict == "retrain"


def drifting(columns: Mapping[str, float], n: int, *, fine_auc: bool = True,
             first: int = 0) -> list[WindowSignals]:
    return [window(first + i, drifted=columns,
                   estimated={"roc_auc": 0.9} if fine_auc else None) for i in range(n)]


def test_important_features_drifting_persistently_is_watch() -> None:
    policy = AUC.model_copy(update={"important": ["income", "age"]})
    history = [window(0, estimated={"roc_auc": 0.9}),
               *drifting({"income": 0.7, "age": 0.6}, 3, first=1)]
    verdict = judge(history, policy)
    assert verdict.verdict == "watch"
    assert ("important features income (effect 0.7) and age (effect 0.6) drifted with large "
            "effect (>= 0.5) since 2026-11-20T01:00:00Z") in verdict.reasons
    assert verdict.evidence["drifted"]["income"] == {
        "effect": 0.7, "since": "2026-11-20T01:00:00Z", "windows": 3, "large": True,
        "important": True}
    assert verdict.since == T0 + HOUR * 3  # watch from the third drifting window on


def test_important_drift_without_performance_signal_is_retrain() -> None:
    for policy in (RetrainSpec(important=["income"]), AUC.model_copy(update={"important":
                                                                                ["income"]})):
        verdict = judge(drifting({"income": 0.7}, 3, fine_auc=False), policy)
        assert verdict.verdict == "retrain"
        assert "and no model metric to judge the model by" in verdict.reasons[-2]


def test_drift_must_be_consecutive_and_large() -> None:
    policy = RetrainSpec(important=["income"])
    gap = [window(0, drifted={"income": 0.9}), window(1),
           window(2, drifted={"income": 0.9}), window(3, drifted={"income": 0.9})]
    assert judge(gap, policy).verdict == "ok"
    small = drifting({"income": 0.3}, 5, fine_auc=False)
    assert judge(small, policy).verdict == "ok"
    assert judge(small, policy.model_copy(update={"large_effect": 0.25})).verdict == "retrain"
    unknown = drifting({"income": None}, 5, fine_auc=False)  # type: ignore[dict-item]
    assert judge(unknown, policy).verdict == "ok"


def test_other_columns_drifting_are_watch_at_most() -> None:
    verdict = judge(drifting({"zip": 0.9, "state": 0.8}, 6, fine_auc=False), RetrainSpec())
    assert verdict.verdict == "watch"
    assert ("columns zip (effect 0.9) and state (effect 0.8) drifted with large effect (>= 0.5) "
            "since 2026-11-20T00:00:00Z") in verdict.reasons


def test_failed_quality_checks_are_watch_and_say_fix_the_data() -> None:
    history = [window(0, estimated={"roc_auc": 0.9}),
               window(1, estimated={"roc_auc": 0.9}, failed=("missing_share:age", "range:income"))]
    verdict = judge(history)
    assert verdict.verdict == "watch"
    assert verdict.reasons[-1] == ("2 quality checks failed in the newest window "
                                   "(missing_share:age, range:income): fix the data before "
                                   "retraining on it")
    assert verdict.evidence["quality_failed"] == ["missing_share:age", "range:income"]
    assert judge(estimates(0.9, 0.9)).reasons[-1] == "data quality fine"


def test_failed_quality_keeps_retrain_with_the_reason() -> None:
    history = estimates(0.8, 0.8, 0.8, 0.8)
    history[-1] = window(3, estimated={"roc_auc": 0.8}, failed=("min_rows",))
    verdict = judge(history)
    assert verdict.verdict == "retrain"
    assert "fix the data before retraining" in verdict.reasons[-1]


def test_a_young_reference_holds_retrain_to_watch() -> None:
    history = estimates(0.8, 0.8, 0.8, 0.8)
    verdict = judge(history, built=NOW - timedelta(days=2))
    assert verdict.verdict == "watch"
    assert verdict.reasons[-1] == ("the reference is only 2d old, younger than min_age 7d: "
                                   "retrain held back to watch")
    assert judge(history, built=NOW - timedelta(days=8)).verdict == "retrain"
    assert judge(history, built=None).verdict == "retrain"
    no_hold = AUC.model_copy(update={"min_age": timedelta(0)})
    assert judge(history, no_hold, built=NOW - timedelta(days=2)).verdict == "retrain"


def test_since_is_where_the_verdict_last_changed() -> None:
    policy = AUC.model_copy(update={"windows": 3, "persistence": 2})
    history = realized(0.9, 0.9, 0.9, 0.8, 0.8, 0.8)
    verdict = judge(history, policy)
    assert verdict.verdict == "retrain"
    assert verdict.since == history[4].start  # watch at the first 0.8, retrain from the second
    assert judge(history[:4], policy).since == history[3].start
    assert judge(history[:3], policy).since == history[0].start


def test_to_dict_is_the_advise_shape() -> None:
    verdict = judge(estimates(0.91))
    assert verdict.to_dict("credit") == {
        "monitor": "credit", "verdict": "ok", "reasons": list(verdict.reasons),
        "since": "2026-11-20T00:00:00Z", "evidence": dict(verdict.evidence)}
    assert verdict.to_dict("credit", "state=CA")["segment"] == "state=CA"
    assert judge([]).to_dict("credit")["since"] is None


def test_reasons_never_hold_the_note_separator() -> None:
    verdict = judge([window(0, failed=("condition:a; b",))])
    assert all("; " not in reason for reason in verdict.reasons)


@pytest.mark.parametrize("floor", [0.85, 0.6])
def test_evidence_is_json_ready(floor: float) -> None:
    import json

    policy = AUC.model_copy(update={"floors": {"roc_auc": floor}, "important": ["x"]})
    history = [window(i, estimated={"roc_auc": (0.8, 0.7, 0.9)}, realized={"roc_auc": 0.8},
                      drifted={"x": 0.9, "y": None}) for i in range(4)]
    document = json.loads(json.dumps(judge(history, policy).evidence))
    assert document["windows"]["considered"] == 4
    assert document["drifted"]["y"]["effect"] is None
    assert document["metrics"]["roc_auc"]["realized"][0] == {"start": "2026-11-20T00:00:00Z",
                                                             "value": 0.8}


# -- properties ---------------------------------------------------------------

_effects = st.one_of(st.none(), st.floats(0, 3))
_windows = st.builds(
    lambda rows, est, real, drift, failed: (rows, est, real, drift, failed),
    st.integers(0, 2000), st.none() | st.floats(0.85, 1.0), st.none() | st.floats(0.85, 1.0),
    st.dictionaries(st.sampled_from(["a", "b", "c"]), _effects, max_size=3),
    st.lists(st.sampled_from(["missing_share:a", "range:b"]), max_size=2))


def _history(raw: list[tuple[Any, ...]]) -> list[WindowSignals]:
    return [window(i, rows=rows, estimated=None if est is None else {"roc_auc": est},
                   realized=None if real is None else {"roc_auc": real}, drifted=drift,
                   failed=tuple(failed))
            for i, (rows, est, real, drift, failed) in enumerate(raw)]


@settings(max_examples=300, deadline=None)
@given(st.lists(_windows, max_size=12), st.integers(1, 6))
def test_no_evidence_never_gives_retrain(raw: list[tuple[Any, ...]], persistence: int) -> None:
    """Metrics within their floor and no important feature: whatever drifts, never retrain."""
    policy = AUC.model_copy(update={"persistence": persistence})
    verdict = judge(_history(raw), policy)
    assert verdict.verdict != "retrain"
    if all(not drift and not failed for *_, drift, failed in raw):
        assert verdict.verdict == "ok"


@settings(max_examples=200, deadline=None)
@given(st.lists(_windows, min_size=1, max_size=12))
def test_since_starts_a_window_and_prefixes_agree(raw: list[tuple[Any, ...]]) -> None:
    """``since`` is a window's start, and every prefix from there gives the same verdict."""
    policy = RetrainSpec(floors={"roc_auc": 0.9}, important=["a"], windows=4, persistence=2,
                         drift_persistence=2, min_rows=100)
    history = _history(raw)
    verdict = judge(history, policy)
    starts = [w.start for w in history]
    assert verdict.since in starts
    first = starts.index(verdict.since)
    assert all(judge(history[:k], policy).verdict == verdict.verdict
               for k in range(first + 1, len(history) + 1))
    if first > 0:
        assert judge(history[:first], policy).verdict != verdict.verdict
