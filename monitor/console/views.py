"""The console's data: what each page shows, as plain JSON-able values.

The HTML pages draw these values and the ``/api/`` endpoints return them as
they are, so a script sees exactly what an operator sees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import quote

from monitor.alerts.routing import matches
from monitor.console.series import STATES, TimeRange, downsample, monitor_state
from monitor.records import AlertStateRecord, ResultRecord, RunRecord, SilenceRecord
from monitor.store import Store
from monitor.store.alerting import list_alert_states, silences
from monitor.store.history import (
    RunPoint,
    latest_points,
    messages_of,
    results_of_runs,
    run_points,
    run_report,
    segments_of_runs,
)

__all__ = ["ConsoleMonitor", "monitor_view", "overview", "run_view"]

SPARKLINE_RUNS = 48
"""Runs in an overview sparkline."""
SERIES_POINTS = 240
"""Points per time series on a monitor's page, whatever the range holds."""
HEATMAP_BUCKETS = 72
"""Time buckets of the per-column heat-map (columns × buckets cells)."""
HEATMAP_COLUMNS = 40
"""Columns in the heat-map, the strongest first."""
MESSAGES = 100
"""Newest notifications listed on a monitor's page."""


@dataclass(frozen=True, slots=True)
class ConsoleMonitor:
    """What the scheduler knows of a monitor: the store does not hold its schedule."""

    name: str
    schedule: str
    window: timedelta
    next_run: datetime | None = None


def monitor_href(name: str) -> str:
    """The path of a monitor's page."""
    return f"/monitors/{quote(name, safe='')}"


def run_href(run_id: int) -> str:
    """The path of a run's page."""
    return f"/runs/{run_id}"


def overview(store: Store, monitors: Sequence[ConsoleMonitor], now: datetime) -> dict[str, Any]:
    """Every monitor with its state, last and next run and recent drift; firing ones first."""
    names = [m.name for m in monitors]
    points = latest_points(store, names, SPARKLINE_RUNS)
    states = list_alert_states(store)
    active = silences(store, now)
    by_monitor: dict[str, list[AlertStateRecord]] = defaultdict(list)
    for state in states:
        by_monitor[state.monitor].append(state)
    rows: list[dict[str, Any]] = []
    for spec in monitors:
        runs = points.get(spec.name, [])
        last = runs[-1] if runs else None
        alerts = by_monitor.get(spec.name, [])
        muted = [_silenced(a, active, now) for a in alerts]
        rows.append({
            "name": spec.name, "href": monitor_href(spec.name),
            "state": monitor_state(last.status if last else None,
                                   last.dataset_drift if last else None,
                                   [a.state for a in alerts], muted),
            "schedule": spec.schedule, "window_seconds": spec.window.total_seconds(),
            "last_run": _point(last) if last else None, "next_run": spec.next_run,
            "drift_share": [p.drift_share for p in runs],
            "alerts": [_alert(a, m) for a, m in zip(alerts, muted, strict=True)],
        })
    rows.sort(key=lambda row: (STATES.index(row["state"]), row["name"]))
    firing = [{**alert, "monitor": row["name"], "monitor_href": row["href"]}
              for row in rows for alert in row["alerts"] if alert["state"] == "firing"]
    return {"now": now, "monitors": rows, "firing": firing}


