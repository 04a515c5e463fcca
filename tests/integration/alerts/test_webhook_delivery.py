"""The webhook notifier against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from standardwebhooks.webhooks import Webhook

from monitor import __version__
from monitor.alerts.notifiers.base import Notification
from monitor.alerts.notifiers.webhook import WebhookNotifier
from monitor.alerts.payload import build_payload
from monitor.errors import NotifierError
from tests.receivers import Receiver, Reply

pytestmark = pytest.mark.integration

SECRET = "whsec_" + base64.b64encode(b"receiver-shared-key-32-bytes-ok!").decode()
WINDOW_END = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


def _notification(key: str = "0f" * 16) -> Notification:
    """A firing notification with a payload as the runner builds it."""
    payload = build_payload(
        status="firing", alert="feature-drift", monitor="credit-scoring", severity="critical",
        window_start=datetime(2026, 11, 24, 10, 0, tzinfo=UTC), window_end=WINDOW_END,
        value=0.42, summary="7 of 16 columns drifted — income, âge",
        details=[{"column": "income", "method": "ks", "statistic": 0.21, "p_value": 1e-9}],
        started_at=WINDOW_END, url=None, idempotency_key=key,
    )
    return Notification(idempotency_key=key, payload=payload)


def _notifier(url: str, **fields: object) -> WebhookNotifier:
    """A webhook notifier for url with the shared secret unless overridden."""
    config = WebhookNotifier.Config.model_validate(
        {"type": "webhook", "url": url, "secret": SECRET, **fields}
    )
    return WebhookNotifier(config)


def test_delivery_verifies_on_the_receiver(receiver: Receiver) -> None:
    """The receiver gets the JSON payload with headers standardwebhooks verifies."""
    notification = _notification()
    notifier = _notifier(receiver.url + "/hooks/ml?token=abc", headers={"X-Team": "ml"})
    notifier.deliver(notification)
    notifier.close()
    [request] = receiver.requests
    assert request.path == "/hooks/ml?token=abc"
    assert Webhook(SECRET).verify(request.body, request.headers) == notification.payload
    assert request.headers["webhook-id"] == notification.idempotency_key
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == f"monitor/{__version__}"
    assert request.headers["X-Team"] == "ml"


def test_rotation_signatures_verify_with_each_secret(receiver: Receiver) -> None:
    """While rotating, a receiver holding either secret accepts the message."""
    new_secret = "plain-new-secret"
    notifier = _notifier(receiver.url, secret=[SECRET, new_secret])
    notifier.deliver(_notification())
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(SECRET).verify(request.body, request.headers)["alert"] == "feature-drift"
    assert Webhook(new_secret.encode()).verify(request.body, request.headers)["value"] == 0.42


def test_without_secret_no_signature_header(receiver: Receiver) -> None:
    """With no secret the message is sent with id and timestamp but unsigned."""
    _notifier(receiver.url, secret=None).deliver(_notification())
    [request] = receiver.requests
    assert "webhook-signature" not in {k.lower() for k in request.headers}
    assert json.loads(request.body)["status"] == "firing"


def test_server_error_is_retryable_then_success(receiver: Receiver) -> None:
    """A 500 raises a retryable error naming host and status; the next attempt succeeds."""
    receiver.script = [Reply(500)]
    notifier = _notifier(receiver.url + "/secret-path")
    with pytest.raises(NotifierError) as info:
        notifier.deliver(_notification())
    assert info.value.retryable and info.value.retry_after is None
    assert f"127.0.0.1:{receiver.port}" in str(info.value) and "HTTP 500" in str(info.value)
    assert "secret-path" not in str(info.value)
    notifier.deliver(_notification())
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]


def test_too_many_requests_carries_retry_after_seconds(receiver: Receiver) -> None:
    """A 429 with Retry-After: 30 raises a retryable error with retry_after=30."""
    receiver.script = [Reply(429, {"Retry-After": "30"})]
    with pytest.raises(NotifierError) as info:
        _notifier(receiver.url).deliver(_notification())
    assert info.value.retryable and info.value.retry_after == 30.0
    assert "HTTP 429" in str(info.value)


def test_service_unavailable_retry_after_http_date(receiver: Receiver) -> None:
    """A 503 with Retry-After as an HTTP date gives the seconds until that date."""
    notifier = WebhookNotifier(
        WebhookNotifier.Config(type="webhook", url=receiver.url), clock=lambda: 1_800_000_000.0
    )
    when = datetime.fromtimestamp(1_800_000_120, tz=UTC)
    receiver.script = [Reply(503, {"Retry-After": format_datetime(when, usegmt=True)})]
    with pytest.raises(NotifierError) as info:
        notifier.deliver(_notification())
    assert info.value.retryable and info.value.retry_after == 120.0


def test_bad_request_is_not_retryable(receiver: Receiver) -> None:
    """A 400 is final: the error is not retryable and says the receiver rejected it."""
    receiver.script = [Reply(400)]
    with pytest.raises(NotifierError) as info:
        _notifier(receiver.url).deliver(_notification())
    assert not info.value.retryable
    assert "HTTP 400" in str(info.value) and "rejected" in str(info.value)


def test_redirect_is_not_followed(receiver: Receiver) -> None:
    """A 301 is reported (not followed, which would turn the POST into a GET)."""
    receiver.script = [Reply(301, {"Location": "http://127.0.0.1:1/elsewhere"})]
    with pytest.raises(NotifierError, match="redirect") as info:
        _notifier(receiver.url).deliver(_notification())
    assert not info.value.retryable and len(receiver.requests) == 1


def test_timeout_is_retryable(receiver: Receiver) -> None:
    """A receiver slower than the timeout gives a retryable error naming the timeout."""
    receiver.script = [Reply(200, delay=1.0)]
    started = time.monotonic()
    with pytest.raises(NotifierError, match=r"no answer within 0\.2s") as info:
        _notifier(receiver.url, timeout=0.2).deliver(_notification())
    assert info.value.retryable
    assert time.monotonic() - started < 0.9


def test_connection_refused_is_retryable_and_hides_the_path(stopped_receiver: Receiver) -> None:
    """A closed port gives a retryable error without the URL's path, query or secret."""
    url = stopped_receiver.url + "/T000/B000/token-in-path?sig=abc"
    with pytest.raises(NotifierError) as info:
        _notifier(url).deliver(_notification())
    text = str(info.value)
    assert info.value.retryable
    assert f"127.0.0.1:{stopped_receiver.port}" in text
    for leak in ("token-in-path", "sig=abc", "T000", SECRET, "v1,"):
        assert leak not in text
