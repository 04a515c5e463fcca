"""Retry timing of the HTTP source: backoff with jitter, Retry-After honoured."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from monitor.retry import parse_retry_after
from monitor.sources.http import HttpSource, Pagination, retry_delay


def test_backoff_doubles_with_jitter_up_to_the_cap():
    """Retry n waits between half and all of backoff·2^n, never more than the cap."""
    for attempt in range(8):
        delays = [retry_delay(attempt, 0.5, 10.0, None) for _ in range(200)]
        base = min(10.0, 0.5 * 2**attempt)
        assert base / 2 <= min(delays) and max(delays) <= base
        assert max(delays) - min(delays) > base / 10  # jittered, not constant


def test_retry_after_wins_over_backoff():
    """A Retry-After answer sets the wait, in seconds or as an HTTP date."""
    assert retry_delay(0, 1.0, 60.0, 12.0) == 12.0
    now = datetime.now(UTC)
    assert parse_retry_after("120", now.timestamp()) == 120.0
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert 25 < (parse_retry_after(later, now.timestamp()) or 0) <= 30
    assert parse_retry_after("in a while", 0.0) is None and parse_retry_after("", 0.0) is None


def test_config_checks_url_auth_and_pagination():
    """Bad blocks fail with messages that say what is missing; secrets stay out of reprs."""
    with pytest.raises(ValueError, match="http:// or https:// URL"):
        HttpSource.Config(url="ftp://host/x")
    with pytest.raises(ValueError, match="bearer auth needs 'token'"):
        HttpSource.Config(url="https://h/x", auth={"type": "bearer"})
    with pytest.raises(ValueError, match="needs 'param'"):
        Pagination(type="cursor", path="meta.next")
    config = HttpSource.Config(url="https://h/x?key=s3cret", auth={"type": "bearer",
                                                                   "token": "t0ken"})
    assert "t0ken" not in repr(config.auth)
    assert HttpSource(config).describe() == "https://h/x"
