"""HTTP source: prediction logs served as JSON by an API, page by page.

Each window is one request (the window's bounds as query parameters) and as
many follow-up pages as the API hands out: a next link in the body, a
``Link: <…>; rel="next"`` header, or a cursor echoed back as a parameter.
Rows are the JSON objects of each page (nested objects flattened to
``a.b`` columns); they are filtered to the window by the timestamp field,
since an API's own range may be looser, and items that are not objects are
counted as unreadable.

Faults: every request has a connect and a read timeout; network errors, 429
and 5xx answers and bodies cut short are retried with exponential backoff
and jitter (``backoff`` doubling up to ``max_backoff`` seconds), honouring
``Retry-After`` up to ``MONITOR_HTTP_RETRY_AFTER_MAX`` seconds; waits end
at once when the daemon stops (``Interrupted``). After ``retries`` retries
the read fails and the run is recorded as failed with the last answer.
Other 4xx answers, a body that does not decode as its ``Content-Encoding``
says, and a page that is not JSON or nests deeper than Python's recursion
limit lets it be parsed and flattened fail at once. Numbers beyond float64
stay numbers (the profile reads them as ±inf). Credentials come from the
rule file's ``${NAME}`` substitution; messages name the host and path only.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import pandas as pd
import requests
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.errors import SourceError
from monitor.retry import backoff_seconds, parse_retry_after, pause
from monitor.settings import Settings
from monitor.sources.base import Source, SourceConfig
from monitor.sources.timestamps import filter_window, require_times
from monitor.times import format_time

__all__ = ["HttpAuth", "HttpSource", "Pagination", "retry_delay"]

log = logging.getLogger(__name__)

_ROW_KEYS = ("data", "items", "results", "records", "rows")
_CONNECT_TIMEOUT = 10.0


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HttpAuth(_Block):
    """``{type: bearer, token: ${TOKEN}}`` or ``{type: basic, username: ..., password: ${PW}}``."""

    type: Literal["bearer", "basic"]
    token: str | None = None
    username: str | None = None
    password: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> HttpAuth:
        if self.type == "bearer" and not self.token:
            raise ValueError("bearer auth needs 'token' (write it as ${NAME})")
        if self.type == "basic" and (self.username is None or self.password is None):
            raise ValueError("basic auth needs 'username' and 'password'")
        return self

    def __repr__(self) -> str:  # never show the secret
        return f"HttpAuth(type={self.type!r})"


class Pagination(_Block):
    """How the next page is found: none, a next link, a Link header, or a cursor."""

    type: Literal["none", "next_link", "link_header", "cursor"] = "none"
    path: str | None = Field(default=None, description="dotted path of the next link or cursor "
                             "in the body, such as links.next or meta.next_cursor")
    param: str | None = Field(default=None, description="query parameter the cursor goes in")

    @model_validator(mode="after")
    def _complete(self) -> Pagination:
        if self.type in ("next_link", "cursor") and not self.path:
            raise ValueError(f"{self.type} pagination needs 'path': where the body holds it")
        if self.type == "cursor" and not self.param:
            raise ValueError("cursor pagination needs 'param': the query parameter to send it in")
        return self


class HttpSource(Source):
    """Reads JSON rows of a window from an HTTP API."""

    class Config(SourceConfig):
        """The ``source:`` block of an HTTP source."""

        type: Literal["http"] = "http"
        url: str = Field(description="the endpoint, http:// or https://")
        params: dict[str, str | int | float | bool] = Field(default_factory=dict)
        headers: dict[str, str] = Field(default_factory=dict)
        auth: HttpAuth | None = None
        start_param: str | None = Field(default="start", description="query parameter of the "
                                        "window start; null to send none")
        end_param: str | None = Field(default="end", description="query parameter of the "
                                      "window end; null to send none")
        time_format: Literal["iso", "unix", "unix_ms"] = "iso"
        records: str | None = Field(default=None, description="dotted path of the list of "
                                    "rows in a page; by default the page itself or its "
                                    "data/items/results/records/rows list")
        pagination: Pagination = Pagination()
        timeout: float = Field(default=30.0, gt=0, description="seconds to wait for an answer")
        retries: int = Field(default=5, ge=0, description="retries of a request that failed "
                             "with a network error, 429 or 5xx")
        backoff: float = Field(default=1.0, ge=0, description="seconds before the first retry, "
                               "doubling")
        max_backoff: float = Field(default=60.0, gt=0, description="longest wait between tries")
        max_pages: int = Field(default=10_000, gt=0)
        chunk_size: int = Field(default=50_000, gt=0)
        verify_tls: bool = True

        @field_validator("url")
        @classmethod
        def _http_url(cls, value: str) -> str:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"url must be an http:// or https:// URL, got '{_shown(value)}'")
            return value

    config: Config

    def describe(self) -> str:
        """Host and path of the endpoint (never its query or credentials)."""
        return _shown(self.config.url)

    def read(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[pd.DataFrame]:
        """Yield the window's rows, page after page, in chunks of at most ``chunk_size``."""
        self.counter.reset()
        rows: list[dict[str, Any]] = []
        with self._session() as session:
            for page in self._pages(session, start, end):
                rows.extend(page)
                while len(rows) >= self.config.chunk_size:
                    chunk, rows = rows[:self.config.chunk_size], rows[self.config.chunk_size:]
                    yield from self._frame(chunk, start, end)
        if rows:
            yield from self._frame(rows, start, end)
        if self.config.timestamp:
            require_times(self.counter.stats, self.config.timestamp, self.describe())

    def _session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update({"Accept": "application/json", **self.config.headers})
        auth = self.config.auth
        if auth is not None and auth.type == "bearer":
            session.headers["Authorization"] = f"Bearer {auth.token}"
        elif auth is not None:
            session.auth = (auth.username or "", auth.password or "")
        session.verify = self.config.verify_tls
        return session

    def _pages(
        self, session: requests.Session, start: datetime | None, end: datetime | None
    ) -> Iterator[list[dict[str, Any]]]:
        config = self.config
        url: str | None = config.url
        params: dict[str, Any] | None = {**config.params, **self._bounds(start, end)}
        seen: set[str] = set()
        for number in range(1, config.max_pages + 1):
            assert url is not None
            response = self._get(session, url, params)
            body = _json(response, number, self.describe())
            yield self._objects(_records(body, config.records, number, self.describe()))
            url, params = self._next(response, body, url, params)
            if url is None:
                return
            key = f"{url}?{sorted((params or {}).items())}"
            if key in seen:
                raise SourceError(f"{self.describe()}: page {number} points back to a page "
                                  "already read; check source.pagination")
            seen.add(key)
        raise SourceError(f"{self.describe()}: more than {config.max_pages} pages for one "
                          "window; raise source.max_pages or use a shorter window")

    def _next(
        self, response: requests.Response, body: Any, url: str, params: dict[str, Any] | None
    ) -> tuple[str | None, dict[str, Any] | None]:
        pagination = self.config.pagination
        if pagination.type == "next_link":
            link = _at(body, pagination.path or "")
            return (urljoin(url, str(link)), None) if link else (None, None)
        if pagination.type == "link_header":
            link = response.links.get("next", {}).get("url")
            return (urljoin(url, link), None) if link else (None, None)
        if pagination.type == "cursor":
            cursor = _at(body, pagination.path or "")
            if cursor in (None, ""):
                return None, None
            return url, {**(params or {}), pagination.param or "cursor": cursor}
        return None, None

    def _get(
        self, session: requests.Session, url: str, params: dict[str, Any] | None
    ) -> requests.Response:
        """One GET, retried on network errors, 429 and 5xx as the module docstring says."""
        config = self.config
        last = ""
        for attempt in range(config.retries + 1):
            try:
                response = session.get(url, params=params,
                                       timeout=(min(_CONNECT_TIMEOUT, config.timeout),
                                                config.timeout))
            except requests.Timeout:
                last, wait = f"no answer within {config.timeout:g} s", None
            except requests.ConnectionError as exc:
                last, wait = f"cannot connect ({_cause(exc)})", None
            except requests.exceptions.ChunkedEncodingError:
                last, wait = "the answer's body was cut short or malformed", None
            except requests.exceptions.ContentDecodingError as exc:
                raise SourceError(f"{self.describe()} answered a body that does not decode as "
                                  "its Content-Encoding says; check the API or a proxy in "
                                  "between") from exc
            except requests.RequestException as exc:  # its text may hold the query: not shown
                raise SourceError(f"{self.describe()}: request failed "
                                  f"({type(exc).__name__})") from exc
            else:
                if response.ok:
                    return response
                last = f"HTTP {response.status_code} {response.reason or ''}".strip()
                if response.status_code != 429 and response.status_code < 500:
                    raise SourceError(f"{self.describe()} answered {last}{_hint(response)}")
                wait = self._granted(parse_retry_after(response.headers.get("Retry-After"),
                                                       time.time()))
            if attempt == config.retries:
                break
            delay = retry_delay(attempt, config.backoff, config.max_backoff, wait)
            log.warning("%s: %s; retry %d of %d in %.1f s", self.describe(), last, attempt + 1,
                        config.retries, delay)
            pause(delay, self.stop)
        raise SourceError(f"{self.describe()} stayed unavailable after {config.retries + 1} "
                          f"attempts: {last}")

    def _granted(self, asked: float | None) -> float | None:
        """The wait a Retry-After asked for, cut to ``MONITOR_HTTP_RETRY_AFTER_MAX``."""
        if asked is None:
            return None
        limit = Settings().http_retry_after_max
        if asked > limit:
            log.warning("%s asks to retry after %.0f s; waiting %.0f s "
                        "(MONITOR_HTTP_RETRY_AFTER_MAX)", self.describe(), asked, limit)
        return min(asked, limit)

    def _bounds(self, start: datetime | None, end: datetime | None) -> dict[str, Any]:
        bounds = {}
        for name, value in ((self.config.start_param, start), (self.config.end_param, end)):
            if name and value is not None:
                bounds[name] = _format_time(value, self.config.time_format)
        return bounds

    def _objects(self, items: list[Any]) -> list[dict[str, Any]]:
        objects = [item for item in items if isinstance(item, dict)]
        if len(objects) < len(items):
            self.counter.add(unreadable_records=len(items) - len(objects))
        return objects

    def _frame(
        self, rows: list[dict[str, Any]], start: datetime | None, end: datetime | None
    ) -> Iterator[pd.DataFrame]:
        try:
            frame = pd.json_normalize(rows)
        except RecursionError as exc:  # flattening recurses once per level
            raise SourceError(f"{self.describe()}: rows nest objects deeper than can be "
                              "flattened into columns") from exc
        column = self.config.timestamp
        if column and (start is not None or end is not None):
            if column not in frame.columns:
                raise SourceError(f"timestamp field '{column}' is not in the rows of "
                                  f"{self.describe()} (their fields: "
                                  f"{', '.join(map(str, frame.columns[:20]))}); fix "
                                  "source.timestamp")
            frame = filter_window(frame, column, start, end, where=self.describe(),
                                  counter=self.counter)
        else:
            self.counter.add(rows=len(frame))
        if len(frame):
            yield frame.reset_index(drop=True)


