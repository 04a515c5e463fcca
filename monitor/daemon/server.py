"""The daemon's HTTP endpoints: ``/healthz``, ``/readyz``, ``/status``, ``/metrics``, on threads.

A stdlib WSGI server, as prometheus-client's own ``start_http_server`` is,
but one thread per connection, at most ``MAX_CONNECTIONS`` at once, and a
socket timeout: an idle or slow client holds one thread for at most
``SOCKET_TIMEOUT`` seconds and never delays a health probe. Pages that read
the store (``/status``) run through a ``SingleFlight`` with a deadline, so a
hung database answers 503 in bounded time instead of piling up threads.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from monitor.times import format_time

__all__ = ["MAX_CONNECTIONS", "SOCKET_TIMEOUT", "HttpServer", "SingleFlight"]

log = logging.getLogger(__name__)

Check = Callable[[], dict[str, Any]]

MAX_CONNECTIONS = 32
"""Connections served at once; the next ones get 503 at once, not a queue."""
SOCKET_TIMEOUT = 10.0
"""Seconds a client may stay silent before its connection is dropped."""
_BUSY_TEXT = b"too many open connections"
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: "
         + str(len(_BUSY_TEXT)).encode() + b"\r\nConnection: close\r\n\r\n" + _BUSY_TEXT)


class SingleFlight:
    """Calls ``fn`` on its own thread, one call at a time, and waits at most ``timeout``.

    While a call is still running (a hung database), later callers wait on
    that same call instead of starting new ones, so threads never pile up.
    """

    def __init__(self, fn: Check, timeout: float, what: str) -> None:
        self.fn, self.timeout, self.what = fn, timeout, what
        self._lock = threading.Lock()
        self._future: Future[dict[str, Any]] | None = None

    def __call__(self) -> dict[str, Any]:
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


class _QuietHandler(WSGIRequestHandler):
    timeout = SOCKET_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    """One daemon thread per connection, at most ``MAX_CONNECTIONS`` at once."""

    daemon_threads = True
    block_on_close = False

    def server_activate(self) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().server_activate()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            try:
                request.settimeout(1.0)
                request.sendall(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that timed out or hung up is routine, not a traceback on stderr."""
        log.debug("http connection from %s ended with an error", client_address, exc_info=True)


class HttpServer:
    """Serves health, readiness, status and metrics until ``close``.

    ``health`` and ``ready`` must answer from memory at once; ``status``
    may read the store and gets ``status_timeout`` seconds.
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
    ) -> None:
        self._metrics = make_wsgi_app(registry)
        self._pages: dict[str, Check] = {"/healthz": health, "/readyz": ready}
        if status is not None:
            self._pages["/status"] = SingleFlight(status, status_timeout, "the database")
        self._server = make_server(host, port, self._app, server_class=_ThreadingServer,
                                   handler_class=_QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="http",
                                        daemon=True)

    def start(self) -> None:
        """Start serving on a background thread."""
        self._thread.start()
        log.info("serving %s and /metrics on port %d", ", ".join(self._pages), self.port)

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            metrics: Iterable[bytes] = self._metrics(environ, start_response)
            return metrics
        page = self._pages.get(path)
        if page is None:
            known = ", ".join([*self._pages, "/metrics"])
            return _json(start_response, "404 Not Found", {"error": f"no page {path}: try {known}"})
        try:
            body = page()
        except Exception as exc:  # a status page must answer, even when the database does not
            log.warning("%s failed: %s", path, exc)
            body = {"status": "error", "reason": str(exc)}
        status = "200 OK" if body.get("status") == "ok" else "503 Service Unavailable"
        return _json(start_response, status, body)


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
