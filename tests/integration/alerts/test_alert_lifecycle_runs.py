"""Alert lifecycle through the runner on real files and databases (SQLite and PostgreSQL).

States and silences live in the database: a restart (a new store on the same
database) continues where the last run stopped; a silence stored by an
operator mutes the next run; a broken source fires an ``on_error`` alert and
the window's eventual success resolves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.daemon.runner import Runner
from monitor.records import NewSilence
from monitor.rules.loader import load_rules
from monitor.rules.schema import MonitorSpec
from monitor.store import Store, open_store
from monitor.store.alerting import add_silence, list_alert_states
from monitor.store.outbox import OutboxQueue
from monitor.windows import Window

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)
SHIFTS = [0.0, 2.0, 2.0, 2.0, 0.0, 0.0]

RULES = """\
notifiers:
  hook: {{type: webhook, url: "http://127.0.0.1:9/hook"}}
monitors:
  - name: scores
    schedule: {{every: 1h}}
    window: 1h
    source: {{type: file, path: {logs}, timestamp: t}}
    reference: {{path: train.parquet}}
    alerts:
      - name: drift
        when: drift_share > 0.5
        for: {for_}
        notify: [hook]
        on_error: alert
        on_no_data: alert
        labels: {{team: ml}}
"""


class Clock:
    """A settable clock for the runner."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def window(i: int) -> Window:
    """The i-th hour after T0."""
    return Window(T0 + i * HOUR, T0 + (i + 1) * HOUR)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A reference and six hours of logs; hours 1 to 3 drifted, hour 5 empty."""
    rng = np.random.default_rng(7)
    pd.DataFrame({"x": rng.normal(0, 1, 3000), "y": rng.normal(0, 1, 3000)}).to_parquet(
        tmp_path / "train.parquet")
    frames = []
    for hour, shift in enumerate(SHIFTS[:5]):
        n = 400
        seconds = np.sort(rng.uniform(0, 3600, n))
        frames.append(pd.DataFrame({
            "t": pd.Timestamp(T0 + hour * HOUR) + pd.to_timedelta(
                (seconds * 1e6).astype(np.int64), unit="us"),
            "x": rng.normal(shift, 1, n), "y": rng.normal(shift, 1, n)}))
    pd.concat(frames).to_parquet(tmp_path / "logs.parquet")
    return tmp_path


def spec(folder: Path, logs: str = "logs.parquet", for_: int = 1) -> MonitorSpec:
    """The monitor of RULES, written into ``folder`` and loaded."""
    path = folder / "rules.yaml"
    path.write_text(RULES.format(logs=logs, for_=for_))
    return load_rules([path], env={}).monitor("scores")


@pytest.fixture
def opened(database_url: str) -> Iterator[list[Store]]:
    """Stores opened by a test, closed afterwards."""
    stores: list[Store] = []
    yield stores
    for store in stores:
        store.close()


def outbox(store: Store) -> list[tuple[str, str, str]]:
    """(status, reason, window end hour) of every outbox row, oldest first."""
    return [(m.payload["status"], m.payload["reason"], m.payload["window"]["end"][11:13])
            for m in reversed(OutboxQueue(store).messages())]


def test_states_survive_restart_and_silence_mutes(data, database_url, opened):
    """Firing survives a restart; a stored silence mutes; afterwards it is announced again."""
    monitor, clock = spec(data), Clock()
    first = open_store(database_url)
    opened.append(first)
    runner = Runner(first, clock=clock)
    for i in (0, 1):
        clock.now = window(i).end + timedelta(minutes=5)
        assert runner.run_window(monitor, window(i)).status == "ok"
    first.close()

    second = open_store(database_url)  # the daemon restarts
    opened.append(second)
    runner = Runner(second, clock=clock)
    add_silence(second, NewSilence(alert="dr*", monitor="scores", reason="known upstream change",
                                   starts_at=window(2).end, ends_at=window(3).end,
                                   created_at=window(2).end))
    outcomes = []
    for i in (2, 3, 4):
        clock.now = window(i).end + timedelta(minutes=5)
        outcomes.append(runner.run_window(monitor, window(i)))
    assert [o.notifications for o in outcomes] == [0, 1, 1]
    assert outbox(second) == [("firing", "condition", "02"), ("firing", "condition", "04"),
                              ("resolved", "condition", "05")]
    [state] = list_alert_states(second, include_inactive=True)
    assert (state.state, state.announced, state.muted) == ("inactive", False, None)
    payload = OutboxQueue(second).messages()[-1].payload
    assert payload["labels"] == {"alert": "drift", "monitor": "scores", "severity": "warning",
                                 "team": "ml"}


def test_broken_source_fires_on_error_and_recovery_resolves(data, database_url, opened):
    """for: 2 on errors counts windows of time, retries count once; the real run resolves."""
    store = open_store(database_url)
    opened.append(store)
    clock = Clock()
    runner = Runner(store, clock=clock)
    broken = spec(data, logs="missing/*.parquet", for_=2)
    clock.now = window(0).end + timedelta(minutes=5)
    assert runner.run_window(broken, window(0)).status == "failed"
    clock.now += timedelta(minutes=15)  # the next tick retries the same window
    assert runner.run_window(broken, window(0)).notifications == 0
    clock.now = window(1).end + timedelta(minutes=5)  # an hour later, still broken
    failed = runner.run_window(broken, window(0))
    assert (failed.status, failed.notifications, failed.firing) == ("failed", 1, ("drift",))
    [message] = OutboxQueue(store).messages()
    assert message.payload["reason"] == "error"
    assert message.payload["summary"].startswith("the run failed: no files match")
    assert message.payload["window"]["end"] == "2026-11-20T02:00:00Z"
    assert store.runs("scores")[0].attempts == 3

    fixed = spec(data, for_=2)
    clock.now = window(1).end + timedelta(minutes=10)
    ok = runner.run_window(fixed, window(0))
    assert (ok.status, ok.transitions) == ("ok", (("drift", "resolved"),))
    assert outbox(store) == [("firing", "error", "02"), ("resolved", "condition", "01")]


def test_empty_window_alerts_on_no_data(data, database_url, opened):
    """An hour without rows is a no_data run; on_no_data: alert fires with that reason."""
    store = open_store(database_url)
    opened.append(store)
    clock = Clock()
    clock.now = window(5).end + timedelta(minutes=5)
    outcome = Runner(store, clock=clock).run_window(spec(data), window(5))
    assert (outcome.status, outcome.firing) == ("no_data", ("drift",))
    assert outbox(store) == [("firing", "no_data", "06")]


SEGMENT_RULES = """\
notifiers:
  hook: {type: webhook, url: "http://127.0.0.1:9/hook"}
