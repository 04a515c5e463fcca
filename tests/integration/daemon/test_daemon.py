"""`monitor run` under an operator's hands: schedules, reloads, signals, crashes, /metrics."""

from __future__ import annotations

import itertools
import signal
import time

import pytest
import sqlalchemy as sa

from monitor.store import open_store
from monitor.store.leases import Leases
from tests.integration.daemon.conftest import (
    SLOW_APPLICATION,
    SLOW_QUERY,
    TcpProxy,
    end_slow_queries,
    rules_text,
    slow_url,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def stored_runs(url: str, monitor: str = "live"):
    """Runs of a monitor, oldest window first."""
    store = open_store(url)
    try:
        return sorted(store.runs(monitor, limit=1000), key=lambda r: r.window_start)
    finally:
        store.close()


def ok_runs(url: str) -> int:
    return sum(r.status == "ok" for r in stored_runs(url))


def slow_query_running(url: str) -> bool:
    """True once a daemon's window is inside its slow query (seen by PostgreSQL itself)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                "AND wait_event = 'PgSleep'"), {"name": SLOW_APPLICATION}))
    finally:
        engine.dispose()


def write_rules(tmp_path, text: str) -> None:
    """Replace the rule file atomically, as an editor's save does."""
    staged = tmp_path / "rules" / ".live.yaml.tmp"
    staged.write_text(text)
    staged.replace(tmp_path / "rules" / "live.yaml")


def test_windows_run_in_order_with_status_and_metrics(live_logs, start_daemon, tmp_path):
    """Ticks run each 2s window once, in order; /status and /metrics show it; SIGTERM exits 0."""
    write_rules(tmp_path, rules_text(live_logs))
    daemon = start_daemon(live_logs)
    daemon.wait_for(lambda: ok_runs(live_logs) >= 3, 30, "three windows")

    runs = stored_runs(live_logs)
    assert all(a.window_end == b.window_start for a, b in itertools.pairwise(runs))
    assert all((r.window_end - r.window_start).total_seconds() == 2 for r in runs)
    assert all(r.current_rows == 40 for r in runs if r.status == "ok")

    status = daemon.json("/status")
    [live] = status["monitors"]
    assert live["name"] == "live" and live["last_run"]["status"] == "ok"
    assert live["next_run"].endswith("Z") and live["window_seconds"] == 2

    # A tick counts its windows once it has run them all: wait for the count, not a guess.
    ok_total = ("monitor_runs_total", (("monitor", "live"), ("status", "ok")))
    daemon.wait_for(lambda: daemon.metrics().get(ok_total, 0) >= 3, 30, "three counted runs")
    metrics = daemon.metrics()
    assert metrics[("monitor_last_successful_window_end_timestamp_seconds",
                    (("monitor", "live"),))] > time.time() - 60
    assert metrics[("monitor_rules_last_reload_success", ())] == 1
    assert metrics[("monitor_store_up", ())] == 1
    assert sum(v for (name, labels), v in metrics.items() if name == "monitor_outbox_messages"
               and ("stage", "dead") in labels) == 0
    # Each column's series carries its method: statistics of different methods never mix.
    assert any(name == "monitor_column_drifted" and dict(labels).get("column") == "score"
               and dict(labels).get("monitor") == "live" and dict(labels).get("method")
               for name, labels in metrics)
    assert metrics[("monitor_run_duration_seconds_count", (("monitor", "live"),))] >= 3
    # Ticks measured (on a loaded machine several windows may run in one late tick).
    ticks = metrics[("monitor_tick_lateness_seconds_count", ())]
    assert ticks >= 1 and metrics[("monitor_tick_lateness_seconds_bucket",
                                   (("le", "+Inf"),))] == ticks

    daemon.signal(signal.SIGTERM)
    assert daemon.wait(20) == 0
    assert "daemon stopped" in daemon.log()


def test_rule_edits_reload_and_bad_edits_keep_old_rules(live_logs, start_daemon, tmp_path):
    """A valid edit is applied in seconds; an invalid one is rejected and the old rules run on."""
    write_rules(tmp_path, rules_text(live_logs))
    daemon = start_daemon(live_logs)
    daemon.wait_for(lambda: ok_runs(live_logs) >= 1, 30, "a first window")

    write_rules(tmp_path, rules_text(live_logs) + rules_text(live_logs, name="second")
                .removeprefix("monitors:\n"))
    daemon.wait_for(lambda: len(daemon.json("/status")["monitors"]) == 2, 10, "the new monitor")
    daemon.wait_for(lambda: len(stored_runs(live_logs, "second")) >= 1, 15, "its first run")

    write_rules(tmp_path, rules_text(live_logs).replace("window: 2s", "windw: 2s"))
    daemon.wait_for(lambda: "rule reload rejected" in daemon.log(), 10, "the rejection")
    assert "live.yaml:4:5: unknown key 'windw'" in daemon.log()
    assert daemon.metrics()[("monitor_rules_last_reload_success", ())] == 0
    before = ok_runs(live_logs)
    daemon.wait_for(lambda: ok_runs(live_logs) >= before + 1, 15, "old rules to keep running")
    assert len(daemon.json("/status")["monitors"]) == 2

    write_rules(tmp_path, rules_text(live_logs))
    daemon.wait_for(lambda: daemon.metrics()[("monitor_rules_last_reload_success", ())] == 1,
                    10, "a good reload")
    assert [m["name"] for m in daemon.json("/status")["monitors"]] == ["live"]


def test_sighup_reloads_at_once(live_logs, start_daemon, tmp_path):
    """With file polling far apart, SIGHUP alone makes the daemon reload."""
    write_rules(tmp_path, rules_text(live_logs))
    daemon = start_daemon(live_logs, MONITOR_RELOAD_INTERVAL="3600")
    write_rules(tmp_path, rules_text(live_logs, name="renamed"))
    time.sleep(1.5)
    assert [m["name"] for m in daemon.json("/status")["monitors"]] == ["live"]
    daemon.signal(signal.SIGHUP)
    daemon.wait_for(lambda: [m["name"] for m in daemon.json("/status")["monitors"]]
                    == ["renamed"], 10, "the reload after SIGHUP")


def test_sigterm_during_a_long_run_exits_within_grace(live_logs, start_daemon, tmp_path):
    """A run stuck in a slow query does not hold the daemon past the grace period."""
    write_rules(tmp_path, rules_text(slow_url(live_logs), query=SLOW_QUERY.format(seconds=60)))
    daemon = start_daemon(live_logs, MONITOR_STOP_GRACE="2")
    daemon.wait_for(lambda: slow_query_running(live_logs), 30, "a window in its slow query")
    assert daemon.json("/healthz")["running"] == 1
    began = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(40) == 0
    # The query would hold it 60 s; it leaves after the 2 s grace (plus a loaded machine's
    # process start and exit, never close to the query's end).
    assert time.monotonic() - began < 30
    assert "will run again on the next start" in daemon.log()
    end_slow_queries(live_logs)
    assert stored_runs(live_logs) == []  # nothing half-written

    write_rules(tmp_path, rules_text(live_logs))
    again = start_daemon(live_logs)
    again.wait_for(lambda: ok_runs(live_logs) >= 1, 30, "the window after restart")


def test_kill_9_then_restart_runs_the_window_once(live_logs, start_daemon, tmp_path):
    """A daemon killed mid-run leaves nothing behind; the next one runs each window once."""
    write_rules(tmp_path, rules_text(slow_url(live_logs), query=SLOW_QUERY.format(seconds=60)))
    daemon = start_daemon(live_logs, MONITOR_LEASE_SECONDS="3")
    daemon.wait_for(lambda: slow_query_running(live_logs), 30, "a window in its slow query")
    daemon.process.kill()
    daemon.wait(10)
    end_slow_queries(live_logs)
    assert stored_runs(live_logs) == []
    store = open_store(live_logs)
    try:
        [killed] = [(lease.window_start, lease.window_end) for lease in Leases(store.engine).held()]
    finally:
        store.close()

    write_rules(tmp_path, rules_text(live_logs))
    # The killed daemon's lease on its window lapses after MONITOR_LEASE_SECONDS; that window
    # (the monitor's very first) is run then, not dropped for the newer ones.
    again = start_daemon(live_logs, MONITOR_LEASE_SECONDS="3")
    again.wait_for(lambda: ok_runs(live_logs) >= 3, 60, "windows after the restart")
    runs = stored_runs(live_logs)
    windows = [(r.window_start, r.window_end) for r in runs]
    assert len(windows) == len(set(windows))
    assert windows[0] == killed and runs[0].status == "ok"
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))  # no gap after it
    again.signal(signal.SIGTERM)
    assert again.wait(20) == 0


def test_readyz_follows_the_database(live_logs, start_daemon, tmp_path, postgres_schema_url):
    """/readyz turns unready when the database goes away and ready when it returns."""
    from sqlalchemy.engine import make_url

    url = make_url(postgres_schema_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    proxied = url.set(port=proxy.port).render_as_string(hide_password=False)
    write_rules(tmp_path, rules_text(live_logs))
    try:
        daemon = start_daemon(proxied)
        daemon.wait_for(lambda: daemon.get("/readyz")[0] == 200, 15, "ready")
        proxy.stop()
        daemon.wait_for(lambda: daemon.get("/readyz")[0] == 503, 20, "unready")
        body = daemon.json("/readyz")
        assert body["status"] == "unready" and "database" in body["reason"], body
        assert daemon.get("/healthz")[0] == 200  # alive all along
        proxy.start()
        daemon.wait_for(lambda: daemon.get("/readyz")[0] == 200, 20, "ready again")
    finally:
        proxy.stop()
