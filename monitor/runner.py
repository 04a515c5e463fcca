"""One window of one monitor: source → profile → compare → alerts → store, once.

The runner is the only place where the pure core meets I/O. A run either
stores its results, alert states and outbox rows in one transaction, or
stores a failed-run record with the reason; it never raises for bad data or
a broken source, so the daemon keeps going and the window is retried later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from monitor.alerts.evaluate import evaluate_alerts
from monitor.analysis import analyse, results_of
from monitor.compare import Comparison
from monitor.errors import MonitorError
from monitor.logs import bind_run
from monitor.references import ReferenceResolver
from monitor.rules.schema import MonitorSpec
from monitor.sources.base import open_source
from monitor.store.records import NewRun
from monitor.store.repository import Store
from monitor.windows import Window, complete_windows, latest_complete_window

__all__ = ["RunOutcome", "Runner"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What one window's run did, for the command line, logs and metrics."""

    monitor: str
    window: Window
    status: str  # ok | no_data | failed | skipped (already stored)
    comparison: Comparison | None = None
    firing: tuple[str, ...] = ()
    transitions: tuple[tuple[str, str], ...] = ()  # (alert, firing|resolved)
    notifications: int = 0
    error: str | None = None
    run_id: int | None = None
    rows: int = 0
    seconds: float = 0.0
    quality_failed: tuple[str, ...] = field(default=())


class Runner:
    """Runs monitors' windows against a store; safe to call from several threads."""

    def __init__(self, store: Store, *, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock
        self.references = ReferenceResolver(store, clock=clock)

    def due_windows(self, spec: MonitorSpec, limit: int) -> list[Window]:
        """Complete windows after the monitor's watermark, oldest first (at most ``limit``)."""
        watermark = self.store.last_window_end(spec.name)
        return complete_windows(self.clock(), spec.window, spec.delay, after=watermark,
                                limit=limit)

    def latest_window(self, spec: MonitorSpec) -> Window:
        """The newest complete window of a monitor at the current time."""
        return latest_complete_window(self.clock(), spec.window, spec.delay)

    def run_window(self, spec: MonitorSpec, window: Window) -> RunOutcome:
        """Process one window exactly once; an already stored window is skipped."""
        with bind_run(monitor=spec.name, window=str(window)):
            existing = self.store.get_run(spec.name, window.start, window.end)
            if existing is not None and existing.status != "failed":
                return RunOutcome(spec.name, window, "skipped", run_id=existing.id,
                                  rows=existing.current_rows or 0)
            began, started_at = time.monotonic(), self.clock()
            try:
                outcome = self._process(spec, window, started_at)
            except MonitorError as exc:
                outcome = self._fail(spec, window, started_at, str(exc))
            outcome = replace(outcome, seconds=time.monotonic() - began)
            _log_summary(outcome)
            return outcome

    def _process(self, spec: MonitorSpec, window: Window, started_at: datetime) -> RunOutcome:
        reference = self.references.resolve(spec)
        source = open_source(spec.source.config, base_dir=spec.origin.parent)
        analysis = analyse(spec, reference.profile, source.read(window.start, window.end))
        status = "ok" if analysis.rows > 0 else "no_data"
        previous = self.store.alert_states(spec.name)
        evaluation = evaluate_alerts(spec, window, analysis if status == "ok" else None,
                                     previous, self.clock())
        comparison = analysis.comparison
        run = NewRun(
            monitor=spec.name, window_start=window.start, window_end=window.end,
            status=status, started_at=started_at, finished_at=self.clock(),
            reference_name=reference.name, reference_version=reference.version,
            reference_rows=reference.profile.rows, current_rows=analysis.rows,
            drift_share=comparison.drift_share, dataset_drift=comparison.dataset_drift,
        )
        stored = self.store.save_run(run, results_of(analysis), evaluation.states,
                                     evaluation.notifications)
        if stored is None:  # another process stored this window first
            return RunOutcome(spec.name, window, "skipped", rows=analysis.rows)
        return RunOutcome(
            spec.name, window, status, comparison=comparison, firing=evaluation.firing,
            transitions=tuple((t.alert, t.status) for t in evaluation.transitions),
            notifications=len(evaluation.notifications), run_id=stored.id, rows=analysis.rows,
            quality_failed=tuple(f"{q.check}:{q.column}" if q.column else q.check
                                 for q in comparison.quality if not q.passed),
        )

    def _fail(
        self, spec: MonitorSpec, window: Window, started_at: datetime, error: str
    ) -> RunOutcome:
        log.error("run failed: %s", error)
        run = NewRun(
            monitor=spec.name, window_start=window.start, window_end=window.end,
            status="failed", started_at=started_at, finished_at=self.clock(),
            error=error,
        )
        try:
            stored = self.store.save_run(run, [], [], [])
        except MonitorError as exc:  # the database itself is down: nothing to record in
            return RunOutcome(spec.name, window, "failed", error=f"{error}; and {exc}")
        return RunOutcome(spec.name, window, "failed", error=error,
                          run_id=stored.id if stored else None)


def _log_summary(outcome: RunOutcome) -> None:
    """The one canonical line per run."""
    comparison = outcome.comparison
    drifted = sum(c.drifted for c in comparison.columns) if comparison else 0
    compared = len(comparison.columns) if comparison else 0
    log.info(
        "run %s rows=%d drifted=%d/%d quality_failed=%d firing=%s notifications=%d "
        "seconds=%.3f%s",
        outcome.status, outcome.rows, drifted, compared, len(outcome.quality_failed),
        ",".join(outcome.firing) or "-", outcome.notifications, outcome.seconds,
        f" error={outcome.error}" if outcome.error else "",
    )
