"""Push-down on every database it knows, reached by the daemon; the others read rows.

- the runner profiles and checks a MariaDB or DuckDB table window in the database (its
  results equal those of the same window read row by row);
- windows are half-open, so adjacent windows count every row exactly once;
- a missing table or timestamp column fails with a message naming it;
- a Parquet dataset read through a DuckDB view is pushed down like a table, new files
  included;
- a database the push-down does not know reads rows and says so in one log line;
- the standard SQL that BigQuery, Snowflake and Databricks would be sent compiles with
  their SQLAlchemy dialects (none is pushed down to).
"""

from __future__ import annotations

import importlib
import itertools
import logging
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from monitor.daemon.runner import Runner
from monitor.errors import SourceError
from monitor.profiles import ProfileBuilder, build_profile
from monitor.rules.loader import load_rules
from monitor.sources.base import ProfileRequest
from monitor.sources.pushdown.aggregates import NumericAggregate
from monitor.sources.pushdown.plan import plan_columns
from monitor.sources.sql import SqlSource
from monitor.store import open_store
from monitor.windows import Window
from tests.integration.sources.checkdbs import *  # noqa: F403 (the check_url fixture)
from tests.integration.sources.test_pushdown_equivalence import EXCLUDE, REFERENCE, assert_same
from tests.integration.test_runner_checks import HOUR, RULES, T0, checks_of, loans, truth

pytestmark = pytest.mark.integration


@pytest.fixture(params=["mariadb", "duckdb"])
def new_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh MariaDB database or DuckDB file."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'loans.duckdb'}"
    url: str = request.getfixturevalue("mysql_database_url")
    return url


def test_the_runner_pushes_profile_and_checks_down(new_url, tmp_path, caplog):
    """A MariaDB or DuckDB table's window is profiled and checked in the database by the
    runner, with the results the same window gives read row by row."""
    rng = np.random.default_rng(7)
    reference = loans(rng, T0 - timedelta(days=1), 3000, faults=False).drop(columns="logged_at")
    logs = pd.concat([loans(rng, T0, 600, faults=False),
                      loans(rng, T0 + HOUR, 600, faults=True)])
    engine = sa.create_engine(new_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE loans (logged_at TIMESTAMP, score DOUBLE, "
                             "state VARCHAR(8), loan_id BIGINT, email VARCHAR(40), "
                             "amount DOUBLE, paid DOUBLE)"))
        records = logs.assign(logged_at=[t.replace(tzinfo=None) for t in logs.logged_at])
        conn.execute(sa.text("INSERT INTO loans VALUES (:logged_at, :score, :state, :loan_id, "
                             ":email, :amount, :paid)"), records.to_dict("records"))
    engine.dispose()
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    profile = build_profile([reference], categorical=["state"], exclude=["loan_id", "email"])
    store.save_profile("loans-train", profile.to_dict(), profile.content_hash(), profile.rows,
                       T0)
    path = tmp_path / "rules.yaml"
    path.write_text(RULES.format(name="pushed", url=new_url, pushed="true")
                    + RULES.format(name="pulled", url=new_url, pushed="false")
                    .split("monitors:\n", 1)[1])
    rules = load_rules([path], env={})
    runner = Runner(store, clock=lambda: T0 + 10 * HOUR)
    expected = truth(logs[logs["logged_at"] >= T0 + HOUR].reset_index(drop=True))
    stored = {}
    try:
        for name in ("pushed", "pulled"):
            caplog.clear()
            with caplog.at_level(logging.DEBUG, logger="monitor.daemon.collect"):
                outcome = runner.run_window(rules.monitor(name), Window(T0 + HOUR, T0 + 2 * HOUR))
            assert outcome.status == "ok", outcome.error
            in_place = any("profiled in place" in r.getMessage() for r in caplog.records)
            assert in_place == (name == "pushed")
            stored[name] = checks_of(store, outcome.run_id)
            assert {k: stored[name][k].failing_rows for k in expected} == expected, name
    finally:
        store.close()
    pushed, pulled = stored["pushed"], stored["pulled"]
    assert set(pushed) == set(pulled)
    for key, a in pushed.items():
        b = pulled[key]
        assert (a.check, a.failing_rows, a.passed) == (b.check, b.failing_rows, b.passed), key
        assert a.value == pytest.approx(b.value, rel=1e-9, abs=1e-12), key
    assert pushed["email.pattern"].note is None  # the regular expression ran in the database


