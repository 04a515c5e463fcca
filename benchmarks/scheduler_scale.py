"""Can one daemon keep 1,000 monitors on schedule? Tick lateness, skipped ticks and CPU.

Starts `monitor run` as a subprocess on generated rules: N monitors, each
ticking every EVERY seconds over windows of the same length, all reading one
small Parquet file of live-looking logs (a few rows a second). After a
warm-up it scrapes /metrics twice and reports, for the interval between:
ticks started, their lateness (scheduled time → start), ticks skipped,
windows run, and the daemon's CPU use (from /proc). A second phase measures
idle CPU: monitors whose windows are not due yet, so ticks find nothing to do.

    python benchmarks/scheduler_scale.py --monitors 1000 --every 60 --minutes 3
    python benchmarks/scheduler_scale.py --database-url postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from prometheus_client.parser import text_string_to_metric_families

HERE = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def write_data(folder: Path, minutes: float) -> None:
    """Two rows a second from ten minutes ago to well past the end of the run."""
    rng = np.random.default_rng(1)
    start = datetime.now(UTC) - timedelta(minutes=10)
    n = int((minutes + 20) * 60 * 2)
    stamps = pd.Timestamp(start) + pd.to_timedelta(np.arange(n) / 2, unit="s")
    frame = pd.DataFrame({"logged_at": stamps, "x": rng.normal(0, 1, n),
                          "c": rng.choice(["a", "b", "c"], n)})
    frame.to_parquet(folder / "logs.parquet", index=False)
    frame.drop(columns="logged_at").to_parquet(folder / "train.parquet", index=False)


def write_rules(folder: Path, monitors: int, every: int, window: str) -> None:
    """N monitors over the same logs."""
    lines = ["monitors:"]
    for i in range(monitors):
        lines += [
            f"  - name: m{i:04d}",
            f"    schedule: {{every: {every}s}}",
            f"    window: {window}",
            "    source: {type: file, path: ../logs.parquet, timestamp: logged_at}",
            "    reference: {path: ../train.parquet}",
            "    columns: {categorical: [c]}",
        ]
    (folder / "rules").mkdir(exist_ok=True)
    (folder / "rules" / "bench.yaml").write_text("\n".join(lines) + "\n")


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """All /metrics samples."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def total(samples: dict, name: str, **labels: str) -> float:
    """Sum of the samples of one name whose labels include ``labels``."""
    return sum(v for (n, ls), v in samples.items()
               if n == name and all(dict(ls).get(k) == w for k, w in labels.items()))


def bucket(samples: dict, le: str) -> float:
    """Cumulative count of the tick lateness histogram up to ``le`` seconds."""
    return total(samples, "monitor_tick_lateness_seconds_bucket", le=le)


def measure(args: argparse.Namespace, phase: str, window: str, jitter: float) -> dict[str, float]:
    """Run one phase; return its figures."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_data(folder, args.minutes)
        write_rules(folder, args.monitors, args.every, window)
        port = 19000 + os.getpid() % 1000
        env = {**os.environ, "MONITOR_HTTP": f"127.0.0.1:{port}",
               "MONITOR_DATABASE_URL": args.database_url or f"sqlite:///{folder / 'bench.db'}",
               "MONITOR_WORKERS": str(args.workers), "MONITOR_JITTER": str(jitter),
               "MONITOR_LOG_LEVEL": "WARNING"}
        process = subprocess.Popen([sys.executable, "-m", "monitor", "run", "rules/"],
                                   cwd=folder, env=env)
        try:
            time.sleep(args.warmup)
            first, cpu_first, t_first = scrape(port), cpu_seconds(process.pid), time.monotonic()
            time.sleep(args.minutes * 60)
            last, cpu_last, t_last = scrape(port), cpu_seconds(process.pid), time.monotonic()
        finally:
            process.terminate()
            process.wait(timeout=120)
    ticks = bucket(last, "+Inf") - bucket(first, "+Inf")
    def share(le: str) -> float:
        return (bucket(last, le) - bucket(first, le)) / ticks if ticks else float("nan")
    expected = args.monitors * (t_last - t_first) / args.every
    return {
        "phase": phase, "ticks": ticks, "expected": expected,
        "on_time_1s": share("1.0"), "on_time_5s": share("5.0"),
        "skipped": total(last, "monitor_ticks_skipped_total")
                   - total(first, "monitor_ticks_skipped_total"),
        "runs_ok": total(last, "monitor_runs_total", status="ok")
                   - total(first, "monitor_runs_total", status="ok"),
        "cpu": (cpu_last - cpu_first) / (t_last - t_first),
    }


def main() -> None:
    """Run the phases and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--every", type=int, default=60, help="seconds between ticks")
    parser.add_argument("--minutes", type=float, default=3, help="measured minutes per phase")
    parser.add_argument("--warmup", type=float, default=90, help="seconds before measuring")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--jitter", type=float, default=30)
    parser.add_argument("--database-url", help="default: a SQLite file per phase")
    args = parser.parse_args()
    phases = [
        measure(args, "busy: a window each tick", f"{args.every}s", args.jitter),
        measure(args, "idle: nothing due", "1d", args.jitter),
    ]
    print(f"\n{args.monitors} monitors every {args.every}s, {args.workers} workers, jitter "
          f"{args.jitter:.0f}s, {args.minutes:g} min measured after {args.warmup:.0f}s warm-up, "
          f"{os.cpu_count()} CPUs, database {args.database_url or 'SQLite'}")
    print(f"{'phase':<26} {'ticks':>7} {'expected':>8} {'≤1s late':>9} {'≤5s late':>9} "
          f"{'skipped':>8} {'windows':>8} {'CPU':>6}")
    for p in phases:
        print(f"{p['phase']:<26} {p['ticks']:>7.0f} {p['expected']:>8.0f} "
              f"{p['on_time_1s']:>9.1%} {p['on_time_5s']:>9.1%} {p['skipped']:>8.0f} "
              f"{p['runs_ok']:>8.0f} {p['cpu']:>6.1%}")


if __name__ == "__main__":
    main()
