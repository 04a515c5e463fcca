"""Push-down profiling equals profiling the pulled rows, on SQLite, PostgreSQL, MariaDB and
DuckDB.

Property test: random windows of random tables (nulls, NaN, infinities,
integers, text lengths, booleans, categories the reference never saw, rows
outside the window) profiled by the database and by ``ProfileBuilder`` on the
rows ``SqlSource.read`` pulls. While a window holds fewer values than the
sample size, the two profiles are equal in everything, samples included
(mean and variance to float precision). Each database keeps what it can: NaN
on PostgreSQL and DuckDB, infinities on SQLite too, neither on MariaDB (whose
``FLOAT`` and DuckDB's are single precision, read as the driver sends them).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from monitor.profiles import Profile, ProfileBuilder, build_profile
from monitor.sources.base import ProfileRequest
from monitor.sources.sql import SqlSource
from tests.integration.sources.checkdbs import *  # noqa: F403 (the check_url fixture)

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, tzinfo=UTC)
START, END = T0 + timedelta(seconds=10), T0 + timedelta(seconds=70)
EXCLUDE = ("ts", "id")
INF = math.inf


def reference() -> Profile:
    """Kinds, edges and categories the current windows are read against."""
    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame({
        "x": rng.normal(0, 10, n), "k": rng.integers(-3, 4, n),
        "c": rng.choice(["a", "b"], n), "code": rng.choice([1, 2, 3], n),
        "b": rng.choice([True, False], n), "t": rng.choice(["hi", "hello", "hey you"], n),
        "s": rng.normal(5, 1, n).round(2),
    })
    return build_profile([frame], kinds={"code": "categorical", "t": "text"})


REFERENCE = reference()

values = {
    "x": st.one_of(st.none(), st.floats(-1e4, 1e4, allow_nan=False),
                   st.sampled_from([INF, -INF, math.nan, 0.0, -0.0])),
    "k": st.one_of(st.none(), st.integers(-5, 5)),
    "c": st.one_of(st.none(), st.sampled_from(["a", "b", "c", "", "B"])),
    "code": st.one_of(st.none(), st.integers(0, 4)),
    "b": st.one_of(st.none(), st.booleans()),
    "t": st.one_of(st.none(), st.text(max_size=8)),
    "s": st.one_of(st.none(), st.sampled_from(["4.5", "5", "x", " 6 ", "1e2"])),
}
rows = st.lists(st.fixed_dictionaries(values), max_size=60)


def create(url: str, data: list[dict]) -> None:
    """(Re)create the table and insert ``data``, one row per second from T0."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table(
        "logs", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("ts", sa.DateTime(timezone=True)), sa.Column("x", sa.Float),
        sa.Column("k", sa.Integer), sa.Column("c", sa.String(8)), sa.Column("code", sa.Integer),
        sa.Column("b", sa.Boolean), sa.Column("t", sa.Text), sa.Column("s", sa.String(8)),
        sa.Column("extra", sa.Float))
    meta.drop_all(engine)
    meta.create_all(engine)
    dialect = engine.dialect.name
    nan, inf = dialect in ("postgresql", "duckdb"), dialect != "mysql"
    records = []
    for i, row in enumerate(data):
        row = dict(row)
        x = row["x"]
        if x is not None and ((not nan and math.isnan(x)) or (not inf and math.isinf(x))):
            row["x"] = None  # SQLite stores NaN as NULL; MariaDB keeps neither
        if row["t"] is not None:
            row["t"] = row["t"].replace("\x00", "")  # PostgreSQL text holds no NUL
        records.append({"id": i, "ts": T0 + timedelta(seconds=i), "extra": 1.0, **row})
    if records:
        with engine.begin() as conn:
            conn.execute(table.insert(), records)
    engine.dispose()


def pulled(source: SqlSource, **options: int) -> Profile:
    builder = ProfileBuilder(reference=REFERENCE, exclude=EXCLUDE, **options)
    for chunk in source.read(START, END):
        builder.update(chunk)
    return builder.build()


