"""A monitor deleted from the rule files: its firing alert is resolved, and the receiver told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.daemon.housekeeping import retire_removed_alerts
from monitor.daemon.runner import Runner
from monitor.rules.loader import load_rules
from monitor.store import open_store
from monitor.store.alerting import list_alert_states
from monitor.store.outbox import OutboxQueue
from monitor.windows import Window

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)

NOTIFIERS = """\
notifiers:
  hook: {type: webhook, url: "http://127.0.0.1:9/hook"}
"""
MONITOR = """\
  - name: {name}
    schedule: {{every: 1m}}
    window: 1h
    source: {{type: file, path: current.csv, timestamp: at}}
    reference: {{path: reference.csv}}
    alerts:
      - name: drift
        when: drift_share > 0.5
        notify: [hook]
"""


def rules(folder: Path, *names: str):
    text = NOTIFIERS + "monitors:\n" + "".join(MONITOR.format(name=n) for n in names)
    (folder / "rules.yaml").write_text(text)
    return load_rules([folder / "rules.yaml"], env={})


def test_removed_monitor_alert_is_resolved_once(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    pd.DataFrame({"x": rng.normal(size=800)}).to_csv(tmp_path / "reference.csv", index=False)
    times = [T0 + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, 3600, 800))]
    pd.DataFrame({"at": [t.isoformat() for t in times], "x": rng.normal(3, 1, 800)}).to_csv(
        tmp_path / "current.csv", index=False)
    store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
    now = T0 + 2 * HOUR
    try:
        both = rules(tmp_path, "kept", "gone")
        runner = Runner(store, clock=lambda: now)
        for name in ("kept", "gone"):
            assert runner.run_window(both.monitor(name), Window(T0, T0 + HOUR)).firing == ("drift",)

        only_kept = rules(tmp_path, "kept")
        assert retire_removed_alerts(store, only_kept, {"hook"}, now) == 1
        states = {s.monitor: s.state for s in list_alert_states(store, include_inactive=True)}
        assert states == {"kept": "firing", "gone": "inactive"}
        resolved = [m for m in OutboxQueue(store).messages() if m.payload["status"] == "resolved"]
        [message] = resolved
        assert message.notifier == "hook" and message.payload["monitor"] == "gone"
        assert message.payload["reason"] == "removed"
        assert retire_removed_alerts(store, only_kept, {"hook"}, now) == 0  # once
        assert len(OutboxQueue(store).messages()) == 3  # two firing, one resolved
    finally:
        store.close()