def retry_delay(attempt: int, backoff: float, maximum: float, requested: float | None) -> float:
    """Seconds before retry ``attempt + 1``: Retry-After when given, else jittered backoff.

    >>> retry_delay(0, 1.0, 60.0, 7.0)
    7.0
    >>> 2.0 <= retry_delay(2, 1.0, 60.0, None) <= 4.0
    True
    """
    if requested is not None:
        return max(0.0, requested)
    return backoff_seconds(attempt + 1, backoff, maximum) * random.uniform(0.5, 1.0)


def _records(body: Any, path: str | None, number: int, where: str) -> list[Any]:
    if path:
        found = _at(body, path)
        if not isinstance(found, list):
            raise SourceError(f"{where}: page {number} has no list at '{path}' (found "
                              f"{type(found).__name__}); fix source.records")
        return found
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in _ROW_KEYS:
            if isinstance(body.get(key), list):
                return list(body[key])
        keys = ", ".join(map(str, list(body)[:20]))
        raise SourceError(f"{where}: cannot find the rows in page {number} (its keys: {keys}); "
                          "set source.records to the key holding them")
    raise SourceError(f"{where}: page {number} is a JSON {type(body).__name__}, not rows")


def _json(response: requests.Response, number: int, where: str) -> Any:
    kind = response.headers.get("Content-Type", "no content type")
    try:
        return response.json()
    except ValueError as exc:
        raise SourceError(f"{where}: page {number} is not JSON ({kind}): "
                          f"{_first_line(exc)[:200]}") from exc
    except RecursionError as exc:  # the stdlib parser recurses once per level
        raise SourceError(f"{where}: page {number} nests JSON arrays or objects deeper than "
                          "the parser can follow") from exc


def _at(body: Any, path: str) -> Any:
    value = body
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _format_time(value: datetime, fmt: str) -> str | int:
    if fmt == "unix":
        return int(value.timestamp())
    if fmt == "unix_ms":
        return int(value.timestamp() * 1000)
    return format_time(value)


def _shown(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _hint(response: requests.Response) -> str:
    if response.status_code in (401, 403):
        return "; check the credentials in source.auth"
    if response.status_code == 404:
        return "; check source.url"
    return ""


def _cause(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__
