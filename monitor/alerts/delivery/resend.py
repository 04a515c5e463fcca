"""Alertmanager re-send loop: keep firing alerts alive in Alertmanager from the stored state.

Alertmanager expects clients to post firing alerts again every 30 s to 3 min,
and resolves an alert by itself once its ``endsAt`` passes, while monitor
windows are often hourly. ``AlertmanagerResender.resend`` is called by the
daemon on every delivery tick: for each ``alertmanager`` notifier whose
``resend_interval`` has elapsed it re-posts

- every alert whose newest message to that notifier says ``firing`` and
  whose stored alert state is still firing, with ``endsAt = now + 4 ×
  resend_interval``;
- every alert whose newest message says ``resolved``, for
  ``resolved_resend_for`` after it resolved, with ``endsAt`` at the
  resolution (so an Alertmanager that missed it, or restarted, learns it).

Everything comes from the database (the outbox and the alert states), so a
restarted daemon, or an Alertmanager that restarted and forgot its alerts,
is back in step within one interval. Re-sends are not outbox messages: a
failed one is logged and tried again at the next interval.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.alerts.notifiers.alertmanager import AlertmanagerNotifier
from monitor.alerts.notifiers.base import Notification, Notifier
from monitor.alerts.notifiers.render import identity_labels
from monitor.errors import NotifierError
from monitor.records import AlertStateRecord, OutboxMessage
from monitor.store.outbox import OutboxQueue
from monitor.store.repository import Store

__all__ = ["AlertmanagerResender", "ResendReport", "resend_firing"]

logger = logging.getLogger(__name__)

_TOLERANCE = timedelta(seconds=1)  # a tick a hair early still counts as due


@dataclass(frozen=True, slots=True)
class ResendReport:
    """What one ``resend`` call posted: alerts re-sent as firing or resolved, and failures."""

    firing: int = 0
    resolved: int = 0
    failed: int = 0


class AlertmanagerResender:
    """Re-posts firing (and recently resolved) alerts to the Alertmanager notifiers.

    Keep one instance for the daemon's life: it reads each outbox row once
    (the first call reads the history of each Alertmanager notifier, later
    calls only the new rows) and remembers when each notifier was last
    re-sent to.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._queue = OutboxQueue(store)
        self._read_up_to: dict[str, int] = {}
        self._latest: dict[tuple[str, str], OutboxMessage] = {}
        self._sent_at: dict[str, datetime] = {}
        self._failing: set[str] = set()

    def resend(self, notifiers: Mapping[str, Notifier], now: datetime) -> ResendReport:
        """Re-post the alerts of every Alertmanager notifier whose interval has elapsed."""
        targets = {name: n for name, n in notifiers.items()
                   if isinstance(n, AlertmanagerNotifier)}  # fmt: skip
        self._forget_all_but(set(targets))
        due = {name: n for name, n in targets.items() if self._is_due(name, n, now)}
        if not due:
            return ResendReport()
        self._read(sorted(due))
        states: dict[str, dict[str, AlertStateRecord]] = {}
        firing = resolved = failed = 0
        for name, notifier in sorted(due.items()):
            up, down = self._alerts_for(name, notifier, now, states)
            if up or down:
                try:
                    notifier.send([_notification(m) for m in up + down], now)
                except NotifierError as exc:
                    failed += len(up) + len(down)
                    self._report_failure(name, exc)
                else:
                    firing, resolved = firing + len(up), resolved + len(down)
                    self._report_recovery(name)
            self._sent_at[name] = now
        if firing or resolved or failed:
            logger.debug("alertmanager re-send: %d firing, %d resolved, %d failed",
                         firing, resolved, failed)
        return ResendReport(firing, resolved, failed)

    def _is_due(self, name: str, notifier: AlertmanagerNotifier, now: datetime) -> bool:
        last = self._sent_at.get(name)
        return last is None or now >= last + notifier.resend_interval - _TOLERANCE

    def _forget_all_but(self, names: set[str]) -> None:
        for name in set(self._read_up_to) - names:
            del self._read_up_to[name]
            self._sent_at.pop(name, None)
        self._latest = {key: m for key, m in self._latest.items() if key[0] in names}

    def _read(self, names: Sequence[str]) -> None:
        """Take in the outbox rows written since the last call: newest message per alert."""
        by_start: dict[int, list[str]] = {}
        for name in names:
            by_start.setdefault(self._read_up_to.get(name, 0), []).append(name)
        for after_id, group in by_start.items():
            for message in self._queue.messages_after(group, after_id):
                self._latest[(message.notifier, _identity(message))] = message
                self._read_up_to[message.notifier] = message.id
            for name in group:
                self._read_up_to.setdefault(name, after_id)

    def _alerts_for(
        self,
        name: str,
        notifier: AlertmanagerNotifier,
        now: datetime,
        states: dict[str, dict[str, AlertStateRecord]],
    ) -> tuple[list[OutboxMessage], list[OutboxMessage]]:
        up: list[OutboxMessage] = []
        down: list[OutboxMessage] = []
        for key, message in sorted(self._latest.items(), key=lambda item: item[1].id):
            if key[0] != name:
                continue
            if message.payload.get("status") == "resolved":
                if now - message.created_at <= notifier.resolved_resend_for:
                    down.append(message)
                else:
                    del self._latest[key]  # nothing older can follow a resolution
            elif self._still_firing(message, states):
                up.append(message)
        return up, down

    def _still_firing(
        self, message: OutboxMessage, states: dict[str, dict[str, AlertStateRecord]]
    ) -> bool:
        """Whether the stored state of the message's alert is firing (states read once per call)."""
        monitor = str(message.payload.get("monitor"))
        if monitor not in states:
            states[monitor] = self._store.alert_states(monitor)
        alert, severity = message.payload.get("alert"), message.payload.get("severity")
        segment = identity_labels(message.payload).get("segment")
        return any(
            state.alert == alert and state.state == "firing"
            and (segment is None or state.segment in (None, segment))
            and getattr(state, "severity", None) in (None, severity)
            for state in states[monitor].values()
        )

    def _report_failure(self, name: str, exc: NotifierError) -> None:
        if name not in self._failing:
            logger.warning("alertmanager re-send to %s failed (retried every interval): %s",
                           name, exc.message)
            self._failing.add(name)

    def _report_recovery(self, name: str) -> None:
        if name in self._failing:
            logger.info("alertmanager re-send to %s works again", name)
            self._failing.discard(name)


def resend_firing(
    store: Store, notifiers: Mapping[str, Notifier], now: datetime
) -> ResendReport:
    """Re-post once, now, what every Alertmanager notifier should hold (reads the whole history).

    The daemon keeps one ``AlertmanagerResender`` instead, which reads only new rows.
    """
    return AlertmanagerResender(store).resend(notifiers, now)


def _identity(message: OutboxMessage) -> str:
    labels = identity_labels(message.payload)
    return "\x1f".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _notification(message: OutboxMessage) -> Notification:
    return Notification(message.idempotency_key, message.payload, message.attempts + 1,
                        message.created_at)
