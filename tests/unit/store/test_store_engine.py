"""Engine set-up and error wording, without connecting to a database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from monitor.errors import StoreError
from monitor.store.engine import create_store_engine, describe, reason


def test_describe_hides_the_password() -> None:
    """A URL is shown with its password replaced by ***."""
    shown = describe("postgresql+psycopg://monitor:s3cret@db.internal:5432/prod")
    assert shown == "postgresql+psycopg://monitor:***@db.internal:5432/prod"


def test_reason_keeps_the_drivers_first_line() -> None:
    """The cause is the driver's message, first line only, without the FATAL prefix."""
    orig = Exception('FATAL:  database "x" does not exist\nDETAIL: more')
    error = OperationalError("SELECT 1", {}, orig)
    assert reason(error) == 'database "x" does not exist'


def test_reason_shortens_psycopg_connection_failures() -> None:
    """psycopg's long 'connection failed ... failed: why' becomes just why."""
    orig = Exception(
        'connection failed: connection to server at "127.0.0.1", port 1 failed:'
        " Connection refused\n\tIs the server running on that host?"
    )
    assert reason(OperationalError(None, None, orig)) == "connection refused"


def test_missing_sqlite_directory_is_named(tmp_path: Path) -> None:
    """A SQLite file in a directory that does not exist is an error naming the directory."""
    missing = tmp_path / "nowhere"
    with pytest.raises(StoreError, match=f"the directory '{missing}' does not exist"):
        create_store_engine(f"sqlite:///{missing / 'monitor.db'}")
    assert not missing.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "malformed database URL 'not a url'"),
        ("mysql://user:pw@host/db", "unsupported database 'mysql' in mysql://user:\\*\\*\\*@host/db"),
        ("postgresql+nodriver://host/db", "cannot use the database URL postgresql\\+nodriver"),
    ],
)
def test_bad_urls_are_clear_errors(url: str, message: str) -> None:
    """Malformed, unsupported or driverless URLs say so and point at the setting."""
    with pytest.raises(StoreError, match=message) as caught:
        create_store_engine(url)
    assert str(caught.value).endswith("check MONITOR_DATABASE_URL")
    assert "pw@" not in str(caught.value)


def test_engine_is_lazy() -> None:
    """Creating an engine for an unreachable server does not connect yet."""
    engine = create_store_engine("postgresql+psycopg://u:p@127.0.0.1:1/x")
    assert engine.dialect.name == "postgresql"
    engine.dispose()
