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
import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from pydantic import ConfigDict, Field, field_validator
from requests.structures import CaseInsensitiveDict

from monitor import __version__
from monitor.alerts.notifiers.base import Notification, Notifier, NotifierConfig
from monitor.errors import NotifierError

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


def _redacted(url: str) -> str:
    """Show a URL without userinfo, path, query or fragment (they may hold tokens)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    if not host:
        return url.split("?", 1)[0].rpartition("@")[2][:40]
    shown = f"{parts.scheme}://{host}" if parts.scheme else f"//{host}"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        shown += "/…"
    return shown


class WebhookNotifier(Notifier):
    """Delivers alert payloads to an HTTP endpoint, signed with HMAC-SHA256."""

    class Config(NotifierConfig):
        """The ``type: webhook`` block of a rule file."""

        # Validation errors must not echo the input: URLs and secrets may hold tokens.
        model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

        type: Literal["webhook"]
        url: str = Field(repr=False)
        secret: str | list[str] | None = Field(default=None, repr=False)
        headers: dict[str, str] = Field(default_factory=dict, repr=False)
        timeout: float = 10.0

        @field_validator("url")
        @classmethod
        def _check_url(cls, url: str) -> str:
            parts = urlsplit(url)
            try:
                valid = parts.scheme in ("http", "https") and bool(parts.hostname)
                parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
            except ValueError:
                valid = False
            if not valid:
                raise ValueError(
                    f"url must be an http:// or https:// URL, got '{_redacted(url)}'"
                )
            return url

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

        @field_validator("timeout")
        @classmethod
        def _check_timeout(cls, timeout: float) -> float:
            if not (math.isfinite(timeout) and timeout > 0):
                raise ValueError(
                    f"timeout must be a positive number of seconds, got {timeout:g}"
                )
            return timeout

    config: Config

    def __init__(
        self,
        config: NotifierConfig,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(config, WebhookNotifier.Config):
            raise TypeError(
                f"WebhookNotifier needs a WebhookNotifier.Config, got {type(config).__name__}"
            )
        super().__init__(config)
        self._session = session or requests.Session()
        self._clock = clock
        parts = urlsplit(config.url)
        self.host = parts.netloc.rpartition("@")[2]

    def close(self) -> None:
        """Release the HTTP connections of this notifier."""
        self._session.close()

    def deliver(self, notification: Notification) -> None:
        """POST the payload once; raise ``NotifierError`` unless the receiver answers 2xx."""
        body = self._body(notification.payload)
        headers = self._headers(notification.idempotency_key, body)
        try:
            response = self._session.post(
                self.config.url,
                data=body,
                headers=headers,
                timeout=self.config.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise NotifierError(
                f"webhook {self.host}: no answer within {self.config.timeout:g}s (will retry)",
                retryable=True,
            ) from None
        except requests.RequestException as exc:
            raise self._request_error(exc) from None
        with response:
            self._check(response)
        logger.debug(
            "delivered %s to webhook %s (attempt %d)",
            notification.idempotency_key,
            self.host,
            notification.attempt,
        )

    def _body(self, payload: dict[str, Any]) -> bytes:
        try:
            text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise NotifierError(
                f"webhook {self.host}: the payload is not valid JSON ({exc})", retryable=False
            ) from None
        return text.encode("utf-8")

    def _headers(self, msg_id: str, body: bytes) -> CaseInsensitiveDict[str]:
        timestamp = int(self._clock())
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        headers["User-Agent"] = f"monitor/{__version__}"
        headers.update(self.config.headers)
        headers["Content-Type"] = "application/json"
        headers["webhook-id"] = msg_id
        headers["webhook-timestamp"] = str(timestamp)
        if self.config.secret is not None:
            headers["webhook-signature"] = sign(msg_id, timestamp, body, self.config.secret)
        return headers

    def _request_error(self, exc: requests.RequestException) -> NotifierError:
        # requests' own messages quote the full URL; name the failure kind instead.
        kind = type(exc).__name__
        if isinstance(exc, ValueError):  # InvalidURL, InvalidHeader, ...: trying again won't help
            return NotifierError(
                f"webhook {self.host}: the request cannot be sent ({kind}); check url and headers",
                retryable=False,
            )
        return NotifierError(
            f"webhook {self.host}: could not reach the receiver ({kind}) (will retry)",
            retryable=True,
        )

    def _check(self, response: requests.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        answer = f"webhook {self.host}: receiver answered HTTP {status} {response.reason or ''}"
        answer = answer.rstrip()
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            raise NotifierError(f"{answer} (will retry)", retryable=True, retry_after=retry_after)
        if 300 <= status < 400:
            raise NotifierError(
                f"{answer}, a redirect: set url to the final address", retryable=False
            )
        raise NotifierError(
            f"{answer}: the receiver rejected the message; check its url, secret and logs",
            retryable=False,
        )


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Return the wait a ``Retry-After`` header asks for, in seconds (None when absent or bad).

    The header is either a number of seconds or an HTTP date.

    >>> parse_retry_after("120", now=0.0)
    120.0
    >>> parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", now=30.0)
    30.0
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # HTTP dates are GMT by definition
        return None
    return max(0.0, moment.timestamp() - now)
