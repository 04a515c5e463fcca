"""Console links of alert messages: one address per run, names encoded, None without a console."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

import pytest

from monitor.alerts.links import run_link

END = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("public_url", [
    "https://monitor.example.com", "https://monitor.example.com/",
    "https://monitor.example.com//",
])
def test_trailing_slashes_do_not_double(public_url: str) -> None:
    """With or without trailing slashes the link is the same address."""
    assert run_link(public_url, "credit-scoring", END) == (
        "https://monitor.example.com/monitors/credit-scoring/windows/2026-12-02T06:00:00Z")


def test_loopback_address_with_port_and_path_prefix() -> None:
    """A port and a path prefix (a console behind a proxy) are kept as they are."""
    assert run_link("http://127.0.0.1:9108", "m", END) == (
        "http://127.0.0.1:9108/monitors/m/windows/2026-12-02T06:00:00Z")
    assert run_link("https://ops.example.com/ml-monitor/", "m", END) == (
        "https://ops.example.com/ml-monitor/monitors/m/windows/2026-12-02T06:00:00Z")


@pytest.mark.parametrize(("name", "encoded"), [
    ("credit scoring", "credit%20scoring"),
    ("team/credit", "team%2Fcredit"),
    ("crédit-✓", "cr%C3%A9dit-%E2%9C%93"),
    ("a?b#c%d&e", "a%3Fb%23c%25d%26e"),
])
def test_monitor_name_is_one_encoded_path_segment(name: str, encoded: str) -> None:
    """Spaces, slashes, unicode and URL syntax in a name stay inside one segment and decode back."""
    link = run_link("https://m.example", name, END)
    assert link == f"https://m.example/monitors/{encoded}/windows/2026-12-02T06:00:00Z"
    segments = urlsplit(link).path.split("/")
    assert len(segments) == 5 and unquote(segments[2]) == name


def test_window_end_is_utc_with_z_whatever_its_zone() -> None:
    """A window end given in another zone names the same instant in UTC, with Z."""
    paris = END.astimezone(timezone(timedelta(hours=1)))
    assert run_link("https://m.example", "m", paris) == run_link("https://m.example", "m", END)
    with pytest.raises(ValueError, match="no time zone"):
        run_link("https://m.example", "m", datetime(2026, 12, 2, 6))


def test_without_window_the_link_is_the_monitor_page() -> None:
    """A message no run raised links to its monitor's page."""
    assert run_link("https://m.example/", "team/credit", None) == (
        "https://m.example/monitors/team%2Fcredit")


def test_no_console_no_link() -> None:
    """Without a public URL there is no link, with or without a window."""
    assert run_link(None, "credit", END) is None
    assert run_link(None, "credit", None) is None
