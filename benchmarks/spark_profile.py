"""Profiling a window on Spark (local[1], local[2]) against the in-process path.

Writes ``--rows`` rows (default 10,000,000; seeded) of 26 profiled columns
like ``peer_data.py`` (20 normal numeric, 5 categorical with 4 levels, one
prediction) plus a timestamp, as Parquet in row groups of 100,000, and a
1,000,000-row reference profile of the same columns. Then, each in a fresh
process so that its memory is its own:

- in process: ``ProfileBuilder`` on the reference over the file source's
  pyarrow batches of 100,000 rows (one core);
- Spark ``local[1]`` and ``local[2]``: ``SparkSource.profile_window`` over
  the same file (a partial profile per partition, merged on the executors).

It prints wall time, rows per second and per core, and peak memory: of the
Python process that drives (for Spark, the driver's Python), and for Spark
that of the JVM (in local mode the driver and the executors share it).

    python benchmarks/spark_profile.py [--rows N ...] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

PART = 500_000
NUMERIC = [f"x{i:02d}" for i in range(20)]
CATEGORICAL = [f"c{i}" for i in range(5)]
LEVELS = np.array(["a", "b", "c", "d"])
START = datetime(2026, 11, 24, tzinfo=UTC)


def table(rows: int, seed: int, offset: int) -> pa.Table:
    """``rows`` rows, the timestamps one a millisecond from ``offset``."""
    rng = np.random.default_rng(seed)
    columns: dict[str, pa.Array] = {}
    for name in NUMERIC:
        columns[name] = pa.array(rng.normal(0.0, 1.0, rows))
    for name in CATEGORICAL:
        codes = rng.choice(4, rows, p=[0.4, 0.3, 0.2, 0.1]).astype(np.int32)
        columns[name] = pa.DictionaryArray.from_arrays(codes, pa.array(LEVELS)).cast(pa.string())
    logit = sum(columns[n].to_numpy() for n in NUMERIC[:5]) / 3
    columns["prediction"] = pa.array(1 / (1 + np.exp(-logit)))
    millis = np.arange(offset, offset + rows, dtype=np.int64)
    columns["logged_at"] = pa.array(np.datetime64("2026-11-24", "ms") + millis).cast(
        pa.timestamp("us", tz="UTC"))
    return pa.table(columns)


def write(path: Path, rows: int) -> None:
    """The data set, part by part (kept when present)."""
    if path.exists():
        return
    partial = path.with_suffix(".tmp")
    with pq.ParquetWriter(partial, table(1, 0, 0).schema) as writer:
        for i, start in enumerate(range(0, rows, PART)):
            writer.write_table(table(min(PART, rows - start), 100 + i, start),
                               row_group_size=100_000)
    partial.replace(path)


def reference(data: Path) -> Path:
    """A 1,000,000-row reference profile of the same columns (kept when present)."""
    path = data / "spark-reference.json"
    if not path.exists():
        from monitor.profiles import build_profile

        frame = table(1_000_000, 1, 0).to_pandas()
        profile = build_profile([frame], exclude=["logged_at"])
        path.write_text(json.dumps(profile.to_dict()))
    return path


def measure(mode: str, data: Path, reference_path: Path) -> dict[str, float]:
    """One measurement, run in this (fresh) process."""
    from monitor.profiles import Profile, ProfileBuilder
    from monitor.sources.base import ProfileRequest

    known = Profile.from_dict(json.loads(reference_path.read_text()))
    end = START + timedelta(days=3650)
    result: dict[str, float] = {}
    if mode == "local":
        began = time.perf_counter()
        from monitor.sources.files import FileSource

        builder = ProfileBuilder(reference=known, exclude=["logged_at"])
        for chunk in FileSource(FileSource.Config(path=str(data))).read():
            builder.update(chunk)  # pyarrow batches of 100,000 rows, one row group at a time
        profile = builder.build()
        result["seconds"] = time.perf_counter() - began
    else:
        from monitor.sources.spark import SparkSource
        from monitor.sources.spark.session import spark_session

        session = spark_session({"spark.ui.enabled": "false", "spark.driver.memory": "2g"},
                                master=mode)
        source = SparkSource(SparkSource.Config(path=str(data), timestamp="logged_at"))
        began = time.perf_counter()
        profile = source.profile_window(START, end, ProfileRequest(known, ("logged_at",)))
        result["seconds"] = time.perf_counter() - began
        jvm = session.sparkContext._gateway.proc.pid
        status = Path(f"/proc/{jvm}/status").read_text()
        result["jvm_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
    assert profile is not None
    result["rows"] = profile.rows
    result["python_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000_000])
    parser.add_argument("--modes", nargs="+", default=["local", "local[1]", "local[2]"])
    parser.add_argument("--data", type=Path, default=Path("/tmp/monitor-bench"))
    parser.add_argument("--measure", nargs=3, metavar=("MODE", "DATA", "REFERENCE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        mode, data, known = args.measure
        print(json.dumps(measure(mode, Path(data), Path(known))))
        return
    args.data.mkdir(parents=True, exist_ok=True)
    known = reference(args.data)
    print("| rows | engine | cores | wall | rows/s | rows/s per core | driver Python | JVM |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for rows in args.rows:
        path = args.data / f"spark-{rows}.parquet"
        write(path, rows)
        for mode in args.modes:
            output = subprocess.run(
                [sys.executable, __file__, "--measure", mode, str(path), str(known)],
                capture_output=True, text=True, check=True, env={**os.environ})
            got = json.loads(output.stdout.strip().splitlines()[-1])
            assert got["rows"] == rows, got
            cores = 1 if mode == "local" else int(mode[6:-1])
            speed = rows / got["seconds"]
            engine = "in process" if mode == "local" else f"Spark {mode}"
            jvm = f"{got['jvm_mb']:,.0f} MB" if "jvm_mb" in got else "-"
            print(f"| {rows:,} | {engine} | {cores} | {got['seconds']:.1f} s | {speed:,.0f} | "
                  f"{speed / cores:,.0f} | {got['python_mb']:,.0f} MB | {jvm} |", flush=True)


if __name__ == "__main__":
    main()
