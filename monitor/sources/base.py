"""The data-source plug point: read the rows of one time window, in chunks.

A source kind is a ``Source`` subclass with a nested pydantic ``Config`` (the
``source:`` block of a rule file, ``extra="forbid"``) registered under the
entry-point group ``monitor.sources``. ``read`` is the one method a kind
must have; two more are optional: ``profile_window`` computes the window's
profile where the data lives (a database) so rows never travel, and
``newest`` tells how fresh the data is.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict

from monitor import plugins
from monitor.checks import CheckPlan, QualityResult, SqlCheck
from monitor.errors import SourceError
from monitor.profiles import (
    DEFAULT_JOINT_SAMPLE_SIZE,
    DEFAULT_SAMPLE_SIZE,
    DEFAULT_TOP_K,
    Profile,
)
from monitor.records import ReadStats
from monitor.sources.readstats import ReadCounter

__all__ = ["ProfileRequest", "Source", "SourceConfig", "open_source"]


class SourceConfig(BaseModel):
    """Fields every source block has; kinds extend it with their own."""

    model_config = ConfigDict(extra="forbid")

    type: str
    timestamp: str | None = None


@dataclass(frozen=True, slots=True)
class ProfileRequest:
    """The profile a runner wants of a window, as ``ProfileBuilder`` would build it.

    ``reference`` gives kinds, histogram edges and categories; ``exclude``
    the columns never profiled (the timestamp, labels, ids).
    """

    reference: Profile
    exclude: tuple[str, ...] = ()
    sample_size: int = DEFAULT_SAMPLE_SIZE
    top_k: int = DEFAULT_TOP_K
    joint_sample_size: int = DEFAULT_JOINT_SAMPLE_SIZE


class Source(ABC):
    """Reads production rows from one place.

    ``read(start, end)`` yields DataFrame chunks holding the rows whose
    timestamp lies in ``[start, end)`` (both timezone-aware UTC), or every row
    when both are None. Chunks are bounded in size, so a caller that profiles
    them chunk by chunk needs memory independent of the window size. Rows
    the source reads but leaves out are counted in ``counter`` (see
    ``monitor.sources.readstats``); ``read_stats()`` returns the counts of
    the last read.

    Raises ``SourceError`` with a message naming the source and the cause,
    and ``Interrupted`` when ``stop`` is set while it waits (see
    ``monitor.retry.pause``).
    """

    Config: ClassVar[type[SourceConfig]] = SourceConfig
    stop: threading.Event | None = None
    """Set by the daemon when it is stopping; a source that waits checks it."""

    def __init__(self, config: SourceConfig, *, base_dir: Path | None = None) -> None:
        self.config = config
        self.base_dir = base_dir or Path.cwd()
        self._counter = ReadCounter()

    @property
    def counter(self) -> ReadCounter:
        """Counts of the current read (made on first use, for kinds with their own __init__)."""
        counter = getattr(self, "_counter", None)
        if counter is None:
            counter = self._counter = ReadCounter()
        return counter

    @abstractmethod
    def read(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[pd.DataFrame]:
        """Yield the rows in ``[start, end)`` as DataFrame chunks."""

    def read_stats(self) -> ReadStats:
        """What the last ``read`` or ``profile_window`` counted."""
        return self.counter.stats

    def profile_window(
        self, start: datetime, end: datetime, request: ProfileRequest
    ) -> Profile | None:
        """The profile of the rows in ``[start, end)`` computed in place, or None.

        None (the default) means the source cannot, or is told not to: the
        runner then reads the rows and profiles them itself.
        """
        return None

    def check_window(
        self, start: datetime, end: datetime, plan: CheckPlan, kinds: Mapping[str, str]
    ) -> list[QualityResult] | None:
        """The checks of ``[start, end)`` computed in place, or None (the default): the runner
        then reads the rows and checks them itself."""
        return None

    def sql_check(self, check: SqlCheck, start: datetime, end: datetime) -> QualityResult:
        """Run one ``sql:`` check for the window; only SQL sources can."""
        raise SourceError(f"sql check '{check.name}': sql checks need a SQL source, "
                          f"not {self.describe()}")

    def newest(self, now: datetime, within: timedelta) -> datetime | None:
        """The latest row timestamp at or before ``now`` (looking back at least ``within``).

        None when no row is found. The default reads ``[now - within, now]``.
        """
        if not self.config.timestamp:
            return None
        self.counter.reset()
        for _chunk in self.read(now - within, now + timedelta(microseconds=1)):
            pass
        return self.counter.stats.newest

    def count_rows(self, start: datetime, end: datetime) -> int | None:
        """Rows in ``[start, end)`` now, when the source can count them cheaply; else None.

        The runner counts the previous window again to find rows that arrived
        after it was processed (later than the monitor's ``delay``).
        """
        return None

    def describe(self) -> str:
        """A short, secret-free description for logs and reports."""
        return self.config.type


def open_source(
    config: SourceConfig, *, base_dir: Path | None = None, stop: threading.Event | None = None
) -> Source:
    """Build the source a validated ``source:`` block describes; ``stop`` interrupts its waits."""
    # mypy rejects abstract classes as type[T] arguments, though load() only checks subclasses.
    cls = plugins.load(plugins.SOURCES, config.type, Source)  # type: ignore[type-abstract]
    source = cls(config, base_dir=base_dir)
    source.stop = stop
    return source
