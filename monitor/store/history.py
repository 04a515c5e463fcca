"""History in the store: what the console draws, read in few, indexed queries.

A monitor's page may span 10,000 runs; it reads the runs' own columns for the
whole range (one query on the ``(monitor, window_end)`` index), lets the
caller pick the runs it will draw, and reads the results of those runs only.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, delete, select

from monitor.records import ResultRecord, RunRecord
from monitor.store.models import OutboxRow, ResultRow, RunReportRow, RunRow, as_utc
from monitor.store.repository import Store

__all__ = [
    "RunPoint",
    "RunTime",
    "latest_points",
    "messages_of",
    "neighbours",
    "prune_reports",
    "results_of_runs",
    "run_by_id",
    "run_by_window_end",
    "run_points",
    "run_points_of",
    "run_report",
    "run_times",
    "segments_of_runs",
]

_CHUNK = 500
"""Run ids per ``IN (...)`` list: well below every backend's parameter limit."""


class RunPoint(NamedTuple):
    """The columns of one run that a time series needs (no results, no error text).

    A named tuple: a 30-day page reads ten thousand of them.
    """

    id: int
    window_start: datetime
    window_end: datetime
    status: str
    drift_share: float | None
    dataset_drift: bool | None
    current_rows: int | None


def run_points(
    store: Store, monitor: str, start: datetime | None = None, end: datetime | None = None,
    *, limit: int | None = None,
) -> list[RunPoint]:
    """The runs of ``monitor`` whose window ends in ``(start, end]``, oldest first.

    With ``limit``, the newest ``limit`` of them.
    """
    query = select(RunRow.id, RunRow.window_start, RunRow.window_end, RunRow.status,
                   RunRow.drift_share, RunRow.dataset_drift, RunRow.current_rows
                   ).where(RunRow.monitor == monitor)
    if start is not None:
        query = query.where(RunRow.window_end > as_utc(start))
    if end is not None:
        query = query.where(RunRow.window_end <= as_utc(end))
    query = query.order_by(RunRow.window_end.desc(), RunRow.id.desc())
    if limit is not None:
        query = query.limit(limit)
    with store._reading(f"read the runs of monitor {monitor!r}") as session:
        rows = session.execute(query).all()
    return [RunPoint._make(row) for row in reversed(rows)]


class RunTime(NamedTuple):
    """A run's place on a time axis and its drift share: what downsampling needs."""

    id: int
    window_end: datetime
    drift_share: float | None


def run_times(store: Store, monitor: str, start: datetime, end: datetime) -> list[RunTime]:
    """The runs of ``monitor`` whose window ends in ``(start, end]``, oldest first, light:
    a 30-day range may hold ten thousand."""
    query = (select(RunRow.id, RunRow.window_end, RunRow.drift_share)
             .where(RunRow.monitor == monitor, RunRow.window_end > as_utc(start),
                    RunRow.window_end <= as_utc(end))
             .order_by(RunRow.window_end, RunRow.id))
    with store._reading(f"read the runs of monitor {monitor!r}") as session:
        return [RunTime._make(row) for row in session.execute(query)]


def run_points_of(store: Store, run_ids: Collection[int]) -> list[RunPoint]:
    """The runs with these ids, oldest window first."""
    ids = sorted(set(run_ids))
    found: list[RunPoint] = []
    with store._reading("read runs") as session:
        for i in range(0, len(ids), _CHUNK):
            query = select(RunRow.id, RunRow.window_start, RunRow.window_end, RunRow.status,
                           RunRow.drift_share, RunRow.dataset_drift, RunRow.current_rows
                           ).where(RunRow.id.in_(ids[i:i + _CHUNK]))
            found += [RunPoint._make(row) for row in session.execute(query)]
    return sorted(found, key=lambda p: (p.window_end, p.id))


def results_of_runs(
    store: Store, run_ids: Collection[int], *, checks: Collection[str] | None = None,
    segment: str | None = None, all_segments: bool = False, skip: Collection[str] = (),
) -> list[ResultRecord]:
    """The results of the given runs (of ``checks`` only, when given; never of ``skip``)
    for one segment.

    ``segment`` None reads the whole data's rows; ``all_segments`` every row. Each run's
    results come in the order they were saved.
    """
    ids = sorted(set(run_ids))
    found: list[ResultRecord] = []
    # Plain rows, not ORM objects: a monitor's page reads thousands of results.
    columns = [getattr(ResultRow, f.name) for f in fields(ResultRecord)]
    with store._reading("read the results of runs") as session:
        for i in range(0, len(ids), _CHUNK):
            query = (select(*columns).where(ResultRow.run_id.in_(ids[i:i + _CHUNK]))
                     .order_by(ResultRow.id))
            if not all_segments:
                query = query.where(ResultRow.segment.is_(None) if segment is None
                                    else ResultRow.segment == segment)
            if checks is not None:
                query = query.where(ResultRow.check.in_(sorted(checks)))
            if skip:
                query = query.where(ResultRow.check.not_in(sorted(skip)))
            found += [ResultRow.record_of(dict(row._mapping)) for row in session.execute(query)]
    return found


