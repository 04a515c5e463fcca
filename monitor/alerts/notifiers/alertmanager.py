"""Alertmanager notifier: POST alerts to Prometheus Alertmanager's ``/api/v2/alerts``.

Teams keep their Alertmanager routing, grouping, silences and receivers: the
monitor is one more alert source. An alert's labels are its identity
(``alertname``, ``monitor``, ``severity``, the payload's ``labels`` and the
notifier's static ``labels``); its annotations carry the summary, window,
value, top drifted columns and ``console_url``, the web console's page of the
run (also the alert's ``generatorURL``).

Alertmanager forgets a firing alert at its ``endsAt``, so a firing alert is
posted with ``endsAt = now + 4 × resend_interval`` and re-posted every
``resend_interval`` by ``monitor.alerts.delivery.resend`` while it keeps firing; a
resolved one is posted with ``endsAt`` at its resolution, and re-posted for
``resolved_resend_for``. With several Alertmanager instances (``url`` as a
list) each gets every alert, as Prometheus does; a message counts as
delivered once one instance accepted it (the re-sends reach the others).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import requests
from pydantic import BeforeValidator, Field, field_validator

from monitor.alerts.notifiers.base import Notification, Notifier, NotifierConfig
from monitor.alerts.notifiers.render import (
    columns_text,
    format_number,
    identity_labels,
    link_of,
    truncate,
)
from monitor.alerts.notifiers.transport import (
    HttpConfig,
    HttpTransport,
    LinkOptions,
    check_http_url,
    host_of,
    json_body,
)
from monitor.errors import NotifierError
from monitor.times import format_time, parse_duration, parse_time

__all__ = ["API_PATH", "AlertmanagerNotifier", "alertmanager_alert", "label_name"]

logger = logging.getLogger(__name__)

API_PATH = "/api/v2/alerts"
ANNOTATION_LIMIT = 1024
_INVALID = re.compile(r"[^A-Za-z0-9_]")


def _duration(value: object) -> object:
    return parse_duration(value) if isinstance(value, str) else value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def label_name(name: str) -> str:
    """A valid Prometheus label name: other characters become ``_``, a leading digit gets one.

    >>> label_name("segment.state"), label_name("1st")
    ('segment_state', '_1st')
    """
    cleaned = _INVALID.sub("_", name) or "_"
    return "_" + cleaned if cleaned[0].isdigit() else cleaned


def _parse_time(text: object) -> datetime | None:
    try:
        return parse_time(str(text))
    except ValueError:
        return None


def alertmanager_alert(
    payload: Mapping[str, Any],
    *,
    ends_at: datetime,
    static_labels: Mapping[str, str] | None = None,
    link: str | None = None,
    max_columns: int = 5,
) -> dict[str, Any]:
    """Build one alert of the ``/api/v2/alerts`` body from a payload.

    ``ends_at`` is when Alertmanager should consider the alert resolved: in
    the future for a firing alert, its resolution time for a resolved one.
    """
    labels = {label_name(k): v for k, v in (static_labels or {}).items() if v}
    for name, value in identity_labels(payload).items():
        labels[label_name("alertname" if name == "alert" else name)] = value
    annotations = {
        "summary": truncate(str(payload.get("summary") or ""), ANNOTATION_LIMIT),
        "value": format_number(payload.get("value")),
        "window_start": str((payload.get("window") or {}).get("start", "")),
        "window_end": str((payload.get("window") or {}).get("end", "")),
    }
    columns = columns_text(payload, max_columns, bullet="")
    if columns:
        annotations["drifted_columns"] = truncate(columns, ANNOTATION_LIMIT)
    console = link_of(payload, None)
    if console and len(console) <= ANNOTATION_LIMIT:  # a cut link leads nowhere: none instead
        annotations["console_url"] = console
    extra = payload.get("annotations")
    if isinstance(extra, Mapping):
        for name, value in extra.items():
            annotations[label_name(str(name))] = truncate(str(value), ANNOTATION_LIMIT)
    starts_at = _parse_time(payload.get("started_at")) or ends_at
    alert: dict[str, Any] = {
        "labels": labels,
        "annotations": {k: v for k, v in annotations.items() if v},
        "startsAt": format_time(min(starts_at, ends_at)),
        "endsAt": format_time(ends_at),
    }
    url = link_of(payload, link)
    if url:
        alert["generatorURL"] = url
    return alert


class AlertmanagerNotifier(Notifier):
    """Posts alerts to one Alertmanager (or each of a cluster's instances)."""

    groups = True
    max_group = 500

    class Config(HttpConfig, LinkOptions):
        """The ``type: alertmanager`` block of a rule file."""

        type: Literal["alertmanager"]
        # One URL or every instance of a cluster: wider than HttpConfig's single URL.
        url: str | list[str] = Field(  # type: ignore[assignment]
            repr=False, description="Alertmanager base URL(s)")
        headers: dict[str, str] = Field(default_factory=dict, repr=False)
        labels: dict[str, str] = Field(default_factory=dict, description="Static labels")
        resend_interval: Duration = timedelta(minutes=1)
        resolved_resend_for: Duration = timedelta(minutes=5)
        max_columns: int = Field(default=5, ge=0, le=50)

        @field_validator("url")
        @classmethod
        def _check_url(cls, url: str | list[str]) -> str | list[str]:  # type: ignore[override]
            urls = [url] if isinstance(url, str) else url
            if not urls:
                raise ValueError("url list is empty: give at least one Alertmanager URL")
            for item in urls:
                check_http_url(item)
            return url

        @field_validator("resend_interval")
        @classmethod
        def _check_interval(cls, interval: timedelta) -> timedelta:
            if not timedelta(seconds=1) <= interval <= timedelta(hours=1):
                raise ValueError(
                    f"resend_interval must be between 1s and 1h, got {interval}: Alertmanager "
                    "expects firing alerts again every 30s to 3m"
                )
            return interval

        @field_validator("resolved_resend_for")
        @classmethod
        def _check_resolved_for(cls, duration: timedelta) -> timedelta:
            if duration < timedelta(0):
                raise ValueError(f"resolved_resend_for must not be negative, got {duration}")
            return duration

    config: Config

    def __init__(
        self,
        config: NotifierConfig,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(config)
        urls = [self.config.url] if isinstance(self.config.url, str) else self.config.url
        self.endpoints = [_endpoint(url) for url in urls]
        self._clock = clock
        self._transport = HttpTransport(
            "alertmanager", session=session, clock=lambda: clock().timestamp(),
            hint="check the url (the Alertmanager base URL) and its logs",
        )

    @property
    def resend_interval(self) -> timedelta:
        """How often firing alerts are re-posted."""
        return self.config.resend_interval

    @property
    def resolved_resend_for(self) -> timedelta:
        """How long resolved alerts keep being re-posted."""
        return self.config.resolved_resend_for

    def close(self) -> None:
        """Release the HTTP connections of this notifier."""
        self._transport.close()

    def deliver(self, notification: Notification) -> None:
        """Post one alert."""
        self.send([notification], self._clock())

    def deliver_group(self, notifications: Sequence[Notification]) -> None:
        """Post several alerts in one request."""
        self.send(notifications, self._clock())

    def send(self, notifications: Sequence[Notification], now: datetime) -> None:
        """Post the alerts as of ``now`` to every instance; raise unless one accepted them."""
        alerts = [self._alert(n, now) for n in notifications]
        body = json_body(alerts, "alertmanager", host_of(self.endpoints[0]))
        errors: list[NotifierError] = []
        for endpoint in self.endpoints:
            try:
                self._transport.post(endpoint, body, self.config.headers, self.config.timeout)
            except NotifierError as exc:
                errors.append(exc)
        if len(errors) < len(self.endpoints):
            for error in errors:
                logger.warning("alertmanager instance failed (others accepted): %s", error)
            return
        if len(errors) == 1:
            raise errors[0]
        retry_after = [e.retry_after for e in errors if e.retry_after is not None]
        raise NotifierError(
            "; ".join(e.message for e in errors),
            retryable=any(e.retryable for e in errors),
            retry_after=min(retry_after) if retry_after else None,
        )

    def _alert(self, notification: Notification, now: datetime) -> dict[str, Any]:
        payload = notification.payload
        if payload.get("status") == "resolved":
            ends_at = min(notification.created_at or now, now)
        else:
            ends_at = now + 4 * self.config.resend_interval
        return alertmanager_alert(payload, ends_at=ends_at, static_labels=self.config.labels,
                                  link=self.config.link, max_columns=self.config.max_columns)


def _endpoint(url: str) -> str:
    base = url.rstrip("/")
    return base if base.endswith(API_PATH) else base + API_PATH
