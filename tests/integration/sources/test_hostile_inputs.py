"""Hostile inputs at the sources end as a clear SourceError or as values, never a crash.

HTTP cases run against real servers on 127.0.0.1: pytest-httpserver, and a raw
socket server for bodies no HTTP library would send. File cases read real files.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from monitor.analysis import QualityOptions, compare
from monitor.errors import Interrupted, SourceError
from monitor.profiles import ProfileBuilder, build_profile
from monitor.sources.base import ProfileRequest, open_source
from monitor.sources.files import FileSource
from monitor.sources.http import HttpSource
from monitor.sources.sql import SqlSource

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 24, 10, tzinfo=UTC)
END = START + timedelta(hours=1)
HUGE = 10**400
SECRET = "s3cret-key"


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """pytest-httpserver on 127.0.0.1 (not 'localhost', which may be IPv6)."""
    return ("127.0.0.1", 0)


def http_source(server: HTTPServer, **extra: object) -> HttpSource:
    config = {"url": server.url_for("/logs") + f"?key={SECRET}", "retries": 1, "backoff": 0,
              "start_param": None, "end_param": None, **extra}
    return HttpSource(HttpSource.Config(**config))  # type: ignore[arg-type]


def frame_of(chunks: Iterator[pd.DataFrame]) -> pd.DataFrame:
    parts = list(chunks)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def assert_names_the_source(error: pytest.ExceptionInfo[SourceError], server: HTTPServer) -> None:
    message = str(error.value)
    assert f":{server.port}/logs" in message and SECRET not in message
    assert "\n" not in message


@pytest.fixture
def raw_server() -> Iterator[tuple[list[bytes], list[int]]]:
    """A TCP server that answers every connection with ``payload[0]`` and hangs up.

    Yields (payload, [port, connections]): tests set the bytes and read the count.
    """
    payload: list[bytes] = [b""]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    state = [listener.getsockname()[1], 0]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                state[1] += 1
                conn.recv(65536)
                conn.sendall(payload[0])

    threading.Thread(target=serve, daemon=True).start()
    yield payload, state
    listener.close()


def test_body_declared_gzip_but_not_gzip_fails_at_once(httpserver: HTTPServer) -> None:
    """A body that does not decode as its Content-Encoding says: one clear error, no retry."""
    httpserver.expect_request("/logs").respond_with_data(
        b'{"data": []}', content_type="application/json", headers={"Content-Encoding": "gzip"})
    with pytest.raises(SourceError, match="does not decode as its Content-Encoding") as info:
        frame_of(http_source(httpserver).read())
    assert_names_the_source(info, httpserver)
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("payload", [
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    b'20\r\n{"data": [{"x": 1',  # a chunk cut short, then the connection closes
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    b'{"data": [',  # fewer bytes than announced
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    b'zz\r\n{"data": []}\r\n0\r\n\r\n',  # a chunk size that is not hex
], ids=["chunk-cut-short", "content-length-cut-short", "bad-chunk-size"])
def test_body_cut_short_is_retried_then_fails_clearly(
    raw_server: tuple[list[bytes], list[int]], payload: bytes
) -> None:
    """A body that breaks off is a network fault: retried, then a SourceError with the cause."""
    holder, state = raw_server
    holder[0] = payload
    url = f"http://127.0.0.1:{state[0]}/logs?key={SECRET}"
    source = HttpSource(HttpSource.Config(url=url, retries=1, backoff=0))
    with pytest.raises(SourceError, match="after 2 attempts: the answer's body was cut short"
                       ) as info:
        frame_of(source.read())
    assert f"127.0.0.1:{state[0]}/logs" in str(info.value) and SECRET not in str(info.value)
    assert state[1] == 2


def test_json_nested_200000_deep_is_a_source_error(httpserver: HTTPServer) -> None:
    """JSON deeper than the parser can follow fails the read clearly, not with RecursionError."""
    depth = 200_000
    httpserver.expect_request("/logs").respond_with_data(
        "[" * depth + "]" * depth, content_type="application/json")
    with pytest.raises(SourceError, match="page 1 nests JSON arrays or objects deeper") as info:
        frame_of(http_source(httpserver).read())
    assert_names_the_source(info, httpserver)


def test_rows_too_deep_to_flatten_are_a_source_error(httpserver: HTTPServer) -> None:
    """Rows nesting objects deeper than flattening can recurse fail clearly too."""
    row: dict[str, object] = {"x": 1}
    for _ in range(20_000):  # built in Python: no JSON parser would hand this over
        row = {"a": row}
    with pytest.raises(SourceError, match="rows nest objects deeper than can be flattened"):
        list(http_source(httpserver)._frame([row], None, None))


def test_a_400_digit_integer_is_read_as_an_infinity(httpserver: HTTPServer) -> None:
    """Numbers beyond float64 stay numbers: ±inf, out of the reference's range, a finding."""
    body = f'{{"data": [{{"x": 1}}, {{"x": {HUGE}}}, {{"x": -{HUGE}}}, {{"x": 2.5}}]}}'
    httpserver.expect_request("/logs").respond_with_data(body, content_type="application/json")
    current = frame_of(http_source(httpserver).read())
    reference = build_profile([pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})])
    builder = ProfileBuilder(reference=reference)
    builder.update(current)
    profile = builder.build()
    column = profile.columns["x"]
    assert (column.count, column.invalid, column.nonfinite) == (2, 0, 2)
    result = compare(reference, profile, quality=QualityOptions(out_of_range_share_max=0.0))
    [finding] = [q for q in result.quality if q.check == "out_of_range_share"]
    assert (finding.value, finding.passed) == (0.5, False)
    # Without a reference the column is still numeric, not categories of digits.
    alone = build_profile([current]).columns["x"]
    assert (alone.kind, alone.nonfinite) == ("numeric", 2)


