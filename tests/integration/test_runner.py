"""The runner on a real store and a real SQL source, on SQLite and on PostgreSQL.

Production logs live in a table of the same database the results go to; the
reference is a stored profile. Windows are fixed in the past, so the tests
do not depend on the clock.
"""

from __future__ import annotations

import threading
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
from monitor.store.leases import Leases
from monitor.store.outbox import OutboxQueue
from monitor.windows import Window

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)

RULES = """\
notifiers:
  hook: {{type: webhook, url: "http://127.0.0.1:9/hook"}}
  other: {{type: webhook, url: "http://127.0.0.1:9/other"}}
monitors:
  - name: scores
    schedule: {{every: 1m}}
    window: 1h
    source: {{type: sql, url: "{url}", table: {table}, timestamp: logged_at, chunk_size: 500}}
    reference: {{profile: scores-train}}
    columns: {{categorical: [segment]}}
    alerts:
      - name: drift
        when: drift_share > 0.9  # both columns
        for: 2
        severity: critical
        notify: [hook, other]
"""


def rows(rng: np.random.Generator, start: datetime, n: int, shift: float) -> pd.DataFrame:
    """``n`` log rows spread over the hour from ``start``; ``shift`` moves both columns."""
    return pd.DataFrame({
        "logged_at": [start + timedelta(seconds=float(s))
                      for s in np.sort(rng.uniform(0, 3600, n))],
        "score": rng.normal(shift, 1, n),
        "segment": rng.choice(["a", "b", "c"], n,
                              p=[0.6, 0.3, 0.1] if shift == 0 else [0.2, 0.3, 0.5]),
    })


@pytest.fixture
def setup(database_url: str, tmp_path: Path):
    """Logs for five hours (hours 1 and 2 drifted), a stored reference, and the rules."""
    rng = np.random.default_rng(42)
    reference = rows(rng, T0 - timedelta(days=1), 4000, 0.0).drop(columns="logged_at")
    shifts = [0.0, 1.0, 1.0, 0.0, 0.0]
    logs = pd.concat([rows(rng, T0 + i * HOUR, 800, s) for i, s in enumerate(shifts)])
    engine = sa.create_engine(database_url)
    meta = sa.MetaData()
    table = sa.Table("prediction_log", meta,
                     sa.Column("logged_at", sa.DateTime(timezone=True), index=True),
                     sa.Column("score", sa.Float), sa.Column("segment", sa.String(4)))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), logs.to_dict("records"))
    engine.dispose()

    store = open_store(database_url)
    profile = build_profile([reference], categorical=["segment"])
    store.save_profile("scores-train", profile.to_dict(), profile.content_hash(), profile.rows,
                       T0)
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES.format(url=database_url, table="prediction_log"))
    rules = load_rules([rules_path], env={})
    yield store, rules, rules_path, database_url
    store.close()


def window(i: int) -> Window:
    """The i-th hour after T0."""
    return Window(T0 + i * HOUR, T0 + (i + 1) * HOUR)


def test_alert_lifecycle_over_windows(setup):
    """for: 2 fires on the second drifted window, resolves once, one message per notifier."""
    store, rules, _, _ = setup
    runner = Runner(store, clock=lambda: T0 + 10 * HOUR)
    spec = rules.monitor("scores")
    statuses = [runner.run_window(spec, window(i)) for i in range(5)]
    assert [o.status for o in statuses] == ["ok"] * 5
    assert [o.rows for o in statuses] == [800] * 5
    assert [o.transitions for o in statuses] == [
        (), (), (("drift", "firing"),), (("drift", "resolved"),), ()]
    outbox = OutboxQueue(store).messages()
    assert sorted((m.notifier, m.payload["status"]) for m in outbox) == [
        ("hook", "firing"), ("hook", "resolved"), ("other", "firing"), ("other", "resolved")]
    assert len({m.idempotency_key for m in outbox}) == 4
    firing = next(m.payload for m in outbox if m.payload["status"] == "firing")
    assert firing["window"] == {"start": "2026-11-20T02:00:00Z", "end": "2026-11-20T03:00:00Z"}
    assert store.last_window_end("scores") == T0 + 5 * HOUR


def test_same_window_twice_is_skipped(setup):
    """Running a stored window again changes nothing."""
    store, rules, _, _ = setup
    runner = Runner(store)
    spec = rules.monitor("scores")
    assert runner.run_window(spec, window(1)).status == "ok"
    again = runner.run_window(spec, window(1))
    assert again.status == "skipped"
    assert len(store.runs("scores")) == 1


def test_failed_window_is_recorded_then_retried(setup, tmp_path):
    """A broken source records a failed run; once fixed, the window is processed."""
    store, _, rules_path, url = setup
    rules_path.write_text(RULES.format(url=url, table="no_such_table"))
    broken = load_rules([rules_path], env={})
    runner = Runner(store)
    failed = runner.run_window(broken.monitor("scores"), window(0))
    assert failed.status == "failed" and "no_such_table" in (failed.error or "")
    assert store.last_window_end("scores") is None  # the watermark did not move
    rules_path.write_text(RULES.format(url=url, table="prediction_log"))
    fixed = load_rules([rules_path], env={})
    assert runner.run_window(fixed.monitor("scores"), window(0)).status == "ok"
    [run] = store.runs("scores")
    assert run.status == "ok" and run.attempts == 2


