"""The per-run gauges: what a run sets, what it clears, and what a restart restores from SQLite."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from monitor.analysis import Analysis, ColumnDrift, Comparison, QualityResult, results_of
from monitor.daemon.metrics import MAX_QUALITY_SERIES, Metrics
from monitor.daemon.runner import RunOutcome
from monitor.profiles import build_profile
from monitor.records import NewRun
from monitor.store import Store, open_store
from monitor.windows import Window

T0 = datetime(2026, 11, 24, 10, tzinfo=UTC)
HOUR = timedelta(hours=1)
PER_RUN = {
    "monitor_last_successful_window_end_timestamp_seconds", "monitor_window_rows",
    "monitor_drift_share", "monitor_drifted_columns", "monitor_compared_columns",
    "monitor_column_drift_statistic", "monitor_column_drifted", "monitor_quality_checks_failed",
    "monitor_quality_check_passed", "monitor_quality_check_value", "monitor_model_metric",
}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store on a fresh SQLite file."""
    opened = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield opened
    opened.close()


def exposition(registry: CollectorRegistry) -> str:
    """The registry's /metrics text."""
    return generate_latest(registry).decode()


def per_run(registry: CollectorRegistry) -> Samples:
    """The samples of the per-run gauges, by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(exposition(registry))
            for s in family.samples if s.name in PER_RUN}


def comparison(**changes: object) -> Comparison:
    """Three columns (two drifted, two methods), four quality checks (two failed), a model."""
    found = Comparison(
        reference_rows=1000, current_rows=200, drift_share=2 / 3, dataset_drift=True,
        columns=(
            ColumnDrift("age", "numeric", "ks", 0.21, 1e-9, 0.05, 0.3, True),
            ColumnDrift("state", "categorical", "chisquare", 41.5, 1e-6, 0.05, 0.2, True),
            ColumnDrift("income", "numeric", "psi", 0.01, None, 0.2, None, False),
        ),
        quality=(
            QualityResult("min_rows", None, 200.0, 500.0, False),
            QualityResult("missing_share", "age", 0.1, 0.05, False),
            QualityResult("missing_share", "income", 0.0, 0.05, True),
            QualityResult("type_mismatch_share", "income", 0.0, 0.0, True),
        ),
        performance={"roc_auc": 0.81, "accuracy": 0.75},
        prediction="score",
    )
    return replace(found, **changes)  # type: ignore[arg-type]


def outcome(found: Comparison, start: datetime = T0, status: str = "ok",
            rows: int = 200) -> RunOutcome:
    """The outcome of a run of monitor ``credit`` on the hour from ``start``."""
    return RunOutcome("credit", Window(start, start + HOUR), status, comparison=found,
                      rows=rows, seconds=0.5)


def save(store: Store, found: Comparison, start: datetime = T0, status: str = "ok",
         rows: int = 200, segments: dict[str, Analysis] | None = None) -> None:
    """Store the run of ``found`` the way the runner does (``results_of``)."""
    profile = build_profile([pd.DataFrame({"age": [1.0] * rows})]) if rows else build_profile([])
    run = NewRun(monitor="credit", window_start=start, window_end=start + HOUR, status=status,
                 started_at=start + HOUR, finished_at=start + HOUR, current_rows=rows,
                 drift_share=found.drift_share, dataset_drift=found.dataset_drift)
    analysis = Analysis(profile, found, segments or {})
    assert store.save_run(run, results_of(analysis), [], []) is not None


def test_restore_shows_what_observe_showed_before_the_restart(store: Store) -> None:
    """A fresh registry restored from the stored run exports the very samples the run set."""
    live = Metrics(CollectorRegistry())
    live.observe(outcome(comparison()))
    save(store, comparison())

    registry = CollectorRegistry()
    Metrics(registry).restore(store, ["credit"])

    assert per_run(registry) == per_run(live.registry)
    text_ = exposition(registry)
    assert 'monitor_drift_share{monitor="credit"} 0.6666666666666666' in text_
    assert 'monitor_drifted_columns{monitor="credit"} 2.0' in text_
    assert 'monitor_compared_columns{monitor="credit"} 3.0' in text_
    assert ('monitor_column_drift_statistic{column="state",method="chisquare",monitor="credit"}'
            ' 41.5') in text_
    assert 'monitor_column_drifted{column="age",method="ks",monitor="credit"} 1.0' in text_
    assert 'monitor_column_drifted{column="income",method="psi",monitor="credit"} 0.0' in text_
    assert 'monitor_quality_checks_failed{monitor="credit"} 2.0' in text_
    assert ('monitor_quality_check_passed{check="min_rows",column="",monitor="credit"} 0.0'
            in text_)
    assert ('monitor_quality_check_value{check="missing_share",column="age",monitor="credit"} 0.1'
            in text_)
    assert 'monitor_model_metric{metric="roc_auc",monitor="credit"} 0.81' in text_
    assert 'monitor_window_rows{monitor="credit"} 200.0' in text_
    assert per_run(registry)[("monitor_last_successful_window_end_timestamp_seconds",
                              (("monitor", "credit"),))] == (T0 + HOUR).timestamp()


def test_restore_takes_each_monitors_newest_finished_run(store: Store) -> None:
    """The newest window wins; a later failed run is not a finished one and changes nothing."""
    save(store, comparison(drift_share=0.1), start=T0)
    save(store, comparison(drift_share=0.4), start=T0 + HOUR)
    failed = NewRun(monitor="credit", window_start=T0 + 2 * HOUR, window_end=T0 + 3 * HOUR,
                    status="failed", started_at=T0 + 3 * HOUR, finished_at=T0 + 3 * HOUR,
                    error="source down")
    assert store.save_run(failed, [], [], []) is not None

    metrics = Metrics(CollectorRegistry())
    metrics.restore(store, ["credit", "never-ran"])

    samples = per_run(metrics.registry)
    assert samples[("monitor_drift_share", (("monitor", "credit"),))] == 0.4
    assert samples[("monitor_last_successful_window_end_timestamp_seconds",
                    (("monitor", "credit"),))] == (T0 + 2 * HOUR).timestamp()
    assert not any(("monitor", "never-ran") in labels for _, labels in samples)


def test_a_no_data_run_restores_its_checks_and_keeps_the_last_drift(store: Store) -> None:
    """After an empty window: its rows and checks, and the drift of the newest ok run."""
    save(store, comparison(), start=T0)
    empty = comparison(columns=(), drift_share=0.0, dataset_drift=False, performance={},
                       quality=(QualityResult("min_rows", None, 0.0, 1.0, False),))
    save(store, empty, start=T0 + HOUR, status="no_data", rows=0)
    live = Metrics(CollectorRegistry())
    live.observe(outcome(comparison(), start=T0))
    live.observe(outcome(empty, start=T0 + HOUR, status="no_data", rows=0))

    restored = Metrics(CollectorRegistry())
    restored.restore(store, ["credit"])

    samples = per_run(restored.registry)
    assert samples == per_run(live.registry)
    assert samples[("monitor_window_rows", (("monitor", "credit"),))] == 0
    assert samples[("monitor_quality_checks_failed", (("monitor", "credit"),))] == 1
    assert samples[("monitor_drift_share", (("monitor", "credit"),))] == pytest.approx(2 / 3)
    assert samples[("monitor_model_metric", (("metric", "roc_auc"), ("monitor", "credit")))] \
        == 0.81


def test_segments_results_are_not_restored(store: Store) -> None:
    """Results of a segment (``state=CA``) never mix with the whole window's series."""
    segment = Analysis(build_profile([pd.DataFrame({"age": [1.0]})]),
                       comparison(columns=(ColumnDrift("zip", "categorical", "chisquare", 9.0,
                                                       0.01, 0.05, 0.1, True),)))
    save(store, comparison(), segments={"state=CA": segment})

    metrics = Metrics(CollectorRegistry())
    metrics.restore(store, ["credit"])

    assert 'column="zip"' not in exposition(metrics.registry)
    assert per_run(metrics.registry)[("monitor_compared_columns", (("monitor", "credit"),))] == 3