def _table(url: str, n: int) -> None:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table("logs", meta, sa.Column("id", sa.Integer, primary_key=True,
                                             autoincrement=False),
                     sa.Column("ts", sa.DateTime(timezone=True)), sa.Column("x", sa.Double))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i, "ts": T0 + timedelta(seconds=i), "x": i / 7}
                                      for i in range(n)])
    engine.dispose()


def test_adjacent_windows_count_every_row_once(check_url):
    """[start, end): a row on a boundary belongs to the later window only."""
    _table(check_url, 90)
    source = SqlSource(SqlSource.Config(url=check_url, table="logs", timestamp="ts"))
    request = ProfileRequest(REFERENCE, EXCLUDE)
    cuts = [T0 + timedelta(seconds=s) for s in (0, 30, 31, 60, 90)]
    rows = []
    for start, end in itertools.pairwise(cuts):
        profile = source.profile_window(start, end, request)
        assert profile is not None
        rows.append(profile.rows)
        assert profile.rows == source.count_rows(start, end)
    assert rows == [30, 1, 29, 30]


def test_missing_table_and_timestamp_column_are_named(check_url):
    """A missing table, or a timestamp column it lacks, fails with a message naming it."""
    _table(check_url, 3)
    request = ProfileRequest(REFERENCE, EXCLUDE)
    absent = SqlSource(SqlSource.Config(url=check_url, table="no_such", timestamp="ts"))
    with pytest.raises(SourceError, match="table 'no_such' not found"):
        absent.profile_window(T0, T0 + HOUR, request)
    wrong = SqlSource(SqlSource.Config(url=check_url, table="logs", timestamp="when"))
    with pytest.raises(SourceError, match=r"timestamp column 'when' is not in table 'logs'"):
        wrong.profile_window(T0, T0 + HOUR, request)


def test_parquet_files_through_a_duckdb_view(tmp_path):
    """A DuckDB view over ``read_parquet('glob')`` is profiled in DuckDB as the rows read
    through it are, and a file added later is in the next read."""
    rng = np.random.default_rng(5)
    folder = tmp_path / "logs"
    folder.mkdir()

    def write(part: int, n: int) -> None:
        times = pd.date_range(T0 + timedelta(seconds=part * n), periods=n, freq="s", tz="UTC")
        frame = pd.DataFrame({"ts": times, "x": rng.normal(0, 10, n), "k": rng.integers(-3, 4, n),
                              "c": rng.choice(["a", "b", "c"], n), "code": rng.integers(1, 4, n),
                              "b": rng.random(n) < 0.5, "t": rng.choice(["hi", "hello"], n),
                              "s": rng.normal(5, 1, n)})
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                       folder / f"part-{part}.parquet")

    write(0, 500)
    database = tmp_path / "monitor.duckdb"
    engine = sa.create_engine(f"duckdb:///{database}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE VIEW logs AS SELECT * FROM "
                             f"read_parquet('{folder}/*.parquet')"))
    engine.dispose()
    source = SqlSource(SqlSource.Config(url=f"duckdb:///{database}", table="logs", timestamp="ts"))
    request = ProfileRequest(REFERENCE, EXCLUDE, sample_size=100)
    end = T0 + timedelta(hours=1)
    pushed = source.profile_window(T0, end, request)
    builder = ProfileBuilder(reference=REFERENCE, exclude=EXCLUDE, sample_size=100)
    for chunk in source.read(T0, end):
        builder.update(chunk)
    assert pushed is not None and pushed.rows == 500
    assert_same(pushed, builder.build(), samples=False)
    write(1, 500)
    again = source.profile_window(T0, end, request)
    assert again is not None and again.rows == 1000


