"""SQL source: any database SQLAlchemy reaches, read in bounded chunks.

Either a table and its timestamp column (the window becomes a WHERE clause
built with SQLAlchemy Core), or a query with ``:start`` and ``:end`` bind
parameters. Values are always bound, never formatted into the SQL text.
Rows stream through a server-side cursor where the driver has one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, model_validator
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchTableError, SQLAlchemyError

from monitor.errors import SourceError
from monitor.sources.base import Source, SourceConfig
from monitor.sources.timestamps import filter_window

__all__ = ["SqlSource", "safe_url"]

_PARAMETER = re.compile(r"(?<![:\w]):(start|end)\b")


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
        engine = self._engine()
        try:
            with engine.connect() as conn:
                statement, params = self._statement(conn, start, end)
                streamed = conn.execution_options(stream_results=True,
                                                  max_row_buffer=self.config.chunk_size)
                result = streamed.execute(statement, params)
                names = list(result.keys())
                for rows in result.partitions(self.config.chunk_size):
                    frame = pd.DataFrame.from_records(rows, columns=names, coerce_float=True)
                    if self.config.query is not None and self.config.timestamp:
                        # A query's own WHERE may be looser than the window: enforce it.
                        frame = self._window(frame, start, end)
                    if len(frame):
                        yield frame
        except SourceError:
            raise
        except SQLAlchemyError as exc:
            raise SourceError(f"query on {self.describe()} failed: {_reason(exc)}") from exc
        finally:
            engine.dispose()

    def _engine(self) -> Engine:
        try:
            return sa.create_engine(self.config.url)
        except (ArgumentError, ImportError, ValueError) as exc:
            raise SourceError(f"bad database URL {safe_url(self.config.url)}: {exc}") from exc

    def _statement(
        self, conn: sa.Connection, start: datetime | None, end: datetime | None
    ) -> tuple[sa.Executable, dict[str, Any]]:
        naive = conn.dialect.name == "sqlite"  # SQLite compares timestamps as text, in UTC
        bounds = {k: _bind(v, naive) for k, v in (("start", start), ("end", end))}
        if self.config.query is not None:
            wanted = set(_PARAMETER.findall(self.config.query))
            return sa.text(self.config.query), {k: v for k, v in bounds.items() if k in wanted}
        table = self._table(conn)
        column = table.c.get(self.config.timestamp or "")
        if column is None:
            raise SourceError(
                f"timestamp column '{self.config.timestamp}' is not in table "
                f"'{self.config.table}' (its columns: {', '.join(table.c.keys())})"
            )
        select = sa.select(table)
        if start is not None:
            select = select.where(column >= sa.bindparam("start"))
        if end is not None:
            select = select.where(column < sa.bindparam("end"))
        return select.order_by(column), {k: v for k, v in bounds.items() if v is not None}

    def _table(self, conn: sa.Connection) -> sa.Table:
        name = self.config.table or ""
        schema, _, table = name.rpartition(".")
        try:
            return sa.Table(table, sa.MetaData(), schema=schema or None, autoload_with=conn)
        except NoSuchTableError as exc:
            raise SourceError(f"table '{name}' not found in {safe_url(self.config.url)}") from exc

    def _window(
        self, frame: pd.DataFrame, start: datetime | None, end: datetime | None
    ) -> pd.DataFrame:
        column = self.config.timestamp or ""
        if column not in frame.columns:
            raise SourceError(f"timestamp column '{column}' is not among the query's "
                              f"columns ({', '.join(map(str, frame.columns))})")
        return filter_window(frame, column, start, end, where=self.describe())


def _bind(value: datetime | None, naive: bool) -> datetime | None:
    if value is None or not naive:
        return value
    return value.replace(tzinfo=None)


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's first line, without the SQL statement and parameters echoed after it."""
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