def test_a_failing_store_leaves_the_gauges_empty_and_warns(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """Restore never raises: a broken database is a warning and empty gauges."""
    save(store, comparison())
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE results"))

    metrics = Metrics(CollectorRegistry())
    with caplog.at_level(logging.WARNING, logger="monitor.daemon.metrics"):
        metrics.restore(store, ["credit"])

    assert per_run(metrics.registry) == {}
    assert "could not read the last runs" in caplog.text


def test_column_series_carry_the_method_and_leave_with_their_column() -> None:
    """A column absent from the next run loses both its series; a method change moves them."""
    metrics = Metrics(CollectorRegistry())
    metrics.observe(outcome(comparison()))
    second = comparison(columns=(
        ColumnDrift("age", "numeric", "wasserstein", 0.3, None, 0.1, 0.3, True),))
    metrics.observe(outcome(second, start=T0 + HOUR))

    columns = {labels for name, labels in per_run(metrics.registry)
               if name in ("monitor_column_drifted", "monitor_column_drift_statistic")}
    assert columns == {(("column", "age"), ("method", "wasserstein"), ("monitor", "credit"))}


def test_quality_series_are_bounded_failed_first() -> None:
    """Many checks export at most MAX_QUALITY_SERIES series, every failed one among them."""
    checks = tuple(QualityResult("missing_share", f"c{i:03}", 0.0, 0.05, i % 15 != 0)
                   for i in range(150))
    metrics = Metrics(CollectorRegistry())
    metrics.observe(outcome(comparison(quality=checks)))

    samples = per_run(metrics.registry)
    passed = {dict(labels)["column"]: value for (name, labels), value in samples.items()
              if name == "monitor_quality_check_passed"}
    assert len(passed) == MAX_QUALITY_SERIES
    assert {f"c{i:03}" for i in range(0, 150, 15)} <= {c for c, v in passed.items() if v == 0}
    assert samples[("monitor_quality_checks_failed", (("monitor", "credit"),))] == 10


def test_model_metrics_follow_the_last_run() -> None:
    """A run without labelled rows removes the model metrics of the run before."""
    metrics = Metrics(CollectorRegistry())
    metrics.observe(outcome(comparison()))
    assert 'monitor_model_metric{metric="accuracy"' in exposition(metrics.registry)
    metrics.observe(outcome(comparison(performance={}), start=T0 + HOUR))
    assert "monitor_model_metric{" not in exposition(metrics.registry)


def test_failed_runs_count_but_keep_the_last_gauges() -> None:
    """A failed run moves only the counter: the gauges keep the last finished run."""
    metrics = Metrics(CollectorRegistry())
    metrics.observe(outcome(comparison()))
    before = per_run(metrics.registry)
    metrics.observe(RunOutcome("credit", Window(T0 + HOUR, T0 + 2 * HOUR), "failed",
                               error="source down"))
    assert per_run(metrics.registry) == before
    assert 'monitor_runs_total{monitor="credit",status="failed"} 1.0' in \
        exposition(metrics.registry)


def test_tick_finished_stamps_the_monitor() -> None:
    """monitor_last_tick_timestamp_seconds is the time the tick ended."""
    metrics = Metrics(CollectorRegistry())
    before = time.time()
    metrics.tick_finished("credit")
    [family] = [f for f in text_string_to_metric_families(exposition(metrics.registry))
                if f.name == "monitor_last_tick_timestamp_seconds"]
    [sample] = family.samples
    assert sample.labels == {"monitor": "credit"} and before <= sample.value <= time.time()


def test_forget_drops_every_gauge_of_a_removed_monitor() -> None:
    """A monitor gone from the rules leaves no per-run series (nor its tick) behind."""
    metrics = Metrics(CollectorRegistry())
    metrics.observe(outcome(comparison()))
    metrics.observe(replace(outcome(comparison()), monitor="fraud"))
    metrics.tick_finished("credit")
    metrics.forget("credit")
    samples = per_run(metrics.registry)
    assert samples and not any(("monitor", "credit") in labels for _, labels in samples)
    assert ("monitor_drift_share", (("monitor", "fraud"),)) in samples
    assert "monitor_last_tick_timestamp_seconds{" not in exposition(metrics.registry)
