"""Time as the monitor writes and reads it: UTC instants with a ``Z``, and durations like ``15m``.

Every time that leaves the monitor (JSON, webhook payloads, tables, the status
page, query parameters) goes through ``format_time``; every duration an
operator writes (rule files, flags) through ``parse_duration``. ``utc_now``
is the default clock that the runner, the daemon and the commands pass down.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Literal

__all__ = [
    "MAX_DURATION", "format_duration", "format_time", "parse_duration", "parse_time", "utc_now",
]

MAX_DURATION = timedelta(days=3650)
"""The longest duration ``parse_duration`` reads (about ten years).

Far beyond any sensible window, delay or schedule, and far below what time
arithmetic overflows on (``datetime`` stops at year 9999), so a duration that
was read can always be added to a time.
"""

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")
_MAX_DIGITS = 12  # more digits than any part of MAX_DURATION: too long, without converting them
_SHOWN = 40  # characters of a bad duration quoted in a message

Precision = Literal["auto", "seconds"]


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


def format_time(moment: datetime, precision: Precision = "auto") -> str:
    """Format an aware datetime as ISO 8601 in UTC with a ``Z`` suffix.

    ``precision="seconds"`` drops fractions of a second, for tables an
    operator reads; ``"auto"`` keeps microseconds when there are any.

    >>> from datetime import timezone
    >>> format_time(datetime(2026, 11, 24, 12, 0, tzinfo=timezone(timedelta(hours=2))))
    '2026-11-24T10:00:00Z'
    >>> format_time(datetime(2026, 11, 24, 10, 0, 1, 500, tzinfo=UTC), "seconds")
    '2026-11-24T10:00:01Z'

    Raises:
        ValueError: the datetime is naive (its time zone is unknown).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"time {moment.isoformat()} has no time zone: pass timezone-aware UTC datetimes"
        )
    return moment.astimezone(UTC).isoformat(timespec=precision).replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time into an aware UTC datetime; a time without offset is UTC.

    >>> parse_time("2026-11-24T12:00:00+02:00")
    datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.timezone.utc)
    >>> parse_time("2026-11-24T10:00:00Z") == parse_time("2026-11-24 10:00")
    True

    Raises:
        ValueError: the text is not an ISO 8601 time.
    """
    moment = datetime.fromisoformat(text.strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    """Parse ``"1h30m"``-style text into a timedelta, at most ``MAX_DURATION``.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    >>> parse_duration("999999999999d")
    Traceback (most recent call last):
    ...
    ValueError: duration '999999999999d' is too long: at most 3650d (about ten years)

    Raises:
        ValueError: the text is not a sequence of <integer><unit> parts
            with units s, m, h, d or w, or it is longer than ``MAX_DURATION``.
    """
    text = text.strip()
    parts = _PART.findall(text)
    shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "..."
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(
            f"invalid duration '{shown}': write a number and a unit (s, m, h, d, w), "
            "for example 30s, 15m, 1h or 1h30m"
        )
    too_long = any(len(n.lstrip("0")) > _MAX_DIGITS for n, _ in parts)  # never int() them
    seconds = 0 if too_long else sum(int(n) * _UNITS[u] for n, u in parts)
    if too_long or seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"duration '{shown}' is too long: at most "
                         f"{format_duration(MAX_DURATION)} (about ten years)")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Format a timedelta the way ``parse_duration`` reads it.

    >>> format_duration(timedelta(seconds=5400))
    '1h30m'
    """
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    out = []
    for unit, size in sorted(_UNITS.items(), key=lambda kv: -kv[1]):
        if unit == "w":
            continue
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
