"""Alerts of removed rules: made inactive, the resolution sent where the firing message went."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.alerts.payload import build_payload, idempotency_key
from monitor.alerts.retire import orphaned, retirement
from monitor.records import AlertStateRecord

FIRED = datetime(2026, 11, 20, 3, tzinfo=UTC)
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def state(monitor: str, alert: str, status: str = "firing", **extra) -> AlertStateRecord:
    values = dict(alert_key=f"{monitor}/{alert}", monitor=monitor, alert=alert, segment=None,
                  state=status, consecutive=2, since=FIRED, fired_at=FIRED, last_value=0.6,
                  last_window_end=FIRED, updated_at=FIRED, severity="critical",
                  announced=status == "firing")
    values.update(extra)
    return AlertStateRecord(**values)


def firing_payload(record: AlertStateRecord, notifier: str) -> dict:
    start = datetime(2026, 11, 20, 2, tzinfo=UTC)
    key = idempotency_key(record.alert_key, "firing", start, FIRED, notifier=notifier)
    return build_payload(status="firing", alert=record.alert, monitor=record.monitor,
                         severity="critical", window_start=start, window_end=FIRED, value=0.6,
                         summary="2 of 2 columns drifted", details=[], started_at=FIRED,
                         url=None, idempotency_key=key,
                         labels={"alert": record.alert, "monitor": record.monitor,
                                 "severity": "critical", "team": "risk"})


def test_orphaned_keeps_active_states_of_undefined_rules_only():
    states = [state("credit", "drift"), state("credit", "quality"),
              state("gone", "drift"), state("gone", "old", status="inactive")]
    found = orphaned(states, {("credit", "drift")})
    assert [(s.monitor, s.alert) for s in found] == [("credit", "quality"), ("gone", "drift")]


def test_firing_alert_is_resolved_through_the_notifiers_it_fired_to():
    record = state("gone", "drift")
    sent = [("hook", firing_payload(record, "hook")), ("pager", firing_payload(record, "pager")),
            ("removed-notifier", firing_payload(record, "removed-notifier"))]
    records, messages = retirement([record], sent, {"hook", "pager", "slack"}, NOW)
    [inactive] = records
    assert inactive.state == "inactive" and not inactive.announced and inactive.since == NOW
    assert sorted(m.notifier for m in messages) == ["hook", "pager"]
    payload = messages[0].payload
    assert payload["status"] == "resolved" and payload["reason"] == "removed"
    assert payload["monitor"] == "gone" and payload["alert"] == "drift"
    assert payload["labels"]["team"] == "risk"  # the receiver matches it to the firing one
    assert payload["window"] == {"start": "2026-11-20T02:00:00Z", "end": "2026-11-20T03:00:00Z"}
    assert "removed from the rule files" in payload["summary"]
    # Retiring twice (two daemons, or a retry) gives the same keys: the outbox keeps one.
    again = retirement([record], sent, {"hook", "pager"}, NOW)[1]
    assert {m.idempotency_key for m in again} == {m.idempotency_key for m in messages}


def test_pending_and_unannounced_alerts_are_made_inactive_without_a_message():
    pending = state("gone", "drift", status="pending")
    muted = state("gone", "quality", announced=False)
    sent = [("hook", firing_payload(muted, "hook"))]
    records, messages = retirement([pending, muted], sent, {"hook"}, NOW)
    assert [r.state for r in records] == ["inactive", "inactive"]
    assert messages == []


def test_a_firing_message_of_an_earlier_episode_does_not_match():
    record = state("gone", "drift")
    earlier = firing_payload(record, "hook") | {"started_at": "2026-11-01T00:00:00Z"}
    assert retirement([record], [("hook", earlier)], {"hook"}, NOW)[1] == []


def test_resolution_of_a_retired_alert_links_to_its_monitor_page():
    """No run sends a retirement: with a public URL its link is the monitor's console page."""
    record = state("team.credit", "drift")
    sent = [("hook", firing_payload(record, "hook"))]
    [message] = retirement([record], sent, {"hook"}, NOW,
                           public_url="https://monitor.example.com/")[1]
    assert message.payload["url"] == "https://monitor.example.com/monitors/team.credit"
    assert retirement([record], sent, {"hook"}, NOW)[1][0].payload["url"] is None
