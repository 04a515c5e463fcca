"""The dispatcher over a real store (SQLite and PostgreSQL) and a real HTTP receiver."""

from __future__ import annotations

import base64
import logging
import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from monitor.alerts.delivery.dispatcher import Dispatcher, DispatchReport, RetryPolicy
from monitor.alerts.notifiers.base import Notification, Notifier, NotifierConfig
from monitor.alerts.notifiers.webhook import WebhookNotifier
from monitor.alerts.payload import build_payload, idempotency_key
from monitor.records import NewNotification, NewRun, OutboxMessage
from monitor.store.outbox import OutboxQueue
from monitor.store.repository import Store, open_store
from tests.receivers import Receiver, Reply

pytestmark = pytest.mark.integration

SECRET = "whsec_" + base64.b64encode(b"dispatcher-test-key-of-32-bytes!").decode()
T0 = datetime(2026, 11, 24, 11, 5, tzinfo=UTC)
POLICY = RetryPolicy(jitter=0.0)


def _enqueue(store: Store, number: int, notifier: str = "ops", created_at: datetime = T0) -> str:
    """Store a run whose window yields one outbox message; return its idempotency key."""
    start = datetime(2026, 11, 24, tzinfo=UTC) + timedelta(hours=number)
    end = start + timedelta(hours=1)
    key = idempotency_key("credit-scoring/feature-drift", "firing", start, end, notifier=notifier)
    payload = build_payload(
        status="firing", alert="feature-drift", monitor="credit-scoring", severity="critical",
        window_start=start, window_end=end, value=0.42, summary="7 of 16 columns drifted",
        details=[], started_at=end, url=None, idempotency_key=key,
    )
    run = NewRun(monitor="credit-scoring", window_start=start, window_end=end, status="ok",
                 started_at=created_at, finished_at=created_at)
    stored = store.save_run(run, [], [], [NewNotification(key, notifier, payload, created_at)])
    assert stored is not None
    return key


def _webhook(url: str, timeout: float = 2.0) -> WebhookNotifier:
    """A signing webhook notifier for url."""
    config = WebhookNotifier.Config(type="webhook", url=url, secret=SECRET, timeout=timeout)
    return WebhookNotifier(config)


def _message(store: Store, key: str) -> OutboxMessage:
    """The outbox row with the given idempotency key."""
    [message] = [m for m in OutboxQueue(store).messages() if m.idempotency_key == key]
    return message


def _dispatcher(store: Store, notifiers: dict[str, Notifier]) -> Dispatcher:
    """A dispatcher without jitter, so retry times are exact."""
    return Dispatcher(store, notifiers, policy=POLICY, rng=random.Random(0))


def test_delivery_is_signed_and_marked(store: Store, receiver: Receiver) -> None:
    """A due message reaches the receiver, verifies, and is marked delivered once."""
    key = _enqueue(store, 0)
    dispatcher = _dispatcher(store, {"ops": _webhook(receiver.url)})
    assert dispatcher.dispatch(T0) == DispatchReport(delivered=1)
    [request] = receiver.requests
    body = Webhook(SECRET).verify(request.body, request.headers)
    assert body["idempotency_key"] == key == request.headers["webhook-id"]
    message = _message(store, key)
    assert message.delivered_at == T0 and message.dead_at is None
    assert dispatcher.dispatch(T0 + timedelta(hours=1)) == DispatchReport()
    assert len(receiver.requests) == 1


def test_server_error_then_success(store: Store, receiver: Receiver) -> None:
    """A 500 schedules a retry after the initial delay; the retry delivers the same id."""
    key = _enqueue(store, 0)
    receiver.script = [Reply(500)]
    dispatcher = _dispatcher(store, {"ops": _webhook(receiver.url)})
    assert dispatcher.dispatch(T0) == DispatchReport(retried=1)
    failed = _message(store, key)
    assert failed.attempts == 1 and failed.next_attempt_at == T0 + timedelta(seconds=5)
    assert "HTTP 500" in (failed.last_error or "")
    assert dispatcher.dispatch(T0 + timedelta(seconds=4)) == DispatchReport()
    assert dispatcher.dispatch(T0 + timedelta(seconds=5)) == DispatchReport(delivered=1)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [key, key]
    assert _message(store, key).delivered_at == T0 + timedelta(seconds=5)


def test_retry_after_is_honoured(store: Store, receiver: Receiver) -> None:
    """A 429 with Retry-After: 90 schedules the next attempt 90 s later."""
    key = _enqueue(store, 0)
    receiver.script = [Reply(429, {"Retry-After": "90"})]
    assert _dispatcher(store, {"ops": _webhook(receiver.url)}).dispatch(T0).retried == 1
    assert _message(store, key).next_attempt_at == T0 + timedelta(seconds=90)


def test_timeout_is_retried(store: Store, receiver: Receiver) -> None:
    """A receiver slower than the timeout leaves the message pending with a clear error."""
    key = _enqueue(store, 0)
    receiver.script = [Reply(200, delay=0.6)]
    report = _dispatcher(store, {"ops": _webhook(receiver.url, timeout=0.2)}).dispatch(T0)
    assert report == DispatchReport(retried=1)
    assert "no answer within 0.2s" in (_message(store, key).last_error or "")


