"""Push-down against pulled profiling of one window of a large PostgreSQL table.

Creates (once) the table ``bench_pushdown.prediction_log``: 10,000,000 rows ×
20 columns of prediction logs, 1,000,000 rows per hour over ten hours, with
an index on ``logged_at``. Then profiles windows of several sizes both ways,
each measurement in a fresh process so its peak memory is its own:

- push-down: ``SqlSource.profile_window`` (aggregates and a bounded sample
  computed by PostgreSQL);
- pulled: ``SqlSource.read`` streaming the rows in chunks of 50,000 into
  ``ProfileBuilder``.

It prints wall time, the peak resident memory the measurement added to the
process, and the peak of Python allocations (tracemalloc), side by side::

    .venv/bin/python benchmarks/pushdown.py            # MONITOR_TEST_POSTGRES_URL or the default
    .venv/bin/python benchmarks/pushdown.py --rows 2000000 --repeat 3

``--rows`` builds a smaller table (rows per hour scale with it); ``--drop``
removes the table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

SCHEMA = "bench_pushdown"
TABLE = "prediction_log"
HOURS = 10
T0 = datetime(2026, 11, 20, tzinfo=UTC)
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FEATURES = [f"f{i:02d}" for i in range(1, 13)]  # 12 float features, 5 % null in half of them

COLUMNS = """
CREATE TABLE {schema}.{table} (
  logged_at timestamptz NOT NULL, request_id bigint NOT NULL, {features},
  age integer, state text, product text, channel text, new_customer boolean, score float8)
"""
INSERT = """
INSERT INTO {schema}.{table}
SELECT
  timestamp with time zone '2026-11-20 00:00:00+00' + (g * interval '1 hour' / :per_hour)
    AS logged_at,
  g::bigint AS request_id,
  {features},
  (18 + floor(random() * 60))::integer AS age,
  (ARRAY['CA','NY','TX','FL','WA','IL','MA','GA'])[1 + floor(random() * 8)::int] AS state,
  (ARRAY['card','loan','mortgage','lease'])[1 + floor(random() * 4)::int] AS product,
  (ARRAY['web','app','branch'])[1 + floor(random() * 3)::int] AS channel,
  random() < 0.3 AS new_customer,
  random() AS score
