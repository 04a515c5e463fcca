"""Liveness from progress: a tick that stands still past its limit makes /healthz stale."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from monitor.daemon.health import Heartbeat, tick_limit


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_idle_daemon_with_a_recent_beat_is_ok():
    heartbeat = Heartbeat(minimum=60.0)
    body = heartbeat.report(monitors=3)
    assert body["status"] == "ok" and body["running"] == 0 and body["monitors"] == 3
    assert body["last_tick"] is None and "reason" not in body


def test_a_finished_tick_is_recorded():
    heartbeat = Heartbeat(minimum=60.0)
    with heartbeat.tick("credit", 10.0):
        assert heartbeat.report(1)["running"] == 1
    body = heartbeat.report(1)
    assert body["running"] == 0 and body["last_tick"] is not None


def test_a_tick_standing_still_past_its_limit_is_stale_and_progress_clears_it():
    heartbeat = Heartbeat(minimum=0.2)
    go_on, finish, moved = threading.Event(), threading.Event(), threading.Event()

    def tick() -> None:
        with heartbeat.tick("credit", 0.2) as progress:
            go_on.wait(30)
            progress.move()
            moved.set()
            finish.wait(30)

    worker = threading.Thread(target=tick)
    worker.start()
    try:
        wait_until(lambda: heartbeat.report(1)["status"] == "stale")
        body = heartbeat.report(1)
        assert "monitor credit" in body["reason"] and "no progress" in body["reason"]
        assert body["ticks"][0]["monitor"] == "credit"
        assert body["ticks"][0]["idle_for"] > body["ticks"][0]["limit"]
        go_on.set()
        assert moved.wait(30)
        # Just moved: its idle time starts again.
        assert heartbeat.report(1)["ticks"][0]["idle_for"] < body["ticks"][0]["idle_for"]
    finally:
        go_on.set()
        finish.set()
        worker.join(30)
    heartbeat.beat()
    assert heartbeat.report(1)["status"] == "ok" and heartbeat.report(1)["running"] == 0


def test_a_scheduler_that_starts_no_job_is_stale():
    heartbeat = Heartbeat(minimum=0.1)
    wait_until(lambda: heartbeat.report(0)["status"] == "stale")
    assert "scheduler has started no job" in heartbeat.report(0)["reason"]
    heartbeat.beat()
    assert heartbeat.report(0)["status"] == "ok"


def test_tick_limit_is_a_multiple_of_the_interval_with_a_floor():
    assert tick_limit(timedelta(minutes=5), 10, 300.0) == 3000.0
    assert tick_limit(timedelta(seconds=2), 10, 300.0) == 300.0
