"""The daemon never goes silent by itself: a hung store, a bad edit, a buggy plugin, a removed
monitor each show up where an operator looks (/healthz, /readyz, /status, metrics, alerts)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from monitor.store import open_store
from tests.chaos.proxy import TcpProxy
from tests.integration.daemon.conftest import rules_text
from tests.plugins import install_boom_plugin
from tests.receivers import Receiver

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def write_rules(root: Path, text: str) -> None:
    """Replace the rule file atomically, as an editor's save does."""
    staged = root / "rules" / ".live.yaml.tmp"
    staged.write_text(text)
    staged.replace(root / "rules" / "live.yaml")


def runs(url: str, monitor: str = "live") -> list:
    store = open_store(url)
    try:
        return store.runs(monitor, limit=1000)
    finally:
        store.close()


def ok_runs(url: str, monitor: str = "live") -> int:
    return sum(r.status == "ok" for r in runs(url, monitor))


def test_a_hung_store_turns_healthz_stale_and_readyz_unready(
    live_logs, start_daemon, tmp_path, postgres_schema_url
):
    """Ticks stuck on a database that never answers: /healthz says so, from memory, at once."""
    url = make_url(postgres_schema_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    store_url = url.set(port=proxy.port).render_as_string(hide_password=False)
    write_rules(tmp_path, rules_text(live_logs))
    try:
        daemon = start_daemon(store_url, MONITOR_LIVENESS_MIN="4", MONITOR_READY_TIMEOUT="1")
        daemon.wait_for(lambda: ok_runs(live_logs) >= 1, 30, "a first window")
        proxy.freeze()
        # Each probe answers within its 5 s timeout (get() gives 0 when nothing answers).
        daemon.wait_for(lambda: daemon.get("/healthz")[0] == 503, 60, "/healthz stale")
        health = daemon.json("/healthz")
        assert health["status"] == "stale" and "no progress" in health["reason"], health
        status, body = daemon.get("/readyz")
        assert status == 503 and "did not answer within 1s" in json.loads(body)["reason"]
        assert daemon.get("/status", timeout=30)[0] == 503  # bounded, not hung
        assert daemon.process.poll() is None

        proxy.restore()
        daemon.wait_for(lambda: daemon.get("/healthz")[0] == 200, 60, "/healthz ok again")
        daemon.wait_for(lambda: daemon.get("/readyz")[0] == 200, 60, "ready again")
        before = ok_runs(live_logs)
        daemon.wait_for(lambda: ok_runs(live_logs) > before, 60, "windows running again")
    finally:
        proxy.close()


def test_a_reload_with_a_huge_duration_keeps_the_daemon_running(
    live_logs, start_daemon, tmp_path
):
    write_rules(tmp_path, rules_text(live_logs))
    daemon = start_daemon(live_logs)
    daemon.wait_for(lambda: ok_runs(live_logs) >= 1, 30, "a first window")
    write_rules(tmp_path, rules_text(live_logs).replace("window: 2s",
                                                        "window: 2s\n    delay: 999999999999d"))
    daemon.wait_for(lambda: "rule reload rejected" in daemon.log(), 30, "the rejection")
    assert "live.yaml:5:" in daemon.log()  # located at the delay
    before = ok_runs(live_logs)
    daemon.wait_for(lambda: ok_runs(live_logs) > before, 30, "the old rules to keep running")
    assert daemon.metrics()[("monitor_rules_last_reload_success", ())] == 0
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(30) == 0


BROKEN = """\
notifiers:
  hook: {{type: webhook, url: "{hook}"}}
monitors:
  - name: broken
    schedule: {{every: 1s}}
    window: 2s
    source: {{type: boom, message: plugin bug, timestamp: logged_at}}
    reference: {{path: ../train.parquet}}
    alerts:
      - name: failing
        when: drift_share > 2
        on_error: alert
        notify: [hook]
"""


def test_a_buggy_plugin_fails_its_runs_alerts_and_goes_when_removed(
    live_logs, start_daemon, tmp_path, receiver: Receiver
):
    """A plugin raising RuntimeError: a failed run on /status and in metrics, an error alert,
    the backoff, the other monitor unharmed; deleting the monitor resolves its alert."""
    site = install_boom_plugin(tmp_path / "site")
    write_rules(tmp_path, rules_text(live_logs) + BROKEN.format(hook=f"{receiver.url}/hook")
                .split("monitors:\n", 1)[1])
    (tmp_path / "rules" / "notifiers.yaml").write_text(
        BROKEN.format(hook=f"{receiver.url}/hook").split("monitors:", 1)[0])
    daemon = start_daemon(live_logs, PYTHONPATH=f"{site}:{Path(__file__).parents[3]}",
                          MONITOR_DISPATCH_INTERVAL="0.5")

    def last_broken_run() -> dict | None:
        monitors = {m["name"]: m for m in daemon.json("/status")["monitors"]}
        return monitors["broken"]["last_run"]

    daemon.wait_for(lambda: last_broken_run() is not None, 30, "the failed run on /status")
    last = last_broken_run()
    assert last is not None and last["status"] == "failed"
    assert last["error"] == "unexpected RuntimeError: plugin bug"
    daemon.wait_for(lambda: any(json.loads(r.body)["status"] == "firing"
                                for r in receiver.requests), 30, "the error alert")
    before = ok_runs(live_logs)
    daemon.wait_for(lambda: ok_runs(live_logs) >= before + 3, 30, "the other monitor")
    # Ticking every second, the failed window waits for its 30 s backoff: one attempt.
    failed = daemon.metrics()[("monitor_runs_total", (("monitor", "broken"),
                                                      ("status", "failed")))]
    assert failed == 1
    assert [r.attempts for r in runs(live_logs, "broken")] == [1]

    write_rules(tmp_path, rules_text(live_logs))  # the broken monitor is deleted
    daemon.wait_for(lambda: any(json.loads(r.body)["status"] == "resolved"
                                for r in receiver.requests), 30, "the resolution")
    [resolved] = [json.loads(r.body) for r in receiver.requests
                  if json.loads(r.body)["status"] == "resolved"]
    assert resolved["monitor"] == "broken" and resolved["reason"] == "removed"
    assert "tick failed" not in daemon.log()  # the failure stayed inside its run
