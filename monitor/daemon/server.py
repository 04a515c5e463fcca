"""The daemon's HTTP endpoints: ``/healthz``, ``/readyz``, ``/status``, ``/metrics``, on a thread.

A stdlib WSGI server on a daemon thread, as prometheus-client's own
``start_http_server`` does; the routes are small enough not to need a
framework.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from monitor.times import format_time

__all__ = ["HttpServer"]

log = logging.getLogger(__name__)

Check = Callable[[], dict[str, Any]]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)


class _ThreadingServer(WSGIServer):
    daemon_threads = True


class HttpServer:
    """Serves health, readiness and metrics until ``close``."""

    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        *,
        health: Check,
        ready: Check,
        status: Check | None = None,
    ) -> None:
        self._metrics = make_wsgi_app(registry)
        self._pages = {"/healthz": health, "/readyz": ready}
        if status is not None:
            self._pages["/status"] = status
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