FROM generate_series(0, :rows - 1) AS g
"""


def feature_sql(name: str, i: int) -> str:
    """A normal feature (Box–Muller), shifted over time for drift, null 5 % of the time."""
    normal = "sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())"
    value = f"({i} + {normal} * {1 + i / 10} + g * 1e-8)"
    if i % 2:
        value = f"CASE WHEN random() < 0.05 THEN NULL ELSE {value} END"
    return f"{value} AS {name}"


def ensure_table(url: str, rows: int) -> None:
    """Create the benchmark table unless it exists with ``rows`` rows."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        exists = conn.execute(sa.text("SELECT to_regclass(:name)"),
                              {"name": f"{SCHEMA}.{TABLE}"}).scalar()
        if exists:
            have = conn.execute(sa.text(f"SELECT count(*) FROM {SCHEMA}.{TABLE}")).scalar()
            if have == rows:
                return
            conn.execute(sa.text(f"DROP TABLE {SCHEMA}.{TABLE}"))
        print(f"creating {SCHEMA}.{TABLE}: {rows:,} rows × 20 columns ...", flush=True)
        began = time.perf_counter()
        features = ",\n  ".join(feature_sql(name, i) for i, name in enumerate(FEATURES, 1))
        declared = ", ".join(f"{name} float8" for name in FEATURES)
        conn.execute(sa.text(COLUMNS.format(schema=SCHEMA, table=TABLE, features=declared)))
        conn.execute(sa.text(INSERT.format(schema=SCHEMA, table=TABLE, features=features)),
                     {"rows": rows, "per_hour": rows // HOURS})
        conn.execute(sa.text(f"CREATE INDEX ON {SCHEMA}.{TABLE} (logged_at)"))
        conn.execute(sa.text(f"ANALYZE {SCHEMA}.{TABLE}"))
        print(f"created in {time.perf_counter() - began:.0f} s", flush=True)
    engine.dispose()


def reference_profile(url: str) -> dict[str, object]:
    """The reference: 200,000 rows of the first hour, profiled from pulled rows."""
    from monitor.profiles import build_profile
    from monitor.sources.sql import SqlSource

    source = SqlSource(SqlSource.Config(url=url, table=f"{SCHEMA}.{TABLE}",
                                        timestamp="logged_at", profile_in_database=False))
    end = T0 + timedelta(hours=1) * 200_000 / (total_rows(url) // HOURS)
    profile = build_profile(source.read(T0, end), exclude=["logged_at", "request_id"])
    return profile.to_dict()


def total_rows(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = int(conn.execute(sa.text(f"SELECT count(*) FROM {SCHEMA}.{TABLE}")).scalar())
    engine.dispose()
    return rows


def measure(mode: str, url: str, reference: dict[str, object], start: str, end: str,
            queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One measurement, in its own process: time, added peak RSS, tracemalloc peak."""
    from monitor.profiles import Profile, ProfileBuilder
    from monitor.sources.base import ProfileRequest
    from monitor.sources.sql import SqlSource

    ref = Profile.from_dict(reference)
    window = datetime.fromisoformat(start), datetime.fromisoformat(end)
    exclude = ("logged_at", "request_id")
    source = SqlSource(SqlSource.Config(url=url, table=f"{SCHEMA}.{TABLE}",
                                        timestamp="logged_at", profile_in_database=True))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    began = time.perf_counter()
    if mode == "push-down":
        profile = source.profile_window(*window, ProfileRequest(reference=ref, exclude=exclude))
        assert profile is not None
    else:
        builder = ProfileBuilder(reference=ref, exclude=exclude)
        for chunk in source.read(*window):
            builder.update(chunk)
        profile = builder.build()
    seconds = time.perf_counter() - began
    _, traced = tracemalloc.get_traced_memory()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put({"seconds": seconds, "rss_mb": (peak - baseline) / 1024,
               "traced_mb": traced / 2**20, "rows": profile.rows})


def run(mode: str, url: str, reference: dict[str, object], window: tuple[datetime, datetime]
        ) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=measure, args=(mode, url, reference, window[0].isoformat(),
                                                    window[1].isoformat(), queue))
    process.start()
    result = queue.get()
    process.join()
    return result  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("MONITOR_TEST_POSTGRES_URL", DEFAULT_URL))
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args()
    if args.drop:
        engine = sa.create_engine(args.url)
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        return
    ensure_table(args.url, args.rows)
    reference = reference_profile(args.url)
    per_hour = args.rows // HOURS
    start = T0 + timedelta(hours=5)  # a drifted hour in the middle of the table
    sizes = [per_hour // 10, per_hour // 2, per_hour]
    print(f"\n{'window rows':>12} {'mode':<10} {'wall s':>8} {'peak RSS +MB':>13} "
          f"{'py alloc MB':>12}   (median of {args.repeat})")
    summary: dict[str, dict[str, float]] = {}
    for size in sizes:
        window = (start, start + timedelta(hours=1) * size / per_hour)
        for mode in ("push-down", "pulled"):
            results = [run(mode, args.url, reference, window) for _ in range(args.repeat)]
            row = {k: statistics.median(r[k] for r in results)
                   for k in ("seconds", "rss_mb", "traced_mb")}
            assert all(r["rows"] == size for r in results), results
            summary[f"{mode}@{size}"] = row
            print(f"{size:>12,} {mode:<10} {row['seconds']:>8.2f} {row['rss_mb']:>13.1f} "
                  f"{row['traced_mb']:>12.1f}", flush=True)
    full = f"@{per_hour}"
    speedup = summary["pulled" + full]["seconds"] / summary["push-down" + full]["seconds"]
    pushed, pulled = summary["push-down" + full]["seconds"], summary["pulled" + full]["seconds"]
    print(f"\nwindow of {per_hour:,} rows: push-down {pushed:.2f} s, pulled {pulled:.2f} s: "
          f"{speedup:.1f}× faster")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
