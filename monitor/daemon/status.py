"""The daemon's ``/status`` page: each monitor's schedule, watermark, last run and firing alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.rules.schema import MonitorSpec
from monitor.store import Store

__all__ = ["monitor_status"]


def monitor_status(store: Store, spec: MonitorSpec, next_run: datetime | None) -> dict[str, Any]:
    """One monitor's entry on the status page (JSON-ready but for datetimes)."""
    schedule = spec.schedule
    last = store.runs(spec.name, limit=1)
    firing = [
        {"alert": s.alert, "segment": s.segment, "since": s.since, "value": s.last_value}
        for s in store.alert_states(spec.name).values() if s.state == "firing"
    ]
    return {
        "name": spec.name,
        "schedule": {"cron": schedule.cron} if schedule.cron else
                    {"every_seconds": schedule.every.total_seconds() if schedule.every else None},
        "window_seconds": spec.window.total_seconds(),
        "delay_seconds": spec.delay.total_seconds(),
        "next_run": next_run,
        "watermark": store.last_window_end(spec.name),
        "last_run": None if not last else {
            "window": {"start": last[0].window_start, "end": last[0].window_end},
            "status": last[0].status, "rows": last[0].current_rows,
            "drift_share": last[0].drift_share, "error": last[0].error,
            "finished_at": last[0].finished_at,
        },
        "firing": firing,
    }
