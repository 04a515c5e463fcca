"""SQL source: any database SQLAlchemy reaches, read in bounded chunks or profiled in place.

Either a table and its timestamp column (the window becomes a WHERE clause
built with SQLAlchemy Core), or a query with ``:start`` and ``:end`` bind
parameters. Values are always bound, never formatted into the SQL text.
Rows stream through a server-side cursor where the driver has one.

A table source on PostgreSQL, SQLite, MariaDB/MySQL or DuckDB profiles and
checks its windows inside the database by default (``profile_in_database``,
see ``monitor.sources.pushdown``): only aggregates and a bounded sample
travel. On any other database the rows are read, and the source says so once.
``timeout`` bounds every statement on PostgreSQL and MariaDB/MySQL, and the
connection attempt everywhere it can.
Engines and table reflections are shared process-wide
(``monitor.sources.engines``), not rebuilt for every window.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Literal, overload

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, model_validator
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    NoSuchModuleError,
    NoSuchTableError,
    SQLAlchemyError,
)

from monitor.checks import CheckPlan, QualityResult, SqlCheck
from monitor.errors import MonitorError, SourceError
from monitor.profiles import Profile
from monitor.sources import engines
from monitor.sources.base import ProfileRequest, Source, SourceConfig
from monitor.sources.pushdown import profile_table
from monitor.sources.pushdown.checks import check_table
from monitor.sources.pushdown.dialects import DIALECTS, dialect_for, of
from monitor.sources.pushdown.sqlcheck import run_sql_check
from monitor.sources.timestamps import filter_window, require_times

__all__ = ["PUSHDOWN_DIALECTS", "SqlSource", "safe_url"]

log = logging.getLogger(__name__)

_PARAMETER = re.compile(r"(?<![:\w]):(start|end)\b")
PUSHDOWN_DIALECTS = tuple(DIALECTS)
"""Databases (SQLAlchemy backend names) whose table windows are profiled and checked in
place; tables elsewhere are read as rows."""
_TOLD: set[str] = set()  # sources told once that their database reads rows
_DIALECT_EXTRAS = {"duckdb": "duckdb", "bigquery": "bigquery", "snowflake": "snowflake",
                   "databricks": "databricks"}
"""The extra that installs the SQLAlchemy dialect of a URL scheme SQLAlchemy lacks."""
_CONNECT_TIMEOUT = 10
# A driver may quote a whole value (400 digits, 10 MB of text): long words are cut, so the
# message keeps what it says about the value.
_LONGEST_REASON = 300
_LONG_WORD = re.compile(r"\S{80,}")


def safe_url(url: str) -> str:
    """The URL with its password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


