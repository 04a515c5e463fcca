"""Grouping at delivery time: a run's alerts go out as one message and are settled as a whole."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from monitor.alerts.delivery.dispatcher import Dispatcher, DispatchReport, RetryPolicy
from monitor.alerts.notifiers.base import Notification, Notifier, NotifierConfig
from monitor.alerts.notifiers.slack import SlackNotifier
from monitor.alerts.notifiers.webhook import WebhookNotifier
from monitor.store.outbox import OutboxQueue
from monitor.store.repository import Store
from tests.integration.alerts.outbox_rows import message, save_alerts
from tests.receivers import Receiver, Reply

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 11, 5, tzinfo=UTC)
POLICY = RetryPolicy(jitter=0.0)


def _slack(url: str) -> SlackNotifier:
    """A Slack notifier posting to url."""
    return SlackNotifier(SlackNotifier.Config(type="slack", url=url + "/services/T/B/tok",
                                              timeout=2))


def _dispatcher(store: Store, notifiers: dict[str, Notifier]) -> Dispatcher:
    """A dispatcher without jitter."""
    return Dispatcher(store, notifiers, policy=POLICY, rng=random.Random(0))


class _Recording(Notifier):
    """A grouping notifier that records the size of every call (max 2 alerts per message)."""

    groups = True
    max_group = 2

    def __init__(self) -> None:
        super().__init__(NotifierConfig(type="recording"))
        self.calls: list[list[str]] = []

    def deliver(self, notification: Notification) -> None:
        """Record a single delivery."""
        self.calls.append([notification.payload["alert"]])

    def deliver_group(self, notifications: Sequence[Notification]) -> None:
        """Record a group delivery."""
        self.calls.append([n.payload["alert"] for n in notifications])


def test_run_alerts_reach_slack_as_one_message(store: Store, receiver: Receiver) -> None:
    """Three alerts of one run make one Slack request; all three rows are marked delivered."""
    keys = save_alerts(store, "chat", ["drift", "quality", "rows"], T0)
    assert _dispatcher(store, {"chat": _slack(receiver.url)}).dispatch(T0) == DispatchReport(
        delivered=3)
    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["blocks"][0]["text"]["text"] == "credit-scoring: FIRING 3 (drift, quality, rows)"
    assert all(message(store, k).delivered_at == T0 for k in keys)


def test_failed_group_fails_and_retries_as_a_whole(store: Store, receiver: Receiver) -> None:
    """A 500 fails every row of the group alike; the retry sends one message again."""
    keys = save_alerts(store, "chat", ["drift", "quality"], T0)
    receiver.script = [Reply(500)]
    dispatcher = _dispatcher(store, {"chat": _slack(receiver.url)})
    assert dispatcher.dispatch(T0) == DispatchReport(retried=2)
    rows = [message(store, k) for k in keys]
    assert {(r.attempts, r.next_attempt_at, r.last_error) for r in rows} == {
        (1, T0 + timedelta(seconds=5), f"slack 127.0.0.1:{receiver.port}: receiver answered "
                                       "HTTP 500 Internal Server Error (will retry)")}
    assert dispatcher.dispatch(T0 + timedelta(seconds=5)) == DispatchReport(delivered=2)
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body


def test_rejected_group_is_dead_as_a_whole(store: Store, receiver: Receiver) -> None:
    """A 404 (the Slack app was removed) makes every row of the group dead at once."""
    keys = save_alerts(store, "chat", ["drift", "quality"], T0)
    receiver.script = [Reply(404)]
    assert _dispatcher(store, {"chat": _slack(receiver.url)}).dispatch(T0) == DispatchReport(
        dead=2)
    assert all(message(store, k).dead_at == T0 for k in keys)


def test_claim_takes_whole_groups_only_for_grouping_notifiers(store: Store) -> None:
    """With limit=1 a grouping notifier's claim brings the run's siblings; a webhook's does not."""
    save_alerts(store, "chat", ["a", "b", "c"], T0, hour=1)
    save_alerts(store, "hook", ["a", "b", "c"], T0 + timedelta(seconds=1), hour=2)
    queue = OutboxQueue(store)
    later = T0 + timedelta(minutes=1)
    grouped = queue.claim(later, timedelta(minutes=2), limit=1, grouped={"chat"})
    assert [m.notifier for m in grouped] == ["chat", "chat", "chat"]
    single = queue.claim(later, timedelta(minutes=2), limit=1, grouped={"chat"})
    assert [m.notifier for m in single] == ["hook"]


def test_large_groups_are_split_and_windows_kept_apart(store: Store) -> None:
    """Groups hold at most max_group alerts, and never mix monitors or windows."""
    save_alerts(store, "rec", ["a", "b", "c", "d", "e"], T0, hour=1)
    save_alerts(store, "rec", ["x"], T0, hour=2)
    save_alerts(store, "rec", ["y"], T0, hour=2, monitor="churn")
    recording = _Recording()
    assert _dispatcher(store, {"rec": recording}).dispatch(T0).delivered == 7
    assert sorted(recording.calls) == [["a", "b"], ["c", "d"], ["e"], ["x"], ["y"]]


def test_webhook_stays_one_message_per_alert(store: Store, receiver: Receiver) -> None:
    """A webhook gets one signed request per alert, each with its own webhook-id."""
    keys = save_alerts(store, "hook", ["drift", "quality"], T0)
    webhook = WebhookNotifier(WebhookNotifier.Config(type="webhook", url=receiver.url))
    assert _dispatcher(store, {"hook": webhook}).dispatch(T0) == DispatchReport(delivered=2)
    assert sorted(r.headers["webhook-id"] for r in receiver.requests) == sorted(keys)
