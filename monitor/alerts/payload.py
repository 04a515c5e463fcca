"""Alert payload: the JSON body every notification carries (DESIGN.md, "Notifications").

``build_payload`` returns the documented webhook JSON: the DESIGN.md keys,
``details_omitted`` when the details list was capped, and four additive keys:
``labels`` (what identifies the alert: monitor, alert, severity, segment and
the rule's own labels), ``annotations`` (the rule's rendered texts),
``reason`` (``condition``, ``no_data``, ``error`` or ``removed``: what the
message is based on) and ``reminder`` (true for a ``repeat_every`` reminder).
``url`` is the web console's page of the run behind the message
(``alerts.links.run_link``), or null when no ``MONITOR_PUBLIC_URL`` is set.
``idempotency_key`` derives the key that identifies one message: evaluating
the same window twice gives the same key, so the outbox drops the duplicate
and receivers can drop a redelivery.
"""

from __future__ import annotations

import hashlib
import math
import numbers
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from monitor.times import format_time

__all__ = ["PAYLOAD_VERSION", "REASONS", "build_payload", "idempotency_key"]

PAYLOAD_VERSION = "1"
REASONS = ("condition", "no_data", "error", "removed")
"""What a message is based on: the condition, an empty window, a failed run, a removed rule."""
_STATUSES = ("firing", "resolved")
_KEY_LENGTH = 32


def idempotency_key(
    alert_key: str,
    status: str,
    window_start: datetime,
    window_end: datetime,
    *,
    notifier: str | None = None,
    reason: str | None = None,
) -> str:
    """Return the stable key of one alert message (32 hex characters of a SHA-256).

    The same alert, status and window always give the same key. Pass
    ``notifier`` when one alert goes to several notifiers, so that each
    outbox row has its own key; a ``reason`` other than ``condition`` keeps
    a no-data or error message apart from a message on the window's metrics.
    """
    parts = [alert_key, status, format_time(window_start), format_time(window_end)]
    if notifier is not None:
        parts.append(notifier)
    if reason not in (None, "condition"):
        parts.append(f"reason={reason}")
    # The unit separator cannot occur in names, so distinct parts never collide.
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:_KEY_LENGTH]


def build_payload(
    *,
    status: str,
    alert: str,
    monitor: str,
    severity: str,
    window_start: datetime,
    window_end: datetime,
    value: float | None,
    summary: str,
    details: Sequence[Mapping[str, Any]],
    started_at: datetime,
    url: str | None,
    idempotency_key: str,
    max_details: int = 20,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    reason: str = "condition",
    reminder: bool = False,
) -> dict[str, Any]:
    """Build the webhook payload of one alert message.

    Non-finite numbers (NaN, inf) become null so the body is valid JSON;
    numpy scalars become plain numbers. At most ``max_details`` details are
    kept, the count of the others goes to ``details_omitted``. ``labels``
    default to the alert's identity (alert, monitor, severity). ``url`` is
    the console link of the message's run (``alerts.links.run_link``).

    Raises:
        ValueError: an unknown status or reason, a negative ``max_details``,
            a naive datetime, or a detail value that has no JSON form.
    """
    if status not in _STATUSES:
        raise ValueError(f"payload status must be 'firing' or 'resolved', got {status!r}")
    if reason not in REASONS:
        raise ValueError(f"payload reason must be one of {', '.join(REASONS)}, got {reason!r}")
    if max_details < 0:
        raise ValueError(f"max_details must be 0 or more, got {max_details}")
    kept = [_json_value(dict(d), f"details[{i}]") for i, d in enumerate(details[:max_details])]
    payload: dict[str, Any] = {
        "version": PAYLOAD_VERSION,
        "status": status,
        "alert": alert,
        "monitor": monitor,
        "severity": severity,
        "window": {"start": format_time(window_start), "end": format_time(window_end)},
        "value": _json_value(value, "value"),
        "summary": summary,
        "details": kept,
    }
    if len(details) > max_details:
        payload["details_omitted"] = len(details) - max_details
    payload["idempotency_key"] = idempotency_key
    payload["started_at"] = format_time(started_at)
    payload["url"] = url
    identity = {"alert": alert, "monitor": monitor, "severity": severity}
    payload["labels"] = {str(k): str(v) for k, v in (labels or identity).items()}
    payload["annotations"] = {str(k): str(v) for k, v in (annotations or {}).items()}
    payload["reason"] = reason
    payload["reminder"] = bool(reminder)
    return payload


def _json_value(value: Any, where: str) -> Any:
    """Return ``value`` in plain JSON types; NaN and inf become None."""
    if value is None or isinstance(value, bool | str):
        return value
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return _json_value(value.item(), where)  # numpy scalars, np.bool_ included
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Mapping):
        return {str(k): _json_value(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise ValueError(
        f"payload {where} has type {type(value).__name__}, which has no JSON form: "
        "use numbers, strings, booleans, None, lists or mappings"
    )
