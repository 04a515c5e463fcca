"""Tests of analyse(): a window against its reference, whole, per segment and with labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitor.analysis import (
    COLUMN_STATS,
    MULTIVARIATE_STATS,
    PERFORMANCE_METRICS,
    analyse,
    results_of,
)
from monitor.profiles import build_profile
from monitor.rules.expressions import BASE_METRICS
from monitor.rules.metric_names import QUALITY_STATS
from monitor.rules.schema import MonitorSpec


def _spec(**extra: object) -> MonitorSpec:
    return MonitorSpec.model_validate({
        "name": "credit", "schedule": {"every": "1h"}, "window": "1h",
        "source": {"type": "file", "path": "logs.parquet", "timestamp": "ts"},
        "reference": {"path": "train.parquet"},
        "columns": {"categorical": ["state"], "prediction": "score", "target": "label"},
        **extra,
    })


def _frame(n: int, seed: int, ca_shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    state = rng.choice(["CA", "NY", "TX"], n, p=[0.5, 0.3, 0.2])
    income = rng.normal(50, 10, n) + np.where(state == "CA", ca_shift * 10, 0.0)
    score = 1 / (1 + np.exp(-(income - 50) / 10))
    label = rng.random(n) < score
    return pd.DataFrame({"ts": 0, "state": state, "income": income, "score": score,
                         "label": label})


@pytest.fixture(scope="module")
def reference() -> object:
    """A reference profiled with segments by state, as `monitor profile` would with rules."""
    return build_profile([_frame(6000, 1)], categorical=["state"], exclude=["ts", "label"],
                         segments=["state"])


def test_segments_are_analysed_against_their_own_reference(reference: object) -> None:
    """Only CA drifts: its segment flags income, NY and TX do not, each with its metrics."""
    spec = _spec(segments=["state"])
    chunks = [_frame(3000, 2, ca_shift=0.5).iloc[i:i + 1000] for i in range(0, 3000, 1000)]
    analysis = analyse(spec, reference, chunks)  # type: ignore[arg-type]
    assert sorted(analysis.segments) == ["state=CA", "state=NY", "state=TX"]
    ca, ny = analysis.segments["state=CA"], analysis.segments["state=NY"]
    assert ca.metrics()["column.income.drifted"] == 1.0
    assert ny.metrics()["column.income.drifted"] == 0.0
    assert ca.rows + ny.rows + analysis.segments["state=TX"].rows == 3000
    rows = results_of(analysis)
    assert {r.segment for r in rows} == {None, "state=CA", "state=NY", "state=TX"}
    assert any(r.segment == "state=CA" and r.column == "income" and r.drifted for r in rows)


def test_labels_in_the_rows_give_performance_and_prediction_metrics(reference: object) -> None:
    """With the target in the rows: performance.* metrics and results; prediction.* stats."""
    analysis = analyse(_spec(), reference, [_frame(2000, 3)])  # type: ignore[arg-type]
    metrics = analysis.metrics()
    assert 0.6 < metrics["performance.accuracy"] < 0.9
    assert 0.6 < metrics["performance.roc_auc"] < 0.95
    assert metrics["prediction.drifted"] == metrics["column.score.drifted"]
    assert "column.label.psi" not in metrics  # the label is not a drift column
    performance = [r for r in results_of(analysis) if r.check == "performance"]
    assert [r.method for r in performance] == [
        "accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "calibration_error"]
    assert all(r.column == "score" and r.value is not None for r in performance)


def test_metric_names_follow_the_agreed_patterns(reference: object) -> None:
    """Every metric name is a base name or one of the documented dotted forms."""
    spec = _spec(drift={"multivariate": ["pca"]}, segments=["state"])
    metrics = analyse(spec, reference, [_frame(1500, 4)]).metrics()  # type: ignore[arg-type]
    for name in metrics:
        parts = name.split(".")
        assert (name in BASE_METRICS
                or (parts[0] == "column" and parts[-1] in COLUMN_STATS)
                or (parts[0] == "prediction" and parts[1] in COLUMN_STATS)
                or (parts[0] == "performance" and parts[1] in PERFORMANCE_METRICS)
                or (parts[0] == "multivariate" and parts[2] in MULTIVARIATE_STATS)
                or (parts[0] == "quality" and parts[-1] in QUALITY_STATS)), name


def test_segment_values_beyond_the_reference_are_ignored(reference: object) -> None:
    """A state the reference has no segment for gets no segment of its own."""
    frame = _frame(500, 5)
    frame.loc[frame.index[:50], "state"] = "WA"
    analysis = analyse(_spec(segments=["state"]), reference, [frame])  # type: ignore[arg-type]
    assert "state=WA" not in analysis.segments and analysis.rows == 500


def test_min_effect_from_the_rules(reference: object) -> None:
    """drift.min_effect raises the floor: a 0.5 σ shift in CA alone no longer counts overall."""
    shifted = [_frame(3000, 6, ca_shift=0.5)]
    loose = analyse(_spec(), reference, shifted)  # type: ignore[arg-type]
    strict = analyse(_spec(drift={"min_effect": 0.5}), reference, shifted)  # type: ignore[arg-type]
    assert loose.metrics()["column.income.drifted"] == 1.0
    assert strict.metrics()["column.income.drifted"] == 0.0


def test_metric_names_agree_with_what_rules_accept() -> None:
    """The names analyses report are the names the rule checker accepts, family by family."""
    from monitor.rules import metric_names

    assert set(COLUMN_STATS) == metric_names.COLUMN_STATS
    assert set(PERFORMANCE_METRICS) == metric_names.PERFORMANCE_METRICS
    assert set(MULTIVARIATE_STATS) == metric_names.MULTIVARIATE_STATS
