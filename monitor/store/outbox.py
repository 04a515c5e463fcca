"""Outbox queue: claim due notifications whole groups at a time, settle them, list and count them.

The runner writes one outbox row per alert message and notifier (in
``Store.save_run``); this module is everything else the outbox does, and the
only way to read it. ``claim`` leases the
due rows, together with every due sibling written by the same run for the
same notifier, so a notifier that groups alerts sees the whole run's alerts
at once. ``mark_delivered`` and ``mark_failed`` settle a group in one
transaction: it is delivered or failed as a whole. The rest serves operators
and metrics: counts per notifier and stage, dead messages, and putting dead
messages back in the queue.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Case, CursorResult, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import StoreError
from monitor.records import OUTBOX_STAGES, OutboxMessage
from monitor.store.engine import for_writing, store_errors
from monitor.store.models import OutboxRow, as_utc
from monitor.store.repository import Store

__all__ = ["NotifierBacklog", "OutboxQueue"]


@dataclass(frozen=True, slots=True)
class NotifierBacklog:
    """Where one notifier's messages stand; ``oldest_waiting`` is the oldest undelivered one."""

    notifier: str
    pending: int = 0
    retrying: int = 0
    dead: int = 0
    delivered: int = 0
    oldest_waiting: datetime | None = None