def test_unknown_databases_read_rows_and_say_so_once(caplog):
    """A table on a database without a dialect class is read as rows; one INFO line says
    so, however many windows ask (nothing connects to find out)."""
    source = SqlSource(SqlSource.Config(url="oracle://u:secret@h/db", table="t", timestamp="ts"))
    request = ProfileRequest(REFERENCE, EXCLUDE)
    with caplog.at_level(logging.INFO, logger="monitor.sources.sql"):
        for _ in range(3):
            assert source.profile_window(T0, T0 + HOUR, request) is None
    told = [r for r in caplog.records if "no push-down on oracle" in r.getMessage()]
    assert len(told) == 1 and told[0].levelno == logging.INFO
    assert "secret" not in told[0].getMessage()


@pytest.mark.parametrize(("module", "url", "quote"), [
    ("sqlalchemy_bigquery", "bigquery://project/dataset", "`"),
    ("snowflake.sqlalchemy", "snowflake://user@account/db/schema", ""),
    ("databricks.sqlalchemy", "databricks://token:t@host?http_path=/p&catalog=c&schema=s", ""),
])
def test_standard_sql_compiles_for_cloud_warehouses(module, url, quote, caplog):
    """BigQuery, Snowflake and Databricks: no dialect class, so their tables are read as rows;
    the standard SQL a class would start from (``Portable``: CASE inside the aggregates, no
    FILTER) compiles offline with each SQLAlchemy dialect."""
    pytest.importorskip(module)
    dialect = sa.engine.make_url(url).get_dialect()()
    table = sa.Table("logs", sa.MetaData(), sa.Column("ts", sa.DateTime(timezone=True)),
                     sa.Column("x", sa.Double), sa.Column("k", sa.Integer))
    plan = plan_columns(table, REFERENCE, EXCLUDE, joint=False)
    numeric = [NumericAggregate(p, dialect.name, finite_only=True, packed=True)
               for p in plan.numeric]
    statement = (sa.select(sa.func.count(), *(e for a in numeric for e in a.exprs))
                 .select_from(table).where(table.c.ts >= sa.bindparam("start")))
    sql = str(statement.compile(dialect=dialect))
    assert "FILTER" not in sql and "CASE WHEN" in sql and f"{quote}logs{quote}" in sql
    assert sql.count("CASE WHEN") >= len(REFERENCE.columns["x"].numeric.edges)
    source = SqlSource(SqlSource.Config(url=url, table="logs", timestamp="ts"))
    assert importlib.import_module(module) is not None
    with caplog.at_level(logging.INFO, logger="monitor.sources.sql"):
        assert source.profile_window(T0, T0 + HOUR, ProfileRequest(REFERENCE, EXCLUDE)) is None
    assert any("no push-down" in r.getMessage() for r in caplog.records)


def test_doubles_keep_every_digit(check_url):
    """A DOUBLE column is read with all its digits (MariaDB's reflected DOUBLE would read as a
    decimal of 10 places), pulled and pushed down alike, fine bins included."""
    _table(check_url, 120)
    source = SqlSource(SqlSource.Config(url=check_url, table="logs", timestamp="ts"))
    end = T0 + HOUR
    pulled = pd.concat(list(source.read(T0, end)))
    assert pulled["x"].tolist() == [i / 7 for i in range(120)]
    reference = build_profile([pulled.drop(columns=["ts", "id"])])
    request = ProfileRequest(reference, ("ts", "id"))
    pushed = source.profile_window(T0, end, request)
    builder = ProfileBuilder(reference=reference, exclude=("ts", "id"))
    for chunk in source.read(T0, end):
        builder.update(chunk)
    assert pushed is not None
    assert_same(pushed, builder.build())
    assert pushed.columns["x"].numeric.fine_counts.tolist() == [0, *[1] * 120, 0]
