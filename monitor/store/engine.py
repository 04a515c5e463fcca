"""Engine: one SQLAlchemy engine per database URL, set up for the monitor.

SQLite (the embedded default) gets foreign keys, write-ahead logging and a
busy timeout on every connection, and transactions that the monitor begins
itself: reads begin ``DEFERRED``, writes ``IMMEDIATE`` so that a
read-then-write transaction never fails half-way when another process wrote
first. PostgreSQL gets a connect timeout. Errors name the database by its URL
with the password hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from monitor.errors import StoreError

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "CONNECT_TIMEOUT_SECONDS",
    "SUPPORTED_BACKENDS",
    "cannot_connect",
    "create_store_engine",
    "describe",
    "for_writing",
    "reason",
    "store_errors",
]

BUSY_TIMEOUT_SECONDS: Final = 30.0
"""How long a SQLite connection waits for another writer before giving up."""

CONNECT_TIMEOUT_SECONDS: Final = 10
"""How long connecting to a database server may take before it counts as unreachable."""

SUPPORTED_BACKENDS: Final = ("sqlite", "postgresql")
"""The databases the monitor runs on (and is tested against)."""

_WRITE_OPTION: Final = "monitor_write"


def create_store_engine(url: str) -> Engine:
    """Create the engine for ``url`` (nothing is connected yet).

    Raises:
        StoreError: the URL is malformed, names an unknown driver, or names a
            SQLite file in a directory that does not exist.
    """
    parsed = _parse(url)
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise StoreError(
            f"unsupported database {parsed.get_backend_name()!r} in {describe(parsed)}: use"
            " sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB"
            " — check MONITOR_DATABASE_URL"
        )
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_directory(parsed)
        connect_args["timeout"] = BUSY_TIMEOUT_SECONDS
    elif "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    try:
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"cannot use the database URL {describe(parsed)}: {reason(exc)}"
            " — check MONITOR_DATABASE_URL"
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def for_writing(engine: Engine) -> Engine:
    """Return a view of ``engine`` whose transactions take SQLite's write lock at BEGIN."""
    return engine.execution_options(**{_WRITE_OPTION: True})


def describe(url: str | URL) -> str:
    """Return ``url`` as text with its password replaced by ``***``."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except ArgumentError:
            return "<malformed URL>"
    return url.render_as_string(hide_password=True)


def reason(exc: BaseException) -> str:
    """Return the first line of the driver's own message for ``exc``, without SQL text."""
    cause = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    text = lines[0] if lines else type(cause).__name__
    # psycopg says 'connection failed: connection to server at "h", port 1 failed: <why>'
    if isinstance(exc, SQLAlchemyError) and "failed: " in text:
        text = text.rsplit("failed: ", 1)[1]
    text = " ".join(re.sub(r"^(FATAL|ERROR):\s*", "", text).split())
    if text[:1].isupper() and text[1:2].islower():  # "Connection refused", not "SSL"
        text = text[0].lower() + text[1:]
    return text


def cannot_connect(engine: Engine, exc: BaseException) -> StoreError:
    """Build the one-line error for a database that cannot be reached."""
    return StoreError(
        f"cannot connect to the database {describe(engine.url)}: {reason(exc)}"
        " — check MONITOR_DATABASE_URL"
    )


@contextmanager
def store_errors(engine: Engine, action: str) -> Iterator[None]:
    """Turn database failures in the block into one-line StoreErrors naming the database.

    ``action`` completes "cannot ...", e.g. ``"save the run"``.
    """
    try:
        yield
    except DBAPIError as exc:
        # SQLAlchemy raises failures of connect() with no statement attached.
        if exc.statement is None or exc.connection_invalidated:
            raise cannot_connect(engine, exc) from exc
        raise StoreError(f"cannot {action} ({describe(engine.url)}): {reason(exc)}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot {action} ({describe(engine.url)}): {reason(exc)}") from exc


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"malformed database URL {url.split('@')[-1]!r}: expected a URL such as"
            " sqlite:///monitor.db or postgresql+psycopg://user:password@host/db"
            " — check MONITOR_DATABASE_URL"
        ) from exc


def _check_sqlite_directory(url: URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    directory = Path(database).expanduser().absolute().parent
    if not directory.is_dir():
        raise StoreError(
            f"cannot open the SQLite database {database!r}: the directory {str(directory)!r}"
            " does not exist — create it or check MONITOR_DATABASE_URL"
        )


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module's own transaction handling skips BEGIN before SELECT
    # and DDL; turn it off and begin transactions in _sqlite_begin instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A DEFERRED transaction that reads and then writes fails at once with
    # SQLITE_BUSY if another connection wrote in between; IMMEDIATE waits instead.
    immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
