"""Dispatcher: deliver outbox messages through their notifiers, with retries and backoff.

Alert messages are written to the outbox in the same transaction as the run
that caused them. The dispatcher claims due messages (a lease keeps two
dispatchers from sending the same row at once), hands each to the notifier
named in its row, and marks it delivered, or failed with the time of the next
attempt. Backoff grows exponentially up to ``max_delay``; a message still
undelivered ``max_age`` after it was written, or refused for good by its
receiver, is dead. A receiver that is down for an hour thus gets every
message once it is back, each with its stable idempotency key.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from monitor.alerts.notifiers.base import Notification, Notifier
from monitor.errors import NotifierError

__all__ = [
    "DispatchReport",
    "Dispatcher",
    "OutboxEntry",
    "OutboxStore",
    "RetryPolicy",
    "next_attempt",
]

logger = logging.getLogger(__name__)

_Outcome = Literal["delivered", "retried", "dead"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to wait between attempts, and when to give up.

    The n-th failed attempt waits ``initial * factor**(n-1)``, multiplied by a
    random factor in ``[1 - jitter, 1 + jitter]`` (so that messages failed
    together do not retry together), at most ``max_delay``. A message is dead
    once ``max_age`` has passed since it was written.
    """

    initial: timedelta = timedelta(seconds=5)
    factor: float = 2.0
    max_delay: timedelta = timedelta(minutes=10)
    max_age: timedelta = timedelta(hours=24)
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.initial <= timedelta(0):
            raise ValueError(f"retry initial delay must be positive, got {self.initial}")
        if not (math.isfinite(self.factor) and self.factor >= 1):
            raise ValueError(f"retry factor must be 1 or more, got {self.factor}")
        if self.max_delay < self.initial:
            raise ValueError(
                f"retry max_delay ({self.max_delay}) must not be below initial ({self.initial})"
            )
        if self.max_age <= timedelta(0):
            raise ValueError(f"retry max_age must be positive, got {self.max_age}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"retry jitter must be in [0, 1), got {self.jitter}")


def next_attempt(
    policy: RetryPolicy,
    attempts: int,
    created_at: datetime,
    now: datetime,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """Return when to try a failed message again, or None when it is dead.

    Args:
        policy: the backoff and age limits.
        attempts: attempts made so far, the failed one included (>= 1).
        created_at: when the message was written to the outbox.
        now: the time of the failure.
        retry_after: seconds the receiver asked to wait (Retry-After); the
            next attempt comes no sooner, but never later than ``max_delay``.
        rng: source of jitter; a fresh ``random.Random()`` when None.

    Returns:
        The next attempt time, never past ``created_at + max_age`` (so the
        last attempt happens at the deadline), or None once the deadline passed.
    """
    deadline = created_at + policy.max_age
    if now >= deadline:
        return None
    cap = policy.max_delay.total_seconds()
    delay = _backoff_seconds(policy, attempts)
    if policy.jitter:
        delay *= (rng or random.Random()).uniform(1 - policy.jitter, 1 + policy.jitter)
    delay = min(delay, cap)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, cap))
    return min(now + timedelta(seconds=delay), deadline)


def _backoff_seconds(policy: RetryPolicy, attempts: int) -> float:
    initial = policy.initial.total_seconds()
    cap = policy.max_delay.total_seconds()
    exponent = max(attempts - 1, 0)
    # Compare logarithms first: factor ** exponent overflows long before attempts run out.
    if policy.factor > 1 and exponent * math.log(policy.factor) >= math.log(cap / initial):
        return cap
    return min(initial * policy.factor**exponent, cap)


