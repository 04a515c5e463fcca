"""The runner estimating performance without labels, checking it when they come, and judging.

Two days of hourly predictions of a calibrated classifier. From hour 24 the
features shift (covariate shift: the estimate must follow it); from hour 30
the labels stop following the scores (concept drift: the estimate cannot see
it, and the labels that arrive 12 hours later must show it failing). The
verdict turns to ``retrain`` once the realized ROC AUC stays under its floor.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sklearn.metrics import accuracy_score, roc_auc_score

from monitor.console.series import TimeRange
from monitor.console.views import monitor_view
from monitor.daemon.metrics import Metrics
from monitor.daemon.runner import Runner
from monitor.rules.loader import load_rules
from monitor.store import open_store
from monitor.windows import Window

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)
ROWS = 600
FLOOR = 0.75

RULES = f"""\
monitors:
  - name: loans
    schedule: {{every: 1h}}
    window: 1h
    source: {{type: file, path: predictions.parquet, timestamp: logged_at}}
    reference: {{path: train.parquet}}
    columns: {{prediction: score, score: score, target: defaulted, exclude: [request_id]}}
    performance: {{estimate: [roc_auc, accuracy]}}
    labels:
      source: {{type: file, path: labels.parquet, timestamp: labelled_at}}
      id: request_id
      target: defaulted
      delay: 12h
    retrain: {{floors: {{roc_auc: {FLOOR}}}, windows: 6, persistence: 3, min_age: 0s,
              min_rows: 100}}
    alerts:
      - name: estimate-low
        when: estimated.roc_auc.upper < {FLOOR}
      - name: estimate-wrong
        when: estimation_error.roc_auc.outside == 1
      - name: retrain
        when: verdict == "retrain"
