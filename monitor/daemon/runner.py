"""One window of one monitor: reference → source → analysis → alerts → store, exactly once.

The runner is the only place where the pure core meets I/O. A run either
stores its results, alert states and outbox rows in one transaction, or
stores a failed-run record with the reason; it never raises for bad data or
a broken source, so the daemon keeps going and the window is retried later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

from monitor.alerts.evaluate import Evaluation, evaluate_alerts
from monitor.analysis import Comparison, results_of, with_verdicts
from monitor.daemon.collect import collect_labels, collect_window
from monitor.daemon.logs import bind_run
from monitor.daemon.references import ReferenceResolver
from monitor.daemon.reports import report_of
from monitor.daemon.verdicts import reference_built, verdict_results
from monitor.errors import Interrupted, MonitorError
from monitor.records import FINISHED_RUN_STATUSES, NewRun, RunRecord
from monitor.retry import backoff_seconds
from monitor.rules.schema import MonitorSpec
from monitor.settings import Settings
from monitor.sources.base import open_source
from monitor.store.alerting import active_silences
from monitor.store.leases import LeaseKeeper, Leases, process_owner
from monitor.store.repository import Store
from monitor.times import utc_now
from monitor.windows import Window, due_windows, latest_complete_window

__all__ = ["Interrupted", "RunOutcome", "Runner", "describe_error", "retry_backoff",
           "until_stopped"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(minutes=30)
T = TypeVar("T")


def until_stopped(chunks: Iterable[T], stop: threading.Event) -> Iterator[T]:
    """Pass ``chunks`` through, raising ``Interrupted`` once ``stop`` is set."""
    for chunk in chunks:
        if stop.is_set():
            raise Interrupted
        yield chunk


def retry_backoff(attempts: int, window: timedelta = RETRY_MAX) -> timedelta:
    """How long a window that failed ``attempts`` times waits before the daemon tries again.

    30 s after the first failure, doubling up to 30 min or the window's length
    (whichever is shorter, but at least 30 s): a source that stays broken is
    retried without flooding the database and the logs, and still at least
    once a window, so error alerts keep counting windows.

    >>> [retry_backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)]
    [30.0, 60.0, 120.0, 1800.0, 1800.0]
    >>> retry_backoff(8, timedelta(minutes=5)).total_seconds()
    300.0
    """
    cap = min(RETRY_MAX, max(RETRY_FIRST, window))
    return timedelta(seconds=backoff_seconds(attempts, RETRY_FIRST.total_seconds(),
                                             cap.total_seconds()))


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What one window's run did, for the command line, logs and metrics."""

    monitor: str
    window: Window
    # ok | no_data | failed | skipped (already stored) | interrupted (stopping)
    # | leased (another process is running this window, or an earlier one)
    status: str
    comparison: Comparison | None = None
    firing: tuple[str, ...] = ()
    transitions: tuple[tuple[str, str], ...] = ()  # (alert, firing|resolved)
    notifications: int = 0
    error: str | None = None
    run_id: int | None = None
    rows: int = 0
    seconds: float = 0.0
    quality_failed: tuple[str, ...] = field(default=())
    verdict: float | None = None  # the whole window's retrain verdict level (0, 1, 2)


