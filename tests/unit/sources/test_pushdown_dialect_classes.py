"""Each database's SQL particulars come from its class; unknown databases get standard SQL."""

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite

from monitor.sources.pushdown.dialects import DIALECTS, Portable, dialect_for, of
from monitor.sources.pushdown.dialects.duckdb import DuckDB
from monitor.sources.pushdown.dialects.mysql import MySQL
from monitor.sources.pushdown.dialects.postgresql import PostgreSQL
from monitor.sources.pushdown.dialects.sqlite import SQLite

X = sa.Table("t", sa.MetaData(), sa.Column("x", sa.Double), sa.Column("f", mysql.FLOAT),
             sa.Column("s", sa.String(8))).c


def compiled(expr: sa.ColumnElement[object], dialect: sa.engine.Dialect) -> str:
    return str(sa.select(expr).compile(dialect=dialect))


def test_the_known_databases_and_the_rest():
    """Four databases (MariaDB under both names) have a class; any other reads rows."""
    assert {type(d) for d in DIALECTS.values()} == {PostgreSQL, SQLite, MySQL, DuckDB}
    assert isinstance(dialect_for("mariadb"), MySQL) and dialect_for("mysql") is not None
    assert dialect_for("oracle") is None and dialect_for("bigquery") is None
    assert type(of("oracle")) is Portable and isinstance(of(postgresql.dialect()), PostgreSQL)


def test_aggregates_over_some_rows():
    """FILTER where the database has it; CASE inside the aggregate on MariaDB and elsewhere."""
    condition = X.x > 1
    assert "FILTER (WHERE" in compiled(of("postgresql").count_where(condition),
                                       postgresql.dialect())
    assert "FILTER (WHERE" in compiled(of("sqlite").aggregate_where(sa.func.min, X.x, condition),
                                       sqlite.dialect())
    for name in ("mysql", "oracle"):
        sql = compiled(of(name).aggregate_where(sa.func.min, X.x, condition), mysql.dialect())
        assert "FILTER" not in sql and "min(CASE WHEN" in sql
        assert "count(CASE WHEN" in compiled(of(name).count_where(condition), mysql.dialect())


def test_numbers_and_text_as_pulled():
    """SQLite's text among numbers is NULL; MariaDB's FLOAT is its six digits and its text is
    compared as bytes; PostgreSQL's text in code point order."""
    assert "typeof" in compiled(of("sqlite").profile_number(X.x), sqlite.dialect())
    assert of("sqlite").wrong_type(X.x) is not None and of("postgresql").wrong_type(X.x) is None
    assert "CAST(t.f AS CHAR)" in compiled(of("mysql").profile_number(X.f), mysql.dialect())
    assert "+ 0E0" in compiled(of("mysql").profile_number(X.x), mysql.dialect())
    assert "AS BINARY" in compiled(of("mysql").exact(X.s, "text"), mysql.dialect())
    assert 'COLLATE "C"' in compiled(of("postgresql").exact(X.s, "text"), postgresql.dialect())
    assert of("mysql").plain(b"\xc3\xa9") == "é" and of("postgresql").plain(b"x") == b"x"


def test_what_each_database_keeps():
    """NaN where it is kept (and read as missing), infinities, text among numbers."""
    assert [of(n).keeps_nan for n in ("postgresql", "sqlite", "mysql", "duckdb")] == [
        True, False, False, True]
    assert [of(n).keeps_infinity for n in ("postgresql", "sqlite", "mysql", "duckdb")] == [
        True, True, False, True]
    assert of("duckdb").nan_value(X.x, "float") is not None
    assert of("mysql").nan_value(X.x, "float") is None
    assert of("sqlite").text_in_numbers and of("sqlite").two_pass_spread
    assert of("mysql").folds_text and not of("duckdb").folds_text