def assert_same(pushed: Profile, expected: Profile, *, samples: bool = True) -> None:
    """Equal profiles; mean and m2 to float precision; samples too when asked."""
    assert pushed.rows == expected.rows
    assert pushed.extra_columns == expected.extra_columns
    assert list(pushed.columns) == list(expected.columns)
    for name, want in expected.columns.items():
        got = pushed.columns[name]
        assert (got.kind, got.count, got.missing, got.invalid, got.nonfinite) == (
            want.kind, want.count, want.missing, want.invalid, want.nonfinite), name
        if want.categorical is not None:
            assert got.categorical == want.categorical, name
            continue
        a, b = got.numeric, want.numeric
        assert (a.min, a.max, a.bins, a.sample_limit) == (b.min, b.max, b.bins, b.sample_limit)
        assert np.array_equal(a.edges, b.edges) and np.array_equal(a.counts, b.counts), name
        assert b.has_fine and np.array_equal(a.fine_edges, b.fine_edges), name
        assert np.array_equal(a.fine_counts, b.fine_counts), name  # every value, in SQL too
        scale = max(1.0, abs(b.mean))
        assert a.mean == pytest.approx(b.mean, rel=1e-9, abs=1e-9 * scale), name
        assert a.m2 == pytest.approx(b.m2, rel=1e-7, abs=1e-7 * scale * scale), name
        if samples:
            assert np.array_equal(a.sample, b.sample), name
    if samples:
        assert pushed.joint == expected.joint


def check_equal(url: str, data: list[dict]) -> None:
    create(url, data)
    source = SqlSource(SqlSource.Config(url=url, table="logs", timestamp="ts"))
    pushed = source.profile_window(START, END, ProfileRequest(REFERENCE, EXCLUDE))
    assert pushed is not None
    assert_same(pushed, pulled(source))


_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture,
                                                         HealthCheck.too_slow]}


@settings(max_examples=40, **_SETTINGS)
@given(data=rows)
def test_pushdown_equals_pulled_profile_on_sqlite(tmp_path, data):
    """On SQLite, for any table, the profile computed in place equals the pulled rows' one."""
    check_equal(f"sqlite:///{tmp_path / 'logs.db'}", data)


@pytest.mark.postgres
@settings(max_examples=15, **_SETTINGS)
@given(data=rows)
def test_pushdown_equals_pulled_profile_on_postgres(postgres_schema_url, data):
    """On PostgreSQL (NaN included), the profile computed in place equals the pulled one."""
    check_equal(postgres_schema_url, data)


@settings(max_examples=15, **_SETTINGS)
@given(data=rows)
def test_pushdown_equals_pulled_profile_on_mariadb(mysql_database_url, data):
    """On MariaDB (case-blind collations, single-precision FLOAT), the profile computed in
    place equals the pulled one."""
    check_equal(mysql_database_url, data)


@settings(max_examples=25, **_SETTINGS)
@given(data=rows)
def test_pushdown_equals_pulled_profile_on_duckdb(tmp_path, data):
    """On DuckDB (NaN included, fine bins by ASOF JOIN), the profile computed in place equals
    the pulled one."""
    check_equal(f"duckdb:///{tmp_path / 'logs.duckdb'}", data)


def test_large_window_samples_are_read_off_the_fine_histogram(check_url):
    """Beyond the sample size, everything but the samples is equal, fine counts included; a
    column's sample is read off its fine histogram, so a second read gives the same one."""
    rng = np.random.default_rng(7)
    n = 3000
    data = [{"x": float(v) if rng.random() > 0.2 else None, "k": int(rng.integers(-3, 4)),
             "c": str(rng.choice(["a", "b", "c"])), "code": int(rng.integers(1, 4)),
             "b": bool(rng.random() < 0.3), "t": "hey", "s": "5.5"} for v in rng.normal(1, 10, n)]
    create(check_url, data)
    start, end = T0, T0 + timedelta(seconds=n)
    source = SqlSource(SqlSource.Config(url=check_url, table="logs", timestamp="ts"))
    request = ProfileRequest(REFERENCE, EXCLUDE, sample_size=300, joint_sample_size=100)
    pushed = source.profile_window(start, end, request)
    builder = ProfileBuilder(reference=REFERENCE, exclude=EXCLUDE, sample_size=300,
                             joint_sample_size=100)
    for chunk in source.read(start, end):
        builder.update(chunk)
    expected = builder.build()
    assert_same(pushed, expected, samples=False)
    x = np.array([d["x"] for d in data if d["x"] is not None])
    sample = pushed.columns["x"].numeric.sample
    assert len(sample) == 300 and np.all(np.diff(sample) >= 0)
    assert x.min() <= sample.min() and sample.max() <= x.max()
    assert stats.ks_2samp(sample, x).pvalue > 1e-3  # spread over the column, not a corner of it
    again = source.profile_window(start, end, request)
    assert {n: c.numeric.sample.tolist() for n, c in again.columns.items() if c.numeric} == {
        n: c.numeric.sample.tolist() for n, c in pushed.columns.items() if c.numeric}
    assert pushed.joint.rows.shape == (100, len(REFERENCE.joint.columns))
    assert pushed.joint.count == n and pushed.joint.limit == 100
