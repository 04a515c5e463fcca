"""Prometheus metrics of the daemon, registered on a registry passed in (never the global one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from monitor.runner import RunOutcome

__all__ = ["Metrics"]


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
        self.firing = Gauge("monitor_alerts_firing", "Alerts firing after the last run",
                            ["monitor"], registry=registry)
        self.reload_success = Gauge("monitor_rules_last_reload_success",
                                    "1 when the last rule reload succeeded", registry=registry)
        self.reload_time = Gauge("monitor_rules_last_reload_timestamp_seconds",
                                 "Time of the last rule reload attempt", registry=registry)
        self.monitors = Gauge("monitor_monitors", "Monitors scheduled", registry=registry)
        self.delivered = Counter("monitor_notifications_delivered",
                                 "Notifications delivered", registry=registry)
        self.dead = Counter("monitor_notifications_dead",
                            "Notifications given up on", registry=registry)
        self.outbox_pending = Gauge("monitor_outbox_pending",
                                    "Notifications waiting for delivery", registry=registry)

    def observe(self, outcome: RunOutcome) -> None:
        """Record one run's outcome (skipped runs count too, under status 'skipped')."""
        self.runs.labels(outcome.monitor, outcome.status).inc()
        if outcome.status == "skipped":
            return
        self.run_seconds.labels(outcome.monitor).observe(outcome.seconds)
        self.rows.labels(outcome.monitor).inc(outcome.rows)
        if outcome.status in ("ok", "no_data"):
            self.last_window_end.labels(outcome.monitor).set(outcome.window.end.timestamp())
        if outcome.comparison is not None and outcome.status == "ok":
            self.drift_share.labels(outcome.monitor).set(outcome.comparison.drift_share)
            self.firing.labels(outcome.monitor).set(len(outcome.firing))
