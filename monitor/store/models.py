"""Models: the database tables as SQLAlchemy 2 typed mappings.

The tables are described in DESIGN.md ("Database"); migration ``0001_initial``
creates the same schema and a test keeps the two in step. Two column types
make both backends behave alike: ``UtcDateTime`` stores UTC and always returns
timezone-aware UTC (SQLite keeps no time zone), and ``FiniteFloat`` stores NaN
and infinities as NULL. Each model converts itself to its record with
``to_record()``, so ORM rows stay inside ``monitor.store``; their names end in
``Row`` so that they are never mistaken for the domain values of the same
concept (``monitor.profiles.Profile``, ``monitor.alerts.AlertState``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from monitor.records import (
    AlertStateRecord,
    NewResult,
    NewRun,
    OutboxMessage,
    ResultRecord,
    RunRecord,
    StoredProfile,
)

__all__ = [
    "AlertStateRow",
    "Base",
    "FiniteFloat",
    "OutboxRow",
    "ProfileRow",
    "ResultRow",
    "RunReportRow",
    "RunRow",
    "SilenceRow",
    "UtcDateTime",
    "WindowLeaseRow",
    "as_utc",
    "finite",
    "finite_floats",
    "to_json",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT keys on PostgreSQL; SQLite autoincrements only an INTEGER primary key.
Id = BigInteger().with_variant(Integer(), "sqlite")


def as_utc(value: datetime) -> datetime:
    """Return an aware datetime converted to UTC.

    Raises:
        ValueError: ``value`` is naive; its time zone would be a guess.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"naive datetime {value.isoformat()!r}: pass a timezone-aware datetime (UTC)"
        )
    return value.astimezone(UTC)


def finite(value: float | None) -> float | None:
    """Return ``value`` as a float, or None when it is None, NaN or infinite."""
    return None if value is None or not math.isfinite(value) else float(value)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back as an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC; SQLite gets the naive UTC wall time it can store."""
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to SQLite's naive values; convert the others to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class FiniteFloat(TypeDecorator[float]):
    """A double-precision float where NaN and infinities are stored as NULL."""

    impl = Double()
    cache_ok = True

    def process_bind_param(self, value: float | None, dialect: Dialect) -> float | None:
        """Store non-finite numbers as NULL: neither backend orders or compares them alike."""
        return finite(value)


class Base(DeclarativeBase):
    """Declarative base with constraint names that match the migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProfileRow(Base):
    """One version of a named reference profile, its JSON body as text."""

    __tablename__ = "profiles"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    rows: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)

    def to_record(self, *, with_body: bool = True) -> StoredProfile:
        """Return the profile as a record; ``with_body=False`` leaves ``body`` empty."""
        return StoredProfile(
            name=self.name,
            version=self.version,
            content_hash=self.content_hash,
            rows=self.rows,
            created_at=self.created_at,
            body=json.loads(self.body) if with_body else {},
        )


class RunRow(Base):
    """One run of a monitor over one window; the window is unique per monitor."""

    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("monitor", "window_start", "window_end"),
        CheckConstraint("status IN ('ok', 'failed', 'no_data')", name="status"),
        Index(None, "monitor", "window_end"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    monitor: Mapped[str] = mapped_column(String(255))
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_seconds: Mapped[float] = mapped_column(Double)
    reference_name: Mapped[str | None] = mapped_column(String(255))
    reference_version: Mapped[int | None] = mapped_column(Integer)
    reference_rows: Mapped[int | None] = mapped_column(BigInteger)
    current_rows: Mapped[int | None] = mapped_column(BigInteger)
    drift_share: Mapped[float | None] = mapped_column(FiniteFloat)
    dataset_drift: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)

    def fill(self, run: NewRun) -> None:
        """Copy the fields of ``run`` into this row (times in UTC, non-finite floats None)."""
        self.monitor = run.monitor
        self.window_start = as_utc(run.window_start)
        self.window_end = as_utc(run.window_end)
        self.status = run.status
        self.started_at = as_utc(run.started_at)
        self.finished_at = as_utc(run.finished_at)
        self.duration_seconds = (self.finished_at - self.started_at).total_seconds()
        self.reference_name = run.reference_name
        self.reference_version = run.reference_version
        self.reference_rows = run.reference_rows
        self.current_rows = run.current_rows
        self.drift_share = finite(run.drift_share)
        self.dataset_drift = run.dataset_drift
        self.error = run.error

    def to_record(self) -> RunRecord:
        """Return the run as a record."""
        return RunRecord(**{f.name: getattr(self, f.name) for f in fields(RunRecord)})


