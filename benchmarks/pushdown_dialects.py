"""Push-down against pulled profiling of a 1,000,000-row window, on MariaDB and DuckDB.

The table is ``benchmarks/pushdown.py``'s: 20 columns of prediction logs (timestamp,
id, 12 float features of which half are 5 % null, an integer, 3 categorical, a
boolean, a score), 1,000,000 rows per hour over two hours, an index on the
timestamp. It is made once in each database, by the database (MariaDB from its
``seq_0_to_N`` sequence, DuckDB from ``range``): the database ``bench_pushdown``
on the MariaDB server (``MONITOR_TEST_MARIADB_URL``, by default root on
127.0.0.1:3306) and the file ``build/bench_pushdown.duckdb``. The reference is
200,000 rows of the first hour; the measured window is the second hour.

Each measurement runs in a fresh process (median of ``--repeat``): wall time, the
peak resident memory it added, and the peak of Python allocations; then a Markdown
table::

    .venv/bin/python benchmarks/pushdown_dialects.py [--rows 2000000] [--repeat 3]
    .venv/bin/python benchmarks/pushdown_dialects.py --only duckdb --drop
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tests.mariadb import mariadb_url  # noqa: E402

TABLE = "prediction_log"
HOURS = 2
T0 = datetime(2026, 11, 20, tzinfo=UTC)
FEATURES = [f"f{i:02d}" for i in range(1, 13)]
DUCKDB_FILE = ROOT / "build" / "bench_pushdown.duckdb"
STATES = ["CA", "NY", "TX", "FL", "WA", "IL", "MA", "GA"]
PRODUCTS = ["card", "loan", "mortgage", "lease"]
CHANNELS = ["web", "app", "branch"]


def urls(only: str | None) -> dict[str, str]:
    found = {"MariaDB": sa.engine.make_url(mariadb_url()).set(database="bench_pushdown")
             .render_as_string(hide_password=False),
             "DuckDB": f"duckdb:///{DUCKDB_FILE}"}
    return {k: v for k, v in found.items() if only is None or k.lower() == only}


def _feature(i: int, rand: str, ln: str) -> str:
    """A normal feature (Box–Muller), shifted over time, null 5 % of the time in half."""
    normal = f"sqrt(-2 * {ln}(1 - {rand})) * cos(2 * pi() * {rand})"
    value = f"({i} + {normal} * {1 + i / 10} + g * 1e-8)"
    if i % 2:
        value = f"CASE WHEN {rand} < 0.05 THEN NULL ELSE {value} END"
    return f"{value} AS f{i:02d}"


def _pick(values: list[str], rand: str, mariadb: bool) -> str:
    if mariadb:
        return f"ELT(1 + FLOOR({rand} * {len(values)}), {', '.join(repr(v) for v in values)})"
    return f"list_extract({values!r}, 1 + floor({rand} * {len(values)})::INTEGER)"


def ensure_table(name: str, url: str, rows: int) -> None:
    """Create the table unless it holds ``rows`` rows already."""
    mariadb = name == "MariaDB"
    if mariadb:
        admin = sa.create_engine(sa.engine.make_url(url).set(database="test"))
        with admin.begin() as conn:
            conn.execute(sa.text("CREATE DATABASE IF NOT EXISTS bench_pushdown "
                                 "CHARACTER SET utf8mb4"))
        admin.dispose()
    else:
        DUCKDB_FILE.parent.mkdir(exist_ok=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        try:
            have = conn.execute(sa.text(f"SELECT count(*) FROM {TABLE}")).scalar()
        except sa.exc.DBAPIError:
            have = None
        if have == rows:
            engine.dispose()  # DuckDB: the file's lock goes with the last connection
            return
        if have is not None:
            conn.execute(sa.text(f"DROP TABLE {TABLE}"))
    print(f"creating {TABLE} in {name}: {rows:,} rows × 20 columns ...", flush=True)
    began = time.perf_counter()
    rand, ln = ("RAND()", "LN") if mariadb else ("random()", "ln")
    features = ",\n  ".join(_feature(i, rand, ln) for i in range(1, 13))
    per_hour = rows // HOURS
    if mariadb:
        when = f"TIMESTAMP '2026-11-20 00:00:00' + INTERVAL (g * 3600000000 DIV {per_hour}) " \
               "MICROSECOND"
        source = f"(SELECT seq AS g FROM seq_0_to_{rows - 1}) AS s"
        declared = ", ".join(f"{f} DOUBLE" for f in FEATURES)
        create = (f"CREATE TABLE {TABLE} (logged_at DATETIME(6) NOT NULL, request_id BIGINT, "
                  f"{declared}, age INT, state VARCHAR(8), product VARCHAR(16), "
                  "channel VARCHAR(8), new_customer BOOLEAN, score DOUBLE)")
    else:
        when = (f"TIMESTAMPTZ '2026-11-20 00:00:00+00' + to_microseconds((g * 3600000000 // "
                f"{per_hour})::BIGINT)")
        source = f"range(0, {rows}) AS s(g)"
        create = None
    select = (f"SELECT {when} AS logged_at, g AS request_id, {features}, "
              f"CAST(18 + FLOOR({rand} * 60) AS INTEGER) AS age, "
              f"{_pick(STATES, rand, mariadb)} AS state, "
              f"{_pick(PRODUCTS, rand, mariadb)} AS product, "
              f"{_pick(CHANNELS, rand, mariadb)} AS channel, "
              f"{rand} < 0.3 AS new_customer, {rand} AS score FROM {source}")
    with engine.begin() as conn:
        if create is None:
            conn.execute(sa.text(f"CREATE TABLE {TABLE} AS {select}"))
        else:
            conn.execute(sa.text(create))
            conn.execute(sa.text(f"INSERT INTO {TABLE} {select}"))
        conn.execute(sa.text(f"CREATE INDEX {TABLE}_logged_at ON {TABLE} (logged_at)"))
    engine.dispose()
    print(f"created in {time.perf_counter() - began:.0f} s", flush=True)


def reference_profile(url: str, rows: int) -> dict[str, object]:
    """The reference: 200,000 rows of the first hour, profiled from pulled rows."""
    from monitor.profiles import build_profile
    from monitor.sources import engines
    from monitor.sources.sql import SqlSource

    source = SqlSource(SqlSource.Config(url=url, table=TABLE, timestamp="logged_at",
                                        profile_in_database=False))
    end = T0 + timedelta(hours=1) * 200_000 / (rows // HOURS)
    profile = build_profile(source.read(T0, end), exclude=["logged_at", "request_id"])
    engines.clear()  # a DuckDB file takes one process: the measurements open it afresh
    return profile.to_dict()


def measure(mode: str, url: str, reference: dict[str, object], start: str, end: str,
            queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One measurement, in its own process: time, added peak RSS, tracemalloc peak."""
    from monitor.profiles import Profile, ProfileBuilder
    from monitor.sources.base import ProfileRequest
    from monitor.sources.sql import SqlSource

    ref = Profile.from_dict(reference)
    window = datetime.fromisoformat(start), datetime.fromisoformat(end)
    exclude = ("logged_at", "request_id")
    source = SqlSource(SqlSource.Config(url=url, table=TABLE, timestamp="logged_at"))
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
    fine = {name: column.numeric.fine_counts.tolist() for name, column in profile.columns.items()
            if column.numeric is not None}
    queue.put({"seconds": seconds, "rss_mb": (peak - baseline) / 1024,
               "traced_mb": traced / 2**20, "rows": profile.rows, "fine": fine})