class OutboxQueue:
    """The delivery side of a store's outbox (one per dispatcher; safe across threads)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._reads = sessionmaker(store.engine, expire_on_commit=False)
        self._writes = sessionmaker(for_writing(store.engine), expire_on_commit=False)

    # -- delivery -----------------------------------------------------------

    def claim(
        self,
        now: datetime,
        lease: timedelta,
        limit: int = 50,
        grouped: Collection[str] = (),
    ) -> list[OutboxMessage]:
        """Lease up to ``limit`` due messages, and their due siblings, until ``now + lease``.

        For the notifiers named in ``grouped``, siblings are the due rows of
        the same notifier written at the same time (by the same run), so a
        group is never split across claims. Oldest due messages come first; a
        claimed message is handed to no one else until its lease runs out.
        """
        if lease <= timedelta(0):
            raise ValueError(f"lease must be positive, got {lease}")
        due = _due(as_utc(now))
        first = (select(OutboxRow.id, OutboxRow.notifier, OutboxRow.created_at).where(*due)
                 .order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(limit)
                 .with_for_update(skip_locked=True))  # fmt: skip
        with self._writing("claim notifications") as session:
            rows = session.execute(first).all()
            if not rows:
                return []
            ids = {row[0] for row in rows}
            runs = {(notifier, created) for _, notifier, created in rows if notifier in grouped}
            if runs:
                same_run = or_(*(and_(OutboxRow.notifier == n, OutboxRow.created_at == c)
                                 for n, c in runs))  # fmt: skip
                siblings = select(OutboxRow.id).where(*due, same_run)
                ids |= set(session.scalars(siblings.with_for_update(skip_locked=True)))
            session.execute(update(OutboxRow).where(OutboxRow.id.in_(ids))
                            .values(claimed_until=now + lease))  # fmt: skip
            claimed = select(OutboxRow).where(OutboxRow.id.in_(ids))
            ordered = claimed.order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            return [row.to_record() for row in session.scalars(ordered)]

    def mark_delivered(self, ids: Sequence[int], now: datetime) -> None:
        """Record that the messages ``ids`` (one group) were delivered at ``now``."""
        self._settle(ids, "mark delivered", delivered_at=now, claimed_until=None)

    def mark_failed(
        self, ids: Sequence[int], now: datetime, error: str, next_attempt_at: datetime | None
    ) -> None:
        """Record a failed attempt of one group: retry at ``next_attempt_at``, or dead when None.

        ``error`` is stored as given: the caller removes secrets from it first.
        """
        changes: dict[str, Any] = {"attempts": OutboxRow.attempts + 1, "last_error": error,
                                   "claimed_until": None}
        if next_attempt_at is None:
            changes["dead_at"] = now
        else:
            changes["next_attempt_at"] = next_attempt_at
        self._settle(ids, "mark failed", **changes)

    # -- operators and metrics ----------------------------------------------

    def backlog(self) -> dict[str, NotifierBacklog]:
        """Messages per notifier and stage, with the oldest undelivered message's time."""
        stage = _stage()
        counts = select(OutboxRow.notifier, stage, func.count()).group_by(OutboxRow.notifier, stage)
        oldest = (select(OutboxRow.notifier, func.min(OutboxRow.created_at))
                  .where(OutboxRow.delivered_at.is_(None), OutboxRow.dead_at.is_(None))
                  .group_by(OutboxRow.notifier))  # fmt: skip
        found: dict[str, dict[str, Any]] = {}
        with self._reading("count outbox messages") as session:
            for notifier, name, count in session.execute(counts):
                found.setdefault(notifier, {})[name] = int(count)
            for notifier, created in session.execute(oldest):
                found.setdefault(notifier, {})["oldest_waiting"] = _utc(created)
        return {name: NotifierBacklog(name, **fields) for name, fields in sorted(found.items())}

    def stage_counts(self) -> dict[str, int]:
        """Messages per stage of ``OUTBOX_STAGES``, all notifiers together (zero when none)."""
        totals = dict.fromkeys(OUTBOX_STAGES, 0)
        for backlog in self.backlog().values():
            for stage in OUTBOX_STAGES:
                totals[stage] += getattr(backlog, stage)
        return totals

    def messages(
        self, *, stages: Collection[str] = OUTBOX_STAGES, limit: int = 100
    ) -> list[OutboxMessage]:
        """Up to ``limit`` messages in the given stages (of ``OUTBOX_STAGES``), newest first."""
        unknown = set(stages) - set(OUTBOX_STAGES)
        if unknown:
            raise ValueError(f"unknown outbox stages {sorted(unknown)}; known: {OUTBOX_STAGES}")
        query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
        if set(stages) != set(OUTBOX_STAGES):
            query = query.where(_stage().in_(list(stages)))
        with self._reading("list the outbox") as session:
            return [row.to_record() for row in session.scalars(query)]

    def dead(self, *, notifier: str | None = None, limit: int = 100) -> list[OutboxMessage]:
        """Dead messages, the most recently given up first."""
        query = select(OutboxRow).where(OutboxRow.dead_at.is_not(None))
        if notifier is not None:
            query = query.where(OutboxRow.notifier == notifier)
        query = query.order_by(OutboxRow.dead_at.desc(), OutboxRow.id.desc()).limit(limit)
        with self._reading("list dead notifications") as session:
            return [row.to_record() for row in session.scalars(query)]

    def retry_dead(
        self, now: datetime, *, ids: Sequence[int] | None = None, notifier: str | None = None
    ) -> int:
        """Put dead messages back in the queue, due at ``now``; return how many.

        Their age restarts at ``now`` (else the first failure would kill them
        again); attempts and the last error are kept for the record.
        """
        query = update(OutboxRow).where(OutboxRow.dead_at.is_not(None))
        if ids is not None:
            query = query.where(OutboxRow.id.in_(list(ids)))
        if notifier is not None:
            query = query.where(OutboxRow.notifier == notifier)
        query = query.values(dead_at=None, next_attempt_at=now, created_at=now,
                             claimed_until=None)
        with self._writing("requeue dead notifications") as session:
            return int(getattr(session.execute(query), "rowcount", 0) or 0)

    def messages_after(self, notifiers: Sequence[str], after_id: int) -> list[OutboxMessage]:
        """Messages of ``notifiers`` with an id above ``after_id``, oldest first, dead ones out."""
        if not notifiers:
            return []
        query = (select(OutboxRow)
                 .where(OutboxRow.notifier.in_(list(notifiers)), OutboxRow.id > after_id,
                        OutboxRow.dead_at.is_(None))
                 .order_by(OutboxRow.id))  # fmt: skip
        with self._reading("read alertmanager messages") as session:
            return [row.to_record() for row in session.scalars(query)]

    # -- sessions -----------------------------------------------------------

    @contextmanager
    def _reading(self, action: str) -> Iterator[Session]:
        with store_errors(self.store.engine, action), self._reads() as session:
            yield session

    @contextmanager
    def _writing(self, action: str) -> Iterator[Session]:
        with store_errors(self.store.engine, action), self._writes.begin() as session:
            yield session

    def _settle(self, ids: Sequence[int], action: str, **changes: Any) -> None:
        """Update the rows ``ids`` in one transaction; all of them, or none when one is missing."""
        wanted = set(ids)
        if not wanted:
            return
        query = update(OutboxRow).where(OutboxRow.id.in_(wanted)).values(**changes)
        with self._writing(f"{action} outbox messages {sorted(wanted)}") as session:
            updated = cast(CursorResult[Any], session.execute(query)).rowcount
            if updated != len(wanted):
                found = set(session.scalars(select(OutboxRow.id).where(OutboxRow.id.in_(wanted))))
                missing = ", ".join(str(i) for i in sorted(wanted - found))
                raise StoreError(f"no outbox message with id {missing}")


def _stage() -> Case[str]:
    """A row's stage of ``OUTBOX_STAGES`` in SQL (``OutboxMessage.stage`` says it in Python)."""
    return case(
        (OutboxRow.delivered_at.is_not(None), "delivered"),
        (OutboxRow.dead_at.is_not(None), "dead"),
        (OutboxRow.attempts > 0, "retrying"),
        else_="pending",
    )


def _due(now: datetime) -> list[Any]:
    return [
        OutboxRow.delivered_at.is_(None),
        OutboxRow.dead_at.is_(None),
        OutboxRow.next_attempt_at <= now,
        or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now),
    ]


def _utc(value: datetime | None) -> datetime | None:
    # min() keeps the column's type, but say so if a driver ever hands back naive UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
