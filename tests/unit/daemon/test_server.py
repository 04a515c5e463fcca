"""The HTTP endpoints on a real socket: idle clients and a hung store never block /healthz."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from monitor.daemon import server as server_module
from monitor.daemon.server import HttpServer, SingleFlight


def fetch(port: int, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, dict]:
    status, body = fetch(port, path, timeout)
    return status, json.loads(body) if body.startswith(b"{") else {"text": body.decode()}


@pytest.fixture
def hung() -> Iterator[threading.Event]:
    """Released at the end, so the hung status thread ends with the test."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def served(hung: threading.Event) -> Iterator[HttpServer]:
    def status() -> dict:
        hung.wait(60)  # a store that does not answer
        return {"status": "ok"}

    server = HttpServer("127.0.0.1", 0, CollectorRegistry(), health=lambda: {"status": "ok"},
                        ready=lambda: {"status": "ok"}, status=status, status_timeout=0.5)
    server.start()
    yield server
    server.close()


def test_idle_connections_do_not_block_health(served: HttpServer):
    idle = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(5)]
    try:
        # A server that served one connection at a time would wait on the first idle one
        # for ever: these would time out.
        assert get(served.port, "/healthz", timeout=15) == (200, {"status": "ok"})
        assert fetch(served.port, "/metrics", timeout=15)[0] == 200
    finally:
        for sock in idle:
            sock.close()


def test_a_hung_status_answers_503_in_bounded_time_and_health_stays_up(served: HttpServer):
    results: list[tuple[int, dict]] = []
    callers = [threading.Thread(target=lambda: results.append(get(served.port, "/status")))
               for _ in range(3)]
    for caller in callers:
        caller.start()
    assert get(served.port, "/healthz", timeout=5)[0] == 200  # while /status hangs
    for caller in callers:
        caller.join(30)
    assert len(results) == 3
    for status, body in results:  # two wait for the call, the third is told at once
        assert status == 503 and ("did not answer within 0.5s" in body["reason"]
                                  or "still answering earlier requests" in body["reason"])
    assert sum("did not answer" in body["reason"] for _, body in results) >= 1
    # One call in flight at a time: the hung store holds one thread, not one per request.
    flights = [t for t in threading.enumerate() if t.name == "http:the database"]
    assert len(flights) == 1


def test_idle_connections_past_the_cap_are_dropped_and_health_answers(monkeypatch, hung):
    monkeypatch.setattr(server_module, "MAX_CONNECTIONS", 3)
    monkeypatch.setattr(server_module, "SOCKET_TIMEOUT", 1)
    server = HttpServer("127.0.0.1", 0, CollectorRegistry(), health=lambda: {"status": "ok"},
                        ready=lambda: {"status": "ok"})
    server.start()
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
    try:
        # The idle connections fill every slot; they are cut after the socket timeout, and the
        # probe, queued meanwhile, is answered.
        assert get(server.port, "/healthz", timeout=30) == (200, {"status": "ok"})
        for sock in idle:
            sock.settimeout(30)
            assert sock.recv(1) == b""  # closed by the server, not by us
    finally:
        for sock in idle:
            sock.close()
        server.close()


def test_many_idle_connections_hold_no_thread(served: HttpServer):
    idle = [socket.create_connection(("127.0.0.1", served.port))
            for _ in range(server_module.THREADS * 3)]
    try:
        assert get(served.port, "/healthz", timeout=15) == (200, {"status": "ok"})
    finally:
        for sock in idle:
            sock.close()


def test_close_releases_the_port():
    server = HttpServer("127.0.0.1", 0, CollectorRegistry(), health=lambda: {"status": "ok"},
                        ready=lambda: {"status": "ok"})
    server.start()
    assert get(server.port, "/healthz")[0] == 200
    server.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=5)  # nobody listens
    again = HttpServer("127.0.0.1", server.port, CollectorRegistry(),
                       health=lambda: {"status": "ok"}, ready=lambda: {"status": "ok"})
    again.start()  # the port is free for the next start
    try:
        assert get(again.port, "/healthz")[0] == 200
    finally:
        again.close()


def test_single_flight_reports_the_error_of_its_call():
    def broken() -> dict:
        raise RuntimeError("no such table")

    with pytest.raises(RuntimeError, match="no such table"):
        SingleFlight(broken, 5.0, "the database")()


def test_status_callers_past_the_waiters_are_told_at_once(served: HttpServer):
    """A hung /status holds at most two request threads; more callers are answered at once."""
    results: list[tuple[int, dict]] = []
    callers = [threading.Thread(target=lambda: results.append(get(served.port, "/status")))
               for _ in range(server_module.THREADS)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(60)
    reasons = [body["reason"] for status, body in results if status == 503]
    assert len(reasons) == server_module.THREADS
    assert any("still answering earlier requests" in r for r in reasons)
    assert sum("did not answer within" in r for r in reasons) <= 2 * 2  # two at a time


def test_a_scrape_that_hangs_on_the_store_answers_503_and_health_stays_up(monkeypatch):
    release = threading.Event()

    class Hung:
        def collect(self):  # a collector that reads a database that does not answer
            release.wait(60)
            return iter(())

    monkeypatch.setattr(server_module, "METRICS_TIMEOUT", 0.5)
    registry = CollectorRegistry()
    registry.register(Hung())  # type: ignore[arg-type]
    release.set()  # registering collects once; hang only from now on
    release.clear()
    server = HttpServer("127.0.0.1", 0, registry, health=lambda: {"status": "ok"},
                        ready=lambda: {"status": "ok"})
    server.start()
    try:
        answers = []
        scrapers = [threading.Thread(target=lambda: answers.append(
            fetch(server.port, "/metrics")[0])) for _ in range(server_module.THREADS)]
        for scraper in scrapers:
            scraper.start()
        assert get(server.port, "/healthz", timeout=15)[0] == 200
        for scraper in scrapers:
            scraper.join(60)
        assert answers == [503] * server_module.THREADS
        release.set()
        deadline = time.monotonic() + 30
        while fetch(server.port, "/metrics")[0] != 200:  # back once the store answers
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        release.set()
        server.close()
