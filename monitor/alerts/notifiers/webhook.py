"""Webhook notifier: POST the alert payload as JSON, signed as Standard Webhooks says.

Receivers verify messages with any Standard Webhooks library
(https://www.standardwebhooks.com/): the headers ``webhook-id`` (the
idempotency key, stable across retries), ``webhook-timestamp`` (unix seconds)
and ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``,
one per secret, space-separated while a secret is rotated).

URLs, paths and query strings may hold tokens, and secrets are secrets: error
messages name only the receiver's host and what went wrong.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Sequence
from typing import Literal

from pydantic import Field, field_validator

from monitor.alerts.notifiers.base import Notification
from monitor.alerts.notifiers.transport import (
    HttpConfig,
    HttpNotifier,
    json_body,
    parse_retry_after,
)

__all__ = ["WebhookNotifier", "parse_retry_after", "secret_key", "sign"]

logger = logging.getLogger(__name__)

_SECRET_PREFIX = "whsec_"
# Headers the notifier sets itself; a rule file may not override them.
_RESERVED_HEADERS = frozenset(
    {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length"}
)


def secret_key(secret: str) -> bytes:
    """Return the HMAC key of a secret: ``whsec_<base64>`` decoded, anything else as UTF-8.

    Raises:
        ValueError: a ``whsec_`` secret whose rest is not base64, or an empty key.
    """
    if secret.startswith(_SECRET_PREFIX):
        encoded = secret[len(_SECRET_PREFIX) :]
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(
                "a secret starting with 'whsec_' must be base64 after the prefix; "
                "fix the value, or drop the prefix to use the text as it is"
            ) from None
    else:
        key = secret.encode("utf-8")
    if not key:
        raise ValueError("a webhook secret must not be empty")
    return key


def sign(msg_id: str, timestamp: int, body: bytes, secrets: str | Sequence[str]) -> str:
    """Return the ``webhook-signature`` header value: one ``v1,<base64>`` per secret.

    Args:
        msg_id: the ``webhook-id`` header value.
        timestamp: the ``webhook-timestamp`` header value, unix seconds.
        body: the exact bytes sent as the request body.
        secrets: one secret, or several while rotating (each gets a signature).
    """
    signed = f"{msg_id}.{timestamp}.".encode() + body
    names = [secrets] if isinstance(secrets, str) else list(secrets)
    signatures = []
    for secret in names:
        digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
        signatures.append("v1," + base64.b64encode(digest).decode("ascii"))
    return " ".join(signatures)


class WebhookNotifier(HttpNotifier):
    """Delivers alert payloads to an HTTP endpoint, signed with HMAC-SHA256."""

    kind = "webhook"
    hint = "check its url, secret and logs"

    class Config(HttpConfig):
        """The ``type: webhook`` block of a rule file."""

        type: Literal["webhook"]
        secret: str | list[str] | None = Field(default=None, repr=False)
        headers: dict[str, str] = Field(default_factory=dict, repr=False)

        @field_validator("secret")
        @classmethod
        def _check_secret(cls, secret: str | list[str] | None) -> str | list[str] | None:
            if isinstance(secret, list) and not secret:
                raise ValueError("secret list is empty: give at least one secret, or none")
            for item in [secret] if isinstance(secret, str) else secret or []:
                secret_key(item)
            return secret

        @field_validator("headers")
        @classmethod
        def _check_headers(cls, headers: dict[str, str]) -> dict[str, str]:
            clashes = sorted(name for name in headers if name.lower() in _RESERVED_HEADERS)
            if clashes:
                raise ValueError(
                    f"headers {clashes} are set by the webhook notifier itself; remove them"
                )
            return headers

    config: Config

    def deliver(self, notification: Notification) -> None:
        """POST the payload once; raise ``NotifierError`` unless the receiver answers 2xx."""
        body = json_body(notification.payload, "webhook", self.host)
        headers = self._headers(notification.idempotency_key, body)
        self._transport.post(self.config.url, body, headers, self.config.timeout)
        logger.debug(
            "delivered %s to webhook %s (attempt %d)",
            notification.idempotency_key,
            self.host,
            notification.attempt,
        )

    def _headers(self, msg_id: str, body: bytes) -> dict[str, str]:
        timestamp = int(self._clock())
        headers = dict(self.config.headers)
        headers["webhook-id"] = msg_id
        headers["webhook-timestamp"] = str(timestamp)
        if self.config.secret is not None:
            headers["webhook-signature"] = sign(msg_id, timestamp, body, self.config.secret)
        return headers
