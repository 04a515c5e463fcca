"""The alert e-mail: headers, plain and HTML parts, a stable Message-ID, configuration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from monitor.alerts.notifiers.base import group_key
from monitor.alerts.notifiers.email import EmailNotifier, email_message
from tests.unit.alerts.notifiers.alert_payloads import alert_payload, notification

NOW = datetime(2026, 11, 24, 11, 5, tzinfo=UTC)


def _message(payloads: list[dict[str, object]], **options: object):  # type: ignore[no-untyped-def]
    """The e-mail for payloads from monitor@example.com to two recipients."""
    return email_message(payloads, sender="Monitor <monitor@example.com>",
                         to=["ml@example.com", "ops@example.com"], message_key="k" * 32,
                         now=NOW, **options)


def test_headers_and_both_parts() -> None:
    """Subject, From, To, Date, Message-ID and the plain and HTML alternatives are set."""
    message = _message([alert_payload(columns=4)], max_columns=2, link="https://dash.example/")
    assert message["Subject"] == "[monitor] FIRING feature-drift (critical) on credit-scoring"
    assert message["To"] == "ml@example.com, ops@example.com"
    assert message["Message-ID"] == f"<{'k' * 32}.monitor@example.com>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] == "Tue, 24 Nov 2026 11:05:00 +0000"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Window: 2026-11-24 10:00–11:00 UTC" in plain
    assert "  - col0: ks 0.3, p = 1e-09" in plain and "  … and 2 more" in plain
    assert plain.rstrip().endswith("Open: https://dash.example/")
    assert "<li><b>col1</b>: ks 0.29, p = 2e-09</li>" in html
    assert "href='https://dash.example/'" in html


def test_html_escapes_payload_text() -> None:
    """Summaries and column names cannot inject markup into the HTML part."""
    payload = alert_payload(summary="<script>alert(1)</script>")
    payload["details"][0]["column"] = "<b>x</b>"
    html = _message([payload]).get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_group_subject_and_stable_message_id() -> None:
    """A run's alerts share one e-mail; its key does not depend on their order."""
    payloads = [alert_payload(alert="a"), alert_payload(alert="b", status="resolved")]
    message = _message(payloads)
    assert message["Subject"] == "[monitor] credit-scoring: FIRING 1 (a), RESOLVED 1 (b)"
    forward = group_key([notification(p) for p in payloads])
    backward = group_key([notification(p) for p in reversed(payloads)])
    assert forward == backward and len(forward) == 32
    assert group_key([notification(payloads[0])]) == payloads[0]["idempotency_key"]


def _config(**fields: object) -> EmailNotifier.Config:
    """An email config with a host, a sender and one recipient, plus fields."""
    block = {"type": "email", "host": "smtp.example.com", "from": "monitor@example.com",
             "to": ["ml@example.com"], **fields}
    return EmailNotifier.Config.model_validate(block)


def test_config_defaults_and_ports() -> None:
    """STARTTLS on 587 by default; ssl uses 465 and none 25 unless a port is given."""
    assert EmailNotifier(_config()).port == 587
    assert EmailNotifier(_config(security="ssl")).port == 465
    assert EmailNotifier(_config(security="none", port=2525)).port == 2525
    assert _config().sender == "monitor@example.com"


def test_config_refuses_unsafe_or_incomplete_logins() -> None:
    """A password needs a username and TLS; addresses must be addresses; no secret is echoed."""
    with pytest.raises(ValidationError, match="in the clear"):
        _config(security="none", username="u", password="hunter2-password")
    with pytest.raises(ValidationError, match="both username and password"):
        _config(username="u")
    with pytest.raises(ValidationError, match="e-mail address"):
        _config(to=["not-an-address"])
    with pytest.raises(ValidationError, match="e-mail address"):
        _config(**{"from": "a@example.com\r\nBcc: x@evil.example"})
    with pytest.raises(ValidationError) as info:
        _config(password="hunter2-password", port="x")
    assert "hunter2" not in str(info.value)
    assert "hunter2" not in repr(_config(username="u", password="hunter2-password"))
