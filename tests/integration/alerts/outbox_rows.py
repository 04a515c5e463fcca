"""Write alert messages to a real outbox the way a run does: one transaction per window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from monitor.records import AlertStateRecord, NewNotification, NewRun, OutboxMessage
from monitor.store.outbox import OutboxQueue
from monitor.store.repository import Store
from tests.unit.alerts.notifiers.alert_payloads import alert_payload


def save_alerts(
    store: Store,
    notifier: str,
    alerts: Sequence[str | dict[str, Any]],
    created_at: datetime,
    *,
    hour: int = 10,
    monitor: str = "credit-scoring",
    status: str = "firing",
    states: Sequence[AlertStateRecord] = (),
) -> list[str]:
    """Store a run of `monitor` at `hour` with one message per alert; return their keys."""
    payloads = [a if isinstance(a, dict) else
                alert_payload(alert=a, monitor=monitor, hour=hour, notifier=notifier,
                              status=status) for a in alerts]  # fmt: skip
    start = datetime.fromisoformat(payloads[0]["window"]["start"].replace("Z", "+00:00"))
    run = NewRun(monitor=monitor, window_start=start, window_end=start + timedelta(hours=1),
                 status="ok", started_at=created_at, finished_at=created_at)
    rows = [NewNotification(p["idempotency_key"], notifier, p, created_at) for p in payloads]
    assert store.save_run(run, [], list(states), rows) is not None
    return [p["idempotency_key"] for p in payloads]


def firing_state(
    alert: str, monitor: str, now: datetime, state: str = "firing", segment: str | None = None
) -> AlertStateRecord:
    """An alert state record of `alert` in `state`."""
    key = f"{monitor}/{alert}" + (f"/segment={segment}" if segment else "")
    return AlertStateRecord(alert_key=key, monitor=monitor, alert=alert, segment=segment,
                            state=state, consecutive=1, since=now, fired_at=now,
                            last_value=0.5, last_window_end=now, updated_at=now)


def message(store: Store, key: str) -> OutboxMessage:
    """The outbox row with the given idempotency key."""
    [found] = [m for m in OutboxQueue(store).messages(limit=10_000) if m.idempotency_key == key]
    return found
