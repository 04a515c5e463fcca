"""Secrets (URL tokens, routing keys, signing keys, auth headers) stay out of logs, DB, errors."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import Field

from monitor.alerts.delivery.dispatcher import Dispatcher, RetryPolicy
from monitor.alerts.notifiers.alertmanager import AlertmanagerNotifier
from monitor.alerts.notifiers.base import Notification, Notifier, NotifierConfig
from monitor.alerts.notifiers.pagerduty import PagerDutyNotifier
from monitor.alerts.notifiers.slack import SlackNotifier
from monitor.alerts.notifiers.teams import TeamsNotifier
from monitor.alerts.notifiers.webhook import WebhookNotifier
from monitor.errors import NotifierError, RulesInvalid
from monitor.rules.loader import load_rules
from monitor.store.outbox import OutboxQueue
from monitor.store.repository import Store, open_store
from tests.integration.alerts.outbox_rows import save_alerts
from tests.receivers import Receiver, Reply

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 11, 5, tzinfo=UTC)
SECRETS = ("SLACKTOKEN-7f3a9c", "TEAMSSIG-41b2e8", "WHSECRET-9d8c7b", "USERPW-5a6b7c",
           "R0UT1NGKEY0123456789abcdefABCDEF", "AMTOKEN-0c1d2e")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A SQLite store: what is stored does not depend on the backend (both run elsewhere)."""
    opened = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield opened
    opened.close()


def _notifiers(url: str) -> dict[str, Notifier]:
    """One notifier of each HTTP kind, each with secrets in its URL, key or headers."""
    return {
        "slack": SlackNotifier(SlackNotifier.Config(
            type="slack", url=f"{url}/services/T0/B0/SLACKTOKEN-7f3a9c", timeout=0.3)),
        "teams": TeamsNotifier(TeamsNotifier.Config(
            type="teams", url=f"{url}/wf?sig=TEAMSSIG-41b2e8", timeout=0.3)),
        "hook": WebhookNotifier(WebhookNotifier.Config(
            type="webhook", url=url.replace("//", "//user:USERPW-5a6b7c@") + "/in",
            secret="WHSECRET-9d8c7b", timeout=0.3)),
        "pd": PagerDutyNotifier(PagerDutyNotifier.Config(
            type="pagerduty", routing_key="R0UT1NGKEY0123456789abcdefABCDEF",
            url=f"{url}/v2/enqueue", timeout=0.3)),
        "am": AlertmanagerNotifier(AlertmanagerNotifier.Config(
            type="alertmanager", url=url, headers={"Authorization": "Bearer AMTOKEN-0c1d2e"},
            timeout=0.3)),
    }


def _seen(store: Store, caplog: pytest.LogCaptureFixture) -> str:
    """Every stored error and every log line, as one text."""
    errors = [m.last_error or "" for m in OutboxQueue(store).messages(limit=1000)]
    return "\n".join(errors) + "\n" + caplog.text


@pytest.mark.parametrize("reply", [Reply(400), Reply(500), Reply(200, delay=0.6)],
                         ids=["rejected", "server-error", "timeout"])
def test_failures_name_no_secret(
    store: Store, receiver: Receiver, caplog: pytest.LogCaptureFixture, reply: Reply
) -> None:
    """Whatever the failure, stored errors and logs name hosts, never tokens or keys."""
    notifiers = _notifiers(receiver.url)
    for hour, name in enumerate(notifiers):
        save_alerts(store, name, ["drift"], T0, hour=hour)
    receiver.script = [reply] * len(notifiers)
    with caplog.at_level(logging.DEBUG, logger="monitor"):
        report = Dispatcher(store, notifiers, policy=RetryPolicy(jitter=0.0),
                            rng=random.Random(0)).dispatch(T0)
    assert report.delivered == 0 and report.claimed == len(notifiers)
    seen = _seen(store, caplog)
    assert f"127.0.0.1:{receiver.port}" in seen
    for secret in SECRETS:
        assert secret not in seen


def test_unreachable_receiver_names_no_secret(
    store: Store, stopped_receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """Refused connections are reported by host and failure kind only."""
    notifiers = _notifiers(stopped_receiver.url)
    for hour, name in enumerate(notifiers):
        save_alerts(store, name, ["drift"], T0, hour=hour)
    with caplog.at_level(logging.DEBUG, logger="monitor"):
        assert Dispatcher(store, notifiers).dispatch(T0).retried == len(notifiers)
    seen = _seen(store, caplog)
    assert "could not reach the receiver" in seen
    for secret in SECRETS:
        assert secret not in seen


class _Leaky(Notifier):
    """A plugin whose error message quotes its own secret configuration."""

    class Config(NotifierConfig):
        """Its block: a token marked secret."""

        token: str = Field(default="", repr=False)

    def deliver(self, notification: Notification) -> None:
        """Fail, quoting the token."""
        token = self.config.token  # type: ignore[attr-defined]
        raise NotifierError(f"POST https://api.example/send?token={token} -> 503")


def test_a_plugins_own_secret_is_scrubbed(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A notifier's repr=False fields are blanked out of its error before it is stored or logged."""
    leaky = _Leaky(_Leaky.Config(type="leaky", token="PLUGINTOKEN-123456"))
    [key] = save_alerts(store, "leaky", ["drift"], T0)
    with caplog.at_level(logging.DEBUG, logger="monitor"):
        Dispatcher(store, {"leaky": leaky}).dispatch(T0)
    seen = _seen(store, caplog)
    assert "token=*** -> 503" in seen and "PLUGINTOKEN-123456" not in seen
    assert key in caplog.text


def test_rule_errors_do_not_echo_secrets(tmp_path: Path) -> None:
    """Invalid notifier blocks are reported without the secret values taken from ${NAME}."""
    path = tmp_path / "n.yaml"
    path.write_text(
        "notifiers:\n"
        "  pd: {type: pagerduty, routing_key: '${PD_KEY}', timeout: -1}\n"
        "  chat: {type: slack, url: '${SLACK_URL}'}\n"
        "  am: {type: alertmanager, url: '${AM_URL}', resend_interval: 5h}\n", encoding="utf-8")
    env = {"PD_KEY": "R0UT1NGKEY0123456789abcdefABCDEF x",
           "SLACK_URL": "hooks.slack.com/services/T0/B0/SLACKTOKEN-7f3a9c",
           "AM_URL": "http://am:9093/?token=AMTOKEN-0c1d2e"}
    with pytest.raises(RulesInvalid) as info:
        load_rules([path], env=env)
    text = str(info.value)
    assert len(info.value.errors) >= 3, text
    for secret in SECRETS:
        assert secret not in text


class _Crashing(_Leaky):
    """A plugin with a bug whose exception text quotes its secret."""

    def deliver(self, notification: Notification) -> None:
        """Crash, quoting the token."""
        raise RuntimeError(f"bad state for token {self.config.token}")  # type: ignore[attr-defined]


def test_a_plugins_crash_is_logged_without_its_secret(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """The debug traceback of a crashing plugin is kept, with its secrets blanked out."""
    crashing = _Crashing(_Crashing.Config(type="leaky", token="PLUGINTOKEN-654321"))
    save_alerts(store, "crash", ["drift"], T0)
    with caplog.at_level(logging.DEBUG, logger="monitor"):
        assert Dispatcher(store, {"crash": crashing}).dispatch(T0).retried == 1
    assert "RuntimeError: bad state for token ***" in caplog.text
    assert "PLUGINTOKEN-654321" not in _seen(store, caplog)
