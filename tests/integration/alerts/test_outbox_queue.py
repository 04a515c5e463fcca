"""The outbox's delivery side on SQLite and PostgreSQL: backlog counts, dead messages, requeue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.store.outbox import NotifierBacklog, OutboxQueue
from monitor.store.repository import Store
from tests.integration.alerts.outbox_rows import message, save_alerts

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 11, 5, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def _settle(queue: OutboxQueue, store: Store, keys: list[str], how: str) -> None:
    """Claim nothing else: mark the given rows as delivered, failed or dead."""
    ids = [message(store, k).id for k in keys]
    if how == "delivered":
        queue.mark_delivered(ids, T0)
    else:
        retry = T0 + timedelta(minutes=5) if how == "retrying" else None
        queue.mark_failed(ids, T0, f"{how}: HTTP 503", retry)


def test_backlog_counts_each_stage_per_notifier(store: Store) -> None:
    """Pending, retrying, dead and delivered are counted per notifier, with the oldest waiting."""
    queue = OutboxQueue(store)
    chat = save_alerts(store, "chat", ["a", "b", "c", "d"], T0, hour=1)
    hook = save_alerts(store, "hook", ["a"], T0 + timedelta(minutes=1), hour=2)
    _settle(queue, store, chat[:1], "delivered")
    _settle(queue, store, chat[1:2], "retrying")
    _settle(queue, store, chat[2:3], "dead")
    assert hook and queue.backlog() == {
        "chat": NotifierBacklog("chat", pending=1, retrying=1, dead=1, delivered=1,
                                oldest_waiting=T0),
        "hook": NotifierBacklog("hook", pending=1, oldest_waiting=T0 + timedelta(minutes=1)),
    }


def test_dead_messages_are_listed_and_can_be_requeued(store: Store) -> None:
    """Dead messages list newest first; requeued ones are due now with a fresh age."""
    queue = OutboxQueue(store)
    keys = save_alerts(store, "chat", ["a", "b"], T0)
    other = save_alerts(store, "hook", ["c"], T0, hour=11)
    _settle(queue, store, keys, "dead")
    _settle(queue, store, other, "dead")
    assert {m.idempotency_key for m in queue.dead()} == {*keys, *other}
    assert [m.idempotency_key for m in queue.dead(notifier="hook")] == other
    later = T0 + timedelta(days=2)
    assert queue.retry_dead(later, notifier="chat") == 2
    revived = message(store, keys[0])
    assert (revived.dead_at, revived.next_attempt_at, revived.created_at) == (None, later, later)
    assert revived.last_error == "dead: HTTP 503" and revived.attempts == 1
    assert [m.notifier for m in queue.claim(later, LEASE)] == ["chat", "chat"]
    assert queue.retry_dead(later, ids=[message(store, other[0]).id]) == 1
    assert queue.dead() == []


def test_claim_skips_leased_and_settled_rows(store: Store) -> None:
    """A claimed row is not handed out again until its lease ends; delivered rows never."""
    queue = OutboxQueue(store)
    keys = save_alerts(store, "hook", ["a", "b"], T0)
    first = queue.claim(T0, LEASE, limit=1)
    assert [m.idempotency_key for m in first] == keys[:1]
    assert [m.idempotency_key for m in queue.claim(T0, LEASE)] == keys[1:]
    assert queue.claim(T0 + timedelta(minutes=1), LEASE) == []
    queue.mark_delivered([first[0].id], T0)
    again = queue.claim(T0 + LEASE + timedelta(seconds=1), LEASE)
    assert [m.idempotency_key for m in again] == keys[1:]


def test_messages_after_reads_only_new_rows_of_the_named_notifiers(store: Store) -> None:
    """Rows come in id order, above the given id, for the named notifiers, dead ones left out."""
    queue = OutboxQueue(store)
    am = save_alerts(store, "am", ["a", "b"], T0, hour=1)
    save_alerts(store, "chat", ["a"], T0, hour=2)
    rows = queue.messages_after(["am"], 0)
    assert [m.idempotency_key for m in rows] == am
    assert [m.idempotency_key for m in queue.messages_after(["am"], rows[0].id)] == am[1:]
    _settle(queue, store, am[1:], "dead")
    assert [m.idempotency_key for m in queue.messages_after(["am"], 0)] == am[:1]
    assert queue.messages_after([], 0) == []
