"""Window arithmetic: which ``[start, end)`` intervals of data a monitor looks at.

Windows are aligned on multiples of their length counted from the Unix
epoch in UTC (a 1h window runs 10:00–11:00, a 15m one 10:15–10:30), so every
process and every restart cuts time the same way. A window is *complete* once
``end + delay <= now``: the delay leaves time for late rows to land.
The watermark is the end of the last window a monitor finished.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitor.times import format_time

__all__ = [
    "EPOCH",
    "Window",
    "align",
    "due_windows",
    "latest_complete_window",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, order=True)
class Window:
    """A half-open interval of time ``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    def __str__(self) -> str:
        return f"[{format_time(self.start)}, {format_time(self.end)})"


def align(moment: datetime, length: timedelta) -> datetime:
    """The window boundary at or before ``moment``.

    >>> align(datetime(2026, 1, 1, 10, 40, tzinfo=UTC), timedelta(minutes=15))
    datetime.datetime(2026, 1, 1, 10, 30, tzinfo=datetime.timezone.utc)
    """
    _check(moment, length)
    return EPOCH + ((moment - EPOCH) // length) * length


def latest_complete_window(now: datetime, length: timedelta, delay: timedelta) -> Window:
    """The newest window whose end, plus the delay, has passed at ``now``.

    >>> latest_complete_window(datetime(2026, 1, 1, 11, 4, tzinfo=UTC),
    ...                        timedelta(hours=1), timedelta(minutes=5))
    ... # doctest: +NORMALIZE_WHITESPACE
    Window(start=datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.timezone.utc),
           end=datetime.datetime(2026, 1, 1, 10, 0, tzinfo=datetime.timezone.utc))
    """
    end = align(now - delay, length)
    return Window(end - length, end)


def due_windows(
    now: datetime,
    length: timedelta,
    delay: timedelta,
    *,
    finished: Iterable[Window],
    limit: int,
    tried: Iterable[Window] = (),
) -> list[Window]:
    """Complete windows not finished yet, oldest first: gaps first, then new windows.

    ``finished`` are the monitor's recently finished windows, ``tried`` the
    ones that ran but failed. Every complete window from the oldest of either
    on that is not finished is due, so a gap (a window skipped because
    ``monitor check`` ran a later one, say) is filled and a failed window is
    tried again, even a new monitor's first one. Windows of another length
    (the rules changed) are ignored; with none of this length, only the
    latest complete window is due.

    >>> h = timedelta(hours=1)
    >>> t = lambda hour: datetime(2026, 1, 1, hour, tzinfo=UTC)
    >>> [w.start.hour for w in due_windows(t(6), h, timedelta(0), limit=9,
    ...                                    finished=[Window(t(1), t(2)), Window(t(3), t(4))])]
    [2, 4, 5]
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    latest = latest_complete_window(now, length, delay)
    done = {w for w in finished if w.end - w.start == length}
    known = done | {w for w in tried if w.end - w.start == length}
    if not known:
        return [latest]
    start = align(min(known).start, length)
    due: list[Window] = []
    while start + length <= latest.end and len(due) < limit:
        window = Window(start, start + length)
        if window not in done:
            due.append(window)
        start += length
    return due


def _check(moment: datetime, length: timedelta) -> None:
    if moment.tzinfo is None:
        raise ValueError("window arithmetic needs timezone-aware datetimes")
    if length <= timedelta(0):
        raise ValueError(f"window length must be positive, got {length}")

