"""Every built-in notifier kind registers as a plugin and loads from a rule file."""

from __future__ import annotations

from pathlib import Path

from monitor import plugins
from monitor.alerts.delivery.dispatcher import build_notifiers
from monitor.alerts.notifiers import (
    AlertmanagerNotifier,
    EmailNotifier,
    Notifier,
    PagerDutyNotifier,
    SlackNotifier,
    TeamsNotifier,
    WebhookNotifier,
)
from monitor.rules.loader import load_rules

RULES = """\
notifiers:
  hook: {type: webhook, url: "${HOOK_URL}", secret: "${HOOK_SECRET}"}
  chat: {type: slack, url: "${SLACK_WEBHOOK_URL}", link: https://dash.example/ml}
  room: {type: teams, url: "${TEAMS_WEBHOOK_URL}"}
  pager: {type: pagerduty, routing_key: "${PD_ROUTING_KEY}", severities: {warning: error}}
  am: {type: alertmanager, url: [http://am-1:9093, http://am-2:9093], resend_interval: 30s,
       labels: {team: ml}}
  mail:
    type: email
    host: smtp.example.com
    username: monitor
    password: ${SMTP_PASSWORD}
    from: Monitor <monitor@example.com>
    to: [ml-oncall@example.com]
"""
ENV = {"HOOK_URL": "https://hooks.example.com/in", "HOOK_SECRET": "signing-secret",
       "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x",
       "TEAMS_WEBHOOK_URL": "https://example.webhook.office.com/w/x",
       "PD_ROUTING_KEY": "R0UT1NGKEY0123456789abcdefABCDEF", "SMTP_PASSWORD": "pw-123456"}
KINDS: dict[str, type[Notifier]] = {
    "webhook": WebhookNotifier, "slack": SlackNotifier, "teams": TeamsNotifier,
    "pagerduty": PagerDutyNotifier, "alertmanager": AlertmanagerNotifier, "email": EmailNotifier,
}


def test_builtins_register_under_the_entry_point_group() -> None:
    """Each built-in kind is found by name in monitor.notifiers and is a Notifier subclass."""
    assert set(KINDS) <= set(plugins.known(plugins.NOTIFIERS))
    for name, cls in KINDS.items():
        assert plugins.load(plugins.NOTIFIERS, name, Notifier) is cls


def test_a_rule_file_builds_every_kind(tmp_path: Path) -> None:
    """One rule file with all six kinds validates and builds the matching notifiers."""
    path = tmp_path / "notifiers.yaml"
    path.write_text(RULES, encoding="utf-8")
    built = build_notifiers(load_rules([path], env=ENV))
    kinds = {name: type(n) for name, n in built.items()}
    assert kinds == {"hook": WebhookNotifier, "chat": SlackNotifier, "room": TeamsNotifier,
                     "pager": PagerDutyNotifier, "am": AlertmanagerNotifier,
                     "mail": EmailNotifier}
    groups = {name for name, n in built.items() if n.groups}
    assert groups == {"chat", "room", "am", "mail"}
    am = built["am"]
    assert isinstance(am, AlertmanagerNotifier) and am.resend_interval.total_seconds() == 30
    for notifier in built.values():
        notifier.close()
