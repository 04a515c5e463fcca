"""Opening a store: automatic and refused migrations, clear errors, up and down again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from monitor.errors import StoreError
from monitor.store import current_revision, downgrade, head_revision, open_store, upgrade
from monitor.store.engine import create_store_engine
from monitor.store.migrate import script_directory
from monitor.store.models import Base
from tests.integration.store.store_factories import T0, new_results, new_run

pytestmark = pytest.mark.integration

TABLES = {"alembic_version", "alert_states", "outbox", "profiles", "results", "run_reports",
          "runs", "silences",
          "window_leases"}


def test_migrations_form_one_chain() -> None:
    """The package's migrations are one line of revisions ending at the head."""
    chain = [rev.revision for rev in script_directory().walk_revisions()]
    assert chain == ["0006_estimate_bands", "0005_check_details", "0004_run_reports",
                     "0003_leases", "0002_alerting", "0001_initial"]
    assert head_revision() == chain[0]


def test_fresh_database_is_migrated_on_open(database_url: str) -> None:
    """open_store brings an empty database to the head revision on every backend."""
    store = open_store(database_url)
    try:
        assert current_revision(store.engine) == head_revision()
        assert set(inspect(store.engine).get_table_names()) == TABLES
    finally:
        store.close()


def test_open_store_needs_no_working_directory(tmp_path, monkeypatch) -> None:
    """Migrations are found inside the package, whatever the current directory is."""
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///monitor.db")
    try:
        assert (tmp_path / "monitor.db").exists()
        assert current_revision(store.engine) == head_revision()
    finally:
        store.close()


def test_sqlite_upgrades_an_outdated_schema_by_itself(tmp_path) -> None:
    """An SQLite database at an older revision (here: none) is upgraded on open."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_store_engine(url)
    upgrade(engine)
    downgrade(engine, "base")
    engine.dispose()
    store = open_store(url)
    try:
        assert current_revision(store.engine) == head_revision()
    finally:
        store.close()


@pytest.mark.postgres
def test_stale_postgres_schema_is_refused(postgres_schema_url: str) -> None:
    """A PostgreSQL schema with our tables but behind head names the command to run."""
    engine = create_store_engine(postgres_schema_url)
    Base.metadata.create_all(engine)  # tables without a revision: not fresh, not current
    engine.dispose()
    with pytest.raises(StoreError) as caught:
        open_store(postgres_schema_url)
    assert str(caught.value) == (
        f"database schema is at revision none, this version needs {head_revision()}:"
        " run `monitor db upgrade`"
    )


def test_auto_migrate_false_refuses_even_a_fresh_database(database_url: str) -> None:
    """auto_migrate=False never touches the schema; the error says what to run."""
    with pytest.raises(StoreError, match="run `monitor db upgrade`"):
        open_store(database_url, auto_migrate=False)
    engine = create_store_engine(database_url)
    try:
        assert "runs" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_database_from_a_newer_version_is_refused(database_url: str) -> None:
    """A revision this code does not know (a newer monitor migrated it) is an error."""
    engine = create_store_engine(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"revision 0099_future, which this version .* not know"):
        open_store(database_url)


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    """Migrating down to base removes every table; migrating up again restores a working store."""
    engine = create_store_engine(database_url)
    assert upgrade(engine) == head_revision()
    assert current_revision(engine) == head_revision()
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == TABLES
    engine.dispose()
    store = open_store(database_url, auto_migrate=False)
    try:
        assert store.save_run(new_run(), [], [], []) is not None
        assert store.last_window_end("credit") is not None
    finally:
        store.close()


def test_migration_matches_the_models(database_url: str) -> None:
    """The schema the migrations create is the one the models describe."""
    engine = create_store_engine(database_url)
    upgrade(engine)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_unreachable_database_error_hides_the_password() -> None:
    """A refused connection is one line naming the URL without its password, and the cause."""
    with pytest.raises(StoreError) as caught:
        open_store("postgresql+psycopg://monitor:s3cret@127.0.0.1:1/x")
    message = str(caught.value)
    assert message.startswith(
        "cannot connect to the database postgresql+psycopg://monitor:***@127.0.0.1:1/x: "
    )
    assert "connection refused" in message.lower()
    assert message.endswith("check MONITOR_DATABASE_URL")
    assert "s3cret" not in message and "\n" not in message


def test_ping_and_reopen(store, database_url: str) -> None:
    """ping answers on a working store; a second open of a current schema changes nothing."""
    store.ping()
    assert store.save_run(new_run(start=T0), [], [], []) is not None
    again = open_store(database_url, auto_migrate=False)
    try:
        assert len(again.runs()) == 1
    finally:
        again.close()


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path) -> None:
    """Every SQLite connection enforces foreign keys and the file is in WAL mode."""
    store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
    try:
        with store.engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    finally:
        store.close()


def test_deleting_a_run_deletes_its_results(store) -> None:
    """Results belong to their run: the foreign key cascades on delete."""
    saved = store.save_run(new_run(), new_results(), [], [])
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM runs WHERE id = :id"), {"id": saved.id})
    assert store.results(saved.id) == []
