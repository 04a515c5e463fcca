"""Each database's SQL particulars, one class per database, all behind one Protocol.

``dialect_for(name)`` gives the class of a SQLAlchemy dialect name the push-down knows
(``postgresql``, ``sqlite``, ``mysql``/``mariadb``, ``duckdb``), or None: a table on any
other database is read as rows. ``of(name)`` never fails: an unknown name gets
``Portable`` (standard SQL), which is what compiling for another database shows.

Everything that differs between databases is answered by the class (see each module's
docstring); the push-down modules ask, never test a dialect's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

import numpy as np
import sqlalchemy as sa

from monitor.sources.pushdown.dialects.base import Family, Portable, Unpushable
from monitor.sources.pushdown.dialects.duckdb import DuckDB
from monitor.sources.pushdown.dialects.mysql import MySQL
from monitor.sources.pushdown.dialects.postgresql import PostgreSQL
from monitor.sources.pushdown.dialects.sqlite import SQLite

__all__ = ["DIALECTS", "Family", "Portable", "PushdownDialect", "Unpushable", "dialect_for",
           "of"]


class PushdownDialect(Protocol):
    """What the push-down asks of a database (``Portable`` documents each member)."""

    name: str
    keeps_nan: bool
    keeps_infinity: bool
    native_moments: bool
    packed_histogram: bool
    text_in_numbers: bool
    times_as_text: bool
    two_pass_spread: bool
    folds_text: bool

    def connect_args(self, query: Mapping[str, Any], timeout: float) -> dict[str, Any]: ...
    def prepare(self, conn: sa.Connection, *, snapshot: bool,
                timeout: float | None) -> sa.Connection: ...
    def time_column_ok(self, sql_type: sa.types.TypeEngine[Any]) -> bool: ...
    def bind_window(self, value: datetime,
                    column: sa.ColumnElement[Any] | None = None) -> datetime: ...
    def reflect(self, conn: sa.Connection, name: str, schema: str | None) -> sa.Table: ...
    def as_double(self, value: sa.ColumnElement[Any]) -> sa.ColumnElement[float]: ...
    def profile_number(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[float]: ...
    def number_value(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]: ...
    def wrong_type(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool] | None: ...
    def nan_value(self, value: sa.ColumnElement[Any],
                  kind: Family) -> sa.ColumnElement[Any] | None: ...
    def no_nan(self, value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]: ...
    def exact(self, value: sa.ColumnElement[Any], kind: Family) -> sa.ColumnElement[Any]: ...
    def plain(self, value: Any) -> Any: ...
    def bind_time(self, value: object, column: sa.ColumnElement[Any]) -> datetime: ...
    def count_where(self, condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]: ...
    def aggregate_where(self, aggregate: Callable[[Any], Any], value: sa.ColumnElement[Any],
                        condition: sa.ColumnElement[bool] | None) -> Any: ...
    def percentile_kind(
        self, dialect: sa.engine.Dialect) -> Literal["aggregate", "window"] | None: ...
    def count_fine(self, conn: sa.Connection, table: sa.FromClause,
                   where: sa.ColumnElement[bool], params: dict[str, Any],
                   values: Sequence[sa.ColumnElement[float]],
                   edges: Sequence[np.ndarray]) -> list[np.ndarray] | None: ...
    def random_below(self, share: float) -> sa.ColumnElement[bool]: ...
    def random_order(self) -> sa.ColumnElement[Any]: ...
    def seed(self, conn: sa.Connection) -> None: ...
    def translate(self, pattern: str, dialect: sa.engine.Dialect) -> str: ...
    def search(self, value: sa.ColumnElement[Any], pattern: str,
               dialect: sa.engine.Dialect) -> sa.ColumnElement[bool]: ...
    def validate(self, conn: sa.Connection, pattern: str) -> None: ...


DIALECTS: dict[str, PushdownDialect] = {
    "postgresql": PostgreSQL(), "sqlite": SQLite(), "mysql": MySQL(), "mariadb": MySQL(),
    "duckdb": DuckDB(),
}
"""The databases windows are profiled and checked in, by SQLAlchemy dialect name."""

_PORTABLE = Portable()


def dialect_for(name: str) -> PushdownDialect | None:
    """The class of a known database, or None (its tables are read as rows)."""
    return DIALECTS.get(name)


def of(dialect: str | sa.engine.Dialect) -> PushdownDialect:
    """The class of a database by name or SQLAlchemy dialect; ``Portable`` when unknown."""
    name = dialect if isinstance(dialect, str) else dialect.name
    return DIALECTS.get(name, _PORTABLE)
