"""Waiting before trying again: exponential backoff, and the ``Retry-After`` a server asks for.

Three things retry: a failed window (the runner), an undelivered message (the
outbox dispatcher) and a refused HTTP request (the HTTP source). Each adds its
own jitter and limits around the one backoff computed here; the HTTP source
and the notifiers also honour a server's ``Retry-After``.
"""

from __future__ import annotations

import math
import threading
from email.utils import parsedate_to_datetime

from monitor.errors import Interrupted

__all__ = ["backoff_seconds", "parse_retry_after", "pause"]


def pause(seconds: float, stop: threading.Event | None) -> None:
    """Wait ``seconds``, or raise ``Interrupted`` as soon as ``stop`` is set.

    Every wait inside a run goes through here, so a daemon told to stop never
    sleeps through its grace period.
    """
    if stop is None:
        stop = threading.Event()
    if stop.wait(max(0.0, seconds)):
        raise Interrupted


def backoff_seconds(attempt: int, initial: float, cap: float, factor: float = 2.0) -> float:
    """The wait before retry number ``attempt`` (1 for the first): ``initial × factor^(attempt-1)``.

    Never more than ``cap``, and never an overflow, however many attempts.

    >>> [backoff_seconds(n, 30.0, 1800.0) for n in (1, 2, 3, 8, 10_000)]
    [30.0, 60.0, 120.0, 1800.0, 1800.0]
    """
    if initial <= 0:
        return 0.0
    exponent = max(attempt - 1, 0)
    # Compare logarithms first: factor ** exponent overflows long before attempts run out.
    if factor > 1 and exponent * math.log(factor) >= math.log(cap / initial):
        return cap
    return min(initial * factor**exponent, cap)


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
