"""Prometheus metrics of the daemon, registered on a registry passed in (never the global one).

Counters and histograms are updated as runs finish. The per-run gauges (drift
share, columns, quality checks, model metrics, rows of the last window) show
each monitor's newest finished run: ``observe`` sets them as runs end, and
``restore`` sets them from the database at start, so a restart does not
blank the dashboards until the next window. Alert states and the outbox are
read from the database at scrape time (``StoreCollector``), so they are right
even when several daemons share the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.analysis.estimates import band_metrics, estimate_metrics
from monitor.daemon.runner import RunOutcome
from monitor.errors import MonitorError
from monitor.records import (
    FINISHED_RUN_STATUSES,
    NOT_QUALITY_CHECKS,
    OUTBOX_STAGES,
    ResultRecord,
)
from monitor.store import Store
from monitor.store.alerting import alert_state_counts
from monitor.store.latest import LatestRun, latest_runs
from monitor.store.models import finite
from monitor.store.outbox import OutboxQueue

__all__ = ["MAX_COLUMN_SERIES", "MAX_QUALITY_SERIES", "Metrics", "StoreCollector"]

log = logging.getLogger(__name__)

MAX_COLUMN_SERIES = 50
"""Columns per monitor exported with their own drift series (the strongest first)."""

MAX_QUALITY_SERIES = 100
"""Quality checks per monitor exported with their own series (the failed ones first)."""

"""Stored result checks that are not data-quality checks."""


@dataclass(frozen=True, slots=True)
class _Column:
    """One column's drift verdict, from a live comparison or a stored result."""

    column: str
    method: str
    statistic: float | None
    drifted: bool
    effect_size: float | None


@dataclass(frozen=True, slots=True)
class _Check:
    """One quality check's outcome; ``column`` is empty for checks on the whole window."""

    check: str
    column: str
    value: float | None
    passed: bool


