"""Alembic environment for the monitor's database schema.

The monitor itself runs migrations through ``monitor.store.migrate``, which
hands an open connection in ``config.attributes["connection"]``. Developers
can also run the ``alembic`` command from the repository root (see
``alembic.ini``); the database is then ``MONITOR_DATABASE_URL``, else the
ini file's ``sqlalchemy.url``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from monitor.store.engine import create_store_engine
from monitor.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return (
        os.environ.get("MONITOR_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
        or "sqlite:///monitor.db"
    )


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters tables by copying them; batch mode does that for us.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Write the migration SQL instead of running it (``alembic upgrade --sql``)."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the given connection, or connect to the database URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = create_store_engine(_url())
    try:
        with engine.connect() as opened:
            _migrate(opened)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
