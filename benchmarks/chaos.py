"""The chaos scenarios of tests/chaos, run longer and repeated, summed up in one table.

Each run starts real `monitor run` daemons on a fresh schema of the
PostgreSQL server, with a real webhook receiver on 127.0.0.1, breaks one
part around them and audits what was stored and delivered afterwards:

- receiver outage: the receiver answers 503 for two compressed hours
  (delivery times divided by 120: 60 s) while alerts fire and resolve;
- store outage (cut): PostgreSQL, reached through a TCP proxy, drops every
  connection and refuses new ones for 30 s, in the middle of a read, or at
  the moment the receiver accepts a message (before the daemon records it);
- store outage (freeze): the proxy holds every byte for 30 s, so queries
  and connections hang, then drops the frozen connections;
- kill -9 loop: 20 SIGKILLs, the first while the brand-new monitor reads its
  first window, the others while reading, storing, delivering or anywhere,
  each followed by a restart.

    .venv/bin/python benchmarks/chaos.py                   # about 25 minutes
    .venv/bin/python benchmarks/chaos.py --runs 1 --only kill --seed 1234

The seed of every run is printed; ``MONITOR_CHAOS_SEED=<seed>`` replays a
run's choices in the tests (whose scenarios are shorter).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest
from sqlalchemy import create_engine

from tests.chaos.audit import Audit
from tests.chaos.scenarios import (
    Outcome,
    kill_loop,
    receiver_outage,
    store_outage,
)
from tests.chaos.world import World
from tests.postgres import DEFAULT_POSTGRES_URL, fresh_schema

Scenario = Callable[[World, random.Random], Outcome]

COLUMNS = ("scenario", "runs", "windows", "messages sent", "HTTP requests", "delivered", "lost",
           "duplicated", "recovered in (s)", "verdict")


def scenarios(args: argparse.Namespace) -> dict[str, tuple[str, Scenario]]:
    """The scenarios by short name: their title in the table, and how to run one."""
    hours = args.outage_hours
    return {
        "receiver": (f"receiver outage, 503 for {hours:g} h (compressed to {hours * 30:g} s)",
                     lambda w, r: receiver_outage(w, r, outage=hours * 30)),
        "cut": (f"store outage, cut for {args.store_outage:g} s mid-read",
                lambda w, r: store_outage(w, r, outage=args.store_outage, mode="cut")),
        "cut-delivering": (
            f"store outage, cut for {args.store_outage:g} s as a message is delivered",
            lambda w, r: store_outage(w, r, outage=args.store_outage, mode="cut",
                                      moment="delivering")),
        "freeze": (f"store outage, frozen for {args.store_outage:g} s mid-read",
                   lambda w, r: store_outage(w, r, outage=args.store_outage, mode="freeze")),
        "kill": (f"kill -9 loop, {args.kills} kills",
                 lambda w, r: kill_loop(w, r, kills=args.kills)),
    }


def run_once(url: str, seed: int, scenario: Scenario, keep: bool) -> Outcome:
    """One run on a fresh schema and folder; an error becomes a problem of the outcome."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    root = Path(tempfile.mkdtemp(prefix="monitor-chaos-"))
    outcome = Outcome("?", seed, Audit(), float("nan"))
    try:
        with fresh_schema(admin, prefix="chaos") as schema_url:
            world = World.create(root, schema_url, seed, minutes=20)
            try:
                outcome = scenario(world, random.Random(seed))
            except (Exception, pytest.fail.Exception) as exc:
                outcome.problems.append("".join(traceback.format_exception_only(exc)).strip())
            finally:
                world.close()
    finally:
        admin.dispose()
        if keep or outcome.problems:
            print(f"  files and daemon logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return outcome


def row(title: str, outcomes: list[Outcome]) -> list[str]:
    """One table row: sums over the runs, recovery as median (max)."""
    def total(field: str) -> str:
        return f"{sum(getattr(o.audit, field) for o in outcomes):,}"

    recovered = [o.recovered_in for o in outcomes if o.recovered_in == o.recovered_in]
    recovery = (f"{statistics.median(recovered):.1f} (max {max(recovered):.1f})"
                if recovered else "-")
    failed = sum(bool(o.problems) for o in outcomes)
    verdict = "PASS" if not failed else f"FAIL ({failed} of {len(outcomes)})"
    return [title, str(len(outcomes)), total("windows"), total("sent"), total("requests"),
            total("delivered"), total("lost"), total("duplicated"), recovery, verdict]


def print_table(rows: list[list[str]]) -> None:
    """A Markdown table, ready for docs/reliability.md."""
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "|".join("---" if name in ("scenario", "verdict") else "---:"
                         for name in COLUMNS) + "|")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-url", default=os.environ.get("MONITOR_TEST_POSTGRES_URL",
                                                                 DEFAULT_POSTGRES_URL))
    parser.add_argument("--runs", type=int, default=3, help="runs of each scenario")
    parser.add_argument("--seed", type=int, default=None, help="seed of the first run")
    parser.add_argument("--only", action="append",
                        choices=["receiver", "cut", "cut-delivering", "freeze", "kill"],
                        help="run only these scenarios (repeatable)")
    parser.add_argument("--outage-hours", type=float, default=2,
                        help="receiver outage in compressed hours of 30 s")
    parser.add_argument("--store-outage", type=float, default=30, help="seconds")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep every run's files and logs")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    print(f"seed {seed}; PostgreSQL {args.postgres_url.split('@')[-1]}; {os.cpu_count()} CPUs")
    rows, began = [], time.monotonic()
    for name, (title, scenario) in scenarios(args).items():
        if args.only and name not in args.only:
            continue
        outcomes = []
        for run in range(args.runs):
            run_seed = seed + run
            started = time.monotonic()
            outcome = run_once(args.postgres_url, run_seed, scenario, args.keep)
            outcomes.append(outcome)
            print(f"\n[{title}, run {run + 1}, {time.monotonic() - started:.0f} s]")
            print(outcome.summary())
        rows.append(row(title, outcomes))
    print(f"\n{time.monotonic() - began:.0f} s in all\n")
    print_table(rows)
    return 0 if all(cells[-1] == "PASS" for cells in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
