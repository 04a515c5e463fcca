"""PagerDuty notifier: Events API v2, one trigger or resolve event per alert.

``dedup_key`` is derived from the alert's identity (its labels), never from
its value or window, so every message about one alert lands in one incident
and its ``resolved`` closes it. ``payload.summary`` is cut to PagerDuty's
1,024 characters; the monitor's severities map to PagerDuty's
(``critical``, ``error``, ``warning``, ``info``). The routing key is a
secret: it never appears in logs or errors.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, field_validator

from monitor.alerts.notifiers.base import Notification
from monitor.alerts.notifiers.render import (
    alert_title,
    identity_labels,
    link_of,
    top_columns,
    truncate,
    window_text,
)
from monitor.alerts.notifiers.transport import HttpConfig, HttpNotifier, LinkOptions

__all__ = [
    "EVENTS_URL",
    "SUMMARY_LIMIT",
    "PagerDutyNotifier",
    "dedup_key",
    "pagerduty_event",
]

logger = logging.getLogger(__name__)

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SUMMARY_LIMIT = 1024
PagerDutySeverity = Literal["critical", "error", "warning", "info"]
DEFAULT_SEVERITIES: dict[str, PagerDutySeverity] = {
    "critical": "critical", "error": "error", "warning": "warning", "info": "info",
}


def dedup_key(payload: Mapping[str, Any]) -> str:
    """The incident key of an alert: a hash of its identity labels, the same for every message.

    >>> dedup_key({"monitor": "m", "alert": "a", "severity": "critical", "value": 1}) == \\
    ...     dedup_key({"monitor": "m", "alert": "a", "severity": "critical", "value": 2})
    True
    """
    labels = identity_labels(payload)
    text = "\x1f".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return "monitor-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def pagerduty_event(
    payload: Mapping[str, Any],
    *,
    routing_key: str,
    source: str | None = None,
    severities: Mapping[str, PagerDutySeverity] = DEFAULT_SEVERITIES,
    link: str | None = None,
    max_columns: int = 10,
) -> dict[str, Any]:
    """Build the Events API v2 body of one alert message (trigger when firing, else resolve)."""
    key = dedup_key(payload)
    if payload.get("status") == "resolved":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": key}
    summary = f"{alert_title(payload)}: {payload.get('summary') or ''}".rstrip(": ")
    labels = identity_labels(payload)
    lines, omitted = top_columns(payload, max_columns)
    details: dict[str, Any] = {
        "summary": truncate(str(payload.get("summary") or ""), 4000),
        "value": payload.get("value"),
        "window": window_text(payload),
        "labels": labels,
        "columns": {line.column: line.text for line in lines},
    }
    if omitted:
        details["columns_omitted"] = omitted
    if isinstance(payload.get("annotations"), Mapping):
        details["annotations"] = dict(payload["annotations"])
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": key,
        "payload": {
            "summary": truncate(summary, SUMMARY_LIMIT),
            "source": source or str(payload.get("monitor")),
            "severity": severities.get(str(payload.get("severity")), "error"),
            "timestamp": (payload.get("window") or {}).get("end"),
            "component": labels.get("segment") or str(payload.get("monitor")),
            "group": str(payload.get("monitor")),
            "class": str(payload.get("alert")),
            "custom_details": details,
        },
        "client": "monitor",
    }
    url = link_of(payload, link)
    if url:
        event["client_url"] = url
        event["links"] = [{"href": url, "text": "Open in monitor"}]
    return event


class PagerDutyNotifier(HttpNotifier):
    """Triggers and resolves PagerDuty incidents through the Events API v2."""

    kind = "pagerduty"
    hint = "check the routing key and the event's fields"

    class Config(HttpConfig, LinkOptions):
        """The ``type: pagerduty`` block of a rule file."""

        type: Literal["pagerduty"]
        url: str = Field(default=EVENTS_URL, repr=False)
        routing_key: str = Field(repr=False, min_length=1)
        source: str | None = Field(default=None, description="payload.source; default the monitor")
        severities: dict[str, PagerDutySeverity] = Field(
            default_factory=dict, description="monitor severity → PagerDuty severity")

        @field_validator("routing_key")
        @classmethod
        def _check_key(cls, key: str) -> str:
            if key != key.strip() or any(c.isspace() for c in key):
                raise ValueError("routing_key must not contain spaces (check the variable's value)")
            return key

    config: Config

    @property
    def severities(self) -> dict[str, PagerDutySeverity]:
        """The monitor's severities mapped to PagerDuty's, the rule's overrides applied."""
        return {**DEFAULT_SEVERITIES, **self.config.severities}

    def deliver(self, notification: Notification) -> None:
        """Send one trigger or resolve event."""
        config = self.config
        event = pagerduty_event(
            notification.payload, routing_key=config.routing_key, source=config.source,
            severities=self.severities, link=config.link, max_columns=config.max_columns,
        )
        self.post(event)
        logger.debug("delivered %s to pagerduty %s (%s)", notification.idempotency_key,
                     self.host, event["event_action"])
