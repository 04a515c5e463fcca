"""The Microsoft Teams message: an Adaptive Card within Teams' size limit."""

from __future__ import annotations

import json

from monitor.alerts.notifiers.teams import MAX_BYTES, TeamsNotifier, teams_message
from tests.unit.alerts.notifiers.alert_payloads import alert_payload


def _card(message: dict[str, object]) -> dict[str, object]:
    """The Adaptive Card inside a Teams message."""
    [attachment] = message["attachments"]  # type: ignore[misc]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def test_card_shape_for_one_firing_alert() -> None:
    """The documented envelope holds a v1.4 card: title, facts, summary, columns, link."""
    message = teams_message([alert_payload(columns=4)], link="https://dash.example/",
                            max_columns=2)
    assert message["type"] == "message"
    card = _card(message)
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    body = card["body"]
    assert body[0]["text"] == "FIRING feature-drift (critical) on credit-scoring"
    assert body[0]["color"] == "Attention"
    assert {"title": "Window", "value": "2026-11-24 10:00–11:00 UTC"} in body[1]["facts"]
    texts = [item.get("text") for item in body]
    assert "3 of 8 columns drifted (income, age, state)" in texts
    columns = body[-1]["facts"]
    assert [f["title"] for f in columns] == ["col0", "col1", "…"]
    assert columns[-1]["value"] == "and 2 more"
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open",
                                "url": "https://dash.example/"}]


def test_resolved_group_is_green_and_lists_no_columns() -> None:
    """A card of resolved alerts is coloured Good and lists no drifted columns."""
    card = _card(teams_message([alert_payload(status="resolved", alert=a) for a in "xy"]))
    assert card["body"][0]["color"] == "Good"
    assert card["body"][0]["text"] == "credit-scoring: RESOLVED 2 (x, y)"
    assert "Top drifted columns" not in json.dumps(card)
    assert "actions" not in card


def test_size_stays_under_the_limit_by_counting_alerts_left_out() -> None:
    """50 alerts with long summaries fit under MAX_BYTES; the card says how many were left out."""
    payloads = [alert_payload(alert=f"a{i}", summary="x" * 1800, columns=20) for i in range(50)]
    message = teams_message(payloads)
    size = len(json.dumps(message, ensure_ascii=False).encode("utf-8"))
    assert size <= MAX_BYTES
    last = _card(message)["body"][-1]
    assert last["text"].startswith("… and ") and last["text"].endswith(" more alerts")
    shown = 50 - int(last["text"].split()[2])
    assert 1 <= shown < 20


def test_teams_groups() -> None:
    """Teams notifiers send the alerts of one run as one card."""
    config = TeamsNotifier.Config(type="teams", url="https://example.webhook.office.com/x/y")
    assert TeamsNotifier.groups and TeamsNotifier(config).host == "example.webhook.office.com"
