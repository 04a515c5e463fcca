"""Outbox rows for a run's alert messages: one per message and notifier, fully dressed.

A message (``alerts.messages.Message``) says which alert instance changed and
how; this module writes what receivers read: the summary, the drifted
columns, the labels that identify the alert and its rendered annotations.
Each row's idempotency key is derived from the instance, the status, the
reason, the window and the notifier, so processing the same window twice
yields the same keys and the outbox's unique key keeps a single copy. With a
public console address, each payload's ``url`` links to the run's page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from monitor.alerts.links import run_link
from monitor.alerts.messages import Message
from monitor.alerts.payload import build_payload, idempotency_key
from monitor.analysis.comparison import Comparison
from monitor.analysis.window import Analysis
from monitor.records import NewNotification
from monitor.rules.schema import MonitorSpec
from monitor.times import format_time
from monitor.windows import Window

__all__ = ["details", "notifications_for", "summary", "top_columns"]

TOP_COLUMNS = 5
"""Drifted columns named by ``{{ top_columns }}`` and in the summary."""


def summary(comparison: Comparison) -> str:
    """One line saying what drifted and which quality checks failed."""
    drifted = [c.column for c in comparison.columns if c.drifted]
    text = f"{len(drifted)} of {len(comparison.columns)} columns drifted"
    if drifted:
        shown = ", ".join(drifted[:TOP_COLUMNS]) + (
            f" and {len(drifted) - TOP_COLUMNS} more" if len(drifted) > TOP_COLUMNS else "")
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


def top_columns(listed: Sequence[Mapping[str, Any]], limit: int = TOP_COLUMNS) -> str:
    """The strongest drifted columns with their statistic, for templates.

    >>> top_columns([{"column": "income", "method": "psi", "statistic": 0.3127}])
    'income (psi 0.3127)'
    """
    shown = ", ".join(f"{d['column']} ({d['method']} {d['statistic']:.4g})"
                      for d in listed[:limit])
    more = len(listed) - limit
    return shown + (f" and {more} more" if more > 0 else "") if shown else "none"


def notifications_for(
    spec: MonitorSpec,
    window: Window,
    messages: Sequence[Message],
    analysis: Analysis | None,
    now: datetime,
    *,
    error: str | None = None,
    public_url: str | None = None,
    run_end: datetime | None = None,
) -> list[NewNotification]:
    """The outbox rows of this run's messages, one per message and notifier.

    ``public_url`` is the web console's address (``MONITOR_PUBLIC_URL``): each
    payload then links to the page of the run that ends at ``run_end``
    (default ``window.end``; a failed run is evaluated on a later window).
    """
    url = run_link(public_url, spec.name, run_end or window.end)
    rows = []
    for message in messages:
        notify = message.rule.notify if message.rule is not None else []
        content = _content(spec, window, message, analysis, error)
        for notifier in notify:
            key = idempotency_key(message.key, message.status, window.start, window.end,
                                  notifier=notifier, reason=message.reason)
            payload = build_payload(
                status=message.status, alert=message.alert, monitor=spec.name,
                severity=message.severity, window_start=window.start, window_end=window.end,
                value=message.value, summary=content["summary"], details=content["details"],
                started_at=message.started_at, url=url, idempotency_key=key,
                labels=content["labels"], annotations=content["annotations"],
                reason=message.reason, reminder=message.reminder,
            )
            rows.append(NewNotification(idempotency_key=key, notifier=notifier,
                                        payload=payload, created_at=now))
    return rows


def _content(spec: MonitorSpec, window: Window, message: Message, analysis: Analysis | None,
             error: str | None) -> dict[str, Any]:
    scope = analysis
    if message.segment is not None and analysis is not None:
        scope = analysis.segments.get(message.segment)
    comparison = scope.comparison if scope is not None and scope.rows > 0 else None
    listed = details(comparison) if comparison is not None else []
    generated = _summary(spec, message, scope, comparison, error)
    labels = {"alert": message.alert, "monitor": spec.name, "severity": message.severity}
    if message.segment is not None:
        labels["segment"] = message.segment
    values: dict[str, object] = {
        **(scope.metrics() if scope is not None and scope.rows > 0 else {}),
        **labels, "segment": message.segment or "", "value": message.value,
        "reason": message.reason, "status": message.status, "summary": generated,
        "top_columns": top_columns(listed), "error": error,
        "window_start": format_time(window.start), "window_end": format_time(window.end),
    }
    rule = message.rule
    if rule is not None:
        labels |= {k: t.render(values) for k, t in rule.label_templates.items()}
    annotations = ({k: t.render(values) for k, t in rule.annotation_templates.items()}
                   if rule is not None else {})
    return {"summary": annotations.get("summary", generated), "details": listed,
            "labels": labels, "annotations": annotations}


def _summary(spec: MonitorSpec, message: Message, scope: Analysis | None,
             comparison: Comparison | None, error: str | None) -> str:
    where = f"segment {message.segment}" if message.segment else "the window"
    if message.reason == "removed":
        return "the alert rule was removed or changed: this alert no longer exists"
    if message.reason == "error":
        return f"the run failed: {error}" if error else "the run failed"
    if message.reason == "no_data":
        rows = scope.rows if scope is not None else 0
        low = spec.quality.min_rows
        if rows and low is not None and message.segment is None:
            return f"no data: {where} has {rows} rows, below min_rows {low}"
        return f"no data: {where} has no rows"
    return summary(comparison) if comparison is not None else f"no data in {where}"
