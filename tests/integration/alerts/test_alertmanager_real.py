"""A real Prometheus Alertmanager: alerts fired by the monitor appear, stay alive, and resolve."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.delivery.dispatcher import Dispatcher, DispatchReport
from monitor.alerts.delivery.resend import AlertmanagerResender
from monitor.alerts.notifiers.alertmanager import AlertmanagerNotifier
from monitor.store.repository import Store, open_store
from tests.integration.alerts.conftest import RunningAlertmanager
from tests.integration.alerts.outbox_rows import firing_state, save_alerts

pytestmark = pytest.mark.integration


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A SQLite store: these tests are about Alertmanager, not about database backends."""
    opened = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield opened
    opened.close()


def _notifier(url: str, **fields: object) -> AlertmanagerNotifier:
    """An Alertmanager notifier for url with a static team label."""
    return AlertmanagerNotifier(AlertmanagerNotifier.Config.model_validate(
        {"type": "alertmanager", "url": url, "labels": {"team": "ml"}, **fields}))


def _wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until condition() is truthy; return its value, or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    pytest.fail(f"condition not met within {timeout}s")


def _now() -> datetime:
    """Wall-clock UTC: Alertmanager judges endsAt by its own clock."""
    return datetime.now(UTC)


def test_fired_alert_appears_stays_and_resolves(
    store: Store, alertmanager: RunningAlertmanager
) -> None:
    """Firing → listed with labels and annotations; re-sends keep it; resolved → gone, notified."""
    notifiers = {"am": _notifier(alertmanager.url, resend_interval="1s")}
    fired = _now()
    save_alerts(store, "am", ["feature-drift"], fired, hour=10,
                states=[firing_state("feature-drift", "credit-scoring", fired)])
    assert Dispatcher(store, notifiers).dispatch(_now()) == DispatchReport(delivered=1)
    [alert] = alertmanager.alerts()
    assert alert["labels"] == {"alertname": "feature-drift", "monitor": "credit-scoring",
                               "severity": "critical", "team": "ml"}
    assert alert["annotations"]["summary"].startswith("3 of 8 columns drifted")
    assert alert["status"]["state"] == "active"
    notified = _wait_for(alertmanager.notified)
    assert (notified[0]["status"], notified[0]["labels"]["alertname"]) == (
        "firing", "feature-drift")

    # endsAt is 4 s ahead: without re-sends it would expire; with them it stays.
    resender = AlertmanagerResender(store)
    until = time.monotonic() + 5.5
    while time.monotonic() < until:
        resender.resend(notifiers, _now())
        time.sleep(0.5)
    assert [a["labels"]["alertname"] for a in alertmanager.alerts()] == ["feature-drift"]

    resolved = _now()
    save_alerts(store, "am", ["feature-drift"], resolved, hour=11, status="resolved",
                states=[firing_state("feature-drift", "credit-scoring", resolved, "inactive")])
    assert Dispatcher(store, notifiers).dispatch(_now()) == DispatchReport(delivered=1)
    assert alertmanager.alerts() == []
    last = _wait_for(lambda: [a for a in alertmanager.notified() if a["status"] == "resolved"])
    assert last[0]["labels"]["alertname"] == "feature-drift"


def test_group_of_a_run_is_one_post_and_bad_labels_are_fixed(
    store: Store, alertmanager: RunningAlertmanager
) -> None:
    """Two alerts of a run are posted as one list; label names Alertmanager refuses are cleaned."""
    now = _now()
    save_alerts(store, "am", ["drift", "quality"], now)
    notifier = _notifier(alertmanager.url, labels={"team.name": "ml"})
    assert Dispatcher(store, {"am": notifier}).dispatch(_now()).delivered == 2
    alerts = sorted(alertmanager.alerts(), key=lambda a: a["labels"]["alertname"])
    assert [a["labels"]["alertname"] for a in alerts] == ["drift", "quality"]
    assert all(a["labels"]["team_name"] == "ml" for a in alerts)


def test_one_instance_down_still_delivers(
    store: Store, alertmanager: RunningAlertmanager
) -> None:
    """With two instances configured and one down, the message is delivered through the other."""
    save_alerts(store, "am", ["drift"], _now())
    down = "http://127.0.0.1:9"  # discard port: connection refused
    notifier = _notifier([down, alertmanager.url], timeout=2)
    assert Dispatcher(store, {"am": notifier}).dispatch(_now()).delivered == 1
    assert json.dumps(alertmanager.alerts()).count('"alertname": "drift"') == 1
