"""Message text the notifiers share: titles, windows, top columns, and size limits.

Pure functions of the DESIGN.md payload, so every kind words an alert the
same way and each stays inside its receiver's limits: long texts are cut
with an ellipsis, and column lists are capped with a count of those left out
(the payload's own ``details_omitted`` included).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.times import parse_time

__all__ = [
    "ColumnLine",
    "alert_title",
    "columns_text",
    "format_number",
    "group_link",
    "group_title",
    "identity_labels",
    "link_of",
    "top_columns",
    "truncate",
    "window_text",
]

ELLIPSIS = "…"


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with an ellipsis when cut.

    >>> truncate("feature drift", 8)
    'feature…'
    >>> truncate("ok", 8)
    'ok'
    """
    if limit < 1:
        raise ValueError(f"truncate limit must be at least 1, got {limit}")
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def format_number(value: object) -> str:
    """A short, readable number: 4 significant digits, scientific when tiny or huge.

    >>> format_number(0.211345), format_number(2.4e-54), format_number(1500), format_number(None)
    ('0.2113', '2.4e-54', '1500', '-')
    """
    if value is None or isinstance(value, bool):
        return "-" if value is None else str(int(value))
    if not isinstance(value, int | float) or not math.isfinite(value):
        return str(value)
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:.4g}"


def _status(payload: Mapping[str, Any]) -> str:
    return str(payload.get("status", "firing")).upper()


_REASONS = {"no_data": "no data", "error": "the run failed", "removed": "rule removed"}


def alert_title(payload: Mapping[str, Any]) -> str:
    """``FIRING feature-drift (critical) on credit-scoring``, with segment, reason, reminder.

    >>> alert_title({"status": "firing", "alert": "a", "severity": "warning", "monitor": "m",
    ...              "labels": {"segment": "state=CA"}, "reason": "no_data", "reminder": True})
    'FIRING a (warning) on m [state=CA] — still firing, no data'
    """
    title = f"{_status(payload)} {payload.get('alert')} ({payload.get('severity')}) on "
    title += str(payload.get("monitor"))
    segment = identity_labels(payload).get("segment")
    if segment:
        title += f" [{segment}]"
    notes = ["still firing"] if payload.get("reminder") else []
    if payload.get("reason") in _REASONS:
        notes.append(_REASONS[str(payload.get("reason"))])
    return f"{title} — {', '.join(notes)}" if notes else title


def group_title(payloads: Sequence[Mapping[str, Any]]) -> str:
    """One line for several alerts of one monitor: counts by status and the alert names.

    >>> group_title([{"monitor": "m", "status": "firing", "alert": "a"},
    ...              {"monitor": "m", "status": "resolved", "alert": "b"}])
    'm: FIRING 1 (a), RESOLVED 1 (b)'
    """
    if len(payloads) == 1:
        return alert_title(payloads[0])
    parts = []
    for status in ("FIRING", "RESOLVED"):
        names = [str(p.get("alert")) for p in payloads if _status(p) == status]
        if names:
            shown = ", ".join(dict.fromkeys(names))
            parts.append(f"{status} {len(names)} ({shown})")
    return f"{payloads[0].get('monitor')}: " + ", ".join(parts)


def window_text(payload: Mapping[str, Any]) -> str:
    """The window as ``2026-11-24 10:00–11:00 UTC`` (both dates when it spans days)."""
    window = payload.get("window") or {}
    try:
        start, end = parse_time(str(window["start"])), parse_time(str(window["end"]))
    except (KeyError, ValueError):
        return f"{window.get('start', '?')} – {window.get('end', '?')}"
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True, slots=True)
class ColumnLine:
    """One drifted column as the messages list it: its name and its test, worded."""

    column: str
    text: str


def top_columns(payload: Mapping[str, Any], limit: int) -> tuple[list[ColumnLine], int]:
    """The first ``limit`` drifted columns (strongest first) and how many are left out."""
    details = [d for d in payload.get("details") or [] if isinstance(d, Mapping)]
    lines = [ColumnLine(str(d.get("column")), _column_text(d)) for d in details[: max(limit, 0)]]
    omitted = len(details) - len(lines) + int(payload.get("details_omitted") or 0)
    return lines, omitted


def columns_text(payload: Mapping[str, Any], limit: int, bullet: str = "• ") -> str:
    """The top columns as lines, with ``… and N more`` when some are left out."""
    lines, omitted = top_columns(payload, limit)
    text = [f"{bullet}{line.column}: {line.text}" for line in lines]
    if omitted:
        text.append(f"… and {omitted} more column{'s' if omitted > 1 else ''}")
    return "\n".join(text)


def _column_text(detail: Mapping[str, Any]) -> str:
    text = f"{detail.get('method') or 'statistic'} {format_number(detail.get('statistic'))}"
    if detail.get("p_value") is not None:
        text += f", p = {format_number(detail.get('p_value'))}"
    return text


def identity_labels(payload: Mapping[str, Any]) -> dict[str, str]:
    """The labels that identify the alert: the payload's ``labels`` over monitor/alert/severity.

    An alert's identity is its labels, never its value, so equal labels
    name the same alert in every receiver that deduplicates.
    """
    labels = {"monitor": payload.get("monitor"), "alert": payload.get("alert"),
              "severity": payload.get("severity")}
    extra = payload.get("labels")
    if isinstance(extra, Mapping):
        labels.update(extra)
    return {str(k): str(v) for k, v in labels.items() if v is not None and str(v) != ""}


def link_of(payload: Mapping[str, Any], default: str | None) -> str | None:
    """The payload's ``url`` if it has one, else the notifier's configured link.

    The payload's ``url`` is the web console's page of the run behind the
    alert (set with ``MONITOR_PUBLIC_URL``); every kind reads it here.
    """
    url = payload.get("url")
    return url if isinstance(url, str) and url else default


def group_link(payloads: Sequence[Mapping[str, Any]], default: str | None) -> str | None:
    """The link of a message about several alerts: the first alert's ``url``, else ``default``.

    The alerts of a group share a monitor and a window, so their runs' pages
    are one page.

    >>> group_link([{"url": None}, {"url": "https://m.example/monitors/m"}], None)
    'https://m.example/monitors/m'
    >>> group_link([{"url": None}], "https://dash.example/")
    'https://dash.example/'
    """
    return next((url for p in payloads if (url := link_of(p, None))), default)
