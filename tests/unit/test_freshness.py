"""Volume, staleness and read checks: plain numbers in, quality results out."""

import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from monitor.analysis.freshness import (
    VolumeOptions,
    check_staleness,
    check_volume,
    expected_rows,
    read_results,
)
from monitor.records import ReadStats

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def test_expected_rows_is_the_median_of_recent_windows():
    """The expected volume is the median of the last `history` windows, newest first."""
    options = VolumeOptions(history=5)
    assert expected_rows([100, 120, 80, 5000, 90, 1, 1, 1], options) == 100.0
    assert expected_rows([100, 120], options) is None  # fewer than three windows
    assert expected_rows([], VolumeOptions(expected=700)) == 700.0


@pytest.mark.parametrize(("rows", "passed", "threshold"), [
    (100, True, 2.0), (99, True, 0.5), (49, False, 0.5), (50, True, 0.5), (200, True, 2.0),
    (201, False, 2.0),
])
def test_volume_too_few_or_too_many(rows, passed, threshold):
    """Rows below min or above max times the expected rows fail; the bound crossed is shown."""
    result = check_volume(rows, 100.0, VolumeOptions(min_ratio=0.5, max_ratio=2.0))
    assert result is not None and result.check == "volume_ratio"
    assert result.value == pytest.approx(rows / 100)
    assert (result.passed, result.threshold) == (passed, threshold)


def test_volume_without_upper_bound_or_expectation():
    """No max: only too few fails. Nothing expected yet: no result."""
    assert check_volume(10_000, 100.0, VolumeOptions(max_ratio=None)).passed
    assert check_volume(5, None, VolumeOptions()) is None
    assert check_volume(0, 0.0, VolumeOptions()).passed  # expected nothing, got nothing


def test_volume_options_reject_inverted_bounds():
    """max below min is a clear error."""
    with pytest.raises(ValueError, match="max_ratio"):
        VolumeOptions(min_ratio=2.0, max_ratio=1.0)


def test_staleness_of_newest_row():
    """Staleness is run time minus the newest row; future rows count as fresh; none is inf."""
    limit = timedelta(hours=2)
    fresh = check_staleness(NOW, NOW - timedelta(minutes=90), limit)
    assert (fresh.value, fresh.threshold, fresh.passed) == (5400.0, 7200.0, True)
    assert not check_staleness(NOW, NOW - timedelta(hours=3), limit).passed
    assert check_staleness(NOW, NOW + timedelta(minutes=5), limit).value == 0.0
    missing = check_staleness(NOW, None, limit)
    assert math.isinf(missing.value) and not missing.passed


def test_read_results_only_for_rows_left_out():
    """Rows outside the window are reported and pass; unplaceable rows fail; zeros are silent."""
    assert read_results(ReadStats(rows=10)) == []
    results = {r.check: r for r in read_results(ReadStats(
        rows=10, outside_window=5, unparseable_timestamps=2, unreadable_records=1))}
    assert set(results) == {"outside_window_rows", "unparseable_timestamp_rows",
                            "unreadable_records"}
    assert results["outside_window_rows"].passed and results["outside_window_rows"].value == 5
    assert not results["unparseable_timestamp_rows"].passed
    assert results["unreadable_records"].threshold == 0.0


@pytest.mark.parametrize("module", ["monitor.analysis.freshness", "monitor.windows"])
def test_pure_modules_import_no_io(module):
    """The volume/staleness checks and window arithmetic pull in no database or HTTP client."""
    code = (f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy', 'requests') or m.startswith('monitor.store')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
