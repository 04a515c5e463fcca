"""MONITOR_PUBLIC_URL and MONITOR_CONSOLE_TOKEN: read from the environment, checked, kept secret."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from monitor.settings import CONSOLE_TOKEN_MIN, Settings

TOKEN = "c0nsole-t0ken-Kq83xZ"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither variable leaks in from the shell running the tests."""
    monkeypatch.delenv("MONITOR_PUBLIC_URL", raising=False)
    monkeypatch.delenv("MONITOR_CONSOLE_TOKEN", raising=False)


def _error(**values: str) -> str:
    """The one validation message Settings gives for these values."""
    with pytest.raises(ValidationError) as info:
        Settings(**values)  # type: ignore[arg-type]
    [error] = info.value.errors()
    return str(error["msg"])


def test_both_are_unset_by_default_and_blank_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No console address and no token unless set; `VAR=` in a unit file means unset."""
    settings = Settings()
    assert (settings.public_url, settings.console_token) == (None, None)
    monkeypatch.setenv("MONITOR_PUBLIC_URL", "")
    monkeypatch.setenv("MONITOR_CONSOLE_TOKEN", " ")
    assert (Settings().public_url, Settings().console_token) == (None, None)


@pytest.mark.parametrize("url", [
    "https://monitor.example.com", "http://127.0.0.1:9108/", "https://ops.example.com/monitor",
    "http://[::1]:9108", "HTTPS://Monitor.Example.com",
])
def test_public_url_from_the_environment(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """An http(s) address with a host, optionally a port and a path prefix, is kept as given."""
    monkeypatch.setenv("MONITOR_PUBLIC_URL", url)
    assert Settings().public_url == url


@pytest.mark.parametrize(("url", "problem"), [
    ("monitor.example.com", "the scheme must be http or https, got 'monitor.example.com'"),
    ("ftp://monitor.example.com", "the scheme must be http or https"),
    ("https://", "it has no host"),
    ("https:///monitors", "it has no host"),
    ("https://monitor.example.com/?tab=runs", "it must not have a query (?...) or fragment"),
    ("https://monitor.example.com/#runs", "it must not have a query (?...) or fragment"),
    ("https://monitor.example.com/?", "it must not have a query (?...) or fragment"),
    ("https://monitor.example.com:port", "it is not a valid URL"),
    ("https://monitor example.com", "it holds spaces"),
])
def test_bad_public_url_is_named_with_the_problem(url: str, problem: str) -> None:
    """Each refused address gets one message naming the variable, an example and the problem."""
    message = _error(public_url=url)
    assert "MONITOR_PUBLIC_URL must be the http:// or https:// address of the console" in message
    assert "https://monitor.example.com" in message and problem in message


def test_public_url_with_credentials_is_refused_without_echoing_them() -> None:
    """A user:password in the address would be in every alert: refused, and not repeated."""
    message = _error(public_url="https://admin:hunter2-pass@monitor.example.com")
    assert "must not hold a user or password" in message
    assert "hunter2-pass" not in message and "admin" not in message


def test_console_token_is_read_and_never_shown(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The token is available to the console, but repr, str, dumps and logs show stars."""
    monkeypatch.setenv("MONITOR_CONSOLE_TOKEN", TOKEN)
    settings = Settings()
    assert settings.console_token is not None
    assert settings.console_token.get_secret_value() == TOKEN
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("settings: %s %r", settings, settings)
    shown = [repr(settings), str(settings), str(settings.model_dump()),
             settings.model_dump_json(), caplog.text]
    assert all(TOKEN not in text for text in shown)
    assert "**********" in settings.model_dump_json()


def test_short_console_token_is_refused_without_echoing_it() -> None:
    """A token under the minimum length is refused; neither message nor error shows it."""
    short = "x" * (CONSOLE_TOKEN_MIN - 1)
    with pytest.raises(ValidationError) as info:
        Settings(console_token=short)  # type: ignore[arg-type]
    [error] = info.value.errors()
    assert f"MONITOR_CONSOLE_TOKEN must be at least {CONSOLE_TOKEN_MIN} characters" in error["msg"]
    assert short not in str(info.value)
    assert Settings(console_token="x" * CONSOLE_TOKEN_MIN).console_token is not None  # type: ignore[arg-type]
