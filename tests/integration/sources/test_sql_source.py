"""The SQL source on real SQLite and PostgreSQL databases."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from monitor.errors import SourceError
from monitor.sources.sql import SqlSource
from tests.integration.sources.tables import create_prediction_log

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 24, 10, tzinfo=UTC)
END = datetime(2026, 11, 24, 11, tzinfo=UTC)


@pytest.fixture
def logs_url(database_url):
    """A prediction_log table with one row a minute from 09:00 to 10:59 UTC."""
    first = datetime(2026, 11, 24, 9, tzinfo=UTC)
    create_prediction_log(database_url, [
        {"id": i, "logged_at": first + timedelta(minutes=i), "score": i / 100,
         "state": "CA" if i % 3 else "NY"} for i in range(120)])
    return database_url


def read_all(source, start=START, end=END):
    return [row for chunk in source.read(start, end) for row in chunk.itertuples(index=False)]


def test_table_window_in_chunks(logs_url):
    """A table source yields the window's rows, in chunks of at most chunk_size."""
    source = SqlSource(SqlSource.Config(url=logs_url, table="prediction_log",
                                        timestamp="logged_at", chunk_size=7))
    chunks = list(source.read(START, END))
    assert max(len(c) for c in chunks) <= 7
    ids = sorted(i for c in chunks for i in c["id"])
    assert ids == list(range(60, 120))
    assert set(chunks[0].columns) == {"id", "logged_at", "score", "state"}


def test_query_with_bind_parameters(logs_url):
    """A query's :start and :end are bound, never formatted into the SQL."""
    query = ("SELECT id, logged_at, score FROM prediction_log "
             "WHERE logged_at >= :start AND logged_at < :end")
    source = SqlSource(SqlSource.Config(url=logs_url, query=query, timestamp="logged_at"))
    rows = read_all(source)
    assert sorted(r.id for r in rows) == list(range(60, 120))


def test_query_without_window_reads_all(logs_url):
    """A query without bind parameters profiles everything it returns."""
    source = SqlSource(SqlSource.Config(url=logs_url, query="SELECT score FROM prediction_log"))
    assert sum(len(c) for c in source.read()) == 120


def test_missing_table_named(logs_url):
    """An unknown table is a SourceError naming it."""
    source = SqlSource(SqlSource.Config(url=logs_url, table="nope", timestamp="logged_at"))
    with pytest.raises(SourceError, match="table 'nope' not found"):
        read_all(source)


def test_missing_timestamp_column_named(logs_url):
    """An unknown timestamp column lists the table's columns."""
    source = SqlSource(SqlSource.Config(url=logs_url, table="prediction_log", timestamp="ts"))
    with pytest.raises(SourceError, match=r"'ts' is not in table 'prediction_log'.*logged_at"):
        read_all(source)


def test_failing_query_is_a_source_error(logs_url):
    """A query the database rejects becomes one clear line, not a traceback."""
    source = SqlSource(SqlSource.Config(url=logs_url, query="SELECT nonsense FROM nowhere"))
    with pytest.raises(SourceError, match=r"query on .* failed") as info:
        read_all(source, None, None)
    assert "\n" not in str(info.value)


def test_unreachable_database_hides_password():
    """An unreachable server is reported without the password in the URL."""
    url = "postgresql+psycopg://user:s3cret@127.0.0.1:1/db"
    source = SqlSource(SqlSource.Config(url=url, table="t", timestamp="ts"))
    with pytest.raises(SourceError) as info:
        read_all(source)
    assert "s3cret" not in str(info.value) and "***" in str(info.value)


def test_config_needs_table_or_query():
    """Exactly one of table and query is required."""
    with pytest.raises(ValueError, match="exactly one of 'table' or 'query'"):
        SqlSource.Config(url="sqlite://", table="t", query="SELECT 1", timestamp="ts")
    with pytest.raises(ValueError, match="needs 'timestamp'"):
        SqlSource.Config(url="sqlite://", table="t")


def test_timestamp_column_that_is_not_a_time(logs_url):
    """A table's timestamp column of a non-time type fails with its type and what to do."""
    source = SqlSource(SqlSource.Config(url=logs_url, table="prediction_log", timestamp="score"))
    with pytest.raises(SourceError, match=r"'score' of table 'prediction_log' is .*not a time"):
        read_all(source)


def test_query_rows_outside_the_window_are_counted(logs_url):
    """A query looser than the window: its extra rows are left out and counted."""
    source = SqlSource(SqlSource.Config(url=logs_url, query="SELECT * FROM prediction_log",
                                        timestamp="logged_at"))
    assert len(read_all(source)) == 60
    assert source.read_stats().outside_window == 60 and source.read_stats().filtered


def test_newest_timestamp_of_a_table(logs_url):
    """newest() is the latest timestamp at or before now, read with one indexed max."""
    source = SqlSource(SqlSource.Config(url=logs_url, table="prediction_log",
                                        timestamp="logged_at"))
    assert source.newest(END + timedelta(days=1), timedelta(hours=1)) == END - timedelta(
        minutes=1)
    assert source.newest(START, timedelta(hours=1)) == START
    assert source.newest(START - timedelta(days=1), timedelta(hours=1)) is None


def test_profile_in_database_can_be_turned_off(logs_url):
    """profile_in_database: false (or a query source) makes the runner read the rows."""
    from monitor.profiles import build_profile
    from monitor.sources.base import ProfileRequest

    reference = build_profile([pd.DataFrame({"score": [0.1, 0.9], "state": ["CA", "NY"]})])
    request = ProfileRequest(reference, ("logged_at", "id"))
    table = SqlSource(SqlSource.Config(url=logs_url, table="prediction_log",
                                       timestamp="logged_at"))
    assert table.profile_window(START, END, request).rows == 60
    assert table.read_stats().rows == 60 and not table.read_stats().filtered
    off = SqlSource(SqlSource.Config(url=logs_url, table="prediction_log", timestamp="logged_at",
                                     profile_in_database=False))
    assert off.profile_window(START, END, request) is None
    query = SqlSource(SqlSource.Config(url=logs_url, query="SELECT 1"))
    assert query.profile_window(START, END, request) is None


@pytest.mark.postgres
def test_statement_timeout_fails_the_read(postgres_schema_url):
    """A query slower than source.timeout is cancelled and reported with the limit."""
    source = SqlSource(SqlSource.Config(url=postgres_schema_url, query="SELECT pg_sleep(3) AS x",
                                        timeout=0.3))
    with pytest.raises(SourceError, match=r"statement timeout \(source.timeout is 0.3 s\)"):
        read_all(source)
