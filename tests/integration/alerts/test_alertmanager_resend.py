"""The Alertmanager re-send loop over a real store and a real HTTP receiver, with a fixed clock."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.alerts.delivery.dispatcher import Dispatcher
from monitor.alerts.delivery.resend import AlertmanagerResender, ResendReport, resend_firing
from monitor.alerts.notifiers.alertmanager import AlertmanagerNotifier
from monitor.alerts.notifiers.slack import SlackNotifier
from monitor.store.repository import Store
from tests.integration.alerts.outbox_rows import firing_state, save_alerts
from tests.receivers import Receiver, Reply

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 11, 5, tzinfo=UTC)


def _manager(url: str, **fields: object) -> AlertmanagerNotifier:
    """An Alertmanager notifier re-sending every minute, resolved ones for 5 minutes."""
    return AlertmanagerNotifier(AlertmanagerNotifier.Config.model_validate(
        {"type": "alertmanager", "url": url, **fields}))


def _posted(receiver: Receiver) -> list[list[dict[str, Any]]]:
    """The alert lists posted so far, one per request."""
    return [json.loads(r.body) for r in receiver.requests]


def _fire(store: Store, alert: str, at: datetime, hour: int) -> None:
    """A run in which `alert` fires: its message to 'am' and its firing state."""
    save_alerts(store, "am", [alert], at, hour=hour,
                states=[firing_state(alert, "credit-scoring", at)])


def _resolve(store: Store, alert: str, at: datetime, hour: int) -> None:
    """A run in which `alert` resolves: its resolved message and its inactive state."""
    save_alerts(store, "am", [alert], at, hour=hour, status="resolved",
                states=[firing_state(alert, "credit-scoring", at, "inactive")])


def test_firing_alerts_are_reposted_each_interval(store: Store, receiver: Receiver) -> None:
    """Each interval re-posts the firing alert with endsAt = now + 4 intervals; not sooner."""
    _fire(store, "drift", T0, hour=10)
    notifiers = {"am": _manager(receiver.url)}
    resender = AlertmanagerResender(store)
    assert resender.resend(notifiers, T0) == ResendReport(firing=1)
    assert resender.resend(notifiers, T0 + timedelta(seconds=30)) == ResendReport()
    assert resender.resend(notifiers, T0 + timedelta(seconds=60)) == ResendReport(firing=1)
    first, second = _posted(receiver)
    assert first[0]["endsAt"] == "2026-11-24T11:09:00Z"
    assert second[0]["endsAt"] == "2026-11-24T11:10:00Z"
    assert first[0]["labels"] == second[0]["labels"]
    assert receiver.requests[0].path == "/api/v2/alerts"


def test_resolved_alerts_are_reposted_for_a_while_then_dropped(
    store: Store, receiver: Receiver
) -> None:
    """After resolution only the resolved alert is posted, with its endsAt, for 5 minutes."""
    _fire(store, "drift", T0 - timedelta(hours=1), hour=9)
    _resolve(store, "drift", T0, hour=10)
    notifiers = {"am": _manager(receiver.url)}
    resender = AlertmanagerResender(store)
    assert resender.resend(notifiers, T0 + timedelta(minutes=1)) == ResendReport(resolved=1)
    [[alert]] = _posted(receiver)
    assert alert["endsAt"] == "2026-11-24T11:05:00Z"
    assert resender.resend(notifiers, T0 + timedelta(minutes=6)) == ResendReport()
    assert len(receiver.requests) == 1


def test_only_alerts_still_firing_in_the_store_are_kept_alive(
    store: Store, receiver: Receiver
) -> None:
    """A firing message whose alert state is no longer firing is not re-posted."""
    _fire(store, "drift", T0, hour=10)
    save_alerts(store, "am", ["quality"], T0, hour=11,
                states=[firing_state("quality", "credit-scoring", T0, "inactive")])
    assert resend_firing(store, {"am": _manager(receiver.url)}, T0) == ResendReport(firing=1)
    [[alert]] = _posted(receiver)
    assert alert["labels"]["alertname"] == "drift"


def test_new_rows_are_read_incrementally(store: Store, receiver: Receiver) -> None:
    """Alerts that fire after the first call are picked up by the next one."""
    notifiers = {"am": _manager(receiver.url, resend_interval="30s")}
    resender = AlertmanagerResender(store)
    assert resender.resend(notifiers, T0) == ResendReport()
    _fire(store, "drift", T0, hour=10)
    _fire(store, "quality", T0, hour=11)
    assert resender.resend(notifiers, T0 + timedelta(seconds=30)) == ResendReport(firing=2)
    _resolve(store, "drift", T0 + timedelta(seconds=40), hour=12)
    report = resender.resend(notifiers, T0 + timedelta(seconds=60))
    assert report == ResendReport(firing=1, resolved=1)
    statuses = {a["labels"]["alertname"]: a["endsAt"] for a in _posted(receiver)[-1]}
    assert statuses == {"quality": "2026-11-24T11:08:00Z", "drift": "2026-11-24T11:05:40Z"}


def test_other_kinds_and_unknown_names_are_ignored(store: Store, receiver: Receiver) -> None:
    """Slack messages are never re-sent, and a notifier removed from the rules is forgotten."""
    save_alerts(store, "chat", ["drift"], T0, states=[firing_state("drift", "credit-scoring", T0)])
    slack = SlackNotifier(SlackNotifier.Config(type="slack", url=receiver.url))
    resender = AlertmanagerResender(store)
    assert resender.resend({"chat": slack}, T0) == ResendReport()
    _fire(store, "quality", T0, hour=11)
    assert resender.resend({"am": _manager(receiver.url)}, T0) == ResendReport(firing=1)
    assert resender.resend({}, T0 + timedelta(minutes=5)) == ResendReport()
    assert len(receiver.requests) == 1


def test_failures_are_logged_once_and_retried_next_interval(
    store: Store, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """A down Alertmanager costs one warning; the next interval tries again and recovers."""
    _fire(store, "drift", T0, hour=10)
    notifiers = {"am": _manager(receiver.url)}
    receiver.script = [Reply(503), Reply(503)]
    resender = AlertmanagerResender(store)
    with caplog.at_level(logging.INFO, logger="monitor"):
        assert resender.resend(notifiers, T0) == ResendReport(failed=1)
        assert resender.resend(notifiers, T0 + timedelta(minutes=1)) == ResendReport(failed=1)
        assert resender.resend(notifiers, T0 + timedelta(minutes=2)) == ResendReport(firing=1)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("re-send to am failed" in m for m in messages) == 1
    assert any("re-send to am works again" in m for m in messages)


def test_dispatch_then_resend_keep_one_identity(store: Store, receiver: Receiver) -> None:
    """The dispatcher's first post and the re-sends carry the same labels and startsAt."""
    _fire(store, "drift", T0, hour=10)
    notifiers = {"am": _manager(receiver.url)}
    Dispatcher(store, notifiers).dispatch(T0)
    AlertmanagerResender(store).resend(notifiers, T0 + timedelta(minutes=1))
    first, again = (posted[0] for posted in _posted(receiver))
    assert (first["labels"], first["startsAt"]) == (again["labels"], again["startsAt"])
