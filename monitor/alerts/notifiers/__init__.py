"""Notifiers: the plug point (``base``) and the built-in kinds, one module each.

The built-in kinds are imported on first access, not with the package: the
pure alert modules import ``base`` through this package and must not pull in
an HTTP client with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from monitor.alerts.notifiers.base import Notification, Notifier, NotifierConfig

if TYPE_CHECKING:
    from monitor.alerts.notifiers.webhook import (
        WebhookNotifier,
        parse_retry_after,
        secret_key,
        sign,
    )

__all__ = [
    "Notification",
    "Notifier",
    "NotifierConfig",
    "WebhookNotifier",
    "parse_retry_after",
    "secret_key",
    "sign",
]

_LAZY = {
    "WebhookNotifier": "monitor.alerts.notifiers.webhook",
    "parse_retry_after": "monitor.alerts.notifiers.webhook",
    "secret_key": "monitor.alerts.notifiers.webhook",
    "sign": "monitor.alerts.notifiers.webhook",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
