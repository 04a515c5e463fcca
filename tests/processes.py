"""Running `monitor` the way a user does: a subprocess with a clean environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.receivers import free_port


def monitor_env(**settings: str) -> dict[str, str]:
    """This process's environment without any MONITOR_* setting, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(settings)
    return env


def spawn_daemon(rules: str | Path, *, cwd: Path, env: dict[str, str],
                 log: Path) -> subprocess.Popen[str]:
    """Start `monitor run RULES` in ``cwd``, its output going to ``log``."""
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "monitor", "run", str(rules)], cwd=cwd,
                                env=env, stdout=out, stderr=subprocess.STDOUT, text=True)


class DaemonProcess:
    """One `monitor run` subprocess with its log file and HTTP port."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env
        self.port = int(env["MONITOR_HTTP"].rsplit(":", 1)[1])
        self.log_path = root / f"daemon-{time.monotonic_ns()}.log"
        self.process = spawn_daemon("rules/", cwd=root, env=env, log=self.log_path)

    @classmethod
    def spawn(cls, root: Path, database_url: str, **settings: str) -> DaemonProcess:
        """`monitor run rules/` in ``root`` on a free port, rules re-read every 0.5 s."""
        env = monitor_env(**{"MONITOR_DATABASE_URL": database_url,
                             "MONITOR_HTTP": f"127.0.0.1:{free_port()}",
                             "MONITOR_RELOAD_INTERVAL": "0.5", **settings})
        return cls(root, env)

    def log(self) -> str:
        """Everything the daemon logged so far."""
        return self.log_path.read_text()

    def get(self, path: str, timeout: float = 5) -> tuple[int, str]:
        """GET a page; (0, reason) when nothing answers (in ``timeout`` seconds)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}",
                                        timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError as exc:
            return 0, str(exc)

    def json(self, path: str) -> dict:
        """GET a JSON page."""
        status, body = self.get(path)
        assert status in (200, 503), body
        return json.loads(body)

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """The /metrics samples by (name, sorted labels)."""
        status, body = self.get("/metrics")
        assert status == 200, body
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(body) for s in family.samples}

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll until ``condition`` holds, else fail with the daemon's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                pytest.fail(f"daemon exited ({self.process.returncode}) while waiting for "
                            f"{what}:\n{self.log()}")
            time.sleep(0.2)
        pytest.fail(f"timed out after {timeout}s waiting for {what}; log:\n{self.log()}")

    def signal(self, sig: int) -> None:
        """Send a signal."""
        self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """Wait for the exit status."""
        return self.process.wait(timeout=timeout)