monitors:
  - name: shops
    schedule: {every: 1h}
    window: 1h
    source: {type: file, path: shops.parquet, timestamp: t}
    reference: {path: shops-train.parquet}
    columns: {categorical: [state]}
    segments: [state]
    alerts:
      - name: drift
        when: drift_share > 0.4
        segments: [state]
        notify: [hook]
"""


def test_segment_alerts_keep_separate_states(tmp_path, database_url, opened):
    """Only the segment that drifts fires, and resolves, under its own key and label."""
    rng = np.random.default_rng(3)
    states = rng.choice(["CA", "NY"], 4000)
    pd.DataFrame({"state": states, "x": rng.normal(0, 1, 4000), "y": rng.normal(0, 1, 4000)}
                 ).to_parquet(tmp_path / "shops-train.parquet")
    frames = []
    for hour, shift in enumerate([0.0, 1.5, 1.5, 0.0]):
        n = 1200
        state = rng.choice(["CA", "NY"], n)
        moved = np.where(state == "CA", shift, 0.0)
        frames.append(pd.DataFrame({
            "t": pd.Timestamp(T0 + hour * HOUR) + pd.to_timedelta(
                (np.sort(rng.uniform(0, 3600, n)) * 1e6).astype(np.int64), unit="us"),
            "state": state, "x": rng.normal(moved, 1), "y": rng.normal(moved, 1)}))
    pd.concat(frames).to_parquet(tmp_path / "shops.parquet")
    (tmp_path / "rules.yaml").write_text(SEGMENT_RULES)
    monitor = load_rules([tmp_path / "rules.yaml"], env={}).monitor("shops")
    store = open_store(database_url)
    opened.append(store)
    clock = Clock()
    runner = Runner(store, clock=clock)
    transitions = []
    for i in range(4):
        clock.now = window(i).end + timedelta(minutes=5)
        transitions.append(runner.run_window(monitor, window(i)).transitions)
    assert transitions == [(), (("drift[state=CA]", "firing"),), (),
                           (("drift[state=CA]", "resolved"),)]
    keys = {s.alert_key for s in list_alert_states(store, include_inactive=True)}
    assert keys == {"shops/drift/segment=state=CA", "shops/drift/segment=state=NY"}
    assert {m.payload["labels"]["segment"] for m in OutboxQueue(store).messages()} == {"state=CA"}
