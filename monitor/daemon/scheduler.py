"""The daemon: one APScheduler job per monitor, outbox delivery, rule reload, clean stop.

Its shape follows rq's worker: a signal only sets a flag; the scheduler
stops taking new ticks; running windows get ``MONITOR_STOP_GRACE`` seconds
to finish; a second signal exits at once; cleanup happens in ``finally``.
Each monitor's job processes every complete window after its watermark,
oldest first, and stops at the first window that fails, so the watermark
never passes a window that was not processed.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.events import (
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry

from monitor.alerts.delivery.dispatcher import (
    Acknowledgements,
    Dispatcher,
    RetryPolicy,
    build_notifiers,
)
from monitor.alerts.delivery.resend import AlertmanagerResender
from monitor.daemon.deliveries import Deliveries
from monitor.daemon.health import Heartbeat, tick_limit
from monitor.daemon.housekeeping import prune_old_reports, retire_removed_alerts
from monitor.daemon.logs import mask_secrets
from monitor.daemon.metrics import Metrics, StoreCollector
from monitor.daemon.runner import Runner, describe_error
from monitor.daemon.server import HttpServer, SingleFlight
from monitor.daemon.status import monitor_status
from monitor.daemon.triggers import describe, job_id, tick_interval, trigger_for
from monitor.daemon.web import console_for, console_url
from monitor.errors import MonitorError, RulesInvalid
from monitor.rules.loader import load_rules, rule_files
from monitor.rules.schema import RuleSet
from monitor.settings import Settings
from monitor.store import Store, open_store
from monitor.times import utc_now

__all__ = ["Daemon"]

log = logging.getLogger(__name__)


class Daemon:
    """``monitor run``: schedules monitors until stopped."""

    def __init__(self, settings: Settings, paths: Sequence[str]) -> None:
        self.settings = settings
        self.paths = list(paths)
        self.registry = CollectorRegistry()
        self.metrics = Metrics(self.registry)
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._wake = threading.Event()  # set with either flag, so the main loop reacts at once
        self._signals = 0
        self._reload_ok = True
        self._busy = threading.Condition()
        self._running = 0
        self._rules: RuleSet | None = None
        self._mtimes: dict[Path, float] = {}
        self._store: Store | None = None
        self._runner: Runner | None = None
        self._resender: AlertmanagerResender | None = None
        self._deliveries = Deliveries()
        self._acknowledgements = Acknowledgements()  # outlives reloads' dispatchers
        self._retire_pending = False
        self._heartbeat = Heartbeat(settings.liveness_min)
        self._ping = SingleFlight(self._ping_store, settings.ready_timeout, "the database")
        # Deliveries and the heartbeat have threads of their own: busy monitors never delay them.
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=settings.workers),
                       "delivery": ThreadPoolExecutor(max_workers=1),
                       "heartbeat": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(settings.misfire_grace)},
        )
        self._scheduler.add_listener(self._on_job_event, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED
                                     | EVENT_JOB_MAX_INSTANCES)

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; return the exit status."""
        rules = load_rules(self.paths, env=os.environ)  # invalid at start: exit, don't guess
        self._mtimes = self._rule_mtimes()
        self._store = store = open_store(self.settings.database_url,
                                         schema=self.settings.database_schema)
        self._runner = Runner(store, stop=self._stop)
        self._resender = AlertmanagerResender(store)
        self.registry.register(StoreCollector(store, utc_now))
        self.metrics.restore(store, [spec.name for spec in rules.monitors])
        host, port = self.settings.http_address()
        console = console_for(self.settings, store, lambda: self._rules, self._scheduler)
        server = HttpServer(host, port, self.registry, health=self._health, ready=self._ready,
                            status=self._status, console=console)
        self._install_signal_handlers()
        try:
            self._apply(rules)
            self.metrics.reload_success.set(1)
            self.metrics.reload_time.set_to_current_time()
            self._scheduler.add_job(self._dispatch, IntervalTrigger(
                seconds=self.settings.dispatch_interval, timezone=UTC), id="dispatch",
                name="deliver notifications", executor="delivery")
            self._scheduler.add_job(self._heartbeat.beat, IntervalTrigger(
                seconds=min(self.settings.liveness_min / 3, 10.0), timezone=UTC),
                id="heartbeat", name="scheduler heartbeat", executor="heartbeat")
            self._scheduler.add_job(
                lambda: prune_old_reports(store, utc_now(), self.settings.report_days),
                IntervalTrigger(hours=1, timezone=UTC), id="reports",
                name="prune old run reports", executor="delivery", next_run_time=utc_now())
            self._scheduler.start()
            server.start()
            log.info("daemon started: %d monitors from %s, %d workers; console at %s",
                     len(rules.monitors), ", ".join(self.paths), self.settings.workers,
                     console_url(self.settings, server.port))
            self._serve()
            return 0
        finally:
            finished = self._drain()
            server.close()
            if finished:
                self._deliveries.close()
                store.close()
                log.info("daemon stopped")
            else:
                self._abandon()

    def _serve(self) -> None:
        """Wait for a stop signal, reloading the rules when their files change or on SIGHUP."""
        while not self._stop.is_set():
            self._wake.wait(self.settings.reload_interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            if self._reload.is_set() or self._rule_mtimes() != self._mtimes:
                self._reload.clear()
                self.reload()
        log.info("stopping: no new runs; running windows get %.0fs to finish",
                 self.settings.stop_grace)

    def _drain(self) -> bool:
        """Stop the scheduler and wait up to the grace period for running windows."""
        self.stop()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        with self._busy:
            return self._busy.wait_for(lambda: self._running == 0,
                                       timeout=self.settings.stop_grace)

    def _abandon(self) -> None:
        """Exit although runs are still going: their transactions never commit.

        Their leases are given up first, so the next start (or another daemon)
        runs those windows at once instead of waiting for the leases to expire.
        """
        log.warning("%d runs still going after %.0fs; their windows will run again on the "
                    "next start", self._running, self.settings.stop_grace)
        if self._runner is not None:
            try:
                self._runner.leases.release_all(self._runner.owner)
            except Exception as exc:  # they expire on their own
                log.warning("could not release the leases of the abandoned runs: %s", exc)
        logging.shutdown()
        os._exit(0)

    def reload(self) -> bool:
        """Load the rule files again; on any error keep the rules already running.

        Whatever the files hold (and whatever goes wrong applying them), the
        daemon keeps running the rules it had: a bad edit never stops it.
        """
        self._mtimes = self._rule_mtimes()
        self.metrics.reload_time.set_to_current_time()
        try:
            self._apply(load_rules(self.paths, env=os.environ))
        except Exception as exc:
            errors = ([str(e) for e in exc.errors] if isinstance(exc, RulesInvalid)
                      else [describe_error(exc)])
            for error in errors:
                log.error("rule reload rejected: %s", error,
                          exc_info=not isinstance(exc, MonitorError))
            log.error("keeping the %d monitors already running",
                      len(self._rules.monitors) if self._rules else 0)
            self.metrics.reload_success.set(0)
            self._reload_ok = False
            return False
        self.metrics.reload_success.set(1)
        self._reload_ok = True
        log.info("rules reloaded: %d monitors", len(self._rules.monitors) if self._rules else 0)
        return True

    def _apply(self, rules: RuleSet) -> None:
        """Schedule the monitors of ``rules``: add new, replace changed, remove gone.

        Everything that can fail (notifiers, triggers) is built before the
        running rules are touched; deliveries in flight end on the old notifiers.
        """
        old = {m.name: m for m in self._rules.monitors} if self._rules else {}
        new = {m.name: m for m in rules.monitors}
        triggers = {name: trigger_for(spec, jitter=self.settings.jitter)
                    for name, spec in new.items() if old.get(name) != spec}
        notifiers = build_notifiers(rules)
        for notifier in notifiers.values():
            mask_secrets(notifier.secrets())
        dispatcher = Dispatcher(self._require_store(), notifiers, clock=utc_now,
                                policy=RetryPolicy.from_settings(self.settings),
                                acknowledgements=self._acknowledgements)
        self._deliveries.swap(notifiers, dispatcher)
        self._rules = rules
        self._retire_pending = True
        for name in old.keys() - new.keys():
            self._scheduler.remove_job(job_id(name))
            self.metrics.forget(name)
            log.info("monitor %s removed", name)
        for name, spec in new.items():
            if old.get(name) == spec:
                continue
            if name in old:
                self._scheduler.remove_job(job_id(name))
            # The first tick runs now (within the jitter): missed windows are not kept waiting.
            first = datetime.now(UTC) + timedelta(seconds=random.uniform(0, self.settings.jitter))
            self._scheduler.add_job(self._tick, triggers[name], args=[name], id=job_id(name),
                                    name=name, next_run_time=first)
            log.info("monitor %s %s (%s)", name, "rescheduled" if name in old else "scheduled",
                     describe(spec))
        self.metrics.monitors.set(len(new))
        self._retire()

    def _tick(self, name: str) -> datetime | None:
        """Process every due window of one monitor, oldest first; return when it started."""
        with self._busy:
            if self._stop.is_set():
                return None
            self._running += 1
        try:
            started = utc_now()
            self._run_due(name)
            return started
        finally:
            with self._busy:
                self._running -= 1
                self._busy.notify_all()

    def _run_due(self, name: str) -> None:
        rules, runner = self._rules, self._runner
        spec = next((m for m in rules.monitors if m.name == name), None) if rules else None
        if spec is None or runner is None:
            return
        limit = tick_limit(tick_interval(spec, utc_now()), self.settings.liveness_ticks,
                           self.settings.liveness_min)
        with self._heartbeat.tick(name, limit) as progress:
            try:
                # Oldest first, stopping at a window that failed, was interrupted or is leased
                # elsewhere: the watermark never passes a window that was not processed.
                outcomes = runner.run_due(spec, self.settings.catch_up_limit,
                                          progress=progress.move)
                for outcome in outcomes:
                    self.metrics.observe(outcome)
                if any(outcome.notifications for outcome in outcomes):
                    self._dispatch()
            except Exception as exc:
                log.error("monitor %s: tick failed: %s", name, describe_error(exc),
                          exc_info=not isinstance(exc, MonitorError))
        self.metrics.tick_finished(name)

    def _on_job_event(self, event: JobEvent) -> None:
        """Measure how late ticks started; count ticks dropped as missed or overlapping."""
        if not event.job_id.startswith("monitor:"):
            return
        if isinstance(event, JobExecutionEvent):
            if isinstance(event.retval, datetime):  # the tick returns when it started
                late = (event.retval - event.scheduled_run_time).total_seconds()
                self.metrics.tick_lateness.observe(max(0.0, late))
        else:
            reason = "missed" if event.code == EVENT_JOB_MISSED else "still_running"
            self.metrics.ticks_skipped.labels(reason).inc()

    def _dispatch(self) -> None:
        if self._stop.is_set():
            return
        self._retire()
        with self._deliveries.use() as current:
            if current is None:
                return
            try:
                report = current.dispatcher.dispatch(utc_now())
                self.metrics.delivered.inc(report.delivered)
                self.metrics.dead.inc(report.dead)
                if self._resender is not None:  # Alertmanager forgets alerts not re-sent
                    self._resender.resend(current.notifiers, utc_now())
            except Exception as exc:
                log.error("delivering notifications failed: %s", describe_error(exc),
                          exc_info=not isinstance(exc, MonitorError))

    def _retire(self) -> None:
        """Resolve the alerts of removed rules; tried again each delivery round until it works."""
        rules, current, store = self._rules, self._deliveries.current, self._store
        if not self._retire_pending or rules is None or current is None or store is None:
            return
        try:
            retire_removed_alerts(store, rules, current.notifiers, utc_now(),
                                  public_url=self.settings.public_url)
            self._retire_pending = False
        except Exception as exc:
            log.error("resolving the alerts of removed rules failed (will try again): %s",
                      describe_error(exc), exc_info=not isinstance(exc, MonitorError))

    def _health(self) -> dict[str, Any]:
        """Liveness from memory: stale when a tick stands still (``daemon.health``)."""
        return self._heartbeat.report(len(self._rules.monitors) if self._rules else 0)

    def _ready(self) -> dict[str, Any]:
        """Readiness: the rules are loaded and the database answers within the timeout."""
        if self._rules is None:
            return {"status": "unready", "reason": "rules not loaded"}
        return self._ping()

    def _ping_store(self) -> dict[str, Any]:
        try:
            self._require_store().ping()
        except MonitorError as exc:
            return {"status": "unready", "reason": str(exc)}
        return {"status": "ok"}

    def _status(self) -> dict[str, Any]:
        rules, store = self._rules, self._require_store()
        monitors = []
        for spec in rules.monitors if rules else []:
            job = self._scheduler.get_job(job_id(spec.name))
            next_run = job.next_run_time if job is not None else None
            monitors.append(monitor_status(store, spec, next_run))
        return {"status": "ok", "time": utc_now(), "running": self._running,
                "last_reload_ok": self._reload_ok,
                "monitors": monitors}

    def _require_store(self) -> Store:
        if self._store is None:
            raise MonitorError("the daemon has no database yet")
        return self._store

    def _rule_mtimes(self) -> dict[Path, float]:
        try:
            files = rule_files(self.paths)
        except MonitorError:
            return {}
        stamps = {}
        for path in files:
            try:
                stamps[path] = path.stat().st_mtime
            except OSError:
                continue
        return stamps

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, self._on_reload_signal)

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        if self._signals > 1:
            log.warning("second stop signal: exiting now")
            logging.shutdown()
            os._exit(1)
        log.info("received %s", signal.Signals(signum).name)
        self.stop()

    def _on_reload_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("received SIGHUP: reloading the rules")
        self._reload.set()
        self._wake.set()

    def stop(self) -> None:
        """Ask the daemon to stop, as SIGTERM does."""
        self._stop.set()
        self._wake.set()
