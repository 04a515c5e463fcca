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
import zlib
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
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry

from monitor.alerts.delivery.dispatcher import Dispatcher, RetryPolicy, build_notifiers
from monitor.alerts.delivery.resend import AlertmanagerResender
from monitor.alerts.notifiers.base import Notifier
from monitor.daemon.logs import mask_secrets
from monitor.daemon.metrics import Metrics, StoreCollector
from monitor.daemon.runner import Runner
from monitor.daemon.server import HttpServer
from monitor.daemon.status import monitor_status
from monitor.errors import MonitorError, RulesInvalid
from monitor.rules.loader import load_rules, rule_files
from monitor.rules.schema import MonitorSpec, RuleSet
from monitor.settings import Settings
from monitor.store import Store, open_store
from monitor.times import utc_now
from monitor.windows import EPOCH

__all__ = ["Daemon", "trigger_for"]

log = logging.getLogger(__name__)


def trigger_for(spec: MonitorSpec, *, jitter: float = 0.0) -> BaseTrigger:
    """The APScheduler trigger of a monitor's ``schedule:`` (UTC), spread by ``jitter``.

    Interval ticks fall on a fixed grid shifted by an offset in ``[0, jitter)``
    taken from the monitor's name: monitors spread out, and each keeps its exact
    period (APScheduler's own interval jitter would lengthen it by half the
    jitter on average, as each tick counts from the jittered one before). Cron
    ticks get APScheduler's random jitter, which does not drift.
    """
    schedule = spec.schedule
    if schedule.cron is not None:
        trigger = CronTrigger.from_crontab(schedule.cron, timezone=UTC)
        trigger.jitter = int(jitter) or None
        return trigger
    assert schedule.every is not None
    offset = timedelta(seconds=jitter * zlib.crc32(spec.name.encode()) / 2**32)
    return IntervalTrigger(seconds=schedule.every.total_seconds(), timezone=UTC,
                           start_date=EPOCH + offset)


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
        self._last_tick: datetime | None = None
        self._store: Store | None = None
        self._runner: Runner | None = None
        self._dispatcher: Dispatcher | None = None
        self._resender: AlertmanagerResender | None = None
        self._notifiers: dict[str, Notifier] = {}
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=settings.workers)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(settings.misfire_grace)},
        )
        self._scheduler.add_listener(self._on_job_event, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED
                                     | EVENT_JOB_MAX_INSTANCES)

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; return the exit status."""
        rules = load_rules(self.paths, env=os.environ)  # invalid at start: exit, don't guess
        self._mtimes = self._rule_mtimes()
        self._store = store = open_store(self.settings.database_url)
        self._runner = Runner(store, stop=self._stop)
        self._resender = AlertmanagerResender(store)
        self.registry.register(StoreCollector(store, utc_now))
        host, port = self.settings.http_address()
        server = HttpServer(host, port, self.registry, health=self._health, ready=self._ready,
                            status=self._status)
        self._install_signal_handlers()
        try:
            self._apply(rules)
            self.metrics.reload_success.set(1)
            self.metrics.reload_time.set_to_current_time()
            self._scheduler.add_job(self._dispatch, IntervalTrigger(
                seconds=self.settings.dispatch_interval, timezone=UTC), id="dispatch",
                name="deliver notifications")
            self._scheduler.start()
            server.start()
            log.info("daemon started: %d monitors from %s, %d workers", len(rules.monitors),
                     ", ".join(self.paths), self.settings.workers)
            self._serve()
            return 0
        finally:
            finished = self._drain()
            server.close()
            if finished:
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
        """Exit although runs are still going: their transactions never commit."""
        log.warning("%d runs still going after %.0fs; their windows will run again on the "
                    "next start", self._running, self.settings.stop_grace)
        logging.shutdown()
        os._exit(0)

    def reload(self) -> bool:
        """Load the rule files again; on any error keep the rules already running."""
        self._mtimes = self._rule_mtimes()
        self.metrics.reload_time.set_to_current_time()
        try:
            rules = load_rules(self.paths, env=os.environ)
        except RulesInvalid as exc:
            for error in exc.errors:
                log.error("rule reload rejected: %s", error)
            log.error("keeping the %d monitors already running",
                      len(self._rules.monitors) if self._rules else 0)
            self.metrics.reload_success.set(0)
            self._reload_ok = False
            return False
        self._apply(rules)
        self.metrics.reload_success.set(1)
        self._reload_ok = True
        log.info("rules reloaded: %d monitors", len(rules.monitors))
        return True

    def _apply(self, rules: RuleSet) -> None:
        """Schedule the monitors of ``rules``: add new, replace changed, remove gone."""
        old = {m.name: m for m in self._rules.monitors} if self._rules else {}
        new = {m.name: m for m in rules.monitors}
        previous = self._notifiers
        self._notifiers = build_notifiers(rules)
        for notifier in self._notifiers.values():
            mask_secrets(notifier.secrets())
        self._dispatcher = Dispatcher(self._require_store(), self._notifiers, clock=utc_now,
                                      policy=RetryPolicy.from_settings(self.settings))
        self._rules = rules
        for notifier in previous.values():
            notifier.close()
        for name in old.keys() - new.keys():
            self._scheduler.remove_job(_job_id(name))
            log.info("monitor %s removed", name)
        for name, spec in new.items():
            if old.get(name) == spec:
                continue
            if name in old:
                self._scheduler.remove_job(_job_id(name))
            # The first tick runs now (within the jitter): missed windows are not kept waiting.
            first = datetime.now(UTC) + timedelta(seconds=random.uniform(0, self.settings.jitter))
            self._scheduler.add_job(
                self._tick, trigger_for(spec, jitter=self.settings.jitter), args=[name],
                id=_job_id(name), name=name, next_run_time=first)
            log.info("monitor %s %s (%s)", name, "rescheduled" if name in old else "scheduled",
                     _describe(spec))
        self.metrics.monitors.set(len(new))

    def _tick(self, name: str) -> datetime | None:
        """Process every due window of one monitor, oldest first; return when it started."""
        with self._busy:
            if self._stop.is_set():
                return None
            self._running += 1
        try:
            self._last_tick = started = utc_now()
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
        try:
            # Oldest first, stopping at a window that failed, was interrupted or is leased
            # elsewhere: the watermark never passes a window that was not processed.
            outcomes = runner.run_due(spec, self.settings.catch_up_limit)
            for outcome in outcomes:
                self.metrics.observe(outcome)
            if any(outcome.notifications for outcome in outcomes):
                self._dispatch()
        except MonitorError as exc:
            log.error("monitor %s: tick failed: %s", name, exc)
        except Exception:
            log.exception("monitor %s: unexpected error in tick", name)

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
        dispatcher = self._dispatcher
        if dispatcher is None or self._stop.is_set():
            return
        try:
            report = dispatcher.dispatch(utc_now())
            self.metrics.delivered.inc(report.delivered)
            self.metrics.dead.inc(report.dead)
            if self._resender is not None:  # Alertmanager forgets alerts not re-sent
                self._resender.resend(self._notifiers, utc_now())
        except MonitorError as exc:
            log.error("delivering notifications failed: %s", exc)
        except Exception:
            log.exception("unexpected error while delivering notifications")

    def _health(self) -> dict[str, Any]:
        return {"status": "ok", "last_tick": self._last_tick, "running": self._running,
                "monitors": len(self._rules.monitors) if self._rules else 0}

    def _ready(self) -> dict[str, Any]:
        if self._rules is None:
            return {"status": "unready", "reason": "rules not loaded"}
        try:
            self._require_store().ping()
        except MonitorError as exc:
            return {"status": "unready", "reason": str(exc)}
        return {"status": "ok"}

    def _status(self) -> dict[str, Any]:
        rules, store = self._rules, self._require_store()
        monitors = []
        for spec in rules.monitors if rules else []:
            job = self._scheduler.get_job(_job_id(spec.name))
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


def _job_id(name: str) -> str:
    return f"monitor:{name}"


def _describe(spec: MonitorSpec) -> str:
    schedule = spec.schedule
    when = f"cron {schedule.cron}" if schedule.cron else f"every {schedule.every}"
    return f"{when}, window {spec.window}, delay {spec.delay}"
