"""Record builders for the store tests: valid defaults, one field changed at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.records import AlertStateRecord, NewNotification, NewResult, NewRun

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def new_run(monitor: str = "credit", start: datetime = T0, **changes: Any) -> NewRun:
    """A successful one-hour run of ``monitor`` starting at ``start``."""
    run = NewRun(
        monitor=monitor,
        window_start=start,
        window_end=start + HOUR,
        status="ok",
        started_at=start + HOUR + timedelta(minutes=5),
        finished_at=start + HOUR + timedelta(minutes=5, seconds=2.5),
        reference_name="credit-train",
        reference_version=1,
        reference_rows=1000,
        current_rows=200,
        drift_share=0.25,
        dataset_drift=False,
    )
    return replace(run, **changes)


def new_results() -> list[NewResult]:
    """A drift result and a quality result."""
    return [
        NewResult(
            check="drift", column="age", kind="numeric", method="ks", statistic=0.21,
            p_value=1e-9, threshold=0.05, effect_size=0.21, drifted=True,
        ),
        NewResult(check="missing_share", column="age", value=0.01, threshold=0.05, passed=True),
    ]  # fmt: skip


def alert_state(key: str = "credit/feature-drift", **changes: Any) -> AlertStateRecord:
    """A pending alert state of monitor ``credit``."""
    state = AlertStateRecord(
        alert_key=key, monitor="credit", alert="feature-drift", segment=None, state="pending",
        consecutive=1, since=T0 + HOUR, fired_at=None, last_value=0.42,
        last_window_end=T0 + HOUR, updated_at=T0 + HOUR,
    )  # fmt: skip
    return replace(state, **changes)


def notification(key: str = "key-1", at: datetime = T0 + HOUR, **payload: Any) -> NewNotification:
    """A webhook notification created at ``at``."""
    body = {"alert": "feature-drift", "status": "firing", **payload}
    return NewNotification(idempotency_key=key, notifier="ops-webhook", payload=body, created_at=at)