class Metrics:
    """The daemon's series; ``observe`` records one run, ``restore`` the stored last runs."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.runs = Counter("monitor_runs", "Runs by monitor and status",
                            ["monitor", "status"], registry=registry)
        self.run_seconds = Histogram(
            "monitor_run_duration_seconds", "Wall time of one window's run", ["monitor"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300), registry=registry)
        self.rows = Counter("monitor_rows_read", "Rows read from sources", ["monitor"],
                            registry=registry)
        self._run_gauges(registry)
        self.reload_success = Gauge("monitor_rules_last_reload_success",
                                    "1 when the last rule reload succeeded", registry=registry)
        self.reload_time = Gauge("monitor_rules_last_reload_timestamp_seconds",
                                 "Time of the last rule reload attempt", registry=registry)
        self.monitors = Gauge("monitor_monitors", "Monitors scheduled", registry=registry)
        self.delivered = Counter("monitor_notifications_delivered",
                                 "Notifications delivered", registry=registry)
        self.dead = Counter("monitor_notifications_dead",
                            "Notifications given up on", registry=registry)
        self.tick_lateness = Histogram(
            "monitor_tick_lateness_seconds", "How late a monitor's tick started after its "
            "scheduled time", buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
            registry=registry)
        self.ticks_skipped = Counter(
            "monitor_ticks_skipped", "Ticks not run: missed (later than the misfire grace) or "
            "still_running (the previous tick had not finished)", ["reason"], registry=registry)
        self.last_tick = Gauge(
            "monitor_last_tick_timestamp_seconds", "When the monitor's last tick ended",
            ["monitor"], registry=registry)
        # The labels each monitor's last run exported, so the next run removes those it lacks.
        self._columns: dict[str, set[tuple[str, str]]] = {}
        self._checks: dict[str, set[tuple[str, str]]] = {}
        self._model: dict[str, set[tuple[str]]] = {}
        self._verdicts: dict[str, set[tuple[()]]] = {}

    def _run_gauges(self, registry: CollectorRegistry) -> None:
        """The gauges that show each monitor's newest finished run."""
        self.last_window_end = Gauge(
            "monitor_last_successful_window_end_timestamp_seconds",
            "End of the newest window processed successfully", ["monitor"], registry=registry)
        self.window_rows = Gauge("monitor_window_rows", "Rows in the newest finished window",
                                 ["monitor"], registry=registry)
        self.drift_share = Gauge("monitor_drift_share", "Share of drifted columns, last run",
                                 ["monitor"], registry=registry)
        self.drifted_columns = Gauge("monitor_drifted_columns", "Columns drifted, last run",
                                     ["monitor"], registry=registry)
        self.compared_columns = Gauge("monitor_compared_columns",
                                      "Columns tested for drift, last run", ["monitor"],
                                      registry=registry)
        self.column_statistic = Gauge(
            "monitor_column_drift_statistic", "Drift statistic of a column, last run "
            f"(at most {MAX_COLUMN_SERIES} columns per monitor)", ["monitor", "column", "method"],
            registry=registry)
        self.column_drifted = Gauge(
            "monitor_column_drifted", "1 when the column drifted in the last run",
            ["monitor", "column", "method"], registry=registry)
        self.quality_failed = Gauge("monitor_quality_checks_failed",
                                    "Quality checks failed, last finished run", ["monitor"],
                                    registry=registry)
        self.quality_passed = Gauge(
            "monitor_quality_check_passed", "1 when the check passed in the last finished run "
            f"(at most {MAX_QUALITY_SERIES} checks per monitor, failed first; column empty for "
            "checks on the whole window)", ["monitor", "check", "column"], registry=registry)
        self.quality_value = Gauge(
            "monitor_quality_check_value", "The value a quality check measured, last finished "
            "run (the same series as monitor_quality_check_passed)",
            ["monitor", "check", "column"], registry=registry)
        self.model_metric = Gauge(
            "monitor_model_metric", "Model metric on the labelled rows, last run; "
            "estimated ones as estimated.METRIC (and .lower, .upper: the 95 % band)",
            ["monitor", "metric"], registry=registry)
        self.verdict = Gauge("monitor_verdict", "Retrain verdict of the last run: 0 ok, "
                             "1 watch, 2 retrain", ["monitor"], registry=registry)

    def observe(self, outcome: RunOutcome) -> None:
        """Record one run's outcome; skipped, leased and interrupted ones only count."""
        self.runs.labels(outcome.monitor, outcome.status).inc()
        if outcome.status in ("skipped", "interrupted", "leased"):
            return
        self.run_seconds.labels(outcome.monitor).observe(outcome.seconds)
        self.rows.labels(outcome.monitor).inc(outcome.rows)
        if outcome.status not in FINISHED_RUN_STATUSES:
            return
        comparison = outcome.comparison
        checks = [] if comparison is None else [
            _Check(q.check, q.column or "", finite(q.value), q.passed)
            for q in comparison.quality]
        self._show_window(outcome.monitor, outcome.window.end.timestamp(), outcome.rows, checks)
        if comparison is not None and outcome.status == "ok":
            columns = [_Column(c.column, c.method, finite(c.statistic), c.drifted,
                               finite(c.effect_size)) for c in comparison.columns]
            self._show_drift(outcome.monitor, finite(comparison.drift_share), columns,
                             {**comparison.performance, **estimate_metrics(comparison.estimated)})
        if outcome.verdict is not None:
            self._show_verdict(outcome.monitor, outcome.verdict)

    def restore(self, store: Store, monitors: Iterable[str]) -> None:
        """Show each monitor's newest stored run, as ``observe`` did before the restart.

        The window, rows and quality checks come from the newest finished run
        (``ok`` or ``no_data``), drift and model metrics from the newest ``ok``
        one. A database that fails only leaves the gauges empty until the next
        run: it never stops the daemon from starting.
        """
        names = list(monitors)
        try:
            finished = latest_runs(store, names)
            waiting = [name for name, latest in finished.items() if latest.run.status != "ok"]
            drifts = {name: latest for name, latest in finished.items()
                      if latest.run.status == "ok"}
            if waiting:
                drifts.update(latest_runs(store, waiting, statuses=("ok",)))
        except Exception as exc:  # the start goes on; the next runs fill the gauges
            log.warning("metrics: could not read the last runs to restore their gauges: %s",
                        exc, exc_info=not isinstance(exc, MonitorError))
            return
        for name, latest in finished.items():
            self._restore_window(name, latest)
        for name, latest in drifts.items():
            self._restore_drift(name, latest)
        log.info("metrics: restored the last runs of %d of %d monitors", len(finished),
                 len(names))

    def tick_finished(self, monitor: str) -> None:
        """A tick of ``monitor`` ended (whatever its runs did): its liveness for alerting."""
        self.last_tick.labels(monitor).set_to_current_time()

    def forget(self, monitor: str) -> None:
        """Drop the gauges of a monitor removed from the rules, so no alert fires on them."""
        for gauge in (self.last_window_end, self.window_rows, self.drift_share,
                      self.drifted_columns, self.compared_columns, self.quality_failed,
                      self.last_tick):
            gauge.remove(monitor)
        self._forget(self._verdicts, monitor, set(), self.verdict)
        self._forget(self._columns, monitor, set(), self.column_statistic, self.column_drifted)
        self._forget(self._checks, monitor, set(), self.quality_passed, self.quality_value)
        self._forget(self._model, monitor, set(), self.model_metric)

    def _restore_window(self, monitor: str, latest: LatestRun) -> None:
        checks = [_Check(r.check, r.column or "", r.value, bool(r.passed))
                  for r in latest.results if r.check not in NOT_QUALITY_CHECKS]
        self._show_window(monitor, latest.run.window_end.timestamp(),
                          latest.run.current_rows or 0, checks)

    def _restore_drift(self, monitor: str, latest: LatestRun) -> None:
        columns = [_Column(r.column or "", r.method or "", r.statistic, bool(r.drifted),
                           r.effect_size) for r in latest.results if r.check == "drift"]
        self._show_drift(monitor, latest.run.drift_share, columns, _performance(latest.results))
        for r in latest.results:
            if r.check == "verdict" and r.segment is None and r.value is not None:
                self._show_verdict(monitor, r.value)

    def _show_window(self, monitor: str, window_end: float, rows: int,
                     checks: Sequence[_Check]) -> None:
        """The newest finished window: its end, rows and quality checks."""
        self.last_window_end.labels(monitor).set(window_end)
        self.window_rows.labels(monitor).set(rows)
        self.quality_failed.labels(monitor).set(sum(not c.passed for c in checks))
        shown = sorted(checks, key=lambda c: (c.passed, c.check, c.column))[:MAX_QUALITY_SERIES]
        self._forget(self._checks, monitor, {(c.check, c.column) for c in shown},
                     self.quality_passed, self.quality_value)
        for c in shown:
            self.quality_passed.labels(monitor, c.check, c.column).set(1 if c.passed else 0)
            if c.value is None:  # unknown this time: no value left over from an earlier run
                self.quality_value.remove(monitor, c.check, c.column)
            else:
                self.quality_value.labels(monitor, c.check, c.column).set(c.value)

    def _show_drift(self, monitor: str, share: float | None, columns: Sequence[_Column],
                    performance: Mapping[str, float]) -> None:
        """The newest ``ok`` run: drift share, drifted columns, the strongest ones, model."""
        if share is not None:
            self.drift_share.labels(monitor).set(share)
        self.drifted_columns.labels(monitor).set(sum(c.drifted for c in columns))
        self.compared_columns.labels(monitor).set(len(columns))
        strongest = sorted(columns, key=lambda c: (not c.drifted, -(c.effect_size or 0.0),
                                                   c.column))[:MAX_COLUMN_SERIES]
        self._forget(self._columns, monitor, {(c.column, c.method) for c in strongest},
                     self.column_statistic, self.column_drifted)
        for c in strongest:
            if c.statistic is None:  # not a number this time: drop the earlier run's
                self.column_statistic.remove(monitor, c.column, c.method)
            else:
                self.column_statistic.labels(monitor, c.column, c.method).set(c.statistic)
            self.column_drifted.labels(monitor, c.column, c.method).set(1 if c.drifted else 0)
        model = {name: value for name, value in performance.items()
                 if finite(value) is not None}
        self._forget(self._model, monitor, {(name,) for name in model}, self.model_metric)
        for name, value in model.items():
            self.model_metric.labels(monitor, name).set(value)

    def _show_verdict(self, monitor: str, level: float) -> None:
        self._verdicts[monitor] = {()}
        self.verdict.labels(monitor).set(level)

    @staticmethod
    def _forget(shown: dict[str, set[Any]], monitor: str, now: set[Any], *gauges: Gauge) -> None:
        """Remove the series of ``monitor`` that its previous run showed and this one does not."""
        for labels in shown.get(monitor, set()) - now:
            for gauge in gauges:
                gauge.remove(monitor, *labels)
        shown[monitor] = now


