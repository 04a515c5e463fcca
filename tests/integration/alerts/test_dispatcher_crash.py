"""A dispatcher killed with SIGKILL mid-batch: nothing is lost, nothing acknowledged is resent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from monitor.alerts.delivery.dispatcher import Dispatcher
from monitor.alerts.notifiers.webhook import WebhookNotifier
from monitor.store.outbox import OutboxQueue
from monitor.store.repository import open_store
from tests.integration.alerts.outbox_rows import save_alerts
from tests.receivers import Receiver, Reply

pytestmark = pytest.mark.integration

LEASE_SECONDS = 2
CHILD = """
import sys
from datetime import UTC, datetime, timedelta
from monitor.alerts.delivery.dispatcher import Dispatcher
from monitor.alerts.notifiers.webhook import WebhookNotifier
from monitor.store.repository import open_store

store = open_store(sys.argv[1])
hook = WebhookNotifier(WebhookNotifier.Config(type="webhook", url=sys.argv[2], timeout=5))
now = lambda: datetime.now(UTC)
lease = timedelta(seconds=float(sys.argv[3]))
Dispatcher(store, {"ops": hook}, lease=lease, clock=now).dispatch(now())
"""


def test_sigkill_mid_batch_loses_nothing(database_url: str, receiver: Receiver) -> None:
    """After kill -9 and a restart every message is delivered; only the one in flight twice."""
    store = open_store(database_url)
    try:
        written = datetime.now(UTC) - timedelta(minutes=1)
        keys = save_alerts(store, "ops", [f"alert-{i}" for i in range(10)], written)
        receiver.script = [Reply(200, delay=0.15)] * 10
        child = subprocess.Popen([sys.executable, "-c", CHILD, database_url, receiver.url,
                                  str(LEASE_SECONDS)],
                                 env={**os.environ, "PYTHONPATH": os.getcwd()})
        deadline = time.monotonic() + 30
        while len(receiver.requests) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        acknowledged = {m.idempotency_key for m in OutboxQueue(store).messages()
                        if m.delivered_at is not None}
        assert 1 <= len(acknowledged) < 10, "the kill must land mid-batch"
        before = len(receiver.requests)

        # The restarted dispatcher takes over the claimed rows once their lease has run out.
        hook = WebhookNotifier(WebhookNotifier.Config(type="webhook", url=receiver.url))
        after_lease = datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS + 1)
        report = Dispatcher(store, {"ops": hook}).dispatch(after_lease)
        assert report.delivered == 10 - len(acknowledged)
        assert all(m.delivered_at is not None for m in OutboxQueue(store).messages())
    finally:
        store.close()
    sent = Counter(r.headers["webhook-id"] for r in receiver.requests)
    assert set(sent) == set(keys)
    assert all(sent[key] == 1 for key in acknowledged)  # acknowledged: never sent again
    assert sum(sent.values()) - len(keys) <= 1  # at most the one in flight, same id
    assert len(receiver.requests) > before
