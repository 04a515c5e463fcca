"""The outbox queue: claims with leases, delivery, retries, dead letters and listings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.errors import StoreError
from monitor.store import Store
from monitor.store.outbox import OutboxQueue
from tests.integration.store.store_factories import HOUR, T0, new_run, notification

pytestmark = pytest.mark.integration

LEASE = timedelta(minutes=1)
NOW = T0 + 2 * HOUR


def enqueue(store: Store, *keys: str) -> None:
    """Store a run whose notifications have ``keys``, created a second apart."""
    created = [notification(key, at=T0 + HOUR + timedelta(seconds=i)) for i, key in enumerate(keys)]
    assert store.save_run(new_run(), [], [], created) is not None


def keys(messages: list) -> list[str]:
    """The idempotency keys of ``messages`` in order."""
    return [m.idempotency_key for m in messages]


def test_claim_leases_due_messages_oldest_first(store: Store) -> None:
    """A claim returns due messages oldest first, sets the lease, and respects limit."""
    enqueue(store, "a", "b", "c")
    claimed = OutboxQueue(store).claim(NOW, LEASE, limit=2)
    assert keys(claimed) == ["a", "b"]
    assert all(m.claimed_until == NOW + LEASE for m in claimed)


def test_two_claims_in_a_row_never_share_a_message(store: Store) -> None:
    """A leased message is not handed out again while its lease runs."""
    enqueue(store, "a", "b", "c")
    first = OutboxQueue(store).claim(NOW, LEASE, limit=2)
    second = OutboxQueue(store).claim(NOW, LEASE, limit=2)
    assert keys(first) == ["a", "b"] and keys(second) == ["c"]
    assert OutboxQueue(store).claim(NOW + LEASE, LEASE) == []  # lease ends after NOW + LEASE


def test_expired_lease_is_claimable_again(store: Store) -> None:
    """A dispatcher that died leaves its messages to be claimed once the lease is over."""
    enqueue(store, "a")
    OutboxQueue(store).claim(NOW, LEASE)
    later = NOW + LEASE + timedelta(seconds=1)
    [again] = OutboxQueue(store).claim(later, LEASE)
    assert again.idempotency_key == "a" and again.claimed_until == later + LEASE


def test_messages_not_yet_due_are_left(store: Store) -> None:
    """A message is claimed only once its next attempt time has come."""
    enqueue(store, "a")
    assert OutboxQueue(store).claim(T0, LEASE) == []
    assert keys(OutboxQueue(store).claim(T0 + HOUR, LEASE)) == ["a"]


def test_delivered_message_is_never_claimed_again(store: Store) -> None:
    """mark_delivered records the time, releases the lease and ends the message's life."""
    enqueue(store, "a")
    [message] = OutboxQueue(store).claim(NOW, LEASE)
    OutboxQueue(store).mark_delivered([message.id], NOW + timedelta(seconds=3))
    [stored] = OutboxQueue(store).messages()
    assert stored.delivered_at == NOW + timedelta(seconds=3) and stored.claimed_until is None
    assert OutboxQueue(store).claim(NOW + 10 * LEASE, LEASE) == []
    assert OutboxQueue(store).messages(stages=("pending", "retrying")) == []


def test_failed_delivery_is_retried_at_the_given_time(store: Store) -> None:
    """mark_failed counts the attempt, keeps the error and reschedules the message."""
    enqueue(store, "a")
    [message] = OutboxQueue(store).claim(NOW, LEASE)
    retry_at = NOW + timedelta(minutes=5)
    OutboxQueue(store).mark_failed([message.id], NOW, "HTTP 503 from hooks.example.com", retry_at)
    [stored] = OutboxQueue(store).messages()
    assert (stored.attempts, stored.last_error) == (1, "HTTP 503 from hooks.example.com")
    assert stored.next_attempt_at == retry_at and stored.claimed_until is None
    assert OutboxQueue(store).claim(retry_at - timedelta(seconds=1), LEASE) == []
    [again] = OutboxQueue(store).claim(retry_at, LEASE)
    assert again.attempts == 1


def test_failure_without_retry_time_is_dead(store: Store) -> None:
    """mark_failed with no next attempt marks the message dead; it is never sent again."""
    enqueue(store, "a", "b")
    first, _ = OutboxQueue(store).claim(NOW, LEASE)
    OutboxQueue(store).mark_failed([first.id], NOW, "HTTP 400", None)
    dead = next(m for m in OutboxQueue(store).messages() if m.id == first.id)
    assert dead.dead_at == NOW and dead.attempts == 1 and dead.last_error == "HTTP 400"
    assert keys(OutboxQueue(store).messages(stages=("pending", "retrying"))) == ["b"]
    assert keys(OutboxQueue(store).claim(NOW + 10 * LEASE, LEASE)) == ["b"]


def test_outbox_lists_newest_first_with_limit(store: Store) -> None:
    """messages() lists the newest messages first and stops at limit."""
    enqueue(store, "a", "b", "c")
    assert keys(OutboxQueue(store).messages()) == ["c", "b", "a"]
    assert keys(OutboxQueue(store).messages(limit=1)) == ["c"]


def test_unknown_message_id_is_an_error(store: Store) -> None:
    """Marking a message that does not exist says so, and settles nothing of its group."""
    with pytest.raises(StoreError, match="no outbox message with id 999"):
        OutboxQueue(store).mark_delivered([999], NOW)
    with pytest.raises(StoreError, match="no outbox message with id 999"):
        OutboxQueue(store).mark_failed([999], NOW, "x", None)
    enqueue(store, "a")
    [message] = OutboxQueue(store).messages()
    with pytest.raises(StoreError, match="no outbox message with id 999"):
        OutboxQueue(store).mark_delivered([message.id, 999], NOW)
    assert OutboxQueue(store).messages()[0].delivered_at is None


def test_messages_by_stage(store: Store) -> None:
    """messages(stages=...) lists the messages of each stage; an unknown stage is refused."""
    enqueue(store, "a", "b", "c", "d")
    queue = OutboxQueue(store)
    a, b, c, _ = sorted(queue.claim(NOW, LEASE), key=lambda m: m.idempotency_key)
    queue.mark_delivered([a.id], NOW)
    queue.mark_failed([b.id], NOW, "HTTP 503", NOW + HOUR)
    queue.mark_failed([c.id], NOW, "HTTP 400", None)
    assert [m.stage for m in queue.messages()] == ["pending", "dead", "retrying", "delivered"]
    waiting = queue.messages(stages=("pending", "retrying", "dead"))
    assert keys(waiting) == ["d", "c", "b"] and waiting[1].last_error == "HTTP 400"
    assert keys(queue.messages(stages=("delivered",))) == ["a"]
    assert queue.stage_counts() == {"pending": 1, "retrying": 1, "dead": 1, "delivered": 1}
    with pytest.raises(ValueError, match="unknown outbox stages"):
        queue.messages(stages=("sent",))
