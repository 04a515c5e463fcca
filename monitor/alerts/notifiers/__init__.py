"""Notifiers: the plug point (``base``) and the built-in kinds, one module each.

``webhook`` (signed JSON), ``slack``, ``teams``, ``pagerduty``,
``alertmanager`` and ``email``; ``transport`` is the HTTP delivery they share
and ``render`` the wording and size limits of their messages.

The built-in kinds are imported on first access, not with the package: the
pure alert modules import ``base`` through this package and must not pull in
an HTTP client with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from monitor.alerts.notifiers.base import Notification, Notifier, NotifierConfig, group_key

if TYPE_CHECKING:
    from monitor.alerts.notifiers.alertmanager import AlertmanagerNotifier
    from monitor.alerts.notifiers.email import EmailNotifier
    from monitor.alerts.notifiers.pagerduty import PagerDutyNotifier
    from monitor.alerts.notifiers.slack import SlackNotifier
    from monitor.alerts.notifiers.teams import TeamsNotifier
    from monitor.alerts.notifiers.transport import HttpConfig, HttpTransport
    from monitor.alerts.notifiers.webhook import (
        WebhookNotifier,
        parse_retry_after,
        secret_key,
        sign,
    )

__all__ = [
    "AlertmanagerNotifier",
    "EmailNotifier",
    "HttpConfig",
    "HttpTransport",
    "Notification",
    "Notifier",
    "NotifierConfig",
    "PagerDutyNotifier",
    "SlackNotifier",
    "TeamsNotifier",
    "WebhookNotifier",
    "group_key",
    "parse_retry_after",
    "secret_key",
    "sign",
]

_LAZY = {
    "AlertmanagerNotifier": "monitor.alerts.notifiers.alertmanager",
    "EmailNotifier": "monitor.alerts.notifiers.email",
    "HttpConfig": "monitor.alerts.notifiers.transport",
    "HttpTransport": "monitor.alerts.notifiers.transport",
    "PagerDutyNotifier": "monitor.alerts.notifiers.pagerduty",
    "SlackNotifier": "monitor.alerts.notifiers.slack",
    "TeamsNotifier": "monitor.alerts.notifiers.teams",
    "WebhookNotifier": "monitor.alerts.notifiers.webhook",
    "parse_retry_after": "monitor.alerts.notifiers.webhook",
    "secret_key": "monitor.alerts.notifiers.webhook",
    "sign": "monitor.alerts.notifiers.webhook",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