def monitor_view(
    store: Store, monitor: ConsoleMonitor | str, span: TimeRange, now: datetime,
    segment: str | None = None, anchor: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """One monitor over a time range: drift share, per-column effect, quality, model
    metrics, alerts and notifications, downsampled to a bounded number of points."""
    name = monitor if isinstance(monitor, str) else monitor.name
    every = run_points(store, name, span.start, span.end)
    shown = downsample(every, lambda p: p.window_end, lambda p: _or_nan(p.drift_share),
                       SERIES_POINTS, span.start, span.end)
    results = results_of_runs(store, [p.id for p in shown], segment=segment)
    by_run: dict[int, list[ResultRecord]] = defaultdict(list)
    for result in results:
        by_run[result.run_id].append(result)
    drift_share = [_share(p, by_run[p.id], segment) for p in shown]
    heat_runs = downsample(shown, lambda p: p.window_end, lambda p: _or_nan(p.drift_share),
                           HEATMAP_BUCKETS, span.start, span.end)
    alerts = [a for a in list_alert_states(store, name, include_inactive=True)
              if segment is None or a.segment == segment]
    active = silences(store, now)
    return {
        "monitor": name, "href": monitor_href(name),
        "range": {"name": span.name, "start": span.start, "end": span.end},
        "segment": segment, "segments": segments_of_runs(store, [p.id for p in shown]),
        "runs_in_range": len(every), "points_shown": len(shown),
        "runs": [{**_point(p), "drift_share": share} for p, share in
                 zip(shown, drift_share, strict=True)],
        "columns": _columns(heat_runs, by_run, anchor),
        "quality": _series(shown, by_run, lambda r: r.check not in ("drift", "multivariate",
                                                                     "performance"),
                           lambda r: f"{r.check}:{r.column}" if r.column else r.check),
        "performance": _series(shown, by_run, lambda r: r.check == "performance",
                               lambda r: r.method or "metric"),
        "alerts": [_alert(a, _silenced(a, active, now)) for a in alerts],
        "messages": [_message(m) for m in messages_of(store, name, span.start, MESSAGES)],
        "silences": [_silence(s, now) for s in active
                     if s.monitor is None or fnmatchcase(name, s.monitor)],
    }


def run_view(store: Store, run: RunRecord) -> dict[str, Any]:
    """A run, its results and its stored report document (None for failed or older runs)."""
    results = results_of_runs(store, [run.id], all_segments=True)
    segments = sorted({r.segment for r in results if r.segment is not None})
    return {
        "run": {**_point(run), "monitor": run.monitor, "monitor_href": monitor_href(run.monitor),
                "started_at": run.started_at, "finished_at": run.finished_at,
                "duration_seconds": run.duration_seconds, "attempts": run.attempts,
                "reference": {"name": run.reference_name, "version": run.reference_version,
                              "rows": run.reference_rows},
                "error": run.error},
        "results": [_result(r) for r in results],
        "segments": segments,
        "report": run_report(store, run.id),
    }


def _point(run: RunPoint | RunRecord) -> dict[str, Any]:
    return {"id": run.id, "href": run_href(run.id), "window_start": run.window_start,
            "window_end": run.window_end, "status": run.status,
            "drift_share": run.drift_share, "dataset_drift": run.dataset_drift,
            "rows": run.current_rows}


def _share(point: RunPoint, results: Sequence[ResultRecord], segment: str | None) -> float | None:
    """The run's drift share, or its segment's, counted from the segment's drift rows."""
    if segment is None:
        return point.drift_share
    drift = [r for r in results if r.check == "drift"]
    return sum(bool(r.drifted) for r in drift) / len(drift) if drift else None


def _columns(
    runs: Sequence[RunPoint], by_run: dict[int, list[ResultRecord]],
    anchor: Callable[[str], str] | None,
) -> dict[str, Any]:
    """Per-column effect size over time, the columns that moved most first."""
    cells: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    strongest: dict[str, float] = defaultdict(float)
    for run in runs:
        for r in by_run[run.id]:
            if r.check != "drift" or r.column is None:
                continue
            value = r.effect_size if r.effect_size is not None else r.statistic
            href = run_href(run.id) + (f"#{anchor(r.column)}" if anchor else "")
            cells[r.column][run.id] = {"value": value, "drifted": bool(r.drifted),
                                       "method": r.method, "statistic": r.statistic,
                                       "p_value": r.p_value, "href": href}
            strongest[r.column] = max(strongest[r.column], value or 0.0,
                                      1.0 if r.drifted else 0.0)
    names = sorted(cells, key=lambda c: (-strongest[c], c))[:HEATMAP_COLUMNS]
    return {"times": [r.window_end for r in runs], "runs": [r.id for r in runs],
            "names": names,
            "cells": [[cells[name].get(run.id) for run in runs] for name in names],
            "omitted": max(0, len(cells) - len(names))}


def _series(
    runs: Sequence[RunPoint], by_run: dict[int, list[ResultRecord]],
    keep: Callable[[ResultRecord], bool], key: Callable[[ResultRecord], str],
) -> list[dict[str, Any]]:
    """One series per check or metric: its value in each shown run, linked to the run."""
    series: dict[str, list[dict[str, Any]]] = {}
    failing: dict[str, int] = defaultdict(int)
    for run in runs:
        for r in by_run[run.id]:
            if not keep(r):
                continue
            name = key(r)
            series.setdefault(name, []).append(
                {"time": run.window_end, "value": r.value, "passed": r.passed,
                 "threshold": r.threshold, "href": run_href(run.id)})
            failing[name] += r.passed is False
    return [{"name": name, "points": points, "failed_runs": failing[name]}
            for name, points in sorted(series.items(), key=lambda kv: (-failing[kv[0]], kv[0]))]


def _alert(state: AlertStateRecord, silenced: bool) -> dict[str, Any]:
    return {"alert": state.alert, "segment": state.segment, "state": state.state,
            "severity": state.severity, "since": state.since, "fired_at": state.fired_at,
            "last_value": state.last_value, "last_window_end": state.last_window_end,
            "reason": state.reason, "silenced": silenced, "muted": state.muted}


def _silenced(state: AlertStateRecord, active: Sequence[SilenceRecord], now: datetime) -> bool:
    return state.muted is not None or any(
        s.active(now) and matches(s, state.monitor, state.alert, state.segment,
                                  state.severity or "") for s in active)


def _message(message: dict[str, Any]) -> dict[str, Any]:
    keep = ("alert", "status", "severity", "summary", "window", "value", "reason", "reminder",
            "notifier", "delivery", "attempts", "created_at", "delivered_at", "last_error",
            "url")
    return {k: message.get(k) for k in keep}


def _silence(silence: SilenceRecord, now: datetime) -> dict[str, Any]:
    return {"id": silence.id, "alert": silence.alert, "monitor": silence.monitor,
            "segment": silence.segment, "severity": silence.severity,
            "reason": silence.reason, "created_by": silence.created_by,
            "starts_at": silence.starts_at, "ends_at": silence.ends_at,
            "active": silence.active(now)}


def _result(r: ResultRecord) -> dict[str, Any]:
    return {"check": r.check, "column": r.column, "segment": r.segment, "kind": r.kind,
            "method": r.method, "statistic": r.statistic, "p_value": r.p_value,
            "threshold": r.threshold, "effect_size": r.effect_size, "value": r.value,
            "passed": r.passed, "drifted": r.drifted}


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else value
