"""Window filtering of timestamps: what is kept, and every row left out counted by reason."""

from datetime import UTC, datetime

import pandas as pd
import pytest

from monitor.errors import SourceError
from monitor.records import ReadStats
from monitor.sources.readstats import ReadCounter
from monitor.sources.timestamps import filter_window, require_times, to_utc

START = datetime(2026, 11, 24, 10, tzinfo=UTC)
END = datetime(2026, 11, 24, 11, tzinfo=UTC)


def test_rows_left_out_are_counted_by_reason():
    """Outside, unparseable and missing timestamps are each counted; kept rows too."""
    frame = pd.DataFrame({"ts": ["2026-11-24T10:15:00Z", "2026-11-24T09:59:59Z",
                                 "2026-11-24T11:00:00Z", "yesterday", None,
                                 "2026-11-24T10:59:59+00:00"], "x": range(6)})
    counter = ReadCounter()
    kept = filter_window(frame, "ts", START, END, where="test", counter=counter)
    assert list(kept["x"]) == [0, 5]
    stats = counter.stats
    assert (stats.rows, stats.outside_window, stats.unparseable_timestamps,
            stats.missing_timestamps) == (2, 2, 1, 1)
    assert stats.filtered and stats.left_out == 4
    assert stats.newest == datetime(2026, 11, 24, 10, 59, 59, tzinfo=UTC)


def test_counts_add_up_over_chunks():
    """A counter sums its chunks and keeps the newest timestamp seen."""
    counter = ReadCounter()
    counter.add(rows=2, outside_window=1, newest=END)
    counter.add(rows=3, unparseable_timestamps=2, newest=START)
    assert counter.stats == ReadStats(5, 1, 2, 0, 0, False, END)
    counter.reset()
    assert counter.stats == ReadStats()


def test_naive_times_are_utc_and_offsets_converted():
    """Naive timestamps are read as UTC; offsets are converted."""
    stamps = to_utc(pd.Series(["2026-11-24T10:00:00", "2026-11-24T12:00:00+02:00"]))
    assert list(stamps) == [pd.Timestamp("2026-11-24T10:00Z")] * 2


def test_numbers_are_not_times():
    """A numeric timestamp column is an error that says what to do."""
    with pytest.raises(SourceError, match="holds numbers, not times"):
        to_utc(pd.Series([1, 2, 3], name="ts"))


def test_a_column_without_one_time_is_an_error():
    """When no value of the timestamp column is a time, the read fails instead of being empty."""
    with pytest.raises(SourceError, match=r"'ts' of logs.csv holds no readable time \(3 values"):
        require_times(ReadStats(unparseable_timestamps=3), "ts", "logs.csv")
    require_times(ReadStats(rows=1, unparseable_timestamps=3), "ts", "logs.csv")
