"""The databases windows are pushed down to, as one fixture: ``check_url``.

``check_url`` runs a test on a fresh SQLite file, a fresh PostgreSQL schema,
a fresh MariaDB database (``MONITOR_TEST_MARIADB_URL``, by default root on
127.0.0.1:3306) and a fresh DuckDB file. A server that cannot be reached
skips its tests, except under CI (``CI`` set), where they fail. Test modules
import the fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.mariadb import fresh_database, mariadb_url

__all__ = ["check_url", "mysql_admin", "mysql_database_url"]


@pytest.fixture(scope="session")
def mysql_admin() -> Iterator[Engine]:
    """An engine on the test MariaDB server; skip (or, under CI, fail) if unreachable."""
    url = mariadb_url()
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        first = (str(getattr(exc, "orig", exc)).strip().splitlines() or [repr(exc)])[0]
        reason = f"MariaDB at {shown} is unreachable ({first}); start it or set " \
                 "MONITOR_TEST_MARIADB_URL"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    yield engine
    engine.dispose()


@pytest.fixture
def mysql_database_url(mysql_admin: Engine) -> Iterator[str]:
    """A URL of a fresh MariaDB database of its own, dropped afterwards."""
    with fresh_database(mysql_admin) as url:
        yield url


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql",
                     marks=[pytest.mark.postgres, pytest.mark.integration]),
        pytest.param("mariadb", id="mariadb", marks=[pytest.mark.integration]),
        pytest.param("duckdb", id="duckdb"),
    ]
)
def check_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database: SQLite, PostgreSQL, MariaDB or DuckDB."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'checks.db'}"
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'checks.duckdb'}"
    fixture = "postgres_schema_url" if request.param == "postgresql" else "mysql_database_url"
    url: str = request.getfixturevalue(fixture)
    return url
