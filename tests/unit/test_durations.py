"""Duration parsing and formatting."""

from datetime import timedelta

import pytest

from monitor.times import MAX_DURATION, format_duration, parse_duration


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


@pytest.mark.parametrize("text", ["3651d", "522w", "999999999999d", "9" * 5000 + "s",
                                  "99999999999999999999w", "3650d1s"])
def test_parse_rejects_durations_past_the_maximum(text):
    """Durations longer than MAX_DURATION are a ValueError saying so, never an OverflowError."""
    with pytest.raises(ValueError, match=r"is too long: at most 3650d \(about ten years\)"):
        parse_duration(text)


def test_parse_reads_up_to_the_maximum():
    """The maximum itself, however written, is read."""
    assert parse_duration("3650d") == parse_duration("521w3d") == MAX_DURATION
    assert parse_duration("000000000000000000001s") == timedelta(seconds=1)


def test_long_text_is_cut_in_the_message():
    """A long invalid duration is quoted only in part."""
    with pytest.raises(ValueError) as caught:
        parse_duration("x" * 10_000)
    assert len(str(caught.value)) < 200
