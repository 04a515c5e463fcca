"""The data-source plug point: read the rows of one time window, in chunks.

A source kind is a ``Source`` subclass with a nested pydantic ``Config`` (the
``source:`` block of a rule file, ``extra="forbid"``) registered under the
entry-point group ``monitor.sources``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict

from monitor import plugins

__all__ = ["Source", "SourceConfig", "open_source"]


class SourceConfig(BaseModel):
    """Fields every source block has; kinds extend it with their own."""

    model_config = ConfigDict(extra="forbid")

    type: str
    timestamp: str | None = None


class Source(ABC):
    """Reads production rows from one place.

    ``read(start, end)`` yields DataFrame chunks holding the rows whose
    timestamp lies in ``[start, end)`` (both timezone-aware UTC), or every row
    when both are None. Chunks are bounded in size, so a caller that profiles
    them chunk by chunk needs memory independent of the window size.

    Raises ``SourceError`` with a message naming the source and the cause.
    """

    Config: ClassVar[type[SourceConfig]] = SourceConfig

    def __init__(self, config: SourceConfig, *, base_dir: Path | None = None) -> None:
        self.config = config
        self.base_dir = base_dir or Path.cwd()

    @abstractmethod
    def read(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[pd.DataFrame]:
        """Yield the rows in ``[start, end)`` as DataFrame chunks."""

    def describe(self) -> str:
        """A short, secret-free description for logs and reports."""
        return self.config.type


def open_source(config: SourceConfig, *, base_dir: Path | None = None) -> Source:
    """Build the source a validated ``source:`` block describes."""
    cls = plugins.load(plugins.SOURCES, config.type, Source)
    return cls(config, base_dir=base_dir)
