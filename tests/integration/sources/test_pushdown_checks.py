"""Checks pushed down into SQLite, PostgreSQL and MariaDB equal the local engine's results.

Property test: random tables (nulls, NaN and infinities where the database
keeps them, configured missing values, text differing only in case or a
trailing space, booleans, times, decimals, rows outside the window) checked
by ``SqlSource.check_window`` and by ``CheckAccumulator`` on the rows
``SqlSource.read`` pulls. Results are equal in check, column, name, value,
failing rows, threshold and verdict (statistics to float precision); while
fewer than ten values fail, the samples are the same set.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.checks.local import CheckAccumulator
from monitor.checks.plan import (
    FORMATS,
    STATISTIC_KINDS,
    Arithmetic,
    CheckPlan,
    Column,
    ColumnCheck,
    Compare,
    ConditionCheck,
    DuplicateCheck,
    Literal,
    Logic,
    Not,
    QualityResult,
    SchemaCheck,
    Tolerance,
)
from monitor.sources.sql import SqlSource
from tests.integration.sources.checkdbs import *  # noqa: F403 (the check_url fixture)

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
START, END = T0 + timedelta(seconds=10), T0 + timedelta(seconds=50)
KINDS = {"x": "numeric", "k": "numeric", "s": "categorical", "b": "boolean", "d": "numeric"}


def _cmp(left: Any, op: str, right: Any) -> Compare:
    return Compare((left, right), (op,))


CONDITIONS = (
    ConditionCheck("ratio", _cmp(Arithmetic("/", Column("x"), Column("k")), "<", Literal(2.0)),
                   "x / k < 2"),
    ConditionCheck("flag_or_a", Logic("or", (Column("b"), _cmp(Column("s"), "==", Literal("a")))),
                   "b or s == 'a'"),
    ConditionCheck("chain", Compare((Literal(0.0), Column("k"), Literal(4.0)), ("<", "<=")),
                   "0 < k <= 4"),
    ConditionCheck("not_positive", Not(_cmp(Column("x"), ">", Literal(0.0))), "not x > 0"),
    ConditionCheck("late", _cmp(Column("t"), ">=", Literal("2026-01-01T00:00:30Z")),
                   "t >= '2026-01-01T00:00:30Z'"),
    ConditionCheck("sum", _cmp(Arithmetic("+", Column("k"), Column("b")), ">=", Literal(1.0)),
                   "k + b >= 1"),
    ConditionCheck("text_order", _cmp(Column("s"), "<", Literal("b")), "s < 'b'"),
    ConditionCheck("itself", _cmp(Column("x"), "==", Column("x")), "x == x"),
    ConditionCheck("both", Logic("and", (_cmp(Column("k"), ">", Literal(1.0)),
                                         _cmp(Arithmetic("*", Column("d"), Literal(2.0)), "<",
                                              Literal(10.0)))), "k > 1 and d * 2 < 10"),
    ConditionCheck("not_false", _cmp(Column("b"), "!=", Literal(False)), "b != false",
                   Tolerance(max_share=0.5)),
)

PLAN = CheckPlan(
    columns=(
        ColumnCheck("missing", "x", Tolerance(max_share=0.2)),
        ColumnCheck("missing", "s"),
        ColumnCheck("range", "x", minimum=-5.0, maximum=5.0),
        ColumnCheck("range", "k", Tolerance(max_rows=2), minimum=0, maximum=3),
        ColumnCheck("range", "t", minimum="2026-01-01T00:00:20Z", maximum="2026-01-01T00:00:50"),
        ColumnCheck("range", "d", maximum=50),
        ColumnCheck("allowed", "k", values=(0, 1, 2, "3")),
        ColumnCheck("allowed", "s", values=("a", "b", 1)),
        ColumnCheck("pattern", "s", regex="^[a-z]+$"),
        ColumnCheck("pattern", "s", regex="^.b|^\\s"),
        ColumnCheck("format", "e", regex=FORMATS["email"], format="email"),
        ColumnCheck("length", "s", minimum=1, maximum=2),
        ColumnCheck("unique", "s"),
        ColumnCheck("unique", "x", Tolerance(max_share=0.5)),
        ColumnCheck("unique", "k"),
        ColumnCheck("mean", "x", minimum=-1, maximum=1),
        ColumnCheck("mean", "d", minimum=0),
        ColumnCheck("stddev", "k", maximum=1.5),
        ColumnCheck("quantile", "x", minimum=-2, maximum=2, quantile=0.25),
        ColumnCheck("type", "k", kind_of="boolean"),
        ColumnCheck("type", "x", kind_of="datetime"),
        ColumnCheck("type", "b", kind_of="numeric"),
        ColumnCheck("type", "s"),
        ColumnCheck("missing", "absent"),
        ColumnCheck("range", "absent", maximum=1),
    ),
    conditions=CONDITIONS,
    duplicates=(DuplicateCheck(("k", "b")), DuplicateCheck(("s",)), DuplicateCheck(("x", "t"))),
    schema=SchemaCheck(required=("id", "ts", "x", "gone"), optional=("k", "s"), allow_extra=False),
    missing_values={"s": ("N/A", ""), "k": (-1,), "x": (-1.0,)},
    sensitive=frozenset({"e"}),
)

values = {
    "x": st.one_of(st.none(), st.floats(-8, 8, allow_nan=False).map(lambda v: round(v, 3)),
                   st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0, 1.5])),
    "k": st.one_of(st.none(), st.integers(-1, 5)),
    "s": st.one_of(st.none(), st.sampled_from(["", "N/A", "a", "A", "a ", "b", "ab", "abc", "é",
                                               "1", "zz", "ab\n", "a\nb", "\u00a0a"])),
    "e": st.one_of(st.none(), st.sampled_from(["a@b.co", "bad", "x@y", "A@B.CO", "a b@c.d"])),
    "b": st.one_of(st.none(), st.booleans()),
    "t": st.one_of(st.none(), st.integers(0, 80)),
    "d": st.one_of(st.none(), st.decimals(-100, 100, places=2, allow_nan=False)),
}
tables = st.lists(st.fixed_dictionaries(values), max_size=60)


def create(url: str, data: list[dict[str, Any]]) -> None:
    """(Re)create ``logs`` and insert ``data``, one row per second from T0."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table(
        "logs", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("ts", sa.DateTime(timezone=True)), sa.Column("x", sa.Double),
        sa.Column("k", sa.Integer), sa.Column("s", sa.String(20)), sa.Column("e", sa.String(20)),
        sa.Column("b", sa.Boolean), sa.Column("t", sa.DateTime(timezone=True)),
        sa.Column("d", sa.Numeric(10, 2)))
    meta.drop_all(engine)
    meta.create_all(engine)
    dialect = engine.dialect.name
    records = []
    for i, row in enumerate(data):
        row = dict(row)
        x = row["x"]
        if x is not None and not math.isfinite(x) and (
                dialect == "mysql" or (dialect == "sqlite" and math.isnan(x))):
            row["x"] = None  # MariaDB keeps no NaN nor infinity, SQLite no NaN
        if row["t"] is not None:
            row["t"] = T0 + timedelta(seconds=row["t"])
        records.append({"id": i, "ts": T0 + timedelta(seconds=i), **row})
    if records:
        with engine.begin() as conn:
            conn.execute(table.insert(), records)
    engine.dispose()


