"""The gate: store-bound work takes a bounded share of threads and answers in bounded time."""

from __future__ import annotations

import threading
import time

import pytest

from monitor.console.gate import Busy, Gate


def test_returns_the_result_and_raises_the_error():
    gate = Gate(slots=2, timeout=5)
    assert gate.run(lambda: 42) == 42

    def broken() -> int:
        raise LookupError("no such table")

    with pytest.raises(LookupError, match="no such table"):
        gate.run(broken)


def test_hung_work_answers_busy_in_bounded_time_and_holds_its_slot_until_it_ends():
    release = threading.Event()
    gate = Gate(slots=1, timeout=0.2, what="the database")
    began = time.monotonic()
    with pytest.raises(Busy, match=r"did not answer within 0\.2s"):
        gate.run(lambda: release.wait(60))
    assert time.monotonic() - began < 10
    with pytest.raises(Busy, match="busy answering earlier requests"):
        gate.run(lambda: 1)  # the hung call still holds the only slot: no thread piles up
    release.set()
    deadline = time.monotonic() + 30
    while True:  # the slot comes back once the hung work ends
        try:
            assert gate.run(lambda: 1) == 1
            break
        except Busy:
            assert time.monotonic() < deadline
            time.sleep(0.02)