def test_a_long_retry_after_is_cut_to_the_setting(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retry-After: 3600 is waited only MONITOR_HTTP_RETRY_AFTER_MAX seconds, then rows come."""
    monkeypatch.setenv("MONITOR_HTTP_RETRY_AFTER_MAX", "0.5")
    httpserver.expect_oneshot_request("/logs").respond_with_data(
        "busy", status=503, headers={"Retry-After": "3600"})
    httpserver.expect_request("/logs").respond_with_json({"data": [{"x": 1}, {"x": 2}]})
    began = time.monotonic()
    frame = frame_of(http_source(httpserver).read())
    elapsed = time.monotonic() - began
    assert list(frame["x"]) == [1, 2]
    assert 0.4 <= elapsed < 60  # waited the capped time, not the hour asked for
    assert len(httpserver.log) == 2


def test_stop_interrupts_a_retry_after_wait_promptly(httpserver: HTTPServer) -> None:
    """A source waiting out a long Retry-After raises Interrupted as soon as stop is set."""
    httpserver.expect_request("/logs").respond_with_data(
        "busy", status=503, headers={"Retry-After": "3600"})
    stop = threading.Event()
    config = http_source(httpserver).config
    source = open_source(config, stop=stop)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            frame_of(source.read())
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)
        else:
            outcome.append(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.02)
    assert httpserver.log, "the source never asked"
    assert reader.is_alive()  # waiting: capped at 300 s by default
    stopped = time.monotonic()
    stop.set()
    reader.join(timeout=60)
    assert not reader.is_alive()
    assert time.monotonic() - stopped < 30
    assert len(outcome) == 1 and isinstance(outcome[0], Interrupted)
    assert len(httpserver.log) == 1


def test_timestamps_in_several_formats_over_http(httpserver: HTTPServer) -> None:
    """Z, +02:00 and naive ISO times are read as UTC; epoch numbers among them are counted."""
    rows = [{"ts": "2026-11-24T10:15:00Z", "x": 1},
            {"ts": "2026-11-24T12:30:00+02:00", "x": 2},
            {"ts": "2026-11-24 10:45:00", "x": 3},
            {"ts": int(START.timestamp()) + 60, "x": 4},
            {"ts": "2026-11-24T09:59:59Z", "x": 5},
            {"ts": None, "x": 6},
            {"ts": "soon", "x": 7}]
    httpserver.expect_request("/logs").respond_with_json({"data": rows})
    source = http_source(httpserver, timestamp="ts")
    frame = frame_of(source.read(START, END))
    assert list(frame["x"]) == [1, 2, 3]
    stats = source.read_stats()
    assert (stats.rows, stats.outside_window, stats.unparseable_timestamps,
            stats.missing_timestamps) == (3, 1, 2, 1)


def test_epoch_number_timestamps_fail_clearly_over_http(httpserver: HTTPServer) -> None:
    """A timestamp field holding only epoch numbers: a SourceError saying what to send."""
    stamp = int(START.timestamp())
    httpserver.expect_request("/logs").respond_with_json(
        {"data": [{"ts": stamp + i, "x": i} for i in range(3)]})
    with pytest.raises(SourceError, match="holds numbers, not times"):
        frame_of(http_source(httpserver, timestamp="ts").read(START, END))


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_csv_400_digit_integers_are_numbers_read_as_infinities(tmp_path: Path) -> None:
    """A CSV numeric column with 400-digit integers profiles as numeric, ±inf counted apart."""
    lines = [str(i) for i in range(10)] + [str(HUGE), f"-{HUGE}"]
    path = write(tmp_path / "big.csv", "x\n" + "\n".join(lines) + "\n")
    source = FileSource(FileSource.Config(path=str(path)))
    alone = build_profile(source.read()).columns["x"]
    assert (alone.kind, alone.count, alone.invalid, alone.nonfinite) == ("numeric", 10, 0, 2)
    reference = build_profile([pd.DataFrame({"x": [float(i) for i in range(10)]})])
    builder = ProfileBuilder(reference=reference)
    for chunk in source.read():
        builder.update(chunk)
    against = builder.build().columns["x"]
    assert (against.count, against.invalid, against.nonfinite) == (10, 0, 2)


def test_csv_timestamps_in_several_formats(tmp_path: Path) -> None:
    """A CSV window over mixed time formats keeps the times in it and counts the rest."""
    text = ("ts,x\n2026-11-24T10:15:00Z,1\n2026-11-24T12:30:00+02:00,2\n2026-11-24 10:45:00,3\n"
            f"{int(START.timestamp()) + 60},4\n2026-11-24T09:59:59Z,5\n,6\nsoon,7\n")
    source = FileSource(FileSource.Config(path=str(write(tmp_path / "t.csv", text)),
                                          timestamp="ts"))
    frame = frame_of(source.read(START, END))
    assert list(frame["x"]) == [1, 2, 3]
    stats = source.read_stats()
    assert (stats.rows, stats.outside_window, stats.unparseable_timestamps,
            stats.missing_timestamps) == (3, 1, 2, 1)


def test_csv_epoch_seconds_timestamp_column_fails_clearly(tmp_path: Path) -> None:
    """A CSV timestamp column of epoch seconds is a SourceError naming the column."""
    stamp = int(START.timestamp())
    path = write(tmp_path / "epoch.csv", "ts,x\n" + "".join(f"{stamp + i},{i}\n"
                                                            for i in range(3)))
    source = FileSource(FileSource.Config(path=str(path), timestamp="ts"))
    with pytest.raises(SourceError, match="timestamp column 'ts' holds numbers, not times"):
        frame_of(source.read(START, END))


def test_csv_timestamps_none_of_them_a_time_fail_clearly(tmp_path: Path) -> None:
    """A timestamp column in which no value is a time fails the read, naming the file."""
    path = write(tmp_path / "words.csv", "ts,x\nsoon,1\nlater,2\n")
    source = FileSource(FileSource.Config(path=str(path), timestamp="ts"))
    with pytest.raises(SourceError, match="holds no readable time") as info:
        frame_of(source.read(START, END))
    assert "words.csv" in str(info.value)


@pytest.mark.postgres
def test_a_numeric_beyond_double_precision_in_postgresql(postgres_schema_url: str) -> None:
    """NUMERIC 10^400: push-down gives way to the rows, where it is ±inf; errors stay short."""
    engine = sa.create_engine(postgres_schema_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE logs (ts timestamptz, x numeric)"))
        conn.execute(sa.text("INSERT INTO logs VALUES (:ts, CAST(:x AS numeric))"), [
            {"ts": START + timedelta(minutes=i), "x": str(v)}
            for i, v in enumerate([1, HUGE, -HUGE, 2])])
    engine.dispose()
    reference = build_profile([pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})])
    source = SqlSource(SqlSource.Config(url=postgres_schema_url, table="logs", timestamp="ts"))
    assert source.profile_window(START, END, ProfileRequest(reference, ("ts",))) is None
    builder = ProfileBuilder(reference=reference, exclude=("ts",))
    for chunk in source.read(START, END):
        builder.update(chunk)
    column = builder.build().columns["x"]
    assert (column.count, column.invalid, column.nonfinite) == (2, 0, 2)
    query = SqlSource(SqlSource.Config(url=postgres_schema_url,
                                       query="SELECT CAST(x AS double precision) FROM logs"))
    with pytest.raises(SourceError, match="out of range") as info:
        frame_of(query.read())
    assert len(str(info.value)) < 500
