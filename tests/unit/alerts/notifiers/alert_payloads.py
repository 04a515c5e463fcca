"""Alert payloads as the runner builds them, for notifier tests (unit and integration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.alerts.notifiers.base import Notification
from monitor.alerts.payload import build_payload, idempotency_key

DAY = datetime(2026, 11, 24, tzinfo=UTC)


def alert_payload(
    *,
    status: str = "firing",
    alert: str = "feature-drift",
    monitor: str = "credit-scoring",
    severity: str = "critical",
    hour: int = 10,
    columns: int = 3,
    summary: str = "3 of 8 columns drifted (income, age, state)",
    notifier: str = "ops",
    value: float | None = 0.42,
    **extra: Any,
) -> dict[str, Any]:
    """One alert message's payload for the window starting at `hour` on DAY."""
    start = DAY + timedelta(hours=hour)
    end = start + timedelta(hours=1)
    key = idempotency_key(f"{monitor}/{alert}", status, start, end, notifier=notifier)
    details = [{"column": f"col{i}", "method": "ks", "statistic": round(0.3 - i / 100, 4),
                "p_value": 1e-9 * (i + 1)} for i in range(columns)]
    payload = build_payload(
        status=status, alert=alert, monitor=monitor, severity=severity, window_start=start,
        window_end=end, value=value, summary=summary, details=details, started_at=end,
        url=None, idempotency_key=key,
    )
    payload.update(extra)
    return payload


def notification(payload: dict[str, Any], created_at: datetime | None = None) -> Notification:
    """The notification the dispatcher hands a notifier for this payload."""
    return Notification(payload["idempotency_key"], payload, 1, created_at)
