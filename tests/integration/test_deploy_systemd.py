"""deploy/monitor.service: its options, systemd's own checks, and its commands run here.

The unit is read with configparser (systemd repeats keys such as
``Environment=``, which configparser keeps the last of, so repeated keys are
also read line by line). Where ``systemd-analyze`` is installed it verifies
the unit and scores its sandbox offline (skipped otherwise). No systemd runs
the service here, so the last test does what systemd does with the unit: the
``Environment=`` defaults overridden by the ``EnvironmentFile=``, the
``ExecStartPre=`` commands in order, ``ExecStart=``, ``ExecReload=`` with
``$MAINPID``, then ``KillSignal=`` and an exit within ``TimeoutStopSec=``.
``/opt/monitor/bin/monitor`` is this environment's ``monitor`` command and
``/etc/monitor`` and ``/var/lib/monitor`` are folders of a temporary root.
"""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.settings import Settings
from tests.processes import monitor_env
from tests.receivers import free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "monitor.service"
INSTALLED = "/opt/monitor/bin/monitor"


def unit() -> configparser.ConfigParser:
    """The unit as configparser reads it: case kept, no interpolation, repeats allowed."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser


def repeated(key: str) -> list[str]:
    """Every value of a key the unit may repeat, in order."""
    return [line.split("=", 1)[1] for line in UNIT.read_text().splitlines()
            if line.startswith(f"{key}=")]


SERVICE = unit()["Service"]


def test_it_runs_as_its_own_user_with_its_directories() -> None:
    """A dedicated user, the state and configuration directories, the environment file."""
    assert SERVICE["User"] == SERVICE["Group"] == "monitor"
    assert SERVICE["StateDirectory"] == SERVICE["ConfigurationDirectory"] == "monitor"
    assert SERVICE["WorkingDirectory"] == "/var/lib/monitor"
    assert SERVICE["EnvironmentFile"] == "/etc/monitor/monitor.env"
    assert "MONITOR_RULES=/etc/monitor/rules" in repeated("Environment")
    assert unit()["Install"]["WantedBy"] == "multi-user.target"
    assert "network-online.target" in unit()["Unit"]["After"]


def test_it_migrates_before_it_runs_and_reloads_on_sighup() -> None:
    """Validate and `db upgrade` before the start, `run` the rules, SIGHUP on reload."""
    assert repeated("ExecStartPre") == [f"{INSTALLED} validate /etc/monitor/rules",
                                        f"{INSTALLED} db upgrade"]
    assert SERVICE["ExecStart"] == f"{INSTALLED} run /etc/monitor/rules"
    assert SERVICE["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert SERVICE["Restart"] == "on-failure"


def test_stop_timeout_is_above_the_daemons_grace() -> None:
    """systemd waits longer than the daemon lets running windows finish."""
    assert SERVICE["KillSignal"] == "SIGTERM"
    default_grace = Settings.model_fields["stop_grace"].default
    assert int(SERVICE["TimeoutStopSec"]) >= default_grace + 10


def test_it_is_sandboxed() -> None:
    """No new privileges, a read-only system but the state directory, a private /tmp."""
    assert SERVICE["NoNewPrivileges"] == "yes"
    assert SERVICE["ProtectSystem"] == "strict"
    assert SERVICE["ReadWritePaths"].split() == ["/var/lib/monitor"]
    assert SERVICE["PrivateTmp"] == SERVICE["ProtectHome"] == "yes"
    assert SERVICE["CapabilityBoundingSet"] == ""


def local_unit(tmp_path: Path) -> Path:
    """The unit with the installed command replaced by this environment's, for systemd-analyze."""
    copy = tmp_path / "monitor.service"
    copy.write_text(UNIT.read_text().replace(INSTALLED, str(Path(sys.executable).parent
                                                            / "monitor")))
    return copy


@pytest.fixture
def systemd_analyze() -> str:
    """systemd-analyze's path; skip without it."""
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is not installed")
    return found


