"""Pure logic behind the console's pages: time ranges, downsampling, a monitor's state.

Kept apart from the store and the web layer so that it can be tested on
plain values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from monitor.errors import MonitorError
from monitor.times import parse_duration, parse_time

__all__ = [
    "RANGES",
    "STATES",
    "BadRequest",
    "TimeRange",
    "downsample",
    "monitor_state",
    "parse_range",
]

T = TypeVar("T")

RANGES: Mapping[str, timedelta] = {
    "6h": timedelta(hours=6), "24h": timedelta(hours=24), "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
"""The range picker's presets."""
DEFAULT_RANGE = "24h"
MAX_RANGE = timedelta(days=3650)

STATES = ("firing", "failing", "silenced", "pending", "drifting", "no_data", "ok")
"""A monitor's states, the most urgent first: the overview sorts by this order."""


class BadRequest(MonitorError):
    """A request the operator must change (HTTP 400): the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Window ends in ``(start, end]``; ``name`` is the preset, or ``custom``."""

    start: datetime
    end: datetime
    name: str


def parse_range(
    preset: str | None, start: str | None, end: str | None, now: datetime
) -> TimeRange:
    """The range a page asks for: a preset (``6h``, ``24h``, ``7d``, ``30d``, or any
    duration such as ``90m``), or a custom ``start``/``end`` (ISO-8601), ending now by default.

    Raises:
        BadRequest: a malformed time or duration, or a start not before the end.
    """
    if start:
        begin = _time("from", start)
        finish = _time("to", end) if end else now
        if begin >= finish:
            raise BadRequest(f"the range must start before it ends: from {start} to "
                               f"{end or 'now'}")
        return TimeRange(begin, finish, "custom")
    name = preset or DEFAULT_RANGE
    span = RANGES.get(name)
    if span is None:
        try:
            span = parse_duration(name)
        except ValueError as exc:
            raise BadRequest(f"range {name!r}: {exc}; use one of "
                               f"{', '.join(RANGES)} or a duration such as 90m") from exc
        if span <= timedelta(0) or span > MAX_RANGE:
            raise BadRequest(f"range {name!r} must be longer than 0 and at most 3650d")
    finish = _time("to", end) if end else now
    return TimeRange(finish - span, finish, name)


def _time(what: str, text: str) -> datetime:
    try:
        return parse_time(text)
    except ValueError as exc:
        raise BadRequest(f"'{what}' time {text!r}: {exc}") from exc


def downsample(
    items: Sequence[T], time: Callable[[T], datetime], weight: Callable[[T], float],
    buckets: int, start: datetime, end: datetime,
) -> list[T]:
    """At most one item per time bucket: the one of the highest weight (the latest on ties).

    ``items`` are sorted by time. Keeping each bucket's peak keeps every
    spike visible and each kept point a real run to link to; a range with
    fewer items than buckets is returned whole.
    """
    if len(items) <= buckets:
        return list(items)
    span = (end - start).total_seconds() or 1.0
    best: dict[int, T] = {}
    for item in items:
        index = min(buckets - 1, max(0, int((time(item) - start).total_seconds() / span
                                            * buckets)))
        kept = best.get(index)
        if kept is None or _weight(weight(item)) >= _weight(weight(kept)):
            best[index] = item
    return [best[i] for i in sorted(best)]


def _weight(value: float) -> float:
    return -math.inf if value is None or math.isnan(value) else value


def monitor_state(
    last_status: str | None, dataset_drift: bool | None, alert_states: Sequence[str],
    silenced: Sequence[bool],
) -> str:
    """The overview's one word for a monitor.

    ``alert_states`` are its alert instances' states (``firing``, ``pending``,
    ``inactive``), ``silenced`` whether each is muted by a silence.
    """
    firing = [muted for state, muted in zip(alert_states, silenced, strict=True)
              if state == "firing"]
    if any(not muted for muted in firing):
        return "firing"
    if last_status == "failed":
        return "failing"
    if firing:
        return "silenced"
    if "pending" in alert_states:
        return "pending"
    if last_status is None or last_status == "no_data":
        return "no_data"
    if dataset_drift:
        return "drifting"
    return "ok"