def test_missing_reference_profile_fails_clearly(setup):
    """A monitor naming a profile that was never stored fails with the command to fix it."""
    store, _, rules_path, url = setup
    rules_path.write_text(RULES.format(url=url, table="prediction_log").replace(
        "scores-train", "nope"))
    spec = load_rules([rules_path], env={}).monitor("scores")
    outcome = Runner(store).run_window(spec, window(0))
    assert outcome.status == "failed"
    assert "monitor profile DATA --name nope" in (outcome.error or "")


def test_racing_runners_store_one_run(setup):
    """Two runners on the same window at once: one run stored, one set of messages."""
    store, rules, _, url = setup
    spec = rules.monitor("scores")
    other = open_store(url)
    outcomes = []
    barrier = threading.Barrier(2)

    def go(s):
        barrier.wait()
        outcomes.append(Runner(s).run_window(spec, window(2)))

    threads = [threading.Thread(target=go, args=(s,)) for s in (store, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    # The loser finds the window leased, or already stored if the winner was that quick.
    assert sorted(o.status for o in outcomes) in (["leased", "ok"], ["ok", "skipped"])
    assert len(store.runs("scores")) == 1
    assert len(OutboxQueue(store).messages()) == 0


# --- leases, order, read checks, push-down ---------------------------------------------------


def test_window_leased_elsewhere_is_skipped_then_taken_over(setup):
    """A live lease of another process skips the window; once expired it is taken over."""
    store, rules, _, _ = setup
    spec = rules.monitor("scores")
    now = T0 + 10 * HOUR
    runner = Runner(store, clock=lambda: now, lease=timedelta(minutes=1))
    Leases(store.engine).claim("scores", window(0).start, window(0).end, "killed-host:1", now,
                               timedelta(minutes=5))
    leased = runner.run_window(spec, window(0))
    assert leased.status == "leased" and "killed-host:1" in (leased.error or "")
    assert store.runs("scores") == []
    later = Runner(store, clock=lambda: now + timedelta(minutes=5))
    assert later.run_window(spec, window(0)).status == "ok"
    assert Leases(store.engine).held("scores") == []  # released after storing


def test_run_due_stops_at_a_leased_window_and_keeps_order(setup):
    """Windows after one leased elsewhere wait, so the watermark never jumps a window."""
    store, rules, _, _ = setup
    spec = rules.monitor("scores")
    now = T0 + 5 * HOUR
    Runner(store, clock=lambda: now).run_window(spec, window(0))  # watermark: end of hour 0
    Leases(store.engine).claim("scores", window(1).start, window(1).end, "other", now,
                               timedelta(minutes=5))
    runner = Runner(store, clock=lambda: now)
    outcomes = runner.run_due(spec, limit=10)
    assert [(o.window, o.status) for o in outcomes] == [(window(1), "leased")]
    # Called window by window, as a scheduler loop may: later windows wait too.
    assert runner.run_window(spec, window(2)).status == "leased"
    assert store.last_window_end("scores") == T0 + HOUR
    Leases(store.engine).release("scores", window(1).start, window(1).end, "other")
    outcomes = runner.run_due(spec, limit=2)
    assert [(o.window, o.status) for o in outcomes] == [(window(1), "ok"), (window(2), "ok")]


def test_catch_up_is_bounded_per_call(setup):
    """After a gap, run_due processes at most `limit` windows, oldest first, and resumes."""
    store, rules, _, _ = setup
    spec = rules.monitor("scores")
    runner = Runner(store, clock=lambda: T0 + 5 * HOUR)
    store_first = runner.run_window(spec, window(0))
    assert store_first.status == "ok"
    first = runner.run_due(spec, limit=2)
    assert [o.window for o in first] == [window(1), window(2)]
    second = runner.run_due(spec, limit=2)
    assert [o.window for o in second] == [window(3), window(4)]
    assert runner.run_due(spec, limit=2) == []


RULES_CHECKS = RULES.replace(
    "    columns: {{categorical: [segment]}}\n",
    "    columns: {{categorical: [segment]}}\n"
    "    quality: {{volume: {{min: 0.8, max: 1.25, history: 3}}, max_staleness: 30m}}\n")


def test_volume_and_staleness_results_are_stored(setup):
    """Volume against the median of earlier windows, and staleness at run time, are results."""
    store, _, rules_path, url = setup
    rules_path.write_text(RULES_CHECKS.format(url=url, table="prediction_log"))
    spec = load_rules([rules_path], env={}).monitor("scores")
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # hour 4 loses half its rows
        conn.execute(sa.text("DELETE FROM prediction_log WHERE logged_at >= :a AND "
                             "logged_at < :b AND score > 0"), {"a": window(4).start,
                                                                "b": window(4).end})
    engine.dispose()
    runner = Runner(store, clock=lambda: T0 + 5 * HOUR + timedelta(minutes=10))
    outcomes = [runner.run_window(spec, window(i)) for i in range(5)]
    assert [o.status for o in outcomes] == ["ok"] * 5
    checks = [{r.check: r for r in store.results(o.run_id)} for o in outcomes]
    assert "volume_ratio" not in checks[2]  # two earlier windows: no expectation yet
    assert checks[3]["volume_ratio"].value == pytest.approx(1.0) and checks[3][
        "volume_ratio"].passed
    low = checks[4]["volume_ratio"]
    assert low.value == pytest.approx(outcomes[4].rows / 800) and not low.passed
    assert "volume_ratio" in outcomes[4].quality_failed
    staleness = checks[4]["staleness_seconds"]
    assert 600 <= staleness.value <= 610 and staleness.threshold == 1800 and staleness.passed


def test_query_source_reports_rows_left_out(setup):
    """A query wider than the window: rows outside it and bad timestamps become results."""
    store, _, rules_path, url = setup
    rules = RULES.format(url=url, table="prediction_log").replace(
        "table: prediction_log", 'query: "SELECT * FROM prediction_log"')
    rules_path.write_text(rules)
    spec = load_rules([rules_path], env={}).monitor("scores")
    outcome = Runner(store).run_window(spec, window(1))
    assert outcome.status == "ok" and outcome.rows == 800
    results = {r.check: r for r in store.results(outcome.run_id) if r.column is None}
    assert results["outside_window_rows"].value == 4 * 800
    assert results["outside_window_rows"].passed


def test_pushdown_and_pulled_runs_store_the_same_results(setup, caplog):
    """A table profiled in the database gives the results reading the rows gives."""
    caplog.set_level("DEBUG", logger="monitor.daemon.collect")
    store, _, rules_path, url = setup
    text = RULES.format(url=url, table="prediction_log")
    pulled = text.replace("chunk_size: 500}", "chunk_size: 500, profile_in_database: false}")
    rules_path.write_text(text + pulled.split("monitors:\n", 1)[1].replace(
        "name: scores", "name: scores-pulled"))
    rules = load_rules([rules_path], env={})
    runner = Runner(store)
    pushed = runner.run_window(rules.monitor("scores"), window(1))
    assert "window profiled in place: 800 rows" in caplog.text
    caplog.clear()
    read = runner.run_window(rules.monitor("scores-pulled"), window(1))
    assert "profiled in place" not in caplog.text
    a = [(r.check, r.column, r.statistic, r.p_value, r.value) for r in store.results(pushed.run_id)]
    b = [(r.check, r.column, r.statistic, r.p_value, r.value) for r in store.results(read.run_id)]
    assert len(a) == len(b) > 0
    for x, y in zip(a, b, strict=True):
        assert x[:2] == y[:2]
        for got, want in zip(x[2:], y[2:], strict=True):
            assert got == (None if want is None else pytest.approx(want, rel=1e-9, abs=1e-12))


def test_window_skipped_by_a_later_check_is_filled(setup):
    """After `monitor check` ran a later window, the windows in between are due, oldest first."""
    store, rules, _, _ = setup
    runner = Runner(store, clock=lambda: T0 + 5 * HOUR)
    spec = rules.monitor("scores")
    runner.run_window(spec, window(1))  # the daemon's last window
    runner.run_window(spec, window(4))  # `monitor check` ran the latest one
    assert runner.due_windows(spec, 10) == [window(2), window(3)]
    outcomes = runner.run_due(spec, 10)
    assert [o.window for o in outcomes] == [window(2), window(3)]
    assert runner.due_windows(spec, 10) == []


def test_failed_window_is_retried_with_backoff(setup):
    """The daemon's loop retries a failing window after 30 s, then 60 s, not on every tick."""
    store, _, rules_path, url = setup
    rules_path.write_text(RULES.format(url=url, table="no_such_table"))
    spec = load_rules([rules_path], env={}).monitor("scores")
    now = [T0 + 5 * HOUR]
    runner = Runner(store, clock=lambda: now[0])
    runner.run_window(spec, window(1))  # the monitor's last good window...
    store_run = store.get_run("scores", window(1).start, window(1).end)
    assert store_run is not None and store_run.status == "failed"
    assert runner.run_due(spec, 10) == []  # ...failed just now: wait
    now[0] += timedelta(seconds=31)
    assert [o.status for o in runner.run_due(spec, 10)] == ["failed"]
    now[0] += timedelta(seconds=31)
    assert runner.run_due(spec, 10) == []  # second failure: 60 s
    now[0] += timedelta(seconds=30)
    assert [o.status for o in runner.run_due(spec, 10)] == ["failed"]
    assert store.get_run("scores", window(1).start, window(1).end).attempts == 3
