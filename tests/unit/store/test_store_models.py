"""Column types and conversions of the store's models, without a database."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from monitor.records import NewRun
from monitor.store.models import FiniteFloat, UtcDateTime, as_utc, finite, to_json

TOKYO = timezone(timedelta(hours=9))


def test_as_utc_converts_aware_times() -> None:
    """An aware time in any offset becomes the same instant in UTC."""
    converted = as_utc(datetime(2026, 1, 1, 9, 0, tzinfo=TOKYO))
    assert converted == datetime(2026, 1, 1, 0, 0, tzinfo=UTC) and converted.tzinfo is UTC


def test_as_utc_refuses_naive_times() -> None:
    """A naive time is refused with the value quoted."""
    with pytest.raises(ValueError, match=r"naive datetime '2026-01-01T00:00:00'"):
        as_utc(datetime(2026, 1, 1))


def test_utc_datetime_binds_naive_utc_for_sqlite_and_aware_for_postgresql() -> None:
    """SQLite gets the naive UTC wall time; PostgreSQL gets an aware UTC time."""
    column = UtcDateTime()
    value = datetime(2026, 1, 1, 9, 0, tzinfo=TOKYO)
    assert column.process_bind_param(value, sqlite.dialect()) == datetime(2026, 1, 1, 0, 0)
    bound = column.process_bind_param(value, postgresql.dialect())
    assert bound == value and bound is not None and bound.tzinfo is UTC


def test_utc_datetime_reads_back_aware_utc() -> None:
    """Naive values (SQLite) are UTC; aware values are converted to UTC."""
    column = UtcDateTime()
    naive = column.process_result_value(datetime(2026, 1, 1), sqlite.dialect())
    assert naive == datetime(2026, 1, 1, tzinfo=UTC) and naive is not None and naive.tzinfo is UTC
    aware = column.process_result_value(datetime(2026, 1, 1, 9, tzinfo=TOKYO), postgresql.dialect())
    assert aware is not None and aware.tzinfo is UTC and aware.hour == 0
    assert column.process_result_value(None, sqlite.dialect()) is None


@pytest.mark.parametrize(
    ("value", "stored"),
    [(1.5, 1.5), (0, 0.0), (None, None), (float("nan"), None), (float("inf"), None),
     (float("-inf"), None)],
)  # fmt: skip
def test_finite_float_stores_non_finite_as_null(value: float | None, stored: float | None) -> None:
    """NaN and infinities bind as NULL; finite numbers pass unchanged."""
    assert FiniteFloat().process_bind_param(value, sqlite.dialect()) == stored
    assert finite(value) == stored


def test_to_json_is_strict_sorted_json() -> None:
    """Documents are sorted strict JSON, non-finite floats (nested too) as null."""
    text = to_json({"b": float("nan"), "a": [1, float("-inf"), {"c": 2.5}], "t": (1, 2)})
    assert text == '{"a": [1, null, {"c": 2.5}], "b": null, "t": [1, 2]}'
    assert json.loads(text)["a"][2] == {"c": 2.5}


def test_to_json_refuses_unserialisable_values() -> None:
    """A value JSON cannot hold is a TypeError naming its type."""
    with pytest.raises(TypeError, match="set"):
        to_json({"tags": {"a"}})


def test_records_are_frozen() -> None:
    """Records cannot be changed after they are made."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    run = NewRun("m", start, start + timedelta(hours=1), "ok", start, start)
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.status = "failed"  # type: ignore[misc]