class SqlSource(Source):
    """Reads a table or a query's rows from a database, window by window."""

    class Config(SourceConfig):
        """The ``source:`` block of a SQL source."""

        type: Literal["sql"] = "sql"
        url: str = Field(description="SQLAlchemy URL; write secrets as ${NAME}.")
        table: str | None = Field(default=None, description="table or schema.table")
        query: str | None = Field(default=None,
                                  description="SELECT with :start and :end parameters")
        chunk_size: int = Field(default=50_000, gt=0)
        profile_in_database: bool = Field(
            default=True, description="profile and check a table's windows inside the "
            "database (PostgreSQL, SQLite, MariaDB/MySQL, DuckDB); false reads the rows")
        timeout: float | None = Field(
            default=300.0, gt=0, description="seconds one statement may take (PostgreSQL, "
            "MariaDB/MySQL) before the run fails; null for no limit")

        @model_validator(mode="after")
        def _table_or_query(self) -> SqlSource.Config:
            if (self.table is None) == (self.query is None):
                raise ValueError("give exactly one of 'table' or 'query'")
            if self.table is not None and self.timestamp is None:
                raise ValueError("a table source needs 'timestamp': the column that "
                                 "dates each row")
            return self

    config: Config

    def describe(self) -> str:
        """Database (password hidden) and table, or 'query'."""
        what = self.config.table or "query"
        return f"{safe_url(self.config.url)} {what}"

    def read(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[pd.DataFrame]:
        """Yield the rows in ``[start, end)`` in chunks of ``chunk_size`` rows."""
        self.counter.reset()
        with self._connection() as conn:
            statement, params = self._statement(conn, start, end)
            streamed = conn.execution_options(stream_results=True,
                                              max_row_buffer=self.config.chunk_size)
            result = streamed.execute(statement, params)
            names = list(result.keys())
            for rows in result.partitions(self.config.chunk_size):
                frame = pd.DataFrame.from_records(rows, columns=names, coerce_float=True)
                if self.config.query is not None and self.config.timestamp:
                    # A query's own WHERE may be looser than the window: enforce it, and count.
                    frame = self._window(frame, start, end)
                else:
                    self.counter.add(rows=len(frame))
                if len(frame):
                    yield frame
        if self.config.query is not None and self.config.timestamp:
            require_times(self.counter.stats, self.config.timestamp, self.describe())

    def profile_window(
        self, start: datetime, end: datetime, request: ProfileRequest
    ) -> Profile | None:
        """The window's profile computed by the database (table sources), or None."""
        if not self._pushes_down():
            return None
        self.counter.reset()
        with self._connection(snapshot=True) as conn:
            table, column = self._table_and_column(conn)
            try:
                profile = profile_table(conn, table, column, _bind_time(conn, start, column),
                                        _bind_time(conn, end, column), request,
                                        chunk_size=self.config.chunk_size)
            except DataError as exc:
                # A value the aggregates cannot take (a NUMERIC beyond double precision):
                # the rows are read instead, where such a number is ±inf, as when pulled.
                log.warning("%s: cannot profile in the database (%s); reading the rows",
                            self.describe(), _reason(exc))
                return None
        self.counter.add(rows=profile.rows)
        return profile

    def check_window(
        self, start: datetime, end: datetime, plan: CheckPlan, kinds: Mapping[str, str]
    ) -> list[QualityResult] | None:
        """The window's checks computed by the database (table sources), or None (not a table,
        push-down off, unknown dialect); ``plan.sql`` runs through ``sql_check``."""
        if not self._pushes_down():
            return None
        with self._connection(snapshot=True) as conn:
            table, column = self._table_and_column(conn)
            try:
                return check_table(conn, table, column, _bind_time(conn, start, column),
                                   _bind_time(conn, end, column), plan, kinds,
                                   chunk_size=self.config.chunk_size)
            except DataError as exc:  # a value SQL cannot take (a NUMERIC beyond a double)
                log.warning("%s: cannot check in the database (%s); reading the rows",
                            self.describe(), _reason(exc))
                return None

    def sql_check(self, check: SqlCheck, start: datetime, end: datetime, *,
                  samples: bool = True) -> QualityResult:
        """Run one named ``sql:`` query with :start/:end bound to the window."""
        with self._connection(snapshot=True) as conn:
            return run_sql_check(conn, check, _bind_time(conn, start), _bind_time(conn, end),
                                 samples=samples)

    def newest(self, now: datetime, within: timedelta) -> datetime | None:
        """The latest timestamp at or before ``now``: an indexed ``max`` for a table."""
        if self.config.table is None:
            return super().newest(now, within)
        with self._connection() as conn:
            _table, column = self._table_and_column(conn)
            statement = sa.select(sa.func.max(column)).where(column <= sa.bindparam("now"))
            value = conn.execute(statement, {"now": _bind_time(conn, now, column)}).scalar()
        return _as_utc(value)

    def count_rows(self, start: datetime, end: datetime) -> int | None:
        """Rows of a table in ``[start, end)``, counted with the timestamp index."""
        if self.config.table is None:
            return None
        with self._connection() as conn:
            table, column = self._table_and_column(conn)
            statement = (sa.select(sa.func.count()).select_from(table)
                         .where(column >= sa.bindparam("start"), column < sa.bindparam("end")))
            return int(conn.execute(statement, _bounds(conn, start, end, column)).scalar() or 0)

    def _pushes_down(self) -> bool:
        """Whether this source's windows are profiled and checked in the database; a table
        on a database the push-down does not know says once that its rows are read."""
        if self.config.table is None or not self.config.profile_in_database:
            return False
        backend = _backend(self.config.url)
        if dialect_for(backend) is not None:
            return True
        key = self._key()
        if key not in _TOLD:
            _TOLD.add(key)
            log.info("%s: no push-down on %s (known: %s); its windows are read as rows",
                     self.describe(), backend, ", ".join(sorted(DIALECTS)))
        return False

    @contextmanager
    def _connection(self, *, snapshot: bool = False) -> Iterator[sa.Connection]:
        """A connection with the statement timeout set; SQL errors become SourceErrors."""
        engine = self._engine()
        try:
            with engine.connect() as conn:
                conn = of(conn.dialect).prepare(conn, snapshot=snapshot,
                                                timeout=self.config.timeout)
                yield conn
        except MonitorError:
            raise
        except SQLAlchemyError as exc:
            engines.forget_table(self._key())  # a changed table is reflected on the next try
            raise SourceError(f"query on {self.describe()} failed: {self._reason(exc)}") from exc

    def _engine(self) -> Engine:
        try:
            url = make_url(self.config.url)
            connect_args = of(url.get_backend_name()).connect_args(url.query, _CONNECT_TIMEOUT)
            return engines.engine_for(url, connect_args)
        except NoSuchModuleError as exc:  # the URL's dialect package is not installed
            extra = _DIALECT_EXTRAS.get(_backend(self.config.url))
            hint = f": pip install 'monitor[{extra}]'" if extra else ""
            raise SourceError(f"bad database URL {safe_url(self.config.url)}: {exc}{hint}"
                              ) from exc
        except (ArgumentError, ImportError, ValueError) as exc:
            raise SourceError(f"bad database URL {safe_url(self.config.url)}: {exc}") from exc

    def _statement(
        self, conn: sa.Connection, start: datetime | None, end: datetime | None
    ) -> tuple[sa.Executable, dict[str, Any]]:
        if self.config.query is not None:
            bounds = _bounds(conn, start, end)
            wanted = set(_PARAMETER.findall(self.config.query))
            return sa.text(self.config.query), {k: v for k, v in bounds.items() if k in wanted}
        table, column = self._table_and_column(conn)
        bounds = _bounds(conn, start, end, column)
        select = sa.select(table)
        if start is not None:
            select = select.where(column >= sa.bindparam("start"))
        if end is not None:
            select = select.where(column < sa.bindparam("end"))
        return select.order_by(column), {k: v for k, v in bounds.items() if v is not None}

    def _table_and_column(self, conn: sa.Connection) -> tuple[sa.Table, sa.Column[Any]]:
        table = self._table(conn)
        column = table.c.get(self.config.timestamp or "")
        if column is None:
            raise SourceError(
                f"timestamp column '{self.config.timestamp}' is not in table "
                f"'{self.config.table}' (its columns: {', '.join(table.c.keys())})"
            )
        _check_time_type(column, conn.dialect.name, self.config.table or "")
        return table, column

    def _table(self, conn: sa.Connection) -> sa.Table:
        name = self.config.table or ""
        schema, _, table = name.rpartition(".")

        def reflect() -> sa.Table:
            return of(conn.dialect).reflect(conn, table, schema or None)

        try:
            return engines.table_for(self._key(), reflect)
        except NoSuchTableError as exc:
            raise SourceError(f"table '{name}' not found in {safe_url(self.config.url)}") from exc

    def _key(self) -> str:
        """The source block as its reflection's key: a changed block reflects afresh."""
        return self.config.model_dump_json()

    def _window(
        self, frame: pd.DataFrame, start: datetime | None, end: datetime | None
    ) -> pd.DataFrame:
        column = self.config.timestamp or ""
        if column not in frame.columns:
            raise SourceError(f"timestamp column '{column}' is not among the query's "
                              f"columns ({', '.join(map(str, frame.columns))})")
        return filter_window(frame, column, start, end, where=self.describe(),
                             counter=self.counter)

    def _reason(self, exc: SQLAlchemyError) -> str:
        text = _reason(exc)
        if any(word in text for word in ("statement timeout", "max_statement_time",
                                         "max_execution_time")):
            text += f" (source.timeout is {self.config.timeout:g} s)"
        return text


def _check_time_type(column: sa.Column[Any], dialect: str, table: str) -> None:
    """A table's timestamp column must hold times (SQLite also keeps them as text)."""
    sql_type = column.type
    if of(dialect).time_column_ok(sql_type):
        return
    raise SourceError(
        f"timestamp column '{column.name}' of table '{table}' is {sql_type}, not a time: "
        "name a timestamp column in source.timestamp, or convert it with a query source"
    )


def _bounds(
    conn: sa.Connection, start: datetime | None, end: datetime | None,
    column: sa.ColumnElement[Any] | None = None,
) -> dict[str, datetime | None]:
    """The window bounds as the database compares them."""
    return {"start": _bind_time(conn, start, column), "end": _bind_time(conn, end, column)}


@overload
def _bind_time(conn: sa.Connection, value: datetime,
               column: sa.ColumnElement[Any] | None = None) -> datetime: ...
@overload
def _bind_time(conn: sa.Connection, value: None,
               column: sa.ColumnElement[Any] | None = None) -> None: ...
def _bind_time(conn: sa.Connection, value: datetime | None,
               column: sa.ColumnElement[Any] | None = None) -> datetime | None:
    """A time as the database compares it with ``column``: naive UTC where it keeps no zone
    (SQLite, which keeps text; MariaDB's DATETIME), as given elsewhere."""
    if value is None:
        return None
    return of(conn.dialect).bind_window(value, column)


def _as_utc(value: object) -> datetime | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value) if not isinstance(value, str) else pd.to_datetime(
        value, utc=True, errors="coerce")
    if pd.isna(stamp):
        return None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    moment: datetime = stamp.to_pydatetime(warn=False)
    return moment


def _backend(url: str) -> str:
    try:
        return make_url(url).get_backend_name()
    except ArgumentError:
        return "unknown"


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's first line, without the SQL statement and parameters echoed after it."""
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    line = _LONG_WORD.sub(lambda word: word.group()[:40] + "…", line)
    return line if len(line) <= _LONGEST_REASON else line[:_LONGEST_REASON] + "…"
