"""Rule files through the API: validate them, or run their monitors once as ``monitor check``.

``check`` is ``monitor check`` without the printing: each monitor's latest
complete window is run, stored in the database, its alerts evaluated and
their notifications delivered; it returns one ``CheckResult`` per monitor
instead of an exit status. The database and its drivers are imported here
only, so ``monitor.profile`` and ``monitor.compare`` never load them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from monitor.alerts.delivery.dispatcher import Dispatcher, RetryPolicy, build_notifiers
from monitor.api.comparison import Comparison
from monitor.daemon.runner import Runner, RunOutcome
from monitor.errors import MonitorError, RuleError
from monitor.rules.loader import load_rules, load_rules_with_warnings
from monitor.rules.schema import MonitorSpec
from monitor.settings import Settings
from monitor.store import Store, open_store
from monitor.store.history import run_report
from monitor.times import utc_now
from monitor.windows import Window

__all__ = ["CheckResult", "check", "validate"]

@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one monitor's run of its latest complete window did.

    Attributes:
        monitor: the monitor's name.
        window: the window run, ``[start, end)`` in UTC.
        status: ``ok``, ``no_data``, ``failed``, ``skipped`` (stored before:
            nothing ran again) or ``leased`` (another process is running it).
        rows: rows in the window.
        drift_share: drifted columns over compared columns (None: not run).
        dataset_drift: whether the dataset drifted (None: not run).
        firing: the monitor's alerts firing after the run (alert keys).
        error: why the run failed, or was not run here.
        comparison: the comparison, with the report the run stored (None
            unless the window ran here).
        run_id: the stored run's id, for ``monitor history`` and the console.
        notifications: notifications this run queued for delivery.
    """

    monitor: str
    window: Window
    status: str
    rows: int
    drift_share: float | None
    dataset_drift: bool | None
    firing: tuple[str, ...]
    error: str | None
    comparison: Comparison | None
    run_id: int | None
    notifications: int


def check(
    rules_path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    monitor: str | None = None,
    database_url: str | None = None,
) -> list[CheckResult]:
    """Run each monitor of the rule files (or only ``monitor``) once, as ``monitor check`` does.

    Args:
        rules_path: a rule file or folder, or several.
        monitor: only the monitor of this name.
        database_url: where results are stored (default ``MONITOR_DATABASE_URL``,
            else ``sqlite:///monitor.db``); other settings come from ``MONITOR_*``.

    Raises:
        RulesInvalid: the rule files are invalid (every problem, located).
        MonitorError: no such monitor, or bad settings.
        StoreError: the database cannot be reached.
    """
    rules = load_rules(_paths(rules_path), env=os.environ)
    specs = rules.select(monitor)
    settings = _settings(database_url)
    store = open_store(settings.database_url, schema=settings.database_schema)
    try:
        runner = Runner(store)
        outcomes = [runner.run_window(spec, runner.latest_window(spec)) for spec in specs]
        Dispatcher(store, build_notifiers(rules), clock=utc_now,
                   policy=RetryPolicy.from_settings(settings)).dispatch(utc_now())
        return [_result(store, spec, outcome)
                for spec, outcome in zip(specs, outcomes, strict=True)]
    finally:
        store.close()


def validate(
    rules_path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> list[RuleError]:
    """Check rule files as ``monitor validate`` does; return the warnings.

    A warning is a data file the rules name that does not exist yet (the data
    may arrive later), located as ``path:line:column``.

    Raises:
        RulesInvalid: the rule files are invalid; ``errors`` lists every problem.
    """
    return load_rules_with_warnings(_paths(rules_path), os.environ)[1]


def _paths(rules_path: object) -> list[str | Path]:
    if isinstance(rules_path, str | os.PathLike):
        return [os.fspath(rules_path)]
    if isinstance(rules_path, Sequence) and rules_path and all(
            isinstance(p, str | os.PathLike) for p in rules_path):
        return [os.fspath(p) for p in rules_path]
    raise MonitorError(f"rules_path must be a rule file or folder, or a list of them, got "
                       f"{rules_path!r:.80}")


def _settings(database_url: str | None) -> Settings:
    try:
        return Settings() if database_url is None else Settings(database_url=database_url)
    except ValidationError as exc:
        raise MonitorError("; ".join(str(e["msg"]) for e in exc.errors())) from exc


def _result(store: Store, spec: MonitorSpec, outcome: RunOutcome) -> CheckResult:
    """The outcome with the monitor's firing alerts and, when it ran, its comparison."""
    firing = tuple(sorted(key for key, state in store.alert_states(spec.name).items()
                          if state.state == "firing"))
    share: float | None = None
    drift: bool | None = None
    comparison = None
    if outcome.comparison is not None:
        share, drift = outcome.comparison.drift_share, outcome.comparison.dataset_drift
        report = run_report(store, outcome.run_id) if outcome.run_id is not None else None
        sides = [(report or {}).get(side, {}).get("source") for side in ("reference", "current")]
        comparison = Comparison(outcome.comparison, str(sides[0] or _reference_name(spec)),
                                str(sides[1] or f"{spec.name} {outcome.window}"), report=report)
    elif outcome.run_id is not None:  # stored before: its numbers are in the database
        run = store.get_run(spec.name, outcome.window.start, outcome.window.end)
        if run is not None:
            share, drift = run.drift_share, run.dataset_drift
    return CheckResult(spec.name, outcome.window, outcome.status, outcome.rows, share, drift,
                       firing, outcome.error, comparison, outcome.run_id, outcome.notifications)


def _reference_name(spec: MonitorSpec) -> str:
    reference = spec.reference
    if reference.path:
        return reference.path
    return f"{reference.profile}" + (f" v{reference.version}" if reference.version else "")
