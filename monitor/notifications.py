"""Outbox rows for a run's alert transitions: one per transition and notifier.

Each row's idempotency key is derived from the alert, the transition, the
window and the notifier, so processing the same window twice yields the same
keys and the outbox's unique key keeps a single copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor import plugins
from monitor.alerts.notifiers.base import Notifier
from monitor.alerts.payload import build_payload, idempotency_key
from monitor.compare import Comparison
from monitor.rules.schema import MonitorSpec, RuleSet
from monitor.store.records import NewNotification
from monitor.windows import Window

if TYPE_CHECKING:
    from monitor.alerts.evaluate import AlertTransition

__all__ = ["build_notifiers", "details", "notifications_for", "summary"]


def summary(comparison: Comparison) -> str:
    """One line saying what drifted and which quality checks failed."""
    drifted = [c.column for c in comparison.columns if c.drifted]
    text = f"{len(drifted)} of {len(comparison.columns)} columns drifted"
    if drifted:
        shown = ", ".join(drifted[:5]) + (f" and {len(drifted) - 5} more" if len(drifted) > 5
                                         else "")
        text += f" ({shown})"
    failed = [q for q in comparison.quality if not q.passed]
    if failed:
        names = ", ".join(f"{q.check} {q.column}" if q.column else q.check for q in failed[:5])
        text += f"; {len(failed)} quality check{'s' if len(failed) > 1 else ''} failed ({names})"
    return text


def details(comparison: Comparison) -> list[dict[str, Any]]:
    """Drifted columns, strongest first, as the payload lists them."""
    drifted = [c for c in comparison.columns if c.drifted]
    drifted.sort(key=lambda c: (c.p_value if c.p_value is not None else 1.0,
                                -(c.effect_size or c.statistic or 0.0)))
    return [{"column": c.column, "method": c.method, "statistic": c.statistic,
             "p_value": c.p_value} for c in drifted]


def notifications_for(
    spec: MonitorSpec,
    window: Window,
    comparison: Comparison,
    transitions: Sequence[AlertTransition],
    now: datetime,
) -> list[NewNotification]:
    """The outbox rows for this run's transitions."""
    rows = []
    text, listed = summary(comparison), details(comparison)
    for change in transitions:
        for notifier in change.spec.notify:
            key = idempotency_key(change.key, change.status, window.start, window.end,
                                  notifier=notifier)
            payload = build_payload(
                status=change.status, alert=change.alert, monitor=spec.name,
                severity=change.spec.severity, window_start=window.start,
                window_end=window.end, value=change.state.last_value, summary=text,
                details=listed, started_at=change.transition.started_at, url=None,
                idempotency_key=key,
            )
            rows.append(NewNotification(idempotency_key=key, notifier=notifier,
                                        payload=payload, created_at=now))
    return rows


def build_notifiers(rules: RuleSet) -> dict[str, Notifier]:
    """One notifier instance per ``notifiers:`` entry of the rules."""
    built: dict[str, Notifier] = {}
    for name, spec in rules.notifiers.items():
        cls = plugins.load(plugins.NOTIFIERS, spec.type, Notifier)
        built[name] = cls(spec.config)
    return built
