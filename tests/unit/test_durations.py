"""Duration parsing and formatting."""

from datetime import timedelta

import pytest

from monitor.times import format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("15m", 900), ("1h", 3600), ("2d", 172800), ("1w", 604800), ("1h30m", 5400),
])
def test_parse(text, seconds):
    """Each unit and combinations parse to the right number of seconds."""
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "15", "m", "1x", "1.5h", "-5m", "1h 30m", "h1"])
def test_parse_rejects(text):
    """Malformed durations are rejected with a message showing examples."""
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_format_round_trips():
    """format_duration writes what parse_duration reads."""
    for seconds in (0, 45, 900, 5400, 90061):
        delta = timedelta(seconds=seconds)
        assert parse_duration(format_duration(delta)) == delta
