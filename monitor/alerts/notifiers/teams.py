"""Microsoft Teams notifier: an Adaptive Card posted to an incoming webhook (or Workflow).

One card per monitor and window: a title coloured by status, the window and
monitor as facts, then each alert's summary, severity, value and top drifted
columns, and a button to the alert's link. Teams refuses messages over about
28 KB, so alerts past ``MAX_ALERTS`` (or past ``MAX_BYTES``) are counted
instead of shown. The webhook URL is a secret: errors name the host only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from monitor.alerts.notifiers.base import Notification
from monitor.alerts.notifiers.render import (
    alert_title,
    format_number,
    group_link,
    group_title,
    identity_labels,
    top_columns,
    truncate,
    window_text,
)
from monitor.alerts.notifiers.transport import HttpConfig, HttpNotifier, LinkOptions

__all__ = ["MAX_ALERTS", "MAX_BYTES", "TeamsNotifier", "teams_message"]

logger = logging.getLogger(__name__)

MAX_ALERTS = 20
MAX_BYTES = 24_000
"""Body size kept under Teams' ~28 KB limit, with room for its envelope."""
TEXT_LIMIT = 2000

_COLOUR = {"FIRING": "Attention", "RESOLVED": "Good"}


def _status(payload: Mapping[str, Any]) -> str:
    return str(payload.get("status", "firing")).upper()


def teams_message(
    payloads: Sequence[Mapping[str, Any]], *, link: str | None = None, max_columns: int = 10
) -> dict[str, Any]:
    """Build the Teams message: one Adaptive Card (v1.4) for alerts of one run."""
    if not payloads:
        raise ValueError("teams_message needs at least one alert payload")
    shown = min(len(payloads), MAX_ALERTS)
    while True:
        card = _card(payloads, shown, link, max_columns)
        message = {"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": None, "content": card}]}
        size = len(json.dumps(message, ensure_ascii=False).encode("utf-8"))
        if size <= MAX_BYTES or shown == 1:
            return message
        shown = max(1, shown * MAX_BYTES // size - 1)


def _card(
    payloads: Sequence[Mapping[str, Any]], shown: int, link: str | None, max_columns: int
) -> dict[str, Any]:
    first = payloads[0]
    status = _status(first) if len({_status(p) for p in payloads}) == 1 else "FIRING"
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": truncate(group_title(payloads), 200), "size": "Large",
         "weight": "Bolder", "wrap": True, "color": _COLOUR.get(status, "Default")},
        {"type": "FactSet", "facts": [
            {"title": "Monitor", "value": str(first.get("monitor"))},
            {"title": "Window", "value": window_text(first)}]},
    ]
    for payload in payloads[:shown]:
        body += _alert_items(payload, max_columns)
    hidden = len(payloads) - shown
    if hidden > 0:
        body.append({"type": "TextBlock", "isSubtle": True, "wrap": True,
                     "text": f"… and {hidden} more alert{'s' if hidden > 1 else ''}"})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard", "version": "1.4", "body": body,
        "msteams": {"width": "Full"},
    }
    url = group_link(payloads, link)
    if url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": url}]
    return card


def _alert_items(payload: Mapping[str, Any], max_columns: int) -> list[dict[str, Any]]:
    status = _status(payload)
    facts = [{"title": "Severity", "value": str(payload.get("severity"))},
             {"title": "Value", "value": format_number(payload.get("value"))}]
    segment = identity_labels(payload).get("segment")
    if segment:
        facts.append({"title": "Segment", "value": segment})
    items: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": truncate(alert_title(payload), 200), "weight": "Bolder",
         "wrap": True, "separator": True, "color": _COLOUR.get(status, "Default")},
        {"type": "TextBlock", "text": truncate(str(payload.get("summary") or ""), TEXT_LIMIT),
         "wrap": True},
        {"type": "FactSet", "facts": facts},
    ]
    lines, omitted = top_columns(payload, max_columns)
    if lines and status == "FIRING":
        column_facts = [{"title": line.column, "value": line.text} for line in lines]
        if omitted:
            column_facts.append({"title": "…", "value": f"and {omitted} more"})
        items += [{"type": "TextBlock", "text": "Top drifted columns", "weight": "Bolder"},
                  {"type": "FactSet", "facts": column_facts}]
    return items


class TeamsNotifier(HttpNotifier):
    """Posts alerts to a Microsoft Teams webhook as an Adaptive Card, one per run."""

    groups = True
    max_group = 50
    kind = "teams"
    hint = "check the webhook url (was it removed?)"

    class Config(HttpConfig, LinkOptions):
        """The ``type: teams`` block of a rule file."""

        type: Literal["teams"]

    config: Config

    def deliver(self, notification: Notification) -> None:
        """Post one alert as one card."""
        self.deliver_group([notification])

    def deliver_group(self, notifications: Sequence[Notification]) -> None:
        """Post the alerts of one monitor and window as one card."""
        self.post(teams_message([n.payload for n in notifications], link=self.config.link,
                                max_columns=self.config.max_columns))
        logger.debug("delivered %d alert(s) to teams %s", len(notifications), self.host)
