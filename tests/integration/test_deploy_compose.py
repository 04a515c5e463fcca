"""deploy/compose.yaml: read as Compose reads it, then its containers' commands run here.

No Docker engine runs on this machine, so the file is checked in two halves.
The first reads it (YAML merge keys and ``${VAR:-default}`` resolved as
Compose does with an empty environment): the services, their order, mounts,
ports and settings. The second runs what each container runs, taken from the
file and the Dockerfile (entry point, ``ENV``, working directory), in
dependency order: ``migrate``, ``example-data``, ``receiver``, ``monitor``.
Container paths become folders of a temporary root laid out like the
containers' mounts (bind mounts copied, named volumes shared folders), service
host names and ports become 127.0.0.1 and free ports; PostgreSQL is the test
server, with a fresh schema standing for the ``postgres`` service's database.
"""

from __future__ import annotations

import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from monitor.settings import Settings
from tests.processes import monitor_env
from tests.receivers import free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def interpolate(value: Any) -> Any:
    """Resolve ``${VAR:-default}`` as Compose does when VAR is unset; a bare ``${VAR}`` fails."""
    if isinstance(value, dict):
        return {key: interpolate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item) for item in value]
    if not isinstance(value, str):
        return value

    def default(match: re.Match[str]) -> str:
        assert match.group(2) is not None, f"${{{match.group(1)}}} has no default: {value!r}"
        return match.group(2)

    return VARIABLE.sub(default, value.replace("$$", "\0")).replace("\0", "$")


