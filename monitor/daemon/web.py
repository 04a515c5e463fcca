"""The console as the daemon serves it: the monitors scheduled now, and the write token."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler

from monitor.console import Console, ConsoleMonitor
from monitor.daemon.triggers import describe, job_id
from monitor.rules.schema import RuleSet
from monitor.settings import Settings
from monitor.store import Store
from monitor.times import utc_now

__all__ = ["console_for", "console_url"]

log = logging.getLogger(__name__)


def console_for(
    settings: Settings, store: Store, rules: Callable[[], RuleSet | None],
    scheduler: BaseScheduler,
) -> Console:
    """The console over ``store``, listing the monitors of the rules loaded now."""

    def monitors() -> list[ConsoleMonitor]:
        loaded = rules()
        found = []
        for spec in loaded.monitors if loaded else []:
            job = scheduler.get_job(job_id(spec.name))
            found.append(ConsoleMonitor(spec.name, describe(spec), spec.window,
                                        job.next_run_time if job is not None else None))
        return found

    token = settings.console_token.get_secret_value() if settings.console_token else None
    return Console(store, monitors, utc_now, token=token)


def console_url(settings: Settings, port: int) -> str:
    """Where an operator opens the console: the public address, or the bound one."""
    if settings.public_url:
        return settings.public_url.rstrip("/") + "/"
    host, _ = settings.http_address()
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"
