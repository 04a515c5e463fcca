"""The HTTP source against a real JSON API on 127.0.0.1: pages, auth, faults and recovery."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from monitor.errors import SourceError
from monitor.sources.http import HttpSource
from tests.receivers import free_port

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 9, tzinfo=UTC)
START, END = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
TOKEN = "s3cret-token"


@dataclass
class Api:
    """A prediction-log API: rows every minute from 09:00 for three hours, paginated.

    ``failures`` answers that many requests with 503 first (``retry_after`` seconds);
    ``slack`` widens each answer by that many minutes on both sides of the asked range.
    """

    port: int
    page_size: int = 25
    mode: str = "next_link"
    failures: int = 0
    retry_after: str | None = "0"
    slack: int = 0
    delay: float = 0.0
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)
    rows: list[dict] = field(default_factory=lambda: [
        {"ts": (T0 + timedelta(minutes=i)).isoformat().replace("+00:00", "Z"),
         "score": i / 100, "user": {"segment": "a" if i % 3 else "b"}} for i in range(180)])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/predictions"

    def answer(self, query: dict[str, list[str]], headers: dict[str, str]) -> tuple[int, dict,
                                                                                     object]:
        self.requests.append(query)
        self.authorizations.append(headers.get("Authorization"))
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {}, {"error": "unauthorized"}
        if self.failures > 0:
            self.failures -= 1
            extra = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return 503, extra, {"error": "maintenance"}
        time.sleep(self.delay)
        start = datetime.fromisoformat(query["start"][0]) - timedelta(minutes=self.slack)
        end = datetime.fromisoformat(query["end"][0]) + timedelta(minutes=self.slack)
        chosen = [r for r in self.rows if start <= datetime.fromisoformat(r["ts"]) < end]
        offset = int(query.get("cursor", query.get("offset", ["0"]))[0])
        page = chosen[offset:offset + self.page_size]
        following = offset + self.page_size if offset + self.page_size < len(chosen) else None
        base = f"/v1/predictions?start={query['start'][0]}&end={query['end'][0]}"
        if self.mode == "next_link":
            link = f"{base}&offset={following}" if following is not None else None
            return 200, {}, {"data": page, "links": {"next": link}}
        if self.mode == "cursor":
            return 200, {}, {"items": page, "meta": {"next_cursor": following and str(following)}}
        headers_out = {"Link": f'<{base}&offset={following}>; rel="next"'} if following else {}
        return 200, headers_out, page


@pytest.fixture
def api() -> Iterator[Api]:
    """The API served by a threaded HTTP server on a free port."""
    state = Api(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            status, headers, body = state.answer(query, dict(self.headers.items()))
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)  # unless the client timed out and left

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    threading.Thread(target=lambda: server.serve_forever(0.05), daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def source(api: Api, **extra) -> HttpSource:
    config = {"url": api.url, "timestamp": "ts", "auth": {"type": "bearer", "token": TOKEN},
              "backoff": 0.05, **extra}
    return HttpSource(HttpSource.Config(**config))


def rows_of(src: HttpSource) -> pd.DataFrame:
    chunks = list(src.read(START, END))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


@pytest.mark.parametrize(("mode", "pagination"), [
    ("next_link", {"type": "next_link", "path": "links.next"}),
    ("cursor", {"type": "cursor", "path": "meta.next_cursor", "param": "cursor"}),
    ("link_header", {"type": "link_header"}),
])
def test_every_page_of_the_window_is_read(api, mode, pagination):
    """All three pagination styles read the window's 60 rows over 3 pages; nested fields flatten."""
    api.mode = mode
    frame = rows_of(source(api, pagination=pagination))
    assert list(frame["score"]) == [i / 100 for i in range(60, 120)]
    assert set(frame["user.segment"]) == {"a", "b"}
    assert len(api.requests) == 3
    assert api.requests[0]["start"] == ["2026-11-24T10:00:00Z"]


def test_chunks_are_bounded(api):
    """Pages are gathered into chunks of at most chunk_size rows."""
    src = source(api, pagination={"type": "next_link", "path": "links.next"}, chunk_size=10)
    chunks = list(src.read(START, END))
    assert [len(c) for c in chunks] == [10] * 6


def test_rows_outside_the_window_are_counted(api):
    """An API answering a wider range: extra rows are left out and counted, not dropped silently."""
    api.slack = 5
    src = source(api, pagination={"type": "next_link", "path": "links.next"})
    assert len(rows_of(src)) == 60
    assert src.read_stats().outside_window == 10 and src.read_stats().rows == 60


