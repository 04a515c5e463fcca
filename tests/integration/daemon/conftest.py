"""The daemon as operators run it: a `monitor run` subprocess, its HTTP endpoints, its log.

Production logs live in a PostgreSQL table that keeps receiving rows (their
timestamps run ten minutes into the future), so 2-second windows complete
every two seconds while a test watches.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import monitor_env, spawn_daemon
from tests.receivers import free_port

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


class DaemonProcess:
    """One `monitor run` subprocess with its log file and HTTP port."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env
        self.port = int(env["MONITOR_HTTP"].rsplit(":", 1)[1])
        self.log_path = root / f"daemon-{time.monotonic_ns()}.log"
        self.process = spawn_daemon("rules/", cwd=root, env=env, log=self.log_path)

    def log(self) -> str:
        """Everything the daemon logged so far."""
        return self.log_path.read_text()

    def get(self, path: str) -> tuple[int, str]:
        """GET a page; (0, reason) when nothing answers yet."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError as exc:
            return 0, str(exc)

    def json(self, path: str) -> dict:
        """GET a JSON page."""
        status, body = self.get(path)
        assert status in (200, 503), body
        return json.loads(body)

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """The /metrics samples by (name, sorted labels)."""
        status, body = self.get("/metrics")
        assert status == 200, body
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(body) for s in family.samples}

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll until ``condition`` holds, else fail with the daemon's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                pytest.fail(f"daemon exited ({self.process.returncode}) while waiting for "
                            f"{what}:\n{self.log()}")
            time.sleep(0.2)
        pytest.fail(f"timed out after {timeout}s waiting for {what}; log:\n{self.log()}")

    def signal(self, sig: signal.Signals) -> None:
        """Send a signal."""
        self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """Wait for the exit status."""
        return self.process.wait(timeout=timeout)


class TcpProxy:
    """Forwards a local port to another address; stop() makes the database 'go away'."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._server: socket.socket | None = None
        self._connections: list[socket.socket] = []

    def start(self) -> None:
        """Listen and forward in daemon threads."""
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        """Close the listener and every forwarded connection."""
        if self._server is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone may let one more in.
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
            self._server = None
        for conn in self._connections:
            conn.close()
        self._connections.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._connections += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except (OSError, ValueError):  # the other side was closed by stop()
            return
        finally:
            a.close()
            b.close()


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
        env = monitor_env(**{"MONITOR_DATABASE_URL": database_url,
                             "MONITOR_HTTP": f"127.0.0.1:{free_port()}",
                             "MONITOR_RELOAD_INTERVAL": "0.5", **settings})
        daemon = DaemonProcess(tmp_path, env)
        started.append(daemon)
        daemon.wait_for(lambda: daemon.get("/healthz")[0] == 200, 30, "/healthz")
        return daemon

    yield start
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait()
