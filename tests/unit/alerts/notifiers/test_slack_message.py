"""The Slack message: blocks, limits, escaping and configuration checks."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from monitor.alerts.notifiers.slack import (
    HEADER_LIMIT,
    MAX_ALERTS,
    SECTION_LIMIT,
    SlackNotifier,
    slack_message,
)
from tests.unit.alerts.notifiers.alert_payloads import alert_payload


def _texts(message: dict[str, object]) -> str:
    """Every text of the message, joined, for containment checks."""
    return json.dumps(message, ensure_ascii=False)


def test_one_alert_has_header_window_summary_columns_and_link() -> None:
    """A firing alert shows its title, window, severity, value, columns and a button."""
    message = slack_message([alert_payload(columns=12)], link="https://dash.example/ml",
                            max_columns=5)
    blocks = message["blocks"]
    assert blocks[0] == {"type": "header", "text": {
        "type": "plain_text", "text": "FIRING feature-drift (critical) on credit-scoring",
        "emoji": True}}
    assert "2026-11-24 10:00–11:00 UTC" in blocks[1]["elements"][0]["text"]
    section = blocks[2]
    assert "3 of 8 columns drifted" in section["text"]["text"]
    assert {f["text"] for f in section["fields"]} == {"*Severity*\ncritical", "*Value*\n0.42"}
    columns = blocks[3]["text"]["text"]
    assert columns.startswith("*Top drifted columns*\n• col0: ks 0.3, p = 1e-09")
    assert columns.count("• ") == 5 and columns.endswith("… and 7 more columns")
    assert blocks[-1]["elements"][0]["url"] == "https://dash.example/ml"
    assert message["text"].startswith("FIRING feature-drift (critical) on credit-scoring: 3 of")


def test_resolved_alert_lists_no_columns() -> None:
    """A resolved message says so and lists no drifted columns."""
    message = slack_message([alert_payload(status="resolved")])
    assert message["blocks"][0]["text"]["text"].startswith("RESOLVED feature-drift")
    assert "Top drifted columns" not in _texts(message)
    assert ":large_green_circle:" in message["blocks"][2]["text"]["text"]


def test_group_is_one_message_with_every_alert() -> None:
    """Three alerts of one run make one message titled by counts, each alert in its section."""
    payloads = [alert_payload(alert=name) for name in ("a", "b")]
    payloads.append(alert_payload(alert="c", status="resolved"))
    message = slack_message(payloads)
    assert message["blocks"][0]["text"]["text"] == "credit-scoring: FIRING 2 (a, b), RESOLVED 1 (c)"
    assert message["text"] == "credit-scoring: FIRING 2 (a, b), RESOLVED 1 (c)"
    titles = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"
              and not b["text"]["text"].startswith("*Top")]
    assert [t.split("*")[1].split()[1] for t in titles] == ["a", "b", "c"]


def test_limits_hold_for_huge_input() -> None:
    """60 alerts with 10,000-character summaries stay within Slack's block and text limits."""
    payloads = [alert_payload(alert=f"alert-{i}" * 20, summary="s" * 10_000, columns=20)
                for i in range(60)]
    message = slack_message(payloads, link="https://dash.example/")
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= HEADER_LIMIT
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_LIMIT
    assert f"… and {60 - MAX_ALERTS} more alerts" in _texts(message)
    assert len(message["text"]) <= 3000


def test_mrkdwn_control_characters_are_escaped() -> None:
    """A summary with <, > and & cannot inject links or mentions."""
    message = slack_message([alert_payload(summary="<!channel> & <http://evil|x>")])
    text = message["blocks"][2]["text"]["text"]
    assert "&lt;!channel&gt; &amp; &lt;http://evil|x&gt;" in text
    assert "<!channel>" not in text


def test_config_rejects_a_bad_url_without_echoing_it() -> None:
    """A malformed webhook URL is refused and the error shows no token."""
    with pytest.raises(ValidationError) as info:
        SlackNotifier.Config.model_validate({"type": "slack", "url": "hooks.slack.com/T0/SECRET"})
    assert "SECRET" not in str(info.value)
    assert "http:// or https://" in str(info.value)


def test_slack_groups_and_needs_its_config() -> None:
    """The kind groups alerts and refuses another kind's config."""
    assert SlackNotifier.groups is True
    config = SlackNotifier.Config(type="slack", url="https://hooks.slack.com/services/T/B/X")
    assert SlackNotifier(config).host == "hooks.slack.com"
    with pytest.raises(TypeError, match=r"needs a SlackNotifier\.Config"):
        SlackNotifier(SlackNotifier.__mro__[1].Config(type="slack"))
