"""The runner with labels that arrive later, joined on an id, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.daemon.runner import Runner
from monitor.rules.loader import load_rules
from monitor.store import open_store
from monitor.windows import Window

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)

RULES = """\
monitors:
  - name: scores
    schedule: {every: 1h}
    window: 1h
    source: {type: file, path: predictions.parquet, timestamp: logged_at}
    reference: {path: train.parquet}
    columns: {prediction: score, exclude: [request_id]}
    labels:
      source: {type: file, path: labels.parquet, timestamp: labelled_at}
      id: request_id
      target: defaulted
      delay: 1d
    alerts:
      - name: weak-model
        when: performance.accuracy < 0.9
        severity: warning
"""


@pytest.fixture
def rules_path(tmp_path: Path) -> Path:
    """Two days of hourly predictions; each label arrives 12 hours after its prediction."""
    rng = np.random.default_rng(5)
    n = 48 * 200
    logged = [T0 + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, 48 * 3600, n))]
    score = rng.random(n)
    predictions = pd.DataFrame({"logged_at": logged, "request_id": [f"r{i}" for i in range(n)],
                                "score": score, "x": rng.normal(size=n)})
    labels = pd.DataFrame({"labelled_at": [t + 12 * HOUR for t in logged],
                           "request_id": predictions["request_id"],
                           "defaulted": rng.random(n) < score})
    predictions.to_parquet(tmp_path / "predictions.parquet")
    labels.sample(frac=1.0, random_state=1).to_parquet(tmp_path / "labels.parquet")
    predictions.drop(columns=["logged_at", "request_id"]).to_parquet(tmp_path / "train.parquet")
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


def test_a_run_measures_the_window_whose_labels_are_in(rules_path: Path, database_url: str):
    """The run of hour 30 stores the metrics of hour 6, joined with the labels that arrived."""
    spec = load_rules([rules_path], env={}).monitor("scores")
    store = open_store(database_url)
    try:
        runner = Runner(store, clock=lambda: T0 + 48 * HOUR)
        outcome = runner.run_window(spec, Window(T0 + 30 * HOUR, T0 + 31 * HOUR))
        assert outcome.status == "ok", outcome.error
        results = [r for r in store.results(outcome.run_id) if r.check == "performance"]
        metrics = {r.method: r.value for r in results}
        assert set(metrics) == {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss",
                                "calibration_error"}
        frame = pd.read_parquet(rules_path.parent / "predictions.parquet")
        labels = pd.read_parquet(rules_path.parent / "labels.parquet")
        hour = frame[(frame["logged_at"] >= T0 + 6 * HOUR) & (frame["logged_at"] < T0 + 7 * HOUR)]
        joined = hour.merge(labels, on="request_id")
        expected = ((joined["score"] >= 0.5) == joined["defaulted"]).mean()
        assert metrics["accuracy"] == pytest.approx(expected, rel=1e-12)
        assert outcome.firing == ("weak-model",)
    finally:
        store.close()