def local_results(source: SqlSource, plan: CheckPlan, kinds: dict[str, str],
                  start: datetime = START, end: datetime = END) -> list[QualityResult]:
    """The local engine's results on the rows the source pulls."""
    accumulator = CheckAccumulator(plan, kinds)
    for chunk in source.read(start, end):
        accumulator.update(chunk)
    return accumulator.results()


def assert_same_results(pushed: list[QualityResult] | None,
                        local: list[QualityResult]) -> None:
    """Equal results; statistics to float precision; the same samples while fewer than ten."""
    assert pushed is not None
    assert [r.key for r in pushed] == [r.key for r in local]
    for got, want in zip(pushed, local, strict=True):
        fields = ("check", "column", "name", "failing_rows", "threshold", "passed", "unit",
                  "bounds")
        assert [getattr(got, f) for f in fields] == [getattr(want, f) for f in fields], got
        if got.check in STATISTIC_KINDS:
            assert (math.isnan(got.value) and math.isnan(want.value)) or got.value == \
                pytest.approx(want.value, rel=1e-9, abs=1e-12), got
        else:
            assert got.value == want.value, got
        assert len(got.samples) <= 10
        if len(want.samples) < 10:
            assert set(got.samples) == set(want.samples), got
        else:
            assert len(got.samples) == 10, got


