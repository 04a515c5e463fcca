"""Alerting in the store: silences, and what ``monitor alerts`` lists.

Silences are operators' decisions, so they live in the database next to the
alert states they mute: every process evaluating alerts sees the same ones,
and they survive restarts. A silence is active from ``starts_at`` until
``ends_at``, or until it is expired by hand (``expired_at``). The listing
functions read alert states of every monitor and the outbox rows that are
not delivered yet, for the command line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, or_, select

from monitor.errors import StoreError
from monitor.store.models import AlertState, Outbox, Silence, as_utc
from monitor.store.outbox import STAGES as OUTBOX_STAGES
from monitor.store.outbox import OutboxQueue
from monitor.store.records import AlertStateRecord, OutboxMessage
from monitor.store.repository import Store

__all__ = [
    "OUTBOX_STAGES",
    "NewSilence",
    "SilenceRecord",
    "active_silences",
    "add_silence",
    "alert_names",
    "alert_state_counts",
    "expire_silence",
    "list_alert_states",
    "outbox_stage_counts",
    "silences",
    "undelivered",
]


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


def add_silence(store: Store, silence: NewSilence) -> SilenceRecord:
    """Store a silence and return it with its id.

    Raises:
        StoreError: an empty alert pattern or reason, or an end not after the start.
    """
    _check(silence)
    row = Silence(**{f.name: getattr(silence, f.name) for f in fields(NewSilence)})
    with store._writing("add a silence") as session:
        session.add(row)
        session.flush()
        return _record(row)


def silences(store: Store, now: datetime, *, include_ended: bool = False) -> list[SilenceRecord]:
    """Silences active or still to start at ``now`` (all of them with ``include_ended``)."""
    query = select(Silence).order_by(Silence.ends_at, Silence.id)
    if not include_ended:
        query = _not_ended(query, now)
    with store._reading("list silences") as session:
        return [_record(row) for row in session.scalars(query)]


def active_silences(store: Store, now: datetime) -> list[SilenceRecord]:
    """Silences muting alerts at ``now``."""
    query = _not_ended(select(Silence), now).where(Silence.starts_at <= now)
    with store._reading("read the active silences") as session:
        return [_record(row) for row in session.scalars(query.order_by(Silence.id))]


def expire_silence(store: Store, silence_id: int, now: datetime) -> SilenceRecord:
    """End silence ``silence_id`` at ``now``; alerts it muted send again from their next window.

    Raises:
        StoreError: there is no such silence, or it has already ended.
    """
    with store._writing(f"expire silence {silence_id}") as session:
        row = session.get(Silence, silence_id, with_for_update=True)
        if row is None:
            raise StoreError(f"there is no silence {silence_id}: see `monitor silence list`")
        record = _record(row)
        if record.ended_at <= now:
            raise StoreError(f"silence {silence_id} already ended at "
                             f"{record.ended_at:%Y-%m-%dT%H:%M:%SZ}; nothing to expire")
        row.expired_at = as_utc(now)
        session.flush()
        return _record(row)


def list_alert_states(
    store: Store, monitor: str | None = None, *, include_inactive: bool = False
) -> list[AlertStateRecord]:
    """Alert states of ``monitor`` (or all), firing first, then pending, then by key."""
    order = case((AlertState.state == "firing", 0), (AlertState.state == "pending", 1), else_=2)
    query = select(AlertState).order_by(order, AlertState.alert_key)
    if monitor is not None:
        query = query.where(AlertState.monitor == monitor)
    if not include_inactive:
        query = query.where(AlertState.state != "inactive")
    with store._reading("list alert states") as session:
        return [row.to_record() for row in session.scalars(query)]


def alert_names(store: Store) -> set[tuple[str, str]]:
    """The (monitor, alert) pairs that have a stored state."""
    query = select(AlertState.monitor, AlertState.alert).distinct()
    with store._reading("list alert names") as session:
        return {(monitor, alert) for monitor, alert in session.execute(query)}


def undelivered(store: Store, limit: int = 50) -> list[OutboxMessage]:
    """Outbox messages not delivered (waiting, retrying or dead), newest first."""
    query = (select(Outbox).where(Outbox.delivered_at.is_(None))
             .order_by(Outbox.id.desc()).limit(limit))
    with store._reading("list undelivered notifications") as session:
        return [row.to_record() for row in session.scalars(query)]


def outbox_stage_counts(store: Store) -> dict[str, int]:
    """Outbox messages per stage of ``OUTBOX_STAGES`` (zero when there are none)."""
    totals = dict.fromkeys(OUTBOX_STAGES, 0)
    for backlog in OutboxQueue(store).backlog().values():
        for stage in OUTBOX_STAGES:
            totals[stage] += getattr(backlog, stage)
    return totals


def alert_state_counts(store: Store) -> dict[tuple[str, str], int]:
    """Alert instances per (monitor, state)."""
    query = select(AlertState.monitor, AlertState.state, func.count()).group_by(
        AlertState.monitor, AlertState.state)
    with store._reading("count alert states") as session:
        return {(monitor, state): count for monitor, state, count in session.execute(query)}


def _not_ended(query: Select[Any], now: datetime) -> Select[Any]:
    return query.where(Silence.ends_at > now,
                       or_(Silence.expired_at.is_(None), Silence.expired_at > now))


def _record(row: Silence) -> SilenceRecord:
    return SilenceRecord(**{f.name: getattr(row, f.name) for f in fields(SilenceRecord)})


def _check(silence: NewSilence) -> None:
    problems: Sequence[str] = [
        text for bad, text in (
            (not silence.alert.strip(), "the alert name or pattern is empty"),
            (not silence.reason.strip(), "the reason is empty: say why, for whoever is on call"),
            (as_utc(silence.ends_at) <= as_utc(silence.starts_at),
             f"it ends ({silence.ends_at.isoformat()}) before it starts "
             f"({silence.starts_at.isoformat()})"),
        ) if bad
    ]
    if problems:
        raise StoreError(f"cannot add the silence: {'; '.join(problems)}")
