"""The console's pure logic: ranges, downsampling, a monitor's one-word state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.console.series import STATES, downsample, monitor_state, parse_range
from monitor.errors import MonitorError

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def test_presets_and_durations_end_now():
    for name, hours in (("6h", 6), ("24h", 24), ("7d", 168), ("30d", 720), ("90m", 1.5)):
        span = parse_range(name, None, None, NOW)
        assert (span.end, span.end - span.start, span.name) == (NOW, timedelta(hours=hours),
                                                                  name)
    assert parse_range(None, None, None, NOW).name == "24h"


def test_a_custom_range_needs_its_start_before_its_end():
    span = parse_range("7d", "2026-12-01T00:00:00Z", "2026-12-01T06:00:00Z", NOW)
    assert (span.start, span.end, span.name) == (datetime(2026, 12, 1, tzinfo=UTC),
                                                  datetime(2026, 12, 1, 6, tzinfo=UTC), "custom")
    assert parse_range(None, "2026-12-02T00:00:00Z", None, NOW).end == NOW
    with pytest.raises(MonitorError, match="must start before it ends"):
        parse_range(None, "2026-12-02T00:00:00Z", "2026-12-01T00:00:00Z", NOW)


@pytest.mark.parametrize(("preset", "start", "message"), [
    ("yesterday", None, "range 'yesterday'"),
    ("0m", None, "longer than 0"),
    (None, "last tuesday", "'from' time 'last tuesday'"),
])
def test_bad_ranges_say_what_is_wrong(preset, start, message):
    with pytest.raises(MonitorError, match=message):
        parse_range(preset, start, None, NOW)


def test_downsampling_keeps_each_slice_peak():
    items = [(NOW + timedelta(minutes=i), float(i % 10)) for i in range(1000)]
    kept = downsample(items, lambda p: p[0], lambda p: p[1], 50, items[0][0],
                      items[-1][0] + timedelta(minutes=1))
    assert len(kept) == 50
    assert all(value == 9.0 for _, value in kept)  # every slice of 20 holds a 9: the peak stays
    assert kept == sorted(kept)  # still in time order
    few = items[:30]
    assert downsample(few, lambda p: p[0], lambda p: p[1], 50, NOW, NOW + timedelta(hours=1)) \
        == few


def test_downsampling_prefers_numbers_to_missing_values():
    items = [(NOW, float("nan")), (NOW + timedelta(seconds=1), 0.1), (NOW, float("nan"))]
    kept = downsample(items, lambda p: p[0], lambda p: p[1], 1, NOW, NOW + timedelta(hours=1))
    assert kept == [(NOW + timedelta(seconds=1), 0.1)]


@pytest.mark.parametrize(("status", "drift", "alerts", "muted", "state"), [
    ("ok", False, ["firing", "pending"], [False, False], "firing"),
    ("failed", False, ["firing"], [True], "failing"),
    ("ok", True, ["firing"], [True], "silenced"),
    ("ok", True, ["pending", "inactive"], [False, False], "pending"),
    ("ok", True, [], [], "drifting"),
    ("no_data", False, [], [], "no_data"),
    (None, None, [], [], "no_data"),
    ("ok", False, ["inactive"], [False], "ok"),
])
def test_monitor_state(status, drift, alerts, muted, state):
    assert monitor_state(status, drift, alerts, muted) == state
    assert state in STATES
