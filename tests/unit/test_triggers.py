"""Schedules: exact periods, ticks spread by the jitter without drifting."""

import itertools
from datetime import UTC, datetime, timedelta

from monitor.daemon.triggers import trigger_for
from monitor.rules.schema import MonitorSpec

NOW = datetime(2026, 11, 26, 10, 0, 7, tzinfo=UTC)


def spec(name: str, schedule: dict) -> MonitorSpec:
    """A minimal monitor with the given schedule."""
    return MonitorSpec.model_validate({
        "name": name, "schedule": schedule, "window": "1h",
        "source": {"type": "file", "path": "x.parquet", "timestamp": "t"},
        "reference": {"path": "r.parquet"},
    })


def fire_times(trigger, n: int) -> list[datetime]:
    times, previous = [], None
    for _ in range(n):
        previous = trigger.get_next_fire_time(previous, previous or NOW)
        times.append(previous)
    return times


def test_interval_ticks_keep_their_period_with_jitter():
    """With jitter, every tick is exactly `every` after the one before."""
    times = fire_times(trigger_for(spec("a", {"every": "1m"}), jitter=30), 50)
    assert {b - a for a, b in itertools.pairwise(times)} == {timedelta(minutes=1)}


def test_jitter_spreads_monitors_over_its_range():
    """Monitors' first ticks land at offsets spread within [0, jitter) of the grid."""
    offsets = []
    for i in range(200):
        first = trigger_for(spec(f"m{i}", {"every": "1m"}), jitter=30).get_next_fire_time(None,
                                                                                          NOW)
        offsets.append((first - NOW.replace(second=0)).total_seconds() % 60)
    assert all(0 <= o < 30 for o in offsets)
    assert min(offsets) < 3 and max(offsets) > 27  # spread over the range, not bunched


def test_without_jitter_ticks_fall_on_the_grid():
    """Without jitter an interval schedule ticks on multiples of its period."""
    first = trigger_for(spec("a", {"every": "15m"})).get_next_fire_time(None, NOW)
    assert first == datetime(2026, 11, 26, 10, 15, tzinfo=UTC)


def test_cron_schedules_in_utc():
    """A cron schedule is read in UTC."""
    first = trigger_for(spec("a", {"cron": "30 * * * *"})).get_next_fire_time(None, NOW)
    assert first == datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
