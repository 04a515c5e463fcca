"""Which time partitions a window covers."""

from datetime import UTC, datetime

from monitor.sources.files import partition_values


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_hourly_partitions_of_a_window():
    """An hour window covers one date and one hour value; the end is excluded."""
    assert partition_values(t(24, 10), t(24, 11), {"date": "%Y-%m-%d", "hour": "%H"}) == {
        "date": ["2026-11-24"], "hour": ["10"]}


def test_window_inside_a_partition_unit_still_covers_it():
    """A 15-minute window inside an hour partition keeps that hour."""
    assert partition_values(t(24, 10, 15), t(24, 10, 30), {"hour": "%Y%m%d%H"}) == {
        "hour": ["2026112410"]}


def test_daily_partitions_across_days():
    """A window over midnight covers both days."""
    assert partition_values(t(24, 22), t(26, 1), {"day": "%Y-%m-%d"}) == {
        "day": ["2026-11-24", "2026-11-25", "2026-11-26"]}


def test_too_many_partitions_are_not_pruned():
    """A window covering more than 100,000 partition steps is read unpruned."""
    assert partition_values(datetime(2000, 1, 1, tzinfo=UTC), t(24, 0),
                            {"minute": "%Y%m%d%H%M"}) is None
