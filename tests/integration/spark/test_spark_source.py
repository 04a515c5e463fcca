"""The spark source against the in-process path, on the same Parquet rows (Spark local[2]).

A window profiled on the cluster (partial profiles per partition, merged in
a tree) must be the profile ``ProfileBuilder`` builds from the same rows
read by the file source: counts, histograms and category counts equal,
moments to 1e-9, the same verdicts; its checks must be the local engine's.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from monitor.analysis.comparison import compare
from monitor.api.quality import plan_of
from monitor.checks import CheckAccumulator
from monitor.errors import SourceError
from monitor.profiles import Profile, ProfileBuilder, build_profile
from monitor.sources.base import ProfileRequest
from monitor.sources.files import FileSource
from monitor.sources.spark import SparkSource
from tests.integration.spark.conftest import END, START

pytestmark = [pytest.mark.integration, pytest.mark.spark]

EXCLUDE = ("logged_at", "day")


def _source(lake: Path, **extra: Any) -> SparkSource:
    block: dict[str, Any] = {"path": str(lake), "timestamp": "logged_at",
                             "date_partition": "day", **extra}
    return SparkSource(SparkSource.Config(**block))


def _local_rows(lake: Path) -> Any:
    return FileSource(FileSource.Config(path=str(lake), timestamp="logged_at",
                                        partitioning="hive")).read(START, END)


@pytest.fixture(scope="module")
def reference(training: Path) -> Profile:
    rows = FileSource(FileSource.Config(path=str(training / "*.parquet"))).read()
    return build_profile(rows, categorical=["category"], kinds={"comment": "text"})


def assert_same_profile(got: Profile, want: Profile) -> None:
    """Everything exact is equal; moments to 1e-9; samples of the same size."""
    assert got.rows == want.rows > 0
    assert list(got.columns) == list(want.columns)
    assert got.extra_columns == want.extra_columns
    for name, expected in want.columns.items():
        column = got.columns[name]
        assert (column.kind, column.count, column.missing, column.invalid) == (
            expected.kind, expected.count, expected.missing, expected.invalid), name
        if expected.numeric is not None:
            a, b = column.numeric, expected.numeric
            assert a is not None
            assert (a.min, a.max, a.nonfinite) == (b.min, b.max, b.nonfinite), name
            assert math.isclose(a.mean, b.mean, rel_tol=1e-9, abs_tol=1e-12), name
            assert math.isclose(a.m2, b.m2, rel_tol=1e-9), name
            assert np.array_equal(a.edges, b.edges) and np.array_equal(a.counts, b.counts), name
            assert np.array_equal(a.fine_edges, b.fine_edges), name
            assert np.array_equal(a.fine_counts, b.fine_counts), name
            assert len(a.sample) == len(b.sample), name
        else:
            assert column.categorical is not None and expected.categorical is not None
            assert dict(column.categorical.counts) == dict(expected.categorical.counts), name
            assert column.categorical.other == expected.categorical.other, name


def assert_same_verdicts(reference: Profile, got: Profile, want: Profile) -> None:
    ours, theirs = compare(reference, got), compare(reference, want)
    assert [(c.column, c.method, c.drifted) for c in ours.columns] == [
        (c.column, c.method, c.drifted) for c in theirs.columns]
    for a, b in zip(ours.columns, theirs.columns, strict=True):
        assert math.isclose(a.statistic, b.statistic, rel_tol=1e-6, abs_tol=1e-12), a.column
    assert [(q.check, q.column, q.passed) for q in ours.quality] == [
        (q.check, q.column, q.passed) for q in theirs.quality]
    assert any(c.drifted for c in ours.columns)  # the window drifted: verdicts are not vacuous


def test_a_window_profiled_on_spark_is_the_in_process_profile(
        spark: Any, lake: Path, reference: Profile) -> None:
    source = _source(lake)
    plan = source.frame(START, END)._jdf.queryExecution().executedPlan().toString()
    # The window is pushed into the scan: row groups by the timestamp, folders by the day.
    assert "PushedFilters: [IsNotNull(logged_at), GreaterThanOrEqual(logged_at," in plan
    assert "LessThan(logged_at," in plan
    assert "PartitionFilters: [isnotnull(day" in plan and "(day#" in plan

    request = ProfileRequest(reference=reference, exclude=EXCLUDE)
    got = source.profile_window(START, END, request)
    assert got is not None
    builder = ProfileBuilder(reference=reference, exclude=EXCLUDE)
    for chunk in _local_rows(lake):
        builder.update(chunk)
    want = builder.build()
    assert_same_profile(got, want)
    assert source.read_stats().rows == want.rows
    assert got.columns["category"].categorical is not None
    assert {"new-1", "new-2"} <= set(got.columns["category"].categorical.counts)
    assert got.columns["x"].nonfinite > 0 and got.columns["count"].missing > 0
    assert_same_verdicts(reference, got, want)
    assert source.count_rows(START, END) == want.rows


def test_read_streams_the_window_in_bounded_chunks(spark: Any, lake: Path) -> None:
    source = _source(lake, chunk_size=700)
    chunks = list(source.read(START, END))
    local = sum(len(chunk) for chunk in _local_rows(lake))
    assert len(chunks) > 3 and all(0 < len(chunk) <= 700 for chunk in chunks)
    assert sum(len(chunk) for chunk in chunks) == local == source.read_stats().rows
    stamps = [chunk["logged_at"] for chunk in chunks]
    assert min(s.min() for s in stamps) >= START and max(s.max() for s in stamps) < END


CHECKS = {
    "columns": {
        "x": {"range": {"min": -2, "max": 2}, "missing": {"max_share": 0.01},
              "mean": {"min": -1, "max": 1}, "stddev": {"max": 2},
              "quantile": {"q": 0.9, "max": 3}},
        "count": {"unique": {}, "allowed": {"values": [1, 2, 3, 4, 5, 6]}},
        "category": {"allowed": {"values": ["a", "b"]}, "pattern": {"regex": "^[a-c]$"}},
        "comment": {"length": {"min": 2, "max": 30}},
        "ghost": {"missing": {}},
    },
    "conditions": [{"name": "x_below_count", "condition": "x < count"}],
    "duplicates": {"columns": ["category", "flag"]},
    "schema": {"required": ["x", "absent"]},
}


def test_quality_checks_on_spark_are_the_local_engines(
        spark: Any, lake: Path, reference: Profile) -> None:
    plan = plan_of(CHECKS)
    assert plan is not None
    kinds = {name: column.kind for name, column in reference.columns.items()}
    got = _source(lake).check_window(START, END, plan, kinds)
    accumulator = CheckAccumulator(plan, kinds)
    for chunk in _local_rows(lake):
        accumulator.update(chunk)
    want = accumulator.results()
    assert got is not None and len(got) == len(want) == 14
    for a, b in zip(got, want, strict=True):
        assert (a.check, a.column, a.name, a.failing_rows, a.passed, a.threshold) == (
            b.check, b.column, b.name, b.failing_rows, b.passed, b.threshold), b.key
        assert (math.isnan(a.value) and math.isnan(b.value)) or math.isclose(
            a.value, b.value, rel_tol=1e-12), b.key
        if a.check not in ("unique", "duplicates"):
            assert set(a.samples) == set(b.samples) or len(b.samples) == 10, b.key
            assert a.note == b.note, b.key
    assert sum(not r.passed for r in want) >= 8  # the checks do find faults


def test_a_missing_path_table_or_column_is_a_clear_error(spark: Any, lake: Path,
                                                         tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"parquet path '.*nowhere' cannot be read"):
        SparkSource(SparkSource.Config(path=str(tmp_path / "nowhere"),
                                       timestamp="t")).frame(START, END)
    with pytest.raises(SourceError, match=r"table 'lake.missing' cannot be read"):
        SparkSource(SparkSource.Config(table="lake.missing", timestamp="t")).frame(START, END)
    with pytest.raises(SourceError, match=r"timestamp column 'stamp' is not among its "
                                          r"columns \(x, count, category"):
        SparkSource(SparkSource.Config(path=str(lake), timestamp="stamp")).frame(START, END)
    with pytest.raises(SourceError, match=r"timestamp column 'category' is string, not a time"):
        SparkSource(SparkSource.Config(path=str(lake), timestamp="category")).frame(START, END)
    with pytest.raises(SourceError, match=r"date_partition 'daily' is not among its columns"):
        _source(lake, date_partition="daily").frame(START, END)


def test_the_source_block_is_checked_without_spark() -> None:
    with pytest.raises(ValidationError, match="give exactly one of 'table' or 'path'"):
        SparkSource.Config(table="t", path="p", timestamp="t")
    with pytest.raises(ValidationError, match="needs 'timestamp'"):
        SparkSource.Config(table="t")
    with pytest.raises(ValidationError, match="'format' goes with 'path'"):
        SparkSource.Config(table="t", timestamp="t", format="delta")
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        SparkSource.Config(table="t", timestamp="t", master="local[2]")  # type: ignore[call-arg]


def test_without_pyspark_the_error_says_what_to_install(tmp_path: Path) -> None:
    """PySpark blocked in a fresh interpreter: rules still load, use says `monitor[spark]`."""
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "from monitor.sources.spark import SparkSource\n"
        "from monitor.errors import SourceError\n"
        "source = SparkSource(SparkSource.Config(table='db.predictions', timestamp='t'))\n"
        "try:\n"
        "    source.frame()\n"
        "except SourceError as exc:\n"
        "    print(exc)\n"
        "from monitor.cli import main\n"
        f"sys.exit(main(['profile', '--engine', 'spark', '--table', 'db.t', '--out', "
        f"{str(tmp_path / 'p.json')!r}]))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    hint = "needs PySpark, which is not installed: pip install 'monitor[spark]'"
    assert hint in result.stdout
    assert result.returncode == 2 and hint in result.stderr
