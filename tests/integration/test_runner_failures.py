"""Whatever goes wrong in a window ends as a failed run, an error alert and a backoff.

A plugin's bug (``RuntimeError``), or any exception a library raises on a
hostile input, must not escape the runner: the run is stored as failed with
its error, the ``on_error`` alert fires, the window waits for its backoff,
and the other monitors carry on (``monitor check`` exits 2).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.daemon.runner import Runner
from monitor.rules.loader import load_rules
from monitor.store import open_store
from monitor.store.outbox import OutboxQueue
from monitor.windows import Window
from tests.plugins import boom_plugin_on_path, install_boom_plugin
from tests.processes import monitor_env

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)

RULES = """\
notifiers:
  hook: {{type: webhook, url: "http://127.0.0.1:9/hook"}}
monitors:
  - name: broken
    schedule: {{every: 1m}}
    window: 1h
    source: {{type: boom, error: {error}, message: "{message}", timestamp: at}}
    reference: {{path: reference.csv}}
    alerts:
      - name: failing
        when: drift_share > 2
        on_error: alert
        notify: [hook]
  - name: fine
    schedule: {{every: 1m}}
    window: 1h
    source: {{type: file, path: current.csv, timestamp: at}}
    reference: {{path: reference.csv}}
"""


def write_data(folder: Path, start: datetime = T0) -> None:
    """A reference, and two hours of logs from ``start``."""
    rng = np.random.default_rng(7)
    pd.DataFrame({"x": rng.normal(size=500)}).to_csv(folder / "reference.csv", index=False)
    times = [start + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, 7200, 400))]
    pd.DataFrame({"at": [t.isoformat() for t in times], "x": rng.normal(size=400)}).to_csv(
        folder / "current.csv", index=False)


@pytest.mark.parametrize(("error", "message"), [
    ("RuntimeError", "plugin bug"), ("RecursionError", "maximum recursion depth exceeded"),
    ("OverflowError", "int too large to convert to float"), ("KeyError", "score"),
])
def test_any_exception_is_a_failed_run_with_an_error_alert_and_a_backoff(
    tmp_path: Path, error: str, message: str
) -> None:
    write_data(tmp_path)
    (tmp_path / "rules.yaml").write_text(RULES.format(error=error, message=message))
    store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
    now = T0 + 2 * HOUR + timedelta(minutes=1)
    with boom_plugin_on_path(tmp_path / "site"):
        rules = load_rules([tmp_path / "rules.yaml"], env={})
        runner = Runner(store, clock=lambda: now)
        [outcome] = runner.run_due(rules.monitor("broken"), limit=5)
        assert outcome.status == "failed"
        assert outcome.error is not None and outcome.error.startswith(f"unexpected {error}")
        assert message in outcome.error
        [run] = store.runs("broken")
        assert run.status == "failed" and run.error == outcome.error and run.attempts == 1
        assert outcome.firing == ("failing",)  # on_error: alert, for: 1
        [sent] = OutboxQueue(store).messages()
        assert sent.payload["status"] == "firing" and sent.payload["reason"] == "error"
        # Within its backoff the window is not tried again, however often the daemon ticks.
        assert runner.run_due(rules.monitor("broken"), limit=5) == []
        assert store.runs("broken")[0].attempts == 1
        # The other monitor carries on.
        [fine] = runner.run_due(rules.monitor("fine"), limit=5)
        assert fine.status == "ok" and fine.rows > 100
    store.close()


def test_check_exits_2_and_runs_the_other_monitors(tmp_path: Path) -> None:
    write_data(tmp_path, start=datetime.now(UTC) - 2 * HOUR)
    (tmp_path / "rules.yaml").write_text(RULES.format(error="RuntimeError", message="plugin bug"))
    site = install_boom_plugin(tmp_path / "site")
    env = monitor_env(MONITOR_DATABASE_URL=f"sqlite:///{tmp_path / 'monitor.db'}",
                      PYTHONPATH=f"{site}:{Path(__file__).parents[2]}")
    result = subprocess.run([sys.executable, "-m", "monitor", "check", "rules.yaml"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout
    assert "unexpected RuntimeError: plugin bug" in result.stdout + result.stderr
    store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
    try:
        assert [r.status for r in store.runs("broken")] == ["failed"]
        assert [r.status for r in store.runs("fine")] == ["ok"]
    finally:
        store.close()


def test_a_store_failing_outside_the_run_is_a_failed_outcome(tmp_path: Path) -> None:
    """The database going away between windows: an outcome, not an exception."""
    write_data(tmp_path)
    (tmp_path / "rules.yaml").write_text(RULES.format(error="RuntimeError", message="x"))
    store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
    with boom_plugin_on_path(tmp_path / "site"):
        rules = load_rules([tmp_path / "rules.yaml"], env={})
    runner = Runner(store, clock=lambda: T0 + 2 * HOUR)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE runs")
    outcome = runner.run_window(rules.monitor("fine"), Window(T0, T0 + HOUR))
    assert outcome.status == "failed" and "runs" in (outcome.error or "")
    store.close()
