"""Routing: which alert messages go out after a step, and which are held back.

After an instance is stepped, ``route`` decides its message:

* **firing** when it starts firing, and again (an announcement) when it is
  firing but the receivers were not told: it fired while muted, or it was
  muted since;
* **reminders** (firing, ``reminder``) every ``repeat_every`` while it stays
  firing;
* **resolved** when it stops firing, only if its firing was announced. A
  resolved message is sent even while muted, so incidents opened at the
  receivers get closed.

An instance is muted by a silence that matches its labels, or inhibited by
a higher level of the same rule and segment that is firing (a critical
instance inhibits the warning one). Muted instances keep their state; their
firing messages and reminders are not written. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Protocol

from monitor.alerts.messages import Delivery, Instance, Message
from monitor.alerts.state import AlertState, Transition
from monitor.rules.alerting import SEVERITIES, windows

__all__ = ["SilenceLike", "matches", "muted_by", "route"]

_RANK: dict[str, int] = {severity: rank for rank, severity in enumerate(SEVERITIES)}


class SilenceLike(Protocol):
    """What routing reads of a silence (``monitor.records.SilenceRecord`` has it)."""

    @property
    def id(self) -> int: ...
    @property
    def alert(self) -> str: ...
    @property
    def monitor(self) -> str | None: ...
    @property
    def segment(self) -> str | None: ...
    @property
    def severity(self) -> str | None: ...
    def active(self, now: datetime) -> bool: ...


def matches(silence: SilenceLike, monitor: str, alert: str, segment: str | None,
            severity: str) -> bool:
    """Whether ``silence`` covers this alert instance; its fields may be shell patterns.

    A silence without a segment covers every segment; one with a segment only
    the instances of matching segments.
    """
    return (fnmatchcase(alert, silence.alert)
            and (silence.monitor is None or fnmatchcase(monitor, silence.monitor))
            and (silence.segment is None
                 or (segment is not None and fnmatchcase(segment, silence.segment)))
            and (silence.severity is None or silence.severity == severity))


def muted_by(
    instance: Instance,
    instances: Sequence[Instance],
    states: Mapping[str, str],
    silences: Sequence[SilenceLike],
    now: datetime,
    monitor: str,
) -> str | None:
    """Why ``instance`` is muted now (``silence 3``, ``inhibited by critical``), or None."""
    for silence in silences:
        if silence.active(now) and matches(silence, monitor, instance.rule.name,
                                           instance.segment, instance.severity):
            return f"silence {silence.id}"
    higher = [other.severity for other in instances
              if other.rule.name == instance.rule.name and other.segment == instance.segment
              and _RANK[other.severity] > _RANK[instance.severity]
              and states.get(other.key) == "firing"]
    if higher:
        return f"inhibited by {max(higher, key=_RANK.__getitem__)}"
    return None


def route(
    instance: Instance,
    state: AlertState,
    transition: Transition | None,
    before: Delivery,
    muted: str | None,
    window_end: datetime,
    window_length: timedelta,
) -> tuple[Delivery, Message | None]:
    """Decide the message of one stepped instance and the delivery facts to keep."""
    if transition is not None and transition.status == "resolved":
        message = (_message(instance, state, "resolved", transition.started_at)
                   if before.announced else None)
        return Delivery(last_notified_at=before.last_notified_at), message
    if state.state != "firing":
        return Delivery(last_notified_at=before.last_notified_at), None
    started = state.fired_at or window_end
    if muted is not None:
        return Delivery(before.announced, muted, before.last_notified_at), None
    sent = Delivery(True, None, window_end)
    if transition is not None or not before.announced or before.muted is not None:
        return sent, _message(instance, state, "firing", started)
    repeat = instance.rule.repeat_every
    last = before.last_notified_at
    if repeat is not None and (last is None
                               or window_end - last >= windows(repeat, window_length)
                               * window_length):
        return sent, _message(instance, state, "firing", started, reminder=True)
    return Delivery(True, None, last), None


def _message(instance: Instance, state: AlertState, status: str, started_at: datetime,
             reminder: bool = False) -> Message:
    return Message(key=instance.key, alert=instance.rule.name, severity=instance.severity,
                   segment=instance.segment, status=status, reason=state.reason,
                   value=state.last_value, started_at=started_at, rule=instance.rule,
                   reminder=reminder)