class Runner:
    """Runs monitors' windows against a store; safe to call from several threads.

    Each window is leased in the database while it runs (``lease`` long,
    renewed as it goes; default ``MONITOR_LEASE_SECONDS``), so processes
    sharing the database never run it twice at once. A runner that finds a
    window leased by another process runs no later window of that monitor
    until the watermark has caught up, so windows are stored in order.
    """

    STOP_STATUSES = ("failed", "interrupted", "leased")
    """Outcomes after which later windows of the monitor must wait."""

    def __init__(
        self, store: Store, *, clock: Clock = utc_now, stop: threading.Event | None = None,
        lease: timedelta | None = None, public_url: str | None = None,
    ) -> None:
        self.store = store
        self.public_url = public_url or Settings().public_url
        self.clock = clock
        self.stop = stop or threading.Event()
        self.references = ReferenceResolver(store, clock=clock)
        self.lease = lease or timedelta(seconds=Settings().lease_seconds)
        self.owner = process_owner()
        self.leases = Leases(store.engine)
        self._held_elsewhere: dict[str, Window] = {}

    def due_windows(self, spec: MonitorSpec, limit: int) -> list[Window]:
        """Complete windows not finished yet, oldest first (at most ``limit``).

        Gaps among the recent windows (the last ``2 × limit``, at least 48)
        are filled before newer windows run.
        """
        return self._due(spec, limit)[0]

    def _due(self, spec: MonitorSpec, limit: int) -> tuple[list[Window], dict[Window, RunRecord]]:
        """The due windows, and the failed runs among the recent ones.

        A window whose lease row is left (its process was killed before it
        stored anything) counts as tried: it is due again, even when it was a
        new monitor's first window and no run of the monitor is stored yet.
        """
        recent = self.store.runs(spec.name, limit=max(48, 2 * limit))
        runs = {Window(r.window_start, r.window_end): r for r in recent}
        finished = [w for w, r in runs.items() if r.status in FINISHED_RUN_STATUSES]
        failed = {w: r for w, r in runs.items() if r.status == "failed"}
        started = [Window(lease.window_start, lease.window_end)
                   for lease in self.leases.held(spec.name)]
        due = due_windows(self.clock(), spec.window, spec.delay, finished=finished,
                          tried=[*runs, *started], limit=limit)
        return due, failed

    def run_due(
        self, spec: MonitorSpec, limit: int, *, progress: Callable[[], None] | None = None
    ) -> list[RunOutcome]:
        """Run the due windows oldest first; stop at the first that fails or is leased.

        So the watermark never passes a window that was not processed: the
        next call starts again from it. ``progress`` is called as each window
        begins and ends (the daemon's liveness).
        """
        outcomes = []
        due, failed = self._due(spec, limit)
        for window in due:
            if self.stop.is_set() or self._backing_off(spec, window, failed.get(window)):
                break
            if progress is not None:
                progress()
            outcomes.append(self.run_window(spec, window))
            if progress is not None:
                progress()
            if outcomes[-1].status in self.STOP_STATUSES:
                break
        return outcomes

    def latest_window(self, spec: MonitorSpec) -> Window:
        """The newest complete window of a monitor at the current time."""
        return latest_complete_window(self.clock(), spec.window, spec.delay)

    def run_window(self, spec: MonitorSpec, window: Window) -> RunOutcome:
        """Process one window exactly once; an already stored window is skipped.

        Never raises for a fault of the window's own: whatever goes wrong (a
        plugin's bug, a hostile input, the database) ends as a "failed"
        outcome, stored when the database answers, so the daemon and the
        other monitors carry on and the window is retried after its backoff.
        """
        with bind_run(monitor=spec.name, window=str(window)):
            try:
                return self._run_leased(spec, window)
            except Exception as exc:  # the store failed outside the run itself
                error = describe_error(exc)
                log.error("window could not be run: %s", error,
                          exc_info=not isinstance(exc, MonitorError))
                return RunOutcome(spec.name, window, "failed", error=error)

    def _run_leased(self, spec: MonitorSpec, window: Window) -> RunOutcome:
        stored = self._stored(spec, window)
        if stored is not None:
            return stored
        if self._behind_other_process(spec, window):
            return RunOutcome(spec.name, window, "leased",
                              error="an earlier window is being run by another process")
        claim = self.leases.claim(spec.name, window.start, window.end, self.owner,
                                  self.clock(), self.lease)
        if not claim.granted or claim.lease is None:
            return self._leased_elsewhere(spec, window, claim.lease)
        self._held_elsewhere.pop(spec.name, None)
        with LeaseKeeper(self.leases, claim.lease, self.lease, self.clock):
            stored = self._stored(spec, window)  # stored while we were claiming
            if stored is not None:
                return stored
            began, started_at = time.monotonic(), self.clock()
            try:
                outcome = self._process(spec, window, started_at)
            except Interrupted:
                log.warning("run interrupted by the stop; the window runs again on next start")
                outcome = RunOutcome(spec.name, window, "interrupted")
            except Exception as exc:
                if not isinstance(exc, MonitorError):
                    log.exception("unexpected error in the run")
                outcome = self._fail(spec, window, started_at, describe_error(exc))
            outcome = replace(outcome, seconds=time.monotonic() - began)
            _log_summary(outcome)
            return outcome

    def _backing_off(self, spec: MonitorSpec, window: Window, failed: RunRecord | None) -> bool:
        """True while a window that failed waits for its next try (backoff per attempt)."""
        if failed is None:
            return False
        retry_at = failed.finished_at + retry_backoff(failed.attempts, spec.window)
        if retry_at <= self.clock():
            return False
        log.debug("monitor %s: window %s failed %d times; next try at %s", spec.name, window,
                  failed.attempts, retry_at.isoformat())
        return True

    def _stored(self, spec: MonitorSpec, window: Window) -> RunOutcome | None:
        """The "skipped" outcome of a window already stored (not failed), else None."""
        existing = self.store.get_run(spec.name, window.start, window.end)
        if existing is not None and existing.status != "failed":
            return RunOutcome(spec.name, window, "skipped", run_id=existing.id,
                              rows=existing.current_rows or 0)
        return None

    def _behind_other_process(self, spec: MonitorSpec, window: Window) -> bool:
        """True while an earlier window, seen leased by another process, is not finished."""
        held = self._held_elsewhere.get(spec.name)
        if held is None or window.start <= held.start:
            return False
        watermark = self.store.last_window_end(spec.name)
        if watermark is not None and window.start - watermark < spec.window:
            self._held_elsewhere.pop(spec.name, None)  # nothing unfinished before this one
            return False
        now = self.clock()
        if not any(lease.window_start == held.start and lease.owner != self.owner
                   and lease.expires_at > now for lease in self.leases.held(spec.name)):
            # Released or expired (its owner was killed): the window is due again (its
            # lease row makes it so, see _due) or done. Either way, go on.
            self._held_elsewhere.pop(spec.name, None)
            return False
        return True

    def _leased_elsewhere(self, spec: MonitorSpec, window: Window, lease: object) -> RunOutcome:
        owner = getattr(lease, "owner", "another process")
        until = getattr(lease, "expires_at", None)
        self._held_elsewhere[spec.name] = window
        log.info("window is being run by %s (lease until %s); skipped here", owner,
                 until.isoformat() if until else "?")
        return RunOutcome(spec.name, window, "leased", error=f"being run by {owner}")

    def _process(self, spec: MonitorSpec, window: Window, started_at: datetime) -> RunOutcome:
        """One window, top to bottom: reference → source → analysis → alerts → store."""
        reference = self.references.resolve(spec)
        source = open_source(spec.source.config, base_dir=spec.origin.parent, stop=self.stop)
        analysis = collect_window(spec, reference.profile, source, window, now=self.clock(),
                                  history=self._history(spec, window),
                                  previous=self._previous(spec, window),
                                  wrap=lambda chunks: until_stopped(chunks, self.stop))
        if spec.labels is not None:
            analysis = collect_labels(spec, analysis, window, stop=self.stop,
                                      reference=reference.profile)
        now = self.clock()
        status = "ok" if analysis.rows > 0 else "no_data"
        comparison = analysis.comparison
        run = NewRun(
            monitor=spec.name, window_start=window.start, window_end=window.end,
            status=status, started_at=started_at, finished_at=now,
            reference_name=reference.name, reference_version=reference.version,
            reference_rows=reference.profile.rows, current_rows=analysis.rows,
            drift_share=comparison.drift_share, dataset_drift=comparison.dataset_drift,
        )
        results = results_of(analysis)
        verdicts = verdict_results(
            self.store, spec.retrain, run, results, now=now,
            built=reference_built(self.store, reference.name, reference.version),
            segment_rows={key: part.rows for key, part in analysis.segments.items()})
        analysis = with_verdicts(analysis, {v.segment: v.value for v in verdicts
                                            if v.value is not None})
        evaluation = evaluate_alerts(spec, window, analysis, self.store.alert_states(spec.name),
                                     now, silences=active_silences(self.store, now),
                                     public_url=self.public_url)
        run = replace(run, finished_at=self.clock())
        stored = self.store.save_run(run, results + verdicts, evaluation.states,
                                     evaluation.notifications,
                                     report=report_of(spec, window, reference, analysis))
        if stored is None:  # another process stored this window first
            return RunOutcome(spec.name, window, "skipped", rows=analysis.rows)
        return RunOutcome(
            spec.name, window, status, comparison=comparison, firing=evaluation.firing,
            transitions=tuple((t.alert, t.status) for t in evaluation.transitions),
            notifications=len(evaluation.notifications), run_id=stored.id, rows=analysis.rows,
            quality_failed=tuple(f"{q.check}:{q.column}" if q.column else q.check
                                 for q in comparison.quality if not q.passed),
            verdict=analysis.verdict,
        )

    def _previous(self, spec: MonitorSpec, window: Window) -> tuple[Window, int] | None:
        """The window just before this one and its stored row count, if it was processed."""
        before = Window(window.start - spec.window, window.start)
        run = self.store.get_run(spec.name, before.start, before.end)
        if run is None or run.status not in FINISHED_RUN_STATUSES:
            return None
        return before, run.current_rows or 0

    def _history(self, spec: MonitorSpec, window: Window) -> list[int]:
        """Rows of the windows finished before this one, newest first (for the volume check)."""
        volume = spec.quality.volume
        if volume is None or volume.expected is not None:
            return []
        runs = self.store.runs(spec.name, limit=4 * volume.history + 8)
        return [run.current_rows or 0 for run in runs
                if run.status in FINISHED_RUN_STATUSES and run.window_end <= window.start]

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
            evaluation = self._evaluate_failure(spec, window, error)
            stored = self.store.save_run(run, [], evaluation.states, evaluation.notifications)
        except Exception as exc:  # the database itself is down: nothing to record in
            return RunOutcome(spec.name, window, "failed",
                              error=f"{error}; and {describe_error(exc)}")
        return RunOutcome(
            spec.name, window, "failed", error=error, run_id=stored.id if stored else None,
            firing=evaluation.firing, notifications=len(evaluation.notifications),
            transitions=tuple((t.alert, t.status) for t in evaluation.transitions),
        )

    def _evaluate_failure(self, spec: MonitorSpec, window: Window, error: str) -> Evaluation:
        """Alerts after a failed run (``on_error``), on the latest complete window.

        A failing window is retried without the watermark moving, so the
        evaluation is on the newest complete window: an outage counts one
        window per window of time, and retries within one window count once.
        """
        now = self.clock()
        latest = latest_complete_window(now, spec.window, spec.delay)
        at = latest if latest.end > window.end else window
        return evaluate_alerts(spec, at, None, self.store.alert_states(spec.name), now,
                               silences=active_silences(self.store, now), error=error,
                               public_url=self.public_url, run_end=window.end)


def describe_error(exc: BaseException) -> str:
    """The text stored and shown for a failed run: the message, and the kind when unexpected.

    The project's own errors already say what is wrong and where; anything
    else (a plugin's bug, a library's fault) is named by its class, so that
    ``RuntimeError: boom`` does not read as a bare ``boom``.
    """
    if isinstance(exc, MonitorError):
        return str(exc)
    text = str(exc).strip()
    kind = type(exc).__name__
    if len(text) > 2000:
        text = text[:2000] + "…"
    return f"unexpected {kind}: {text}" if text else f"unexpected {kind}"


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
