"""The console's reads and the report pruning, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from monitor.store import Store
from monitor.store.history import (
    messages_of,
    prune_reports,
    results_of_runs,
    run_by_window_end,
    run_points_of,
    run_report,
    run_times,
)
from tests.integration.store.store_factories import HOUR, T0, new_results, new_run, notification

pytestmark = pytest.mark.integration

REPORT = {"columns": [], "distributions": {"age": {"kind": "numeric", "edges": [0.0, 1.0],
                                                   "reference": [1.0], "current": [1.0]}}}


def test_reports_are_stored_with_their_run_and_pruned_by_age(store: Store):
    runs = [store.save_run(new_run("credit", T0 + i * HOUR), new_results(), [], [],
                           report={**REPORT, "index": i}) for i in range(4)]
    ids = [run.id for run in runs if run is not None]
    assert [run_report(store, i)["index"] for i in ids] == [0, 1, 2, 3]
    assert prune_reports(store, T0 + 2 * HOUR + HOUR) == 2  # windows ending at T0+1h, T0+2h
    assert [run_report(store, i) for i in ids[:2]] == [None, None]
    assert run_report(store, ids[2]) is not None
    assert {r.run_id for r in results_of_runs(store, ids)} == set(ids)  # results stay
    assert prune_reports(store, T0 + 2 * HOUR + HOUR) == 0


def test_a_failed_run_replaced_takes_its_new_report(store: Store):
    first = store.save_run(new_run("credit", T0, status="failed", error="boom"), [], [], [])
    assert first is not None and run_report(store, first.id) is None
    again = store.save_run(new_run("credit", T0), new_results(), [], [], report=REPORT)
    assert again is not None and again.id == first.id
    assert run_report(store, again.id) == REPORT


def test_times_points_and_the_run_of_a_window(store: Store):
    for i in range(5):
        store.save_run(new_run("credit", T0 + i * HOUR), new_results(), [], [])
    store.save_run(new_run("fraud", T0), new_results(), [], [])
    times = run_times(store, "credit", T0 + HOUR, T0 + 4 * HOUR)  # window ends in (start, end]
    assert [t.window_end for t in times] == [T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + 4 * HOUR]
    points = run_points_of(store, [t.id for t in reversed(times)])
    assert [p.window_start for p in points] == [T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]
    found = run_by_window_end(store, "credit", T0 + 3 * HOUR)
    assert found is not None and found.window_start == T0 + 2 * HOUR
    assert run_by_window_end(store, "credit", T0 + 30 * HOUR) is None


@pytest.mark.parametrize("name", ["credit", "100%_sure", 'say "hi"', "back\\slash", "émoji ✓"])
def test_messages_are_found_by_monitor_name_whatever_its_characters(store: Store, name: str):
    store.save_alerts([], [notification("k1", monitor=name), notification("k2", monitor="other"),
                           notification("k3", monitor=name + "x")])
    found = messages_of(store, name, T0)
    assert [m["monitor"] for m in found] == [name]
    assert found[0]["delivery"] == "pending" and found[0]["notifier"]
