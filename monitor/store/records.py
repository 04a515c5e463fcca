"""Records: the plain values the store takes in and hands out.

The repository speaks only in these frozen dataclasses; ORM rows never leave
``monitor.store``. ``New*`` records are what a caller writes, the others are
what it reads back (with database ids). Every datetime is timezone-aware UTC;
floats that were NaN or infinite come back as ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

__all__ = [
    "ALERT_STATES",
    "RUN_STATUSES",
    "AlertStateRecord",
    "NewNotification",
    "NewResult",
    "NewRun",
    "OutboxMessage",
    "ResultRecord",
    "RunRecord",
    "StoredProfile",
]

RUN_STATUSES: Final = ("ok", "failed", "no_data")
"""Values of ``runs.status``; ``ok`` and ``no_data`` close a window for good."""

ALERT_STATES: Final = ("inactive", "pending", "firing")
"""Values of ``alert_states.state``."""


@dataclass(frozen=True, slots=True)
class StoredProfile:
    """One version of a named reference profile.

    ``body`` is the profile's JSON object; listings leave it empty (``{}``).
    """

    name: str
    version: int
    content_hash: str
    rows: int
    created_at: datetime
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NewRun:
    """A finished run of one monitor over the window [window_start, window_end)."""

    monitor: str
    window_start: datetime
    window_end: datetime
    status: str
    started_at: datetime
    finished_at: datetime
    reference_name: str | None = None
    reference_version: int | None = None
    reference_rows: int | None = None
    current_rows: int | None = None
    drift_share: float | None = None
    dataset_drift: bool | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord(NewRun):
    """A stored run; ``attempts`` counts how often its window was tried."""

    id: int
    attempts: int
    duration_seconds: float


@dataclass(frozen=True, slots=True)
class NewResult:
    """One check's outcome in a run: a drift test or a data-quality check.

    ``check`` is ``"drift"`` or the quality check's name; ``column`` is None
    for checks on the whole window (such as ``min_rows``).
    """

    check: str
    column: str | None
    segment: str | None = None
    kind: str | None = None
    method: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    threshold: float | None = None
    effect_size: float | None = None
    value: float | None = None
    passed: bool | None = None
    drifted: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultRecord(NewResult):
    """A stored result row of the run ``run_id``."""

    id: int
    run_id: int


@dataclass(frozen=True, slots=True)
class AlertStateRecord:
    """Where one alert instance (monitor + alert + segment) stands.

    ``consecutive`` counts the windows in a row in which the condition held;
    ``since`` is when the alert entered its current ``state``. ``severity`` is
    the instance's level; ``reason`` what its last evaluation was based on
    (``condition``, ``no_data``, ``error``); ``clear_windows`` the windows it
    kept firing after its condition cleared; ``announced`` whether a firing
    message went out for the current episode; ``muted`` why its last due
    message was held back (a silence, an inhibiting level), None when not;
    ``last_notified_at`` the window end of its last firing message.
    """

    alert_key: str
    monitor: str
    alert: str
    segment: str | None
    state: str
    consecutive: int
    since: datetime | None
    fired_at: datetime | None
    last_value: float | None
    last_window_end: datetime | None
    updated_at: datetime
    severity: str | None = None
    reason: str = "condition"
    clear_windows: int = 0
    announced: bool = False
    muted: str | None = None
    last_notified_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewNotification:
    """A notification to put in the outbox; the key makes delivery idempotent."""

    idempotency_key: str
    notifier: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """An outbox row: a notification and where its delivery stands.

    Pending while ``delivered_at`` and ``dead_at`` are both None; a claim holds
    it until ``claimed_until`` so only one dispatcher sends it at a time.
    """

    id: int
    idempotency_key: str
    notifier: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    claimed_until: datetime | None
    delivered_at: datetime | None
    dead_at: datetime | None
    last_error: str | None
