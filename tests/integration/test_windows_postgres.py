"""Windows on PostgreSQL with a real table of timestamped prediction logs.

The clock is set by the test; everything else is real: the table, the
runner, the store and its leases. Covers the delay for late rows, rows that
arrive later than the delay, catch-up after a gap bounded per tick, and a
backfill run twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.daemon.runner import Runner
from monitor.profiles import build_profile
from monitor.rules.loader import load_rules
from monitor.store import open_store
from monitor.store.outbox import OutboxQueue
from monitor.windows import Window

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

T0 = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)

RULES = """\
notifiers:
  hook: {{type: webhook, url: "http://127.0.0.1:9/hook"}}
monitors:
  - name: scores
    schedule: {{every: 1m}}
    window: 1h
    delay: 10m
    source: {{type: sql, url: "{url}", table: prediction_log, timestamp: logged_at}}
    reference: {{profile: scores-train}}
    alerts:
      - {{name: drift, when: drift_share > 0.5, notify: [hook]}}
"""


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def logs(postgres_schema_url: str, tmp_path: Path):
    """A prediction_log table (60 rows an hour for 8 hours, hours 5–6 drifted), rules, store."""
    rng = np.random.default_rng(5)
    engine = sa.create_engine(postgres_schema_url)
    meta = sa.MetaData()
    table = sa.Table("prediction_log", meta,
                     sa.Column("logged_at", sa.DateTime(timezone=True), index=True),
                     sa.Column("score", sa.Float))
    meta.create_all(engine)
    rows = [{"logged_at": T0 + i * HOUR + timedelta(minutes=m),
             "score": float(rng.normal(3.0 if i in (5, 6) else 0.0, 1))}
            for i in range(8) for m in range(60)]
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    store = open_store(postgres_schema_url)
    reference = build_profile([pd.DataFrame({"score": rng.normal(0, 1, 2000)})])
    store.save_profile("scores-train", reference.to_dict(), reference.content_hash(),
                       reference.rows, T0)
    path = tmp_path / "rules.yaml"
    path.write_text(RULES.format(url=postgres_schema_url))
    spec = load_rules([path], env={}).monitor("scores")
    yield engine, table, store, spec
    store.close()
    engine.dispose()


def window(i: int) -> Window:
    return Window(T0 + i * HOUR, T0 + (i + 1) * HOUR)


def test_delay_waits_for_late_rows_and_counts_rows_later_still(logs):
    """A window runs only `delay` after its end, with the rows that came meanwhile.

    Rows arriving after the window ran are in no run: the next run reports them.
    """
    engine, table, store, spec = logs
    clock = Clock(T0 + HOUR + timedelta(minutes=5))  # hour 0 ended 5 minutes ago
    runner = Runner(store, clock=clock)
    Runner(store, clock=Clock(T0 + HOUR / 2)).run_window(spec, Window(T0 - HOUR, T0))  # no_data
    assert runner.due_windows(spec, 24) == []  # not complete: delay 10m
    with engine.begin() as conn:  # a late row for 00:59:30, within the delay
        conn.execute(table.insert(), [{"logged_at": T0 + timedelta(minutes=59, seconds=30),
                                       "score": 0.5}])
    clock.now = T0 + HOUR + timedelta(minutes=10)
    [first] = runner.run_due(spec, 24)
    assert (first.window, first.status, first.rows) == (window(0), "ok", 61)
    with engine.begin() as conn:  # two rows for hour 0 arrive after it ran
        conn.execute(table.insert(), [{"logged_at": T0 + timedelta(minutes=30), "score": 0.0}] * 2)
    clock.now = T0 + 2 * HOUR + timedelta(minutes=10)
    [second] = runner.run_due(spec, 24)
    assert second.window == window(1)
    late = {r.check: r for r in store.results(second.run_id)}["late_rows"]
    assert late.value == 2 and not late.passed
    assert store.get_run("scores", T0, T0 + HOUR).current_rows == 61  # stored runs never change


def test_catch_up_after_a_gap_in_order_bounded_per_tick(logs):
    """After downtime, each tick runs at most the catch-up limit, oldest first, none skipped."""
    _, _, store, spec = logs
    clock = Clock(T0 + HOUR + timedelta(minutes=10))
    runner = Runner(store, clock=clock)
    assert [o.window for o in runner.run_due(spec, 3)] == [window(0)]  # new monitor: latest
    clock.now = T0 + 8 * HOUR + timedelta(minutes=10)  # down for seven hours
    ticks = []
    while outcomes := runner.run_due(spec, 3):
        ticks.append([o.window for o in outcomes])
        assert all(o.status == "ok" for o in outcomes)
    assert ticks == [[window(1), window(2), window(3)], [window(4), window(5), window(6)],
                     [window(7)]]
    runs = sorted(store.runs("scores"), key=lambda r: r.window_start)
    assert [r.window_start for r in runs] == [window(i).start for i in range(8)]
    assert all(r.attempts == 1 for r in runs)
    firing = [m for m in OutboxQueue(store).messages() if m.payload["status"] == "firing"]
    assert [m.payload["window"]["start"] for m in firing] == ["2026-11-20T05:00:00Z"]


def test_backfill_twice_changes_nothing(logs):
    """Backfilling a range twice: the same runs, the same results, no new notifications."""
    _, _, store, spec = logs
    runner = Runner(store, clock=Clock(T0 + 9 * HOUR))
    windows = [window(i) for i in range(8)]

    def snapshot():
        runs = sorted(store.runs("scores"), key=lambda r: r.window_start)
        results = {r.id: [(x.check, x.column, x.statistic, x.value) for x in store.results(r.id)]
                   for r in runs}
        outbox = OutboxQueue(store).messages()
        return runs, results, [(m.idempotency_key, m.payload) for m in outbox]

    first = [runner.run_window(spec, w).status for w in windows]
    assert first == ["ok"] * 8
    before = snapshot()
    again = [Runner(store, clock=Clock(T0 + 10 * HOUR)).run_window(spec, w).status
             for w in windows]
    assert again == ["skipped"] * 8
    assert snapshot() == before
