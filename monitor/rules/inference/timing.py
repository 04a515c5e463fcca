"""The window, schedule and delay of a first monitor, from how dense its data is in time.

A window should hold enough rows for the drift tests to see a shift worth an
alert: the README's calibration finds a shift of a quarter standard
deviation in 95 % of windows of 1,000 rows, and in 19 % of windows of 100.
So the window is the shortest of 15m, 1h, 6h, 1d and 7d that holds 1,000
rows at the rate the sample shows; the schedule looks for a newly complete
window a few times per window, and the delay waits a little for late rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from monitor.rules.inference.columns import as_times
from monitor.times import format_duration

__all__ = ["ROWS_PER_WINDOW", "WINDOWS", "Timing", "choose_timing"]

_MINUTE, _HOUR, _DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
WINDOWS = (15 * _MINUTE, _HOUR, 6 * _HOUR, _DAY, 7 * _DAY)
"""The window lengths a first monitor chooses from, shortest first."""
ROWS_PER_WINDOW = 1_000
"""Rows a window should hold for the tests to see a shift of a quarter standard deviation."""
_EVERY = dict(zip(WINDOWS, (5 * _MINUTE, 15 * _MINUTE, _HOUR, _HOUR, 6 * _HOUR), strict=True))
_DELAY = dict(zip(WINDOWS, (5 * _MINUTE, 5 * _MINUTE, 15 * _MINUTE, _HOUR, 6 * _HOUR),
                  strict=True))


@dataclass(frozen=True, slots=True)
class Timing:
    """When a first monitor runs and what each run reads.

    Attributes:
        window: the data each run looks at.
        every: how often the schedule looks for a newly complete window.
        delay: how long after a window ends its run waits for late rows.
        rows_per_window: rows a window holds at the sample's rate (None when
            the sample's times do not show a rate).
        first, last: the oldest and the newest time in the sample.
        timed_rows: rows of the sample with a time.
        reason: why this window, in a sentence.
    """

    window: timedelta
    every: timedelta
    delay: timedelta
    rows_per_window: float | None
    first: datetime | None
    last: datetime | None
    timed_rows: int
    reason: str


def choose_timing(times: pd.Series) -> Timing:
    """The timing that fits the rows dated by ``times`` (a sample's timestamp column).

    >>> stamps = pd.Series(pd.date_range("2026-11-24", periods=3000, freq="1min"))
    >>> timing = choose_timing(stamps)
    >>> format_duration(timing.window), format_duration(timing.every), timing.rows_per_window
    ('1d', '1h', 1440.0)
    """
    stamps = as_times(times).dropna()
    first = stamps.min().to_pydatetime(warn=False) if len(stamps) else None
    last = stamps.max().to_pydatetime(warn=False) if len(stamps) else None
    if first is None or last is None or last <= first:
        reason = ("the sample's times do not show how often rows arrive; 1h is a start, "
                  "to be fitted to the rows a window holds")
        return Timing(_HOUR, _EVERY[_HOUR], _DELAY[_HOUR], None, first, last, len(stamps),
                      reason)
    span = last - first
    rate = (len(stamps) - 1) / span.total_seconds()
    window = next((w for w in WINDOWS if rate * w.total_seconds() >= ROWS_PER_WINDOW),
                  WINDOWS[-1])
    rows = rate * window.total_seconds()
    held = f"about {_round(rows):,} rows a {format_duration(window)} window at the data's rate"
    if rows >= ROWS_PER_WINDOW:
        reason = (f"{held}, the shortest window with {ROWS_PER_WINDOW:,} rows or more (enough "
                  "to see a shift of a quarter standard deviation)")
    else:
        reason = (f"{held}: even the longest window holds fewer than {ROWS_PER_WINDOW:,} "
                  "rows, so only large shifts will show")
    return Timing(window, _EVERY[window], _DELAY[window], rows, first, last, len(stamps),
                  reason)


def _round(rows: float) -> int:
    """Rows rounded to two significant digits: a rate from a sample is no more precise."""
    if rows < 100:
        return round(rows)
    digits = len(str(int(rows))) - 2
    return int(round(rows, -digits))