def _performance(results: Iterable[ResultRecord]) -> dict[str, float]:
    """Model metrics from stored results (``check`` performance, the metric in ``method``),
    and the whole window's estimated ones as ``estimated.METRIC`` (with ``.lower``, ``.upper``)."""
    out = {r.method: r.value for r in results
           if r.check == "performance" and r.method and r.value is not None}
    for r in results:
        if r.check == "estimated" and r.segment is None and r.method:
            out.update(band_metrics(r.method, r.value, r.lower, r.upper))
    return out


class StoreCollector(Collector):
    """Alert states and outbox backlog, counted in the database at each scrape."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.queue = OutboxQueue(store)
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        """Yield the gauges; a database that does not answer gives ``monitor_store_up 0``."""
        up = GaugeMetricFamily("monitor_store_up", "1 when the database answered this scrape")
        try:
            states = alert_state_counts(self.store)
            backlog = self.queue.backlog()
        except MonitorError as exc:
            log.warning("metrics: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        alerts = GaugeMetricFamily("monitor_alerts", "Alert instances by state",
                                   labels=["monitor", "state"])
        for (monitor, state), count in sorted(states.items()):
            alerts.add_metric([monitor, state], count)
        yield alerts
        messages = GaugeMetricFamily("monitor_outbox_messages", "Outbox messages by notifier "
                                     "and stage (pending, retrying, dead, delivered)",
                                     labels=["notifier", "stage"])
        oldest = GaugeMetricFamily("monitor_outbox_oldest_waiting_seconds", "Age of the oldest "
                                   "message not delivered yet", labels=["notifier"])
        now = self.clock()
        for notifier, stages in backlog.items():
            for stage in OUTBOX_STAGES:
                messages.add_metric([notifier, stage], getattr(stages, stage))
            if stages.oldest_waiting is not None:
                oldest.add_metric([notifier], (now - stages.oldest_waiting).total_seconds())
        yield messages
        yield oldest
