"""The daemon's HTTP endpoints: health, readiness, status, metrics and the console, on waitress.

waitress reads and writes sockets on one event loop and runs requests on a
fixed pool of ``THREADS`` threads, so an idle or slow client holds no thread
at all, and is dropped after ``SOCKET_TIMEOUT`` seconds of silence; at most
``MAX_CONNECTIONS`` are open at once, later ones wait to be accepted. Pages
that read the store run with a deadline and a bounded share of the threads
(``SingleFlight`` for ``/status``, the console's own gate for its pages), so a
hung database answers 503 in bounded time and ``/healthz``, answered from
memory, always finds a free thread. A scrape of ``/metrics`` builds its
series (some read from the store) on a gate thread with a deadline too.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from waitress.server import create_server

from monitor.console.gate import Busy, Gate
from monitor.times import format_time

__all__ = ["MAX_CONNECTIONS", "METRICS_TIMEOUT", "SOCKET_TIMEOUT", "THREADS", "HttpServer",
           "SingleFlight"]

log = logging.getLogger(__name__)

Check = Callable[[], dict[str, Any]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

MAX_CONNECTIONS = 100
"""Connections open at once; idle ones cost no thread, later ones wait to be accepted."""
SOCKET_TIMEOUT = 10
"""Seconds a client may stay silent before its connection is dropped."""
THREADS = 12
"""Request threads. Work that reads the store takes at most 10 of them (the console 4,
``/status``, ``/readyz`` and ``/metrics`` 2 each), so ``/healthz`` always finds one."""
METRICS_TIMEOUT = 10.0
"""Seconds a scrape waits for the series read from the store before answering 503."""


class SingleFlight:
    """Calls ``fn`` on its own thread, one call at a time, and waits at most ``timeout``.

    While a call is still running (a hung database), later callers wait on
    that same call instead of starting new ones, so threads never pile up;
    at most ``waiters`` callers wait at once, the others are told at once.
    """

    def __init__(self, fn: Check, timeout: float, what: str, waiters: int = 2) -> None:
        self.fn, self.timeout, self.what = fn, timeout, what
        self._lock = threading.Lock()
        self._future: Future[dict[str, Any]] | None = None
        self._waiters = threading.BoundedSemaphore(waiters)

    def __call__(self) -> dict[str, Any]:
        if not self._waiters.acquire(blocking=False):
            return {"status": "unready",
                    "reason": f"{self.what} is still answering earlier requests"}
        try:
            return self._wait()
        finally:
            self._waiters.release()

    def _wait(self) -> dict[str, Any]:
        with self._lock:
            if self._future is None or self._future.done():
                self._future = Future()
                threading.Thread(target=self._run, args=(self._future,), daemon=True,
                                 name=f"http:{self.what}").start()
            future = self._future
        try:
            return future.result(self.timeout)
        except TimeoutError:
            return {"status": "unready",
                    "reason": f"{self.what} did not answer within {self.timeout:g}s"}

    def _run(self, future: Future[dict[str, Any]]) -> None:
        try:
            future.set_result(self.fn())
        except BaseException as exc:  # reported by the page, never lost in the thread
            future.set_exception(exc)


class HttpServer:
    """Serves health, readiness, status, metrics and (when given) the console until ``close``.

    ``health`` and ``ready`` must answer from memory at once; ``status``
    may read the store and gets ``status_timeout`` seconds. Any other path
    goes to ``console``, a WSGI application, or is a 404.
    """

    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        *,
        health: Check,
        ready: Check,
        status: Check | None = None,
        status_timeout: float = 10.0,
        console: WsgiApp | None = None,
    ) -> None:
        self._registry = registry
        self._scrapes = Gate(slots=2, timeout=METRICS_TIMEOUT, what="the metrics")
        self._console = console
        self._pages: dict[str, Check] = {"/healthz": health, "/readyz": ready}
        if status is not None:
            self._pages["/status"] = SingleFlight(status, status_timeout, "the database")
        self._server = create_server(
            self._app, host=host, port=port, threads=THREADS, connection_limit=MAX_CONNECTIONS,
            channel_timeout=SOCKET_TIMEOUT, cleanup_interval=max(1, SOCKET_TIMEOUT // 2),
            ident="monitor", expose_tracebacks=False, clear_untrusted_proxy_headers=True)
        self.port = int(self._server.effective_port)
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="http", daemon=True)

    def start(self) -> None:
        """Start serving on a background thread."""
        self._thread.start()
        served = [*self._pages, "/metrics", *(["the console at /"] if self._console else [])]
        log.info("serving %s on port %d", ", ".join(served), self.port)

    def close(self) -> None:
        """Stop serving, close every connection and release the port."""
        self._closing.set()
        if self._thread.is_alive():
            self._server.pull_trigger()  # wakes the event loop, which closes everything
            self._thread.join(timeout=10)
        else:
            self._close_all()

    def _loop(self) -> None:
        """waitress's event loop, one pass at a time, so that ``close`` can end it cleanly."""
        server = self._server
        try:
            while not self._closing.is_set():
                server.asyncore.loop(timeout=server.adj.asyncore_loop_timeout, map=server._map,
                                     use_poll=server.adj.asyncore_use_poll, count=1)
        finally:
            self._close_all()

    def _close_all(self) -> None:
        # On the loop's own thread: no select() is waiting on a socket closed under it.
        server = self._server
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        for dispatcher in list(server._map.values()):
            try:
                if dispatcher is server:
                    server.close()  # the listener, and the trigger with it
                else:
                    dispatcher.handle_close()
            except OSError:
                pass

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return self._scrape(start_response)
        page = self._pages.get(path)
        if page is None:
            if self._console is not None:
                return self._console(environ, start_response)
            known = ", ".join([*self._pages, "/metrics"])
            return _json(start_response, "404 Not Found", {"error": f"no page {path}: try {known}"})
        try:
            body = page()
        except Exception as exc:  # a status page must answer, even when the database does not
            log.warning("%s failed: %s", path, exc)
            body = {"status": "error", "reason": str(exc)}
        status = "200 OK" if body.get("status") == "ok" else "503 Service Unavailable"
        return _json(start_response, status, body)


    def _scrape(self, start_response: Callable[..., Any]) -> list[bytes]:
        """The exposition, built on a gate thread: a store that hangs delays no probe."""
        try:
            data = self._scrapes.run(lambda: generate_latest(self._registry))
        except Busy as exc:
            return _json(start_response, "503 Service Unavailable", {"error": str(exc)})
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST),
                                  ("Content-Length", str(len(data)))])
        return [data]


def _json(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body, default=_jsonable).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data)))])
    return [data]


def _jsonable(value: object) -> str:
    """Times as ISO-8601 UTC with a Z; anything else as its text."""
    if isinstance(value, datetime):
        return format_time(value)
    return str(value)