COMPOSE: dict[str, Any] = interpolate(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
MONITOR_IMAGE = SERVICES["monitor"]["image"]


def final_stage() -> str:
    """The Dockerfile's last stage, continued lines joined."""
    text_ = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    return text_[text_.rindex("\nFROM "):]


def dockerfile_image() -> tuple[list[str], dict[str, str], str]:
    """The final image's ENTRYPOINT, ENV and WORKDIR, read from the Dockerfile."""
    final = final_stage()
    entrypoint = yaml.safe_load(re.search(r"^ENTRYPOINT (.+)$", final, re.M).group(1))
    env = dict(re.findall(r"(\w+)=(\S+)", re.search(r"^ENV (.+)$", final, re.M).group(1)))
    workdir = re.search(r"^WORKDIR (\S+)$", final, re.M).group(1)
    return entrypoint, env, workdir


def environment(service: str) -> dict[str, str]:
    """A service's environment with its merge keys resolved, values as strings."""
    return {key: str(value) for key, value in (SERVICES[service].get("environment") or {}).items()}


def test_services_start_in_order_with_their_conditions() -> None:
    """PostgreSQL healthy, then migrations and example data done, then the daemon."""
    assert set(SERVICES) == {"postgres", "migrate", "example-data", "receiver", "monitor"}
    assert "pg_isready" in SERVICES["postgres"]["healthcheck"]["test"]
    assert "127.0.0.1" in SERVICES["postgres"]["healthcheck"]["test"]  # TCP, not the socket
    assert SERVICES["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert SERVICES["migrate"]["command"] == ["db", "upgrade"]
    assert SERVICES["monitor"]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "example-data": {"condition": "service_completed_successfully"},
        "receiver": {"condition": "service_started"}}
    for one_shot in ("migrate", "example-data"):
        assert SERVICES[one_shot]["restart"] == "no"
        assert SERVICES[one_shot]["healthcheck"] == {"disable": True}


def test_the_monitor_image_is_built_from_the_repository() -> None:
    """Every service of the monitor's image builds it from the repository's Dockerfile."""
    users = [name for name, service in SERVICES.items() if service["image"] == MONITOR_IMAGE]
    assert sorted(users) == ["example-data", "migrate", "monitor"]
    for name in users:
        assert (DEPLOY / SERVICES[name]["build"] / "Dockerfile").is_file()
        assert SERVICES[name]["pull_policy"] == "build"  # never pulled from a registry
    assert SERVICES["receiver"]["image"].startswith("python:3.11-slim")


def test_mounts_exist_and_named_volumes_are_declared() -> None:
    """Bind mounts name folders of the repository; named volumes are declared; rules read-only."""
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source, target, *mode = volume.split(":")
            assert target.startswith("/"), (name, volume)
            if source.startswith("."):
                assert (DEPLOY / source).is_dir(), (name, volume)
                assert mode == ["ro"], f"{name} must mount {source} read-only"
            else:
                assert source in COMPOSE["volumes"], (name, volume)
    monitor = SERVICES["monitor"]["volumes"]
    assert "../rules:/etc/monitor/rules:ro" in monitor
    assert "example-data:/etc/monitor/examples/data:ro" in monitor
    assert "example-data:/etc/monitor/examples/data" in SERVICES["example-data"]["volumes"]


def test_the_example_rules_find_the_data_and_the_receiver() -> None:
    """../examples/data from the mounted rules is the data volume; the webhook is the receiver."""
    rules = (REPO / "rules" / "example.yaml").read_text()
    assert "path: ../examples/data/production/*.parquet" in rules
    assert (Path("/etc/monitor/rules") / "../examples/data").resolve() == Path(
        "/etc/monitor/examples/data")
    assert "${MONITOR_EXAMPLE_WEBHOOK_URL" in rules
    url = environment("monitor")["MONITOR_EXAMPLE_WEBHOOK_URL"]
    assert url == "http://receiver:9109/hooks"
    assert '("0.0.0.0", 9109)' in SERVICES["receiver"]["command"][-1]
    assert (environment("monitor")["MONITOR_EXAMPLE_WEBHOOK_SECRET"]
            == environment("receiver")["MONITOR_EXAMPLE_WEBHOOK_SECRET"])


def test_the_daemon_is_reachable_on_localhost_and_stops_in_time() -> None:
    """Console and metrics on 127.0.0.1:9108 only; stop grace above the daemon's own."""
    monitor = SERVICES["monitor"]
    assert monitor["ports"] == ["127.0.0.1:9108:9108"]
    assert monitor["command"] == ["run", "/etc/monitor/rules"]
    _, image_env, _ = dockerfile_image()
    assert image_env["MONITOR_HTTP"] == "0.0.0.0:9108"
    grace = float(environment("monitor")["MONITOR_STOP_GRACE"])
    assert float(monitor["stop_grace_period"].removesuffix("s")) > grace
    settings = Settings(**{key.removeprefix("MONITOR_").lower(): value
                           for key, value in {**image_env, **environment("monitor")}.items()
                           if key.startswith("MONITOR_") and "EXAMPLE" not in key})
    assert settings.database_url.startswith("postgresql+psycopg://monitor:monitor@postgres:")
    assert settings.public_url == "http://127.0.0.1:9108" and settings.console_token is None
    assert environment("migrate")["MONITOR_DATABASE_URL"] == settings.database_url


class Containers:
    """The compose file's containers as local processes on a root laid out like their mounts."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.root, self.database_url = root, database_url
        self.ports = {"9108": str(free_port()), "9109": str(free_port())}
        self.entrypoint, self.image_env, self.workdir = dockerfile_image()
        mounts = {target for service in SERVICES.values()
                  for target in (v.split(":")[1] for v in service.get("volumes", []))}
        self._paths = re.compile("|".join(  # a path that starts where a mount starts
            rf"(?<![\w/.]){re.escape(p)}(?=[/\"':]|$)"
            for p in sorted(mounts | {self.workdir}, key=len, reverse=True)))
        for service in SERVICES.values():
            for volume in service.get("volumes", []):
                source, target = volume.split(":")[:2]
                if not self.path(target).exists():
                    self._mount(source, self.path(target))
        self.path(self.workdir).mkdir(parents=True, exist_ok=True)

    def path(self, inside: str) -> Path:
        """Where a container path lies under the root."""
        return self.root / inside.lstrip("/")

    def _mount(self, source: str, target: Path) -> None:
        if source.startswith("."):
            shutil.copytree(DEPLOY / source, target,
                            ignore=shutil.ignore_patterns("data", "__pycache__"))
        else:
            target.mkdir(parents=True)

    def local(self, value: str) -> str:
        """A container's string with paths, host names and ports made local."""
        value = self._paths.sub(lambda m: str(self.path(m.group(0))), value)
        for name in SERVICES:
            value = value.replace(f"//{name}:", "//127.0.0.1:")
        value = value.replace("0.0.0.0", "127.0.0.1")
        return re.sub(r"\b(9108|9109)\b", lambda m: self.ports[m.group(1)], value)

    def command(self, service: str) -> tuple[list[str], dict[str, str], Path]:
        """argv, environment and working directory of the service's container."""
        spec = SERVICES[service]
        mine = spec["image"] == MONITOR_IMAGE
        entrypoint = spec.get("entrypoint", self.entrypoint if mine else [])
        argv = [self.local(part) for part in [*entrypoint, *spec["command"]]]
        if argv[0] == "monitor":
            argv[:1] = [sys.executable, "-m", "monitor"]
        elif argv[0] == "python":  # the receiver's image has the standard library alone: -S
            argv[:1] = [sys.executable] if mine else [sys.executable, "-S"]
        env = {key: self.local(value) for key, value in
               {**(self.image_env if mine else {}), **environment(service)}.items()}
        if "MONITOR_DATABASE_URL" in environment(service):
            env["MONITOR_DATABASE_URL"] = self.database_url  # the postgres service's database
        cwd = self.path(self.workdir) if mine else self.root
        return argv, monitor_env(**env), cwd

    def run(self, service: str) -> subprocess.CompletedProcess[str]:
        """Run a one-shot service to its end."""
        argv, env, cwd = self.command(service)
        return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                              timeout=180, check=False)

    def start(self, service: str) -> tuple[subprocess.Popen[str], Path]:
        """Start a long-running service, its output going to a log file."""
        argv, env, cwd = self.command(service)
        log = self.root / f"{service}.log"
        with log.open("w") as out:
            process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out,
                                       stderr=subprocess.STDOUT, text=True)
        return process, log


