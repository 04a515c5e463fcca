"""Alerts: the pure alert state machine, the payload, and the outbox dispatcher.

``state`` decides when an alert fires or resolves, ``payload`` builds the
message, ``dispatcher`` delivers outbox messages through ``notifiers``.
"""

from monitor.alerts.dispatcher import (
    Dispatcher,
    DispatchReport,
    OutboxEntry,
    OutboxStore,
    RetryPolicy,
    next_attempt,
)
from monitor.alerts.payload import PAYLOAD_VERSION, build_payload, format_time, idempotency_key
from monitor.alerts.state import (
    AlertState,
    StateName,
    Transition,
    TransitionStatus,
    alert_key,
    step,
)

__all__ = [
    "PAYLOAD_VERSION",
    "AlertState",
    "DispatchReport",
    "Dispatcher",
    "OutboxEntry",
    "OutboxStore",
    "RetryPolicy",
    "StateName",
    "Transition",
    "TransitionStatus",
    "alert_key",
    "build_payload",
    "format_time",
    "idempotency_key",
    "next_attempt",
    "step",
]
