"""File source: CSV, JSON Lines and Parquet files, one path or a glob of them.

Rows are filtered to the window by the timestamp column. Parquet is read
through ``pyarrow.dataset`` with the window pushed down as a filter, so only
the needed row groups are decoded; CSV and JSONL are read in chunks and
filtered in pandas. Either way memory is bounded by ``chunk_size``.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from pydantic import Field

from monitor.errors import SourceError
from monitor.sources.base import Source, SourceConfig
from monitor.sources.timestamps import filter_window

__all__ = ["FileSource", "detect_format"]

Format = Literal["csv", "parquet", "jsonl"]
_SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


def detect_format(path: Path) -> Format:
    """Tell a file's format from its suffix (``.gz`` and the like are looked through)."""
    suffixes = [s.lower() for s in path.suffixes]
    for suffix in reversed(suffixes):
        if suffix in _SUFFIXES:
            return _SUFFIXES[suffix]
    raise SourceError(
        f"cannot tell the format of '{path}' from its name: use a .csv, .parquet or "
        ".jsonl file, or set the format explicitly"
    )


class FileSource(Source):
    """Reads CSV, JSONL or Parquet files matching a path or glob pattern."""

    class Config(SourceConfig):
        """The ``source:`` block of a file source."""

        type: Literal["file"] = "file"
        path: str = Field(description="A file, or a glob such as logs/*.parquet; "
                          "relative paths start at the rule file's folder.")
        format: Literal["auto", "csv", "parquet", "jsonl"] = "auto"
        chunk_size: int = Field(default=100_000, gt=0)

    config: Config

    def describe(self) -> str:
        """The path pattern as written."""
        return self.config.path

    def files(self) -> list[Path]:
        """The files the pattern matches now, sorted; an error when there are none."""
        pattern = Path(self.config.path).expanduser()
        if not pattern.is_absolute():
            pattern = self.base_dir / pattern
        if glob.has_magic(str(pattern)):
            found = sorted(Path(p) for p in glob.glob(str(pattern), recursive=True))
            found = [p for p in found if p.is_file()]
            if not found:
                raise SourceError(f"no files match '{pattern}'")
            return found
        if pattern.is_dir():
            raise SourceError(f"'{pattern}' is a folder: name a file or a glob such as "
                              f"'{pattern}/*.parquet'")
        if not pattern.exists():
            raise SourceError(f"file not found: '{pattern}'")
        return [pattern]

    def read(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[pd.DataFrame]:
        """Yield the rows of every matching file that fall in ``[start, end)``."""
        windowed = start is not None or end is not None
        if windowed and not self.config.timestamp:
            raise SourceError(f"source '{self.describe()}' has no timestamp column: set "
                              "source.timestamp to read a time window")
        for path in self.files():
            fmt = detect_format(path) if self.config.format == "auto" else self.config.format
            try:
                if fmt == "parquet":
                    yield from self._read_parquet(path, start, end)
                else:
                    yield from self._read_text(path, fmt, start, end)
            except SourceError:
                raise
            except (OSError, ValueError, pa.ArrowException) as exc:
                raise SourceError(f"cannot read {fmt} file '{path}': {_first_line(exc)}") from exc

    def _read_parquet(
        self, path: Path, start: datetime | None, end: datetime | None
    ) -> Iterator[pd.DataFrame]:
        dataset = ds.dataset(path, format="parquet")
        column = self.config.timestamp
        pushdown = None
        if column is not None and (start is not None or end is not None):
            self._require_column(column, dataset.schema.names, path)
            field_type = dataset.schema.field(column).type
            if pa.types.is_timestamp(field_type):
                pushdown = _arrow_window_filter(column, field_type, start, end)
        scanner = dataset.scanner(filter=pushdown, batch_size=self.config.chunk_size)
        for batch in scanner.to_batches():
            if batch.num_rows == 0:
                continue
            frame = batch.to_pandas()
            if pushdown is None:
                frame = self._window(frame, start, end, path)
            if len(frame):
                yield frame

    def _read_text(
        self, path: Path, fmt: Format, start: datetime | None, end: datetime | None
    ) -> Iterator[pd.DataFrame]:
        size = self.config.chunk_size
        if fmt == "csv":
            reader = pd.read_csv(path, chunksize=size)
        else:
            reader = pd.read_json(path, lines=True, chunksize=size)
        with reader as chunks:
            for frame in chunks:
                frame = self._window(frame, start, end, path)
                if len(frame):
                    yield frame

    def _window(
        self, frame: pd.DataFrame, start: datetime | None, end: datetime | None, path: Path
    ) -> pd.DataFrame:
        column = self.config.timestamp
        if column is None or (start is None and end is None):
            return frame
        self._require_column(column, list(frame.columns), path)
        return filter_window(frame, column, start, end, where=f"'{path}'")

    @staticmethod
    def _require_column(column: str, names: list[str], path: Path) -> None:
        if column not in names:
            shown = ", ".join(map(str, names[:20])) + (" ..." if len(names) > 20 else "")
            raise SourceError(
                f"timestamp column '{column}' is not in '{path}' (its columns: {shown}); "
                "fix source.timestamp"
            )


def _arrow_window_filter(
    column: str, field_type: pa.TimestampType, start: datetime | None, end: datetime | None
) -> ds.Expression:
    """A dataset filter for ``start <= column < end`` in the column's own type."""
    field = pc.field(column)
    expression = None
    for bound, inclusive in ((start, True), (end, False)):
        if bound is None:
            continue
        value = bound if field_type.tz else bound.replace(tzinfo=None)
        scalar = pa.scalar(value, type=field_type)
        part = field >= scalar if inclusive else field < scalar
        expression = part if expression is None else expression & part
    assert expression is not None
    return expression


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
