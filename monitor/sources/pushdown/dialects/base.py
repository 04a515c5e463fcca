"""The SQL most databases read alike: what a dialect class starts from and overrides.

``Portable`` answers every question of ``monitor.sources.pushdown.dialects.PushdownDialect``
with standard SQL (``CASE`` inside aggregates rather than ``FILTER``, ``CAST`` to a double,
no NaN, no percentile, no regular expressions, rows streamed for the fine histograms).
Each known database subclasses it and overrides only where it differs, so one file per
database says everything that is particular to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from monitor.sources.pushdown.unpushable import Unpushable

__all__ = ["Family", "FilterAggregates", "Portable", "Unpushable", "finite"]

Family = Literal["integer", "float", "text", "boolean", "time", "other"]
_INF = float("inf")


def finite(value: sa.ColumnElement[float]) -> sa.ColumnElement[bool]:
    """Neither infinite nor NaN (NaN compares above every number where it is kept)."""
    return sa.and_(value > sa.literal(-_INF, sa.Double()), value < sa.literal(_INF, sa.Double()))


class Portable:
    """Standard SQL; every other dialect class derives from it."""

    name = "portable"
    keeps_nan = False
    """Float columns may hold NaN (read as missing)."""
    keeps_infinity = False
    """Float columns may hold ±inf."""
    native_moments = False
    """``avg`` and ``var_pop`` share one precise accumulator (else shifted sums)."""
    packed_histogram = False
    """``width_bucket`` against an array, summed into one exact ``NUMERIC``."""
    text_in_numbers = False
    """A numeric column may hold text (SQLite)."""
    times_as_text = False
    """Times may be kept as text, which the checks do not compare (SQLite)."""
    two_pass_spread = False
    """No ``stddev_samp``: the spread takes a second pass around the mean."""
    folds_text = False
    """Text equality ignores case or trailing spaces (collations): compare ``exact`` text."""

    # -- connections and windows -------------------------------------------------------------
    def connect_args(self, query: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """Driver arguments bounding the connection attempt, where the driver takes one."""
        return {}

    def prepare(self, conn: sa.Connection, *, snapshot: bool,
                timeout: float | None) -> sa.Connection:
        """The connection set up for one source's statements (isolation, time limit)."""
        return conn

    def time_column_ok(self, sql_type: sa.types.TypeEngine[Any]) -> bool:
        """Whether a table's timestamp column of this type holds times."""
        return isinstance(sql_type, sa.DateTime | sa.Date)

    def bind_window(self, value: datetime, column: sa.ColumnElement[Any] | None = None,
                    ) -> datetime:
        """A window bound as the database compares it with the timestamp column."""
        return value

    def reflect(self, conn: sa.Connection, name: str, schema: str | None) -> sa.Table:
        """The table's columns and types, read from the catalogue."""
        return sa.Table(name, sa.MetaData(), schema=schema, autoload_with=conn)

    # -- values --------------------------------------------------------------------------------
    def as_double(self, value: sa.ColumnElement[Any]) -> sa.ColumnElement[float]:
        """``value`` as a double, so integer arithmetic and averages are not rounded."""
        return sa.cast(value, sa.Double())

    def profile_number(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[float]:
        """A numeric column read as a double, as the driver's values are read once pulled."""
        return self.as_double(self.number_value(column))

    def number_value(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """A numeric column's numbers as the driver hands them over."""
        return column

    def wrong_type(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool] | None:
        """Values a numeric column holds that are no number (None: it holds none)."""
        return None

    def nan_value(self, value: sa.ColumnElement[Any], kind: Family) -> sa.ColumnElement[Any] | None:
        """NaN in the column's type, or None when the column cannot hold one."""
        if kind != "float" or not self.keeps_nan:
            return None
        return sa.literal(float("nan"), sa.Double())

    def no_nan(self, value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """NaN read as null, where the database keeps NaN."""
        if not self.keeps_nan:
            return value
        return sa.func.nullif(value, sa.literal(float("nan"), sa.Double()), type_=value.type)

    def exact(self, value: sa.ColumnElement[Any], kind: Family) -> sa.ColumnElement[Any]:
        """Text compared character by character, in code point order, as Python compares it."""
        return value

    def plain(self, value: Any) -> Any:
        """A grouped or compared value back as the driver hands it over when pulled."""
        return value

    def bind_time(self, value: object, column: sa.ColumnElement[Any]) -> datetime:
        """An ISO time (naive is UTC) as the database compares it with ``column``.

        Raises ValueError when it is not the text of a time.
        """
        if not isinstance(value, str) or _is_number(value):  # as readers.read_datetimes reads
            raise ValueError(f"{value!r} is not the text of a time")
        stamp = pd.to_datetime(pd.Series([value]), errors="coerce", utc=True, format="mixed")[0]
        if pd.isna(stamp):
            raise ValueError(f"{value!r} is not a time")
        moment: datetime = stamp.to_pydatetime(warn=False)
        return self.zoned(moment, column)

    def zoned(self, moment: datetime, column: sa.ColumnElement[Any]) -> datetime:
        """A UTC moment as compared with a time column: naive UTC unless told otherwise."""
        return moment.astimezone(UTC).replace(tzinfo=None)

    # -- aggregates ----------------------------------------------------------------------------
    def count_where(self, condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        """The rows of the window where ``condition`` holds."""
        return sa.func.count(sa.case((condition, 1)))

    def aggregate_where(self, aggregate: Callable[[Any], Any], value: sa.ColumnElement[Any],
                        condition: sa.ColumnElement[bool] | None) -> Any:
        """``aggregate(value)`` over the rows where ``condition`` holds (all when None)."""
        if condition is None:
            return aggregate(value)
        return aggregate(sa.case((condition, value)))

    def percentile_kind(self, dialect: sa.engine.Dialect) -> Literal["aggregate", "window"] | None:
        """How the database computes a linear-interpolation quantile, if it can."""
        return None

    def count_fine(self, conn: sa.Connection, table: sa.FromClause,
                   where: sa.ColumnElement[bool], params: dict[str, Any],
                   values: Sequence[sa.ColumnElement[float]],
                   edges: Sequence[np.ndarray]) -> list[np.ndarray] | None:
        """Counts of each value on its fine edges (``searchsorted`` on the right) computed in
        the database, or None: the caller streams the values and counts them."""
        return None

    # -- samples -------------------------------------------------------------------------------
    def random_below(self, share: float) -> sa.ColumnElement[bool]:
        """A condition true for about ``share`` of the rows, drawn per row."""
        return sa.func.random() < sa.literal(share, sa.Double())

    def random_order(self) -> sa.ColumnElement[Any]:
        """A random sort key per row."""
        return sa.func.random()

    def seed(self, conn: sa.Connection) -> None:
        """Seed the random generator, where it can be, so an unchanged table samples alike."""

    # -- regular expressions -------------------------------------------------------------------
    def translate(self, pattern: str, dialect: sa.engine.Dialect) -> str:
        """The pattern as the database reads ``re.search``'s, or ``Unpushable``."""
        raise Unpushable(f"{dialect.name} reads regular expressions otherwise")

    def search(self, value: sa.ColumnElement[Any], pattern: str,
               dialect: sa.engine.Dialect) -> sa.ColumnElement[bool]:
        """Whether ``pattern`` is found in the text, as ``re.search`` finds it."""
        return value.regexp_match(self.translate(pattern, dialect))

    def validate(self, conn: sa.Connection, pattern: str) -> None:
        """Compile the translated pattern once in the database (in a savepoint)."""
        probe = sa.select(self.search(sa.literal(""), pattern, conn.dialect))
        try:
            with conn.begin_nested():
                conn.execute(probe)
        except DBAPIError as exc:
            raise Unpushable(f"{conn.dialect.name} cannot read the regular expression "
                             f"{pattern!r}") from exc


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class FilterAggregates(Portable):
    """Databases with ``FILTER (WHERE …)`` on aggregates (PostgreSQL, DuckDB, SQLite)."""

    def count_where(self, condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.count().filter(condition)

    def aggregate_where(self, aggregate: Callable[[Any], Any], value: sa.ColumnElement[Any],
                        condition: sa.ColumnElement[bool] | None) -> Any:
        return aggregate(value) if condition is None else aggregate(value).filter(condition)
