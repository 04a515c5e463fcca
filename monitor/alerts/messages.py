"""The values alert evaluation passes around: instances, the messages they owe, delivery facts.

``evaluate`` makes ``Instance`` values from the rules, ``routing`` decides each
one's ``Message`` and the ``Delivery`` facts to keep, and ``notifications``
dresses messages as outbox rows. They live here so that those modules share
them without importing one another in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.rules.alerting import AlertSpec
from monitor.rules.expressions import Expression

__all__ = ["Delivery", "Instance", "Message"]


@dataclass(frozen=True, slots=True)
class Instance:
    """One alert instance: a rule's level, on the whole window or on one segment."""

    rule: AlertSpec
    severity: str
    expression: Expression
    segment: str | None
    key: str

    @property
    def name(self) -> str:
        """The rule's name, with the segment and level when the rule has several instances."""
        suffix = f"[{self.segment}]" if self.segment else ""
        return self.rule.name + suffix + (f"[{self.severity}]" if self.rule.leveled else "")


@dataclass(frozen=True, slots=True)
class Message:
    """One message due for one alert instance; the notifications module dresses it.

    ``rule`` is None for an instance whose rule was removed (``reason`` "removed").
    """

    key: str
    alert: str
    severity: str
    segment: str | None
    status: str  # firing | resolved
    reason: str  # condition | no_data | error | removed
    value: float | None
    started_at: datetime
    rule: AlertSpec | None
    reminder: bool = False


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the store keeps about an instance's messages (see ``AlertStateRecord``)."""

    announced: bool = False
    muted: str | None = None
    last_notified_at: datetime | None = None