def test_bad_request_is_dead_at_once(store: Store, receiver: Receiver) -> None:
    """A 400 makes the message dead on the first attempt; it is never sent again."""
    key = _enqueue(store, 0)
    receiver.script = [Reply(400)]
    dispatcher = _dispatcher(store, {"ops": _webhook(receiver.url)})
    assert dispatcher.dispatch(T0) == DispatchReport(dead=1)
    message = _message(store, key)
    assert message.dead_at == T0 and message.attempts == 1
    assert dispatcher.dispatch(T0 + timedelta(days=1)) == DispatchReport()
    assert len(receiver.requests) == 1


def test_receiver_down_then_up_gets_one_delivery(
    store: Store, stopped_receiver: Receiver
) -> None:
    """Refused connections back off; once the receiver is up it gets the message exactly once."""
    key = _enqueue(store, 0)
    dispatcher = _dispatcher(store, {"ops": _webhook(stopped_receiver.url)})
    now = T0
    for expected_delay in (5, 10, 20):
        assert dispatcher.dispatch(now) == DispatchReport(retried=1)
        message = _message(store, key)
        assert message.next_attempt_at == now + timedelta(seconds=expected_delay)
        assert "could not reach the receiver" in (message.last_error or "")
        now = message.next_attempt_at
    stopped_receiver.start()
    assert dispatcher.dispatch(now) == DispatchReport(delivered=1)
    for later in (now + timedelta(minutes=m) for m in (1, 10, 60)):
        assert dispatcher.dispatch(later) == DispatchReport()
    [request] = stopped_receiver.requests
    assert request.headers["webhook-id"] == key
    assert Webhook(SECRET).verify(request.body, request.headers)["idempotency_key"] == key
    assert _message(store, key).attempts == 3


def test_unknown_notifier_retries_until_max_age(store: Store) -> None:
    """A message for a removed notifier is retried with a clear error, then dies at max age."""
    key = _enqueue(store, 0, notifier="removed-hook")
    dispatcher = _dispatcher(store, {})
    assert dispatcher.dispatch(T0) == DispatchReport(retried=1)
    message = _message(store, key)
    assert message.last_error is not None
    assert "notifier 'removed-hook' is not configured" in message.last_error
    deadline = T0 + POLICY.max_age
    assert dispatcher.dispatch(deadline - timedelta(seconds=1)) == DispatchReport(retried=1)
    assert _message(store, key).next_attempt_at == deadline
    assert dispatcher.dispatch(deadline) == DispatchReport(dead=1)
    assert _message(store, key).dead_at == deadline


class _Broken(Notifier):
    """A notifier with a bug: it raises something other than NotifierError."""

    def deliver(self, notification: Notification) -> None:
        raise RuntimeError("token=hunter2 leaked in a plugin's message")


def test_faulty_notifier_does_not_stop_the_batch(
    store: Store, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """A plugin's unexpected exception is recorded without its text; other messages go out."""
    broken_key = _enqueue(store, 0, notifier="broken")
    good_key = _enqueue(store, 1, notifier="ops")
    notifiers = {"broken": _Broken(NotifierConfig(type="broken")), "ops": _webhook(receiver.url)}
    with caplog.at_level(logging.WARNING, logger="monitor.alerts.delivery.dispatcher"):
        report = _dispatcher(store, notifiers).dispatch(T0)
    assert report == DispatchReport(delivered=1, retried=1)
    error = _message(store, broken_key).last_error or ""
    assert "RuntimeError" in error and "hunter2" not in error
    assert _message(store, good_key).delivered_at == T0
    [record] = caplog.records
    assert broken_key in record.getMessage() and "hunter2" not in record.getMessage()


def test_two_dispatchers_never_deliver_twice(database_url: str, receiver: Receiver) -> None:
    """Two dispatchers racing in two threads on one outbox deliver every message exactly once."""
    stores = [open_store(database_url), open_store(database_url)]
    try:
        keys = {_enqueue(stores[0], n) for n in range(30)}
        receiver.script = [Reply(200, delay=0.01)] * 30  # slow enough for the threads to overlap
        delivered = [0, 0]

        def work(index: int) -> None:
            dispatcher = Dispatcher(stores[index], {"ops": _webhook(receiver.url)}, policy=POLICY)
            while (report := dispatcher.dispatch(T0, limit=3)).claimed:
                delivered[index] += report.delivered

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        ids = [r.headers["webhook-id"] for r in receiver.requests]
        assert sorted(ids) == sorted(keys)
        assert sum(delivered) == 30 and min(delivered) > 0  # both took part, none twice
        assert all(m.delivered_at is not None for m in OutboxQueue(stores[0]).messages())
    finally:
        for store in stores:
            store.close()


def test_lease_expired_during_batch_is_skipped(store: Store, receiver: Receiver) -> None:
    """With a clock, a message whose lease ran out before its turn is left for the next claim."""
    key = _enqueue(store, 0)
    late = iter([T0 + timedelta(minutes=3)])
    dispatcher = Dispatcher(store, {"ops": _webhook(receiver.url)}, policy=POLICY,
                            clock=lambda: next(late))
    assert dispatcher.dispatch(T0) == DispatchReport(skipped=1)
    assert receiver.requests == []
    assert _message(store, key).delivered_at is None
    assert _dispatcher(store, {"ops": _webhook(receiver.url)}).dispatch(
        T0 + timedelta(minutes=3)
    ) == DispatchReport(delivered=1)
