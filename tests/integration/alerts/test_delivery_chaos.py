"""Receivers that fail with 500, time out, rate-limit and go down: each message lands once."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.alerts.delivery.dispatcher import Dispatcher, DispatchReport, RetryPolicy
from monitor.alerts.notifiers.base import Notifier
from monitor.alerts.notifiers.pagerduty import PagerDutyNotifier
from monitor.alerts.notifiers.slack import SlackNotifier
from monitor.alerts.notifiers.webhook import WebhookNotifier
from monitor.store.outbox import OutboxQueue
from monitor.store.repository import Store
from tests.integration.alerts.outbox_rows import save_alerts
from tests.receivers import Receiver, Reply, free_port

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 11, 5, tzinfo=UTC)
TIMEOUT = 0.2
SLOW = Reply(200, delay=0.4)  # answers after the client gave up: a duplicate for the receiver
RUNS = 6


def _accepted(receiver: Receiver, script: list[Reply]) -> list[Any]:
    """The requests the sender saw succeed: answered 2xx in time (the script, then 200s)."""
    return [receiver.requests[i] for i in _accepted_at(receiver, script)]


def _accepted_at(receiver: Receiver, script: list[Reply]) -> list[int]:
    """Positions of the accepted requests among all the receiver got."""
    replies = script + [Reply()] * (len(receiver.requests) - len(script))
    return [i for i, reply in enumerate(replies[: len(receiver.requests)])
            if 200 <= reply.status < 300 and reply.delay < TIMEOUT]


def _drive(store: Store, dispatcher: Dispatcher, down: Receiver) -> tuple[int, DispatchReport]:
    """Dispatch until nothing is pending, jumping the clock to the next due attempt."""
    now, totals = T0, Counter[str]()
    for round_number in range(1, 100):
        if round_number == 4:
            down.start()  # the receiver comes back after three rounds of refused connections
        report = dispatcher.dispatch(now, limit=10)
        totals.update({"delivered": report.delivered, "retried": report.retried,
                       "dead": report.dead})
        pending = OutboxQueue(store).messages(stages=("pending", "retrying"), limit=1000)
        if not pending:
            return round_number, DispatchReport(**totals)
        now = max(now, min(m.next_attempt_at for m in pending))
    pytest.fail("messages still pending after 100 rounds")


def test_every_message_is_delivered_exactly_once(store: Store) -> None:
    """Across three flaky receivers every alert is accepted once, none after its acceptance."""
    hook, chat, pd = Receiver(free_port()), Receiver(free_port()), Receiver(free_port())
    scripts = {
        "hook": [Reply(500), Reply(429, {"Retry-After": "30"}), SLOW, Reply(503)],
        "chat": [Reply(429, {"Retry-After": "60"}), Reply(500), SLOW],
        "pd": [Reply(500), SLOW],
    }
    hook.script, chat.script, pd.script = (list(s) for s in scripts.values())
    hook.start()
    chat.start()  # pd starts down
    notifiers: dict[str, Notifier] = {
        "hook": WebhookNotifier(WebhookNotifier.Config(
            type="webhook", url=hook.url, secret="s3cret-signing", timeout=TIMEOUT)),
        "chat": SlackNotifier(SlackNotifier.Config(
            type="slack", url=chat.url + "/services/T/B/x", timeout=TIMEOUT)),
        "pd": PagerDutyNotifier(PagerDutyNotifier.Config(
            type="pagerduty", routing_key="k" * 32, url=pd.url, timeout=TIMEOUT)),
    }
    try:
        keys = {name: [] for name in notifiers}
        for hour in range(RUNS):
            for name in notifiers:  # one run per notifier and hour: two alerts each
                created = T0.replace(minute=hour)
                keys[name] += save_alerts(store, name, ["drift", "quality"], created,
                                          hour=hour, monitor=f"m-{name}")
        dispatcher = Dispatcher(store, notifiers, policy=RetryPolicy(), rng=random.Random(7))
        rounds, totals = _drive(store, dispatcher, pd)
    finally:
        for receiver in (hook, chat, pd):
            receiver.stop()

    assert totals.delivered == 3 * 2 * RUNS and totals.dead == 0
    assert all(m.delivered_at is not None for m in OutboxQueue(store).messages(limit=1000))

    hook_ids = Counter(r.headers["webhook-id"] for r in _accepted(hook, scripts["hook"]))
    assert hook_ids == Counter(keys["hook"])  # one acceptance per message
    sent = [r.headers["webhook-id"] for r in hook.requests]
    for i in _accepted_at(hook, scripts["hook"]):  # nothing is sent again once accepted
        assert sent[i] not in sent[i + 1:]
    assert len(sent) > len(keys["hook"])  # the failures were real: there were retries
    chat_bodies = Counter(r.body for r in _accepted(chat, scripts["chat"]))
    assert len(chat_bodies) == RUNS and set(chat_bodies.values()) == {1}  # one per run
    pd_events = [json.loads(r.body) for r in _accepted(pd, scripts["pd"])]
    assert len(pd_events) == 2 * RUNS
    assert len({json.dumps(e, sort_keys=True) for e in pd_events}) == 2 * RUNS
    assert rounds < 30
