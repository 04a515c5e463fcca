"""Secrets of notifiers: what counts as one, and how errors are scrubbed of them."""

from __future__ import annotations

from monitor.alerts.delivery.dispatcher import scrub
from monitor.alerts.notifiers.alertmanager import AlertmanagerNotifier
from monitor.alerts.notifiers.email import EmailNotifier
from monitor.alerts.notifiers.pagerduty import PagerDutyNotifier
from monitor.alerts.notifiers.slack import SlackNotifier
from monitor.alerts.notifiers.webhook import WebhookNotifier

SLACK_URL = "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/xoxbSecretToken123"


def test_url_parts_are_secrets() -> None:
    """The URL, its path, each long path segment and its query count as secrets."""
    notifier = SlackNotifier(SlackNotifier.Config(type="slack", url=SLACK_URL))
    secrets = notifier.secrets()
    assert SLACK_URL in secrets
    assert "/services/T0AAAAAAA/B0BBBBBBB/xoxbSecretToken123" in secrets
    assert "xoxbSecretToken123" in secrets
    assert secrets == sorted(secrets, key=len, reverse=True)  # longest replaced first


def test_each_kind_declares_its_secrets() -> None:
    """Routing keys, passwords, webhook secrets, headers and URL passwords are all listed."""
    pagerduty = PagerDutyNotifier(PagerDutyNotifier.Config(
        type="pagerduty", routing_key="R0UT1NGKEY0123456789abcdefABCDEF"))
    assert "R0UT1NGKEY0123456789abcdefABCDEF" in pagerduty.secrets()
    email = EmailNotifier(EmailNotifier.Config.model_validate(
        {"type": "email", "host": "smtp.example.com", "from": "m@example.com",
         "to": ["o@example.com"], "username": "monitor", "password": "hunter2-smtp"}))
    assert email.secrets() == ["hunter2-smtp"]
    webhook = WebhookNotifier(WebhookNotifier.Config(
        type="webhook", url="https://user:pa55word-x@hooks.example.com/in?token=abcdef123",
        secret=["old-secret-1", "new-secret-2"], headers={"Authorization": "Bearer tok-987654"}))
    found = webhook.secrets()
    for secret in ("old-secret-1", "new-secret-2", "Bearer tok-987654", "pa55word-x",
                   "token=abcdef123"):
        assert secret in found
    manager = AlertmanagerNotifier(AlertmanagerNotifier.Config(
        type="alertmanager", url=["http://am:9093"], headers={"Authorization": "Basic c2VjcmV0"}))
    assert "Basic c2VjcmV0" in manager.secrets()
    assert "monitor" not in email.secrets()  # the user name is not a secret


def test_scrub_replaces_every_occurrence() -> None:
    """Each secret is replaced wherever it appears, the rest of the message kept."""
    notifier = SlackNotifier(SlackNotifier.Config(type="slack", url=SLACK_URL))
    error = f"POST {SLACK_URL} failed; path /services/T0AAAAAAA/B0BBBBBBB/xoxbSecretToken123"
    cleaned = scrub(error, notifier.secrets())
    assert "xoxbSecretToken123" not in cleaned and "T0AAAAAAA" not in cleaned
    assert cleaned.startswith("POST *** failed; path ***")
