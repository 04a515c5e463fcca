"""Records: the plain values that pass between the layers of one run.

A source reports what its read counted (``ReadStats``); the analysis turns a
window into result rows (``NewResult``); alert evaluation yields alert states
and outbox rows (``AlertStateRecord``, ``NewNotification``); the store takes
all of them in and hands them back with database ids (``RunRecord``,
``OutboxMessage``, ...). They live here, below every layer, so that the pure
analysis and alert logic can produce them without importing the database.
ORM rows never leave ``monitor.store``.

``New*`` records are what a caller writes, the others what it reads back.
Every datetime is timezone-aware UTC; floats that were NaN or infinite come
back from the store as ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

__all__ = [
    "ALERT_STATES",
    "FINISHED_RUN_STATUSES",
    "NOT_QUALITY_CHECKS",
    "OUTBOX_STAGES",
    "RUN_STATUSES",
    "AlertStateRecord",
    "NewNotification",
    "NewResult",
    "NewRun",
    "NewSilence",
    "OutboxMessage",
    "ReadStats",
    "ResultRecord",
    "RunRecord",
    "SilenceRecord",
    "StoredProfile",
]

RUN_STATUSES: Final = ("ok", "failed", "no_data")
"""Values of ``runs.status``."""

NOT_QUALITY_CHECKS: Final = frozenset({"drift", "multivariate", "embedding", "text",
                                       "performance", "estimated", "estimation_error",
                                       "verdict"})
"""Stored result checks that are not data-quality checks; every other result is one."""

FINISHED_RUN_STATUSES: Final = ("ok", "no_data")
"""Statuses that close a window for good: the watermark moves past it, it never runs again.
A ``failed`` window is tried again."""

OUTBOX_STAGES: Final = ("pending", "retrying", "dead", "delivered")
"""Where an outbox message stands: pending (never tried), retrying (tried, failed, will try
again), dead (given up), delivered."""

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
    failing_rows: int | None = None
    """Rows that failed a quality check that counts rows."""
    name: str | None = None
    """The name of a check that has no single column (a condition, a query, duplicates)."""
    samples: tuple[str, ...] = ()
    """Up to ten failing values, as text."""
    note: str | None = None
    """How the check was computed or why it failed, in words."""
    lower: float | None = None
    """The lower end of an estimated metric's 95 % band."""
    upper: float | None = None
    """The upper end of an estimated metric's 95 % band."""


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

    @property
    def stage(self) -> str:
        """One of ``OUTBOX_STAGES``."""
        if self.delivered_at is not None:
            return "delivered"
        if self.dead_at is not None:
            return "dead"
        return "retrying" if self.attempts > 0 else "pending"


@dataclass(frozen=True, slots=True)
class NewSilence:
    """A silence to store: alerts matching ``alert`` (and the other fields given) send nothing.

    ``alert``, ``monitor`` and ``segment`` may be shell-style patterns
    (``feature-*``, ``*``); None matches everything.
    """

    alert: str
    reason: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    monitor: str | None = None
    segment: str | None = None
    severity: str | None = None
    created_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SilenceRecord(NewSilence):
    """A stored silence; ``expired_at`` is set when an operator ended it early."""

    id: int
    expired_at: datetime | None = None

    @property
    def ended_at(self) -> datetime:
        """When the silence stops (or stopped) muting."""
        return min(self.ends_at, self.expired_at) if self.expired_at else self.ends_at

    def active(self, now: datetime) -> bool:
        """Whether the silence mutes alerts at ``now``."""
        return self.starts_at <= now < self.ended_at


@dataclass(frozen=True, slots=True)
class ReadStats:
    """What a source saw while reading one window, beyond the rows it kept.

    Nothing is dropped silently: the run stores these counts as results
    (``monitor.analysis.freshness.read_results``).

    Attributes:
        rows: rows kept (inside the window).
        outside_window: rows read but left out: their timestamp is outside the window.
        unparseable_timestamps: rows left out: their timestamp is not a time.
        missing_timestamps: rows left out: their timestamp is null.
        unreadable_records: records that were not rows (such as a JSON item
            that is not an object).
        filtered: True when the source filtered rows itself, so the counts
            above are known; False when the window was pushed down to the
            storage (a table's WHERE clause, Parquet statistics) and rows
            outside it were never read.
        newest: the latest timestamp seen among the window's rows.
    """

    rows: int = 0
    outside_window: int = 0
    unparseable_timestamps: int = 0
    missing_timestamps: int = 0
    unreadable_records: int = 0
    filtered: bool = False
    newest: datetime | None = None

    @property
    def left_out(self) -> int:
        """Rows read but not kept, for any reason."""
        return self.outside_window + self.unparseable_timestamps + self.missing_timestamps
