"""``Retry-After`` headers: how long a server that refused a request asks us to wait.

Both the HTTP source (an API answering 429 or 503) and the notifiers (a
receiver answering 429 or 5xx) honour it.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

__all__ = ["parse_retry_after"]


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Return the wait a ``Retry-After`` header asks for, in seconds (None when absent or bad).

    The header is either a number of seconds or an HTTP date.

    >>> parse_retry_after("120", now=0.0)
    120.0
    >>> parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", now=30.0)
    30.0
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # HTTP dates are GMT by definition
        return None
    return max(0.0, moment.timestamp() - now)
