"""The console: a WSGI application of HTML pages and their JSON under ``/api/``.

Read-only unless the daemon has a write token (``MONITOR_CONSOLE_TOKEN``):
then silences can be created and expired, by a form that asks for the token
or by the API with ``Authorization: Bearer TOKEN``. Every answer carries a
strict Content-Security-Policy: no script at all, styles from this server
only; the charts are SVG drawn by the server.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from monitor.alerts.links import monitor_path
from monitor.console import silencing
from monitor.console.gate import Busy, Gate
from monitor.console.pages import Pages
from monitor.console.series import BadRequest, parse_range
from monitor.console.views import (
    ConsoleMonitor,
    monitor_view,
    overview,
    run_view,
)
from monitor.errors import MonitorError
from monitor.store import Store
from monitor.store.history import run_by_id, run_by_window_end, run_points
from monitor.store.models import finite_floats
from monitor.times import format_time, parse_time

__all__ = ["CSP", "Console"]

log = logging.getLogger(__name__)

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
"""No script, no frame, styles and images from this server only."""
_HEADERS = [("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"),
            ("Cache-Control", "no-store")]
MAX_BODY = 64 * 1024
"""Largest request body read (a silence form or its JSON)."""

StartResponse = Callable[..., Any]


class _Answer(Exception):
    """Ends a request early with a status and a message (404, 403, 400, 503)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class Console:
    """The console's WSGI application.

    ``monitors`` returns the monitors scheduled now (their names, schedules
    and next runs); ``gate`` bounds the threads that wait on the store.
    """

    def __init__(
        self,
        store: Store,
        monitors: Callable[[], Sequence[ConsoleMonitor]],
        clock: Callable[[], datetime],
        *,
        token: str | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.store, self.monitors, self.clock, self.token = store, monitors, clock, token
        self.gate = gate or Gate(slots=4, timeout=10.0)
        self.pages = Pages(writable=token is not None)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        api = path.startswith("/api/") or path == "/api"
        try:
            if path.startswith("/static/"):
                return self._static(path, start_response)
            if method == "POST":
                return self._post(path, environ, api, start_response)
            if method not in ("GET", "HEAD"):
                raise _Answer("405 Method Not Allowed", f"{method} is not served here")
            if api:
                return _json(start_response, "200 OK", self._api(path, query))
            return self._page(path, query, start_response)
        except _Answer as answer:
            return self._error(start_response, answer.status, answer.message, api)
        except BadRequest as exc:
            return self._error(start_response, "400 Bad Request", str(exc), api)
        except Busy as exc:
            return self._error(start_response, "503 Service Unavailable", str(exc), api)
        except MonitorError as exc:
            log.warning("console %s: %s", path, exc)
            return self._error(start_response, "503 Service Unavailable", str(exc), api)

    # ---- pages -------------------------------------------------------------------------

    def _page(self, path: str, query: dict[str, str], start_response: StartResponse
              ) -> Iterable[bytes]:
        parts = [unquote(p) for p in path.strip("/").split("/")] if path != "/" else []
        if not parts:
            view = self.gate.run(lambda: overview(self.store, self.monitors(), self.clock()))
            return _html(start_response, "200 OK", self.pages.overview(view))
        if parts[0] == "monitors" and len(parts) == 4 and parts[2] == "windows":
            return self._window_redirect(parts[1], parts[3], start_response)
        if parts[0] == "monitors" and len(parts) == 2:
            view = self._monitor(parts[1], query)
            return _html(start_response, "200 OK", self.pages.monitor(view, query))
        if parts[0] == "runs" and len(parts) == 2:
            run = self._run(parts[1])
            return _html(start_response, "200 OK", self.pages.run(run))
        if parts[0] == "silences" and len(parts) == 1:
            view = self.gate.run(lambda: silencing.listing(self.store, self.clock()))
            return _html(start_response, "200 OK", self.pages.silences(view, query))
        raise _Answer("404 Not Found", f"no page {path}")

    def _monitor(self, name: str, query: dict[str, str]) -> dict[str, Any]:
        known = {m.name: m for m in self.monitors()}
        now = self.clock()
        span = parse_range(query.get("range"), query.get("from"), query.get("to"), now)
        segment = query.get("segment") or None

        def read() -> dict[str, Any]:
            if name not in known and not run_points(self.store, name, limit=1):
                raise _Answer("404 Not Found", f"no monitor named {name!r}")
            return monitor_view(self.store, known.get(name, name), span, now, segment,
                                self.pages.anchor)

        return self.gate.run(read)

    def _run(self, text: str) -> dict[str, Any]:
        if not text.isdigit() or len(text) > 18:
            raise _Answer("404 Not Found", f"no run {text!r}: a run id is a whole number")
        run_id = int(text)

        def read() -> dict[str, Any]:
            run = run_by_id(self.store, run_id)
            if run is None:
                raise _Answer("404 Not Found", f"no run {run_id}")
            return run_view(self.store, run)

        return self.gate.run(read)

    def _window_redirect(self, name: str, end_text: str, start_response: StartResponse
                         ) -> Iterable[bytes]:
        try:
            end = parse_time(end_text)
        except ValueError as exc:
            raise _Answer("404 Not Found", f"window end {end_text!r}: {exc}") from exc
        run = self.gate.run(lambda: run_by_window_end(self.store, name, end))
        target = (f"/runs/{run.id}" if run is not None
                  else monitor_path(name) + "?range=7d")
        start_response("302 Found", [("Location", target), ("Content-Length", "0"), *_HEADERS])
        return [b""]

    # ---- API ---------------------------------------------------------------------------

    def _api(self, path: str, query: dict[str, str]) -> Any:
        parts = [unquote(p) for p in path.strip("/").split("/")][1:]
        if not parts:
            return {"endpoints": API_ENDPOINTS}
        if parts == ["monitors"]:
            return self.gate.run(lambda: overview(self.store, self.monitors(), self.clock()))
        if parts[0] == "monitors" and len(parts) == 2:
            return self._monitor(parts[1], query)
        if parts[0] == "runs" and len(parts) == 2:
            return self._run(parts[1])
        if parts == ["silences"]:
            return self.gate.run(lambda: silencing.listing(self.store, self.clock()))
        raise _Answer("404 Not Found", f"no endpoint {path}: see /api for the list")

    # ---- writes ------------------------------------------------------------------------

    def _post(self, path: str, environ: dict[str, Any], api: bool,
              start_response: StartResponse) -> Iterable[bytes]:
        if self.token is None:
            raise _Answer("403 Forbidden", "the console is read-only: start the daemon with "
                          "MONITOR_CONSOLE_TOKEN set to allow silences from here")
        fields = _body(environ, api)
        given = (environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
                 if api else str(fields.get("token", "")))
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise _Answer("403 Forbidden", "wrong or missing console token")
        parts = path.strip("/").split("/")
        if api:
            parts = parts[1:]
        now = self.clock()
        if parts == ["silences"]:
            record = self.gate.run(lambda: silencing.create(self.store, fields, now))
        elif len(parts) == 3 and parts[0] == "silences" and parts[2] == "expire":
            record = self.gate.run(lambda: silencing.expire(self.store, parts[1], now))
        else:
            raise _Answer("404 Not Found", f"nothing to post to {path}")
        if api:
            status = "201 Created" if parts == ["silences"] else "200 OK"
            return _json(start_response, status, record)
        start_response("303 See Other", [("Location", "/silences?done=" + str(record["id"])),
                                         ("Content-Length", "0"), *_HEADERS])
        return [b""]

    # ---- plumbing ----------------------------------------------------------------------

    def _static(self, path: str, start_response: StartResponse) -> Iterable[bytes]:
        body = self.pages.static(path.removeprefix("/static/"))
        if body is None:
            raise _Answer("404 Not Found", f"no file {path}")
        data = body.encode()
        start_response("200 OK", [("Content-Type", "text/css; charset=utf-8"),
                                  ("Content-Length", str(len(data))),
                                  ("Content-Security-Policy", CSP),
                                  ("X-Content-Type-Options", "nosniff"),
                                  ("Cache-Control", "max-age=3600")])
        return [data]

    def _error(self, start_response: StartResponse, status: str, message: str, api: bool
               ) -> Iterable[bytes]:
        if api:
            return _json(start_response, status, {"error": message})
        return _html(start_response, status, self.pages.error(status, message))


API_ENDPOINTS = {
    "GET /api/monitors": "every monitor: state, last run, next run, recent drift share, alerts",
    "GET /api/monitors/NAME?range=6h|24h|7d|30d|DURATION&from=ISO&to=ISO&segment=KEY":
        "one monitor over a range: runs (downsampled), per-column effect, quality, model "
        "metrics, alert states, notifications and their delivery",
    "GET /api/runs/ID": "one run: its results and report document (distributions)",
    "GET /api/silences": "silences active or to come",
    "POST /api/silences": "create a silence (JSON: alert, monitor, segment, severity, "
                          "duration or ends_at, reason, created_by); needs the token",
    "POST /api/silences/ID/expire": "end a silence now; needs the token",
}


def _body(environ: dict[str, Any], api: bool) -> dict[str, Any]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        raise _Answer("413 Content Too Large", f"the body may hold at most {MAX_BODY} bytes")
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    try:
        text = raw.decode("utf-8")
        if api:
            document = json.loads(text or "{}")
            if not isinstance(document, dict):
                raise ValueError("the body must be a JSON object")
            return document
        return {k: v[-1] for k, v in parse_qs(text).items()}
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Answer("400 Bad Request", f"unreadable body: {exc}") from exc


def _json(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
    data = json.dumps(finite_floats(body), default=_jsonable, allow_nan=False).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data))), *_HEADERS])
    return [data]


def _html(start_response: StartResponse, status: str, page: str) -> list[bytes]:
    data = page.encode("utf-8")
    start_response(status, [("Content-Type", "text/html; charset=utf-8"),
                            ("Content-Length", str(len(data))), *_HEADERS])
    return [data]


def _jsonable(value: object) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    return str(value)