def test_systemd_verifies_the_unit(systemd_analyze: str, tmp_path: Path) -> None:
    """`systemd-analyze verify` finds nothing to say about the unit."""
    done = subprocess.run([systemd_analyze, "verify", str(local_unit(tmp_path))],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_systemd_scores_the_sandbox_low(systemd_analyze: str, tmp_path: Path) -> None:
    """`systemd-analyze security --offline` rates the unit's exposure below 3 of 10."""
    done = subprocess.run([systemd_analyze, "security", "--offline=true", "--no-pager",
                           str(local_unit(tmp_path))], capture_output=True, text=True,
                          timeout=60, check=False)
    if "--offline" in done.stderr:
        pytest.skip(f"this systemd-analyze cannot score offline: {done.stderr.strip()}")
    found = re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout)
    assert found, done.stdout + done.stderr
    assert float(found.group(1)) < 3.0, done.stdout


@pytest.mark.postgres
def test_the_units_commands_start_reload_and_stop_the_daemon(
        postgres_schema_url: str, tmp_path: Path) -> None:
    """ExecStartPre, ExecStart, ExecReload and the stop, as systemd runs them."""
    root = tmp_path / "root"
    rules = root / "etc/monitor/rules"
    shutil.copytree(REPO / "rules", rules)
    subprocess.run([sys.executable, str(REPO / "examples/generate.py"), "--out",
                    str(root / "etc/monitor/examples/data")], check=True, capture_output=True)
    state = root / "var/lib/monitor"
    state.mkdir(parents=True)
    port = free_port()
    (root / "etc/monitor/monitor.env").write_text(
        f"# as an operator writes it\nMONITOR_DATABASE_URL={postgres_schema_url}\n"
        f"MONITOR_HTTP=127.0.0.1:{port}\nMONITOR_EXAMPLE_WEBHOOK_URL=http://127.0.0.1:1/hooks\n")
    env = environment(root)
    assert env["MONITOR_DATABASE_URL"] == postgres_schema_url  # the file wins over the default

    for command in repeated("ExecStartPre"):
        done = subprocess.run(argv(command, root), cwd=state, env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, (command, done.stderr)
    log = tmp_path / "daemon.log"
    with log.open("w") as out:
        daemon = subprocess.Popen(argv(SERVICE["ExecStart"], root), cwd=state, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_log(log, daemon, "run ok rows=1500")
        reload = SERVICE["ExecReload"].replace("$MAINPID", str(daemon.pid))
        subprocess.run(shlex.split(reload), check=True, timeout=30)
        wait_for_log(log, daemon, "received SIGHUP: reloading the rules")
        daemon.send_signal(getattr(signal, SERVICE["KillSignal"]))
        assert daemon.wait(timeout=int(SERVICE["TimeoutStopSec"])) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=10)


def environment(root: Path) -> dict[str, str]:
    """The unit's Environment= lines, then its EnvironmentFile= over them."""
    pairs = [value.split("=", 1) for value in repeated("Environment")]
    env_file = root / SERVICE["EnvironmentFile"].lstrip("/")
    pairs += [line.split("=", 1) for line in env_file.read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    return monitor_env(**{key: value.replace("/var/lib/monitor", str(root / "var/lib/monitor"))
                          for key, value in pairs})


def argv(command: str, root: Path) -> list[str]:
    """A unit's command line with the installed command and /etc/monitor made local."""
    words = shlex.split(command.replace("/etc/monitor", str(root / "etc/monitor")))
    assert words[0] == INSTALLED, command
    return [sys.executable, "-m", "monitor", *words[1:]]


def wait_for_log(log: Path, process: subprocess.Popen[str], line: str) -> None:
    """Wait until the daemon logged ``line``; fail with its log if it exits or takes a minute."""
    deadline = time.monotonic() + 60
    while line not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"no {line!r} in the daemon's log (exit status {process.poll()}):\n"
                        f"{log.read_text()}")
        time.sleep(0.2)
