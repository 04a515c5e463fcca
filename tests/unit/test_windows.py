"""Window arithmetic: alignment, delay, catch-up order and bounds."""

from datetime import UTC, datetime, timedelta

import pytest

from monitor.windows import Window, align, complete_windows, latest_complete_window

H = timedelta(hours=1)


def t(hour: int, minute: int = 0, day: int = 24) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_align_on_epoch_multiples():
    """Windows align on multiples of their length since the epoch."""
    assert align(t(10, 40), timedelta(minutes=15)) == t(10, 30)
    assert align(t(10, 0), H) == t(10)
    assert align(t(23, 59), timedelta(days=1)) == t(0)


def test_latest_complete_window_waits_for_delay():
    """A window is complete only once its end plus the delay has passed."""
    assert latest_complete_window(t(11, 4), H, timedelta(minutes=5)) == Window(t(9), t(10))
    assert latest_complete_window(t(11, 5), H, timedelta(minutes=5)) == Window(t(10), t(11))


def test_new_monitor_gets_only_latest_window():
    """With no watermark only the latest complete window is due."""
    assert complete_windows(t(12, 30), H, timedelta(0), after=None, limit=10) == [
        Window(t(11), t(12))]


def test_catch_up_is_ordered_and_bounded():
    """After downtime windows come oldest first, at most `limit` per call."""
    due = complete_windows(t(12, 30), H, timedelta(0), after=t(6), limit=3)
    assert due == [Window(t(6), t(7)), Window(t(7), t(8)), Window(t(8), t(9))]
    rest = complete_windows(t(12, 30), H, timedelta(0), after=t(9), limit=10)
    assert [w.start for w in rest] == [t(9), t(10), t(11)]


def test_nothing_due_when_up_to_date():
    """A monitor whose watermark is the latest window end has nothing to do."""
    assert complete_windows(t(12, 30), H, timedelta(0), after=t(12), limit=5) == []


def test_unaligned_watermark_restarts_at_next_boundary():
    """A watermark off the grid (window length changed) resumes at the next boundary."""
    due = complete_windows(t(12, 30), H, timedelta(0), after=t(9, 30), limit=5)
    assert [w.start for w in due] == [t(10), t(11)]


def test_naive_datetimes_rejected():
    """Naive datetimes are refused rather than guessed."""
    with pytest.raises(ValueError, match="timezone-aware"):
        align(datetime(2026, 1, 1), H)


def test_window_str_is_iso_utc():
    """Windows print as half-open ISO intervals in UTC."""
    assert str(Window(t(9), t(10))) == "[2026-11-24T09:00:00Z, 2026-11-24T10:00:00Z)"
