"""The console's pages on a large history: server time and bytes per page.

Stores 10,000 runs of a 26-column monitor (real profiles, comparisons and
reports, spread over the last 30 days so that the 30-day page holds them
all), then serves the console on 127.0.0.1 and asks each page several times:

- ``/monitors/NAME?range=30d`` and its JSON, the page with the most data;
- ``/monitors/NAME?range=24h``, ``/``, ``/runs/ID`` and its JSON;
- a 200-column report rendered as ``monitor compare --format html`` would.

Server time is the WSGI application's own time (the median and the worst of
the repeats), bytes the body sent. The store is SQLite by default;
``--database`` takes a PostgreSQL URL, where the runs go to a schema of their
own (``console_benchmark``, dropped and made anew).

    .venv/bin/python benchmarks/console.py                 # about 3 minutes
    .venv/bin/python benchmarks/console.py --runs 2000 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client import CollectorRegistry

from monitor.console import Console, ConsoleMonitor
from monitor.daemon.server import HttpServer
from monitor.report.html import render_report
from monitor.store import open_store
from tests.console_data import seed_runs, variants

MONITOR = "credit-scoring"


class Timed:
    """Wraps a WSGI application and keeps the time each request took inside it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seconds: list[float] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        began = time.perf_counter()
        body = list(self.app(environ, start_response))
        self.seconds.append(time.perf_counter() - began)
        return body


def fresh_schema(url: str) -> str:
    """``url`` with its search path on a new, empty schema: the server's other tables stay."""
    from sqlalchemy import create_engine, make_url, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS console_benchmark CASCADE"))
        connection.execute(text("CREATE SCHEMA console_benchmark"))
    engine.dispose()
    search = {"options": "-csearch_path=console_benchmark"}
    return make_url(url).update_query_dict(search).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=26)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--database", help="store URL (default: a new SQLite file)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="monitor-console-"))
    url = fresh_schema(args.database) if args.database else f"sqlite:///{folder / 'monitor.db'}"
    store = open_store(url)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    step = timedelta(days=30) / args.runs
    began = time.perf_counter()
    found = variants(columns=args.columns, rows=5000, count=6)
    seed_runs(store, MONITOR, args.runs, end=now - step, step=step,
              drifting_last=args.runs // 40, found=found)
    print(f"stored {args.runs:,} runs of a {args.columns}-column monitor in "
          f"{time.perf_counter() - began:.0f} s ({url.split(':')[0]})")
    if store.engine.dialect.name == "postgresql":
        # The planner's statistics, as autovacuum gathers them once the rows settle: right
        # after a bulk load they say the tables are empty, and IN lists become scans.
        with store.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    monitors = [ConsoleMonitor(MONITOR, "every 5m", step, now + step)]
    console = Timed(Console(store, lambda: monitors, lambda: now))
    server = HttpServer("127.0.0.1", 0, CollectorRegistry(), health=lambda: {"status": "ok"},
                        ready=lambda: {"status": "ok"}, console=console)
    server.start()
    try:
        last = store.runs(MONITOR, limit=1)[0].id
        pages = [f"/monitors/{MONITOR}?range=30d", f"/api/monitors/{MONITOR}?range=30d",
                 f"/monitors/{MONITOR}?range=24h", "/", "/api/monitors", f"/runs/{last}",
                 f"/api/runs/{last}"]
        print(f"\n{'page':<44} {'median ms':>10} {'worst ms':>9} {'bytes':>10}")
        for page in pages:
            size = 0
            console.seconds.clear()
            for _ in range(args.repeat):
                with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{page}",
                                            timeout=120) as response:
                    size = len(response.read())
            ms = [s * 1000 for s in console.seconds]
            print(f"{page:<44} {statistics.median(ms):>10.1f} {max(ms):>9.1f} {size:>10,}")
    finally:
        server.close()
        store.close()
    wide = variants(columns=200, rows=2000, count=2)[-1].report
    began = time.perf_counter()
    html = render_report(wide)
    print(f"\n200-column report: rendered in {(time.perf_counter() - began) * 1000:.0f} ms, "
          f"{len(html):,} bytes")


if __name__ == "__main__":
    main()
