"""File source: CSV, JSON Lines and Parquet files, a path, a glob, or a partitioned dataset.

Rows are filtered to the window by the timestamp column. Parquet is read
through ``pyarrow.dataset`` with the window pushed down as a filter: a
hive-partitioned folder (``date=2026-11-24/hour=10/…``) is pruned to the
partitions the window covers when ``partitions`` says how its keys encode
time, and inside each file only the row groups whose statistics overlap the
window are decoded (``plan`` lists them), batch by batch even inside a row
group (``parquet_groups``). CSV and JSONL are read in chunks and filtered in
pandas, counting the rows left out. Either way memory is bounded by
``chunk_size``.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from pydantic import Field

from monitor.errors import SourceError
from monitor.profiles import Profile, build_profile
from monitor.sources.base import Source, SourceConfig
from monitor.sources.parquet_groups import group_batches
from monitor.sources.timestamps import filter_window, require_times, to_utc

__all__ = ["FileSource", "detect_format", "partition_values", "profile_file"]

Format = Literal["csv", "parquet", "jsonl"]
_SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_MAX_PARTITION_STEPS = 100_000


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


def partition_values(
    start: datetime, end: datetime, formats: dict[str, str]
) -> dict[str, list[str]] | None:
    """Each time partition key's values over ``[start, end)``; None when there are too many.

    >>> from datetime import UTC
    >>> partition_values(datetime(2026, 11, 24, 23, tzinfo=UTC),
    ...                  datetime(2026, 11, 25, 1, tzinfo=UTC), {"date": "%Y-%m-%d", "hour": "%H"})
    {'date': ['2026-11-24', '2026-11-25'], 'hour': ['23', '00']}
    """
    text = "".join(formats.values())
    step = (timedelta(minutes=1) if "%M" in text else
            timedelta(hours=1) if "%H" in text or "%I" in text else timedelta(days=1))
    moment = start.replace(second=0, microsecond=0)
    if step >= timedelta(hours=1):
        moment = moment.replace(minute=0)
    if step >= timedelta(days=1):
        moment = moment.replace(hour=0)
    if (end - moment) / step > _MAX_PARTITION_STEPS:
        return None
    values: dict[str, dict[str, None]] = {key: {} for key in formats}
    while moment < end:
        for key, fmt in formats.items():
            values[key][moment.strftime(fmt)] = None
        moment += step
    return {key: list(found) for key, found in values.items()}


class FileSource(Source):
    """Reads CSV, JSONL or Parquet files matching a path or glob, or a partitioned dataset."""

    class Config(SourceConfig):
        """The ``source:`` block of a file source."""

        type: Literal["file"] = "file"
        path: str = Field(description="A file, a glob such as logs/*.parquet, or the folder "
                          "of a partitioned dataset; relative paths start at the rule "
                          "file's folder.")
        format: Literal["auto", "csv", "parquet", "jsonl"] = "auto"
        chunk_size: int = Field(default=100_000, gt=0)
        partitioning: Literal["none", "hive"] = Field(
            default="none", description="hive: key=value folders (Parquet)")
        partitions: dict[str, str] = Field(
            default={}, description="time partition keys and how they write time "
            "(strftime), such as {date: '%Y-%m-%d', hour: '%H'}: only the partitions a "
            "window covers are read")

    config: Config

    def describe(self) -> str:
        """The path pattern as written."""
        return self.config.path

    def files(self) -> list[Path]:
        """The files the pattern matches now, sorted; an error when there are none."""
        pattern = self._pattern()
        if glob.has_magic(str(pattern)):
            found = sorted(Path(p) for p in glob.glob(str(pattern), recursive=True))
            found = [p for p in found if p.is_file()]
            if not found:
                raise SourceError(f"no files match '{pattern}'")
            return found
        if pattern.is_dir():
            raise SourceError(f"'{pattern}' is a folder: name a file or a glob such as "
                              f"'{pattern}/*.parquet', or set partitioning: hive")
        if not pattern.exists():
            raise SourceError(f"file not found: '{pattern}'")
        return [pattern]

    def read(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[pd.DataFrame]:
        """Yield the rows of every matching file that fall in ``[start, end)``."""
        self.counter.reset()
        windowed = start is not None or end is not None
        if windowed and not self.config.timestamp:
            raise SourceError(f"source '{self.describe()}' has no timestamp column: set "
                              "source.timestamp to read a time window")
        if self.config.partitioning == "hive":
            yield from self._guarded(self._pattern(), "parquet", start, end)
        else:
            for path in self.files():
                fmt = detect_format(path) if self.config.format == "auto" else self.config.format
                yield from self._guarded(path, fmt, start, end)
        if windowed and self.config.timestamp:
            require_times(self.counter.stats, self.config.timestamp, f"'{self.describe()}'")

    def plan(self, start: datetime | None, end: datetime | None) -> list[ds.Fragment]:
        """The Parquet row groups a window reads (one fragment each), after pruning."""
        fragments = []
        for dataset, pushdown in self._datasets(start, end):
            for fragment in dataset.get_fragments(filter=pushdown):
                fragments += fragment.split_by_row_group(filter=pushdown, schema=dataset.schema)
        return fragments

    def _pattern(self) -> Path:
        pattern = Path(self.config.path).expanduser()
        return pattern if pattern.is_absolute() else self.base_dir / pattern

    def _guarded(
        self, path: Path, fmt: Format, start: datetime | None, end: datetime | None
    ) -> Iterator[pd.DataFrame]:
        try:
            if fmt == "parquet":
                yield from self._read_parquet(path, start, end)
            else:
                yield from self._read_text(path, fmt, start, end)
        except SourceError:
            raise
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise SourceError(f"cannot read {fmt} file '{path}': {_first_line(exc)}") from exc

    def _datasets(
        self, start: datetime | None, end: datetime | None
    ) -> list[tuple[ds.Dataset, ds.Expression | None]]:
        if self.config.partitioning == "hive":
            path = self._pattern()
            if not path.is_dir():
                raise SourceError(f"a hive-partitioned dataset is a folder; '{path}' is not one")
            datasets = [ds.dataset(path, format="parquet", partitioning="hive")]
        else:
            datasets = [ds.dataset(p, format="parquet") for p in self.files()
                        if (detect_format(p) if self.config.format == "auto"
                            else self.config.format) == "parquet"]
        return [(d, self._pushdown(d, start, end)) for d in datasets]

    def _read_parquet(
        self, path: Path, start: datetime | None, end: datetime | None
    ) -> Iterator[pd.DataFrame]:
        partitioned = self.config.partitioning == "hive"
        dataset = (ds.dataset(path, format="parquet", partitioning="hive") if partitioned
                   else ds.dataset(path, format="parquet"))
        pushdown = self._pushdown(dataset, start, end)
        exact = pushdown is not None and self._timestamp_pushed(dataset, start, end)
        for fragment in dataset.get_fragments(filter=pushdown):
            groups = fragment.split_by_row_group(filter=pushdown, schema=dataset.schema)
            for batch in group_batches(fragment, groups, dataset.schema, pushdown,
                                       self.config.chunk_size):  # bounded within a group
                if batch.num_rows == 0:
                    continue
                frame = batch.to_pandas(split_blocks=True).drop(  # no 2-D block copy
                    columns=list(self.config.partitions), errors="ignore")
                frame = self._kept(frame, path) if exact else self._window(
                    frame, start, end, path)
                if len(frame):
                    yield frame

    def _pushdown(
        self, dataset: ds.Dataset, start: datetime | None, end: datetime | None
    ) -> ds.Expression | None:
        """The window as a dataset filter: on the timestamp column and the time partitions."""
        column = self.config.timestamp
        if column is None or (start is None and end is None):
            return None
        self._require_column(column, dataset.schema.names, self._pattern())
        parts = []
        if self._timestamp_pushed(dataset, start, end):
            parts.append(_arrow_window_filter(column, dataset.schema.field(column).type,
                                              start, end))
        if self.config.partitions and start is not None and end is not None:
            parts += _partition_filters(dataset.schema, partition_values(
                start, end, self.config.partitions))
        if not parts:
            return None
        expression = parts[0]
        for part in parts[1:]:
            expression = expression & part
        return expression

    def _timestamp_pushed(
        self, dataset: ds.Dataset, start: datetime | None, end: datetime | None
    ) -> bool:
        column = self.config.timestamp
        return (column is not None and (start is not None or end is not None)
                and column in dataset.schema.names
                and pa.types.is_timestamp(dataset.schema.field(column).type))

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

    def _kept(self, frame: pd.DataFrame, path: Path) -> pd.DataFrame:
        """Count the rows of a chunk the storage already filtered to the window."""
        column = self.config.timestamp or ""
        stamps = to_utc(frame[column])
        newest = stamps.max() if len(stamps) else None
        self.counter.add(rows=len(frame),
                         newest=None if newest is None or pd.isna(newest)
                         else newest.to_pydatetime(warn=False))
        return frame

    def _window(
        self, frame: pd.DataFrame, start: datetime | None, end: datetime | None, path: Path
    ) -> pd.DataFrame:
        column = self.config.timestamp
        if column is None or (start is None and end is None):
            self.counter.add(rows=len(frame))
            return frame
        self._require_column(column, list(frame.columns), path)
        return filter_window(frame, column, start, end, where=f"'{path}'", counter=self.counter)

    @staticmethod
    def _require_column(column: str, names: list[str], path: Path) -> None:
        if column not in names:
            shown = ", ".join(map(str, names[:20])) + (" ..." if len(names) > 20 else "")
            raise SourceError(
                f"timestamp column '{column}' is not in '{path}' (its columns: {shown}); "
                "fix source.timestamp"
            )


def _partition_filters(
    schema: pa.Schema, values: dict[str, list[str]] | None
) -> list[ds.Expression]:
    """``key in (values)`` per time partition key, in the key's own type."""
    if values is None:
        return []
    filters = []
    for key, found in values.items():
        if key not in schema.names:
            raise SourceError(f"partition key '{key}' (source.partitions) is not in the "
                              f"dataset; its fields: {', '.join(schema.names)}")
        try:
            typed = pa.array(found).cast(schema.field(key).type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise SourceError(f"partition key '{key}' holds {schema.field(key).type} values, "
                              f"which '{found[0]}' is not: fix its format in source.partitions"
                              ) from exc
        filters.append(pc.field(key).isin(typed))
    return filters


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


def profile_file(
    path: Path, *, categorical: list[str], exclude: list[str], fmt: str = "auto",
    kinds: dict[str, str] | None = None, segments: list[str] | None = None, **options: Any,
) -> Profile:
    """Profile a CSV, Parquet or JSONL file (or glob), chunk by chunk: a reference, usually.

    ``options`` are more of ``ProfileBuilder``'s (such as the performance estimator's).
    """
    source = FileSource(FileSource.Config(path=str(path), format=fmt))  # type: ignore[arg-type]
    return build_profile(source.read(), categorical=categorical, exclude=exclude, kinds=kinds,
                         segments=segments or (), **options)
