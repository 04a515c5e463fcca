"""Same data, same verdict: reruns give byte-identical output, pushed down or not.

Windows larger than the sample size are where a random sample used to make
verdicts differ from one run to the next; the tests now read fine histograms.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.analysis.comparison import compare
from monitor.profiles import ProfileBuilder, build_profile
from monitor.sources.base import ProfileRequest
from monitor.sources.sql import SqlSource

pytestmark = pytest.mark.integration

ROWS = 60_000  # three times the sample size
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def frame(rng: np.random.Generator, shift: float) -> pd.DataFrame:
    return pd.DataFrame({
        "x": rng.normal(shift, 1.0, ROWS), "k": rng.poisson(3, ROWS),
        "z": np.where(rng.random(ROWS) < 0.1, np.nan, rng.gamma(2.0, 1.0, ROWS)),
        "c": rng.choice(["a", "b", "c"], ROWS),
    })


def test_compare_twice_on_the_same_files_prints_the_same_bytes(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frame(rng, 0.0).to_parquet(tmp_path / "ref.parquet")
    frame(rng, 0.1).to_parquet(tmp_path / "cur.parquet")
    command = [sys.executable, "-m", "monitor", "compare", str(tmp_path / "ref.parquet"),
               str(tmp_path / "cur.parquet"), "--format", "json"]
    outputs = [subprocess.run(command, capture_output=True, check=False, timeout=300)
               for _ in range(2)]
    assert [o.returncode for o in outputs] == [1, 1], outputs[0].stderr.decode()[-2000:]
    assert outputs[0].stdout == outputs[1].stdout
    document = json.loads(outputs[0].stdout)
    assert {c["column"]: c["method"] for c in document["columns"]}["x"] == "ks"


def test_a_pushed_down_window_gives_the_same_comparison_every_time_and_as_pulled(
        database_url: str) -> None:
    rng = np.random.default_rng(2)
    reference = build_profile([frame(rng, 0.0)], exclude=["ts"])
    current = frame(rng, 0.1)
    current["ts"] = [T0 + timedelta(seconds=i) for i in range(ROWS)]
    engine = sa.create_engine(database_url)
    current.to_sql("logs", engine, index=False, chunksize=10_000)
    engine.dispose()
    source = SqlSource(SqlSource.Config(url=database_url, table="logs", timestamp="ts"))
    request = ProfileRequest(reference, ("ts",))
    end = T0 + timedelta(seconds=ROWS)
    documents = []
    for _ in range(2):
        pushed = source.profile_window(T0, end, request)
        assert pushed is not None and pushed.rows == ROWS
        documents.append(json.dumps(compare(reference, pushed).to_dict("ref", "cur"),
                                    sort_keys=True))
    assert documents[0] == documents[1]
    builder = ProfileBuilder(reference=reference, exclude=["ts"])
    for chunk in source.read(T0, end):
        builder.update(chunk)
    pulled = compare(reference, builder.build())
    pushed_result = json.loads(documents[0])
    for ours, theirs in zip(pushed_result["columns"], pulled.to_dict("ref", "cur")["columns"],
                            strict=True):
        assert (ours["column"], ours["method"], ours["drifted"]) == (
            theirs["column"], theirs["method"], theirs["drifted"])
        assert ours["statistic"] == pytest.approx(theirs["statistic"], rel=1e-9, abs=1e-12)
