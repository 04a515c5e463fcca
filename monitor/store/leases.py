"""Window leases: which process is running a monitor's window, until when.

Several daemons may share one database. Before reading a window, a runner
*claims* its lease: one atomic upsert that succeeds when no lease row exists,
when the row is its own, or when the row has expired (its owner was killed
or hung). Otherwise the claim fails and names the holder, and the runner
skips the window. While it runs, the runner renews the lease (``LeaseKeeper``
does it from a thread, every third of the lease time), and it releases the
lease after storing the run. A run is stored at most once whatever the
leases say (the runs table is unique per window); leases keep two processes
from doing the same work, and a crashed process's window is taken over once
its lease expires.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Table, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from monitor.errors import MonitorError
from monitor.store.engine import for_writing, store_errors
from monitor.store.models import WindowLeaseRow, as_utc

__all__ = ["Lease", "LeaseClaim", "LeaseKeeper", "Leases", "process_owner"]

log = logging.getLogger(__name__)

_TABLE = cast(Table, WindowLeaseRow.__table__)


def process_owner() -> str:
    """A lease owner name unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()[:180]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class Lease:
    """One lease row: ``owner`` runs ``[window_start, window_end)`` until ``expires_at``."""

    monitor: str
    window_start: datetime
    window_end: datetime
    owner: str
    acquired_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LeaseClaim:
    """The answer to a claim: ``granted``, and the lease (ours, or the holder's)."""

    granted: bool
    lease: Lease | None


class Leases:
    """The ``window_leases`` table; every method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writes = for_writing(engine)

    def claim(
        self, monitor: str, start: datetime, end: datetime, owner: str, now: datetime,
        duration: timedelta,
    ) -> LeaseClaim:
        """Take the window's lease unless another owner holds it and it has not expired."""
        if duration <= timedelta(0):
            raise ValueError(f"a lease must last longer than 0s, got {duration}")
        now = as_utc(now)
        values = {"monitor": monitor, "window_start": as_utc(start), "window_end": as_utc(end),
                  "owner": owner, "acquired_at": now, "expires_at": now + duration}
        with store_errors(self.engine, f"claim a lease of monitor {monitor!r}"), \
                self._writes.begin() as conn:
            # Leases left by killed processes on windows nobody retries: clear them.
            conn.execute(delete(_TABLE).where(_TABLE.c.monitor == monitor,
                                              _TABLE.c.expires_at <= now))
            statement = _insert(conn.dialect.name).values(values)
            statement = statement.on_conflict_do_update(
                index_elements=["monitor", "window_start", "window_end"],
                set_={k: values[k] for k in ("owner", "acquired_at", "expires_at")},
                where=(_TABLE.c.expires_at <= now) | (_TABLE.c.owner == owner),
            ).returning(_TABLE.c.owner)
            granted = conn.execute(statement).first() is not None
            row = conn.execute(select(_TABLE).where(_key(monitor, start, end))).first()
        return LeaseClaim(granted, _lease(row) if row is not None else None)

    def renew(
        self, monitor: str, start: datetime, end: datetime, owner: str, now: datetime,
        duration: timedelta,
    ) -> bool:
        """Extend our lease to ``now + duration``; False when it is no longer ours."""
        statement = (update(_TABLE).where(_key(monitor, start, end), _TABLE.c.owner == owner)
                     .values(expires_at=as_utc(now) + duration))
        with store_errors(self.engine, f"renew a lease of monitor {monitor!r}"), \
                self._writes.begin() as conn:
            return cast(CursorResult[Any], conn.execute(statement)).rowcount == 1

    def release(self, monitor: str, start: datetime, end: datetime, owner: str) -> None:
        """Give our lease up (a lease taken over by another owner stays theirs)."""
        statement = delete(_TABLE).where(_key(monitor, start, end), _TABLE.c.owner == owner)
        with store_errors(self.engine, f"release a lease of monitor {monitor!r}"), \
                self._writes.begin() as conn:
            conn.execute(statement)

    def release_all(self, owner: str) -> int:
        """Give up every lease of ``owner`` (a process leaving its runs); return how many."""
        statement = delete(_TABLE).where(_TABLE.c.owner == owner)
        with store_errors(self.engine, "release leases"), self._writes.begin() as conn:
            return cast(CursorResult[Any], conn.execute(statement)).rowcount

    def held(self, monitor: str | None = None) -> list[Lease]:
        """Every lease row (of ``monitor``), expired or not, oldest window first."""
        statement = select(_TABLE).order_by(_TABLE.c.monitor, _TABLE.c.window_start)
        if monitor is not None:
            statement = statement.where(_TABLE.c.monitor == monitor)
        with store_errors(self.engine, "list leases"), self.engine.connect() as conn:
            return [_lease(row) for row in conn.execute(statement)]


class LeaseKeeper:
    """Renews a lease from a daemon thread while a run is going; releases it at the end."""

    def __init__(self, leases: Leases, lease: Lease, duration: timedelta,
                 clock: Callable[[], datetime]) -> None:
        self.leases, self.lease, self.duration, self.clock = leases, lease, duration, clock
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._renew, daemon=True,
                                        name=f"lease:{lease.monitor}")

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._done.set()
        self._thread.join()
        lease = self.lease
        try:
            self.leases.release(lease.monitor, lease.window_start, lease.window_end, lease.owner)
        except MonitorError as exc:  # it expires on its own
            log.warning("could not release the lease of window [%s, %s): %s",
                        lease.window_start.isoformat(), lease.window_end.isoformat(), exc)

    def _renew(self) -> None:
        interval = self.duration.total_seconds() / 3
        lease = self.lease
        while not self._done.wait(interval):
            try:
                kept = self.leases.renew(lease.monitor, lease.window_start, lease.window_end,
                                         lease.owner, self.clock(), self.duration)
            except MonitorError as exc:
                log.warning("could not renew the lease: %s", exc)
                continue
            if not kept:
                log.warning("the lease of this window was taken over by another process; "
                            "the first run to store it wins, the other stores nothing")
                return


def _key(monitor: str, start: datetime, end: datetime) -> Any:
    return and_(_TABLE.c.monitor == monitor, _TABLE.c.window_start == as_utc(start),
                _TABLE.c.window_end == as_utc(end))


def _insert(dialect: str) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert(_TABLE)


def _lease(row: Any) -> Lease:
    return Lease(row.monitor, as_utc(row.window_start), as_utc(row.window_end), row.owner,
                 as_utc(row.acquired_at), as_utc(row.expires_at))
