"""Checks pushed down into SQLite, PostgreSQL, MariaDB and DuckDB, against values computed with
pandas.

A fixed table whose every check finds something: the expected counts,
shares and statistics come from pandas and numpy on the rows of the window
(``[start, end)``, rows on both edges included in the table), not from
either engine. Then ``sql:`` checks, the checks the database hands back to
the local engine (with a note), and the errors that name what is missing.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.checks.plan import (
    Arithmetic,
    CheckPlan,
    Column,
    ColumnCheck,
    Compare,
    ConditionCheck,
    DuplicateCheck,
    Literal,
    SqlCheck,
    Tolerance,
)
from monitor.errors import SourceError
from monitor.sources.base import Source
from monitor.sources.sql import SqlSource
from tests.integration.sources.checkdbs import *  # noqa: F403 (the check_url fixture)
from tests.integration.sources.test_pushdown_checks import assert_same_results, local_results

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, tzinfo=UTC)
START, END = T0 + timedelta(seconds=5), T0 + timedelta(seconds=125)
REGEX = r"^[a-z]+$"
KINDS = {"x": "numeric", "k": "numeric", "s": "categorical", "b": "boolean"}
MISSING = {"x": (-1.0,), "k": (-1,), "s": ("N/A", "")}


def frame(nan: bool) -> pd.DataFrame:
    """130 rows, one per second from T0: nulls, configured missing values, NaN (if kept)."""
    rng = np.random.default_rng(11)
    n = 130
    x = rng.normal(3.0, 2.0, n).round(4)
    x[rng.random(n) < 0.1] = np.nan
    x[::17] = -1.0
    if nan:
        x[5::23] = np.inf
    k = pd.array(rng.integers(-1, 6, n), dtype="Int64")
    k[rng.random(n) < 0.08] = pd.NA
    s = rng.choice(["a", "b", "A", "a ", "", "N/A", "abc", "zzz", "é"], n).astype(object)
    s[rng.random(n) < 0.1] = None
    b = pd.array(rng.random(n) < 0.6, dtype="boolean")
    b[rng.random(n) < 0.1] = pd.NA
    ts = [T0 + timedelta(seconds=i) for i in range(n)]
    return pd.DataFrame({"id": range(n), "ts": ts, "x": x, "k": k, "s": s, "b": b})


def create(url: str, data: pd.DataFrame, float_type: sa.types.TypeEngine | None = None) -> None:
    engine = sa.create_engine(url)
    float_type = float_type if float_type is not None else sa.Double()
    meta = sa.MetaData()
    table = sa.Table(
        "logs", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("ts", sa.DateTime(timezone=True)), sa.Column("x", float_type),
        sa.Column("k", sa.Integer), sa.Column("s", sa.String(10)), sa.Column("b", sa.Boolean))
    meta.drop_all(engine)
    meta.create_all(engine)
    records = data.astype(object).where(data.notna(), None).to_dict("records")
    for record in records:
        record["ts"] = record["ts"].to_pydatetime()
    with engine.begin() as conn:
        conn.execute(table.insert(), records)
    engine.dispose()


def keeps_nan(url: str) -> bool:
    return url.startswith(("postgresql", "duckdb"))


@pytest.fixture
def logs(check_url: str) -> tuple[SqlSource, pd.DataFrame]:
    """The source of the fixed table, and the window's rows as pandas holds them."""
    data = frame(keeps_nan(check_url))
    create(check_url, data)
    window = data[(data.ts >= START) & (data.ts < END)].reset_index(drop=True)
    return SqlSource(SqlSource.Config(url=check_url, table="logs", timestamp="ts")), window


def results_by_key(source: SqlSource, plan: CheckPlan) -> dict[str, object]:
    found = source.check_window(START, END, plan, KINDS)
    assert found is not None
    return {r.key: r for r in found}


