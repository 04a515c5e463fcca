"""A restarted `monitor run` serves its monitors' last runs on /metrics before any new window.

The monitor looks at whole days, so once the first daemon has run yesterday
nothing is due for the rest of the day: whatever the restarted daemon shows
comes from the database, not from a new run.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.processes import DaemonProcess

pytestmark = pytest.mark.integration

RULES = """\
monitors:
  - name: daily
    schedule: {every: 1h}
    window: 1d
    delay: 0s
    source: {type: file, path: ../production.parquet, timestamp: logged_at}
    reference: {path: ../train.parquet}
    columns: {categorical: [state], prediction: score, target: defaulted}
    quality:
      missing_share: {max: 0.01}
      min_rows: 10
"""

PER_RUN = ("monitor_drift_share", "monitor_drifted_columns", "monitor_compared_columns",
           "monitor_column_drift_statistic", "monitor_column_drifted",
           "monitor_quality_checks_failed", "monitor_quality_check_passed",
           "monitor_quality_check_value", "monitor_model_metric", "monitor_window_rows",
           "monitor_last_successful_window_end_timestamp_seconds")
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def frame(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    """Rows of a scoring model: one feature, a category, the score and the label."""
    income = rng.normal(50 + shift, 10, n)
    score = 1 / (1 + np.exp(-(income - 50) / 10))
    return pd.DataFrame({"income": income, "state": rng.choice(["CA", "NY", "TX"], n),
                         "score": score, "defaulted": (rng.random(n) < score).astype(int)})


@pytest.fixture
def daily_data(tmp_path: Path) -> None:
    """Training data, and yesterday's production rows: drifted, with missing incomes."""
    rng = np.random.default_rng(7)
    frame(rng, 2000, 0.0).to_parquet(tmp_path / "train.parquet", index=False)
    production = frame(rng, 500, 15.0)
    production.loc[:24, "income"] = np.nan
    yesterday = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) \
        - timedelta(days=1)
    production.insert(0, "logged_at", [yesterday + timedelta(minutes=2 * i) for i in range(500)])
    production.to_parquet(tmp_path / "production.parquet", index=False)
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "rules" / "daily.yaml").write_text(RULES)


def per_run(daemon: DaemonProcess) -> Samples:
    """The per-run gauges the daemon serves."""
    return {key: value for key, value in daemon.metrics().items() if key[0] in PER_RUN}


def test_restarted_daemon_serves_the_last_runs_gauges(
    daily_data: None, start_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    """After SIGTERM and a new start, /metrics holds the same per-run samples, no run needed."""
    database = f"sqlite:///{tmp_path / 'monitor.db'}"
    first = start_daemon(database)
    ok = ("monitor_runs_total", (("monitor", "daily"), ("status", "ok")))
    first.wait_for(lambda: first.metrics().get(ok, 0) >= 1, 60, "yesterday's run")
    before = per_run(first)
    first.signal(signal.SIGTERM)
    assert first.wait(30) == 0

    second = start_daemon(database)
    after = per_run(second)

    assert after == before
    daily = ("monitor", "daily")
    assert after[("monitor_window_rows", (daily,))] == 500
    assert after[("monitor_drifted_columns", (daily,))] >= 1
    assert after[("monitor_quality_check_passed",
                  (("check", "missing_share"), ("column", "income"), daily))] == 0
    assert after[("monitor_model_metric", (("metric", "roc_auc"), daily))] > 0.5
    assert any(name == "monitor_column_drifted" and ("column", "income") in labels
               and ("method", "ks") in labels for name, labels in after)
    # Nothing ran in the second daemon: the values came from the database.
    assert not any(name == "monitor_runs_total" for name, _ in second.metrics())
