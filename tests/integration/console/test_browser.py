"""The console and the report in a real headless Chromium, against a real daemon.

The example data (48 hours, the last 6 drifting) is backfilled for 24 hours
with `monitor backfill`, then `monitor run` serves the console. Each page must
draw its charts (elements with a size on screen, not only in the source),
log no console error (a Content-Security-Policy violation is one), ask
nothing of another host, and a click on a chart point must open its run.
Screenshots go to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.processes import monitor_env, spawn_daemon
from tests.receivers import Receiver, free_port

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.integration, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("MONITOR_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
TOKEN = "browser-test-console-token"
SECRET = "whsec_ZTJlLXRlc3Qtc2VjcmV0LWJ5dGVz"


@dataclass
class Site:
    """The daemon under test and where the screenshots go."""

    url: str
    root: Path
    receiver: Receiver
    shots: Path


@dataclass
class Watched:
    """What a page did: console errors, uncaught errors, and every URL it requested."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def _monitor(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(REPO / "rules", root / "rules")
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    subprocess.run([sys.executable, str(REPO / "examples" / "generate.py"), "--out",
                    str(root / "examples" / "data"), "--now", now.isoformat()],
                   check=True, capture_output=True)
    receiver = Receiver(free_port())
    receiver.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = monitor_env(MONITOR_DATABASE_URL=f"sqlite:///{root / 'monitor.db'}",
                      MONITOR_EXAMPLE_WEBHOOK_URL=f"{receiver.url}/hooks",
                      MONITOR_EXAMPLE_WEBHOOK_SECRET=SECRET, MONITOR_HTTP=f"127.0.0.1:{port}",
                      MONITOR_CONSOLE_TOKEN=TOKEN, MONITOR_PUBLIC_URL=url)
    since = (now - timedelta(hours=25)).strftime("%Y-%m-%dT%H:00:00Z")
    done = _monitor(root, env, "backfill", "rules/", "--monitor", "credit-scoring",
                    "--from", since, "--to", now.strftime("%Y-%m-%dT%H:00:00Z"))
    assert done.returncode in (0, 1), done.stderr
    daemon = spawn_daemon("rules/", cwd=root, env=env, log=root / "daemon.log")
    try:
        _wait(lambda: _status(f"{url}/readyz") == 200, 120, "the daemon to be ready", root)
        yield Site(url, root, receiver, root / "screenshots")
    finally:
        daemon.terminate()
        daemon.wait(60)
        receiver.stop()


@pytest.fixture(scope="module")
def browser(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()


def open_page(browser: Any, url: str) -> tuple[Any, Watched]:
    """A new tab that records console errors and requests, on ``url``."""
    page = browser.new_page()
    watched = Watched()
    page.on("console", lambda m: watched.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watched.errors.append(str(e)))
    page.on("request", lambda r: watched.requests.append(r.url))
    page.goto(url, wait_until="load")
    return page, watched


def drawn(page: Any, selector: str) -> int:
    """How many elements matching ``selector`` have a visible size on screen."""
    count: int = page.eval_on_selector_all(selector, """els => els.filter(e => {
        const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length""")
    return count


def only_local(watched: Watched, site: Site) -> None:
    hosts = {urlparse(u).netloc for u in watched.requests if not u.startswith(("data:",
                                                                                 "file:"))}
    assert hosts <= {urlparse(site.url).netloc}, hosts
    assert watched.errors == []


def test_the_overview_shows_the_drifting_monitor(site: Site, browser: Any):
    page, watched = open_page(browser, site.url + "/")
    assert page.locator(".badge").first.inner_text() in ("firing", "drifting")
    assert drawn(page, "td.spark .chart-line") == 1  # its sparkline
    page.screenshot(path=str(site.shots / "overview.png"), full_page=True)
    only_local(watched, site)


def test_a_click_on_a_chart_point_opens_its_run(site: Site, browser: Any):
    page, watched = open_page(browser, site.url + "/")
    page.click("a.monitor-link")
    page.wait_for_url("**/monitors/credit-scoring")
    points = drawn(page, "#drift-share .chart-point")
    # the backfilled day, each window a point (one fewer when the hour turned since the
    # backfill: the page's default 24 hours then start after the first window)
    assert points >= 23
    assert drawn(page, ".chart-cell") >= 8 * 20  # the heat-map: columns × windows
    page.screenshot(path=str(site.shots / "monitor.png"), full_page=True)
    only_local(watched, site)
    last = page.locator("#drift-share a:has(.chart-point)").last
    href = last.get_attribute("href")
    assert href and href.startswith("/runs/")
    last.click()
    page.wait_for_url(f"**{href}")
    assert drawn(page, ".chart-bar") > 20  # the distributions, reference and current
    assert page.locator(".card.drifted").count() >= 3  # age, income, state, score moved
    page.screenshot(path=str(site.shots / "run.png"), full_page=True)
    only_local(watched, site)


def test_the_time_range_picker_narrows_the_charts(site: Site, browser: Any):
    page, watched = open_page(browser, site.url + "/monitors/credit-scoring?range=7d")
    wide = drawn(page, "#drift-share .chart-point")
    page.click("a.preset:text-is('6h')")
    page.wait_for_url("**range=6h")
    narrow = drawn(page, "#drift-share .chart-point")
    assert 4 <= narrow <= 7 < wide
    only_local(watched, site)


def test_an_alert_links_to_its_run(site: Site, browser: Any):
    firing = [json.loads(r.body) for r in site.receiver.requests
              if json.loads(r.body).get("status") == "firing"]
    assert firing, "the backfill fired no alert"
    url = firing[-1]["url"]
    assert url.startswith(site.url + "/monitors/credit-scoring/windows/")
    page, watched = open_page(browser, url)
    assert "/runs/" in page.url  # redirected to the run of that window
    assert drawn(page, ".chart-bar") > 0
    only_local(watched, site)


def test_a_silence_from_the_console(site: Site, browser: Any):
    page, watched = open_page(browser, site.url + "/silences")
    page.fill("input[name=alert]", "feature-drift")
    page.fill("form.silence input[name=monitor]", "credit-scoring")
    page.fill("input[name=reason]", "retraining tonight")
    page.fill("form.silence input[name=token]", TOKEN)
    page.click("form.silence button[type=submit]")
    page.wait_for_url("**/silences?done=*")
    assert "retraining tonight" in page.inner_text("table")
    only_local(watched, site)


def test_the_compare_report_file(site: Site, browser: Any, tmp_path: Path):
    out = tmp_path / "report.html"
    data = site.root / "examples" / "data"
    newest = sorted((data / "production").glob("*.parquet"))[-1]
    done = _monitor(site.root, monitor_env(), "compare", str(data / "train.parquet"),
                    str(newest), "--format", "html")
    assert done.returncode in (0, 1), done.stderr
    out.write_text(done.stdout)
    page, watched = open_page(browser, out.as_uri())
    assert drawn(page, ".chart-bar") > 20
    assert page.locator(".card.drifted").count() >= 1
    page.screenshot(path=str(site.shots / "report.png"), full_page=True)
    assert all(u.startswith(("file:", "data:")) for u in watched.requests), watched.requests
    assert watched.errors == []


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def _wait(condition: Any, timeout: float, what: str, root: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            log = (root / "daemon.log").read_text() if (root / "daemon.log").exists() else ""
            pytest.fail(f"timed out waiting for {what}:\n{log}")
        time.sleep(0.2)
