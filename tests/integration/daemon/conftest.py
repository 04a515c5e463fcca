"""The daemon as operators run it: a `monitor run` subprocess, its HTTP endpoints, its log.

Production logs live in a PostgreSQL table that keeps receiving rows (their
timestamps run ten minutes into the future), so 2-second windows complete
every two seconds while a test watches.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.chaos.proxy import TcpProxy
from tests.processes import DaemonProcess

__all__ = ["DaemonProcess", "TcpProxy"]  # moved to tests/processes.py, tests/chaos/proxy.py

FAST_QUERY = ("SELECT logged_at, score, segment FROM prediction_log "
              "WHERE logged_at >= :start AND logged_at < :end")
SLOW_QUERY = ("SELECT p.logged_at, p.score, p.segment FROM prediction_log p, "
              "(SELECT pg_sleep({seconds})) AS s "
              "WHERE p.logged_at >= :start AND p.logged_at < :end")

SLOW_APPLICATION = f"monitor_slow_{os.getpid()}"

RULES = """\
monitors:
  - name: {name}
    schedule: {{every: 1s}}
    window: 2s
    source:
      type: sql
      url: "{url}"
      query: "{query}"
      timestamp: logged_at
    reference: {{path: ../train.parquet}}
    columns: {{categorical: [segment]}}
"""


def slow_url(url: str) -> str:
    """The URL with an application name that ``end_slow_queries`` finds."""
    return f"{url}&application_name={SLOW_APPLICATION}"


def end_slow_queries(url: str) -> None:
    """Terminate the sleeping queries a killed daemon left running in PostgreSQL."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = :name"), {"name": SLOW_APPLICATION})
    engine.dispose()


def rules_text(url: str, name: str = "live", query: str = FAST_QUERY) -> str:
    """One monitor over the prediction_log table, 2-second windows, ticking every second."""
    return RULES.format(name=name, url=url, query=query)


@pytest.fixture
def live_logs(postgres_schema_url: str, tmp_path: Path) -> str:
    """A prediction_log table with 20 rows a second from 2 minutes ago to 10 minutes ahead."""
    rng = np.random.default_rng(0)
    now = datetime.now(UTC)
    n = 20 * 720
    stamps = [now - timedelta(minutes=2) + timedelta(seconds=i / 20) for i in range(n)]
    frame = pd.DataFrame({"logged_at": stamps, "score": rng.normal(0, 1, n),
                          "segment": rng.choice(["a", "b"], n)})
    engine = sa.create_engine(postgres_schema_url)
    frame.to_sql("prediction_log", engine, index=False)
    engine.dispose()
    frame.drop(columns="logged_at").to_parquet(tmp_path / "train.parquet", index=False)
    return postgres_schema_url


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Start `monitor run rules/` in tmp_path; every daemon left running is killed after."""
    started: list[DaemonProcess] = []
    (tmp_path / "rules").mkdir(exist_ok=True)

    def start(database_url: str, **settings: str) -> DaemonProcess:
        daemon = DaemonProcess.spawn(tmp_path, database_url, **settings)
        started.append(daemon)
        daemon.wait_for(lambda: daemon.get("/healthz")[0] == 200, 30, "/healthz")
        return daemon

    yield start
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait()
