"""Slack, Teams and PagerDuty against a real HTTP receiver: documented shapes, retries, refusals."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.alerts.delivery.dispatcher import Dispatcher, DispatchReport, RetryPolicy
from monitor.alerts.notifiers.pagerduty import PagerDutyNotifier
from monitor.alerts.notifiers.slack import SlackNotifier
from monitor.alerts.notifiers.teams import TeamsNotifier
from monitor.errors import NotifierError
from monitor.store.repository import Store
from tests.integration.alerts.outbox_rows import message, save_alerts
from tests.receivers import Receiver, Reply
from tests.unit.alerts.notifiers.alert_payloads import alert_payload, notification

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 11, 5, tzinfo=UTC)
ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"


def _pagerduty(receiver: Receiver) -> PagerDutyNotifier:
    """A PagerDuty notifier whose Events API is the receiver."""
    return PagerDutyNotifier(PagerDutyNotifier.Config(
        type="pagerduty", routing_key=ROUTING_KEY, url=receiver.url + "/v2/enqueue", timeout=2))


def test_slack_receives_blocks(receiver: Receiver) -> None:
    """The receiver gets JSON with fallback text and header/section/actions blocks."""
    notifier = SlackNotifier(SlackNotifier.Config(
        type="slack", url=receiver.url + "/services/T1/B1/token", link="https://dash.example/"))
    notifier.deliver(notification(alert_payload(columns=3)))
    [request] = receiver.requests
    assert request.path == "/services/T1/B1/token"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert [b["type"] for b in body["blocks"]] == [
        "header", "context", "section", "section", "divider", "actions"]
    assert body["text"].startswith("FIRING feature-drift (critical) on credit-scoring")


def test_teams_receives_an_adaptive_card(receiver: Receiver) -> None:
    """The receiver gets the message envelope with one Adaptive Card attachment."""
    notifier = TeamsNotifier(TeamsNotifier.Config(type="teams", url=receiver.url + "/wf/abc"))
    receiver.script = [Reply(202)]  # Workflows answer 202 Accepted
    notifier.deliver_group([notification(alert_payload(alert=a)) for a in ("x", "y")])
    body = json.loads(receiver.requests[0].body)
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["body"][0]["text"] == "credit-scoring: FIRING 2 (x, y)"


def test_pagerduty_trigger_then_resolve_share_one_dedup_key(receiver: Receiver) -> None:
    """Trigger and resolve events reach the Events API with one dedup_key; 202 is success."""
    receiver.script = [Reply(202), Reply(202)]
    notifier = _pagerduty(receiver)
    notifier.deliver(notification(alert_payload(hour=10)))
    notifier.deliver(notification(alert_payload(status="resolved", hour=13)))
    trigger, resolve = (json.loads(r.body) for r in receiver.requests)
    assert receiver.requests[0].path == "/v2/enqueue"
    assert (trigger["event_action"], resolve["event_action"]) == ("trigger", "resolve")
    assert trigger["dedup_key"] == resolve["dedup_key"]
    assert trigger["routing_key"] == resolve["routing_key"] == ROUTING_KEY
    assert set(trigger["payload"]) >= {"summary", "source", "severity", "custom_details"}


def test_pagerduty_bad_event_is_final(receiver: Receiver) -> None:
    """A 400 'Invalid event' is not retried, and the error leaves the routing key out."""
    receiver.script = [Reply(400)]
    with pytest.raises(NotifierError) as info:
        _pagerduty(receiver).deliver(notification(alert_payload()))
    assert not info.value.retryable and "HTTP 400" in info.value.message
    assert ROUTING_KEY not in info.value.message


def test_rate_limit_is_honoured_through_the_outbox(store: Store, receiver: Receiver) -> None:
    """A PagerDuty 429 with Retry-After: 120 moves the next attempt 120 s on; then it goes out."""
    [key] = save_alerts(store, "pd", ["drift"], T0)
    receiver.script = [Reply(429, {"Retry-After": "120"}), Reply(202)]
    dispatcher = Dispatcher(store, {"pd": _pagerduty(receiver)},
                            policy=RetryPolicy(jitter=0.0), rng=random.Random(0))
    assert dispatcher.dispatch(T0) == DispatchReport(retried=1)
    assert message(store, key).next_attempt_at == T0 + timedelta(seconds=120)
    assert dispatcher.dispatch(T0 + timedelta(seconds=119)) == DispatchReport()
    assert dispatcher.dispatch(T0 + timedelta(seconds=120)) == DispatchReport(delivered=1)
    assert len(receiver.requests) == 2
