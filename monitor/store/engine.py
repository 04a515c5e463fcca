"""Engine: one SQLAlchemy engine per database URL, set up for the monitor.

SQLite (the embedded default) gets foreign keys, write-ahead logging and a
busy timeout on every connection, and transactions that the monitor begins
itself: reads begin ``DEFERRED``, writes ``IMMEDIATE`` so that a
read-then-write transaction never fails half-way when another process wrote
first. PostgreSQL gets a connect timeout and, when the store has a schema of
its own (``MONITOR_DATABASE_SCHEMA``), a search path of that schema alone on
every connection, so the monitor's unqualified table names never reach
another application's tables. Errors name the database by its URL with the
password hidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.schema import CreateSchema

from monitor.errors import StoreError, missing_driver
from monitor.settings import check_schema_name

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "CONNECT_TIMEOUT_SECONDS",
    "SUPPORTED_BACKENDS",
    "cannot_connect",
    "create_schema",
    "create_store_engine",
    "describe",
    "for_writing",
    "reason",
    "store_errors",
    "store_schema",
]

BUSY_TIMEOUT_SECONDS: Final = 30.0
"""How long a SQLite connection waits for another writer before giving up."""

CONNECT_TIMEOUT_SECONDS: Final = 10
"""How long connecting to a database server may take before it counts as unreachable."""

SUPPORTED_BACKENDS: Final = ("sqlite", "postgresql")
"""The databases the monitor runs on (and is tested against)."""

_WRITE_OPTION: Final = "monitor_write"
_SCHEMA_OPTION: Final = "monitor_schema"


def create_store_engine(url: str, *, schema: str | None = None) -> Engine:
    """Create the engine for ``url`` (nothing is connected yet).

    Args:
        url: a SQLAlchemy URL; options in its query (``?options=...``) are kept.
        schema: the PostgreSQL schema that holds the monitor's tables
            (``MONITOR_DATABASE_SCHEMA``): each connection's search path is set to
            it alone, after the URL's own options. ``create_schema`` creates it.

    Raises:
        StoreError: the URL is malformed, names an unknown driver, or names a
            SQLite file in a directory that does not exist; ``schema`` is not a
            plain lower-case identifier, or is given for SQLite (no schemas there).
    """
    parsed = _parse(url)
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise StoreError(
            f"unsupported database {parsed.get_backend_name()!r} in {describe(parsed)}: use"
            " sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB"
            " — check MONITOR_DATABASE_URL"
        )
    _check_schema(parsed, schema)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_directory(parsed)
        connect_args["timeout"] = BUSY_TIMEOUT_SECONDS
    elif "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    try:
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args,
                               execution_options={_SCHEMA_OPTION: schema} if schema else {})
    except ImportError as exc:  # the URL's driver is not installed: say which extra has it
        raise StoreError(
            f"cannot use the database URL {describe(parsed)}: "
            + (missing_driver(parsed.drivername, exc)
               or f"{reason(exc)} — check MONITOR_DATABASE_URL")
        ) from exc
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(
            f"cannot use the database URL {describe(parsed)}: {reason(exc)}"
            " — check MONITOR_DATABASE_URL"
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    if schema:
        # First of the connect hooks, so that the dialect's own first queries see the schema.
        event.listen(engine, "connect", _search_path(schema), insert=True)
    return engine


def store_schema(engine: Engine | Connection) -> str | None:
    """Return the schema ``engine`` (or a connection of it) keeps the monitor's tables in."""
    schema: str | None = engine.get_execution_options().get(_SCHEMA_OPTION)
    return schema


def create_schema(connection: Connection) -> None:
    """Create the store's schema in the connection's transaction when it does not exist yet.

    Looked up first: ``CREATE SCHEMA IF NOT EXISTS`` needs the CREATE right on the
    database even when the schema exists, which a user of a shared database may lack.
    """
    schema = store_schema(connection)
    if schema is None:
        return
    found = connection.execute(
        text("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = :name"), {"name": schema}
    ).first()
    if found is None:
        connection.execute(CreateSchema(schema, if_not_exists=True))


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


def _check_schema(url: URL, schema: str | None) -> None:
    if schema is None:
        return
    try:
        check_schema_name(schema)
    except ValueError as exc:
        raise StoreError(str(exc)) from exc
    if url.get_backend_name() == "sqlite":
        raise StoreError(
            f"MONITOR_DATABASE_SCHEMA is set ({schema!r}) but the database is SQLite, which has"
            f" no schemas ({describe(url)}): unset it, or use PostgreSQL in MONITOR_DATABASE_URL"
        )


def _search_path(schema: str) -> Callable[[Any, Any], None]:
    # The schema alone, not "schema, public": a same-named table in another schema (the
    # public.runs of another application) must never stand in for a missing one. Quoted,
    # so that a keyword such as "user" works too; the name is lower case, so it is the
    # schema psql names without quotes.
    statement = f'SET search_path TO "{schema}"'

    def set_search_path(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()
        dbapi_connection.commit()  # a session setting the pool's rollback-on-return keeps

    return set_search_path


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