"""


def _rows(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    x1, x2 = rng.normal(shift, 1, n), rng.normal(0, 1, n)
    score = 1 / (1 + np.exp(-(1.6 * x1 - 1.0 * x2)))
    return pd.DataFrame({"x1": x1, "x2": x2, "score": score,
                         "defaulted": (rng.random(n) < score).astype(int)})


@pytest.fixture
def rules_path(tmp_path: Path) -> Path:
    rng = np.random.default_rng(11)
    _rows(rng, 20_000, 0.0).to_parquet(tmp_path / "train.parquet")
    hours = []
    for hour in range(48):
        part = _rows(rng, ROWS, 0.8 if hour >= 24 else 0.0)
        if hour >= 30:  # the labels stop following the scores
            flip = rng.random(ROWS) < 0.3
            part.loc[flip, "defaulted"] = 1 - part.loc[flip, "defaulted"]
        offsets = np.sort(rng.uniform(0, 3600, ROWS))
        part.insert(0, "logged_at", [T0 + hour * HOUR + timedelta(seconds=float(s))
                                     for s in offsets])
        hours.append(part)
    frame = pd.concat(hours, ignore_index=True)
    frame.insert(1, "request_id", [f"r{i}" for i in range(len(frame))])
    labels = pd.DataFrame({"labelled_at": frame["logged_at"] + pd.Timedelta(hours=11),
                           "request_id": frame["request_id"], "defaulted": frame["defaulted"]})
    frame.drop(columns=["defaulted"]).to_parquet(tmp_path / "predictions.parquet")
    labels.sample(frac=1.0, random_state=2).to_parquet(tmp_path / "labels.parquet")
    frame.to_parquet(tmp_path / "truth.parquet")
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


def _hour(truth: pd.DataFrame, hour: int) -> pd.DataFrame:
    start = T0 + hour * HOUR
    return truth[(truth["logged_at"] >= start) & (truth["logged_at"] < start + HOUR)]


def test_estimate_follows_covariate_shift_and_labels_expose_concept_drift(
        rules_path: Path, database_url: str) -> None:
    spec = load_rules([rules_path], env={}).monitor("loans")
    truth = pd.read_parquet(rules_path.parent / "truth.parquet")
    store = open_store(database_url)
    try:
        runner = Runner(store, clock=lambda: T0 + 48 * HOUR)
        outcomes = {hour: runner.run_window(spec, Window(T0 + hour * HOUR, T0 + (hour + 1) * HOUR))
                    for hour in range(18, 48)}
        assert all(o.status == "ok" for o in outcomes.values()), [
            o.error for o in outcomes.values()]

        # Covariate shift only (hours 24-29): the estimate, made without labels, holds the truth.
        covered = 0
        for hour in range(24, 30):
            rows = {r.method: r for r in store.results(outcomes[hour].run_id)
                    if r.check == "estimated" and r.segment is None}
            assert set(rows) == {"roc_auc", "accuracy"}
            auc = rows["roc_auc"]
            assert auc.lower is not None and auc.upper is not None and auc.value is not None
            assert auc.lower <= auc.value <= auc.upper
            part = _hour(truth, hour)
            realized = roc_auc_score(part["defaulted"], part["score"])
            assert auc.value == pytest.approx(realized, abs=0.05)
            covered += auc.lower <= realized <= auc.upper
            accuracy = rows["accuracy"].value
            assert accuracy == pytest.approx(accuracy_score(part["defaulted"],
                                                            part["score"] >= 0.5), abs=0.06)
        assert covered >= 5  # a 95 % band: at most one miss in six is to be expected

        # Concept drift (hours 30+): the estimate cannot see it...
        late = {r.method: r.value for r in store.results(outcomes[40].run_id)
                if r.check == "estimated" and r.segment is None}
        assert late["roc_auc"] is not None and late["roc_auc"] > FLOOR
        assert "estimate-low" not in outcomes[40].firing
        # ...but the labels of hour 30, in by the run of hour 42, show it outside its band.
        errors = [r for r in store.results(outcomes[42].run_id) if r.check == "estimation_error"
                  and r.method == "roc_auc"]
        assert len(errors) == 1 and errors[0].passed is False
        part = _hour(truth, 30)
        realized = roc_auc_score(part["defaulted"], part["score"])
        assert errors[0].statistic is not None and errors[0].value is not None
        assert errors[0].statistic + errors[0].value == pytest.approx(realized, abs=1e-3)
        assert "estimate-wrong" in outcomes[42].firing
        assert "estimate-wrong" not in outcomes[38].firing  # labels of hour 26: no concept drift

        # The verdict: ok before the shift; watch while only features drift and the realized
        # ROC AUC holds; retrain once the realized ROC AUC stays under its floor.
        def verdict(hour: int) -> tuple[str | None, str]:
            (row,) = [r for r in store.results(outcomes[hour].run_id)
                      if r.check == "verdict" and r.segment is None]
            return row.name, row.note or ""

        assert verdict(20)[0] == "ok"
        name, note = verdict(38)
        assert name == "watch" and "x1" in note and "below" not in note
        name, note = verdict(47)
        assert name == "retrain" and f"below the {FLOOR} floor" in note
        assert "retrain" in outcomes[47].firing and "retrain" not in outcomes[38].firing

        # /metrics shows the estimate and the verdict, live and after a restart alike.
        live = Metrics(CollectorRegistry())
        live.observe(outcomes[47])
        restored = CollectorRegistry()
        Metrics(restored).restore(store, ["loans"])
        for registry in (live.registry, restored):
            text = generate_latest(registry).decode()
            assert 'monitor_verdict{monitor="loans"} 2.0' in text
            assert 'monitor_model_metric{metric="estimated.roc_auc.lower",monitor="loans"}' in text

        # The console's monitor page: the verdict and its reasons, the estimate beside the
        # realized metric, and neither among the data-quality checks.
        view = monitor_view(store, "loans", TimeRange(T0, T0 + 48 * HOUR, "custom"),
                            T0 + 48 * HOUR)
        assert view["verdict"]["verdict"] == "retrain"
        assert any("realized roc_auc" in reason for reason in view["verdict"]["reasons"])
        names = {series["name"] for series in view["performance"]}
        assert {"roc_auc", "roc_auc (estimated)"} <= names
        assert not any("estimat" in series["name"] or "verdict" in series["name"]
                       for series in view["quality"])
    finally:
        store.close()

    advised = subprocess.run(
        [sys.executable, "-m", "monitor", "advise", str(rules_path), "--format", "json"],
        capture_output=True, text=True, env={"MONITOR_DATABASE_URL": database_url,
                                             "PATH": "/usr/bin:/bin"}, timeout=120)
    assert advised.returncode == 1, advised.stderr
    (document,) = json.loads(advised.stdout)
    assert document["monitor"] == "loans" and document["verdict"] == "retrain"
    assert any("realized roc_auc" in reason for reason in document["reasons"])
