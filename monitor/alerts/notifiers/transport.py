"""HTTP transport shared by the JSON notifiers: one POST, its answer classified.

Every HTTP kind (webhook, slack, teams, pagerduty, alertmanager) sends with
``HttpTransport.post`` and gets the same delivery rules: 2xx is success;
network errors, timeouts, 429 and 5xx are retryable (with the receiver's
``Retry-After``); redirects and other 4xx are final. Messages name the kind
and the receiver's host only: URL paths and query strings often carry tokens.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ConfigDict, Field, field_validator
from requests.structures import CaseInsensitiveDict

from monitor import __version__
from monitor.alerts.notifiers.base import Notifier, NotifierConfig
from monitor.errors import NotifierError
from monitor.retry import parse_retry_after

__all__ = [
    "HttpConfig",
    "HttpNotifier",
    "HttpTransport",
    "LinkOptions",
    "check_http_url",
    "check_timeout",
    "json_body",
    "parse_retry_after",
    "redacted",
]


def redacted(url: str) -> str:
    """Show a URL without userinfo, path, query or fragment (they may hold tokens).

    >>> redacted("https://user:pw@hooks.example.com/services/T0/B0/XYZ?x=1")
    'https://hooks.example.com/…'
    """
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    if not host and url.startswith(f"{parts.scheme}://"):
        hidden = parts.path not in ("", "/") or parts.query or parts.fragment
        return f"{parts.scheme}://" + ("…" if hidden else "")
    if not host:  # no scheme: the first part may be a host, the rest may be a token
        text = url.split("?", 1)[0].rpartition("@")[2]
        first, slash, _ = text.partition("/")
        return first[:40] + ("/…" if slash else "")
    shown = f"{parts.scheme}://{host}" if parts.scheme else f"//{host}"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        shown += "/…"
    return shown


def check_http_url(url: str) -> str:
    """Return ``url`` if it is an http(s) URL with a host; raise ValueError naming it redacted."""
    parts = urlsplit(url)
    try:
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(f"url must be an http:// or https:// URL, got '{redacted(url)}'")
    return url


def json_body(document: Any, kind: str, host: str) -> bytes:
    """Serialise a request body as compact UTF-8 JSON; a value with no JSON form is final."""
    try:
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise NotifierError(
            f"{kind} {host}: the payload is not valid JSON ({exc})", retryable=False
        ) from None
    return text.encode("utf-8")


def check_timeout(timeout: float) -> float:
    """Return ``timeout`` if it is a positive, finite number of seconds."""
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout:g}")
    return timeout


class LinkOptions(BaseModel):
    """Fields of notifiers that write for people: a fallback link, and columns to list."""

    link: str | None = Field(default=None, description="Link shown when an alert has none.")
    max_columns: int = Field(default=10, ge=0, le=50)

    @field_validator("link")
    @classmethod
    def _check_link(cls, link: str | None) -> str | None:
        return None if link is None else check_http_url(link)


class HttpConfig(NotifierConfig):
    """Fields of every HTTP notifier: the receiver's URL (a secret) and a timeout."""

    # Validation errors must not echo the input: URLs and secrets may hold tokens.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    url: str = Field(repr=False)
    timeout: float = 10.0

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        return check_http_url(url)

    @field_validator("timeout")
    @classmethod
    def _check_timeout(cls, timeout: float) -> float:
        return check_timeout(timeout)


class HttpTransport:
    """POSTs bodies for one notifier kind and turns failures into ``NotifierError``.

    Args:
        kind: the notifier kind, for messages ("slack").
        session: a requests session (one per notifier, closed with it).
        clock: unix time, for ``Retry-After`` dates.
        hint: what to check when the receiver rejects a message for good.
    """

    def __init__(
        self,
        kind: str,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        hint: str = "check its url, credentials and logs",
    ) -> None:
        self.kind = kind
        self.hint = hint
        self.session = session or requests.Session()
        self.clock = clock

    def close(self) -> None:
        """Release the HTTP connections."""
        self.session.close()

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> requests.Response:
        """POST once; return the 2xx response (read) or raise a classified ``NotifierError``."""
        host = host_of(url)
        sent: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        sent["User-Agent"] = f"monitor/{__version__}"
        sent.update(headers)
        sent["Content-Type"] = "application/json"
        try:
            response = self.session.post(
                url, data=body, headers=sent, timeout=timeout, allow_redirects=False
            )
        except requests.Timeout:
            raise NotifierError(
                f"{self.kind} {host}: no answer within {timeout:g}s (will retry)",
                retryable=True,
            ) from None
        except requests.RequestException as exc:
            raise self._request_error(host, exc) from None
        with response:
            self._check(host, response)
        return response

    def _request_error(self, host: str, exc: requests.RequestException) -> NotifierError:
        # requests' own messages quote the full URL; name the failure kind instead.
        name = type(exc).__name__
        if isinstance(exc, ValueError):  # InvalidURL, InvalidHeader, ...: trying again won't help
            return NotifierError(
                f"{self.kind} {host}: the request cannot be sent ({name}); check url and headers",
                retryable=False,
            )
        return NotifierError(
            f"{self.kind} {host}: could not reach the receiver ({name}) (will retry)",
            retryable=True,
        )

    def _check(self, host: str, response: requests.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        answer = f"{self.kind} {host}: receiver answered HTTP {status} {response.reason or ''}"
        answer = answer.rstrip()
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self.clock())
            raise NotifierError(f"{answer} (will retry)", retryable=True, retry_after=retry_after)
        if 300 <= status < 400:
            raise NotifierError(
                f"{answer}, a redirect: set url to the final address", retryable=False
            )
        raise NotifierError(
            f"{answer}: the receiver rejected the message; {self.hint}",
            retryable=False,
        )


def host_of(url: str) -> str:
    """The host (and port) of a URL, without userinfo."""
    return urlsplit(url).netloc.rpartition("@")[2]


class HttpNotifier(Notifier):
    """A notifier that POSTs JSON to the URL of an ``HttpConfig`` through one transport.

    Subclasses set ``kind`` (for messages) and ``hint`` (what to check when
    the receiver rejects a message for good).
    """

    kind: ClassVar[str]
    hint: ClassVar[str]
    config: HttpConfig

    def __init__(
        self,
        config: NotifierConfig,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(config)
        self.host = host_of(self.config.url)
        self._clock = clock
        self._transport = HttpTransport(self.kind, session=session, clock=clock, hint=self.hint)

    def close(self) -> None:
        """Release the HTTP connections of this notifier."""
        self._transport.close()

    def post(self, document: Any, headers: Mapping[str, str] | None = None) -> None:
        """POST ``document`` as JSON; raise ``NotifierError`` unless the receiver answers 2xx."""
        body = json_body(document, self.kind, self.host)
        self._transport.post(self.config.url, body, headers or {}, self.config.timeout)