def test_row_checks_count_what_pandas_counts(logs):
    """missing, range, allowed, pattern, length, unique and type: counts and shares."""
    source, w = logs
    x_missing = w.x.isna() | (w.x == -1.0)  # NaN counts as missing
    s_missing = w.s.isna() | w.s.isin(["N/A", ""])
    k_missing = w.k.isna() | (w.k == -1)
    x, k, s = w.x[~x_missing], w.k[~k_missing], w.s[~s_missing]
    expected = {
        "x.missing": (int(x_missing.sum()), len(w)),
        "x.range": (int(((x < 0) | (x > 6)).sum()), len(x)),  # inf is out of range
        "s.allowed": (int((~s.isin(["a", "b"])).sum()), len(s)),  # 'A' and 'a ' are not 'a'
        "s.pattern": (int((~s.map(lambda v: re.search(REGEX, v) is not None)).sum()), len(s)),
        "s.length": (int((s.str.len() > 2).sum()), len(s)),
        "k.unique": (int(k.duplicated().sum()), len(k)),
        "s.unique": (int(s.duplicated().sum()), len(s)),
        "k.type": (int((~k.isin([0, 1])).sum()), len(k)),
    }
    plan = CheckPlan(columns=(
        ColumnCheck("missing", "x", Tolerance(max_share=0.5)),
        ColumnCheck("range", "x", Tolerance(max_rows=1000), minimum=0, maximum=6),
        ColumnCheck("allowed", "s", values=("a", "b")),
        ColumnCheck("pattern", "s", regex=REGEX),
        ColumnCheck("length", "s", maximum=2),
        ColumnCheck("unique", "k"), ColumnCheck("unique", "s"),
        ColumnCheck("type", "k", kind_of="boolean"),
    ), missing_values=MISSING)
    found = results_by_key(source, plan)
    for key, (failing, considered) in expected.items():
        result = found[key]
        assert (result.failing_rows, result.value) == (failing, failing / considered), key
        assert failing > 0, key  # the data makes every check find something
    assert found["x.missing"].passed and found["x.range"].passed
    assert not found["s.allowed"].passed and found["x.range"].unit == "rows"
    for key in ("s.allowed", "s.pattern", "s.length"):  # samples are failing values
        samples = found[key].samples
        assert 0 < len(samples) <= 10
    assert set(found["s.allowed"].samples) <= set(s[~s.isin(["a", "b"])])
    assert set(found["s.pattern"].samples) == set(s[~s.str.fullmatch("[a-z]+")])


def test_statistics_equal_numpy(logs):
    """mean, stddev (ddof=1) and quantile (linear) of the finite present values."""
    source, w = logs
    x = w.x[(w.x != -1.0) & np.isfinite(w.x.astype(float))].astype(float).to_numpy()
    plan = CheckPlan(columns=(
        ColumnCheck("mean", "x", minimum=0, maximum=10),
        ColumnCheck("stddev", "x", maximum=1.0),
        ColumnCheck("quantile", "x", minimum=0, quantile=0.9),
    ), missing_values=MISSING)
    found = results_by_key(source, plan)
    assert found["x.mean"].value == pytest.approx(x.mean(), rel=1e-12)
    assert found["x.stddev"].value == pytest.approx(x.std(ddof=1), rel=1e-12)
    assert found["x.quantile"].value == pytest.approx(np.quantile(x, 0.9), rel=1e-12)
    assert found["x.mean"].passed and not found["x.stddev"].passed
    assert found["x.mean"].bounds == (0, 10) and found["x.mean"].threshold is None
    note = found["x.quantile"].note
    if source.config.url.startswith("sqlite"):
        assert note == "computed locally: sqlite has no percentile function"
    else:
        assert note is None


def test_conditions_and_duplicates(logs):
    """A row fails where a condition is false, never where it is undefined (null, NaN, a
    division by zero); duplicates count rows beyond the first, nulls grouped together."""
    source, w = logs
    x = w.x.where(~w.x.isin([-1.0]) & w.x.notna()).astype(float)
    k = w.k.where(w.k != -1).astype("Float64").astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = x / k
    defined = x.notna() & k.notna() & (k != 0) & ratio.notna()  # inf / 2 is defined
    ratio_fails = int((defined & ~(ratio < 2)).sum())
    b = w.b.astype("Float64")
    keys = pd.DataFrame({"k": k, "b": b.astype(float)})
    plan = CheckPlan(
        conditions=(
            ConditionCheck("ratio", Compare((Arithmetic("/", Column("x"), Column("k")),
                                             Literal(2.0)), ("<",)), "x / k < 2"),
            ConditionCheck("flag", Compare((Column("b"), Literal(True)), ("==",)), "b == true"),
            ConditionCheck("never", Compare((Literal(1.0), Literal(2.0)), (">",)), "1 > 2",
                           Tolerance(max_share=1.0)),
        ),
        duplicates=(DuplicateCheck(("k", "b")),),
        missing_values=MISSING)
    found = results_by_key(source, plan)
    assert found["ratio"].failing_rows == ratio_fails > 0
    assert found["flag"].failing_rows == int((b == 0).fillna(False).sum())
    assert found["never"].failing_rows == len(w) == 120  # [start, end): start in, end out
    assert found["never"].passed
    assert found["k,b"].failing_rows == int(keys.duplicated().sum())
    for sample in found["ratio"].samples:
        parsed = dict(part.split("=") for part in sample.split(", "))
        xv, kv = float(parsed["x"]), float(parsed["k"])
        assert kv != 0 and xv / kv >= 2


