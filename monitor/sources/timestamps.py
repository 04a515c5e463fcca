"""Timestamps of production rows: parse them as UTC and keep a window's rows.

Naive timestamps are taken as UTC. Values that cannot be read as a time are
dropped from the window and logged with their count, never silently.
"""

from __future__ import annotations

import logging
from datetime import datetime

import pandas as pd

from monitor.errors import SourceError

__all__ = ["filter_window", "to_utc"]

log = logging.getLogger(__name__)


def to_utc(values: pd.Series) -> pd.Series:
    """Parse a column as UTC timestamps; unreadable values become NaT."""
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is None:
            return values.dt.tz_localize("UTC")
        return values.dt.tz_convert("UTC")
    if pd.api.types.is_numeric_dtype(values):
        raise SourceError(
            f"timestamp column '{values.name}' holds numbers, not times; store ISO-8601 "
            "text or a timestamp type"
        )
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")


def filter_window(
    frame: pd.DataFrame,
    column: str,
    start: datetime | None,
    end: datetime | None,
    *,
    where: str,
) -> pd.DataFrame:
    """Return the rows of ``frame`` whose ``column`` lies in ``[start, end)``."""
    stamps = to_utc(frame[column])
    unreadable = int(stamps.isna().sum() - frame[column].isna().sum())
    if unreadable:
        log.warning("%d rows in %s have a timestamp that is not a time; they are left out",
                    unreadable, where)
    mask = stamps.notna()
    if start is not None:
        mask &= stamps >= pd.Timestamp(start)
    if end is not None:
        mask &= stamps < pd.Timestamp(end)
    return frame.loc[mask.to_numpy()]
