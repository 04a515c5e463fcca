"""Alerting in the store: silences, and what ``monitor alerts`` lists.

Silences are operators' decisions, so they live in the database next to the
alert states they mute: every process evaluating alerts sees the same ones,
and they survive restarts. A silence is active from ``starts_at`` until
``ends_at``, or until it is expired by hand (``expired_at``). The listing
functions read the alert states of every monitor, for the command line and
the metrics (the outbox is read through ``monitor.store.outbox.OutboxQueue``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, or_, select

from monitor.errors import StoreError
from monitor.records import AlertStateRecord, NewSilence, SilenceRecord
from monitor.store.models import AlertStateRow, SilenceRow, as_utc
from monitor.store.repository import Store
from monitor.times import format_time

__all__ = [
    "active_silences",
    "add_silence",
    "alert_names",
    "alert_state_counts",
    "expire_silence",
    "list_alert_states",
    "silences",
]


def add_silence(store: Store, silence: NewSilence) -> SilenceRecord:
    """Store a silence and return it with its id.

    Raises:
        StoreError: an empty alert pattern or reason, or an end not after the start.
    """
    _check(silence)
    row = SilenceRow(**{f.name: getattr(silence, f.name) for f in fields(NewSilence)})
    with store._writing("add a silence") as session:
        session.add(row)
        session.flush()
        return _record(row)


def silences(store: Store, now: datetime, *, include_ended: bool = False) -> list[SilenceRecord]:
    """Silences active or still to start at ``now`` (all of them with ``include_ended``)."""
    query = select(SilenceRow).order_by(SilenceRow.ends_at, SilenceRow.id)
    if not include_ended:
        query = _not_ended(query, now)
    with store._reading("list silences") as session:
        return [_record(row) for row in session.scalars(query)]


def active_silences(store: Store, now: datetime) -> list[SilenceRecord]:
    """Silences muting alerts at ``now``."""
    query = _not_ended(select(SilenceRow), now).where(SilenceRow.starts_at <= now)
    with store._reading("read the active silences") as session:
        return [_record(row) for row in session.scalars(query.order_by(SilenceRow.id))]


def expire_silence(store: Store, silence_id: int, now: datetime) -> SilenceRecord:
    """End silence ``silence_id`` at ``now``; alerts it muted send again from their next window.

    Raises:
        StoreError: there is no such silence, or it has already ended.
    """
    with store._writing(f"expire silence {silence_id}") as session:
        row = session.get(SilenceRow, silence_id, with_for_update=True)
        if row is None:
            raise StoreError(f"there is no silence {silence_id}: see `monitor silence list`")
        record = _record(row)
        if record.ended_at <= now:
            raise StoreError(f"silence {silence_id} already ended at "
                             f"{format_time(record.ended_at, 'seconds')}; nothing to expire")
        row.expired_at = as_utc(now)
        session.flush()
        return _record(row)


def list_alert_states(
    store: Store, monitor: str | None = None, *, include_inactive: bool = False
) -> list[AlertStateRecord]:
    """Alert states of ``monitor`` (or all), firing first, then pending, then by key."""
    state = AlertStateRow.state
    order = case((state == "firing", 0), (state == "pending", 1), else_=2)
    query = select(AlertStateRow).order_by(order, AlertStateRow.alert_key)
    if monitor is not None:
        query = query.where(AlertStateRow.monitor == monitor)
    if not include_inactive:
        query = query.where(AlertStateRow.state != "inactive")
    with store._reading("list alert states") as session:
        return [row.to_record() for row in session.scalars(query)]


def alert_names(store: Store) -> set[tuple[str, str]]:
    """The (monitor, alert) pairs that have a stored state."""
    query = select(AlertStateRow.monitor, AlertStateRow.alert).distinct()
    with store._reading("list alert names") as session:
        return {(monitor, alert) for monitor, alert in session.execute(query)}


def alert_state_counts(store: Store) -> dict[tuple[str, str], int]:
    """Alert instances per (monitor, state)."""
    query = select(AlertStateRow.monitor, AlertStateRow.state, func.count()).group_by(
        AlertStateRow.monitor, AlertStateRow.state)
    with store._reading("count alert states") as session:
        return {(monitor, state): count for monitor, state, count in session.execute(query)}


def _not_ended(query: Select[Any], now: datetime) -> Select[Any]:
    return query.where(SilenceRow.ends_at > now,
                       or_(SilenceRow.expired_at.is_(None), SilenceRow.expired_at > now))


def _record(row: SilenceRow) -> SilenceRecord:
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
