"""Links from alert messages to the web console: the page of the run behind each message.

A message's payload is built before its run is stored (the run, its results
and the outbox rows share one transaction), so the run's id is not known
yet. The link names the run by what identifies it, its monitor and window
end, and the console resolves that address to the run's page:
``{public_url}/monitors/{monitor}/windows/{window_end}``. A message that no
run raised (an alert retired with its rule) links to the monitor's page.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from monitor.times import format_time

__all__ = ["monitor_path", "run_link", "window_path"]


def monitor_path(monitor: str) -> str:
    """The console's path of a monitor's page; the name percent-encoded as one segment.

    >>> monitor_path("a/b c")
    '/monitors/a%2Fb%20c'
    """
    return f"/monitors/{quote(monitor, safe='')}"


def window_path(monitor: str, window_end: datetime) -> str:
    """The console's path that resolves to the run of ``monitor`` ending at ``window_end``.

    Raises:
        ValueError: ``window_end`` is naive (its time zone is unknown).
    """
    return f"{monitor_path(monitor)}/windows/{format_time(window_end)}"


def run_link(public_url: str | None, monitor: str, window_end: datetime | None) -> str | None:
    """The console address of a monitor's run ending at ``window_end``; None without a console.

    The monitor's name is percent-encoded whole (a ``/`` in it stays inside
    one path segment); the window end is ISO 8601 UTC with ``Z``. With
    ``window_end`` None the link is the monitor's page.

    >>> from datetime import UTC
    >>> run_link("https://monitor.example.com/", "credit scoring",
    ...          datetime(2026, 12, 2, 6, tzinfo=UTC))
    'https://monitor.example.com/monitors/credit%20scoring/windows/2026-12-02T06:00:00Z'
    >>> run_link("http://127.0.0.1:9108", "a/b", None)
    'http://127.0.0.1:9108/monitors/a%2Fb'
    >>> run_link(None, "credit", None) is None
    True

    Raises:
        ValueError: ``window_end`` is naive (its time zone is unknown).
    """
    if public_url is None:
        return None
    path = monitor_path(monitor) if window_end is None else window_path(monitor, window_end)
    return public_url.rstrip("/") + path
