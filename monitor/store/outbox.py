"""Outbox queue: claim due notifications whole groups at a time, settle them, count them.

The runner writes one outbox row per alert transition and notifier (in
``Store.save_run``); this module is the delivery side. ``claim`` leases the
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
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.engine import for_writing, store_errors
from monitor.store.models import Outbox, as_utc
from monitor.store.records import OutboxMessage
from monitor.store.repository import Store

__all__ = ["STAGES", "NotifierBacklog", "OutboxQueue"]

STAGES = ("pending", "retrying", "dead", "delivered")
"""pending: never tried; retrying: tried, failed, will try again; dead: given up."""


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
        first = (select(Outbox.id, Outbox.notifier, Outbox.created_at).where(*due)
                 .order_by(Outbox.next_attempt_at, Outbox.id).limit(limit)
                 .with_for_update(skip_locked=True))  # fmt: skip
        with self._writing("claim notifications") as session:
            rows = session.execute(first).all()
            if not rows:
                return []
            ids = {row[0] for row in rows}
            runs = {(notifier, created) for _, notifier, created in rows if notifier in grouped}
            if runs:
                same_run = or_(*(and_(Outbox.notifier == n, Outbox.created_at == c)
                                 for n, c in runs))  # fmt: skip
                siblings = select(Outbox.id).where(*due, same_run)
                ids |= set(session.scalars(siblings.with_for_update(skip_locked=True)))
            session.execute(update(Outbox).where(Outbox.id.in_(ids))
                            .values(claimed_until=now + lease))  # fmt: skip
            claimed = select(Outbox).where(Outbox.id.in_(ids))
            ordered = claimed.order_by(Outbox.next_attempt_at, Outbox.id)
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
        changes: dict[str, Any] = {"attempts": Outbox.attempts + 1, "last_error": error,
                                   "claimed_until": None}
        if next_attempt_at is None:
            changes["dead_at"] = now
        else:
            changes["next_attempt_at"] = next_attempt_at
        self._settle(ids, "mark failed", **changes)

    # -- operators and metrics ----------------------------------------------

    def backlog(self) -> dict[str, NotifierBacklog]:
        """Messages per notifier and stage, with the oldest undelivered message's time."""
        stage = case(
            (Outbox.delivered_at.is_not(None), "delivered"),
            (Outbox.dead_at.is_not(None), "dead"),
            (Outbox.attempts > 0, "retrying"),
            else_="pending",
        )
        counts = select(Outbox.notifier, stage, func.count()).group_by(Outbox.notifier, stage)
        oldest = (select(Outbox.notifier, func.min(Outbox.created_at))
                  .where(Outbox.delivered_at.is_(None), Outbox.dead_at.is_(None))
                  .group_by(Outbox.notifier))  # fmt: skip
        found: dict[str, dict[str, Any]] = {}
        with self._reading("count outbox messages") as session:
            for notifier, name, count in session.execute(counts):
                found.setdefault(notifier, {})[name] = int(count)
            for notifier, created in session.execute(oldest):
                found.setdefault(notifier, {})["oldest_waiting"] = _utc(created)
        return {name: NotifierBacklog(name, **fields) for name, fields in sorted(found.items())}

    def dead(self, *, notifier: str | None = None, limit: int = 100) -> list[OutboxMessage]:
        """Dead messages, the most recently given up first."""
        query = select(Outbox).where(Outbox.dead_at.is_not(None))
        if notifier is not None:
            query = query.where(Outbox.notifier == notifier)
        query = query.order_by(Outbox.dead_at.desc(), Outbox.id.desc()).limit(limit)
        with self._reading("list dead notifications") as session:
            return [row.to_record() for row in session.scalars(query)]

    def retry_dead(
        self, now: datetime, *, ids: Sequence[int] | None = None, notifier: str | None = None
    ) -> int:
        """Put dead messages back in the queue, due at ``now``; return how many.

        Their age restarts at ``now`` (else the first failure would kill them
        again); attempts and the last error are kept for the record.
        """
        query = update(Outbox).where(Outbox.dead_at.is_not(None))
        if ids is not None:
            query = query.where(Outbox.id.in_(list(ids)))
        if notifier is not None:
            query = query.where(Outbox.notifier == notifier)
        query = query.values(dead_at=None, next_attempt_at=now, created_at=now,
                             claimed_until=None)
        with self._writing("requeue dead notifications") as session:
            return int(getattr(session.execute(query), "rowcount", 0) or 0)

    def messages_after(self, notifiers: Sequence[str], after_id: int) -> list[OutboxMessage]:
        """Messages of ``notifiers`` with an id above ``after_id``, oldest first, dead ones out."""
        if not notifiers:
            return []
        query = (select(Outbox)
                 .where(Outbox.notifier.in_(list(notifiers)), Outbox.id > after_id,
                        Outbox.dead_at.is_(None))
                 .order_by(Outbox.id))  # fmt: skip
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
        if not ids:
            return
        query = update(Outbox).where(Outbox.id.in_(list(ids))).values(**changes)
        with self._writing(f"{action} outbox messages {list(ids)}") as session:
            session.execute(query)


def _due(now: datetime) -> list[Any]:
    return [
        Outbox.delivered_at.is_(None),
        Outbox.dead_at.is_(None),
        Outbox.next_attempt_at <= now,
        or_(Outbox.claimed_until.is_(None), Outbox.claimed_until < now),
    ]


def _utc(value: datetime | None) -> datetime | None:
    # min() keeps the column's type, but say so if a driver ever hands back naive UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
