"""Alertmanager alerts: labels as identity, annotations, startsAt/endsAt, configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from monitor.alerts.notifiers.alertmanager import (
    AlertmanagerNotifier,
    alertmanager_alert,
    label_name,
)
from tests.unit.alerts.notifiers.alert_payloads import alert_payload, notification

NOW = datetime(2026, 11, 24, 11, 7, 30, tzinfo=UTC)


def _notifier(**fields: object) -> AlertmanagerNotifier:
    """An Alertmanager notifier whose clock reads NOW."""
    config = AlertmanagerNotifier.Config.model_validate(
        {"type": "alertmanager", "url": "http://am.example:9093", **fields})
    return AlertmanagerNotifier(config, clock=lambda: NOW)


def test_labels_annotations_and_times() -> None:
    """Identity labels (alertname, monitor, severity, extra) and annotations are set."""
    payload = alert_payload(columns=7, labels={"segment": "state=CA", "team.name": "ml"},
                            annotations={"runbook": "https://wiki/drift"})
    alert = alertmanager_alert(payload, ends_at=NOW + timedelta(minutes=4),
                               static_labels={"source": "monitor", "severity": "ignored"},
                               max_columns=2)
    assert alert["labels"] == {"alertname": "feature-drift", "monitor": "credit-scoring",
                               "severity": "critical", "segment": "state=CA",
                               "team_name": "ml", "source": "monitor"}
    notes = alert["annotations"]
    assert notes["summary"] == "3 of 8 columns drifted (income, age, state)"
    assert notes["drifted_columns"] == "col0: ks 0.3, p = 1e-09\ncol1: ks 0.29, p = 2e-09\n" \
                                       "… and 5 more columns"
    assert (notes["value"], notes["runbook"]) == ("0.42", "https://wiki/drift")
    assert (notes["window_start"], notes["window_end"]) == ("2026-11-24T10:00:00Z",
                                                            "2026-11-24T11:00:00Z")
    assert alert["startsAt"] == "2026-11-24T11:00:00Z"
    assert alert["endsAt"] == "2026-11-24T11:11:30Z"
    assert "generatorURL" not in alert


def test_console_url_annotation_is_the_run_link_only() -> None:
    """The run's link is the console_url annotation and generatorURL; a configured link is
    only the generatorURL, and a link too long for an annotation is left out, not cut."""
    run = "https://monitor.example.com/monitors/credit-scoring/windows/2026-11-24T11:00:00Z"
    ends = NOW + timedelta(minutes=4)
    alert = alertmanager_alert(alert_payload(url=run), ends_at=ends, link="https://dash/")
    assert (alert["annotations"]["console_url"], alert["generatorURL"]) == (run, run)
    dash = alertmanager_alert(alert_payload(), ends_at=ends, link="https://dash/")
    assert "console_url" not in dash["annotations"] and dash["generatorURL"] == "https://dash/"
    long = "https://m.example/monitors/" + "m" * 1024
    assert "console_url" not in alertmanager_alert(alert_payload(url=long),
                                                   ends_at=ends)["annotations"]


def test_firing_ends_four_intervals_ahead_resolved_ends_at_resolution() -> None:
    """endsAt is now + 4 × resend_interval when firing, the transition time when resolved."""
    notifier = _notifier(resend_interval="30s")
    firing = notifier._alert(notification(alert_payload()), NOW)
    assert firing["endsAt"] == "2026-11-24T11:09:30Z"
    resolved_at = NOW - timedelta(minutes=2)
    resolved = notifier._alert(notification(alert_payload(status="resolved", hour=11),
                                            created_at=resolved_at), NOW)
    assert resolved["endsAt"] == "2026-11-24T11:05:30Z"
    assert resolved["labels"] == firing["labels"]


def test_label_names_are_made_valid() -> None:
    """Characters Prometheus does not allow in label names become underscores."""
    assert label_name("segment.state") == "segment_state"
    assert label_name("9lives") == "_9lives"
    assert label_name("ok_name") == "ok_name"


def test_endpoints_and_config_checks() -> None:
    """Base URLs get /api/v2/alerts once; bad intervals and URLs are refused clearly."""
    assert _notifier().endpoints == ["http://am.example:9093/api/v2/alerts"]
    both = _notifier(url=["http://a:9093/", "http://b:9093/api/v2/alerts"])
    assert both.endpoints == ["http://a:9093/api/v2/alerts", "http://b:9093/api/v2/alerts"]
    with pytest.raises(ValidationError, match="between 1s and 1h"):
        _notifier(resend_interval="2h")
    with pytest.raises(ValidationError, match="invalid duration"):
        _notifier(resend_interval="soon")
    with pytest.raises(ValidationError, match="at least one Alertmanager URL"):
        _notifier(url=[])
    with pytest.raises(ValidationError) as info:
        _notifier(url="am.example/token-abc123")
    assert "token-abc123" not in str(info.value)
