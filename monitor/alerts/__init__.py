"""Alerts: when an alert fires or resolves, and which messages that owes, as pure logic.

Owns the state machine (``state``), the values evaluation passes around
(``messages``), silences and inhibition (``routing``), one run's evaluation
(``evaluate``), the outbox rows of its messages (``notifications``), the
webhook payload (``payload``) and its link to the web console (``links``).
These modules take values in and return values: they import no database,
HTTP client, scheduler or driver, and nothing from ``monitor.store``,
``monitor.sources`` or ``monitor.daemon``.

Its two subpackages do the I/O: ``delivery`` (the outbox dispatcher and the
Alertmanager re-sender) and ``notifiers`` (the plug point and the built-in
kinds). The pure modules never import them, except the notifiers' ``base``
contract that rule validation reads.

This face re-exports only the leaf modules (state, payload, links): rule
validation imports ``notifiers.base`` through this package, so the package
must not import the rules back on its way in.
"""

from monitor.alerts.links import monitor_path, run_link, window_path
from monitor.alerts.payload import PAYLOAD_VERSION, build_payload, idempotency_key
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
    "StateName",
    "Transition",
    "TransitionStatus",
    "alert_key",
    "build_payload",
    "idempotency_key",
    "monitor_path",
    "run_link",
    "step",
    "window_path",
]
