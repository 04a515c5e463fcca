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

from monitor.alerts.links import monitor_path
from monitor.alerts.routing import matches
from monitor.console.series import STATES, TimeRange, downsample, monitor_state
from monitor.records import (
    NOT_QUALITY_CHECKS,
    AlertStateRecord,
    ResultRecord,
    RunRecord,
    SilenceRecord,
)
from monitor.store import Store
from monitor.store.alerting import list_alert_states, silences
from monitor.store.history import (
    RunPoint,
    latest_points,
    messages_of,
    neighbours,
    results_of_runs,
    run_points_of,
    run_report,
    run_times,
    segments_of_runs,
)

__all__ = ["ConsoleMonitor", "monitor_view", "overview", "run_view"]

SPARKLINE_RUNS = 48
"""Runs in an overview sparkline."""
SERIES_POINTS = 120
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
            "name": spec.name, "href": monitor_path(spec.name),
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
    metrics, alerts and notifications, downsampled to a bounded number of points.

    ``runs`` are the runs drawn; every series (``quality``, ``performance``) holds one
    value per run, in the same order; ``columns`` one cell per run of ``columns.runs``
    (indices into ``runs``), a coarser slice for the heat-map.
    """
    name = monitor if isinstance(monitor, str) else monitor.name
    every = run_times(store, name, span.start, span.end)
    shown = run_points_of(store, [t.id for t in downsample(
        every, lambda t: t.window_end, lambda t: _or_nan(t.drift_share), SERIES_POINTS,
        span.start, span.end)])
    heat = downsample(shown, lambda p: p.window_end, lambda p: _or_nan(p.drift_share),
                      HEATMAP_BUCKETS, span.start, span.end)
    shown_ids = [p.id for p in shown]
    drift_ids = shown_ids if segment is not None else [p.id for p in heat]
    by_run: dict[int, list[ResultRecord]] = defaultdict(list)
    for result in [*results_of_runs(store, shown_ids, segment=segment,
                                    skip=("drift", "multivariate")),
                   *results_of_runs(store, drift_ids, segment=segment, checks=("drift",))]:
        by_run[result.run_id].append(result)
    alerts = [a for a in list_alert_states(store, name, include_inactive=True)
              if segment is None or a.segment == segment]
    active = silences(store, now)
    return {
        "monitor": name, "href": monitor_path(name),
        "range": {"name": span.name, "start": span.start, "end": span.end},
        "segment": segment, "segments": segments_of_runs(store, shown_ids),
        "runs_in_range": len(every), "points_shown": len(shown),
        "runs": [{**_point(p), "drift_share": _share(p, by_run[p.id], segment)}
                 for p in shown],
        "columns": _columns(shown, heat, by_run, anchor),
        "verdict": _verdict(by_run[shown[-1].id]) if shown else None,
        "quality": _series(shown, by_run, lambda r: r.check not in NOT_QUALITY_CHECKS,
                           lambda r: f"{r.check}:{r.column or r.name}"
                           if r.column or r.name else r.check),
        "performance": _series(shown, by_run, lambda r: r.check in ("performance", "estimated"),
                               lambda r: f"{r.method or 'metric'} (estimated)"
                               if r.check == "estimated" else r.method or "metric"),
        "alerts": [_alert(a, _silenced(a, active, now)) for a in alerts],
        "messages": [_message(m) for m in messages_of(store, name, span.start, MESSAGES,
                                                      until=span.end)],
        "silences": [_silence(s, now) for s in active
                     if s.monitor is None or fnmatchcase(name, s.monitor)],
    }


def run_view(store: Store, run: RunRecord) -> dict[str, Any]:
    """A run, its results and its stored report document (None for failed or older runs)."""
    results = results_of_runs(store, [run.id], all_segments=True)
    segments = sorted({r.segment for r in results if r.segment is not None})
    previous, following = neighbours(store, run)
    return {
        "run": {**_point(run), "monitor": run.monitor, "monitor_href": monitor_path(run.monitor),
                "started_at": run.started_at, "finished_at": run.finished_at,
                "duration_seconds": run.duration_seconds, "attempts": run.attempts,
                "reference": {"name": run.reference_name, "version": run.reference_version,
                              "rows": run.reference_rows},
                "error": run.error,
                "previous": None if previous is None else run_href(previous),
                "next": None if following is None else run_href(following)},
        "results": [_result(r) for r in results],
        "segments": segments,
        "report": run_report(store, run.id),
    }


def _verdict(results: Sequence[ResultRecord]) -> dict[str, Any] | None:
    """The retrain verdict of the newest run shown, with its reasons."""
    for r in results:
        if r.check == "verdict":
            return {"verdict": r.name, "reasons": (r.note or "").split("; ")}
    return None


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
    shown: Sequence[RunPoint], heat: Sequence[RunPoint], by_run: dict[int, list[ResultRecord]],
    anchor: Callable[[str], str] | None,
) -> dict[str, Any]:
    """Per-column effect size (the statistic when a method has none) over time, the
    columns that moved most first; ``anchors`` name the column's card on a run's page."""
    index = {p.id: i for i, p in enumerate(shown)}
    found: dict[str, dict[int, ResultRecord]] = defaultdict(dict)
    for run in heat:
        for r in by_run[run.id]:
            if r.check == "drift" and r.column is not None:
                found[r.column][run.id] = r
    strongest = {name: max(max(_effect(r) or 0.0, 1.0 if r.drifted else 0.0)
                           for r in cells.values()) for name, cells in found.items()}
    names = sorted(found, key=lambda c: (-strongest[c], c))[:HEATMAP_COLUMNS]
    rows = [[found[name].get(run.id) for run in heat] for name in names]
    return {
        "runs": [index[run.id] for run in heat], "names": names,
        "methods": [sorted({r.method or "" for r in found[name].values()}) for name in names],
        "effect": [[None if r is None else _effect(r) for r in row] for row in rows],
        "drifted": [[None if r is None else bool(r.drifted) for r in row] for row in rows],
        "anchors": [anchor(name) if anchor else None for name in names],
        "omitted": max(0, len(found) - len(names)),
    }


def _effect(result: ResultRecord) -> float | None:
    return result.effect_size if result.effect_size is not None else result.statistic


def _series(
    runs: Sequence[RunPoint], by_run: dict[int, list[ResultRecord]],
    keep: Callable[[ResultRecord], bool], key: Callable[[ResultRecord], str],
) -> list[dict[str, Any]]:
    """One series per check or metric, one value per shown run (None: not measured then)."""
    values: dict[str, list[float | None]] = {}
    passed: dict[str, list[bool | None]] = {}
    limits: dict[str, float | None] = {}
    for i, run in enumerate(runs):
        for r in by_run[run.id]:
            if not keep(r):
                continue
            name = key(r)
            if name not in values:
                values[name], passed[name] = [None] * len(runs), [None] * len(runs)
            values[name][i], passed[name][i] = r.value, r.passed
            if r.threshold is not None:
                limits[name] = r.threshold
    failing = {name: sum(p is False for p in flags) for name, flags in passed.items()}
    return [{"name": name, "values": values[name], "passed": passed[name],
             "limit": limits.get(name), "failed_runs": failing[name]}
            for name in sorted(values, key=lambda n: (-failing[n], n))]


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
            "passed": r.passed, "drifted": r.drifted, "failing_rows": r.failing_rows,
            "name": r.name, "samples": list(r.samples), "note": r.note}


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else value
