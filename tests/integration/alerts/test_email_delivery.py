"""The e-mail notifier against real SMTP servers on loopback (aiosmtpd): plain, STARTTLS, TLS."""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.alerts.delivery.dispatcher import build_notifiers
from monitor.alerts.notifiers.email import EmailNotifier
from monitor.errors import NotifierError
from monitor.rules.loader import load_rules
from tests.integration.alerts.conftest import SmtpServer
from tests.receivers import free_port
from tests.unit.alerts.notifiers.alert_payloads import alert_payload, notification

pytestmark = pytest.mark.integration

PASSWORD = "s3cret-smtp-pa55word"
Start = Callable[..., SmtpServer]


def _notifier(server: SmtpServer | None, **fields: object) -> EmailNotifier:
    """An e-mail notifier for the server (or a closed port), trusting the test CA."""
    block = {"type": "email", "host": "127.0.0.1", "port": server.port if server else free_port(),
             "security": "none", "from": "Monitor <monitor@example.com>",
             "to": ["ml@example.com", "ops@example.com"], "timeout": 5, **fields}
    if server is not None and block["security"] != "none":
        block.setdefault("ca_file", server.ca_file)
    return EmailNotifier(EmailNotifier.Config.model_validate(block))


def _received(server: SmtpServer) -> email.message.EmailMessage:
    """The one message the server accepted, parsed."""
    [envelope] = server.recorder.messages
    parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_plain_smtp_gets_one_email_for_a_run(smtp_server: Start) -> None:
    """Two alerts of one run arrive as one e-mail with plain and HTML parts, to both recipients."""
    server = smtp_server("none")
    payloads = [alert_payload(alert="feature-drift"), alert_payload(alert="data-quality")]
    _notifier(server).deliver_group([notification(p) for p in payloads])
    [envelope] = server.recorder.messages
    assert envelope.mail_from == "monitor@example.com"
    assert envelope.rcpt_tos == ["ml@example.com", "ops@example.com"]
    message = _received(server)
    assert message["Subject"] == (
        "[monitor] credit-scoring: FIRING 2 (feature-drift, data-quality)")
    assert "FIRING data-quality" in message.get_body(("plain",)).get_content()
    assert "<h2" in message.get_body(("html",)).get_content()


def test_starttls_login_with_password_from_the_environment(
    smtp_server: Start, tmp_path: Path
) -> None:
    """A rule file's ${SMTP_PASSWORD} logs in over STARTTLS; the server sees that password."""
    server = smtp_server("starttls", login=("monitor", PASSWORD))
    rules_file = tmp_path / "notifiers.yaml"
    rules_file.write_text(
        "notifiers:\n  mail:\n    type: email\n    host: 127.0.0.1\n"
        f"    port: {server.port}\n    security: starttls\n    username: monitor\n"
        "    password: ${SMTP_PASSWORD}\n    from: monitor@example.com\n"
        f"    to: [ml@example.com]\n    ca_file: {server.ca_file}\n", encoding="utf-8")
    rules = load_rules([rules_file], env={"SMTP_PASSWORD": PASSWORD})
    notifier = build_notifiers(rules)["mail"]
    notifier.deliver(notification(alert_payload()))
    assert server.recorder.logins == [(b"monitor", PASSWORD.encode())]
    assert _received(server)["Subject"].startswith("[monitor] FIRING feature-drift")


def test_implicit_tls(smtp_server: Start) -> None:
    """security: ssl speaks TLS from the first byte and delivers."""
    server = smtp_server("ssl", login=("monitor", PASSWORD))
    _notifier(server, security="ssl", username="monitor", password=PASSWORD).deliver(
        notification(alert_payload(status="resolved")))
    assert _received(server)["Subject"].startswith("[monitor] RESOLVED feature-drift")


def test_wrong_password_is_final_and_never_shown(
    smtp_server: Start, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused login is not retried and its error names neither password nor server text."""
    server = smtp_server("starttls", login=("monitor", PASSWORD))
    wrong = "wrong-" + PASSWORD
    with caplog.at_level(logging.DEBUG), pytest.raises(NotifierError) as info:
        _notifier(server, security="starttls", username="monitor", password=wrong).deliver(
            notification(alert_payload()))
    assert not info.value.retryable
    assert "login refused (SMTP 535)" in info.value.message
    assert PASSWORD not in info.value.message and PASSWORD not in caplog.text
    assert server.recorder.messages == []


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [("451 4.3.0 try again later", True), ("550 5.7.1 message refused", False)],
)
def test_smtp_reply_codes_decide_retries(smtp_server: Start, reply: str, retryable: bool) -> None:
    """A 4xx answer to DATA is retried, a 5xx answer is final; the error quotes the code."""
    server = smtp_server("none")
    server.recorder.data_replies = [reply]
    with pytest.raises(NotifierError) as info:
        _notifier(server).deliver(notification(alert_payload()))
    assert info.value.retryable is retryable
    assert f"server answered {reply.split()[0]}" in info.value.message


def test_every_recipient_refused_is_final(smtp_server: Start) -> None:
    """When every recipient gets 550 the message is refused for good, saying to check 'to'."""
    server = smtp_server("none")
    server.recorder.rcpt_replies = ["550 no such user", "550 no such user"]
    refused = r"every recipient was refused \(SMTP \[550\]\)"
    with pytest.raises(NotifierError, match=refused) as info:
        _notifier(server).deliver(notification(alert_payload()))
    assert not info.value.retryable


def test_untrusted_certificate_and_closed_port_are_retried(smtp_server: Start) -> None:
    """An unknown CA's certificate and a server that is down both leave the message retryable."""
    server = smtp_server("starttls")
    notifier = _notifier(server, security="starttls", ca_file=None)
    with pytest.raises(NotifierError, match="certificate is not trusted") as info:
        notifier.deliver(notification(alert_payload()))
    assert info.value.retryable
    with pytest.raises(NotifierError, match="could not reach the server") as down:
        _notifier(None).deliver(notification(alert_payload()))
    assert down.value.retryable
