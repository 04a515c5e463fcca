"""The test PostgreSQL server: its default URL, and throw-away schemas on it.

Shared by the fixtures (``tests/conftest.py``) and the scripts under
``benchmarks/`` that run the daemon against a real server.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_schema(admin: Engine, prefix: str = "t") -> Iterator[str]:
    """A URL of a new schema of its own on ``admin``'s server, dropped with its tables after.

    ``admin`` must be an AUTOCOMMIT engine.
    """
    schema = f"{prefix}_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    # Unqualified names, Alembic's version table included, land in the first
    # schema on the search path.
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
