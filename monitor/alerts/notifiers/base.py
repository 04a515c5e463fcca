"""The notifier plug point: deliver one notification, or raise.

A notifier kind is a ``Notifier`` subclass with a nested pydantic ``Config``
(its block under ``notifiers:`` in a rule file, ``extra="forbid"``),
registered under the entry-point group ``monitor.notifiers``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = ["Notification", "Notifier", "NotifierConfig"]


class NotifierConfig(BaseModel):
    """Fields every notifier block has; kinds extend it with their own."""

    model_config = ConfigDict(extra="forbid")

    type: str


@dataclass(frozen=True, slots=True)
class Notification:
    """One message for one notifier, as stored in the outbox.

    ``payload`` is the webhook payload of DESIGN.md; ``idempotency_key`` is
    stable across retries so receivers can drop duplicates.
    """

    idempotency_key: str
    payload: dict[str, Any]
    attempt: int = 1


class Notifier(ABC):
    """Delivers notifications to one receiver.

    ``deliver`` returns on success and raises ``NotifierError`` otherwise, with
    ``retryable`` set when a later attempt may succeed. It never logs secrets.
    """

    Config: ClassVar[type[NotifierConfig]] = NotifierConfig

    def __init__(self, config: NotifierConfig) -> None:
        self.config = config

    @abstractmethod
    def deliver(self, notification: Notification) -> None:
        """Send one notification; raise ``NotifierError`` on failure."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections; called when the rules that built this notifier are replaced."""
