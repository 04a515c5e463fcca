"""The ``spark`` source kind: a table or a path of a data lake, read through Spark.

Its windows are profiled on the cluster (``profile_window``: a partial
profile per partition, merged in a tree, see ``partials``) and so are its
quality checks (``check_window``, see ``checks``): only the merged results
reach the driver. The window is a ``where`` on the timestamp column, which
Spark pushes into the scan (Parquet row groups outside it are skipped), and
with ``date_partition`` also on the partition column that holds each row's
date, so only the partitions the window covers are listed and read.
``read`` streams the rows in bounded pandas chunks, for the monitors that
read rows (segments, labels).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
from pydantic import Field, model_validator

from monitor.checks import CheckPlan, QualityResult
from monitor.errors import SourceError
from monitor.profiles import Profile
from monitor.sources.base import ProfileRequest, Source, SourceConfig
from monitor.sources.spark.partials import (
    CHUNK_ROWS,
    arrow_chunks,
    profile_on_cluster,
    to_pandas,
)
from monitor.sources.spark.session import spark_session

__all__ = ["SparkSource", "load_frame"]

_TIME_TYPES = ("TimestampType", "TimestampNTZType", "DateType")


class SparkSource(Source):
    """Reads a Spark table, or Parquet, Delta or ORC files, window by window."""

    class Config(SourceConfig):
        """The ``source:`` block of a Spark source."""

        type: Literal["spark"] = "spark"
        table: str | None = Field(default=None, description="a table of the catalog: "
                                  "db.predictions")
        path: str | None = Field(default=None, description="files or a folder (s3a://, "
                                 "hdfs://, or a local path relative to the rule file)")
        format: Literal["parquet", "delta", "orc"] | None = Field(
            default=None, description="the files' format, with path (default parquet)")
        date_partition: str | None = Field(
            default=None, description="a partition column holding each row's UTC date "
            "(a date, or text YYYY-MM-DD): windows read only the partitions they cover")
        chunk_size: int = Field(default=CHUNK_ROWS, gt=0,
                                description="rows per pandas chunk, on the executors and "
                                "when rows are read")
        spark: dict[str, str] = Field(default={}, description="Spark configuration for the "
                                      "session, such as {spark.executor.memory: 4g}")

        @model_validator(mode="after")
        def _table_or_path(self) -> SparkSource.Config:
            if (self.table is None) == (self.path is None):
                raise ValueError("give exactly one of 'table' or 'path'")
            if self.format is not None and self.path is None:
                raise ValueError("'format' goes with 'path'; a table knows its own format")
            if self.timestamp is None:
                raise ValueError("a spark source needs 'timestamp': the column that dates "
                                 "each row")
            return self

    config: Config

    def describe(self) -> str:
        """The table, or the path and its format."""
        if self.config.table is not None:
            return f"spark table {self.config.table}"
        return f"spark {self.config.format or 'parquet'} {self.config.path}"

    def session(self) -> Any:
        """The process's SparkSession (started on first use)."""
        return spark_session(self.config.spark)

    def frame(self, start: datetime | None = None, end: datetime | None = None) -> Any:
        """The rows of ``[start, end)`` as a Spark DataFrame (every row without bounds)."""
        session = self.session()  # first: it says what to install when PySpark is not there
        from pyspark.sql import functions as F

        frame = load_frame(session, self.config.table,
                           None if self.config.path is None else self._location(),
                           self.config.format)
        column = self._time_column(frame)
        if start is not None:
            frame = frame.where(F.col(column) >= F.lit(start.astimezone(UTC)))
        if end is not None:
            frame = frame.where(F.col(column) < F.lit(end.astimezone(UTC)))
        if self.config.date_partition and start is not None and end is not None:
            frame = frame.where(self._date_filter(frame, start, end))
        return frame

    def read(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[pd.DataFrame]:
        """Yield the window's rows in chunks of at most ``chunk_size`` rows.

        Spark brings them one partition at a time (``toLocalIterator``), each
        chunk as Arrow: the driver holds one partition's rows at most.
        """
        self.counter.reset()
        frame = self.frame(start, end)
        chunks = frame.mapInArrow(partial(_ipc_chunks, self.config.chunk_size), "chunk binary")
        for row in chunks.toLocalIterator():
            chunk = to_pandas(pa.ipc.open_stream(io.BytesIO(bytes(row[0]))).read_all().to_batches())
            self.counter.add(rows=len(chunk))
            yield chunk

    def profile_window(
        self, start: datetime, end: datetime, request: ProfileRequest
    ) -> Profile | None:
        """The window's profile, computed on the cluster (see ``partials``)."""
        self.counter.reset()
        frame = self.frame(start, end)
        dropped = [name for name in frame.columns if name in set(request.exclude)]
        options = {"exclude": request.exclude, "sample_size": request.sample_size,
                   "top_k": request.top_k, "joint_sample_size": request.joint_sample_size}
        profile = profile_on_cluster(frame.drop(*dropped), request.reference, options,
                                     self.config.chunk_size)
        self.counter.add(rows=profile.rows)
        return profile

    def check_window(
        self, start: datetime, end: datetime, plan: CheckPlan, kinds: Mapping[str, str]
    ) -> list[QualityResult] | None:
        """The window's quality checks, computed on the cluster (see ``checks``)."""
        from monitor.sources.spark.checks import check_on_cluster

        return check_on_cluster(self.frame(start, end), plan, kinds, self.config.chunk_size)

    def newest(self, now: datetime, within: timedelta) -> datetime | None:
        """The latest timestamp in ``[now - within, now]``: a ``max`` on the cluster."""
        from pyspark.sql import functions as F

        frame = self.frame(now - within, now + timedelta(microseconds=1))
        value = frame.agg(F.max(self._time_column(frame))).first()[0]
        return _as_utc(value)

    def count_rows(self, start: datetime, end: datetime) -> int | None:
        """Rows in ``[start, end)``, counted on the cluster."""
        return int(self.frame(start, end).count())

    def _location(self) -> str:
        path = self.config.path or ""
        if "://" in path or Path(path).is_absolute():
            return path
        return str(self.base_dir / path)

    def _time_column(self, frame: Any) -> str:
        column = self.config.timestamp or ""
        fields = {field.name: field for field in frame.schema.fields}
        if column not in fields:
            shown = ", ".join(list(fields)[:20]) + (" ..." if len(fields) > 20 else "")
            raise SourceError(f"{self.describe()}: timestamp column '{column}' is not among "
                              f"its columns ({shown}); fix source.timestamp")
        kind = type(fields[column].dataType).__name__
        if kind not in _TIME_TYPES:
            raise SourceError(f"{self.describe()}: timestamp column '{column}' is "
                              f"{fields[column].dataType.simpleString()}, not a time: name a "
                              "timestamp column in source.timestamp")
        return column

    def _date_filter(self, frame: Any, start: datetime, end: datetime) -> Any:
        from pyspark.sql import functions as F

        name = self.config.date_partition or ""
        fields = {field.name: field for field in frame.schema.fields}
        if name not in fields:
            raise SourceError(f"{self.describe()}: date_partition '{name}' is not among its "
                              f"columns ({', '.join(list(fields)[:20])})")
        first = start.astimezone(UTC).date()
        last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
        dated = type(fields[name].dataType).__name__ == "DateType"
        low: dt.date | str = first if dated else first.isoformat()
        high: dt.date | str = last if dated else last.isoformat()
        return F.col(name).between(F.lit(low), F.lit(high))


def load_frame(session: Any, table: str | None, path: str | None, fmt: str | None) -> Any:
    """A catalog table, or the files at ``path`` in format ``fmt`` (default Parquet), as a
    DataFrame; a SourceError naming it when Spark cannot find or read it."""
    from pyspark.errors import AnalysisException

    try:
        if table is not None:
            return session.table(table)
        return session.read.format(fmt or "parquet").load(path)
    except AnalysisException as exc:
        what = f"table '{table}'" if table is not None else f"{fmt or 'parquet'} path '{path}'"
        raise SourceError(f"spark: {what} cannot be read: {_first_line(exc)}") from exc


def _ipc_chunks(rows: int, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """A partition's rows as Arrow IPC streams of at most ``rows`` rows, one per output row."""
    for chunk in arrow_chunks(batches, rows):
        table = pa.Table.from_pandas(chunk, preserve_index=False)
        for piece in table.to_batches(max_chunksize=rows):
            sink = io.BytesIO()
            with pa.ipc.new_stream(sink, piece.schema) as writer:
                writer.write_batch(piece)
            yield pa.RecordBatch.from_pydict({"chunk": [sink.getvalue()]},
                                             schema=pa.schema([("chunk", pa.binary())]))


def _as_utc(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, dt.date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]

