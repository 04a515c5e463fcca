"""The test MariaDB server: its URL, and throw-away databases on it.

``MONITOR_TEST_MARIADB_URL`` (or the older ``MONITOR_TEST_MYSQL_URL``) names it; by
default root without a password on 127.0.0.1:3306. Shared by the fixtures
(``tests/integration/sources/checkdbs.py``) and ``benchmarks/pushdown_dialects.py``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

DEFAULT_MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"


def mariadb_url() -> str:
    """The test server's URL, from the environment or the default."""
    return (os.environ.get("MONITOR_TEST_MARIADB_URL") or os.environ.get("MONITOR_TEST_MYSQL_URL")
            or DEFAULT_MARIADB_URL)


@contextmanager
def fresh_database(admin: Engine, prefix: str = "t") -> Iterator[str]:
    """A URL of a new database of its own on ``admin``'s server, dropped after: parallel
    runs never share a table."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
