"""The rows ``monitor init`` looks at: a bounded sample of a file, a set of files or a table.

Files are read through the file source (so whatever a monitor can read,
init can), newest files first, until the sample holds enough rows; of each
file its last rows are kept. A table gives its newest rows by its time
column (``ORDER BY ... DESC LIMIT``), or any rows when it has none. Each
sample says how a monitor reads the same data again: its ``source:`` block.
"""

from __future__ import annotations

import glob
import os
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from monitor.errors import SourceError
from monitor.rules.inference import named_like_time, time_name_rank
from monitor.sources.files import FileSource, detect_format

__all__ = ["SAMPLE_ROWS", "Sample", "is_database_url", "read_file_sample", "read_table_sample"]

SAMPLE_ROWS = 100_000
"""Rows a sample holds at most: enough to tell kinds, rates and rare categories apart."""
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_HIVE_KEY = re.compile(r"[^=/\\]+=[^/\\]*")
_DATA_SUFFIXES = (".parquet", ".pq", ".csv", ".jsonl", ".ndjson", ".json")
_CONNECT_TIMEOUT = 10


@dataclass(frozen=True, slots=True)
class Sample:
    """Rows of the data, and how a monitor reads that data.

    Attributes:
        frame: the rows (at most ``SAMPLE_ROWS``).
        described: the data as the operator knows it (a path, or a URL without
            its password and the table).
        source: the ``source:`` block without its timestamp; a file source's
            ``path`` is absolute here.
        single_file: the file, when the data is one file (it can be its own reference).
        excluded: columns to leave out whatever they hold, with the reason.
        text_times: whether text that reads as times may date the rows.
        name: a monitor name the data suggests.
    """

    frame: pd.DataFrame
    described: str
    source: dict[str, Any]
    single_file: Path | None = None
    excluded: dict[str, str] = field(default_factory=dict)
    text_times: bool = True
    name: str = "monitor"


def is_database_url(data: str) -> bool:
    """Whether DATA names a database (``postgresql+psycopg://...``, ``sqlite:///f.db``)."""
    return _URL.match(data) is not None


def read_file_sample(data: str, limit: int = SAMPLE_ROWS) -> Sample:
    """The last rows of a file, a glob of files or a folder (a hive-partitioned dataset too)."""
    path = Path(data).expanduser()
    absolute = Path(os.path.abspath(path))
    if glob.has_magic(data):
        files = FileSource(FileSource.Config(path=str(absolute))).files()
        name = _stem(absolute.parent) if glob.has_magic(absolute.name) else _stem(absolute)
        frame = _newest_files(files, limit)
        return _sample(frame, data, {"type": "file", "path": str(absolute)}, name=name)
    if absolute.is_dir():
        return _folder_sample(absolute, data, limit)
    if not absolute.exists():
        raise SourceError(f"file not found: '{data}' (looked for {absolute})")
    _check_format(absolute, data)
    frame = _tail(_read(FileSource.Config(path=str(absolute))), limit)
    return _sample(frame, data, {"type": "file", "path": str(absolute)}, name=_stem(absolute),
                   single_file=absolute)


def _folder_sample(folder: Path, data: str, limit: int) -> Sample:
    """A hive-partitioned dataset (``key=value`` folders), or the data files under a folder."""
    keys = sorted({p.name.split("=", 1)[0] for p in folder.rglob("*")
                   if p.is_dir() and _HIVE_KEY.fullmatch(p.name)})
    if keys:
        config = FileSource.Config(path=str(folder), partitioning="hive")
        excluded = {key: "a partition key of the dataset's folders, not a column of its "
                    "rows" for key in keys}
        return _sample(_tail(_read(config), limit), data,
                       {"type": "file", "path": str(folder), "partitioning": "hive"},
                       name=_stem(folder), excluded=excluded)
    found = sorted(p for p in folder.rglob("*") if p.is_file()
                   and p.suffix.lower() in _DATA_SUFFIXES and not p.name.startswith("."))
    if not found:
        raise SourceError(f"folder '{data}' holds no CSV, Parquet or JSON Lines file")
    suffixes = [p.suffix.lower() for p in found]
    suffix = max(dict.fromkeys(suffixes), key=suffixes.count)
    nested = any(p.parent != folder for p in found if p.suffix.lower() == suffix)
    pattern = folder / ("**" if nested else "") / f"*{suffix}"
    files = FileSource(FileSource.Config(path=str(pattern))).files()
    return _sample(_newest_files(files, limit), data, {"type": "file", "path": str(pattern)},
                   name=_stem(folder))