def test_sql_checks_of_both_kinds(logs):
    """``returns: value`` bounds one number; ``returns: rows`` counts and shows the rows."""
    source, w = logs
    in_window = "FROM logs WHERE ts >= :start AND ts < :end"
    count = source.sql_check(SqlCheck("rows", f"SELECT COUNT(*) {in_window};", minimum=100),
                             START, END)
    assert (count.check, count.name, count.value, count.passed) == ("sql", "rows", 120.0, True)
    big = w[w.k > 3]
    rows = source.sql_check(SqlCheck("big_k", f"SELECT id, k {in_window} AND k > 3", "rows",
                                     tolerance=Tolerance(max_rows=5)), START, END)
    assert (rows.failing_rows, rows.value, rows.threshold, rows.unit) == (
        len(big), float(len(big)), 5.0, "rows")
    assert not rows.passed and len(rows.samples) == 10
    shown = {f"id={i}, k={v}" for i, v in zip(big.id, big.k, strict=True)}
    assert set(rows.samples) <= shown
    empty = source.sql_check(SqlCheck("none", f"SELECT MAX(x) {in_window} AND 1 = 0",
                                      maximum=1.0), START, END)
    assert not empty.passed and math.isnan(empty.value) and "NULL" in (empty.note or "")
    query = SqlSource(SqlSource.Config(url=source.config.url, timestamp="ts",
                                       query=f"SELECT * {in_window}"))
    again = query.sql_check(SqlCheck("rows", f"SELECT COUNT(*) {in_window}", maximum=100),
                            START, END)
    assert (again.value, again.passed) == (120.0, False)
    assert query.check_window(START, END, CheckPlan(columns=(ColumnCheck("missing", "x"),)),
                              KINDS) is None


def test_failing_sql_check_names_itself(logs):
    """A query the database refuses is a SourceError naming the check and the column."""
    source, _ = logs
    with pytest.raises(SourceError, match=r"sql check 'broken' failed: .*nope"):
        source.sql_check(SqlCheck("broken", "SELECT MAX(nope) FROM logs"), START, END)


def test_missing_table_and_column(check_url):
    """A missing table is a SourceError naming it; a missing column fails its checks, as the
    local engine says."""
    create(check_url, frame(False))
    absent = SqlSource(SqlSource.Config(url=check_url, table="no_such", timestamp="ts"))
    plan = CheckPlan(columns=(ColumnCheck("range", "nope", maximum=1),
                              ColumnCheck("missing", "x", Tolerance(max_share=1.0))),
                     conditions=(ConditionCheck("c", Compare((Column("gone"), Literal(1.0)),
                                                             (">",)), "gone > 1"),))
    with pytest.raises(SourceError, match="no_such"):
        absent.check_window(START, END, plan, KINDS)
    source = SqlSource(SqlSource.Config(url=check_url, table="logs", timestamp="ts"))
    found = source.check_window(START, END, plan, KINDS)
    assert found is not None
    assert [r.passed for r in found] == [False, True, False]
    assert found[0].note == "column 'nope' is not in the data"
    assert "gone" in (found[2].note or "")
    assert_same_results(found, local_results(source, plan, KINDS, START, END))


def test_checks_sql_cannot_compute_are_computed_locally(check_url):
    """Numbers kept as text, read as numbers: their checks read the column, with a note."""
    engine = sa.create_engine(check_url)
    meta = sa.MetaData()
    table = sa.Table("logs", meta,
                     sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                     sa.Column("ts", sa.DateTime(timezone=True)), sa.Column("v", sa.String(10)))
    meta.create_all(engine)
    texts = ["1.5", "x", "7", None, "2e1", " 3 "] * 5
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i, "ts": T0 + timedelta(seconds=i), "v": v}
                                      for i, v in enumerate(texts)])
    engine.dispose()
    source = SqlSource(SqlSource.Config(url=check_url, table="logs", timestamp="ts"))
    plan = CheckPlan(columns=(ColumnCheck("range", "v", maximum=5.0),
                              ColumnCheck("type", "v", kind_of="numeric"),
                              ColumnCheck("length", "v", maximum=2)))
    kinds = {"v": "numeric"}
    found = source.check_window(T0, END, plan, kinds)
    assert found is not None
    numbers = pd.to_numeric(pd.Series(texts), errors="coerce")
    present = pd.Series(texts).notna()
    assert found[0].failing_rows == int((present & ~(numbers <= 5.0)).sum())
    assert found[1].failing_rows == int((present & numbers.isna()).sum())
    varchar = "VARCHAR" if check_url.startswith("duckdb") else "VARCHAR(10)"  # no length there
    assert [r.note for r in found] == [f"computed locally: numbers held as {varchar}",
                                       f"computed locally: numeric values held as {varchar}",
                                       None]
    assert_same_results(found, local_results(source, plan, kinds, T0, END))


