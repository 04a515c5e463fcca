"""Collecting one window of a monitor: its profile, and what the read itself says.

``collect_window`` is the runner's read step. It asks the source for the
window's profile computed in place (``Source.profile_window``: a table on
PostgreSQL or SQLite profiles inside the database) and otherwise streams
the rows into ``analyse``. Then it adds the checks about the read rather
than the data (``monitor.freshness``): rows left out by the source, the
window's volume against the expected rows, and the staleness of the newest
row at run time.

Monitors with ``segments`` or with labels (``columns.prediction`` and
``columns.target``) are always profiled from pulled rows: those parts of a
profile are not computed in place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import pandas as pd

from monitor.analysis import Analysis, analyse
from monitor.compare import compare
from monitor.freshness import (
    VolumeOptions,
    check_late_rows,
    check_staleness,
    check_volume,
    expected_rows,
    read_results,
)
from monitor.options import drift_options, profile_exclusions, quality_options
from monitor.profiles import Profile
from monitor.quality import QualityResult
from monitor.rules.schema import MonitorSpec
from monitor.sources.base import ProfileRequest, Source
from monitor.windows import Window

__all__ = ["STALENESS_LOOKBACK", "collect_window", "profile_request", "volume_options"]

log = logging.getLogger(__name__)

STALENESS_LOOKBACK = 2
"""Sources without a cheap ``max`` look this many ``max_staleness`` back for the newest row."""

Wrap = Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]


def profile_request(spec: MonitorSpec, reference: Profile) -> ProfileRequest | None:
    """What to ask a source to profile in place; None when the rows must be read."""
    columns = spec.columns
    if spec.segments or (columns.prediction and columns.target):
        return None
    return ProfileRequest(reference=reference, exclude=tuple(profile_exclusions(spec)))


def volume_options(spec: MonitorSpec) -> VolumeOptions | None:
    """The ``quality.volume`` block as VolumeOptions (None when not set)."""
    volume = spec.quality.volume
    if volume is None:
        return None
    return VolumeOptions(min_ratio=volume.min, max_ratio=volume.max, expected=volume.expected,
                         history=volume.history)


def collect_window(
    spec: MonitorSpec,
    reference: Profile,
    source: Source,
    window: Window,
    *,
    now: datetime,
    history: Sequence[int] = (),
    previous: tuple[Window, int] | None = None,
    wrap: Wrap = lambda chunks: chunks,
) -> Analysis:
    """Profile the window (in place when the source can), compare it, add read checks.

    Args:
        history: rows of the windows processed before this one, newest first
            (for the expected volume).
        previous: the window just before this one and the rows its run
            counted, to find rows that arrived after it ran (``late_rows``).
        wrap: applied to the chunks of pulled rows (the runner stops there).
    """
    request = profile_request(spec, reference)
    current = source.profile_window(window.start, window.end, request) if request else None
    if current is not None:
        log.debug("window profiled in place: %d rows", current.rows)
        comparison = compare(reference, current, drift_options(spec), quality_options(spec))
        analysis = Analysis(current, comparison)
    else:
        analysis = analyse(spec, reference, wrap(source.read(window.start, window.end)))
    extra = read_results(source.read_stats())
    extra += _volume(spec, analysis.rows, history)
    extra += _staleness(spec, source, now)
    if previous is not None:
        late = check_late_rows(source.count_rows(previous[0].start, previous[0].end),
                               previous[1])
        extra += [late] if late is not None else []
    if not extra:
        return analysis
    comparison = analysis.comparison
    return replace(analysis, comparison=replace(comparison,
                                                quality=comparison.quality + tuple(extra)))


def _volume(spec: MonitorSpec, rows: int, history: Sequence[int]) -> list[QualityResult]:
    options = volume_options(spec)
    if options is None:
        return []
    result = check_volume(rows, expected_rows(history, options), options)
    return [result] if result is not None else []


def _staleness(spec: MonitorSpec, source: Source, now: datetime) -> list[QualityResult]:
    limit = spec.quality.max_staleness
    if limit is None:
        return []
    newest = source.newest(now, max(limit * STALENESS_LOOKBACK, timedelta(seconds=1)))
    return [check_staleness(now, newest, limit)]
