"""Window arithmetic: alignment, delay, catch-up order and bounds."""

from datetime import UTC, datetime, timedelta

import pytest

from monitor.windows import Window, align, due_windows, latest_complete_window

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


def done(*hours: int) -> list[Window]:
    """Finished one-hour windows starting at these hours."""
    return [Window(t(h), t(h + 1)) for h in hours]


def test_new_monitor_gets_only_latest_window():
    """With nothing finished only the latest complete window is due."""
    assert due_windows(t(12, 30), H, timedelta(0), finished=[], limit=10) == [
        Window(t(11), t(12))]


def test_catch_up_is_ordered_and_bounded():
    """After downtime windows come oldest first, at most `limit` per call."""
    due = due_windows(t(12, 30), H, timedelta(0), finished=done(5), limit=3)
    assert due == [Window(t(6), t(7)), Window(t(7), t(8)), Window(t(8), t(9))]
    rest = due_windows(t(12, 30), H, timedelta(0), finished=done(5, 6, 7, 8), limit=10)
    assert [w.start for w in rest] == [t(9), t(10), t(11)]


def test_nothing_due_when_up_to_date():
    """A monitor whose newest finished window is the latest complete one has nothing to do."""
    assert due_windows(t(12, 30), H, timedelta(0), finished=done(10, 11), limit=5) == []


def test_gaps_are_filled_before_newer_windows():
    """A window skipped (a later one ran first) is due again, oldest first."""
    due = due_windows(t(12, 30), H, timedelta(0), finished=done(6, 7, 9, 11), limit=5)
    assert [w.start for w in due] == [t(8), t(10)]


def test_windows_of_another_length_are_ignored():
    """After the window length changed, old runs do not count; the latest window is due."""
    old = [Window(t(9, 30), t(10))]
    assert due_windows(t(12, 30), H, timedelta(0), finished=old, limit=5) == [
        Window(t(11), t(12))]


def test_delay_holds_back_the_newest_window():
    """The window whose end plus the delay has not passed is not due yet."""
    due = due_windows(t(12, 3), H, timedelta(minutes=5), finished=done(9), limit=5)
    assert [w.start for w in due] == [t(10)]


def test_naive_datetimes_rejected():
    """Naive datetimes are refused rather than guessed."""
    with pytest.raises(ValueError, match="timezone-aware"):
        align(datetime(2026, 1, 1), H)


def test_window_str_is_iso_utc():
    """Windows print as half-open ISO intervals in UTC."""
    assert str(Window(t(9), t(10))) == "[2026-11-24T09:00:00Z, 2026-11-24T10:00:00Z)"


def test_failed_windows_are_due_again():
    """A window that ran and failed stays due, even a new monitor's first one."""
    failed = [Window(t(9), t(10))]
    due = due_windows(t(12, 30), H, timedelta(0), finished=[], tried=failed, limit=5)
    assert [w.start for w in due] == [t(9), t(10), t(11)]
