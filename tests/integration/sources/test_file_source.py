"""The file source on real CSV, JSONL and Parquet files."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from monitor.errors import SourceError
from monitor.sources.files import FileSource

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 24, 10, tzinfo=UTC)
END = datetime(2026, 11, 24, 11, tzinfo=UTC)


def logs(n: int = 120) -> pd.DataFrame:
    """Rows every minute from 09:00 for two hours, with a value and a category."""
    stamps = pd.date_range("2026-11-24T09:00:00Z", periods=n, freq="1min")
    return pd.DataFrame({"ts": stamps, "x": range(n), "c": ["a", "b"] * (n // 2)})


def read(path, fmt="auto", start=START, end=END, **extra) -> pd.DataFrame:
    source = FileSource(FileSource.Config(path=str(path), format=fmt, timestamp="ts", **extra))
    chunks = list(source.read(start, end))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_window_rows_in_each_format(tmp_path, fmt):
    """Each format yields exactly the rows in [start, end)."""
    path = tmp_path / f"logs.{fmt}"
    frame = logs()
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "jsonl":
        frame.assign(ts=frame.ts.astype(str)).to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path, index=False)
    got = read(path)
    assert list(got["x"]) == list(range(60, 120))


def test_glob_of_parquet_files_with_small_chunks(tmp_path):
    """A glob reads every matching file; chunks never exceed chunk_size."""
    frame = logs(240)
    for i in range(4):
        frame.iloc[i * 60:(i + 1) * 60].to_parquet(tmp_path / f"part-{i}.parquet", index=False)
    source = FileSource(FileSource.Config(path=str(tmp_path / "*.parquet"), timestamp="ts",
                                          chunk_size=25))
    chunks = list(source.read(START, END))
    assert max(len(c) for c in chunks) <= 25
    assert sorted(pd.concat(chunks)["x"]) == list(range(60, 120))


def test_naive_parquet_timestamps_are_utc(tmp_path):
    """Naive timestamps are read as UTC, also when pushed down to Parquet."""
    frame = logs()
    frame["ts"] = frame["ts"].dt.tz_localize(None)
    frame.to_parquet(tmp_path / "naive.parquet", index=False)
    assert list(read(tmp_path / "naive.parquet")["x"]) == list(range(60, 120))


def test_string_timestamps_with_garbage_are_left_out(tmp_path, caplog):
    """Unreadable timestamps are dropped from the window and counted in the log."""
    frame = logs().assign(ts=lambda f: f.ts.astype(str))
    frame.loc[70, "ts"] = "not a time"
    frame.to_csv(tmp_path / "logs.csv", index=False)
    got = read(tmp_path / "logs.csv")
    assert len(got) == 59 and 70 not in set(got["x"])
    assert "1 rows" in caplog.text and "not a time" in caplog.text


def test_relative_path_resolves_against_base_dir(tmp_path):
    """Relative paths start at the rule file's folder, not the working directory."""
    (tmp_path / "data").mkdir()
    logs().to_parquet(tmp_path / "data" / "logs.parquet", index=False)
    source = FileSource(FileSource.Config(path="data/logs.parquet", timestamp="ts"),
                        base_dir=tmp_path)
    assert sum(len(c) for c in source.read(START, END)) == 60


def test_read_everything_without_window(tmp_path):
    """Without a window every row is read, and no timestamp column is needed."""
    logs().drop(columns="ts").to_csv(tmp_path / "all.csv", index=False)
    source = FileSource(FileSource.Config(path=str(tmp_path / "all.csv")))
    assert sum(len(c) for c in source.read()) == 120


@pytest.mark.parametrize(("setup", "message"), [
    (lambda p: None, "file not found"),
    (lambda p: (p / "bad.parquet").write_bytes(b"this is not parquet"), "cannot read parquet"),
])
def test_missing_or_corrupt_file(tmp_path, setup, message):
    """A missing or corrupt file is a SourceError naming the file."""
    setup(tmp_path)
    with pytest.raises(SourceError, match=message) as info:
        read(tmp_path / "bad.parquet")
    assert "bad.parquet" in str(info.value)


def test_glob_matching_nothing(tmp_path):
    """A glob that matches no file says so."""
    with pytest.raises(SourceError, match="no files match"):
        read(tmp_path / "*.parquet")


def test_missing_timestamp_column(tmp_path):
    """A timestamp column that is not in the file is named with the file's columns."""
    logs().rename(columns={"ts": "time"}).to_parquet(tmp_path / "l.parquet", index=False)
    with pytest.raises(SourceError, match=r"timestamp column 'ts' is not in .*time, x, c"):
        read(tmp_path / "l.parquet")


