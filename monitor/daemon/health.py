"""Liveness from progress: ``/healthz`` says whether the daemon's ticks are still moving.

A process that answers HTTP is not necessarily alive: ticks stuck on a hung
database check nothing. So every monitor tick reports its progress here (it
started, it began a window, it finished), and liveness is stale when a tick
has made no progress for longer than its limit (``MONITOR_LIVENESS_TICKS``
times the monitor's tick interval, at least ``MONITOR_LIVENESS_MIN``
seconds), or when the scheduler has started no job for that minimum. The
report is computed from memory: a probe never waits on the database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.times import utc_now

__all__ = ["Heartbeat", "TickProgress", "tick_limit"]


@dataclass(slots=True)
class TickProgress:
    """One running tick: since when it runs, when it last moved, how long it may stand still."""

    monitor: str
    started: float
    moved: float
    limit: float

    def move(self) -> None:
        """The tick made progress (a window began or ended)."""
        self.moved = time.monotonic()


class Heartbeat:
    """What the scheduler's jobs are doing, for ``/healthz``; safe to share between threads."""

    def __init__(self, minimum: float, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.minimum = minimum
        self._clock = clock
        self._lock = threading.Lock()
        self._running: dict[int, TickProgress] = {}
        self._last_finished: datetime | None = None
        self._last_beat = time.monotonic()

    def beat(self) -> None:
        """The scheduler started a job: its own thread is alive."""
        self._last_beat = time.monotonic()

    @contextmanager
    def tick(self, monitor: str, limit: float) -> Iterator[TickProgress]:
        """Track one tick of ``monitor`` that may stand still ``limit`` seconds at most."""
        now = time.monotonic()
        progress = TickProgress(monitor, now, now, max(limit, self.minimum))
        self.beat()
        with self._lock:
            self._running[id(progress)] = progress
        try:
            yield progress
        finally:
            with self._lock:
                del self._running[id(progress)]
                self._last_finished = self._clock()

    def report(self, monitors: int) -> dict[str, Any]:
        """The ``/healthz`` body: ``status`` is ``ok`` or ``stale`` (with the reason)."""
        now = time.monotonic()
        with self._lock:
            running = sorted(self._running.values(), key=lambda p: p.started)
            last = self._last_finished
        ticks = [{"monitor": p.monitor, "running_for": round(now - p.started, 3),
                  "idle_for": round(now - p.moved, 3), "limit": p.limit} for p in running]
        stuck = [p for p in running if now - p.moved > p.limit]
        reason = None
        if stuck:
            p = stuck[0]
            reason = (f"the tick of monitor {p.monitor} has made no progress for "
                      f"{now - p.moved:.0f}s (limit {p.limit:.0f}s)")
        elif now - self._last_beat > self.minimum:
            reason = f"the scheduler has started no job for {now - self._last_beat:.0f}s"
        body: dict[str, Any] = {"status": "stale" if reason else "ok", "last_tick": last,
                                "running": len(running), "monitors": monitors, "ticks": ticks}
        if reason:
            body["reason"] = reason
        return body


def tick_limit(interval: timedelta, ticks: int, minimum: float) -> float:
    """How long a tick of a monitor ticking every ``interval`` may make no progress.

    >>> tick_limit(timedelta(minutes=1), 10, 300.0)
    600.0
    >>> tick_limit(timedelta(seconds=1), 10, 300.0)
    300.0
    """
    return max(minimum, ticks * interval.total_seconds())
