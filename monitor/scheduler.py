"""The daemon: one APScheduler job per monitor, outbox delivery, rule reload, clean stop.

Its shape follows rq's worker: a signal only sets a flag; the running
windows finish; a second signal exits at once; cleanup happens in
``finally``. Each monitor's job processes every complete window after its
watermark, oldest first, and stops at the first window that fails, so the
watermark never passes a window that was not processed.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry

from monitor.alerts.dispatcher import Dispatcher
from monitor.alerts.notifiers.base import Notifier
from monitor.errors import MonitorError, RulesInvalid
from monitor.metrics import Metrics
from monitor.notifications import build_notifiers
from monitor.rules.loader import load_rules, rule_files
from monitor.rules.schema import MonitorSpec, RuleSet
from monitor.runner import Runner, utc_now
from monitor.server import HttpServer
from monitor.settings import Settings
from monitor.store import Store, open_store

__all__ = ["Daemon", "trigger_for"]

log = logging.getLogger(__name__)

RELOAD_POLL_SECONDS = 2.0


def trigger_for(spec: MonitorSpec) -> BaseTrigger:
    """The APScheduler trigger of a monitor's ``schedule:`` (UTC)."""
    schedule = spec.schedule
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=UTC)
    assert schedule.every is not None
    return IntervalTrigger(seconds=schedule.every.total_seconds(), timezone=UTC)


class Daemon:
    """``monitor run``: schedules monitors until stopped."""

    def __init__(self, settings: Settings, paths: Sequence[str]) -> None:
        self.settings = settings
        self.paths = list(paths)
        self.registry = CollectorRegistry()
        self.metrics = Metrics(self.registry)
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._signals = 0
        self._rules: RuleSet | None = None
        self._mtimes: dict[Path, float] = {}
        self._last_tick: datetime | None = None
        self._store: Store | None = None
        self._runner: Runner | None = None
        self._dispatcher: Dispatcher | None = None
        self._notifiers: dict[str, Notifier] = {}
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; return the exit status."""
        rules = load_rules(self.paths, env=os.environ)  # invalid at start: exit, don't guess
        self._mtimes = self._rule_mtimes()
        self._store = store = open_store(self.settings.database_url)
        self._runner = Runner(store)
        host, port = self.settings.http_address()
        server = HttpServer(host, port, self.registry, health=self._health, ready=self._ready)
        self._install_signal_handlers()
        try:
            self._apply(rules)
            self.metrics.reload_success.set(1)
            self._scheduler.add_job(self._dispatch, IntervalTrigger(
                seconds=self.settings.dispatch_interval, timezone=UTC), id="dispatch")
            self._scheduler.start()
            server.start()
            log.info("daemon started: %d monitors from %s", len(rules.monitors),
                     ", ".join(self.paths))
            while not self._stop.wait(RELOAD_POLL_SECONDS):
                if self._reload.is_set() or self._rule_mtimes() != self._mtimes:
                    self._reload.clear()
                    self.reload()
            log.info("stopping: waiting for running windows to finish")
        finally:
            if self._scheduler.running:
                self._scheduler.shutdown(wait=True)
            server.close()
            store.close()
            log.info("daemon stopped")
        return 0

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
            return False
        self._apply(rules)
        self.metrics.reload_success.set(1)
        log.info("rules reloaded: %d monitors", len(rules.monitors))
        return True

    def _apply(self, rules: RuleSet) -> None:
        """Schedule the monitors of ``rules``: add new, replace changed, remove gone."""
        old = {m.name: m for m in self._rules.monitors} if self._rules else {}
        new = {m.name: m for m in rules.monitors}
        previous = self._notifiers
        self._notifiers = build_notifiers(rules)
        self._dispatcher = Dispatcher(self._require_store(), self._notifiers, clock=utc_now)
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
            # The first tick runs now: windows missed while down are not kept waiting.
            self._scheduler.add_job(self._tick, trigger_for(spec), args=[name], id=_job_id(name),
                                    name=name, next_run_time=datetime.now(UTC))
            log.info("monitor %s scheduled (%s)", name, _describe(spec))
        self.metrics.monitors.set(len(new))

    def _tick(self, name: str) -> None:
        """Process every due window of one monitor, oldest first."""
        self._last_tick = utc_now()
        rules, runner = self._rules, self._runner
        spec = next((m for m in rules.monitors if m.name == name), None) if rules else None
        if spec is None or runner is None:
            return
        try:
            windows = runner.due_windows(spec, self.settings.catch_up_limit)
            sent = False
            for window in windows:
                if self._stop.is_set():
                    break
                outcome = runner.run_window(spec, window)
                self.metrics.observe(outcome)
                sent |= outcome.notifications > 0
                if outcome.status == "failed":
                    break  # retried next tick; later windows wait so none is skipped
            if sent:
                self._dispatch()
        except MonitorError as exc:
            log.error("monitor %s: tick failed: %s", name, exc)
        except Exception:
            log.exception("monitor %s: unexpected error in tick", name)

    def _dispatch(self) -> None:
        dispatcher = self._dispatcher
        if dispatcher is None:
            return
        try:
            report = dispatcher.dispatch(utc_now())
            self.metrics.delivered.inc(report.delivered)
            self.metrics.dead.inc(report.dead)
            self.metrics.outbox_pending.set(len(self._require_store().outbox(pending_only=True)))
        except MonitorError as exc:
            log.error("delivering notifications failed: %s", exc)
        except Exception:
            log.exception("unexpected error while delivering notifications")

    def _health(self) -> dict[str, Any]:
        return {"status": "ok", "last_tick": self._last_tick,
                "monitors": len(self._rules.monitors) if self._rules else 0}

    def _ready(self) -> dict[str, Any]:
        try:
            self._require_store().ping()
        except MonitorError as exc:
            return {"status": "unready", "reason": str(exc)}
        return {"status": "ok"}

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
            signal.signal(signal.SIGHUP, lambda *_: self._reload.set())

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        if self._signals > 1:
            log.warning("second stop signal: exiting now")
            os._exit(1)
        log.info("received %s: finishing running windows", signal.Signals(signum).name)
        self._stop.set()

    def stop(self) -> None:
        """Ask the daemon to stop, as SIGTERM does."""
        self._stop.set()


def _job_id(name: str) -> str:
    return f"monitor:{name}"


def _describe(spec: MonitorSpec) -> str:
    every = spec.schedule.every
    when = f"cron {spec.schedule.cron}" if spec.schedule.cron else f"every {every}"
    return f"{when}, window {spec.window}, delay {spec.delay or timedelta(0)}"
