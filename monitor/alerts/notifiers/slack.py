"""Slack notifier: an incoming-webhook message with blocks, one per monitor and window.

The message has a header (status, alert, monitor), the window and severity,
each alert's summary and top drifted columns with their statistic, and a
button to the alert's link. Slack's limits are kept: 150 characters in a
header, 3,000 in a section, 50 blocks; alerts past ``MAX_ALERTS`` are
counted, not shown. The webhook URL is a secret: errors name the host only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from monitor.alerts.notifiers.base import Notification
from monitor.alerts.notifiers.render import (
    alert_title,
    columns_text,
    format_number,
    group_link,
    group_title,
    identity_labels,
    truncate,
    window_text,
)
from monitor.alerts.notifiers.transport import HttpConfig, HttpNotifier, LinkOptions

__all__ = ["HEADER_LIMIT", "MAX_ALERTS", "SECTION_LIMIT", "SlackNotifier", "slack_message"]

logger = logging.getLogger(__name__)

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
TEXT_LIMIT = 3000
MAX_ALERTS = 10
"""Alerts shown in one message (3 blocks each, under Slack's 50 blocks)."""

_EMOJI = {"FIRING": ":red_circle:", "RESOLVED": ":large_green_circle:"}


def _status(payload: Mapping[str, Any]) -> str:
    return str(payload.get("status", "firing")).upper()


def slack_message(
    payloads: Sequence[Mapping[str, Any]], *, link: str | None = None, max_columns: int = 10
) -> dict[str, Any]:
    """Build the Slack message (fallback ``text`` and ``blocks``) for alerts of one run."""
    if not payloads:
        raise ValueError("slack_message needs at least one alert payload")
    first = payloads[0]
    title = group_title(payloads)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(title, HEADER_LIMIT),
                                    "emoji": True}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(
            f"*Monitor* {first.get('monitor')}  ·  *Window* {window_text(first)}",
            SECTION_LIMIT)}]},
    ]
    for payload in payloads[:MAX_ALERTS]:
        blocks += _alert_blocks(payload, max_columns)
    hidden = len(payloads) - MAX_ALERTS
    if hidden > 0:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"… and {hidden} more alert{'s' if hidden > 1 else ''}"}]})
    url = group_link(payloads, link)
    if url:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": url}]})
    fallback = title if len(payloads) > 1 else f"{title}: {first.get('summary', '')}"
    return {"text": truncate(fallback, TEXT_LIMIT), "blocks": blocks}


def _alert_blocks(payload: Mapping[str, Any], max_columns: int) -> list[dict[str, Any]]:
    status = _status(payload)
    heading = f"{_EMOJI.get(status, '')} *{_escape(alert_title(payload))}*".strip()
    text = f"{heading}\n{_escape(str(payload.get('summary') or ''))}"
    fields = [
        f"*Severity*\n{_escape(str(payload.get('severity')))}",
        f"*Value*\n{format_number(payload.get('value'))}",
    ]
    segment = identity_labels(payload).get("segment")
    if segment:
        fields.append(f"*Segment*\n{_escape(segment)}")
    section: dict[str, Any] = {
        "type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)},
        "fields": [{"type": "mrkdwn", "text": truncate(f, 2000)} for f in fields],
    }
    blocks = [section]
    columns = columns_text(payload, max_columns)
    if columns and status == "FIRING":
        listed = "*Top drifted columns*\n" + _escape(columns)
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": truncate(listed, SECTION_LIMIT)}})
    blocks.append({"type": "divider"})
    return blocks


def _escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives a meaning (``&``, ``<``, ``>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackNotifier(HttpNotifier):
    """Posts alerts to a Slack incoming webhook, the alerts of one run in one message."""

    groups = True
    max_group = 50
    kind = "slack"
    hint = "check the webhook url (is the app still installed?)"

    class Config(HttpConfig, LinkOptions):
        """The ``type: slack`` block of a rule file."""

        type: Literal["slack"]

    config: Config

    def deliver(self, notification: Notification) -> None:
        """Post one alert as one message."""
        self.deliver_group([notification])

    def deliver_group(self, notifications: Sequence[Notification]) -> None:
        """Post the alerts of one monitor and window as one message."""
        self.post(slack_message([n.payload for n in notifications], link=self.config.link,
                                max_columns=self.config.max_columns))
        logger.debug("delivered %d alert(s) to slack %s", len(notifications), self.host)
