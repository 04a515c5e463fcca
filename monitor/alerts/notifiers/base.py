"""The notifier plug point: deliver one notification, or raise.

A notifier kind is a ``Notifier`` subclass with a nested pydantic ``Config``
(its block under ``notifiers:`` in a rule file, ``extra="forbid"``),
registered under the entry-point group ``monitor.notifiers``.

Kinds that can say several alerts in one message (chat, e-mail, Alertmanager)
set ``groups = True`` and override ``deliver_group``: the dispatcher then
hands them the alerts of one monitor and window together, and marks them
delivered or failed as a whole.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict

__all__ = ["Notification", "Notifier", "NotifierConfig", "group_key"]

_MIN_SECRET = 6  # shorter fragments would blank out ordinary words in error messages


class NotifierConfig(BaseModel):
    """Fields every notifier block has; kinds extend it with their own.

    Declare secret fields (tokens, passwords, URLs that embed tokens) with
    ``Field(repr=False)``: their values are then kept out of every stored or
    logged error message (see ``Notifier.secrets``).
    """

    model_config = ConfigDict(extra="forbid")

    type: str


@dataclass(frozen=True, slots=True)
class Notification:
    """One message for one notifier, as stored in the outbox.

    ``payload`` is the webhook payload of DESIGN.md; ``idempotency_key`` is
    stable across retries so receivers can drop duplicates; ``created_at`` is
    when the monitor wrote it (the time of the alert's transition).
    """

    idempotency_key: str
    payload: dict[str, Any]
    attempt: int = 1
    created_at: datetime | None = None


def group_key(notifications: Sequence[Notification]) -> str:
    """Return the stable key of a group of notifications (32 hex characters).

    The same members give the same key, whatever their order, so a retried
    group message carries the key of its first attempt.
    """
    if len(notifications) == 1:
        return notifications[0].idempotency_key
    joined = "\x1f".join(sorted(n.idempotency_key for n in notifications))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


class Notifier(ABC):
    """Delivers notifications to one receiver.

    ``deliver`` returns on success and raises ``NotifierError`` otherwise, with
    ``retryable`` set when a later attempt may succeed. It never logs secrets.
    """

    Config: ClassVar[type[NotifierConfig]] = NotifierConfig
    groups: ClassVar[bool] = False
    """True when ``deliver_group`` sends several alerts as one message."""
    max_group: ClassVar[int] = 50
    """Most alerts one group message carries; larger groups are split."""

    def __init__(self, config: NotifierConfig) -> None:
        expected = type(self).Config
        if not isinstance(config, expected):
            name = type(self).__name__
            raise TypeError(f"{name} needs a {expected.__qualname__}, got {type(config).__name__}")
        self.config = config

    @abstractmethod
    def deliver(self, notification: Notification) -> None:
        """Send one notification; raise ``NotifierError`` on failure."""

    def deliver_group(self, notifications: Sequence[Notification]) -> None:
        """Send alerts of one monitor and window together; raise ``NotifierError`` on failure.

        The default sends them one by one: a failure part-way leaves the
        earlier ones sent, and a retry sends them again with the same keys.
        Kinds with ``groups = True`` override it to send one message.
        """
        for notification in notifications:
            self.deliver(notification)

    def secrets(self) -> list[str]:
        """Return the secret texts of this notifier, longest first, to blank out of errors.

        They are the values of the config fields declared with ``repr=False``,
        and for URLs also their path, query, path segments and password.
        """
        found: set[str] = set()
        for name, field in type(self.config).model_fields.items():
            if field.repr:
                continue
            for text in _texts(getattr(self.config, name, None)):
                found.add(text)
                found.update(_url_parts(text))
        return sorted((s for s in found if len(s) >= _MIN_SECRET), key=len, reverse=True)

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections; called when the rules that built this notifier are replaced."""


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def _url_parts(text: str) -> list[str]:
    """The parts of a URL that may carry a token; nothing for text that is no URL."""
    if "://" not in text:
        return []
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:
        return []
    found = [parts.path, parts.query, parts.fragment, unquote(parts.path)]
    found += [segment for segment in parts.path.split("/") if segment]
    if password:
        found += [password, unquote(password)]
    return [part for part in found if part and part != "/"]
