"""The whole product on the example rules: `monitor run` and `monitor check` as a user runs them.

Each test copies `rules/` into a temporary folder, generates the example data
next to it, and points the example webhook at a real receiver on 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks.webhooks import Webhook

from monitor.store import open_store
from monitor.store.outbox import OutboxQueue
from tests.processes import monitor_env, spawn_daemon
from tests.receivers import Receiver, free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec_ZTJlLXRlc3Qtc2VjcmV0LWJ5dGVz"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A folder with the example rules and freshly generated example data."""
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    # Data up to the next hour, so the latest complete window has rows whenever the test runs.
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    subprocess.run(
        [sys.executable, str(REPO / "examples" / "generate.py"), "--out",
         str(tmp_path / "examples" / "data"), "--now", now.isoformat()],
        check=True, capture_output=True,
    )
    return tmp_path


def environment(root: Path, receiver: Receiver, **extra: str) -> dict[str, str]:
    """The environment a user would set: database, webhook URL and secret."""
    return monitor_env(**{
        "MONITOR_DATABASE_URL": f"sqlite:///{root / 'monitor.db'}",
        "MONITOR_EXAMPLE_WEBHOOK_URL": f"{receiver.url}/hooks",
        "MONITOR_EXAMPLE_WEBHOOK_SECRET": SECRET,
        "MONITOR_HTTP": f"127.0.0.1:{free_port()}",
        **extra,
    })


def monitor(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `monitor` command to completion."""
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def daemon(example: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `monitor run rules/` in the example folder; killed if a test leaves it running."""
    started: list[subprocess.Popen[str]] = []

    def start(env: dict[str, str]) -> subprocess.Popen[str]:
        process = spawn_daemon("rules/", cwd=example, env=env, log=example / "daemon.log")
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for(condition: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    """Poll until ``condition`` holds, or fail showing the daemon's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    text = log.read_text() if log.exists() else "(no log)"
    pytest.fail(f"timed out after {timeout}s waiting for {what}; daemon log:\n{text}")


def get(url: str) -> tuple[int, str]:
    """GET a URL; return status and body."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def test_daemon_sends_signed_webhooks_and_stops_cleanly(example, receiver, daemon):
    """`monitor run` profiles, checks, stores and delivers signed alerts; SIGTERM exits 0."""
    env = environment(example, receiver, MONITOR_EXAMPLE_EVERY="2s")
    process = daemon(env)
    log = example / "daemon.log"
    wait_for(lambda: len(receiver.requests) >= 2, 60, "two webhooks", log)

    alerts = {}
    for request in receiver.requests:
        payload = Webhook(SECRET).verify(request.body, request.headers)
        assert request.headers["webhook-id"] == payload["idempotency_key"]
        alerts[payload["alert"]] = payload
    assert set(alerts) == {"feature-drift", "data-quality"}
    drift = alerts["feature-drift"]
    assert drift["status"] == "firing" and drift["monitor"] == "credit-scoring"
    assert drift["severity"] == "critical" and drift["value"] > 0.3
    assert {d["column"] for d in drift["details"]} >= {"age", "income", "state"}
    assert drift["window"]["end"].endswith("Z")

    base = f"http://{env['MONITOR_HTTP']}"
    assert get(f"{base}/healthz")[0] == 200
    families = {f.name: f for f in text_string_to_metric_families(get(f"{base}/metrics")[1])}
    runs = {tuple(s.labels.values()): s.value for s in families["monitor_runs"].samples
            if s.name == "monitor_runs_total"}
    assert runs[("credit-scoring", "ok")] == 1
    assert families["monitor_rules_last_reload_success"].samples[0].value == 1
    alerts = {(s.labels["monitor"], s.labels["state"]): s.value
              for s in families["monitor_alerts"].samples}
    assert alerts[("credit-scoring", "firing")] == 2
    drifted = {s.labels["column"]: s.value for s in families["monitor_column_drifted"].samples}
    assert drifted["age"] == 1 and drifted["product"] == 0

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0, log.read_text()
    assert "daemon stopped" in log.read_text()

    store = open_store(env["MONITOR_DATABASE_URL"])
    try:
        [run] = store.runs("credit-scoring")
        assert run.status == "ok" and run.current_rows == 1500
        assert {r.column for r in store.results(run.id) if r.drifted} >= {"age", "income"}
        outbox = OutboxQueue(store).messages()
        assert len(outbox) == 2 and all(m.delivered_at is not None for m in outbox)
        states = store.alert_states("credit-scoring")
        assert {s.state for s in states.values()} == {"firing"}
    finally:
        store.close()
    assert len(receiver.requests) == 2  # nothing re-sent while the daemon ticked on


def test_same_window_twice_stores_one_run_and_notifies_once(example, receiver):
    """Two `monitor check` runs on the same window: one run stored, each alert sent once."""
    env = environment(example, receiver)
    first = monitor(example, env, "check", "rules/")
    assert first.returncode == 1, first.stderr  # alerts firing
    assert "4 of 8 columns drifted" in first.stdout or "columns drifted" in first.stdout
    second = monitor(example, env, "check", "rules/")
    assert second.returncode == 1, second.stderr
    assert "already processed" in second.stdout

    assert len(receiver.requests) == 2
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 2
    history = json.loads(monitor(example, env, "history", "--format", "json").stdout)
    assert len(history) == 1 and history[0]["status"] == "ok"


def test_receiver_down_at_first_still_gets_each_alert_once(example, stopped_receiver, daemon):
    """A receiver that is down for the first attempts gets every alert exactly once."""
    env = environment(example, stopped_receiver, MONITOR_DISPATCH_INTERVAL="0.5")
    daemon(env)
    log = example / "daemon.log"
    url = env["MONITOR_DATABASE_URL"]

    def failed_attempts() -> bool:
        store = open_store(url)
        try:
            return any(m.attempts >= 1 and m.last_error for m in OutboxQueue(store).messages())
        finally:
            store.close()

    wait_for(failed_attempts, 60, "a failed delivery attempt", log)
    stopped_receiver.start()
    wait_for(lambda: len(stopped_receiver.requests) >= 2, 60, "delivery after recovery", log)
    time.sleep(2)  # a duplicate would arrive within a few dispatch intervals
    ids = [r.headers["webhook-id"] for r in stopped_receiver.requests]
    assert len(ids) == 2 and len(set(ids)) == 2
    for request in stopped_receiver.requests:
        Webhook(SECRET).verify(request.body, request.headers)