def run(mode: str, url: str, reference: dict[str, object],
        window: tuple[datetime, datetime]) -> dict[str, object]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=measure, args=(mode, url, reference, window[0].isoformat(),
                                                    window[1].isoformat(), queue))
    process.start()
    result = queue.get()
    process.join()
    return result  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="table rows (two hours)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["mariadb", "duckdb"])
    parser.add_argument("--drop", action="store_true", help="drop the tables afterwards")
    args = parser.parse_args()
    per_hour = args.rows // HOURS
    window = (T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    lines = ["| database | window rows | push-down | pulled (chunks of 50,000) | speed-up |",
             "|---|---|---|---|---|"]
    for name, url in urls(args.only).items():
        ensure_table(name, url, args.rows)
        reference = reference_profile(url, args.rows)
        summary: dict[str, dict[str, float]] = {}
        fines = []
        for mode in ("push-down", "pulled"):
            results = [run(mode, url, reference, window) for _ in range(args.repeat)]
            assert all(r["rows"] == per_hour for r in results), [r["rows"] for r in results]
            fines.append(results[0]["fine"])
            summary[mode] = {k: statistics.median(float(r[k]) for r in results)  # type: ignore[arg-type]
                             for k in ("seconds", "rss_mb", "traced_mb")}
            row = summary[mode]
            print(f"{name} {mode}: {row['seconds']:.2f} s, +{row['rss_mb']:.0f} MB RSS, "
                  f"{row['traced_mb']:.1f} MB allocated", flush=True)
        assert fines[0] == fines[1], "fine histogram counts differ between push-down and pulled"
        cells = [f"{summary[m]['seconds']:.2f} s, +{summary[m]['rss_mb']:.0f} MB RSS, "
                 f"{summary[m]['traced_mb']:.1f} MB allocated" for m in ("push-down", "pulled")]
        speedup = summary["pulled"]["seconds"] / summary["push-down"]["seconds"]
        lines.append(f"| {name} | {per_hour:,} | {cells[0]} | {cells[1]} | {speedup:.1f}× |")
        if args.drop:
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP TABLE {TABLE}"))
            engine.dispose()
    print("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
