"""deploy/prometheus and deploy/grafana: valid for promtool, and only about series the daemon has.

promtool checks the rules and the scrape configuration and runs the rules'
unit tests (alerts.test.yml). Every metric name the rules and the dashboard
query must be one the daemon exposes: the names are compared with the
exposition of the daemon's real registry (``Metrics`` and ``StoreCollector``
on a SQLite store, after a run), by series name (a counter's ``_total``, a
histogram's ``_bucket``/``_sum``/``_count``). promtool is skipped when it is
absent, except under CI (``CI`` set), where that fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from monitor.analysis import ColumnDrift, Comparison, QualityResult
from monitor.daemon.metrics import Metrics, StoreCollector
from monitor.daemon.runner import RunOutcome
from monitor.records import NewNotification, NewRun
from monitor.store import open_store
from monitor.times import utc_now
from monitor.windows import Window

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
ALERT_TESTS = DEPLOY / "prometheus" / "alerts.test.yml"
CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "monitor.json"
METRIC_NAME = re.compile(r"\bmonitor_[a-zA-Z0-9_]+\b")
SERIES_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"),
                   "summary": ("", "_sum", "_count"), "gauge": ("",), "unknown": ("",)}


@pytest.fixture(scope="module")
def promtool() -> str:
    """promtool's path; skip without it (fail under CI)."""
    found = shutil.which("promtool")
    if found is None:
        reason = "promtool is not installed (Debian/Ubuntu: apt-get install prometheus)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


def run(promtool: str, *args: str, stdin: str | None = None) -> str:
    """Run promtool; fail with its output when it does not exit 0."""
    done = subprocess.run([promtool, *args], input=stdin, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"promtool {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def exposition(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The daemon's /metrics text after one observed run, with an outbox message waiting."""
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('store') / 'monitor.db'}")
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    registry.register(StoreCollector(store, utc_now))
    start = datetime(2026, 11, 24, 10, tzinfo=UTC)
    found = Comparison(
        reference_rows=100, current_rows=80, drift_share=0.5, dataset_drift=True,
        columns=(ColumnDrift("age", "numeric", "ks", 0.3, 0.001, 0.05, 0.3, True),
                 ColumnDrift("state", "categorical", "chisquare", 1.2, 0.5, 0.05, 0.01, False)),
        quality=(QualityResult("missing_share", "age", 0.2, 0.05, False),),
        performance={"roc_auc": 0.8})
    metrics.observe(RunOutcome("credit", Window(start, start + timedelta(hours=1)), "ok",
                               comparison=found, rows=80, seconds=0.2))
    metrics.observe(RunOutcome("credit", Window(start, start + timedelta(hours=1)), "failed"))
    metrics.tick_finished("credit")
    metrics.tick_lateness.observe(0.1)
    metrics.ticks_skipped.labels("missed").inc()
    metrics.delivered.inc()
    metrics.dead.inc()
    run_ = NewRun(monitor="credit", window_start=start, window_end=start + timedelta(hours=1),
                  status="ok", started_at=start, finished_at=start)
    store.save_run(run_, [], [], [NewNotification("k1", "ops", {"a": 1}, start)])
    yield generate_latest(registry).decode()
    store.close()


@pytest.fixture(scope="module")
def exposed(exposition: str) -> set[str]:
    """Every series name the daemon can expose: each family's name with its type's suffixes."""
    names = set()
    for family in text_string_to_metric_families(exposition):
        names |= {family.name + suffix for suffix in SERIES_SUFFIXES[family.type]}
    return names


def alert_rules() -> list[dict[str, Any]]:
    """The rules of alerts.yml."""
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    """The Grafana dashboard."""
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def dashboard_queries() -> list[str]:
    """Every PromQL expression of the dashboard: panel targets and template variables."""
    board = dashboard()
    queries = [target["expr"] for panel in board["panels"] for target in panel["targets"]]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            queries.append(variable["query"]["query"])
    return queries


def test_promtool_accepts_the_rules_and_the_config(promtool: str) -> None:
    """`promtool check rules` and `promtool check config` (which loads alerts.yml) pass."""
    assert "SUCCESS" in run(promtool, "check", "rules", str(ALERTS))
    assert "SUCCESS" in run(promtool, "check", "config", str(CONFIG))


def test_the_alerts_unit_tests_pass(promtool: str) -> None:
    """`promtool test rules`: the alerts fire on synthetic failures and stay quiet when healthy."""
    assert "SUCCESS" in run(promtool, "test", "rules", str(ALERT_TESTS))


