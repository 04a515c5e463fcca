"""Two `monitor run` daemons on one PostgreSQL database: every window once, in order.

Both daemons start together on the same rules: three monitors, one-minute
windows, ten windows each to catch up. Leases in the database decide who
runs each window. Afterwards the database holds exactly one run per window,
stored in window order per monitor; the logs show no window processed twice;
the receiver got each alert once. A second test kills a daemon in the middle
of a window (``kill -9``) and checks another daemon takes the window over once
its lease expires.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.profiles import build_profile
from monitor.records import NewRun
from monitor.store import open_store
from monitor.store.leases import Leases
from monitor.store.outbox import OutboxQueue
from monitor.windows import align
from tests.processes import monitor_env, spawn_daemon
from tests.receivers import Receiver, free_port

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

MINUTE = timedelta(minutes=1)
MONITORS = ("m1", "m2", "m3")
SLOW_SOURCE = "monitor-test-slow-source"

RULES = """\
notifiers:
  hook: {{type: webhook, url: "{hook}"}}
monitors:
{monitors}
"""
MONITOR = """\
  - name: {name}
    schedule: {{every: 1s}}
    window: 1m
    source: {source}
    reference: {{profile: scores-train}}
    alerts:
      - {{name: traffic, when: rows > 0, notify: [hook]}}
