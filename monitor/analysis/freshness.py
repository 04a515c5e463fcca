"""Volume, freshness and read checks: does a window hold the rows it should, is the data recent?

These checks look at what profiles cannot: how many rows a window holds
against the expected rate, how old the newest row is when the run happens,
and the rows the source read but left out. They return ``QualityResult``
values that join a run's data-quality results (so ``failed_quality_checks``
counts them). Pure: the runner asks the source and passes the numbers, the
time and the history in (``window.with_read_checks``).

- ``volume_ratio``: rows over the expected rows of a window (``expected``,
  or the median of the last ``history`` windows processed before it; not
  checked before three such windows exist). Fails below ``min`` or above
  ``max``. The threshold reported is the bound on the side of the value
  (``min`` below 1, ``max`` from 1 up).
- ``staleness_seconds``: run time minus the newest row's timestamp, at
  most ``max_staleness``. No row found at all is infinitely stale.
- ``late_rows``: rows that arrived in the previous window after it was
  processed (counted again now, where the source can count cheaply); they
  are in no run, so each fails: raise the monitor's ``delay``.
- ``outside_window_rows``: rows read and left out because their timestamp
  lies outside the window (informational, always passes).
- ``unparseable_timestamp_rows``, ``missing_timestamp_rows``,
  ``unreadable_records``: rows or records that could not be placed in any
  window; each fails when there is one.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.analysis.quality import QualityResult
from monitor.records import ReadStats

__all__ = [
    "MIN_HISTORY",
    "VolumeOptions",
    "check_late_rows",
    "check_staleness",
    "check_volume",
    "expected_rows",
    "read_results",
]

MIN_HISTORY = 3
"""Previous windows needed before the expected volume is taken from history."""


@dataclass(frozen=True, slots=True)
class VolumeOptions:
    """Bounds on a window's rows as a share of the expected rows."""

    min_ratio: float = 0.5
    max_ratio: float | None = 2.0
    expected: int | None = None
    history: int = 24

    def __post_init__(self) -> None:
        if self.min_ratio < 0:
            raise ValueError(f"min_ratio must be >= 0, got {self.min_ratio!r}")
        if self.max_ratio is not None and self.max_ratio < self.min_ratio:
            raise ValueError(f"max_ratio ({self.max_ratio}) must be >= min_ratio "
                             f"({self.min_ratio})")
        if self.history < MIN_HISTORY:
            raise ValueError(f"history must be at least {MIN_HISTORY} windows, got "
                             f"{self.history!r}")


def expected_rows(previous: Sequence[int], options: VolumeOptions) -> float | None:
    """The rows a window should hold: ``expected``, or the median of recent windows.

    ``previous`` lists the rows of earlier windows, newest first.

    >>> expected_rows([100, 90, 110, 5], VolumeOptions(history=3))
    100.0
    >>> expected_rows([100, 90], VolumeOptions()) is None
    True
    """
    if options.expected is not None:
        return float(options.expected)
    recent = list(previous[:options.history])
    if len(recent) < MIN_HISTORY:
        return None
    return float(statistics.median(recent))


def check_volume(rows: int, expected: float | None, options: VolumeOptions) -> QualityResult | None:
    """The ``volume_ratio`` check, or None while nothing is expected yet.

    >>> found = check_volume(40, 100.0, VolumeOptions())
    >>> found.check, found.value, found.threshold, found.passed
    ('volume_ratio', 0.4, 0.5, False)
    """
    if expected is None:
        return None
    ratio = rows / expected if expected > 0 else (math.inf if rows else 1.0)
    below = ratio < options.min_ratio
    above = options.max_ratio is not None and ratio > options.max_ratio
    threshold = options.min_ratio if ratio < 1 or options.max_ratio is None else options.max_ratio
    return QualityResult("volume_ratio", None, ratio, threshold, not (below or above))


def check_staleness(now: datetime, newest: datetime | None, limit: timedelta) -> QualityResult:
    """The ``staleness_seconds`` check: how old the newest row is at ``now``.

    >>> from datetime import UTC
    >>> now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    >>> check_staleness(now, now - timedelta(minutes=30), timedelta(hours=1)).passed
    True
    """
    seconds = math.inf if newest is None else max((now - newest).total_seconds(), 0.0)
    maximum = limit.total_seconds()
    return QualityResult("staleness_seconds", None, seconds, maximum, seconds <= maximum)


def check_late_rows(counted_now: int | None, counted_then: int | None) -> QualityResult | None:
    """The ``late_rows`` check of the previous window, or None when it cannot be known.

    >>> found = check_late_rows(105, 100)
    >>> found.check, found.value, found.threshold, found.passed
    ('late_rows', 5.0, 0.0, False)
    """
    if counted_now is None or counted_then is None:
        return None
    late = max(counted_now - counted_then, 0)
    return QualityResult("late_rows", None, float(late), 0.0, late == 0)


def read_results(stats: ReadStats) -> list[QualityResult]:
    """Results for the rows a source read but could not keep (only counts above zero)."""
    results = []
    if stats.outside_window:
        results.append(QualityResult("outside_window_rows", None, float(stats.outside_window),
                                     None, True))
    for check, count in (("unparseable_timestamp_rows", stats.unparseable_timestamps),
                         ("missing_timestamp_rows", stats.missing_timestamps),
                         ("unreadable_records", stats.unreadable_records)):
        if count:
            results.append(QualityResult(check, None, float(count), 0.0, False))
    return results
