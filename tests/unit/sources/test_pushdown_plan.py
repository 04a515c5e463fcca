"""The push-down plan: which columns the database profiles, which are read as rows."""

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from monitor.profiles import build_profile
from monitor.sources.pushdown import plan_columns
from monitor.sources.pushdown.plan import BooleanPlan, CategoryPlan, NumericPlan

REFERENCE = build_profile([pd.DataFrame({
    "amount": [1.5, 2.5], "count": [1, 2], "code": [3, 4], "state": ["CA", "NY"],
    "flag": [True, False], "note": ["hello", "hi"], "as_text": [1.0, 2.0],
    "when": pd.to_datetime(["2026-01-01", "2026-01-02"], utc=True),
})], kinds={"code": "categorical", "note": "text"})


def table() -> sa.Table:
    return sa.Table(
        "t", sa.MetaData(),
        sa.Column("ts", sa.DateTime(timezone=True)), sa.Column("amount", sa.Numeric(10, 2)),
        sa.Column("count", sa.BigInteger), sa.Column("code", sa.Integer),
        sa.Column("state", sa.String(2)), sa.Column("flag", sa.Boolean),
        sa.Column("note", sa.Text), sa.Column("as_text", sa.String),
        sa.Column("when", sa.DateTime(timezone=True)), sa.Column("new", sa.Float),
    )


def test_kinds_and_types_that_agree_are_pushed_down():
    """Numbers, lengths, categories and booleans are computed in the database."""
    plan = plan_columns(table(), REFERENCE, {"ts"}, joint=True)
    kinds = {p.name: type(p) for p in plan.columns}
    assert kinds == {"amount": NumericPlan, "count": NumericPlan, "code": CategoryPlan,
                     "state": CategoryPlan, "flag": BooleanPlan, "note": NumericPlan}
    numeric = {p.name: p for p in plan.numeric}
    assert numeric["count"].integral and not numeric["amount"].integral
    assert numeric["note"].kind == "text" and numeric["note"].integral


def test_disagreeing_columns_are_pulled_and_unknown_ones_listed():
    """Numbers stored as text and datetime kinds are read as rows; new columns are extra."""
    plan = plan_columns(table(), REFERENCE, {"ts"}, joint=True)
    assert plan.pulled == ("as_text", "when")
    assert plan.extra == ("new",)
    assert plan.joint == tuple(REFERENCE.joint.columns)


def test_excluded_columns_and_no_joint():
    """Excluded columns are neither planned nor extra; joint=False asks for no joint sample."""
    plan = plan_columns(table(), REFERENCE, {"ts", "new", "state"}, joint=False)
    assert "state" not in {p.name for p in plan.columns} and plan.extra == ()
    assert plan.joint is None


def test_sqlite_values_of_the_wrong_type_are_invalid():
    """On SQLite a text value in a numeric column is read as NULL and counted as invalid."""
    plan = plan_columns(table(), REFERENCE, {"ts"}, joint=False)
    amount = next(p for p in plan.numeric if p.name == "amount")
    sql = str(amount.value("sqlite").compile(dialect=sqlite.dialect()))
    assert "typeof" in sql and amount.invalid("sqlite") is not None
    assert amount.invalid("postgresql") is None
