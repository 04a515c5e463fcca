"""Running `monitor` the way a user does: a subprocess with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


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
