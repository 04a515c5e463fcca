"""PagerDuty Events API v2 bodies: shape, dedup key, summary limit, severity mapping."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from monitor.alerts.notifiers.pagerduty import (
    SUMMARY_LIMIT,
    PagerDutyNotifier,
    dedup_key,
    pagerduty_event,
)
from tests.unit.alerts.notifiers.alert_payloads import alert_payload

KEY = "R0UT1NGKEY0123456789abcdefABCDEF"


def test_trigger_has_the_documented_fields() -> None:
    """A firing alert becomes a trigger with routing_key, dedup_key and a full payload."""
    event = pagerduty_event(alert_payload(columns=12), routing_key=KEY, max_columns=3,
                            link="https://dash.example/")
    assert event["routing_key"] == KEY and event["event_action"] == "trigger"
    assert event["dedup_key"].startswith("monitor-")
    body = event["payload"]
    assert body["summary"] == ("FIRING feature-drift (critical) on credit-scoring: "
                               "3 of 8 columns drifted (income, age, state)")
    assert (body["source"], body["severity"], body["group"], body["class"]) == (
        "credit-scoring", "critical", "credit-scoring", "feature-drift")
    assert body["timestamp"] == "2026-11-24T11:00:00Z"
    details = body["custom_details"]
    assert list(details["columns"]) == ["col0", "col1", "col2"]
    assert details["columns_omitted"] == 9 and details["value"] == 0.42
    assert event["links"] == [{"href": "https://dash.example/", "text": "Open in monitor"}]


def test_resolve_is_minimal_and_shares_the_dedup_key() -> None:
    """resolved → event_action resolve with only routing_key and the trigger's dedup_key."""
    trigger = pagerduty_event(alert_payload(), routing_key=KEY)
    resolve = pagerduty_event(alert_payload(status="resolved", hour=15, value=0.01),
                              routing_key=KEY)
    assert resolve == {"routing_key": KEY, "event_action": "resolve",
                       "dedup_key": trigger["dedup_key"]}


def test_dedup_key_is_the_alert_identity() -> None:
    """Value, window and summary do not change the key; monitor, segment and severity do."""
    base = dedup_key(alert_payload())
    assert dedup_key(alert_payload(value=9.0, hour=20, summary="other")) == base
    assert dedup_key(alert_payload(monitor="churn")) != base
    assert dedup_key(alert_payload(severity="warning")) != base
    assert dedup_key(alert_payload(labels={"segment": "state=CA"})) != base
    assert len(base) <= 255


def test_summary_is_cut_to_1024_characters() -> None:
    """A 5,000-character summary is cut to PagerDuty's 1,024 characters."""
    event = pagerduty_event(alert_payload(summary="s" * 5000), routing_key=KEY)
    assert len(event["payload"]["summary"]) == SUMMARY_LIMIT
    assert event["payload"]["summary"].endswith("…")


@pytest.mark.parametrize(
    ("severity", "mapping", "expected"),
    [("critical", {}, "critical"), ("warning", {}, "warning"), ("info", {}, "info"),
     ("page-me", {}, "error"), ("warning", {"warning": "critical"}, "critical")],
)
def test_severity_mapping(severity: str, mapping: dict[str, str], expected: str) -> None:
    """Monitor severities map to PagerDuty's; unknown ones become error; overrides apply."""
    config = PagerDutyNotifier.Config.model_validate(
        {"type": "pagerduty", "routing_key": KEY, "severities": mapping})
    notifier = PagerDutyNotifier(config)
    event = pagerduty_event(alert_payload(severity=severity), routing_key=KEY,
                            severities=notifier.severities)
    assert event["payload"]["severity"] == expected


def test_config_defaults_and_secret_free_errors() -> None:
    """The URL defaults to the Events API; a bad routing key is refused without being echoed."""
    config = PagerDutyNotifier.Config.model_validate({"type": "pagerduty", "routing_key": KEY})
    assert config.url == "https://events.pagerduty.com/v2/enqueue"
    assert KEY not in repr(config)
    with pytest.raises(ValidationError) as info:
        PagerDutyNotifier.Config.model_validate({"type": "pagerduty", "routing_key": KEY + " x"})
    assert KEY not in str(info.value) and "must not contain spaces" in str(info.value)
    with pytest.raises(ValidationError, match="severities"):
        PagerDutyNotifier.Config.model_validate(
            {"type": "pagerduty", "routing_key": KEY, "severities": {"warning": "urgent"}})