def wait_for(condition: Callable[[], bool], timeout: float, what: str,
             processes: dict[str, tuple[subprocess.Popen[str], Path]]) -> None:
    """Poll until ``condition`` holds; fail with the logs if a process ends or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        ended = [name for name, (process, _) in processes.items() if process.poll() is not None]
        if ended:
            break
        time.sleep(0.2)
    logs = "\n".join(f"--- {name}:\n{log.read_text()}" for name, (_, log) in processes.items())
    pytest.fail(f"waiting for {what}: {'ended: ' + str(ended) if ended else 'timed out'}\n{logs}")


@pytest.mark.postgres
def test_the_containers_commands_bring_the_example_to_a_signed_alert(
        postgres_schema_url: str, tmp_path: Path) -> None:
    """Migrate, generate, receive, run: a run is stored and the receiver verifies an alert."""
    containers = Containers(tmp_path / "root", postgres_schema_url)
    migrated = containers.run("migrate")
    assert migrated.returncode == 0 and "is at revision" in migrated.stdout, migrated.stderr
    generated = containers.run("example-data")
    assert generated.returncode == 0, generated.stderr
    data = containers.path("/etc/monitor/examples/data")
    assert (data / "train.parquet").is_file() and list((data / "production").glob("*.parquet"))

    processes = {"receiver": containers.start("receiver")}
    try:
        receiver_log = processes["receiver"][1]
        wait_for(lambda: "listening" in receiver_log.read_text(), 30, "the receiver", processes)
        processes["monitor"] = containers.start("monitor")
        engine = create_engine(postgres_schema_url)
        try:
            def stored() -> bool:
                with engine.connect() as connection:
                    return bool(connection.execute(text(
                        "SELECT count(*) FROM runs WHERE monitor = 'credit-scoring'"
                        " AND status = 'ok'")).scalar_one())

            wait_for(stored, 120, "a stored run", processes)
        finally:
            engine.dispose()
        wait_for(lambda: "signature verified: FIRING feature-drift" in receiver_log.read_text(),
                 60, "a signed alert at the receiver", processes)
        assert "BAD SIGNATURE" not in receiver_log.read_text()
        health = shlex.split(containers.local(
            re.search(r"^HEALTHCHECK .* CMD (.+)$", final_stage(), re.M).group(1)))
        assert health[0] == "python"
        checked = subprocess.run([sys.executable, *health[1:]], capture_output=True, text=True,
                                 timeout=30, check=False)
        assert checked.returncode == 0, checked.stderr  # the image's health check: /healthz
        daemon = processes["monitor"][0]
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=float(environment("monitor")["MONITOR_STOP_GRACE"])) == 0
    finally:
        for process, _ in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
