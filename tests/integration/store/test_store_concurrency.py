"""Concurrent writers: a window is stored once, a message claimed once, versions never clash."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import pytest

from monitor.records import RunRecord
from monitor.store import Store
from monitor.store.outbox import OutboxQueue
from tests.integration.store.store_factories import HOUR, T0, new_results, new_run, notification

pytestmark = pytest.mark.integration

T = TypeVar("T")


def race(workers: int, action: Callable[[int], T]) -> list[T]:
    """Run ``action(i)`` in ``workers`` threads released together; return results in order."""
    barrier = threading.Barrier(workers)
    results: list = [None] * workers
    errors: list[BaseException] = []

    def work(index: int) -> None:
        barrier.wait(timeout=10)
        try:
            results[index] = action(index)
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]
    return results


def test_racing_runs_of_one_window_store_exactly_one(store: Store) -> None:
    """Threads saving the same window at once: one wins, the others get None, one outbox row."""
    for hour in range(3):  # several rounds make an actual collision near certain
        start = T0 + hour * HOUR

        def save(worker: int, start: datetime = start, key: str = f"k-{hour}") -> RunRecord | None:
            run = new_run(start=start, current_rows=worker)
            return store.save_run(run, new_results(), [], [notification(key, worker=worker)])

        saved = race(4, save)
        winners = [run for run in saved if run is not None]
        assert len(winners) == 1
        assert store.get_run("credit", start, start + HOUR) == winners[0]
        assert len(store.results(winners[0].id)) == 2
    assert len(store.runs()) == 3 and len(OutboxQueue(store).messages()) == 3


def test_racing_retries_of_a_failed_window_store_one(store: Store) -> None:
    """Threads replacing the same failed run at once: exactly one replaces it."""
    store.save_run(new_run(status="failed", error="boom"), new_results(), [], [])
    saved = race(4, lambda i: store.save_run(new_run(current_rows=i), new_results(), [], []))
    winners = [run for run in saved if run is not None]
    assert len(winners) == 1 and winners[0].attempts == 2
    assert len(store.results(winners[0].id)) == 2


def test_racing_claims_never_share_a_message(store: Store) -> None:
    """Dispatchers claiming at once get disjoint messages that together cover the outbox."""
    messages = [notification(f"k{i}", at=T0 + timedelta(seconds=i)) for i in range(12)]
    store.save_run(new_run(), [], [], messages)
    claimed = race(4, lambda i: OutboxQueue(store).claim(T0 + HOUR, timedelta(minutes=1), 3))
    ids = [m.id for batch in claimed for m in batch]
    assert len(ids) == len(set(ids)) == 12


def test_racing_profile_saves_take_distinct_versions(store: Store) -> None:
    """Concurrent saves of new content under one name get versions 1..n, none lost."""
    saved = race(3, lambda i: store.save_profile("credit", {"i": i}, f"h{i}", i, T0))
    assert sorted(p.version for p in saved) == [1, 2, 3]
    assert sorted(p.version for p in store.list_profiles()) == [1, 2, 3]
