"""The console over HTTP: real stored runs in SQLite, the daemon's server, real requests."""

from __future__ import annotations

import html
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.console import CSP, Console, ConsoleMonitor
from monitor.daemon.server import HttpServer
from monitor.records import NewResult, NewRun
from monitor.store import Store, open_store
from tests.console_data import HOSTILE, seed_runs, variants

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(minutes=5)
TOKEN = "s3cret-console-token"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def request(port: int, path: str, *, data: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 headers=headers or {})
    try:
        with _opener.open(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class _Elements(HTMLParser):
    """Counts elements by tag and class, collects links and text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def count(self, cls: str) -> int:
        return sum(cls in (attrs.get("class") or "").split() for _, attrs in self.tags)

    def links(self) -> list[str]:
        return [attrs["href"] or "" for tag, attrs in self.tags if tag == "a" and "href" in attrs]


def section(body: bytes, section_id: str) -> bytes:
    """The part of a page inside ``<section id=...>``."""
    start = body.index(f'<section id="{section_id}">'.encode())
    return body[start:body.index(b"</section>", start)]


def parse(body: bytes) -> _Elements:
    parser = _Elements()
    parser.feed(body.decode())
    return parser


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("console") / "monitor.db"
    store = open_store(f"sqlite:///{path}")
    found = variants(columns=12, rows=1000, count=4)
    seed_runs(store, "credit-scoring", 60, end=NOW - timedelta(minutes=5), found=found)
    seed_runs(store, "quiet one", 10, end=NOW - timedelta(minutes=5), drifting_last=0,
              found=found)
    yield store
    store.close()


def serve(store: Store, token: str | None) -> HttpServer:
    monitors = [ConsoleMonitor("credit-scoring", "every 1h, window 1h, delay 5m",
                               timedelta(hours=1), NOW + timedelta(minutes=30)),
                ConsoleMonitor("quiet one", "every 1h, window 1h, delay 5m",
                               timedelta(hours=1), None),
                ConsoleMonitor("new", "every 1h, window 1h, delay 5m", timedelta(hours=1))]
    console = Console(store, lambda: monitors, lambda: NOW, token=token)
    server = HttpServer("127.0.0.1", 0, CollectorRegistry(), health=lambda: {"status": "ok"},
                        ready=lambda: {"status": "ok"}, console=console)
    server.start()
    return server


@pytest.fixture(scope="module")
def port(store: Store) -> Iterator[int]:
    server = serve(store, None)
    yield server.port
    server.close()


@pytest.fixture(scope="module")
def writable_port(store: Store) -> Iterator[int]:
    server = serve(store, TOKEN)
    yield server.port
    server.close()


def test_the_overview_lists_every_monitor_by_urgency(port: int):
    status, headers, body = request(port, "/")
    assert status == 200 and headers["Content-Security-Policy"] == CSP
    page = parse(body)
    names = [attrs["href"] for tag, attrs in page.tags
             if tag == "a" and "monitor-link" in (attrs.get("class") or "")]
    # drifting before no-data before ok; names percent-encoded in links
    assert names == ["/monitors/credit-scoring", "/monitors/new", "/monitors/quiet%20one"]
    assert page.count("badge") == 3
    assert page.count("chart-line") >= 2  # the sparklines are drawn
    text = " ".join(page.text)
    assert "drifting" in text and "no data" in text and "ok" in text


def test_a_monitor_page_draws_its_history_with_links_to_each_run(port: int):
    status, _, body = request(port, "/monitors/credit-scoring?range=30d")
    assert status == 200
    page = parse(body)
    drift = parse(section(body, "drift-share"))
    assert drift.count("chart-point") == 60  # one point per run, each a link
    assert len([link for link in drift.links() if link.startswith("/runs/")]) == 60
    runs = [link for link in page.links() if link.startswith("/runs/")]
    assert len(runs) >= 60
    assert page.count("chart-cell") > 0  # the heat-map of per-column effect
    assert HOSTILE in "".join(page.text)  # a hostile column name shows as text
    assert not any(tag == "img" for tag, _ in page.tags)
    assert b"<img src=x" not in body


def test_a_short_range_holds_only_its_runs(port: int):
    status, _, body = request(port, "/monitors/credit-scoring?range=6h")
    assert status == 200
    assert parse(section(body, "drift-share")).count("chart-point") == 6


def test_a_run_page_shows_its_report(port: int, store: Store):
    _, _, body = request(port, "/api/monitors/credit-scoring?range=30d")
    last = json.loads(body)["runs"][-1]
    status, _, page_body = request(port, last["href"])
    assert status == 200
    page = parse(page_body)
    assert page.count("chart-bar") > 0  # distributions drawn
    assert HOSTILE in "".join(page.text) and b"<img src=x" not in page_body
    assert any(link == "/monitors/credit-scoring" for link in page.links())


def test_an_alert_link_by_window_redirects_to_its_run(port: int):
    _, _, body = request(port, "/api/monitors/credit-scoring?range=30d")
    last = json.loads(body)["runs"][-1]
    end = urllib.parse.quote(last["window_end"])
    status, headers, _ = request(port, f"/monitors/credit-scoring/windows/{end}")
    assert status == 302 and headers["Location"] == last["href"]
    status, headers, _ = request(port, "/monitors/credit-scoring/windows/2001-01-01T00:00:00Z")
    assert status == 302 and headers["Location"].startswith("/monitors/credit-scoring?")


def test_the_api_returns_what_the_pages_draw(port: int):
    status, headers, body = request(port, "/api/monitors")
    assert status == 200 and headers["Content-Type"] == "application/json"
    overview = json.loads(body)
    assert [m["name"] for m in overview["monitors"]] == ["credit-scoring", "new", "quiet one"]
    assert len(overview["monitors"][0]["drift_share"]) == 48
    view = json.loads(request(port, "/api/monitors/credit-scoring?range=30d")[2])
    assert view["runs_in_range"] == 60 and len(view["runs"]) == 60
    assert view["runs"][-1]["drift_share"] > view["runs"][0]["drift_share"]
    assert HOSTILE in view["columns"]["names"]
    run = json.loads(request(port, view["runs"][-1]["href"].replace("/runs", "/api/runs"))[2])
    assert run["report"]["distributions"][HOSTILE]["kind"] == "numeric"
    assert run["run"]["monitor"] == "credit-scoring"
    assert any(r["check"] == "drift" for r in run["results"])
    assert "GET /api/monitors" in json.loads(request(port, "/api")[2])["endpoints"]


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/monitors/nobody", 404, "no monitor named 'nobody'"),
    ("/runs/999999", 404, "no run 999999"),
    ("/runs/abc", 404, "a run id is a whole number"),
    ("/monitors/credit-scoring?range=fortnight", 400, "range 'fortnight'"),
    ("/api/monitors/credit-scoring?from=soon", 400, "'from' time 'soon'"),
    ("/api/nothing", 404, "see /api for the list"),
    ("/elsewhere", 404, "no page /elsewhere"),
])
def test_bad_requests_say_what_is_wrong(port: int, path: str, status: int, message: str):
    got, headers, body = request(port, path)
    assert got == status and message in html.unescape(body.decode())
    assert headers["Content-Security-Policy"] == CSP


def test_a_read_only_console_refuses_writes(port: int):
    status, _, body = request(port, "/api/silences", data=b'{"alert": "x"}',
                              headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 403 and "read-only" in body.decode()
    assert b"<form class=\"silence\"" not in request(port, "/silences")[2]


def test_silences_from_the_form_and_the_api_need_the_token(writable_port: int):
    form = urllib.parse.urlencode({"alert": "feature-drift", "monitor": "credit-scoring",
                                   "duration": "2h", "reason": "retraining", "token": "wrong"})
    status, _, body = request(writable_port, "/silences", data=form.encode())
    assert status == 403 and "wrong or missing console token" in body.decode()
    form = form.replace("token=wrong", f"token={TOKEN}")
    status, headers, _ = request(writable_port, "/silences", data=form.encode())
    assert status == 303 and headers["Location"].startswith("/silences?done=")
    listed = json.loads(request(writable_port, "/api/silences")[2])["silences"]
    assert [(s["alert"], s["monitor"], s["reason"]) for s in listed] == [
        ("feature-drift", "credit-scoring", "retraining")]
    bearer = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    status, _, body = request(writable_port, "/api/silences", headers=bearer,
                              data=json.dumps({"alert": "*", "duration": "soon",
                                               "reason": "x"}).encode())
    assert status == 400 and "duration 'soon'" in body.decode()
    status, _, body = request(writable_port, "/api/silences", headers=bearer, data=json.dumps(
        {"alert": "data-quality", "duration": "30m", "reason": "backfill"}).encode())
    assert status == 201
    created = json.loads(body)
    status, _, body = request(writable_port, f"/api/silences/{created['id']}/expire",
                              headers=bearer, data=b"{}")
    assert status == 200 and json.loads(body)["id"] == created["id"]
    assert len(json.loads(request(writable_port, "/api/silences")[2])["silences"]) == 1


def test_a_failed_run_shows_its_error_and_an_older_run_its_results(port: int, store: Store):
    failed = store.save_run(NewRun(
        monitor="quiet one", window_start=NOW + timedelta(hours=1),
        window_end=NOW + timedelta(hours=2), status="failed", started_at=NOW, finished_at=NOW,
        error="cannot read orders.parquet: <no such file>"), [], [], [])
    assert failed is not None
    status, _, body = request(port, f"/runs/{failed.id}")
    assert status == 200
    text = html.unescape(body.decode())
    assert "cannot read orders.parquet: <no such file>" in text and "stored no results" in text
    assert b"<no such file>" not in body  # escaped
    plain = store.save_run(NewRun(
        monitor="quiet one", window_start=NOW + timedelta(hours=2),
        window_end=NOW + timedelta(hours=3), status="ok", started_at=NOW, finished_at=NOW,
        current_rows=10, drift_share=0.0, dataset_drift=False),
        [NewResult(check="drift", column="age", kind="numeric", method="ks", statistic=0.1,
                   p_value=0.5, threshold=0.05, effect_size=0.1, passed=True, drifted=False)],
        [], [])  # stored without a report, as before migration 0004
    assert plain is not None
    page = parse(request(port, f"/runs/{plain.id}")[2])
    assert "age" in page.text and "ks" in page.text
    assert any(link == f"/runs/{failed.id}" for link in page.links())  # the previous run