def _newest_files(files: list[Path], limit: int) -> pd.DataFrame:
    """The last ``limit`` rows of the files, in name order, reading the newest files only."""
    frames: deque[pd.DataFrame] = deque()
    held = 0
    for path in reversed(files):
        _check_format(path, str(path))
        frame = _tail(_read(FileSource.Config(path=str(path))), limit - held)
        frames.appendleft(frame)
        held += len(frame)
        if held >= limit:
            break
    return pd.concat(list(frames), ignore_index=True) if frames else pd.DataFrame()


def _check_format(path: Path, data: str) -> None:
    """A file the source can read by its name, or an error saying which names it reads."""
    try:
        detect_format(path)
    except SourceError:
        raise SourceError(f"cannot tell the format of '{data}' from its name: init reads "
                          "CSV (.csv), Parquet (.parquet, .pq) and JSON Lines (.jsonl, "
                          ".ndjson, .json) files, compressed too (.csv.gz)") from None


def _read(config: FileSource.Config) -> Iterable[pd.DataFrame]:
    return FileSource(config).read()


def _tail(chunks: Iterable[pd.DataFrame], limit: int) -> pd.DataFrame:
    """The last ``limit`` rows of a stream of chunks, holding little more than that."""
    kept: deque[pd.DataFrame] = deque()
    held = 0
    columns: pd.Index | None = None
    for chunk in chunks:
        columns = chunk.columns if columns is None else columns
        kept.append(chunk)
        held += len(chunk)
        while kept and held - len(kept[0]) >= limit:
            held -= len(kept.popleft())
    if not kept:
        return pd.DataFrame(columns=columns)
    return pd.concat(list(kept), ignore_index=True).tail(limit).reset_index(drop=True)


def _sample(frame: pd.DataFrame, data: str, source: dict[str, Any], **more: Any) -> Sample:
    if len(frame) == 0:
        raise SourceError(f"'{data}' holds no rows: a first monitor is drafted from the "
                          "data's rows; give data with some")
    return Sample(frame=frame, described=data, source=source, **more)


def _stem(path: Path) -> str:
    """A file's name without its suffixes (``logs.csv.gz`` → ``logs``)."""
    return path.name.split(".", 1)[0] if not path.name.startswith(".") else path.name


def read_table_sample(
    url: str, table: str, timestamp: str | None, limit: int = SAMPLE_ROWS
) -> Sample:
    """The newest rows of a table (by ``timestamp``, or the column most like a log time)."""
    import sqlalchemy as sa  # late: only a table needs the database driver
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchTableError, SQLAlchemyError

    from monitor.sources import engines
    from monitor.sources.sql import safe_url

    try:
        parsed = make_url(url)
        connect_args = ({"connect_timeout": _CONNECT_TIMEOUT}
                        if parsed.get_backend_name() == "postgresql" else {})
        engine = engines.engine_for(parsed, connect_args)  # names a driver not installed
    except (ArgumentError, ImportError, ValueError) as exc:
        raise SourceError(f"bad database URL {safe_url(url)}: {exc}") from exc
    schema, _, name = table.rpartition(".")
    try:
        with engine.connect() as conn:
            try:
                reflected = sa.Table(name, sa.MetaData(), schema=schema or None,
                                     autoload_with=conn)
            except NoSuchTableError:
                known = sa.inspect(conn).get_table_names(schema=schema or None)
                raise SourceError(f"table '{table}' not found in {safe_url(url)} (its tables: "
                                  f"{', '.join(known[:20]) or 'none'})") from None
            newest = _order_column(reflected, timestamp)
            statement = sa.select(reflected).limit(limit)
            if newest is not None:
                statement = statement.order_by(newest.desc())
            result = conn.execute(statement)
            frame = pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()),
                                              coerce_float=True)
            dialect = conn.dialect.name
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise SourceError(f"cannot read table '{table}' of {safe_url(url)}: {reason}") from exc
    except ValueError as exc:  # a stored value the driver cannot convert
        raise SourceError(f"cannot read table '{table}' of {safe_url(url)}: {exc}") from exc
    finally:
        engine.dispose()
    described = f"{safe_url(url)} table {table}"
    return _sample(frame.iloc[::-1].reset_index(drop=True), described,
                   {"type": "sql", "url": url, "table": table}, text_times=dialect == "sqlite",
                   name=name)


def _order_column(table: Any, timestamp: str | None) -> Any:
    """The column that orders rows newest first: the named one, a time type, a time name."""
    import sqlalchemy as sa

    columns = list(table.columns)
    if timestamp is not None:
        return next((c for c in columns if c.name == timestamp), None)
    timed = [c for c in columns if isinstance(c.type, sa.DateTime | sa.Date)]
    named = [c for c in columns if named_like_time(c.name)]
    candidates = timed or named
    return min(candidates, key=lambda c: time_name_rank(c.name)) if candidates else None
