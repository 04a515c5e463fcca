"""Alembic environment for the monitor's database schema.

The monitor itself runs migrations through ``monitor.store.migrate``, which
hands an open connection in ``config.attributes["connection"]``. Developers
can also run the ``alembic`` command from the repository root (see
``alembic.ini``); the database is then ``MONITOR_DATABASE_URL``, else the
ini file's ``sqlalchemy.url``, and its schema ``MONITOR_DATABASE_SCHEMA``.
With a schema, the tables live in it through the connection's search path
and Alembic's version table is named in it explicitly.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from monitor.settings import check_schema_name
from monitor.store.engine import create_schema, create_store_engine, store_schema
from monitor.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return (
        os.environ.get("MONITOR_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
        or "sqlite:///monitor.db"
    )


def _schema() -> str | None:
    """The schema from the environment, for the ``alembic`` command run by hand."""
    schema = os.environ.get("MONITOR_DATABASE_SCHEMA", "").strip() or None
    return None if schema is None else check_schema_name(schema)  # safe to quote below


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=store_schema(connection),
        # SQLite alters tables by copying them; batch mode does that for us.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Write the migration SQL instead of running it (``alembic upgrade --sql``)."""
    url, schema = _url(), _schema()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        version_table_schema=schema,
    )
    with context.begin_transaction():
        if schema is not None:
            context.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            context.execute(f'SET search_path TO "{schema}"')
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the given connection, or connect to the database URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = create_store_engine(_url(), schema=_schema())
    try:
        with engine.begin() as opened:
            create_schema(opened)
        with engine.connect() as opened:
            _migrate(opened)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