def test_numeric_timestamp_column_is_refused(tmp_path):
    """A timestamp column holding plain numbers is an error, not a silent epoch guess."""
    logs().assign(ts=range(120)).to_csv(tmp_path / "n.csv", index=False)
    with pytest.raises(SourceError, match="holds numbers"):
        read(tmp_path / "n.csv")


def test_unknown_suffix(tmp_path):
    """A file whose format cannot be told from its name asks for an explicit format."""
    (tmp_path / "logs.txt").write_text("a,b\n1,2\n")
    with pytest.raises(SourceError, match="cannot tell the format"):
        read(tmp_path / "logs.txt")


def test_rows_left_out_are_counted(tmp_path):
    """A file holding other hours: rows outside the window, bad and missing times are counted."""
    frame = logs().assign(ts=lambda f: f.ts.astype(str))
    frame.loc[70, "ts"] = "not a time"
    frame.loc[71, "ts"] = None
    frame.to_csv(tmp_path / "logs.csv", index=False)
    source = FileSource(FileSource.Config(path=str(tmp_path / "logs.csv"), timestamp="ts"))
    assert sum(len(c) for c in source.read(START, END)) == 58
    stats = source.read_stats()
    assert (stats.rows, stats.outside_window, stats.unparseable_timestamps,
            stats.missing_timestamps) == (58, 60, 1, 1)


def test_a_timestamp_column_without_times_fails(tmp_path):
    """When no value of the timestamp column is a time, the read fails instead of being empty."""
    logs().assign(ts="soon").to_csv(tmp_path / "logs.csv", index=False)
    with pytest.raises(SourceError, match="holds no readable time"):
        read(tmp_path / "logs.csv")


def hive(root, hours=range(8, 12), row_group_size=15):
    """A hive-partitioned dataset: date=YYYY-MM-DD/hour=HH/part.parquet, 60 rows an hour."""
    stamps = pd.date_range("2026-11-24T08:00:00Z", periods=60 * len(hours), freq="1min")
    frame = pd.DataFrame({"ts": stamps, "x": range(len(stamps))})
    for hour in hours:
        part = frame[frame.ts.dt.hour == hour]
        folder = root / "date=2026-11-24" / f"hour={hour:02d}"
        folder.mkdir(parents=True)
        part.to_parquet(folder / "part.parquet", index=False, row_group_size=row_group_size)
    return frame


def test_hive_dataset_reads_only_the_window_partitions_and_row_groups(tmp_path):
    """Partitions outside the window are pruned, and inside, row groups by their statistics."""
    hive(tmp_path / "logs")
    config = FileSource.Config(path="logs", timestamp="ts", partitioning="hive",
                               partitions={"date": "%Y-%m-%d", "hour": "%H"})
    source = FileSource(config, base_dir=tmp_path)
    start, end = START + timedelta(minutes=15), END  # 10:15 to 11:00
    planned = source.plan(start, end)
    assert {str(f.partition_expression) for f in planned} == {
        '((date == "2026-11-24") and (hour == 10))'}
    assert len(planned) == 3  # of the hour's four row groups of 15 rows, 10:00-10:14 is skipped
    frame = pd.concat(source.read(start, end))
    assert list(frame["x"]) == list(range(135, 180))
    assert list(frame.columns) == ["ts", "x"]  # time partition keys are not data
    assert source.read_stats().rows == 45


def test_hive_partition_key_must_exist(tmp_path):
    """A partition key the dataset does not have is named with the dataset's fields."""
    hive(tmp_path / "logs", hours=[10])
    source = FileSource(FileSource.Config(path=str(tmp_path / "logs"), timestamp="ts",
                                          partitioning="hive", partitions={"day": "%Y-%m-%d"}))
    with pytest.raises(SourceError, match=r"partition key 'day'.*ts, x, date, hour"):
        list(source.read(START, END))


def test_newest_row_of_files(tmp_path):
    """newest() finds the latest timestamp at or before now."""
    logs().to_parquet(tmp_path / "logs.parquet", index=False)
    source = FileSource(FileSource.Config(path=str(tmp_path / "logs.parquet"), timestamp="ts"))
    assert source.newest(END + timedelta(hours=1), timedelta(hours=3)) == END - timedelta(
        minutes=1)
    assert source.newest(START + timedelta(seconds=30), timedelta(hours=3)) == START