def test_503_then_recovery_honours_retry_after(api):
    """Two 503 answers with Retry-After: 1 are waited out, then every row arrives."""
    api.failures, api.retry_after = 2, "1"
    began = time.monotonic()
    frame = rows_of(source(api, pagination={"type": "next_link", "path": "links.next"}))
    assert len(frame) == 60
    assert time.monotonic() - began >= 2.0  # honoured both waits
    assert len(api.requests) == 5


def test_api_that_stays_down_fails_clearly(api):
    """After the retries, the read fails naming the host, the attempts and the last answer."""
    api.failures, api.retry_after = 100, None
    with pytest.raises(SourceError) as info:
        rows_of(source(api, retries=2))
    message = str(info.value)
    assert "stayed unavailable after 3 attempts: HTTP 503" in message
    assert "127.0.0.1" in message and TOKEN not in message
    assert len(api.requests) == 3


def test_wrong_token_fails_at_once(api):
    """A 401 is not retried; the message points at the credentials, never shows them."""
    src = HttpSource(HttpSource.Config(url=api.url + "?key=abc", timestamp="ts",
                                       auth={"type": "bearer", "token": "wrong"}))
    with pytest.raises(SourceError, match=r"HTTP 401.*check the credentials") as info:
        rows_of(src)
    assert "wrong" not in str(info.value) and "key=abc" not in str(info.value)
    assert len(api.requests) == 1


def test_basic_auth_header(api):
    """Basic auth sends the user and password as RFC 7617 says."""
    src = HttpSource(HttpSource.Config(url=api.url, timestamp="ts",
                                       auth={"type": "basic", "username": "u", "password": "p"}))
    with pytest.raises(SourceError, match="401"):
        rows_of(src)
    assert api.authorizations == ["Basic " + base64.b64encode(b"u:p").decode()]


def test_timeout_is_retried_then_fails(api):
    """A server slower than the timeout counts as a failed attempt and is retried."""
    api.delay = 1.0
    began = time.monotonic()
    with pytest.raises(SourceError, match=r"no answer within 0.2 s"):
        rows_of(source(api, timeout=0.2, retries=1))
    assert time.monotonic() - began < 5
    assert len(api.requests) == 2


def test_newest_row_for_freshness(api):
    """newest() looks back from now for the latest row."""
    src = source(api, pagination={"type": "next_link", "path": "links.next"})
    newest = src.newest(T0 + timedelta(hours=5), timedelta(hours=4))
    assert newest == T0 + timedelta(minutes=179)
    assert src.newest(T0 + timedelta(hours=9), timedelta(hours=2)) is None


RULES = """\
monitors:
  - name: api
    schedule: {{every: 1m}}
    window: 1h
    source:
      type: http
      url: "{url}"
      timestamp: ts
      auth: {{type: bearer, token: "${{LOGS_TOKEN}}"}}
      pagination: {{type: next_link, path: links.next}}
      retries: 1
      backoff: 0.05
    reference: {{profile: api-train}}
"""


def test_runner_records_a_failed_run_then_recovers(api, tmp_path):
    """An API that stays down: a failed run with the reason, no watermark; then it recovers."""
    from monitor.daemon.runner import Runner
    from monitor.profiles import build_profile
    from monitor.rules.loader import load_rules
    from monitor.store import open_store
    from monitor.windows import Window

    store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
    reference = build_profile([pd.DataFrame({"score": [0.5, 0.7, 0.9],
                                             "user.segment": ["a", "b", "a"]})])
    store.save_profile("api-train", reference.to_dict(), reference.content_hash(),
                       reference.rows, T0)
    (tmp_path / "rules.yaml").write_text(RULES.format(url=api.url))
    spec = load_rules([tmp_path / "rules.yaml"], env={"LOGS_TOKEN": TOKEN}).monitor("api")
    runner = Runner(store, clock=lambda: END + timedelta(hours=1))
    api.failures, api.retry_after = 100, None
    failed = runner.run_window(spec, Window(START, END))
    assert failed.status == "failed" and "stayed unavailable after 2 attempts: HTTP 503" in (
        failed.error or "")
    assert store.last_window_end("api") is None and TOKEN not in (failed.error or "")
    api.failures = 0
    ok = runner.run_window(spec, Window(START, END))
    assert ok.status == "ok" and ok.rows == 60
    [run] = store.runs("api")
    assert run.status == "ok" and run.attempts == 2 and store.last_window_end("api") == END
    store.close()