def segments_of_runs(store: Store, run_ids: Collection[int]) -> list[str]:
    """The segment keys that have results in the given runs, sorted."""
    ids = sorted(set(run_ids))
    keys: set[str] = set()
    with store._reading("read the segments of runs") as session:
        for i in range(0, len(ids), _CHUNK):
            query = select(ResultRow.segment).distinct().where(
                ResultRow.run_id.in_(ids[i:i + _CHUNK]), ResultRow.segment.is_not(None))
            keys.update(key for key in session.scalars(query) if key is not None)
    return sorted(keys)


def run_by_id(store: Store, run_id: int) -> RunRecord | None:
    """The run with that id, or None."""
    with store._reading(f"read run {run_id}") as session:
        row = session.get(RunRow, run_id)
        return None if row is None else row.to_record()


def run_by_window_end(store: Store, monitor: str, window_end: datetime) -> RunRecord | None:
    """The run of ``monitor`` whose window ends at ``window_end`` (the newest, if several)."""
    query = (select(RunRow).where(RunRow.monitor == monitor,
                                  RunRow.window_end == as_utc(window_end))
             .order_by(RunRow.window_start.desc()).limit(1))
    with store._reading(f"find a run of monitor {monitor!r}") as session:
        row = session.scalars(query).first()
        return None if row is None else row.to_record()


def neighbours(store: Store, run: RunRecord) -> tuple[int | None, int | None]:
    """The ids of the monitor's runs just before and just after ``run``, by window end."""
    same = RunRow.monitor == run.monitor
    before = (select(RunRow.id).where(same, RunRow.window_end < as_utc(run.window_end))
              .order_by(RunRow.window_end.desc()).limit(1))
    after = (select(RunRow.id).where(same, RunRow.window_end > as_utc(run.window_end))
             .order_by(RunRow.window_end).limit(1))
    with store._reading(f"read the runs around run {run.id}") as session:
        return session.scalar(before), session.scalar(after)


def run_report(store: Store, run_id: int) -> dict[str, Any] | None:
    """The report document stored with the run, or None (failed runs, older runs)."""
    with store._reading(f"read the report of run {run_id}") as session:
        body = session.scalar(select(RunReportRow.body).where(RunReportRow.run_id == run_id))
    if body is None:
        return None
    document: dict[str, Any] = json.loads(body)
    return document


def prune_reports(store: Store, before: datetime) -> int:
    """Delete the reports of runs whose window ended before ``before``; return how many.

    The runs and their results stay: the console shows their numbers as a table.
    """
    old = select(RunRow.id).where(RunRow.window_end < as_utc(before)).scalar_subquery()
    with store._writing("delete old run reports") as session:
        done = session.execute(delete(RunReportRow).where(RunReportRow.run_id.in_(old)))
        return int(cast(CursorResult[Any], done).rowcount or 0)


def messages_of(
    store: Store, monitor: str, since: datetime, limit: int = 100, until: datetime | None = None,
) -> list[dict[str, Any]]:
    """The outbox messages about ``monitor`` created in ``[since, until]``, newest first.

    Each is its payload plus the delivery state: ``notifier``, ``delivery``
    (``delivered``, ``dead``, ``retrying`` or ``pending``), ``attempts``,
    ``created_at``, ``delivered_at`` and ``last_error``. The payload is text,
    so the monitor is matched on its JSON form and checked after parsing.
    """
    needle = json.dumps({"monitor": monitor})[1:-1]  # '"monitor": "NAME"', as to_json writes it
    pattern = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = (select(OutboxRow)
             .where(OutboxRow.created_at >= as_utc(since),
                    OutboxRow.payload.like(f"%{pattern}%", escape="\\"))
             .order_by(OutboxRow.created_at.desc(), OutboxRow.id.desc()).limit(limit))
    if until is not None:
        query = query.where(OutboxRow.created_at <= as_utc(until))
    with store._reading(f"read the messages of monitor {monitor!r}") as session:
        rows = [row.to_record() for row in session.scalars(query)]
    found = []
    for message in rows:
        if message.payload.get("monitor") != monitor:
            continue
        found.append({**message.payload, "notifier": message.notifier, "delivery": message.stage,
                      "attempts": message.attempts, "created_at": message.created_at,
                      "delivered_at": message.delivered_at, "last_error": message.last_error})
    return found


def latest_points(store: Store, monitors: Sequence[str], per_monitor: int) -> dict[
        str, list[RunPoint]]:
    """The newest ``per_monitor`` runs of each monitor, oldest first: the overview's sparklines."""
    return {name: run_points(store, name, limit=per_monitor) for name in monitors}