def test_the_unit_tests_cover_firing_and_quiet(promtool: str) -> None:
    """Down, failing runs and dead messages are shown to fire; every alert, to stay quiet."""
    tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    cases = [case for test in tests for case in test["alert_rule_test"]]
    firing = {case["alertname"] for case in cases if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert {"MonitorDaemonDown", "MonitorRunsFailing", "MonitorNotificationsDead"} <= firing
    assert {rule["alert"] for rule in alert_rules()} <= quiet


def test_every_alert_is_labelled_and_explained() -> None:
    """Each alert waits (``for``), has a severity and says what, why and what to do."""
    for rule in alert_rules():
        assert "for" in rule, rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), rule["alert"]


def test_the_rules_query_only_series_the_daemon_exposes(exposed: set[str]) -> None:
    """Every monitor_* name in alerts.yml is a series of the daemon's real exposition."""
    used = {name for rule in alert_rules() for name in METRIC_NAME.findall(rule["expr"])}
    assert {"monitor_runs_total", "monitor_outbox_messages", "monitor_store_up"} <= used
    assert used - exposed == set()


def test_the_dashboard_queries_only_series_the_daemon_exposes(exposed: set[str]) -> None:
    """Every monitor_* name in the dashboard's queries is a series the daemon exposes."""
    used = {name for query in dashboard_queries() for name in METRIC_NAME.findall(query)}
    assert {"monitor_drift_share", "monitor_run_duration_seconds_bucket",
            "monitor_notifications_dead_total"} <= used
    assert used - exposed == set()


def test_the_name_check_tells_series_from_families(exposed: set[str]) -> None:
    """The check itself: a counter's family name or a gauge with _total is not a series."""
    assert {"monitor_runs_total", "monitor_run_duration_seconds_count",
            "monitor_drift_share"} <= exposed
    assert not {"monitor_runs", "monitor_run_duration_seconds", "monitor_drift_share_total",
                "monitor_drifted_columns_total"} & exposed


def test_promtool_lints_the_exposition(promtool: str, exposition: str) -> None:
    """`promtool check metrics` finds nothing to say about the daemon's metric names."""
    run(promtool, "check", "metrics", stdin=exposition)


def test_the_dashboard_queries_parse(promtool: str, tmp_path: Path) -> None:
    """Each query, with Grafana's variables filled in, is valid PromQL (as a recording rule)."""
    queries = [q.replace("$__rate_interval", "5m").replace("$monitor", ".*")
               for q in dashboard_queries() if not q.startswith("label_values(")]
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": q} for i, q in enumerate(queries)]}]}
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump(rules))
    assert f"{len(queries)} rules found" in run(promtool, "check", "rules", str(path))


def test_the_dashboard_is_importable_as_is() -> None:
    """Schema 36+, a Prometheus datasource variable, and the monitor variable."""
    board = dashboard()
    assert board["schemaVersion"] >= 36 and board["uid"] and board["title"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    source = variables["DS_PROMETHEUS"]
    assert source["type"] == "datasource" and source["query"] == "prometheus"
    chosen = variables["monitor"]
    assert chosen["query"]["query"] == "label_values(monitor_drift_share, monitor)"
    assert chosen["datasource"]["uid"] == "${DS_PROMETHEUS}"


def test_every_panel_has_a_datasource_targets_and_a_place() -> None:
    """Panels: unique ids, the templated datasource, queries with refIds, no overlap."""
    panels = dashboard()["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    taken: set[tuple[int, int]] = set()
    for panel in panels:
        title = panel["title"]
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", title
        assert panel["targets"], title
        refs = [target["refId"] for target in panel["targets"]]
        assert len(refs) == len(set(refs)), title
        assert all(t["expr"].strip() and t["datasource"]["uid"] == "${DS_PROMETHEUS}"
                   for t in panel["targets"]), title
        grid = panel["gridPos"]
        assert all(isinstance(grid[k], int) for k in ("h", "w", "x", "y")), title
        assert grid["x"] + grid["w"] <= 24, title
        cells = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                 for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not cells & taken, f"{title} overlaps another panel"
        taken |= cells


def test_the_dashboard_shows_what_operators_need() -> None:
    """Drift, columns, quality, model, runs, durations, outbox, deliveries, store, alerts."""
    used = {name for query in dashboard_queries() for name in METRIC_NAME.findall(query)}
    assert {
        "monitor_drift_share", "monitor_drifted_columns", "monitor_column_drift_statistic",
        "monitor_quality_checks_failed", "monitor_model_metric", "monitor_runs_total",
        "monitor_run_duration_seconds_bucket", "monitor_outbox_messages",
        "monitor_outbox_oldest_waiting_seconds", "monitor_notifications_dead_total",
        "monitor_store_up", "monitor_rules_last_reload_success", "monitor_alerts",
    } <= used
