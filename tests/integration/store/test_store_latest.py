"""Latest runs: each monitor's newest run of the statuses asked for, with its whole-data results."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import event

from monitor.records import NewResult
from monitor.store import Store, open_store
from monitor.store.latest import BATCH, latest_runs
from tests.integration.store.store_factories import HOUR, T0, new_results, new_run

pytestmark = pytest.mark.integration


def test_the_newest_finished_run_of_each_monitor_with_its_results(store: Store) -> None:
    """Newest window wins; failed runs are passed over; monitors without runs are left out."""
    store.save_run(new_run("credit", T0), new_results(), [], [])
    newest = store.save_run(new_run("credit", T0 + HOUR, status="no_data", current_rows=0),
                            [NewResult(check="min_rows", column=None, value=0.0, passed=False)],
                            [], [])
    store.save_run(new_run("credit", T0 + 2 * HOUR, status="failed", error="down"), [], [], [])
    other = store.save_run(new_run("fraud", T0), new_results(), [], [])

    found = latest_runs(store, ["credit", "fraud", "nothing-yet"])

    assert set(found) == {"credit", "fraud"}
    assert found["credit"].run == newest and found["fraud"].run == other
    assert [(r.check, r.passed) for r in found["credit"].results] == [("min_rows", False)]
    assert [r.check for r in found["fraud"].results] == ["drift", "missing_share"]


def test_statuses_pick_the_runs(store: Store) -> None:
    """Asked for ``ok`` only, a newer ``no_data`` or ``failed`` run is passed over."""
    ok = store.save_run(new_run("credit", T0), new_results(), [], [])
    store.save_run(new_run("credit", T0 + HOUR, status="no_data"), [], [], [])
    store.save_run(new_run("credit", T0 + 2 * HOUR, status="failed", error="down"), [], [], [])
    assert latest_runs(store, ["credit"], statuses=("ok",))["credit"].run == ok
    failed = latest_runs(store, ["credit"], statuses=("failed",))["credit"].run
    assert failed.status == "failed" and failed.error == "down"


def test_segment_results_are_left_out(store: Store) -> None:
    """Only the whole data's results come back (segment NULL)."""
    results = [*new_results(), replace(new_results()[0], segment="state=CA")]
    store.save_run(new_run("credit", T0), results, [], [])
    [latest] = latest_runs(store, ["credit"]).values()
    assert [r.segment for r in latest.results] == [None, None]


def test_many_monitors_take_two_queries_per_batch(store: Store) -> None:
    """More monitors than one statement takes: every one found, two statements per batch."""
    names = [f"m{i:03}" for i in range(BATCH + 20)]
    for i, name in enumerate(names):
        store.save_run(new_run(name, T0 + (i % 3) * HOUR), new_results(), [], [])
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        found = latest_runs(store, names)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert sorted(found) == names
    assert all(len(latest.results) == 2 for latest in found.values())
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3


def test_the_runs_query_walks_the_monitor_window_end_index(tmp_path: Path) -> None:
    """On SQLite, each branch searches the (monitor, window_end) index instead of scanning.

    (PostgreSQL plans it as an index scan backward with a LIMIT 1 on each branch too.)
    """
    store = open_store(f"sqlite:///{tmp_path / 'plan.db'}")
    store.save_run(new_run("credit", T0), new_results(), [], [])
    statements: list[tuple[str, object]] = []

    def keep(conn: object, cursor: object, statement: str, parameters: object,
             *args: object) -> None:
        statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        latest_runs(store, ["credit", "fraud"])
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
    statement, parameters = next(s for s in statements if "UNION ALL" in s[0])
    with store.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        details = [row[-1] for row in plan]
    assert any("ix_runs_monitor_window_end" in d for d in details), details
    assert not any(d.startswith("SCAN runs") for d in details), details
    store.close()
