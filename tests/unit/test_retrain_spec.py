"""The ``retrain:`` block: its defaults and the messages a wrong value gets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from monitor.rules.retrain import LOWER_IS_BETTER, RetrainSpec, is_ceiling


def message(**block: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        RetrainSpec.model_validate(block)
    return "\n".join(str(e["msg"]) for e in caught.value.errors())


def test_defaults() -> None:
    spec = RetrainSpec()
    assert (spec.floors, spec.windows, spec.persistence, spec.drift_persistence) == ({}, 6, 4, 3)
    assert (spec.large_effect, spec.important, spec.min_rows) == (0.5, [], 500)
    assert spec.min_age == timedelta(days=7)


def test_a_full_block_reads_as_written() -> None:
    spec = RetrainSpec.model_validate({
        "floors": {"roc_auc": 0.85, "mae": 3.5, "r2": -0.5}, "windows": 8, "persistence": 8,
        "drift_persistence": 2, "large_effect": 0.3, "important": ["income"], "min_rows": 1,
        "min_age": "1d12h"})
    assert spec.floors == {"roc_auc": 0.85, "mae": 3.5, "r2": -0.5}
    assert spec.min_age == timedelta(days=1, hours=12)
    assert spec.model_dump(mode="json")["min_age"] == "1d12h"


def test_ceilings_are_the_lower_is_better_metrics() -> None:
    assert {"mae", "rmse", "mape", "log_loss", "calibration_error"} == LOWER_IS_BETTER
    assert is_ceiling("rmse") and not is_ceiling("roc_auc") and not is_ceiling("r2")


def test_an_unknown_metric_is_named_with_a_hint_and_the_known_ones() -> None:
    text = message(floors={"roc": 0.8})
    assert "unknown metric 'roc' in floors (did you mean 'roc_auc'?)" in text
    assert "known metrics: accuracy, calibration_error, f1, log_loss, mae, mape, precision, " \
           "r2, recall, rmse, roc_auc" in text


@pytest.mark.parametrize(("floors", "expected"), [
    ({"roc_auc": 1.5}, "the roc_auc floor must lie between 0 and 1, got 1.5"),
    ({"calibration_error": -0.1}, "the calibration_error ceiling must lie between 0 and 1"),
    ({"rmse": -1}, "the rmse ceiling must be at least 0, got -1"),
    ({"r2": 2}, "the r2 floor must be at most 1, got 2"),
])
def test_a_floor_out_of_the_metric_range_is_refused(floors: dict[str, float],
                                                    expected: str) -> None:
    assert expected in message(floors=floors)


def test_a_non_finite_floor_is_refused() -> None:
    assert "finite" in message(floors={"mae": float("inf")})


def test_persistence_must_fit_in_the_windows() -> None:
    assert ("persistence (7) must not exceed windows (6): the verdict looks at the last 6 "
            "windows only") in message(persistence=7)
    assert "drift_persistence (4) must not exceed windows (3)" in message(
        windows=3, persistence=2, drift_persistence=4)


@pytest.mark.parametrize("key", ["windows", "persistence", "drift_persistence", "min_rows"])
def test_counts_are_at_least_one(key: str) -> None:
    assert "greater than or equal to 1" in message(**{key: 0})


def test_large_effect_is_positive_and_min_age_a_duration() -> None:
    assert "greater than 0" in message(large_effect=0)
    assert "invalid duration" in message(min_age=7)
    assert "Extra inputs are not permitted" in message(floor={"roc_auc": 0.8})
