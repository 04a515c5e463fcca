"""Shared fixtures: the databases every store-backed test runs against.

``database_url`` runs a test twice, on a fresh SQLite file and on a fresh
PostgreSQL schema, so one suite covers both backends. PostgreSQL is the
server named by ``MONITOR_TEST_POSTGRES_URL``; when it cannot be reached its
tests are skipped, except under CI (``CI`` set), where they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from monitor.store import Store, open_store
from tests.postgres import DEFAULT_POSTGRES_URL, fresh_schema
from tests.receivers import Receiver, free_port


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of the test PostgreSQL server; skip (or, under CI, fail) if unreachable."""
    url = os.environ.get("MONITOR_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        first_line = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        reason = (
            f"PostgreSQL at {shown} is unreachable ({first_line}); start it or set"
            " MONITOR_TEST_POSTGRES_URL"
        )
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_admin(postgres_url: str) -> Iterator[Engine]:
    """An engine on the test server for creating and dropping per-test schemas."""
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql", id="postgresql", marks=[pytest.mark.postgres, pytest.mark.integration]
        ),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'monitor.db'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def postgres_schema_url(postgres_admin: Engine) -> Iterator[str]:
    """A URL of a fresh PostgreSQL schema of its own, dropped (with its tables) afterwards."""
    with fresh_schema(postgres_admin) as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A store on a fresh database (every backend of ``database_url``), closed afterwards."""
    opened = open_store(database_url)
    yield opened
    opened.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running receiver on a free port, stopped after the test."""
    server = Receiver(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stopped_receiver() -> Iterator[Receiver]:
    """A receiver on a free port that is not listening yet (connections are refused)."""
    server = Receiver(free_port())
    try:
        yield server
    finally:
        server.stop()
