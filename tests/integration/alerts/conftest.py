"""Real receivers for notifier tests: Prometheus Alertmanager and SMTP servers on loopback.

``alertmanager`` starts Debian's ``prometheus-alertmanager`` on free ports with
a temporary configuration and storage path; it routes every alert to a
recording webhook receiver so tests also see what Alertmanager notifies.
When the binary is missing the test is skipped, except under CI (``CI`` set),
where it fails: CI installs the package.

``smtp_server`` starts aiosmtpd on 127.0.0.1: plain, STARTTLS or implicit
TLS with a certificate issued by a throw-away CA (trustme), with optional
login, recording every message and answering from a script.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests.receivers import Receiver, free_port

ALERTMANAGER_BINARIES = ("prometheus-alertmanager", "alertmanager")


@dataclass
class RunningAlertmanager:
    """A started Alertmanager: its base URL and the webhook receiver it notifies."""

    url: str
    hook: Receiver
    process: subprocess.Popen[bytes]

    def alerts(self) -> list[dict[str, Any]]:
        """The alerts Alertmanager holds now (resolved ones are not listed)."""
        response = requests.get(f"{self.url}/api/v2/alerts", timeout=5)
        response.raise_for_status()
        return list(response.json())

    def notified(self) -> list[dict[str, Any]]:
        """The alerts Alertmanager sent to its webhook receiver, in order."""
        return [alert for request in self.hook.requests
                for alert in json.loads(request.body)["alerts"]]


def _alertmanager_binary() -> str:
    for name in ALERTMANAGER_BINARIES:
        if found := shutil.which(name):
            return found
    reason = ("prometheus-alertmanager is not installed; install it with "
              "'apt-get install -y prometheus-alertmanager'")
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def alertmanager(tmp_path: Path, receiver: Receiver) -> Iterator[RunningAlertmanager]:
    """A real Alertmanager on a free loopback port, notifying `receiver` quickly."""
    binary = _alertmanager_binary()
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        "route:\n  receiver: hook\n  group_by: [alertname, monitor]\n  group_wait: 0s\n"
        "  group_interval: 1s\n  repeat_interval: 1h\n"
        f"receivers:\n  - name: hook\n    webhook_configs:\n      - url: {receiver.url}/am\n"
        "        send_resolved: true\n", encoding="utf-8")
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("wb")
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.path={tmp_path / 'am-data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, tmp_path / "alertmanager.log")
        yield RunningAlertmanager(url, receiver, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"alertmanager exited at start:\n{log.read_text()[-2000:]}")
        try:
            if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    pytest.fail(f"alertmanager not ready within 15s:\n{log.read_text()[-2000:]}")


@dataclass
class SmtpRecorder:
    """An aiosmtpd handler: records delivered messages, answers RCPT/DATA from scripts."""

    messages: list[Envelope] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)
    rcpt_replies: list[str] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        """Accept the recipient unless the script says otherwise."""
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: Any, session: Session, envelope: Envelope
    ) -> str:
        """Keep the message unless the script answers with an error."""
        if self.data_replies:
            return self.data_replies.pop(0)
        self.messages.append(envelope)
        return "250 Message accepted"


@dataclass
class SmtpServer:
    """A running SMTP server: where it listens, its recorder, and the CA file to trust."""

    port: int
    recorder: SmtpRecorder
    ca_file: str


@pytest.fixture(scope="session")
def smtp_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, str]:
    """A throw-away CA and the path of its certificate (PEM)."""
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, str(path)


@pytest.fixture
def smtp_server(smtp_ca: tuple[trustme.CA, str]) -> Iterator[Callable[..., SmtpServer]]:
    """Start SMTP servers: ``smtp_server(security, login=(user, password))``."""
    started: list[Controller] = []
    ca, ca_file = smtp_ca

    def start(security: str = "none", login: tuple[str, str] | None = None) -> SmtpServer:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        recorder, port = SmtpRecorder(), free_port()
        options: dict[str, Any] = {}
        if login is not None:
            options["authenticator"] = _authenticator(recorder, login)
        if security == "starttls":
            options.update(tls_context=context, require_starttls=True)
        if security == "ssl":  # TLS from the first byte, which aiosmtpd's AUTH check misses
            options.update(ssl_context=context, auth_require_tls=False)
        controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return SmtpServer(port, recorder, ca_file)

    yield start
    for controller in started:
        controller.stop()


def _authenticator(recorder: SmtpRecorder, login: tuple[str, str]) -> Callable[..., AuthResult]:
    def check(server: Any, session: Session, envelope: Envelope, mechanism: str,
              data: Any) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        recorder.logins.append((data.login, data.password))
        ok = (data.login.decode(), data.password.decode()) == login
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535

    return check