def check_equal(url: str, data: list[dict[str, Any]]) -> None:
    create(url, data)
    source = SqlSource(SqlSource.Config(url=url, table="logs", timestamp="ts"))
    assert_same_results(source.check_window(START, END, PLAN, KINDS),
                        local_results(source, PLAN, KINDS))


_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@settings(max_examples=25, **_SETTINGS)
@given(data=tables)
def test_pushed_down_checks_equal_the_local_engine(check_url, data):
    """For any table, every check computed in the database equals the local engine's result."""
    check_equal(check_url, data)


def test_a_window_with_every_kind_of_failure(check_url):
    """A fixed window where every check finds something equals the local engine's results."""
    data = []
    for i in range(60):
        data.append({
            "x": [None, math.nan, math.inf, 2.5, -0.0, -1.0, 7.25, 1.0][i % 8],
            "k": [None, -1, 0, 1, 2, 3, 4, 5][i % 7],
            "s": ["a", "A", "a ", "", "N/A", None, "zz", "b", "é", "ab"][i % 10],
            "e": ["a@b.co", "bad", None, "x@y"][i % 4],
            "b": [True, False, None][i % 3],
            "t": [5, 25, 35, None, 60][i % 5],
            "d": [Decimal("1.25"), None, Decimal("99.50"), Decimal("-3.00")][i % 4],
        })
    check_equal(check_url, data)


def test_samples_follow_the_plan(check_url):
    """Samples of sensitive columns are never kept, nor any when the plan keeps none."""
    create(check_url, [{"x": float(i), "k": i % 4, "s": f"v{i}", "e": "bad", "b": None,
                        "t": None, "d": None} for i in range(40)])
    source = SqlSource(SqlSource.Config(url=check_url, table="logs", timestamp="ts"))
    plan = CheckPlan(columns=(ColumnCheck("format", "e", regex=FORMATS["email"]),
                              ColumnCheck("range", "x", maximum=12.0),
                              ColumnCheck("unique", "k")),
                     sensitive=frozenset({"e"}))
    found = source.check_window(START, END, plan, KINDS)
    assert found is not None
    email, x, k = found
    assert email.failing_rows == 30 and email.samples == ()  # rows 10 to 39 are in the window
    assert x.failing_rows == 27 and len(x.samples) == 10
    assert {float(v) for v in x.samples} <= {float(i) for i in range(13, 40)}
    assert k.failing_rows == 26 and set(k.samples) == {"0", "1", "2", "3"}
    quiet = source.check_window(START, END, CheckPlan(columns=plan.columns, samples=False), KINDS)
    assert quiet is not None and all(r.samples == () for r in quiet)
    assert [r.failing_rows for r in quiet] == [30, 27, 26]
    assert_same_results(found, local_results(source, plan, KINDS))


def test_empty_window_equals_the_local_engine_on_no_rows(check_url):
    """A window without rows gives what the local engine gives on none: no schema result."""
    create(check_url, [])
    source = SqlSource(SqlSource.Config(url=check_url, table="logs", timestamp="ts"))
    found = source.check_window(START, END, PLAN, KINDS)
    assert_same_results(found, CheckAccumulator(PLAN, KINDS).results())
    assert found is not None and not any(r.check == "schema" for r in found)
