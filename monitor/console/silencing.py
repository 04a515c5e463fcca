"""Silences from the console: listed by anyone, created and expired with the write token.

The fields are those of ``monitor silence add``, checked with the same rules,
and every refusal says which field is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from monitor.console.series import BadRequest
from monitor.records import NewSilence, SilenceRecord
from monitor.store import Store
from monitor.store.alerting import add_silence, expire_silence, silences
from monitor.times import MAX_DURATION, format_duration, parse_duration, parse_time

__all__ = ["SilenceRefused", "create", "expire", "listing"]

SEVERITIES = ("critical", "warning", "info")
MAX_TEXT = 1000


class SilenceRefused(BadRequest):
    """A silence request that is wrong: the operator must change it (HTTP 400)."""


def listing(store: Store, now: datetime) -> dict[str, Any]:
    """Silences active now or still to start."""
    return {"now": now, "silences": [as_json(s, now) for s in silences(store, now)]}


def create(store: Store, fields: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Store the silence the fields describe; ``duration`` (e.g. ``2h``) or ``ends_at``.

    Raises:
        SilenceRefused: a field is missing or malformed.
    """
    alert = _text(fields, "alert", required=True)
    reason = _text(fields, "reason", required=True)
    severity = _text(fields, "severity")
    if severity is not None and severity not in SEVERITIES:
        raise SilenceRefused(f"severity {severity!r}: use one of {', '.join(SEVERITIES)}")
    starts = now
    duration, ends_text = _text(fields, "duration"), _text(fields, "ends_at")
    if duration is not None:
        try:
            length = parse_duration(duration)
        except ValueError as exc:
            raise SilenceRefused(f"duration {duration!r}: {exc}") from None
        if length > MAX_DURATION:
            raise SilenceRefused(f"duration {duration!r} is longer than "
                                 f"{format_duration(MAX_DURATION)}")
        ends = starts + length
    elif ends_text is not None:
        try:
            ends = parse_time(ends_text)
        except ValueError as exc:
            raise SilenceRefused(f"ends_at {ends_text!r}: {exc}") from None
    else:
        raise SilenceRefused("give a duration (such as 2h) or an ends_at time")
    if ends <= now:
        raise SilenceRefused("the silence would end before now: give a later end")
    assert alert is not None and reason is not None
    record = add_silence(store, NewSilence(
        alert=alert, reason=reason, starts_at=starts, ends_at=ends, created_at=now,
        monitor=_text(fields, "monitor"), segment=_text(fields, "segment"), severity=severity,
        created_by=_text(fields, "created_by") or "console"))
    return as_json(record, now)


def expire(store: Store, text: str, now: datetime) -> dict[str, Any]:
    """End the silence with id ``text`` now.

    Raises:
        SilenceRefused: no such silence, or it has ended already.
    """
    if not text.isdigit() or len(text) > 18:
        raise SilenceRefused(f"silence id {text!r} is not a whole number")
    silence_id = int(text)
    found = [s for s in silences(store, now) if s.id == silence_id]
    if not found:
        raise SilenceRefused(f"there is no silence {silence_id} active or to come")
    return as_json(expire_silence(store, silence_id, now), now)


def as_json(silence: SilenceRecord, now: datetime) -> dict[str, Any]:
    """A silence as the API returns it."""
    return {"id": silence.id, "alert": silence.alert, "monitor": silence.monitor,
            "segment": silence.segment, "severity": silence.severity,
            "reason": silence.reason, "created_by": silence.created_by,
            "created_at": silence.created_at, "starts_at": silence.starts_at,
            "ends_at": silence.ended_at, "active": silence.active(now)}


def _text(fields: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise SilenceRefused(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise SilenceRefused(f"{name} must be text, got {type(value).__name__}")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise SilenceRefused(f"{name} must be at most {MAX_TEXT} characters of text")
    return value.strip()
