"""SQL sources share one engine per database and one table reflection per source block.

Counted with SQLAlchemy's own events, on real SQLite files and PostgreSQL: a
pool's first connection (one per engine) and ``column_reflect`` on the
timestamp column (one per reflection of the table).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import Pool

from monitor.errors import SourceError
from monitor.profiles import build_profile
from monitor.sources import engines
from monitor.sources.base import ProfileRequest
from monitor.sources.sql import SqlSource
from tests.integration.sources.tables import create_prediction_log

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)
REFERENCE = build_profile([pd.DataFrame({"score": [0.1, 0.5, 0.9, 0.3], "state": list("abab")})])
REQUEST = ProfileRequest(REFERENCE, exclude=("id", "logged_at"))


@dataclass
class Counts:
    """Engines that connected and reflections of the log table, while listening."""

    engines: int = 0
    reflections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def counts() -> Iterator[Counts]:
    """Count pools' first connections and reflections of ``logged_at`` from here on."""
    found = Counts()

    def first_connect(*_: Any) -> None:
        with found.lock:
            found.engines += 1

    def column_reflect(_inspector: Any, table: sa.Table, column: dict[str, Any]) -> None:
        if table.name == "prediction_log" and column["name"] == "logged_at":
            with found.lock:
                found.reflections += 1

    engines.clear()
    sa.event.listen(Pool, "first_connect", first_connect)
    sa.event.listen(sa.Table, "column_reflect", column_reflect)
    yield found
    sa.event.remove(Pool, "first_connect", first_connect)
    sa.event.remove(sa.Table, "column_reflect", column_reflect)
    engines.clear()


@pytest.fixture
def logs_url(database_url: str) -> str:
    """A prediction_log table with a row a minute from 09:00 to 12:59 UTC."""
    create_logs(database_url)
    return database_url


def create_logs(url: str) -> None:
    create_prediction_log(url, [
        {"id": i, "logged_at": T0 + timedelta(minutes=i), "score": (i % 10) / 10,
         "state": "ab"[i % 2]} for i in range(240)])


def config(url: str, **extra: Any) -> SqlSource.Config:
    return SqlSource.Config(url=url, table="prediction_log", timestamp="logged_at", **extra)


def run_window(block: SqlSource.Config, start: datetime) -> int:
    """What the runner asks of a fresh source for one window: profile, freshness, late rows."""
    source = SqlSource(block)
    profile = source.profile_window(start, start + HOUR, REQUEST)
    assert profile is not None
    source.newest(start + HOUR, 2 * HOUR)
    source.count_rows(start - HOUR, start)
    return profile.rows


def test_windows_share_one_engine_and_one_reflection(logs_url: str, counts: Counts) -> None:
    """Four windows, three questions each, fresh sources: one engine, one reflection."""
    block = config(logs_url)
    rows = [run_window(block, T0 + i * HOUR) for i in range(4)]
    assert rows == [60, 60, 60, 60]
    assert (counts.engines, counts.reflections) == (1, 1)
    # Reading the rows goes through the same engine and reflection.
    assert sum(len(c) for c in SqlSource(block).read(T0, T0 + HOUR)) == 60
    assert (counts.engines, counts.reflections) == (1, 1)


def test_a_changed_block_reflects_afresh_on_the_same_engine(
    logs_url: str, counts: Counts
) -> None:
    """A reloaded rule with another source block gets a fresh reflection, not a new engine."""
    run_window(config(logs_url), T0)
    run_window(config(logs_url, chunk_size=1000), T0)
    run_window(config(logs_url, chunk_size=1000), T0 + HOUR)
    assert (counts.engines, counts.reflections) == (1, 2)


def test_a_dropped_column_is_reflected_again_after_the_failure(
    logs_url: str, counts: Counts
) -> None:
    """A column dropped under a cached reflection fails one try; the next reflects again."""
    block = config(logs_url)
    run_window(block, T0)
    admin = sa.create_engine(logs_url)
    with admin.begin() as conn:
        conn.execute(sa.text("ALTER TABLE prediction_log DROP COLUMN score"))
    admin.dispose()
    with pytest.raises(SourceError, match=r"query on .* failed"):
        SqlSource(block).profile_window(T0 + HOUR, T0 + 2 * HOUR, REQUEST)
    profile = SqlSource(block).profile_window(T0 + HOUR, T0 + 2 * HOUR, REQUEST)
    assert profile is not None and profile.rows == 60
    assert "score" not in profile.columns and "state" in profile.columns
    assert counts.reflections == 2


def test_an_old_reflection_is_refreshed(
    logs_url: str, counts: Counts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past REFLECTION_TTL the table is reflected again (a column added is seen)."""
    monkeypatch.setattr(engines, "REFLECTION_TTL", 0.0)
    run_window(config(logs_url), T0)
    assert counts.reflections == 3 and counts.engines == 1


def test_threads_share_the_engine(logs_url: str, counts: Counts) -> None:
    """Windows of one source on four threads at once: one engine, the same answers."""
    block = config(logs_url)
    results: list[int] = []
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(3):
                results.append(run_window(block, T0 + ((offset + i) % 4) * HOUR))
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and results == [60] * 12
    assert counts.engines == 1
    assert 1 <= counts.reflections <= 4  # threads racing the first reflection may each make one


@pytest.mark.postgres
def test_a_terminated_pooled_connection_costs_no_run(
    postgres_schema_url: str, postgres_admin: sa.Engine, counts: Counts
) -> None:
    """The server drops the pooled connection (a restart): the next window still runs."""
    name = f"monitor-engines-{secrets.token_hex(4)}"
    url = sa.make_url(postgres_schema_url).update_query_dict({"application_name": name})
    shown = url.render_as_string(hide_password=False)
    create_logs(shown)
    counts.engines = 0  # the engine that created the table
    block = config(shown)
    assert run_window(block, T0) == 60
    with postgres_admin.connect() as conn:
        killed = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :name"), {"name": name}).scalar()
    assert killed and killed >= 1
    assert run_window(block, T0 + HOUR) == 60
    assert counts.engines == 1

