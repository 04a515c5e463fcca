"""What the container image runs: the built wheel, on its own, from any folder.

No Docker engine runs here, so the image is checked in two halves: the
Dockerfile's promises are read (non-root user, entry point, volumes, health
check), and the wheel it installs is built and run the way the image runs it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import monitor_env

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel and unpacked into a folder of its own."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "-w", str(out / "dist"), str(REPO)],
                   check=True, capture_output=True)
    [wheel] = (out / "dist").glob("monitor-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(out / "site"), str(wheel)], check=True, capture_output=True)
    return out / "site"


def run_installed(site: Path, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run `monitor ARGS` from the installed wheel (not the source tree) in ``cwd``."""
    environ = monitor_env(PYTHONPATH=str(site), **env)
    return subprocess.run([sys.executable, "-c", "import sys, monitor.cli as c; "
                           "assert c.__file__.startswith(sys.argv[1]), c.__file__; "
                           "sys.exit(c.main(sys.argv[2:]))", str(site), *args],
                          cwd=cwd, env=environ, capture_output=True, text=True, timeout=120)


def test_wheel_migrates_and_validates_from_any_folder(installed_wheel, tmp_path):
    """The wheel carries its migrations and runs `db upgrade`, `validate`, `history`."""
    url = f"sqlite:///{tmp_path / 'image.db'}"
    upgraded = run_installed(installed_wheel, tmp_path, "db", "upgrade", MONITOR_DATABASE_URL=url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "0006_estimate_bands" in upgraded.stdout
    valid = run_installed(installed_wheel, tmp_path, "validate", str(REPO / "rules"))
    assert valid.returncode == 0, valid.stderr
    history = run_installed(installed_wheel, tmp_path, "history", "--format", "json",
                            MONITOR_DATABASE_URL=url)
    assert history.returncode == 0 and json.loads(history.stdout) == []


def test_wheel_entry_points_name_built_in_plugins(installed_wheel):
    """The wheel registers the built-in sources and notifiers as entry points."""
    [dist_info] = installed_wheel.glob("monitor-*.dist-info")
    entry_points = (dist_info / "entry_points.txt").read_text()
    assert "[monitor.sources]" in entry_points and "file = monitor.sources.files" in entry_points
    assert "[monitor.notifiers]" in entry_points and "webhook = " in entry_points
    assert "monitor = monitor.cli:main" in entry_points


def test_dockerfile_promises():
    """Slim multi-stage image, non-root, `monitor run`, volumes, health check on /healthz."""
    text = (REPO / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert len(stages) == 2 and all(s.startswith("python:3.11-slim") for s in stages)
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["monitor"\]$', text, re.MULTILINE)
    assert re.search(r'^CMD \["run"\]$', text, re.MULTILINE)
    assert '"/etc/monitor/rules"' in text and '"/var/lib/monitor"' in text
    assert "MONITOR_RULES=/etc/monitor/rules" in text
    assert "MONITOR_HTTP=0.0.0.0:9108" in text
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", text, re.MULTILINE)
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "*.db" in ignored


def test_wheel_carries_the_report_and_console_templates(installed_wheel, tmp_path):
    """The templates and stylesheets are package data: the report and console render installed."""
    for name, shift in (("ref.csv", 0.0), ("cur.csv", 150.0)):
        rows = "\n".join(f"{i + shift},{'ab'[i % 2]}" for i in range(200))
        (tmp_path / name).write_text(f"x,kind\n{rows}\n")
    report = run_installed(installed_wheel, tmp_path, "compare", "ref.csv", "cur.csv",
                           "--format", "html")
    assert report.returncode == 1, report.stderr  # x drifted
    assert "<svg" in report.stdout and "chart-bar" in report.stdout
    console = subprocess.run(
        [sys.executable, "-c", "import sys, monitor.console.pages as p; "
         "assert p.__file__.startswith(sys.argv[1]), p.__file__; pages = p.Pages(False); "
         "print(len(pages.static('console.css')), len(pages.static('report.css'))); "
         "print(pages.error('404 Not Found', 'no page'))", str(installed_wheel)],
        cwd=tmp_path, env=monitor_env(PYTHONPATH=str(installed_wheel)), capture_output=True,
        text=True, timeout=120)
    assert console.returncode == 0, console.stderr
    sizes, page = console.stdout.split("\n", 1)
    assert all(int(size) > 100 for size in sizes.split())
    assert "/static/console.css" in page and "no page" in page
