"""Read counting: what a source saw while reading one window, beyond the rows it kept.

Nothing is dropped silently. A source that filters rows itself (a query
whose WHERE is looser than the window, files holding several days, an API
answering with a wider range) counts the rows it left out because their
timestamp lies outside the window, the rows whose timestamp is not a time,
and the records that are not rows at all (an API item that is not a JSON
object). The runner stores these counts as results of the run.

``ReadCounter`` accumulates while chunks stream; ``monitor.records.ReadStats``
is the frozen total.
"""

from __future__ import annotations

import threading
from datetime import datetime

from monitor.records import ReadStats

__all__ = ["ReadCounter"]


class ReadCounter:
    """Accumulates ``ReadStats`` while a read streams; safe to update from one thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats = ReadStats()

    def reset(self) -> None:
        """Start counting a new read."""
        with self._lock:
            self._stats = ReadStats()

    def add(
        self,
        *,
        rows: int = 0,
        outside_window: int = 0,
        unparseable_timestamps: int = 0,
        missing_timestamps: int = 0,
        unreadable_records: int = 0,
        filtered: bool = False,
        newest: datetime | None = None,
    ) -> None:
        """Add the counts of one chunk."""
        with self._lock:
            s = self._stats
            latest = s.newest
            if newest is not None and (latest is None or newest > latest):
                latest = newest
            self._stats = ReadStats(
                s.rows + rows,
                s.outside_window + outside_window,
                s.unparseable_timestamps + unparseable_timestamps,
                s.missing_timestamps + missing_timestamps,
                s.unreadable_records + unreadable_records,
                s.filtered or filtered,
                latest,
            )

    @property
    def stats(self) -> ReadStats:
        """The totals so far."""
        with self._lock:
            return self._stats
