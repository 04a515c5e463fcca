"""The three databases checks are pushed down to, as one fixture: ``check_url``.

``check_url`` runs a test on a fresh SQLite file, a fresh PostgreSQL schema
and a fresh MariaDB database (``MONITOR_TEST_MYSQL_URL``, by default root on
127.0.0.1:3306). A server that cannot be reached skips its tests, except
under CI (``CI`` set), where they fail. Test modules import the fixtures.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

__all__ = ["check_url", "mysql_admin", "mysql_database_url"]

DEFAULT_MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/test"


@pytest.fixture(scope="session")
def mysql_admin() -> Iterator[Engine]:
    """An engine on the test MariaDB server; skip (or, under CI, fail) if unreachable."""
    url = os.environ.get("MONITOR_TEST_MYSQL_URL", DEFAULT_MYSQL_URL)
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        first = (str(getattr(exc, "orig", exc)).strip().splitlines() or [repr(exc)])[0]
        reason = f"MariaDB at {shown} is unreachable ({first}); start it or set " \
                 "MONITOR_TEST_MYSQL_URL"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    yield engine
    engine.dispose()


@pytest.fixture
def mysql_database_url(mysql_admin: Engine) -> Iterator[str]:
    """A URL of a fresh MariaDB database of its own, dropped afterwards."""
    name = f"t_{secrets.token_hex(6)}"
    with mysql_admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    try:
        yield mysql_admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with mysql_admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name}"))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql",
                     marks=[pytest.mark.postgres, pytest.mark.integration]),
        pytest.param("mariadb", id="mariadb", marks=[pytest.mark.integration]),
    ]
)
def check_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database: SQLite, PostgreSQL or MariaDB."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'checks.db'}"
    fixture = "postgres_schema_url" if request.param == "postgresql" else "mysql_database_url"
    url: str = request.getfixturevalue(fixture)
    return url
