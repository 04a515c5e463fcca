"""Migrations: bring a database's schema to the revision this code needs.

The schema's version is Alembic's ``alembic_version`` table; the migration
scripts ship inside the package as ``monitor.migrations`` and are found from
there, never from the current directory, so no ``alembic.ini`` is needed at
run time. ``ensure_schema`` is the policy ``open_store`` applies: SQLite (the
embedded default) always upgrades itself, another database only while it is
fresh; a schema behind the code is otherwise an error telling the operator to
run ``monitor db upgrade``. A store with a PostgreSQL schema of its own
(``MONITOR_DATABASE_SCHEMA``) keeps its version table there too, and the
schema is created, when missing, before any migration looks at it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection

from monitor.errors import StoreError
from monitor.store.engine import (
    create_schema,
    describe,
    for_writing,
    reason,
    store_errors,
    store_schema,
)
from monitor.store.models import Base

__all__ = [
    "current_revision",
    "downgrade",
    "ensure_schema",
    "head_revision",
    "script_directory",
    "upgrade",
]

logger = logging.getLogger(__name__)

# Serialises concurrent migrations of one PostgreSQL database (an arbitrary constant).
_ADVISORY_LOCK_KEY = 0x6D6F6E69


def script_directory() -> ScriptDirectory:
    """Return the Alembic script directory shipped inside the package."""
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """Return the schema revision this version of the code needs."""
    head = script_directory().get_current_head()
    if head is None:  # only a broken installation has no migration at all
        raise StoreError(f"no database migrations found in {_script_location()}")
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the database's schema revision, or None when it has none yet.

    Raises:
        StoreError: the database cannot be reached or read.
    """
    with _guard(engine, "read"), engine.connect() as connection:
        return _current(connection)


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Apply the migrations up to ``revision`` (default: the newest) in one transaction.

    Returns:
        The revision the database is at afterwards.

    Raises:
        StoreError: the database cannot be reached, its revision is unknown,
            or a migration fails (nothing is applied then).
    """
    with _guard(engine, "upgrade"), _migrating(engine) as connection:
        _run(connection, "upgrade", revision)
        return _current(connection)


def downgrade(engine: Engine, revision: str) -> None:
    """Undo the migrations down to ``revision`` (``"base"`` removes every table).

    Raises:
        StoreError: as for ``upgrade``.
    """
    with _guard(engine, "downgrade"), _migrating(engine) as connection:
        _run(connection, "downgrade", revision)


def ensure_schema(engine: Engine, *, auto_migrate: bool | None = None) -> None:
    """Check the schema is at the head revision, upgrading it when the policy allows.

    Args:
        engine: the database.
        auto_migrate: True always upgrades, False never does; None (the
            default) upgrades SQLite always and other databases only while
            they hold none of the monitor's tables.

    Raises:
        StoreError: the database cannot be reached, its schema is behind and
            may not be upgraded here, or it is at a revision this code does
            not know (a newer version of the monitor migrated it).
    """
    with _guard(engine, "check"), _migrating(engine) as connection:
        current, head = _current(connection), head_revision()
        if current == head:
            return
        _check_known(current, head)
        if auto_migrate is None:
            auto_migrate = engine.dialect.name == "sqlite" or (
                current is None and not _has_monitor_tables(connection)
            )
        if not auto_migrate:
            raise StoreError(
                f"database schema is at revision {current or 'none'}, this version needs"
                f" {head}: run `monitor db upgrade`"
            )
        logger.info(
            "upgrading the schema of %s from revision %s to %s",
            describe(engine.url),
            current or "none",
            head,
        )
        _run(connection, "upgrade", head)


def _script_location() -> Path:
    import monitor.migrations

    return Path(next(iter(monitor.migrations.__path__)))


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    config.attributes["connection"] = connection
    return config


def _current(connection: Connection) -> str | None:
    opts = {"version_table_schema": store_schema(connection)}
    return MigrationContext.configure(connection, opts=opts).get_current_revision()


def _run(connection: Connection, action: str, revision: str) -> None:
    config = _config(connection)
    if action == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


def _check_known(current: str | None, head: str) -> None:
    if current is None:
        return
    try:
        script_directory().get_revision(current)
    except CommandError as exc:
        raise StoreError(
            f"database schema is at revision {current}, which this version of the monitor"
            f" does not know (it needs {head}): a newer version migrated it; upgrade the monitor"
        ) from exc


def _has_monitor_tables(connection: Connection) -> bool:
    existing = set(inspect(connection).get_table_names())
    return bool(existing & set(Base.metadata.tables))


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One write transaction, holding PostgreSQL's migration lock until it ends."""
    with for_writing(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": _ADVISORY_LOCK_KEY})
            create_schema(connection)  # under the lock: two processes never race to create it
        yield connection


@contextmanager
def _guard(engine: Engine, action: str) -> Iterator[None]:
    """Turn database and Alembic failures into one-line StoreErrors naming the database."""
    try:
        with store_errors(engine, f"{action} the database schema"):
            yield
    except CommandError as exc:
        raise StoreError(
            f"cannot {action} the database schema ({describe(engine.url)}): {reason(exc)}"
        ) from exc
