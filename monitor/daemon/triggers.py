"""When each monitor ticks: APScheduler triggers from ``schedule:``, spread by a jitter."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.rules.schema import MonitorSpec
from monitor.windows import EPOCH

__all__ = ["describe", "job_id", "tick_interval", "trigger_for"]


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


def tick_interval(spec: MonitorSpec, now: datetime) -> timedelta:
    """Time between two ticks of a monitor: its ``every``, or its cron's next two fire times."""
    if spec.schedule.every is not None:
        return spec.schedule.every
    trigger = trigger_for(spec)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    return second - first if first and second else timedelta(days=1)


def job_id(name: str) -> str:
    """The scheduler job id of a monitor."""
    return f"monitor:{name}"


def describe(spec: MonitorSpec) -> str:
    """A monitor's schedule, window and delay in one line, for the log."""
    schedule = spec.schedule
    when = f"cron {schedule.cron}" if schedule.cron else f"every {schedule.every}"
    return f"{when}, window {spec.window}, delay {spec.delay}"