def test_columns_read_as_their_values_suggest(check_url):
    """Text columns of no known kind may hold times (and are read so): checks that depend on
    the kind read the column; the others stay in the database."""
    engine = sa.create_engine(check_url)
    meta = sa.MetaData()
    table = sa.Table("logs", meta,
                     sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                     sa.Column("ts", sa.DateTime(timezone=True)), sa.Column("v", sa.String(40)))
    meta.create_all(engine)
    texts = ["2026-01-05T10:00:00Z", "2026-01-01 05:00:00", None, "2025-12-31 23:59:59+00:00"] * 4
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i, "ts": T0 + timedelta(seconds=i), "v": v}
                                      for i, v in enumerate(texts)])
    engine.dispose()
    source = SqlSource(SqlSource.Config(url=check_url, table="logs", timestamp="ts"))
    late = Compare((Column("v"), Literal("2026-01-01T00:00:00Z")), (">",))
    plan = CheckPlan(columns=(ColumnCheck("type", "v"), ColumnCheck("length", "v", maximum=10)),
                     conditions=(ConditionCheck("late", late, "v > '2026-01-01T00:00:00Z'"),))
    found = source.check_window(T0, END, plan, {})
    assert found is not None
    assert [r.failing_rows for r in found] == [0, 12, 4]  # as text, 05:00 would fail too
    assert [(r.note or "")[:16] for r in found] == ["computed locally", "", "computed locally"]
    assert_same_results(found, local_results(source, plan, {}, T0, END))


def test_single_precision_floats_compare_as_pulled(check_url):
    """A FLOAT column (single precision on MariaDB and DuckDB) holds 0.1 as the rows pulled
    read it: MariaDB sends its six digits (0.1), DuckDB its binary value (0.100000001..)."""
    data = frame(False).head(10).assign(x=[0.1, 0.2, 0.3, 0.7, None, 0.1, 0.2, 0.3, 0.7, 0.1])
    create(check_url, data, float_type=sa.Float())
    source = SqlSource(SqlSource.Config(url=check_url, table="logs", timestamp="ts"))
    plan = CheckPlan(columns=(ColumnCheck("allowed", "x", values=(0.1, 0.2)),
                              ColumnCheck("range", "x", maximum=0.2),
                              ColumnCheck("unique", "x")))
    found = source.check_window(T0, END, plan, KINDS)
    assert found is not None
    single = check_url.startswith("duckdb")  # no float32 value equals 0.1 nor 0.2
    assert [r.failing_rows for r in found] == ([9, 6, 5] if single else [4, 4, 5])
    assert_same_results(found, local_results(source, plan, KINDS, T0, END))


def test_sources_that_cannot_check_in_place(tmp_path: Path):
    """Other databases, and sources told to read rows, leave the checks to the local engine;
    a source that is not SQL runs no sql check."""
    plan = CheckPlan(columns=(ColumnCheck("missing", "x"),))
    other = SqlSource(SqlSource.Config(url="oracle://u@h/db", table="t", timestamp="ts"))
    assert other.check_window(START, END, plan, KINDS) is None
    off = SqlSource(SqlSource.Config(url=f"sqlite:///{tmp_path / 'x.db'}", table="t",
                                     timestamp="ts", profile_in_database=False))
    assert off.check_window(START, END, plan, KINDS) is None

    class Rows(Source):
        def read(self, start=None, end=None):
            yield pd.DataFrame({"x": [1.0]})

    rows = Rows(Source.Config(type="rows"))
    assert rows.check_window(START, END, plan, KINDS) is None
    with pytest.raises(SourceError, match="sql checks need a SQL source"):
        rows.sql_check(SqlCheck("q", "SELECT 1"), START, END)
