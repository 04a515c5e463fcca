"""Prometheus metrics of the daemon, registered on a registry passed in (never the global one).

Counters and histograms are updated as runs finish; alert states and the
outbox are read from the database at scrape time (``StoreCollector``), so
they are right even when several daemons share the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.daemon.runner import RunOutcome
from monitor.errors import MonitorError
from monitor.records import FINISHED_RUN_STATUSES, OUTBOX_STAGES
from monitor.store import Store
from monitor.store.alerting import alert_state_counts
from monitor.store.outbox import OutboxQueue

__all__ = ["MAX_COLUMN_SERIES", "Metrics", "StoreCollector"]

log = logging.getLogger(__name__)

MAX_COLUMN_SERIES = 50
"""Columns per monitor exported with their own drift series (the strongest first)."""


class Metrics:
    """The daemon's series; ``observe`` records one run."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.runs = Counter("monitor_runs", "Runs by monitor and status",
                            ["monitor", "status"], registry=registry)
        self.run_seconds = Histogram(
            "monitor_run_duration_seconds", "Wall time of one window's run", ["monitor"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300), registry=registry)
        self.rows = Counter("monitor_rows_read", "Rows read from sources", ["monitor"],
                            registry=registry)
        self.last_window_end = Gauge(
            "monitor_last_successful_window_end_timestamp_seconds",
            "End of the newest window processed successfully", ["monitor"], registry=registry)
        self.drift_share = Gauge("monitor_drift_share", "Share of drifted columns, last run",
                                 ["monitor"], registry=registry)
        self.column_statistic = Gauge(
            "monitor_column_drift_statistic", "Drift statistic of a column, last run "
            f"(at most {MAX_COLUMN_SERIES} columns per monitor)", ["monitor", "column", "method"],
            registry=registry)
        self.column_drifted = Gauge(
            "monitor_column_drifted", "1 when the column drifted in the last run",
            ["monitor", "column"], registry=registry)
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
        self._columns: dict[str, set[tuple[str, str]]] = {}

    def observe(self, outcome: RunOutcome) -> None:
        """Record one run's outcome; skipped, leased and interrupted ones only count."""
        self.runs.labels(outcome.monitor, outcome.status).inc()
        if outcome.status in ("skipped", "interrupted", "leased"):
            return
        self.run_seconds.labels(outcome.monitor).observe(outcome.seconds)
        self.rows.labels(outcome.monitor).inc(outcome.rows)
        if outcome.status in FINISHED_RUN_STATUSES:
            self.last_window_end.labels(outcome.monitor).set(outcome.window.end.timestamp())
        if outcome.comparison is not None and outcome.status == "ok":
            self.drift_share.labels(outcome.monitor).set(outcome.comparison.drift_share)
            self._observe_columns(outcome)

    def _observe_columns(self, outcome: RunOutcome) -> None:
        assert outcome.comparison is not None
        columns = sorted(outcome.comparison.columns, key=lambda c: (not c.drifted,
                                                                      -(c.effect_size or 0.0)))
        shown = {(c.column, c.method) for c in columns[:MAX_COLUMN_SERIES]}
        for column, method in self._columns.get(outcome.monitor, set()) - shown:
            self.column_statistic.remove(outcome.monitor, column, method)
            self.column_drifted.remove(outcome.monitor, column)
        for c in columns[:MAX_COLUMN_SERIES]:
            if c.statistic is not None:
                self.column_statistic.labels(outcome.monitor, c.column, c.method).set(c.statistic)
            self.column_drifted.labels(outcome.monitor, c.column).set(1 if c.drifted else 0)
        self._columns[outcome.monitor] = shown


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
