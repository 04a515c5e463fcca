"""`monitor profile --engine spark`: a reference built on Spark in passes, against one pass.

The training rows (15,000, in three files) are few enough that one pass's
sample holds every value, so its coarse histograms are exact too: both ways
must agree on everything but the samples and, for columns with more than
10,000 distinct values, the fine edges (approximate ranks on Spark), whose
counts must still be exact and give the same verdicts.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from monitor.cli import main
from monitor.profiles import Profile, ProfileBuilder
from monitor.profiles.fine import FINE_EDGES, count_sorted
from monitor.sources.files import FileSource
from monitor.sources.spark.reference import ACCURACY
from tests.integration.spark.conftest import END, START
from tests.integration.spark.test_spark_source import assert_same_verdicts

pytestmark = [pytest.mark.integration, pytest.mark.spark]

FLAGS = ["--categorical", "category", "--text", "comment"]


def _profile(argv: list[str], out: Path, capsys: pytest.CaptureFixture[str]) -> Profile:
    assert main(["profile", *argv, *FLAGS, "--out", str(out)]) == 0, capsys.readouterr().err
    return Profile.from_dict(json.loads(out.read_text()))


def test_a_reference_built_on_spark_is_the_in_process_one(
        spark: Any, training: Path, lake: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    got = _profile([str(training), "--engine", "spark"], tmp_path / "spark.json", capsys)
    want = _profile([str(training / "*.parquet")], tmp_path / "local.json", capsys)
    assert got.rows == want.rows == 15_000 and got.roles == want.roles
    assert list(got.columns) == list(want.columns)
    values = {name: kind for name, kind in (("x", "numeric"), ("when", "datetime"))}
    for name, expected in want.columns.items():
        column = got.columns[name]
        assert (column.kind, column.count, column.missing, column.invalid) == (
            expected.kind, expected.count, expected.missing, expected.invalid), name
        if expected.categorical is not None:
            assert column.categorical == expected.categorical, name
            continue
        a, b = column.numeric, expected.numeric
        assert a is not None and b is not None
        assert (a.min, a.max, a.nonfinite, a.bins) == (b.min, b.max, b.nonfinite, b.bins), name
        assert math.isclose(a.mean, b.mean, rel_tol=1e-9) and math.isclose(a.m2, b.m2,
                                                                           rel_tol=1e-9), name
        assert np.array_equal(a.edges, b.edges) and np.array_equal(a.counts, b.counts), name
        assert np.array_equal(a.sample, b.sample), name  # 15,000 < 20,000: every value
        assert int(a.fine_counts.sum()) == column.count and a.fine_counts[[0, -1]].sum() == 0
        if name in values:  # > 10,000 distinct values: edges at approximate ranks
            assert not np.array_equal(a.fine_edges, b.fine_edges), name
            assert a.fine_edges[0] == a.min and a.fine_edges[-1] == np.nextafter(a.max, np.inf)
            # exact counts on those edges, and each bin within the documented mass
            assert np.array_equal(a.fine_counts, count_sorted(a.sample, a.fine_edges)), name
            bound = 1 / FINE_EDGES + 2 / ACCURACY + 1 / column.count
            assert a.fine_counts.max() / column.count <= bound, name
        else:  # few distinct values: every one an edge, as in one pass
            assert np.array_equal(a.fine_edges, b.fine_edges), name
            assert np.array_equal(a.fine_counts, b.fine_counts), name
    window = FileSource(FileSource.Config(path=str(lake), timestamp="logged_at",
                                          partitioning="hive"))
    current = {}
    for key, reference in (("spark", got), ("local", want)):
        builder = ProfileBuilder(reference=reference, exclude=("logged_at", "day"))
        for chunk in window.read(START, END):
            builder.update(chunk)
        current[key] = builder.build()
    assert_same_verdicts(want, current["spark"], current["local"])
    assert_same_verdicts(got, current["spark"], current["local"])


def test_profile_engine_flags_are_checked(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    out = str(tmp_path / "p.json")
    assert main(["profile", "--table", "db.t", "--out", out]) == 2
    assert "--table and --format go with --engine spark" in capsys.readouterr().err
    assert main(["profile", "data.parquet", "--engine", "spark", "--table", "db.t",
                 "--out", out]) == 2
    assert "a --table or a DATA path" in capsys.readouterr().err
    assert main(["profile", "--engine", "spark", "--table", "db.t", "--segment", "x",
                 "--out", out]) == 2
    assert "without segments" in capsys.readouterr().err
