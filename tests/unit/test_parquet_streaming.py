"""Parquet files of one big row group are read in chunks, in bounded memory, unchanged.

pyarrow and pandas write up to a million rows as one row group; the file
source reads such a group batch by batch (``monitor.sources.parquet_groups``)
and must give the rows, chunks and profile a whole-file read gives.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from monitor.profiles import build_profile
from monitor.sources.files import FileSource

ROWS = 30_000
CHUNK = 7_000  # not a divisor of ROWS: the last chunk is short


def _frame(rows: int, seed: int) -> pd.DataFrame:
    """Columns of every kind a profile reads, with missing values."""
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=rows)
    numbers[rng.random(rows) < 0.05] = np.nan
    counts = pd.array(rng.integers(0, 9, rows), dtype="Int64")
    counts[rng.random(rows) < 0.03] = pd.NA
    words = rng.choice(np.array(["red", "green", "blue", None], dtype=object), rows)
    return pd.DataFrame({
        "ts": pd.Timestamp("2026-11-24T00:00:00Z") + pd.to_timedelta(np.arange(rows), unit="s"),
        "x": numbers,
        "n": counts,
        "word": words,
        "level": pd.Categorical(rng.choice(["low", "mid", "high"], rows)),
        "flag": rng.random(rows) < 0.3,
        "score": rng.uniform(size=rows),
    })


def _single_group(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_parquet(path, index=False, row_group_size=len(frame))
    assert pq.ParquetFile(path).metadata.num_row_groups == 1
    return path


def _whole_file_chunks(path: Path, chunk: int) -> list[pd.DataFrame]:
    """The file read whole, then cut where the file source cuts its chunks."""
    table = pq.read_table(path).combine_chunks()
    return [b.to_pandas(split_blocks=True) for b in table.to_batches(max_chunksize=chunk)]


def _streamed(path: Path, chunk: int = CHUNK, **config: Any) -> list[pd.DataFrame]:
    source = FileSource(FileSource.Config(path=str(path), chunk_size=chunk, **config))
    return list(source.read())


def test_one_row_group_gives_the_rows_chunks_and_profile_of_a_whole_read(tmp_path: Path) -> None:
    path = _single_group(tmp_path / "one.parquet", _frame(ROWS, seed=1))
    streamed, whole = _streamed(path), _whole_file_chunks(path, CHUNK)
    assert [len(c) for c in streamed] == [len(c) for c in whole] == [7_000] * 4 + [2_000]
    for got, expected in zip(streamed, whole, strict=True):
        pd.testing.assert_frame_equal(got, expected)
    assert str(streamed[0]["level"].dtype) == "category"  # the pandas metadata is kept
    streamed_profile = build_profile(_streamed(path), categorical=["word"])
    whole_profile = build_profile(_whole_file_chunks(path, CHUNK), categorical=["word"])
    assert streamed_profile.rows == ROWS
    assert streamed_profile.content_hash() == whole_profile.content_hash()


def test_a_window_keeps_the_rows_of_a_whole_read_filtered(tmp_path: Path) -> None:
    path = _single_group(tmp_path / "one.parquet", _frame(ROWS, seed=2))
    start, end = datetime(2026, 11, 24, 1, tzinfo=UTC), datetime(2026, 11, 24, 3, tzinfo=UTC)
    source = FileSource(FileSource.Config(path=str(path), chunk_size=CHUNK, timestamp="ts"))
    got = pd.concat(list(source.read(start, end)), ignore_index=True)
    whole = pq.read_table(path).to_pandas()
    expected = whole[(whole.ts >= start) & (whole.ts < end)].reset_index(drop=True)
    assert len(expected) == 7_200
    pd.testing.assert_frame_equal(got, expected)
    assert source.counter.stats.rows == 7_200


def test_hive_keys_are_filled_in_and_a_file_of_another_schema_is_reconciled(
        tmp_path: Path) -> None:
    """The partition key becomes a column; a file whose ``x`` is int64 where the dataset's
    is float64 still reads, cast as the dataset scanner casts it."""
    root = tmp_path / "logs"
    north, south = _frame(12_000, seed=3), _frame(9_000, seed=4)
    south["x"] = np.arange(len(south), dtype=np.int64)
    for region, frame in (("north", north), ("south", south)):
        (root / f"region={region}").mkdir(parents=True)
        _single_group(root / f"region={region}" / "part.parquet", frame)
    got = pd.concat(_streamed(root, partitioning="hive"), ignore_index=True)
    dataset = ds.dataset(root, format="parquet", partitioning="hive")
    expected = dataset.to_table().to_pandas()
    assert got["region"].tolist() == ["north"] * 12_000 + ["south"] * 9_000
    pd.testing.assert_frame_equal(got, expected)
    assert got["x"].dtype == np.float64


_MEASURE = textwrap.dedent("""
    import json, resource, sys
    from monitor.sources.files import FileSource
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    source = FileSource(FileSource.Config(path=sys.argv[1], chunk_size=10_000))
    rows = sum(len(chunk) for chunk in source.read())
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({"rows": rows, "grown_mb": grown / 1024}))
""")


def test_reading_one_big_row_group_does_not_hold_it_whole(tmp_path: Path) -> None:
    """1,000,000 rows × 20 float columns (160 MB decoded) in one row group: the reading
    process grows by less than that (about 75 MB here; a reader that decodes the whole
    group grows by some 375 MB)."""
    rows, columns = 1_000_000, 20
    rng = np.random.default_rng(5)
    table = pa.table({f"x{i}": rng.normal(size=rows) for i in range(columns)})
    path = tmp_path / "big.parquet"
    pq.write_table(table, path, row_group_size=rows)
    del table
    decoded_mb = rows * columns * 8 / 2**20
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    measured = json.loads(done.stdout)
    assert measured["rows"] == rows
    assert measured["grown_mb"] < decoded_mb, measured


@pytest.mark.parametrize("chunk", [7, 999, 100_000])
def test_any_chunk_size_reads_every_row_once(tmp_path: Path, chunk: int) -> None:
    frame = _frame(2_500, seed=6)
    path = _single_group(tmp_path / "one.parquet", frame)
    chunks = _streamed(path, chunk=chunk)
    assert all(len(c) <= chunk for c in chunks)
    got = pd.concat(chunks, ignore_index=True)
    pd.testing.assert_frame_equal(got, pq.read_table(path).to_pandas())
