"""A hung database: console pages answer 503 in bounded time and /healthz never waits.

PostgreSQL is reached through a TCP proxy that freezes: every query hangs.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import make_url

from monitor.console import Console, ConsoleMonitor
from monitor.console.gate import Gate
from monitor.daemon.server import THREADS, HttpServer
from monitor.store import open_store
from tests.chaos.proxy import TcpProxy
from tests.console_data import seed_runs, variants
from tests.integration.console.test_console import request

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def test_a_frozen_database_costs_503s_not_the_health_probe(postgres_schema_url: str):
    url = make_url(postgres_schema_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    store = open_store(url.set(port=proxy.port).render_as_string(hide_password=False))
    seed_runs(store, "m", 4, end=NOW, found=variants(columns=4, rows=300, count=2))
    monitors = [ConsoleMonitor("m", "every 1h", timedelta(hours=1))]
    console = Console(store, lambda: monitors, lambda: NOW + timedelta(minutes=1),
                      gate=Gate(slots=2, timeout=1.0))
    server = HttpServer("127.0.0.1", 0, CollectorRegistry(), health=lambda: {"status": "ok"},
                        ready=lambda: {"status": "ok"}, console=console)
    server.start()
    try:
        assert request(server.port, "/monitors/m")[0] == 200
        proxy.freeze()
        answers: list[tuple[int, float]] = []

        def ask(path: str) -> None:
            began = time.monotonic()
            status = request(server.port, path)[0]
            answers.append((status, time.monotonic() - began))

        # More page requests than request threads: a server that let each wait on the
        # database would have none left for the probe.
        askers = [threading.Thread(target=ask, args=(p,))
                  for p in ["/", "/monitors/m", "/api/monitors", "/runs/1"] * THREADS]
        for asker in askers:
            asker.start()
        began = time.monotonic()
        assert request(server.port, "/healthz")[0] == 200
        assert time.monotonic() - began < 10
        for asker in askers:
            asker.join(60)
        assert len(answers) == len(askers)
        assert {status for status, _ in answers} == {503}
        assert max(seconds for _, seconds in answers) < 20  # the 1 s deadline, not the hang
        proxy.restore()
        deadline = time.monotonic() + 60
        while request(server.port, "/monitors/m")[0] != 200:  # back once the database is
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        proxy.restore()
        server.close()
        store.close()
        proxy.stop()