"""


@pytest.fixture
def world(postgres_schema_url: str, tmp_path: Path) -> Iterator[dict]:
    """Fifteen minutes of logs up to now, a stored reference, and the runs that set watermarks."""
    now = datetime.now(UTC)
    engine = sa.create_engine(postgres_schema_url)
    meta = sa.MetaData()
    table = sa.Table("prediction_log", meta,
                     sa.Column("logged_at", sa.DateTime(timezone=True), index=True),
                     sa.Column("score", sa.Float))
    sa.Table("control", meta, sa.Column("slow", sa.Boolean))
    meta.create_all(engine)
    rng = np.random.default_rng(1)
    first = align(now, MINUTE) - 15 * MINUTE
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"logged_at": first + timedelta(seconds=2 * i),
                                       "score": float(rng.normal())} for i in range(16 * 30)])
        conn.execute(sa.text("INSERT INTO control VALUES (false)"))
    engine.dispose()
    store = open_store(postgres_schema_url)
    profile = build_profile([pd.DataFrame({"score": rng.normal(size=1000)})])
    store.save_profile("scores-train", profile.to_dict(), profile.content_hash(), profile.rows,
                       now)
    yield {"url": postgres_schema_url, "now": now, "store": store, "tmp": tmp_path,
           "seed": align(now, MINUTE) - 10 * MINUTE}
    store.close()


def write_rules(world: dict, receiver: Receiver, source: str, names=MONITORS) -> Path:
    monitors = "".join(MONITOR.format(name=n, source=source) for n in names)
    path = world["tmp"] / "rules.yaml"
    path.write_text(RULES.format(hook=f"{receiver.url}/hook", monitors=monitors))
    return path


def seed_watermarks(world: dict, names=MONITORS) -> None:
    """A finished run ten windows back, so each daemon has ten windows to catch up on."""
    seed = world["seed"]
    for name in names:
        world["store"].save_run(NewRun(name, seed - MINUTE, seed, "no_data", world["now"],
                                       world["now"]), [], [], [])


@pytest.fixture
def daemons(world: dict) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `monitor run` processes on the test database; each is stopped at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(rules: Path, tag: str, **env: str) -> subprocess.Popen[str]:
        environment = monitor_env(**{"MONITOR_DATABASE_URL": world["url"],
                                     "MONITOR_LOG_FORMAT": "json",
                                     "MONITOR_HTTP": f"127.0.0.1:{free_port()}",
                                     "MONITOR_DISPATCH_INTERVAL": "0.5", **env})
        process = spawn_daemon(rules, cwd=world["tmp"], env=environment,
                               log=world["tmp"] / f"{tag}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for(condition: Callable[[], bool], timeout: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    shown = "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}" for p in logs)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{shown}")


def events(path: Path) -> list[dict]:
    lines = [line for line in path.read_text().splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


def test_two_daemons_run_every_window_exactly_once(world, receiver, daemons):
    """Racing daemons: one run per window, stored in order, no window processed twice."""
    seed_watermarks(world)
    rules = write_rules(world, receiver, f'{{type: sql, url: "{world["url"]}", '
                        'table: prediction_log, timestamp: logged_at}')
    first, second = daemons(rules, "a"), daemons(rules, "b")
    store = world["store"]
    target = align(world["now"], MINUTE)  # the latest window complete when the test began
    logs = [world["tmp"] / "a.log", world["tmp"] / "b.log"]
    wait_for(lambda: all((store.last_window_end(m) or world["seed"]) >= target
                         for m in MONITORS) and len(receiver.requests) >= len(MONITORS),
             90, "every window of every monitor", logs)
    time.sleep(1.5)  # a duplicate delivery would show within a few dispatch intervals
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0 and second.wait(timeout=30) == 0

    processed: Counter[tuple[str, str]] = Counter()
    leased = 0
    for path in logs:
        for event in events(path):
            if event["logger"] == "monitor.daemon.runner" and event["message"].startswith("run "):
                status = event["message"].split()[1]
                assert status in ("ok", "no_data"), event  # never "skipped" nor "failed"
                processed[(event["monitor"], event["window"])] += 1
            leased += "skipped here" in event["message"]
    assert processed and max(processed.values()) == 1  # no window was processed twice
    for name in MONITORS:
        runs = sorted((r for r in store.runs(name, limit=100) if r.window_start >= world["seed"]),
                      key=lambda r: r.window_start)
        starts = [r.window_start for r in runs]
        assert starts == [world["seed"] + i * MINUTE for i in range(len(starts))]  # no gap
        assert len(starts) >= 10 and all(r.status == "ok" and r.attempts == 1 for r in runs)
        assert [r.id for r in runs] == sorted(r.id for r in runs)  # stored in window order
        assert sum(1 for key in processed if key[0] == name) == len(runs)
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == len(MONITORS) == len(set(ids))
    assert len(OutboxQueue(store).messages()) == len(MONITORS)
    print(f"windows processed: {sum(processed.values())}, leased-elsewhere skips: {leased}")


def test_window_of_a_killed_daemon_is_taken_over_after_its_lease(world, receiver, daemons):
    """kill -9 in the middle of a window: another daemon runs it once the lease expires."""
    seed_watermarks(world, names=("slow",))
    engine = sa.create_engine(world["url"])
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE control SET slow = true"))
    query = ("SELECT p.* FROM prediction_log p, (SELECT pg_sleep(CASE WHEN slow THEN 30 "
             "ELSE 0 END) FROM control) s WHERE logged_at >= :start AND logged_at < :end")
    url = f"{world['url']}&application_name={SLOW_SOURCE}"
    rules = write_rules(world, receiver, f'{{type: sql, url: "{url}", query: "{query}", '
                        'timestamp: logged_at}', names=("slow",))
    leases = Leases(world["store"].engine)
    victim = daemons(rules, "victim", MONITOR_LEASE_SECONDS="10")
    logs = [world["tmp"] / "victim.log"]
    wait_for(lambda: bool(leases.held("slow")), 60, "the victim to lease a window", logs)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    [lease] = leases.held("slow")  # as the victim last renewed it
    assert lease.window_start == world["seed"]
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE control SET slow = false"))
        # The killed client's query sleeps on in the server; end it as a restart would.
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                             "application_name = :name"), {"name": SLOW_SOURCE})
    engine.dispose()
    heir = daemons(rules, "heir", MONITOR_LEASE_SECONDS="3")
    logs.append(world["tmp"] / "heir.log")
    store = world["store"]
    wait_for(lambda: store.get_run("slow", lease.window_start, lease.window_end) is not None,
             60, "the heir to run the leased window", logs)
    heir.send_signal(signal.SIGTERM)
    assert heir.wait(timeout=30) == 0
    run = store.get_run("slow", lease.window_start, lease.window_end)
    assert run.status == "ok" and run.attempts == 1
    heir_events = events(world["tmp"] / "heir.log")
    messages = [e["message"] for e in heir_events]
    took = next(i for i, m in enumerate(messages) if m.startswith("run ok"))
    # It ran the window only once the victim's lease had expired...
    assert datetime.fromisoformat(heir_events[took]["time"]) >= lease.expires_at
    # ...and, when it started while that lease was live, it found it and waited.
    started = next(e for e in heir_events if e["message"].startswith("daemon started"))
    if datetime.fromisoformat(started["time"]) < lease.expires_at - timedelta(seconds=1):
        assert any("skipped here" in m for m in messages[:took])
    assert [r.window_start for r in store.runs("slow", limit=100)].count(lease.window_start) == 1
