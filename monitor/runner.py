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

from monitor.alerts.state import AlertState, Transition, alert_key, step
from monitor.compare import Comparison, compare
from monitor.errors import MonitorError
from monitor.logs import bind_run
from monitor.notifications import notifications_for
from monitor.options import drift_options, profile_exclusions, quality_options
from monitor.profiles import ProfileBuilder
from monitor.references import ReferenceResolver
from monitor.rules.schema import AlertSpec, MonitorSpec
from monitor.sources.base import open_source
from monitor.store.records import AlertStateRecord, NewResult, NewRun
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
        builder = ProfileBuilder(reference=reference.profile,
                                 exclude=profile_exclusions(spec))
        for chunk in source.read(window.start, window.end):
            builder.update(chunk)
        current = builder.build()
        comparison = compare(reference.profile, current, drift_options(spec),
                             quality_options(spec))
        status = "ok" if current.rows > 0 else "no_data"
        previous = self.store.alert_states(spec.name)
        states, transitions = (self._evaluate_alerts(spec, window, comparison, previous)
                               if status == "ok" else ([], []))
        notifications = notifications_for(spec, window, comparison, transitions,
                                          self.clock())
        run = NewRun(
            monitor=spec.name, window_start=window.start, window_end=window.end,
            status=status, started_at=started_at, finished_at=self.clock(),
            reference_name=reference.name, reference_version=reference.version,
            reference_rows=reference.profile.rows, current_rows=current.rows,
            drift_share=comparison.drift_share, dataset_drift=comparison.dataset_drift,
            error=None,
        )
        stored = self.store.save_run(run, _results(comparison), states, notifications)
        if stored is None:  # another process stored this window first
            return RunOutcome(spec.name, window, "skipped", rows=current.rows)
        firing = {s.alert for s in states if s.state == "firing"} | {
            s.alert for s in previous.values()
            if s.state == "firing" and s.alert_key not in {n.alert_key for n in states}
        }
        return RunOutcome(
            spec.name, window, status, comparison=comparison, firing=tuple(sorted(firing)),
            transitions=tuple((t.alert, t.status) for t in transitions),
            notifications=len(notifications), run_id=stored.id, rows=current.rows,
            quality_failed=tuple(f"{q.check}:{q.column}" if q.column else q.check
                                 for q in comparison.quality if not q.passed),
        )

    def _evaluate_alerts(
        self,
        spec: MonitorSpec,
        window: Window,
        comparison: Comparison,
        previous: dict[str, AlertStateRecord],
    ) -> tuple[list[AlertStateRecord], list[AlertTransition]]:
        metrics = comparison.metrics()
        states: list[AlertStateRecord] = []
        transitions: list[AlertTransition] = []
        for alert in spec.alerts:
            key = alert_key(spec.name, alert.name)
            expression = alert.expression
            before = previous.get(key)
            state, transition = step(
                _to_state(before), key=key, for_windows=alert.for_,
                holds=expression.evaluate(metrics), value=expression.value(metrics),
                window_end=window.end,
            )
            states.append(_to_record(state, spec.name, alert, self.clock()))
            if transition is not None:
                transitions.append(AlertTransition(alert, key, transition, state))
        return states, transitions

    def _fail(
        self, spec: MonitorSpec, window: Window, started_at: datetime, error: str
    ) -> RunOutcome:
        log.error("run failed: %s", error)
        run = NewRun(
            monitor=spec.name, window_start=window.start, window_end=window.end,
            status="failed", started_at=started_at, finished_at=self.clock(),
            reference_name=None, reference_version=None, reference_rows=None,
            current_rows=None, drift_share=None, dataset_drift=None, error=error,
        )
        try:
            stored = self.store.save_run(run, [], [], [])
        except MonitorError as exc:  # the database itself is down: nothing to record in
            return RunOutcome(spec.name, window, "failed", error=f"{error}; and {exc}")
        return RunOutcome(spec.name, window, "failed", error=error,
                          run_id=stored.id if stored else None)


@dataclass(frozen=True, slots=True)
class AlertTransition:
    """An alert that changed state in this run, with what it needs for its message."""

    spec: AlertSpec
    key: str
    transition: Transition
    state: AlertState

    @property
    def alert(self) -> str:
        """The alert rule's name."""
        return self.spec.name

    @property
    def status(self) -> str:
        """``firing`` or ``resolved``."""
        return self.transition.status


def _to_state(record: AlertStateRecord | None) -> AlertState | None:
    if record is None:
        return None
    return AlertState(key=record.alert_key, state=record.state, consecutive=record.consecutive,
                      since=record.since, fired_at=record.fired_at,
                      last_value=record.last_value, last_window_end=record.last_window_end)


def _to_record(state: AlertState, monitor: str, alert: AlertSpec, now: datetime
               ) -> AlertStateRecord:
    return AlertStateRecord(
        alert_key=state.key, monitor=monitor, alert=alert.name, segment=None,
        state=state.state, consecutive=state.consecutive, since=state.since,
        fired_at=state.fired_at, last_value=state.last_value,
        last_window_end=state.last_window_end, updated_at=now,
    )


def _results(comparison: Comparison) -> list[NewResult]:
    rows = [
        NewResult(check="drift", column=c.column, segment=None, kind=c.kind, method=c.method,
                  statistic=c.statistic, p_value=c.p_value, threshold=c.threshold,
                  effect_size=c.effect_size, value=None, passed=not c.drifted,
                  drifted=c.drifted)
        for c in comparison.columns
    ]
    rows += [
        NewResult(check=q.check, column=q.column, segment=None, kind=None, method=None,
                  statistic=None, p_value=None, threshold=q.threshold, effect_size=None,
                  value=q.value, passed=q.passed, drifted=None)
        for q in comparison.quality
    ]
    return rows


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