class OutboxEntry(Protocol):
    """The fields of a claimed outbox row the dispatcher reads."""

    @property
    def id(self) -> int: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def notifier(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def attempts(self) -> int: ...
    @property
    def claimed_until(self) -> datetime | None: ...


class OutboxStore(Protocol):
    """The part of the store the dispatcher uses (``monitor.store.Store`` has it)."""

    def claim_notifications(
        self, now: datetime, lease: timedelta, limit: int = 50
    ) -> Sequence[OutboxEntry]: ...
    def mark_delivered(self, message_id: int, now: datetime) -> None: ...
    def mark_failed(
        self, message_id: int, now: datetime, error: str, next_attempt_at: datetime | None
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """What one ``dispatch`` call did with the messages it claimed.

    ``skipped`` counts messages whose lease ran out before their turn in a
    slow batch; they are left for the next claim.
    """

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0

    @property
    def claimed(self) -> int:
        """Messages claimed in this call."""
        return self.delivered + self.retried + self.dead + self.skipped


class Dispatcher:
    """Delivers due outbox messages through the notifiers named in them.

    Args:
        store: the outbox (``claim_notifications``, ``mark_delivered``, ``mark_failed``).
        notifiers: notifier instances by the name rule files give them.
        policy: backoff and age limits.
        lease: how long a claimed message stays reserved for this dispatcher.
        rng: source of backoff jitter.
        clock: when given, read before each delivery, so a message whose lease
            ran out during a slow batch is skipped rather than sent twice, and
            used to time-stamp outcomes; without it, ``now`` stands for the batch.
    """

    def __init__(
        self,
        store: OutboxStore,
        notifiers: Mapping[str, Notifier],
        policy: RetryPolicy | None = None,
        lease: timedelta = timedelta(minutes=2),
        rng: random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if lease <= timedelta(0):
            raise ValueError(f"dispatcher lease must be positive, got {lease}")
        self._store = store
        self._notifiers = dict(notifiers)
        self._policy = policy or RetryPolicy()
        self._lease = lease
        self._rng = rng or random.Random()
        self._clock = clock

    def dispatch(self, now: datetime, limit: int = 50) -> DispatchReport:
        """Claim up to ``limit`` due messages and try to deliver each once.

        One bad message never stops the others: notifier failures, unknown
        notifier names and notifier bugs are recorded on the message. Store
        errors propagate; claimed messages are then retried after their lease.
        """
        counts = {"delivered": 0, "retried": 0, "dead": 0, "skipped": 0}
        for message in self._store.claim_notifications(now, self._lease, limit):
            current = self._clock() if self._clock is not None else now
            if message.claimed_until is not None and current >= message.claimed_until:
                counts["skipped"] += 1
                continue
            counts[self._dispatch_one(message, current)] += 1
        return DispatchReport(**counts)

    def _dispatch_one(self, message: OutboxEntry, now: datetime) -> _Outcome:
        attempt = message.attempts + 1
        try:
            notifier = self._notifier(message.notifier)
            notifier.deliver(Notification(message.idempotency_key, message.payload, attempt))
        except NotifierError as exc:
            return self._fail(message, now, attempt, exc.message, exc.retryable, exc.retry_after)
        except Exception as exc:  # a faulty notifier plugin must not stop the others
            logger.debug("notifier %r raised", message.notifier, exc_info=True)
            error = (
                f"notifier '{message.notifier}' raised {type(exc).__name__}, "
                "a fault in the notifier itself (details in the debug log)"
            )
            return self._fail(message, now, attempt, error, True, None)
        self._store.mark_delivered(message.id, now)
        return "delivered"

    def _notifier(self, name: str) -> Notifier:
        notifier = self._notifiers.get(name)
        if notifier is None:
            known = ", ".join(sorted(self._notifiers)) or "none"
            raise NotifierError(
                f"notifier '{name}' is not configured (was it removed from the rules?); "
                f"configured notifiers: {known}",
                retryable=True,
            )
        return notifier

    def _fail(
        self,
        message: OutboxEntry,
        now: datetime,
        attempt: int,
        error: str,
        retryable: bool,
        retry_after: float | None,
    ) -> _Outcome:
        when = None
        if retryable:
            when = next_attempt(
                self._policy, attempt, message.created_at, now, retry_after, self._rng
            )
        self._store.mark_failed(message.id, now, error, when)
        if when is None:
            logger.error(
                "notification %s to %s is dead after %d attempt(s): %s",
                message.idempotency_key, message.notifier, attempt, error,
            )
            return "dead"
        logger.warning(
            "notification %s to %s failed (attempt %d), next attempt at %s: %s",
            message.idempotency_key, message.notifier, attempt, when.isoformat(), error,
        )
        return "retried"
