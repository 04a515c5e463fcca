"""Latest runs: each monitor's newest stored run with its results, read in few queries.

The daemon shows the last run of every monitor on ``/metrics``; after a
restart it reads them here instead of waiting for the next window. The runs
are found with one ``LIMIT 1`` branch per monitor walking the
``(monitor, window_end)`` index backwards, so the cost does not grow with
the history kept; their results come in one more query on ``run_id``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, union_all

from monitor.records import FINISHED_RUN_STATUSES, ResultRecord, RunRecord
from monitor.store.history import results_of_runs
from monitor.store.models import RunRow
from monitor.store.repository import Store

__all__ = ["BATCH", "LatestRun", "latest_runs"]

BATCH = 100
"""Monitors per statement: SQLite allows 500 branches in a compound SELECT at most."""


@dataclass(frozen=True, slots=True)
class LatestRun:
    """A monitor's newest run among the statuses asked for, and its results on the whole data."""

    run: RunRecord
    results: list[ResultRecord]


def latest_runs(
    store: Store, monitors: Iterable[str], *,
    statuses: Collection[str] = FINISHED_RUN_STATUSES,
) -> dict[str, LatestRun]:
    """The newest run (latest window end) of each monitor whose status is in ``statuses``.

    Monitors without such a run are left out. Results are those of the whole
    data (``segment`` NULL), in the order they were saved.

    Raises:
        StoreError: the database failed.
    """
    names = sorted(set(monitors))
    runs: list[RunRecord] = []
    for start in range(0, len(names), BATCH):
        runs += _runs(store, names[start:start + BATCH], tuple(statuses))
    results: dict[int, list[ResultRecord]] = {}
    for result in results_of_runs(store, [run.id for run in runs]):
        results.setdefault(result.run_id, []).append(result)
    return {run.monitor: LatestRun(run, results.get(run.id, [])) for run in runs}


def _runs(store: Store, monitors: Sequence[str], statuses: tuple[str, ...]) -> list[RunRecord]:
    # One LIMIT 1 branch per monitor: each stops at its newest matching run. SQLite takes
    # ORDER BY ... LIMIT inside a compound SELECT only in a subquery, hence the wrapping.
    branches = []
    for monitor in monitors:
        newest = (select(RunRow.id)
                  .where(RunRow.monitor == monitor, RunRow.status.in_(statuses))
                  .order_by(RunRow.window_end.desc(), RunRow.id.desc()).limit(1).subquery())
        branches.append(select(newest.c.id))
    if not branches:
        return []
    query = select(RunRow).where(RunRow.id.in_(union_all(*branches)))
    with store._reading("read the latest runs") as session:
        return [row.to_record() for row in session.scalars(query)]
