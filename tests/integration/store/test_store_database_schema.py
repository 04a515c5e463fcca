"""MONITOR_DATABASE_SCHEMA: the monitor's tables in a PostgreSQL schema of their own.

Every test works on a pair of fresh schemas of the test server: the monitor's
(created by the monitor itself) and a decoy holding another application's
``runs`` table, which the connection's own search path (a URL with
``?options=-csearch_path=...``) points at. The setting must win over the
URL's options, and the decoy must stay untouched.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, text

from monitor.errors import StoreError
from monitor.settings import Settings
from monitor.store import current_revision, downgrade, head_revision, open_store, upgrade
from monitor.store.engine import create_store_engine
from tests.integration.store.store_factories import new_results, new_run
from tests.processes import monitor_env

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
TABLES = {"alembic_version", "alert_states", "outbox", "profiles", "results", "run_reports",
          "runs", "silences", "window_leases"}


@dataclass(frozen=True)
class Schemas:
    """The monitor's schema (not created yet), the decoy, and a URL searching the decoy."""

    admin: Engine
    mine: str
    decoy: str
    url: str

    def tables(self, schema: str) -> set[str]:
        """The tables of ``schema``, as information_schema lists them."""
        with self.admin.connect() as connection:
            rows = connection.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema})
            return {row[0] for row in rows}

    def scalar(self, sql: str) -> object:
        """One value read by the admin connection."""
        with self.admin.connect() as connection:
            return connection.execute(text(sql)).scalar_one()

    def decoy_intact(self) -> bool:
        """The decoy still holds exactly its own table and row."""
        return (self.tables(self.decoy) == {"runs"}
                and self.scalar(f"SELECT note FROM {self.decoy}.runs") == "another application")


@pytest.fixture
def schemas(postgres_admin: Engine) -> Iterator[Schemas]:
    """A decoy schema with a foreign ``runs`` table, and a name for the monitor's schema."""
    token = secrets.token_hex(5)
    mine, decoy = f"mon_{token}", f"decoy_{token}"
    with postgres_admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {decoy}"))
        connection.execute(text(f"CREATE TABLE {decoy}.runs (id int, note text)"))
        connection.execute(text(f"INSERT INTO {decoy}.runs VALUES (1, 'another application')"))
    url = postgres_admin.url.update_query_dict({"options": f"-csearch_path={decoy}"})
    try:
        yield Schemas(postgres_admin, mine, decoy, url.render_as_string(hide_password=False))
    finally:
        with postgres_admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {mine} CASCADE"))
            connection.execute(text(f"DROP SCHEMA {decoy} CASCADE"))


