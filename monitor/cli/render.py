"""What the run commands print: one line per window's run, its comparison table, stored runs.

``check``, ``backfill`` and ``history`` share these; times are shown to the
second in UTC (``format_time(..., "seconds")``), as everywhere in the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from monitor.daemon.runner import RunOutcome
from monitor.records import ResultRecord, RunRecord
from monitor.report import render_table
from monitor.rules.metric_names import VERDICT_LEVELS
from monitor.rules.schema import MonitorSpec
from monitor.times import format_time

__all__ = ["outcome_line", "print_outcome", "run_json", "run_lines", "terminal_time"]


def terminal_time(moment: datetime | None) -> str:
    """A time as the terminal shows it: ISO 8601 UTC to the second, ``""`` for none."""
    return "" if moment is None else format_time(moment, "seconds")


def print_outcome(outcome: RunOutcome, spec: MonitorSpec) -> None:
    """A run's line, its comparison table when it ran, and its alert transitions."""
    print(outcome_line(outcome))
    if outcome.comparison is not None and outcome.status == "ok":
        print(render_table(outcome.comparison, _reference_label(spec), str(outcome.window)))
    if outcome.verdict is not None:
        name = next(k for k, v in VERDICT_LEVELS.items() if v == outcome.verdict)
        print(f"Retrain verdict: {name} (`monitor advise` gives the reasons)")
    for alert, status in outcome.transitions:
        print(f"alert {alert}: now {status}")
    print()


def outcome_line(outcome: RunOutcome) -> str:
    """One line saying what a window's run did."""
    head = f"{outcome.monitor} {outcome.window}: "
    if outcome.status == "skipped":
        return head + f"already processed (run {outcome.run_id}); see `monitor history`"
    if outcome.status == "failed":
        return head + f"FAILED: {outcome.error}"
    if outcome.status == "no_data":
        return head + "no rows in this window"
    if outcome.status in ("leased", "interrupted"):
        return head + f"not run here: {outcome.error or outcome.status}"
    comparison = outcome.comparison
    assert comparison is not None
    drifted = sum(c.drifted for c in comparison.columns)
    return (head + f"{outcome.rows} rows, {drifted} of {len(comparison.columns)} columns "
            f"drifted, {len(outcome.quality_failed)} quality checks failed")


def run_lines(runs: Sequence[RunRecord]) -> list[str]:
    """Stored runs as a table, newest first, for ``monitor history``."""
    lines = [f"{'id':>5}  {'monitor':<20} {'window start':<20} {'window end':<20} "
             f"{'status':<8} {'rows':>8} {'drift':>6}  error"]
    for run in runs:
        share = "-" if run.drift_share is None else f"{run.drift_share:.0%}"
        lines.append(f"{run.id:>5}  {run.monitor[:20]:<20} {terminal_time(run.window_start):<20} "
                     f"{terminal_time(run.window_end):<20} {run.status:<8} "
                     f"{run.current_rows or 0:>8} {share:>6}  {run.error or ''}")
    return lines


def run_json(run: RunRecord, results: Sequence[ResultRecord]) -> dict[str, Any]:
    """A stored run and its results as ``monitor history --format json`` prints them."""
    data: dict[str, Any] = {"id": run.id}
    data.update((k, terminal_time(v) if isinstance(v, datetime) else v)
                for k, v in asdict(run).items())
    data["results"] = [{k: v for k, v in asdict(r).items() if k != "run_id"} for r in results]
    return data


def _reference_label(spec: MonitorSpec) -> str:
    ref = spec.reference
    return ref.path or f"{ref.profile}" + (f" v{ref.version}" if ref.version else "")
