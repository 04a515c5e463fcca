"""Alerts whose monitor or rule left the rule files: made inactive, and their resolution sent.

Nothing evaluates an alert whose monitor was deleted, so without this pass it
would stay firing for ever in ``monitor alerts``, in Alertmanager and in the
receivers' incident lists. The resolution goes to the notifiers that carried
the alert's firing message (found in the outbox), when they still exist;
its idempotency key is derived like any other, so two daemons retiring the
same alert enqueue one message. No run raises it, so with a public console
address its link is the monitor's page.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from monitor.alerts.links import run_link
from monitor.alerts.payload import build_payload, idempotency_key
from monitor.records import AlertStateRecord, NewNotification
from monitor.times import format_time, parse_time

__all__ = ["orphaned", "retirement"]


def orphaned(
    states: Iterable[AlertStateRecord], defined: Collection[tuple[str, str]]
) -> list[AlertStateRecord]:
    """Active states whose (monitor, alert) pair is no longer ``defined`` by the rules."""
    return [s for s in states
            if s.state != "inactive" and (s.monitor, s.alert) not in defined]


def retirement(
    states: Sequence[AlertStateRecord],
    sent: Iterable[tuple[str, Mapping[str, Any]]],
    notifiers: Collection[str],
    now: datetime,
    *,
    public_url: str | None = None,
) -> tuple[list[AlertStateRecord], list[NewNotification]]:
    """The inactive records of ``states``, and the resolutions of those that were firing.

    ``sent`` are (notifier, payload) pairs of recent outbox messages; a
    firing message of the same alert instance and episode (same monitor,
    alert, severity, segment and start) names a notifier to tell, if that
    notifier still exists in ``notifiers``. With ``public_url`` (the web
    console's address) each resolution links to its monitor's page.
    """
    firing: dict[tuple[str, str, str, str, str], set[str]] = {}
    payloads: dict[tuple[str, str, str, str, str], Mapping[str, Any]] = {}
    for notifier, payload in sent:
        if payload.get("status") != "firing":
            continue
        key = _episode(payload)
        firing.setdefault(key, set()).add(notifier)
        payloads.setdefault(key, payload)
    records, messages = [], []
    for state in states:
        records.append(replace(state, state="inactive", consecutive=0, since=now, fired_at=None,
                               clear_windows=0, announced=False, muted=None, updated_at=now))
        if state.state != "firing" or not state.announced or state.fired_at is None:
            continue
        key = (state.monitor, state.alert, state.severity or "warning", state.segment or "",
               format_time(state.fired_at))
        for notifier in sorted(firing.get(key, set()) & set(notifiers)):
            messages.append(_resolution(state, payloads[key], notifier, now, public_url))
    return records, messages


def _episode(payload: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    labels = payload.get("labels") or {}
    return (str(payload.get("monitor")), str(payload.get("alert")),
            str(payload.get("severity")), str(labels.get("segment", "")),
            str(payload.get("started_at")))


def _resolution(state: AlertStateRecord, fired: Mapping[str, Any], notifier: str,
                now: datetime, public_url: str | None) -> NewNotification:
    window = fired.get("window") or {}
    start, end = parse_time(str(window["start"])), parse_time(str(window["end"]))
    key = idempotency_key(state.alert_key, "resolved", start, end, notifier=notifier,
                          reason="removed")
    payload = build_payload(
        status="resolved", alert=state.alert, monitor=state.monitor,
        severity=state.severity or "warning", window_start=start, window_end=end,
        value=state.last_value, details=[], idempotency_key=key,
        url=run_link(public_url, state.monitor, None),  # no run: the monitor's page
        summary=f"alert {state.alert} of monitor {state.monitor} was removed from the rule "
                "files: this alert no longer exists",
        started_at=state.fired_at or end, labels=fired.get("labels") or None,
        annotations=fired.get("annotations") or None, reason="removed",
    )
    return NewNotification(idempotency_key=key, notifier=notifier, payload=payload,
                           created_at=now)