class ResultRow(Base):
    """One check's outcome in a run; deleted with its run."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    run_id: Mapped[int] = mapped_column(Id, ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    check: Mapped[str] = mapped_column(String(255))
    column: Mapped[str | None] = mapped_column(Text)
    segment: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(32))
    method: Mapped[str | None] = mapped_column(String(64))
    statistic: Mapped[float | None] = mapped_column(FiniteFloat)
    p_value: Mapped[float | None] = mapped_column(FiniteFloat)
    threshold: Mapped[float | None] = mapped_column(FiniteFloat)
    effect_size: Mapped[float | None] = mapped_column(FiniteFloat)
    value: Mapped[float | None] = mapped_column(FiniteFloat)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    drifted: Mapped[bool | None] = mapped_column(Boolean)
    failing_rows: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str | None] = mapped_column(Text)
    samples: Mapped[str | None] = mapped_column(Text)
    """The failing values as a JSON list of strings (None: none kept)."""
    note: Mapped[str | None] = mapped_column(Text)
    lower: Mapped[float | None] = mapped_column(FiniteFloat)  # an estimate's 95 % band
    upper: Mapped[float | None] = mapped_column(FiniteFloat)

    @classmethod
    def of(cls, run_id: int, result: NewResult) -> ResultRow:
        """Build the row of ``result`` in run ``run_id``, non-finite floats as None."""
        return cls(
            run_id=run_id, check=result.check, column=result.column, segment=result.segment,
            kind=result.kind, method=result.method, statistic=finite(result.statistic),
            p_value=finite(result.p_value), threshold=finite(result.threshold),
            effect_size=finite(result.effect_size), value=finite(result.value),
            passed=result.passed, drifted=result.drifted, failing_rows=result.failing_rows,
            name=result.name, note=result.note, lower=finite(result.lower),
            upper=finite(result.upper), samples=json.dumps(list(result.samples))
            if result.samples else None)  # fmt: skip

    def to_record(self) -> ResultRecord:
        """Return the result as a record."""
        return self.record_of({f.name: getattr(self, f.name) for f in fields(ResultRecord)})

    @staticmethod
    def record_of(values: Mapping[str, Any]) -> ResultRecord:
        """A record from the row's columns (an ORM object's, or a plain row's mapping)."""
        samples = values["samples"]
        return ResultRecord(**{**values, "samples": tuple(json.loads(samples)) if samples else ()})


class RunReportRow(Base):
    """The report document of one run (distributions for the console's charts); goes with it."""

    __tablename__ = "run_reports"

    run_id: Mapped[int] = mapped_column(
        Id, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[str] = mapped_column(Text)


class AlertStateRow(Base):
    """The state of one alert instance, keyed by monitor + alert + segment."""

    __tablename__ = "alert_states"
    __table_args__ = (
        CheckConstraint("state IN ('inactive', 'pending', 'firing')", name="state"),
    )

    alert_key: Mapped[str] = mapped_column(Text, primary_key=True)
    monitor: Mapped[str] = mapped_column(String(255), index=True)
    alert: Mapped[str] = mapped_column(String(255))
    segment: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    consecutive: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_value: Mapped[float | None] = mapped_column(FiniteFloat)
    last_window_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    severity: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(16), server_default="condition")
    clear_windows: Mapped[int] = mapped_column(Integer, server_default="0")
    announced: Mapped[bool] = mapped_column(Boolean, server_default=false())
    muted: Mapped[str | None] = mapped_column(Text)
    last_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @staticmethod
    def values_of(state: AlertStateRecord) -> dict[str, Any]:
        """Return the column values of ``state``, for an INSERT or an upsert."""
        values = asdict(state)  # the record's fields are the table's columns
        values["last_value"] = finite(state.last_value)
        return values

    def to_record(self) -> AlertStateRecord:
        """Return the alert state as a record."""
        return AlertStateRecord(
            **{f.name: getattr(self, f.name) for f in fields(AlertStateRecord)}
        )


class OutboxRow(Base):
    """A notification waiting for, or done with, delivery by one notifier."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    notifier: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    def to_record(self) -> OutboxMessage:
        """Return the outbox row as a message record."""
        return OutboxMessage(
            id=self.id,
            idempotency_key=self.idempotency_key,
            notifier=self.notifier,
            payload=json.loads(self.payload),
            created_at=self.created_at,
            attempts=self.attempts,
            next_attempt_at=self.next_attempt_at,
            claimed_until=self.claimed_until,
            delivered_at=self.delivered_at,
            dead_at=self.dead_at,
            last_error=self.last_error,
        )


class SilenceRow(Base):
    """An operator's silence: matching alerts keep their state but send nothing until it ends."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    alert: Mapped[str] = mapped_column(String(255))
    monitor: Mapped[str | None] = mapped_column(String(255))
    segment: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    expired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WindowLeaseRow(Base):
    """Which process runs a monitor's window, until ``expires_at``."""

    __tablename__ = "window_leases"

    monitor: Mapped[str] = mapped_column(String(255), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    window_end: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    owner: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


def to_json(document: dict[str, Any]) -> str:
    """Serialise a JSON object for a text column, NaN and infinities as null.

    Keys are sorted so equal documents give equal text; strict JSON keeps the
    text readable by any client (``NaN`` is not JSON).

    Raises:
        TypeError: a value is not JSON-serialisable.
    """
    return json.dumps(finite_floats(document), sort_keys=True, allow_nan=False)


def finite_floats(value: Any) -> Any:
    """``value`` with every NaN and infinity, at any depth of dicts and lists, as None."""
    if isinstance(value, float):
        return finite(value)
    if isinstance(value, dict):
        return {key: finite_floats(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_floats(item) for item in value]
    return value
