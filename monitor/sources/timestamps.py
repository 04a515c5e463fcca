"""Timestamps of production rows: parse them as UTC and keep a window's rows.

Naive timestamps are taken as UTC. Rows left out of a window are counted in
a ``ReadCounter``, never dropped silently: outside the window, a timestamp
that is not a time, or no timestamp at all. A column holding no time at all
is an error (``require_times``), not a window without rows.
"""

from __future__ import annotations

import logging
from datetime import datetime

import pandas as pd

from monitor.errors import SourceError
from monitor.profiles.readers import utc_times
from monitor.records import ReadStats
from monitor.sources.readstats import ReadCounter

__all__ = ["filter_window", "require_times", "to_utc"]

log = logging.getLogger(__name__)


def to_utc(values: pd.Series) -> pd.Series:
    """Parse a column as UTC timestamps; unreadable values become NaT.

    Raises:
        SourceError: the column holds numbers (or booleans), not times.
    """
    times = utc_times(values)
    if times is None:
        raise SourceError(
            f"timestamp column '{values.name}' holds numbers, not times; store ISO-8601 "
            "text or a timestamp type, or convert it in a query"
        )
    return times


def filter_window(
    frame: pd.DataFrame,
    column: str,
    start: datetime | None,
    end: datetime | None,
    *,
    where: str,
    counter: ReadCounter | None = None,
) -> pd.DataFrame:
    """Return the rows of ``frame`` whose ``column`` lies in ``[start, end)``.

    Rows left out are counted in ``counter`` by reason; unparseable ones are
    also logged with an example value.
    """
    raw = frame[column]
    stamps = to_utc(raw)
    absent = raw.isna().to_numpy(dtype=bool)
    unreadable = stamps.isna().to_numpy(dtype=bool) & ~absent
    mask = ~(absent | unreadable)
    if start is not None:
        mask &= (stamps >= pd.Timestamp(start)).to_numpy(dtype=bool)
    if end is not None:
        mask &= (stamps < pd.Timestamp(end)).to_numpy(dtype=bool)
    bad = int(unreadable.sum())
    if bad:
        example = raw[unreadable].iloc[0]
        log.warning("%d rows in %s have a timestamp that is not a time (such as %r); "
                    "they are left out and counted", bad, where, str(example)[:40])
    if counter is not None:
        kept = int(mask.sum())
        newest = stamps[mask].max() if kept else None
        counter.add(
            rows=kept, unparseable_timestamps=bad, missing_timestamps=int(absent.sum()),
            outside_window=len(frame) - kept - bad - int(absent.sum()), filtered=True,
            newest=None if newest is None or pd.isna(newest) else newest.to_pydatetime(warn=False),
        )
    return frame.loc[mask]


def require_times(stats: ReadStats, column: str, where: str) -> None:
    """Fail when a read found values in the timestamp column but not one was a time.

    Raises:
        SourceError: every timestamp present was unreadable, so the column is
            not a time column (or its format is not understood).
    """
    if stats.unparseable_timestamps and not (stats.rows or stats.outside_window):
        raise SourceError(
            f"timestamp column '{column}' of {where} holds no readable time "
            f"({stats.unparseable_timestamps} values, none a time): give ISO-8601 times "
            "such as 2026-11-24T10:00:00Z, or fix source.timestamp"
        )
