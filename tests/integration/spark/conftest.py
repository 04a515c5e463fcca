"""One local Spark session (``local[2]``) for every Spark test, and the data they share.

Spark needs Java: without it (or without PySpark) the tests are skipped on
a laptop, and fail under CI (``CI`` set), whose ``.ci/run`` installs both.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

START = pd.Timestamp("2026-11-24T06:00:00Z").to_pydatetime()
END = pd.Timestamp("2026-11-25T03:00:00Z").to_pydatetime()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The session every Spark test shares: local[2], no UI, few shuffle partitions."""
    if shutil.which("java") is None:
        _unavailable("Spark needs Java 17+ (apt-get install openjdk-17-jre-headless)")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        _unavailable("PySpark is not installed: pip install 'monitor[spark]'")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("monitor-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.files.maxPartitionBytes", "65536")  # several partitions
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")  # expected failures log Java stacks otherwise
    yield session
    session.stop()


def frame(rows: int, *, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Every kind and every awkward value: NaN, ±inf and nulls in numbers, nullable integers,
    categories (unseen ones when shifted), nullable booleans, text, times."""
    r = np.random.default_rng(seed)
    x = r.normal(shift, 1.0, rows)
    x[r.random(rows) < 0.05] = np.nan
    x[r.random(rows) < 0.01] = np.inf
    x[r.random(rows) < 0.005] = -np.inf
    count = pd.array(r.poisson(5 + shift, rows), dtype="Int64")
    count[r.random(rows) < 0.1] = pd.NA
    levels = ["a", "b", "c", "d"] + (["new-1", "new-2"] if shift else [])
    category = r.choice(levels, rows).astype(object)
    category[r.random(rows) < 0.05] = None
    flag = pd.array(r.random(rows) < 0.3 + shift / 10, dtype="boolean")
    flag[r.random(rows) < 0.05] = pd.NA
    comment = np.array(["w" * k for k in r.integers(1, 40, rows)], dtype=object)
    comment[r.random(rows) < 0.02] = None
    when = (pd.Timestamp("2026-01-01", tz="UTC")
            + pd.to_timedelta(r.integers(0, 10**7, rows) + int(shift * 10**6), unit="s"))
    return pd.DataFrame({"x": x, "count": count, "category": category, "flag": flag,
                         "comment": comment, "when": when})


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three days of logged rows, a Parquet dataset partitioned by day (hive folders)."""
    root = tmp_path_factory.mktemp("lake") / "predictions"
    rows = frame(9_000, seed=2, shift=0.3)
    start = pd.Timestamp("2026-11-23", tz="UTC")
    seconds = np.sort(np.random.default_rng(3).integers(0, 3 * 86_400, len(rows)))
    rows["logged_at"] = start + pd.to_timedelta(seconds, unit="s")
    rows["day"] = rows["logged_at"].dt.strftime("%Y-%m-%d")
    pq.write_to_dataset(pa.Table.from_pandas(rows, preserve_index=False), root,
                        partition_cols=["day"], row_group_size=1_000)
    return root


@pytest.fixture(scope="session")
def training(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reference rows in three Parquet files (so Spark reads several partitions)."""
    root = tmp_path_factory.mktemp("training") / "train"
    root.mkdir()
    rows = frame(15_000, seed=1)
    for part, piece in enumerate(np.array_split(np.arange(len(rows)), 3)):
        pq.write_table(pa.Table.from_pandas(rows.iloc[piece], preserve_index=False),
                       root / f"part-{part}.parquet")
    return root
