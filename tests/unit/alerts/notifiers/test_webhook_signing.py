"""Standard Webhooks signatures and the webhook notifier's configuration checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from monitor.alerts.notifiers.base import NotifierConfig
from monitor.alerts.notifiers.webhook import (
    WebhookNotifier,
    parse_retry_after,
    secret_key,
    sign,
)

BODY = b'{"version":"1","status":"firing","alert":"feature-drift"}'
WHSEC = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
MSG_ID = "5f2b0c1e9a7d4c3b8e6f1a2b3c4d5e6f"


def _headers(timestamp: int, signature: str) -> dict[str, str]:
    """The three Standard Webhooks headers for BODY."""
    return {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def test_whsec_signature_verifies_with_standardwebhooks() -> None:
    """A whsec_ secret yields a signature the reference library accepts."""
    now = int(time.time())
    signature = sign(MSG_ID, now, BODY, WHSEC)
    assert Webhook(WHSEC).verify(BODY, _headers(now, signature)) == {
        "version": "1", "status": "firing", "alert": "feature-drift",
    }


def test_tampered_body_fails_verification() -> None:
    """Changing one byte of the body breaks the signature."""
    now = int(time.time())
    signature = sign(MSG_ID, now, BODY, WHSEC)
    with pytest.raises(WebhookVerificationError):
        Webhook(WHSEC).verify(BODY.replace(b"firing", b"resolv"), _headers(now, signature))


def test_plain_secret_is_used_as_utf8_bytes() -> None:
    """A secret without the whsec_ prefix is its UTF-8 bytes as the HMAC key."""
    secret = "s3cret-ünïcode"
    signature = sign(MSG_ID, 1_700_000_000, BODY, secret)
    expected = hmac.new(
        secret.encode("utf-8"), f"{MSG_ID}.1700000000.".encode() + BODY, hashlib.sha256
    ).digest()
    assert signature == "v1," + base64.b64encode(expected).decode()
    now = int(time.time())
    headers = _headers(now, sign(MSG_ID, now, BODY, secret))
    verified = Webhook(secret.encode("utf-8")).verify(BODY, headers)
    assert verified["status"] == "firing"


def test_rotation_gives_one_signature_per_secret() -> None:
    """With two secrets the header holds two signatures, and each secret verifies alone."""
    old_secret = WHSEC
    new_secret = "whsec_" + base64.b64encode(b"another key of thirty-two bytes!").decode()
    now = int(time.time())
    header = sign(MSG_ID, now, BODY, [old_secret, new_secret])
    parts = header.split(" ")
    assert len(parts) == 2 and all(p.startswith("v1,") for p in parts)
    for secret in (old_secret, new_secret):
        assert Webhook(secret).verify(BODY, _headers(now, header))["alert"] == "feature-drift"
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"x" * 32).decode()).verify(BODY, _headers(now, header))


def test_secret_key_decodes_whsec_and_rejects_bad_base64() -> None:
    """whsec_ secrets decode to their key bytes; bad base64 is refused without echoing it."""
    assert secret_key(WHSEC) == b"0123456789abcdef0123456789abcdef"
    assert secret_key("plain") == b"plain"
    with pytest.raises(ValueError, match="must be base64 after the prefix") as info:
        secret_key("whsec_not*base64!")
    assert "not*base64" not in str(info.value)


def _config(**fields: object) -> WebhookNotifier.Config:
    """Validate a webhook block with the given fields."""
    return WebhookNotifier.Config.model_validate({"type": "webhook", **fields})


def test_config_defaults() -> None:
    """A minimal block gets no secret, no extra headers and a 10 s timeout."""
    config = _config(url="https://hooks.example.com/ml")
    assert (config.secret, config.headers, config.timeout) == (None, {}, 10.0)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("ftp://hooks.example.com/ml", "ftp://hooks.example.com/…"),
        ("hooks.example.com/ml", "hooks.example.com/…"),
        ("https://", "https://"),
        ("http://example.com:port/x", "http://example.com:port/…"),
    ],
)
def test_bad_url_message(url: str, shown: str) -> None:
    """A URL that is not http(s) is refused with the documented message."""
    with pytest.raises(ValidationError) as info:
        _config(url=url)
    assert f"url must be an http:// or https:// URL, got '{shown}'" in str(info.value)


def test_bad_url_message_hides_tokens() -> None:
    """The message quotes neither the userinfo, nor the path, nor the query of the URL."""
    with pytest.raises(ValidationError) as info:
        _config(url="ftp://user:hunter2@hooks.example.com/T123/secret-path?token=abc123")
    text = str(info.value)
    assert "ftp://hooks.example.com/…" in text
    for leak in ("hunter2", "user", "secret-path", "abc123", "token"):
        assert leak not in text


@pytest.mark.parametrize("timeout", [0, -1.5, float("inf")])
def test_non_positive_timeout_is_rejected(timeout: float) -> None:
    """timeout must be a positive, finite number of seconds."""
    with pytest.raises(ValidationError, match="timeout must be a positive number of seconds, got"):
        _config(url="https://hooks.example.com/ml", timeout=timeout)


def test_secret_errors_do_not_echo_the_secret() -> None:
    """A malformed whsec_ secret is refused, and the error never quotes it."""
    with pytest.raises(ValidationError) as info:
        _config(url="https://hooks.example.com/ml", secret=["good", "whsec_%%%hush%%%"])
    assert "must be base64" in str(info.value)
    assert "hush" not in str(info.value) and "good" not in str(info.value)


def test_empty_secret_list_and_unknown_keys_are_rejected() -> None:
    """An empty rotation list and misspelled keys are errors."""
    with pytest.raises(ValidationError, match="secret list is empty"):
        _config(url="https://hooks.example.com/ml", secret=[])
    with pytest.raises(ValidationError, match="secrte"):
        _config(url="https://hooks.example.com/ml", secrte="x")


def test_reserved_headers_are_rejected() -> None:
    """Headers the notifier signs or sets itself cannot be overridden."""
    with pytest.raises(ValidationError, match=r"\['Webhook-Signature'\] are set by the webhook"):
        _config(url="https://hooks.example.com/ml", headers={"Webhook-Signature": "v1,x"})


def test_repr_hides_url_secret_and_headers() -> None:
    """The config's repr, which may reach logs, leaves out url, secret and headers."""
    config = _config(
        url="https://hooks.example.com/T0/token", secret="topsecret",
        headers={"Authorization": "Bearer abc"},
    )
    text = repr(config)
    for leak in ("token", "topsecret", "Bearer"):
        assert leak not in text


def test_notifier_host_and_wrong_config_type() -> None:
    """The notifier names its host without userinfo, and refuses another kind's config."""
    notifier = WebhookNotifier(_config(url="https://u:p@hooks.example.com:8443/x?t=1"))
    try:
        assert notifier.host == "hooks.example.com:8443"
    finally:
        notifier.close()
    with pytest.raises(TypeError, match=r"needs a WebhookNotifier\.Config"):
        WebhookNotifier(NotifierConfig(type="webhook"))


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        ("120", 0.0, 120.0),
        (" 7 ", 0.0, 7.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0, 10.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490.0, 0.0),
        ("soon", 0.0, None),
        ("-5", 0.0, None),
        (None, 0.0, None),
    ],
)
def test_parse_retry_after(value: str | None, now: float, expected: float | None) -> None:
    """Retry-After is read as seconds or as an HTTP date relative to now."""
    assert parse_retry_after(value, now) == expected
