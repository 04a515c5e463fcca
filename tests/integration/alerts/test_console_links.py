"""Console links end to end: MONITOR_PUBLIC_URL → a run's outbox rows → each kind's receiver.

A drifted window is evaluated and stored as the runner does, with the public
URL read from the environment; the dispatcher then delivers the outbox to
real receivers on loopback (an HTTP server, aiosmtpd, Debian's Alertmanager),
and each message must carry the link to the page of that run.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from monitor.alerts.delivery.dispatcher import Dispatcher, DispatchReport
from monitor.alerts.evaluate import evaluate_alerts
from monitor.alerts.notifiers.alertmanager import AlertmanagerNotifier
from monitor.alerts.notifiers.base import Notifier
from monitor.alerts.notifiers.email import EmailNotifier
from monitor.alerts.notifiers.pagerduty import PagerDutyNotifier
from monitor.alerts.notifiers.slack import SlackNotifier
from monitor.alerts.notifiers.teams import TeamsNotifier
from monitor.alerts.notifiers.webhook import WebhookNotifier
from monitor.records import NewRun
from monitor.settings import Settings
from monitor.store.repository import Store
from monitor.windows import Window
from tests.integration.alerts.conftest import RunningAlertmanager, SmtpServer
from tests.receivers import Receiver
from tests.unit.alerts.alert_fakes import analysis, monitor

pytestmark = pytest.mark.integration

CONSOLE = "https://monitor.example.com/ml/"
RUN_PAGE = "https://monitor.example.com/ml/monitors/credit/windows/2026-11-24T11:00:00Z"
SECRET = "whsec_" + base64.b64encode(b"receiver-shared-key-32-bytes-ok!").decode()


def _store_drifted_run(store: Store, notify: list[str], monkeypatch: pytest.MonkeyPatch,
                       window_end: datetime) -> datetime:
    """Evaluate and store a drifted hour of monitor 'credit' ending at window_end; return now."""
    monkeypatch.setenv("MONITOR_PUBLIC_URL", CONSOLE)
    window = Window(window_end - timedelta(hours=1), window_end)
    spec = monitor({"name": "feature-drift", "when": "drift_share > 0.3",
                    "severity": "critical", "notify": notify})
    now = datetime.now(UTC)
    evaluation = evaluate_alerts(spec, window, analysis(0.5),  # type: ignore[arg-type]
                                 store.alert_states(spec.name), now,
                                 public_url=Settings().public_url)
    run = NewRun(monitor=spec.name, window_start=window.start, window_end=window.end,
                 status="ok", started_at=now, finished_at=now)
    assert store.save_run(run, [], evaluation.states, evaluation.notifications) is not None
    return now


def _deliver(store: Store, notifiers: dict[str, Notifier], now: datetime) -> None:
    """One dispatch delivers every message of the run."""
    report = Dispatcher(store, notifiers).dispatch(now)
    assert report == DispatchReport(delivered=len(notifiers))


def test_http_receivers_get_the_run_link(
    store: Store, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Webhook url, Slack button, Teams action and PagerDuty links all name the run's page."""
    notifiers: dict[str, Notifier] = {
        "hook": WebhookNotifier(WebhookNotifier.Config(
            type="webhook", url=receiver.url + "/hook", secret=SECRET)),
        "chat": SlackNotifier(SlackNotifier.Config(  # the run's link wins over `link`
            type="slack", url=receiver.url + "/slack", link="https://dash.example/ml")),
        "room": TeamsNotifier(TeamsNotifier.Config(type="teams", url=receiver.url + "/teams")),
        "pager": PagerDutyNotifier(PagerDutyNotifier.Config(
            type="pagerduty", routing_key="R0UT1NGKEY0123456789abcdef",
            url=receiver.url + "/pagerduty")),
    }
    now = _store_drifted_run(store, sorted(notifiers), monkeypatch,
                             datetime(2026, 11, 24, 11, tzinfo=UTC))
    _deliver(store, notifiers, now)
    requests = {r.path: r for r in receiver.requests}
    assert Webhook(SECRET).verify(requests["/hook"].body, requests["/hook"].headers)["url"] == (
        RUN_PAGE)
    slack = json.loads(requests["/slack"].body)
    assert slack["blocks"][-1]["elements"][0]["url"] == RUN_PAGE
    card = json.loads(requests["/teams"].body)["attachments"][0]["content"]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open", "url": RUN_PAGE}]
    event = json.loads(requests["/pagerduty"].body)
    assert event["client_url"] == RUN_PAGE
    assert event["links"] == [{"href": RUN_PAGE, "text": "Open in monitor"}]


def test_email_has_the_run_link_in_text_and_html(
    store: Store, smtp_server: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The e-mail's plain part and HTML part both carry the run's link."""
    server = smtp_server("none")
    mail = EmailNotifier(EmailNotifier.Config.model_validate({
        "type": "email", "host": "127.0.0.1", "port": server.port, "security": "none",
        "from": "monitor@example.com", "to": ["ml@example.com"], "timeout": 5}))
    now = _store_drifted_run(store, ["mail"], monkeypatch,
                             datetime(2026, 11, 24, 11, tzinfo=UTC))
    _deliver(store, {"mail": mail}, now)
    [envelope] = server.recorder.messages
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    assert f"Open: {RUN_PAGE}" in message.get_body(("plain",)).get_content()
    assert f"<a href='{RUN_PAGE}'>" in message.get_body(("html",)).get_content()


def test_alertmanager_lists_the_alert_with_its_console_url(
    store: Store, alertmanager: RunningAlertmanager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alertmanager holds the alert with the run's page as console_url and generatorURL."""
    notifier = AlertmanagerNotifier(AlertmanagerNotifier.Config.model_validate(
        {"type": "alertmanager", "url": alertmanager.url}))
    now = _store_drifted_run(store, ["am"], monkeypatch, datetime(2026, 11, 24, 11, tzinfo=UTC))
    _deliver(store, {"am": notifier}, now)
    [alert] = alertmanager.alerts()
    assert alert["annotations"]["console_url"] == RUN_PAGE
    assert alert["generatorURL"] == RUN_PAGE