def monitor(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run the ``monitor`` command as a user does, with only these MONITOR_* settings."""
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=cwd, env=monitor_env(
        **settings), capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.postgres
def test_db_upgrade_creates_the_schema_and_its_tables(schemas: Schemas, tmp_path: Path) -> None:
    """`monitor db upgrade` creates the schema, the tables and the version table in it alone."""
    done = monitor("db", "upgrade", cwd=tmp_path, MONITOR_DATABASE_URL=schemas.url,
                   MONITOR_DATABASE_SCHEMA=schemas.mine)
    assert done.returncode == 0, done.stderr
    assert f"schema {schemas.mine} is at revision {head_revision()}" in done.stdout
    assert schemas.tables(schemas.mine) == TABLES
    assert schemas.scalar(f"SELECT version_num FROM {schemas.mine}.alembic_version") == (
        head_revision())
    assert schemas.decoy_intact()
    again = monitor("db", "upgrade", cwd=tmp_path, MONITOR_DATABASE_URL=schemas.url,
                    MONITOR_DATABASE_SCHEMA=schemas.mine)
    assert again.returncode == 0 and "already up to date" in again.stdout, again.stderr


@pytest.mark.postgres
def test_check_stores_runs_and_results_in_the_schema(schemas: Schemas, tmp_path: Path) -> None:
    """`monitor check` and `monitor history` read and write the schema's tables, not the decoy's."""
    write_example(tmp_path)
    settings = {"MONITOR_DATABASE_URL": schemas.url, "MONITOR_DATABASE_SCHEMA": schemas.mine}
    checked = monitor("check", "rules/", cwd=tmp_path, **settings)
    assert checked.returncode in (0, 1), checked.stderr  # 1: an alert fires; both stored it
    assert schemas.scalar(f"SELECT count(*) FROM {schemas.mine}.runs WHERE status = 'ok'") == 1
    assert schemas.scalar(f"SELECT count(*) FROM {schemas.mine}.results") > 0
    assert schemas.decoy_intact()
    history = monitor("history", "--format", "json", cwd=tmp_path, **settings)
    assert history.returncode == 0 and '"monitor": "m"' in history.stdout, history.stderr


@pytest.mark.postgres
def test_the_setting_wins_over_the_urls_own_search_path(schemas: Schemas) -> None:
    """A store opened with the schema writes there although the URL's options name the decoy."""
    store = open_store(schemas.url, schema=schemas.mine)
    try:
        stored = store.save_run(new_run(), new_results(), [], [])
        assert stored is not None and store.runs()[0].id == stored.id
        assert current_revision(store.engine) == head_revision()
    finally:
        store.close()
    assert schemas.scalar(f"SELECT count(*) FROM {schemas.mine}.results") == 2
    assert schemas.decoy_intact()


@pytest.mark.postgres
def test_the_urls_other_options_are_kept(schemas: Schemas) -> None:
    """A URL's own options (a statement timeout here) still apply next to the schema."""
    url = schemas.admin.url.update_query_dict(
        {"options": f"-csearch_path={schemas.decoy} -cstatement_timeout=4321"})
    store = open_store(url.render_as_string(hide_password=False), schema=schemas.mine)
    try:
        with store.engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "4321ms"
            assert connection.execute(text("SHOW search_path")).scalar_one() == schemas.mine
            assert connection.execute(text("SELECT current_schema()")).scalar_one() == (
                schemas.mine)
    finally:
        store.close()


@pytest.mark.postgres
def test_processes_opening_a_missing_schema_at_once_all_succeed(schemas: Schemas) -> None:
    """Several stores opened together on a missing schema create it once and all work."""
    errors: list[BaseException] = []

    def open_and_close() -> None:
        try:
            open_store(schemas.url, schema=schemas.mine).close()
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=open_and_close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and schemas.tables(schemas.mine) == TABLES


@pytest.mark.postgres
def test_downgrade_empties_the_schema_only(schemas: Schemas) -> None:
    """Down to base removes the schema's tables and leaves the decoy's table alone."""
    engine = create_store_engine(schemas.url, schema=schemas.mine)
    try:
        assert upgrade(engine) == head_revision()
        downgrade(engine, "base")
        assert current_revision(engine) is None
    finally:
        engine.dispose()
    assert schemas.tables(schemas.mine) <= {"alembic_version"}
    assert schemas.decoy_intact()


@pytest.mark.postgres
def test_alembic_command_reads_the_schema_from_the_environment(schemas: Schemas) -> None:
    """The developers' `alembic upgrade head` (alembic/env.py) honours the setting too."""
    env = {**os.environ, "MONITOR_DATABASE_URL": schemas.url,
           "MONITOR_DATABASE_SCHEMA": schemas.mine}
    done = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert schemas.tables(schemas.mine) == TABLES
    assert schemas.decoy_intact()
    offline = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head", "--sql"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                             check=False)
    assert offline.returncode == 0, offline.stderr
    assert f'CREATE SCHEMA IF NOT EXISTS "{schemas.mine}"' in offline.stdout
    assert f'SET search_path TO "{schemas.mine}"' in offline.stdout


@pytest.mark.parametrize("name", ["Monitor", "1monitor", "my-monitor", "a;drop", "pg_monitor",
                                  "information_schema", "x" * 64, "mon itor"])
def test_a_bad_schema_name_is_refused_naming_the_setting(name: str, tmp_path: Path) -> None:
    """Settings and the engine refuse a name that is not a plain lower-case identifier."""
    with pytest.raises(ValidationError) as caught:
        Settings(database_schema=name)
    message = caught.value.errors()[0]["msg"]
    assert "MONITOR_DATABASE_SCHEMA must be a plain SQL identifier" in message
    assert repr(name) in message
    with pytest.raises(StoreError, match="MONITOR_DATABASE_SCHEMA must be a plain SQL"):
        create_store_engine("postgresql+psycopg://u@127.0.0.1/db", schema=name)


def test_a_bad_schema_name_stops_the_command(tmp_path: Path) -> None:
    """The command exits 2 with one line naming the variable, before touching any database."""
    done = monitor("db", "upgrade", cwd=tmp_path, MONITOR_DATABASE_SCHEMA="My-Schema",
                   MONITOR_DATABASE_URL="postgresql+psycopg://u@127.0.0.1:1/db")
    assert done.returncode == 2
    assert done.stderr.startswith("monitor: error: Value error, MONITOR_DATABASE_SCHEMA must")
    assert "'My-Schema'" in done.stderr and len(done.stderr.splitlines()) == 1


def test_blank_means_unset_and_sqlite_refuses_a_schema(tmp_path: Path) -> None:
    """An empty value is no schema; on SQLite, which has no schemas, a set one is an error."""
    assert Settings(database_schema=" ").database_schema is None
    assert Settings(database_schema="monitor_1").database_schema == "monitor_1"
    done = monitor("history", cwd=tmp_path, MONITOR_DATABASE_SCHEMA="monitor",
                   MONITOR_DATABASE_URL=f"sqlite:///{tmp_path / 'monitor.db'}")
    assert done.returncode == 2
    assert "MONITOR_DATABASE_SCHEMA is set ('monitor') but the database is SQLite" in done.stderr
    assert not (tmp_path / "monitor.db").exists()


def write_example(root: Path) -> None:
    """A reference, two hours of logs up to now and a rule file in ``root/rules``."""
    rng = np.random.default_rng(7)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

    def rows(n: int, start: datetime) -> pd.DataFrame:
        seconds = np.sort(rng.uniform(0, 7200, n))
        return pd.DataFrame({"ts": pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s"),
                             "x": rng.normal(0, 1, n), "c": rng.choice(["a", "b"], n)})

    rows(500, hour - timedelta(days=2)).to_parquet(root / "train.parquet")
    rows(400, hour - timedelta(hours=2)).to_parquet(root / "logs.parquet")
    (root / "rules").mkdir()
    (root / "rules" / "m.yaml").write_text(textwrap.dedent("""\
        monitors:
          - name: m
            schedule: {every: 1m}
            window: 1h
            delay: 0s
            source: {type: file, path: ../logs.parquet, timestamp: ts}
            reference: {path: ../train.parquet}
            columns: {categorical: [c]}
            quality: {min_rows: 10}
        """))
