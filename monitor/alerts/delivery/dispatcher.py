"""Dispatcher: deliver outbox messages through their notifiers, with retries and backoff.

Alert messages are written to the outbox in the same transaction as the run
that caused them. The dispatcher claims due messages (a lease keeps two
dispatchers from sending the same row at once), hands them to the notifier
named in their rows, and marks them delivered, or failed with the time of the
next attempt. Notifiers that group (``Notifier.groups``) get the alerts of
one monitor and window in one call, and the group is settled as a whole.
Backoff grows exponentially up to ``max_delay``; a message still undelivered
``max_age`` after it was written, or refused for good by its receiver, is
dead. A receiver that is down for an hour thus gets every message once it is
back, each with its stable idempotency key.

Delivery is at least once: a dispatcher killed between a receiver's answer
and the database update sends that message again after its lease, with the
same idempotency key, so receivers can drop it. A database that fails only
that update does not cause a resend: the delivered ids wait in memory
(``Acknowledgements``) and are marked first once the database is back. A message marked delivered is
never sent again. Secrets of a notifier never reach the database or the log:
its error messages are scrubbed of them before they are stored.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import traceback
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from monitor import plugins
from monitor.alerts.notifiers.base import Notification, Notifier
from monitor.errors import NotifierError, StoreError
from monitor.retry import backoff_seconds
from monitor.rules.schema import RuleSet
from monitor.settings import Settings
from monitor.store.outbox import OutboxQueue
from monitor.store.repository import Store

__all__ = [
    "Acknowledgements",
    "DispatchReport",
    "Dispatcher",
    "OutboxEntry",
    "OutboxStore",
    "RetryPolicy",
    "build_notifiers",
    "next_attempt",
    "scrub",
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

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy of ``MONITOR_DELIVERY_*`` settings (initial delay, max delay, max age)."""
        return cls(
            initial=timedelta(seconds=settings.delivery_initial_delay),
            max_delay=timedelta(seconds=settings.delivery_max_delay),
            max_age=timedelta(seconds=settings.delivery_max_age),
        )


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
    delay = backoff_seconds(attempts, policy.initial.total_seconds(), cap, policy.factor)
    if policy.jitter:
        delay *= (rng or random.Random()).uniform(1 - policy.jitter, 1 + policy.jitter)
    delay = min(delay, cap)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, cap))
    return min(now + timedelta(seconds=delay), deadline)


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
    """The outbox as the dispatcher uses it (``monitor.store.outbox.OutboxQueue`` has it)."""

    def claim(
        self, now: datetime, lease: timedelta, limit: int = 50, grouped: Collection[str] = ()
    ) -> Sequence[OutboxEntry]: ...
    def mark_delivered(self, ids: Sequence[int], now: datetime) -> None: ...
    def mark_failed(
        self, ids: Sequence[int], now: datetime, error: str, next_attempt_at: datetime | None
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """What one ``dispatch`` call did with the messages it claimed (counted in rows).

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


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Replace every occurrence of each secret in ``text`` with ``***``.

    >>> scrub("POST /hooks/T0/abcdef failed", ["/hooks/T0/abcdef"])
    'POST *** failed'
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class Acknowledgements:
    """Ids of messages a receiver accepted but the database could not yet mark delivered.

    Kept by the process across dispatchers (a reload builds a new one), so a
    database outage between the answer and the update never sends a message twice.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[int] = set()

    def add(self, ids: Sequence[int]) -> None:
        """Remember ``ids`` as delivered."""
        with self._lock:
            self._ids.update(ids)

    def pending(self) -> list[int]:
        """The ids still to be marked delivered."""
        with self._lock:
            return sorted(self._ids)

    def done(self, ids: Sequence[int]) -> None:
        """``ids`` are marked delivered in the database."""
        with self._lock:
            self._ids.difference_update(ids)


class Dispatcher:
    """Delivers due outbox messages through the notifiers named in them.

    Args:
        store: the ``monitor.store.Store`` (or an ``OutboxStore``) holding the outbox.
        notifiers: notifier instances by the name rule files give them.
        policy: backoff and age limits.
        lease: how long a claimed message stays reserved for this dispatcher.
        rng: source of backoff jitter.
        clock: when given, read before each delivery, so a message whose lease
            ran out during a slow batch is skipped rather than sent twice, and
            used to time-stamp outcomes; without it, ``now`` stands for the batch.
        acknowledgements: delivered ids not yet marked; share one between the
            dispatchers of a process.
    """

    def __init__(
        self,
        store: Store | OutboxStore,
        notifiers: Mapping[str, Notifier],
        policy: RetryPolicy | None = None,
        lease: timedelta = timedelta(minutes=2),
        rng: random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
        acknowledgements: Acknowledgements | None = None,
    ) -> None:
        if lease <= timedelta(0):
            raise ValueError(f"dispatcher lease must be positive, got {lease}")
        self._outbox = _queue(store)
        self._notifiers = dict(notifiers)
        self._policy = policy or RetryPolicy()
        self._lease = lease
        self._rng = rng or random.Random()
        self._clock = clock
        self._acks = acknowledgements or Acknowledgements()

    def dispatch(self, now: datetime, limit: int = 50) -> DispatchReport:
        """Claim up to ``limit`` due messages (with their groups) and try each group once.

        One bad message never stops the others: notifier failures, unknown
        notifier names and notifier bugs are recorded on the message. Store
        errors propagate; claimed messages are then retried after their lease,
        except those already delivered, which are marked first on the next call.
        """
        pending = self._acks.pending()
        if pending:  # raises while the database is still away
            self._outbox.mark_delivered(pending, now)
            self._acks.done(pending)
        counts = {"delivered": 0, "retried": 0, "dead": 0, "skipped": 0}
        grouped = {name for name, notifier in self._notifiers.items() if notifier.groups}
        claimed = self._outbox.claim(now, self._lease, limit, grouped)
        for batch in self._batches(claimed):
            current = self._clock() if self._clock is not None else now
            if any(m.claimed_until is not None and current >= m.claimed_until for m in batch):
                counts["skipped"] += len(batch)
                continue
            counts[self._dispatch_batch(batch, current)] += len(batch)
        return DispatchReport(**counts)

    def _batches(self, messages: Sequence[OutboxEntry]) -> list[list[OutboxEntry]]:
        """Messages in claim order, those a grouping notifier sends together in one batch."""
        batches: dict[tuple[Any, ...], list[OutboxEntry]] = {}
        for message in messages:
            notifier = self._notifiers.get(message.notifier)
            if notifier is None or not notifier.groups:
                batches[("single", message.id)] = [message]
                continue
            window = message.payload.get("window") or {}
            key = ("group", message.notifier, message.created_at, message.payload.get("monitor"),
                   window.get("start"), window.get("end"))
            batches.setdefault(key, []).append(message)
        split = []
        for (kind, name, *_), batch in batches.items():
            size = self._notifiers[name].max_group if kind == "group" else 1
            batch.sort(key=lambda m: m.id)
            split += [batch[i:i + max(size, 1)] for i in range(0, len(batch), max(size, 1))]
        return split

    def _dispatch_batch(self, batch: Sequence[OutboxEntry], now: datetime) -> _Outcome:
        name = batch[0].notifier
        attempt = max(m.attempts for m in batch) + 1
        notifications = [Notification(m.idempotency_key, m.payload, attempt, m.created_at)
                         for m in batch]
        notifier = self._notifiers.get(name)
        try:
            if notifier is None:
                raise _not_configured(name, self._notifiers)
            if len(notifications) == 1:
                notifier.deliver(notifications[0])
            else:
                notifier.deliver_group(notifications)
        except NotifierError as exc:
            error = _scrubbed(exc.message, notifier)
            return self._fail(batch, now, attempt, error, exc.retryable, exc.retry_after)
        except Exception as exc:  # a faulty notifier plugin must not stop the others
            trace = "".join(traceback.format_exception(exc))
            logger.debug("notifier %r raised:\n%s", name, _scrubbed(trace, notifier))
            error = (
                f"notifier '{name}' raised {type(exc).__name__}, "
                "a fault in the notifier itself (details in the debug log)"
            )
            return self._fail(batch, now, attempt, error, True, None)
        ids = [m.id for m in batch]
        try:
            self._outbox.mark_delivered(ids, now)
        except StoreError:
            self._acks.add(ids)
            raise
        return "delivered"

    def _fail(
        self,
        batch: Sequence[OutboxEntry],
        now: datetime,
        attempt: int,
        error: str,
        retryable: bool,
        retry_after: float | None,
    ) -> _Outcome:
        when = None
        if retryable:
            created_at = min(m.created_at for m in batch)
            when = next_attempt(self._policy, attempt, created_at, now, retry_after, self._rng)
        self._outbox.mark_failed([m.id for m in batch], now, error, when)
        keys = ", ".join(m.idempotency_key for m in batch)
        name = batch[0].notifier
        if when is None:
            logger.error(
                "notification %s to %s is dead after %d attempt(s): %s",
                keys, name, attempt, error,
            )
            return "dead"
        logger.warning(
            "notification %s to %s failed (attempt %d), next attempt at %s: %s",
            keys, name, attempt, when.isoformat(), error,
        )
        return "retried"


def _queue(store: Store | OutboxStore) -> OutboxStore:
    """The outbox of ``store``: a ``Store`` is wrapped in an ``OutboxQueue``."""
    return OutboxQueue(store) if isinstance(store, Store) else store


def _not_configured(name: str, notifiers: Mapping[str, Notifier]) -> NotifierError:
    known = ", ".join(sorted(notifiers)) or "none"
    return NotifierError(
        f"notifier '{name}' is not configured (was it removed from the rules?); "
        f"configured notifiers: {known}",
        retryable=True,
    )


def _scrubbed(error: str, notifier: Notifier | None) -> str:
    if notifier is None:
        return error
    try:
        secrets = notifier.secrets()
    except Exception:  # a plugin's broken secrets() must not leak the error instead
        logger.debug("secrets() of a notifier raised", exc_info=True)
        return "the notifier failed (its message was withheld: listing its secrets failed)"
    return scrub(error, secrets)


def build_notifiers(rules: RuleSet) -> dict[str, Notifier]:
    """One notifier instance per ``notifiers:`` entry of the rules."""
    built: dict[str, Notifier] = {}
    for name, spec in rules.notifiers.items():
        # mypy rejects abstract classes as type[T] arguments; load() only checks subclasses.
        cls = plugins.load(plugins.NOTIFIERS, spec.type, Notifier)  # type: ignore[type-abstract]
        built[name] = cls(spec.config)
    return built
