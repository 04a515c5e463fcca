"""Verdicts of stored runs: the signals a run's results hold, the history, the latest verdicts.

``monitor.analysis.verdict`` decides on plain ``WindowSignals``; this module
reads them from the store (``history_of``), turns a run's own results into
them (``signals_of``), builds the ``check: verdict`` result rows a run
stores with its other results (``verdict_results``), and reads back the
newest verdict of each monitor for ``monitor advise`` (``latest_verdicts``).

A verdict row holds the verdict (``name``, and ``value`` 0, 1 or 2) and its
reasons (``note``, joined with "; "). Its ``since`` and ``evidence`` are not
stored: ``latest_verdicts`` works them out again when it has the monitor's
``retrain:`` block, else ``since`` comes from the stored verdict rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from monitor.analysis.verdict import VERDICT_LEVELS, Verdict, WindowSignals, decide
from monitor.records import NOT_QUALITY_CHECKS, NewResult, NewRun, ResultRecord, RunRecord
from monitor.rules.retrain import RetrainSpec
from monitor.store.history import results_of_runs, run_points
from monitor.store.repository import Store
from monitor.times import format_time

__all__ = [
    "LOOKBACK",
    "histories",
    "history_limit",
    "history_of",
    "latest_verdicts",
    "reference_built",
    "signals_of",
    "verdict_result",
    "verdict_results",
]

LOOKBACK = 500
"""The most runs ``latest_verdicts`` reads back per monitor, to find its verdicts."""


def history_limit(policy: RetrainSpec) -> int:
    """How many past runs a verdict reads: the windows it weighs, and as many again for
    ``since`` and for windows too small to count (at least a day of hourly windows)."""
    return max(24, 2 * policy.windows)


def signals_of(run: NewRun, results: Sequence[NewResult], *, segment: str | None = None,
               rows: int | None = None) -> WindowSignals:
    """What one run's results say, for the whole window (``segment`` None) or one segment.

    Takes a stored run and its results, or the run being stored and its new results.
    A segment's rows are ``rows`` when given, else its ``min_rows`` check's value, else
    the window's rows (0 when the segment has no result in the run).
    """
    estimated: dict[str, tuple[float, float | None, float | None]] = {}
    realized: dict[str, float] = {}
    drifted: dict[str, float | None] = {}
    failed: list[str] = []
    mine = [r for r in results if r.segment == segment]
    for result in mine:
        value = _finite(result.value)
        if result.check == "drift" and result.drifted and result.column is not None:
            drifted[result.column] = _finite(result.effect_size)
        elif result.check == "performance" and result.method and value is not None:
            realized[result.method] = value
        elif result.check == "estimated" and result.method and value is not None:
            estimated[result.method] = (value, _finite(result.lower), _finite(result.upper))
        elif result.passed is False and result.check not in NOT_QUALITY_CHECKS:
            what = result.column or result.name
            failed.append(f"{result.check}:{what}" if what else result.check)
    if rows is None:
        counted = [r.value for r in mine if r.check == "min_rows" and r.value is not None]
        if segment is not None and counted:
            rows = int(counted[0])
        elif segment is not None and not mine:
            rows = 0
        else:
            rows = run.current_rows or 0
    return WindowSignals(start=run.window_start, end=run.window_end, rows=rows,
                         estimated=estimated, realized=realized, drifted=drifted,
                         quality_failed=tuple(failed))


def history_of(store: Store, monitor: str, *, segment: str | None, limit: int,
               before: datetime | None = None) -> list[WindowSignals]:
    """The signals of the newest ``limit`` runs of ``monitor``, oldest first.

    With ``before``, only runs whose window ends at or before it (a run about to be
    stored passes its window's start). Failed runs are read but left out.
    """
    return histories(store, monitor, segments=[segment], limit=limit, before=before)[segment]


def histories(store: Store, monitor: str, *, segments: Sequence[str | None], limit: int,
              before: datetime | None = None) -> dict[str | None, list[WindowSignals]]:
    """``history_of`` for several segments (None: the whole window) in one read of the store."""
    points = [p for p in run_points(store, monitor, end=before, limit=limit)
              if p.status != "failed"]
    results: dict[int, list[ResultRecord]] = {p.id: [] for p in points}
    wanted = set(segments)
    for result in results_of_runs(store, results, all_segments=True, skip=("verdict",)):
        if result.segment in wanted:
            results[result.run_id].append(result)
    runs = [(NewRun(monitor=monitor, window_start=p.window_start, window_end=p.window_end,
                    status=p.status, started_at=p.window_end, finished_at=p.window_end,
                    current_rows=p.current_rows), results[p.id]) for p in points]
    return {key: [signals_of(run, found, segment=key) for run, found in runs]
            for key in segments}


def reference_built(store: Store, name: str | None, version: int | None) -> datetime | None:
    """When the stored reference profile ``name`` (that version, else the newest) was built."""
    if name is None:
        return None
    found = [p for p in store.list_profiles()
             if p.name == name and (version is None or p.version == version)]
    return max(found, key=lambda p: p.version).created_at if found else None


def verdict_result(verdict: Verdict, segment: str | None = None) -> NewResult:
    """The result row that stores ``verdict``: ``check: verdict``, its name and level, reasons."""
    return NewResult(check="verdict", column=None, segment=segment, name=verdict.verdict,
                     value=VERDICT_LEVELS[verdict.verdict], note="; ".join(verdict.reasons))


def verdict_results(store: Store, policy: RetrainSpec, run: NewRun,
                    results: Sequence[NewResult], *, built: datetime | None, now: datetime,
                    segment_rows: Mapping[str, int] | None = None) -> list[NewResult]:
    """The verdict rows of a run about to be stored: the whole window's, then each segment's.

    ``results`` are the run's new results; the history is read from the store (runs whose
    window ends by this one's start). ``built`` is when the run's reference was built
    (``reference_built``), ``segment_rows`` each segment's rows.
    """
    rows = segment_rows or {}
    keys: list[str | None] = [None]
    keys += list(dict.fromkeys(r.segment for r in results if r.segment is not None))
    made = []
    pasts = histories(store, run.monitor, segments=keys, limit=history_limit(policy),
                      before=run.window_start)
    for key in keys:
        past = pasts[key]
        now_signals = signals_of(run, results, segment=key,
                                 rows=None if key is None else rows.get(key))
        verdict = decide(policy, [*past, now_signals], reference_built=built, now=now)
        made.append(verdict_result(verdict, key))
    return made


def latest_verdicts(store: Store, monitor: str | None = None, *,
                    specs: Mapping[str, RetrainSpec] | None = None,
                    lookback: int = LOOKBACK) -> list[dict[str, Any]]:
    """The newest stored verdict of each monitor and segment, as ``monitor advise`` prints it.

    Monitors: ``monitor``, else those of ``specs`` (in order), else those among the newest
    ``lookback`` runs. Each item is ``{"monitor", "segment" (when not None), "verdict",
    "reasons", "since", "evidence"}``; a monitor without a verdict gets ``verdict`` None.
    With the monitor's spec in ``specs``, the verdict, its reasons, ``since`` and
    ``evidence`` are decided again on the history up to the newest run, as stored by now
    and under the current ``retrain:`` block: a backfill that ran the newest window first
    (before the windows it weighs were stored) then reads right. Otherwise the stored
    verdict is given, ``since`` is the start of the oldest of the unbroken stored verdicts
    equal to the newest (within ``lookback`` runs) and ``evidence`` is empty.
    """
    specs = specs or {}
    if monitor is not None:
        names = [monitor]
    elif specs:
        names = list(specs)
    else:
        names = list(dict.fromkeys(r.monitor for r in store.runs(None, limit=lookback)))
    found: list[dict[str, Any]] = []
    for name in names:
        found += _verdicts_of(store, name, specs.get(name), lookback)
    return found


def _verdicts_of(store: Store, monitor: str, policy: RetrainSpec | None,
                 lookback: int) -> list[dict[str, Any]]:
    runs = [r for r in store.runs(monitor, limit=lookback) if r.status != "failed"]  # newest first
    rows: dict[int, list[ResultRecord]] = {}
    for row in results_of_runs(store, [r.id for r in runs], checks=("verdict",),
                               all_segments=True):
        rows.setdefault(row.run_id, []).append(row)
    if not rows:
        reason = "no run yet" if not runs else f"no verdict in the last {len(runs)} runs"
        return [{"monitor": monitor, "verdict": None, "reasons": [reason], "since": None,
                 "evidence": {}}]
    keys = sorted({r.segment for rs in rows.values() for r in rs},
                  key=lambda k: (k is not None, k or ""))
    found = []
    for key in keys:
        stored = [(run, row) for run in runs for row in rows.get(run.id, ()) if row.segment == key]
        run, row = stored[0]
        item: dict[str, Any] = {
            "monitor": monitor, **({"segment": key} if key is not None else {}),
            "verdict": row.name, "reasons": (row.note or "").split("; ") if row.note else [],
            "since": _stored_since(stored), "evidence": {}}
        if policy is not None:  # decided again on every run stored by now, current rules
            again = _decide_again(store, policy, run, key)
            item.update(verdict=again.verdict, reasons=list(again.reasons),
                        evidence=dict(again.evidence),
                        since=None if again.since is None else format_time(again.since,
                                                                          "seconds"))
        found.append(item)
    return found


def _stored_since(stored: Sequence[tuple[RunRecord, ResultRecord]]) -> str:
    """The start of the oldest run of the unbroken stored verdicts equal to the newest one."""
    newest = stored[0][1].name
    oldest = stored[0][0]
    for run, row in stored:
        if row.name != newest:
            break
        oldest = run
    return format_time(oldest.window_start, "seconds")


def _decide_again(store: Store, policy: RetrainSpec, run: RunRecord,
                  segment: str | None) -> Verdict:
    history = history_of(store, run.monitor, segment=segment, limit=history_limit(policy),
                         before=run.window_end)
    built = reference_built(store, run.reference_name, run.reference_version)
    return decide(policy, history, reference_built=built, now=run.finished_at)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
