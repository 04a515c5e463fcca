"""Log lines: run context, JSON format, and secrets masked whatever the message."""

import json
import logging

import pytest

from monitor.daemon.logs import Redactor, bind_run, configure_logging


@pytest.mark.parametrize(("text", "secret", "kept"), [
    ("cannot connect to postgresql+psycopg://ml:pa55word@db:5432/x", "pa55word", "ml:***@db"),
    ("signing with whsec_c2VjcmV0LWtleS1ieXRlcw==", "c2VjcmV0", "whsec_***"),
    ("GET https://api.example.com/v1?page=2&token=abcdef123&x=1", "abcdef123", "token=***&x=1"),
    ("header Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x.y", "eyJhbGci", "Bearer ***"),
    ("posting to https://hooks.slack.com/services/T000/B000/XXXXYYYY", "T000/B000",
     "hooks.slack.com/services/***"),
])
def test_patterns_mask_secrets(text, secret, kept):
    """URL passwords, whsec_ secrets, token parameters, bearer tokens, Slack URLs are masked."""
    masked = Redactor()(text)
    assert secret not in masked and kept in masked


def test_values_of_secret_variables_are_masked_anywhere():
    """Values of variables named like secrets are masked; others are left alone."""
    redact = Redactor.from_environment({"OPS_WEBHOOK_SECRET": "s3cr3t-value",
                                        "PD_ROUTING_KEY": "R0UT1NGKEY", "HOME": "/root"})
    masked = redact("secret s3cr3t-value, key R0UT1NGKEY, home /root")
    assert masked == "secret ***, key ***, home /root"


def test_short_values_are_not_masked():
    """Values under six characters would mask ordinary words: they are skipped."""
    assert Redactor(["abc"])("abc def") == "abc def"


def test_text_lines_carry_context_and_are_redacted(capsys):
    """Text lines end with the bound run context; secrets in messages are masked."""
    configure_logging("text", "INFO", Redactor(["hunter2-secret"]))
    with bind_run(monitor="credit", window="[a, b)"):
        logging.getLogger("monitor.test").info("password is %s", "hunter2-secret")
    line = capsys.readouterr().err.strip()
    assert line.endswith("password is *** monitor=credit window=[a, b)")


def test_json_lines_are_one_object_each(capsys):
    """JSON lines hold time, level, logger, message and the context as fields."""
    configure_logging("json", "INFO")
    with bind_run(monitor="credit", run_id=7):
        logging.getLogger("monitor.test").warning("late rows: %d", 3)
    event = json.loads(capsys.readouterr().err.strip())
    assert event["level"] == "warning" and event["logger"] == "monitor.test"
    assert event["message"] == "late rows: 3"
    assert event["monitor"] == "credit" and event["run_id"] == "7"
    assert event["time"].endswith("+00:00")


def test_exceptions_are_redacted_too(capsys):
    """A traceback quoting a URL with a password is masked as well."""
    configure_logging("json", "INFO")
    try:
        raise RuntimeError("connect failed: postgresql://u:topsecretpw@h/db")
    except RuntimeError:
        logging.getLogger("monitor.test").exception("boom")
    assert "topsecretpw" not in capsys.readouterr().err


@pytest.mark.parametrize("secret", ['pa"ss\\word-42', "pässwört-secret", "tab\tsecret-99"])
def test_json_fields_are_redacted_before_they_are_encoded(capsys, secret):
    """A secret that JSON escapes (quotes, backslashes, non-ASCII, tabs) is still masked."""
    configure_logging("json", "INFO", Redactor([secret]))
    with bind_run(monitor="credit", source=f"db with {secret}"):
        try:
            raise RuntimeError(f"login refused for {secret}")
        except RuntimeError:
            logging.getLogger("monitor.test").exception("connecting with %s failed", secret)
    line = capsys.readouterr().err.strip()
    event = json.loads(line)
    assert secret not in json.dumps(event) and secret not in line
    assert json.dumps(secret)[1:-1] not in line  # nor its escaped form
    assert event["message"] == "connecting with *** failed"
    assert event["source"] == "db with ***" and "***" in event["exception"]
