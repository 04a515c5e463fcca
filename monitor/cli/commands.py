"""What the rule and database commands do, once their arguments are parsed.

``validate``, ``profile``, ``check``, ``backfill``, ``run``, ``history`` and
``db``: each ``cmd_<name>(args, settings)`` returns the exit status; errors
are raised as ``MonitorError`` and turned into one stderr line by
``cli.app.main``. ``compare`` and the alerting commands have modules of their
own (``advise`` is imported here from its own).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

import pandas as pd

from monitor.alerts.delivery.dispatcher import (
    Dispatcher,
    DispatchReport,
    RetryPolicy,
    build_notifiers,
)
from monitor.cli.advise import cmd_advise
from monitor.cli.compare import flag_roles, named_columns, require_columns
from monitor.cli.exit_status import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK
from monitor.cli.render import outcome_line, print_outcome, run_json, run_lines, terminal_time
from monitor.daemon.runner import Runner, RunOutcome
from monitor.errors import MonitorError
from monitor.profiles import Profile, Roles, build_profile
from monitor.rules.loader import load_rules, load_rules_with_warnings
from monitor.rules.schema import RuleSet
from monitor.settings import Settings
from monitor.sources.base import Source
from monitor.sources.files import FileSource
from monitor.sources.sql import SqlSource
from monitor.store import Store, current_revision, open_store, upgrade
from monitor.store.engine import create_store_engine, describe
from monitor.store.outbox import OutboxQueue
from monitor.times import utc_now
from monitor.windows import Window, align

__all__ = [
    "cmd_advise", "cmd_backfill", "cmd_check", "cmd_db", "cmd_history", "cmd_profile", "cmd_run",
    "cmd_validate",
]


def _rules(paths: Sequence[str], settings: Settings) -> RuleSet:
    return load_rules(list(paths) or [settings.rules], env=os.environ)


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Check rule files; invalid ones raise RulesInvalid (exit 1); missing data files only warn."""
    rules, warnings = load_rules_with_warnings(list(args.paths) or [settings.rules], os.environ)
    for warning in warnings:  # the data may arrive later: a warning, not a failure
        print(f"{warning.path}:{warning.line}:{warning.column}: warning: {warning.message}",
              file=sys.stderr)
    files = sorted({str(m.origin) for m in rules.monitors})
    print(f"rules are valid: {len(rules.monitors)} monitor(s), {len(rules.notifiers)} "
          f"notifier(s) in {', '.join(files) or 'no monitor files'}")
    return EXIT_OK


def cmd_profile(args: argparse.Namespace, settings: Settings) -> int:
    """Build a reference profile; store it under --name or write it to --out."""
    if not args.name and not args.out:
        raise MonitorError("say where the profile goes: --name NAME stores it in the "
                           "database, --out FILE writes it as JSON")
    if args.engine == "spark" or args.table or args.data_format:
        profile, origin = _profile_on_spark(args, settings.spark_master)
    else:
        profile, origin = _profile_locally(args)
    if args.out:
        args.out.write_text(json.dumps(profile.to_dict()))
        print(f"wrote profile of {origin} ({profile.rows} rows, {len(profile.columns)} "
              f"columns, sha256 {profile.content_hash()[:12]}) to {args.out}")
        return EXIT_OK
    store = open_store(settings.database_url, schema=settings.database_schema)
    try:
        stored = store.save_profile(args.name, profile.to_dict(), profile.content_hash(),
                                    profile.rows, utc_now())
    finally:
        store.close()
    print(f"stored profile '{stored.name}' version {stored.version} of {origin} "
          f"({stored.rows} rows, {len(profile.columns)} columns, sha256 "
          f"{stored.content_hash[:12]})")
    return EXIT_OK


def _profile_locally(args: argparse.Namespace) -> tuple[Profile, str]:
    """The reference profile of DATA or a --sql query, built in this process."""
    if args.sql:
        if not args.query:
            raise MonitorError("--sql needs --query 'SELECT ...'")
        source: Source = SqlSource(SqlSource.Config(url=args.sql, query=args.query))
        origin = source.describe()
    elif args.data:
        source = FileSource(FileSource.Config(path=args.data))
        origin = args.data
    else:
        raise MonitorError("give a DATA file to profile, or --sql URL --query 'SELECT ...'")
    return _profile_with_roles(source.read(), args, origin), origin


def _profile_on_spark(args: argparse.Namespace, master: str) -> tuple[Profile, str]:
    """The reference profile of a --table or DATA path, built on Spark in passes."""
    from monitor.sources.spark.reference import profile_table

    if args.engine != "spark":
        raise MonitorError("--table and --format go with --engine spark")
    if args.sql or (args.table is None) == (args.data is None):
        raise MonitorError("--engine spark profiles a --table or a DATA path (with --format), "
                           "not both, and not --sql")
    roles = flag_roles(args)
    if roles.segments or roles.builder_options():
        raise MonitorError("--engine spark builds references without segments, embeddings "
                           "or a performance estimator; profile those locally")
    profile, columns = profile_table(
        args.table, args.data, args.data_format, master=master, categorical=roles.categorical,
        kinds=dict.fromkeys(roles.text, "text"), exclude=roles.unprofiled,
        prediction=roles.prediction, target=roles.target, task=roles.task)
    origin = args.table or args.data
    require_columns(named_columns(roles), dict.fromkeys(columns), f"'{origin}'")
    return (profile if roles == Roles() else replace(profile, roles=roles)), origin


def _profile_with_roles(chunks: Iterable[pd.DataFrame], args: argparse.Namespace,
                        origin: str) -> Profile:
    """Profile ``chunks`` with the flags' roles, kept in the profile for ``monitor compare``."""
    roles = flag_roles(args)
    seen: dict[str, None] = {}

    def watched() -> Iterator[pd.DataFrame]:
        for chunk in chunks:
            seen.update(dict.fromkeys(map(str, chunk.columns)))
            yield chunk

    profile = build_profile(watched(), categorical=roles.categorical,
                            kinds=dict.fromkeys(roles.text, "text"), exclude=roles.unprofiled,
                            prediction=roles.prediction, target=roles.target, task=roles.task,
                            segments=roles.segments, **roles.builder_options())
    if seen:  # no rows, no columns to check the flags against
        require_columns(named_columns(roles), seen, f"DATA '{origin}'")
    # Only roles that were given: a profile without roles keeps the hash it always had.
    return profile if roles == Roles() else replace(profile, roles=roles)


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Run each monitor once on its latest complete window, store, alert."""
    rules = _rules(args.paths, settings)
    specs = rules.select(args.monitor)
    store = open_store(settings.database_url, schema=settings.database_schema)
    try:
        runner = Runner(store)
        outcomes = [runner.run_window(spec, runner.latest_window(spec)) for spec in specs]
        for outcome, spec in zip(outcomes, specs, strict=True):
            print_outcome(outcome, spec)
        _dispatch(store, rules, settings)
        return _exit_status(store, outcomes)
    finally:
        store.close()


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    """Run the windows of one monitor between --from and --to; stored windows are skipped."""
    rules = _rules(args.paths, settings)
    (spec,) = rules.select(args.monitor)
    if args.end <= args.start:
        raise MonitorError(f"--to ({terminal_time(args.end)}) must be after --from "
                           f"({terminal_time(args.start)})")
    store = open_store(settings.database_url, schema=settings.database_schema)
    try:
        runner = Runner(store)
        latest = runner.latest_window(spec).end
        windows, start = [], align(args.start, spec.window)
        while start + spec.window <= min(args.end, latest):
            windows.append(Window(start, start + spec.window))
            start += spec.window
        if not windows:
            raise MonitorError(f"no complete {spec.window} window of '{spec.name}' lies "
                               "between --from and --to")
        outcomes = []
        for window in windows:  # in order; stop where one fails, so none is passed over
            outcomes.append(runner.run_window(spec, window))
            print(outcome_line(outcomes[-1]), flush=True)
            if outcomes[-1].status in Runner.STOP_STATUSES:
                left = len(windows) - len(outcomes)
                if left:
                    print(f"{left} later window(s) not run; run the backfill again once this "
                          "window can be processed")
                break
        _dispatch(store, rules, settings)
        return _exit_status(store, outcomes)
    finally:
        store.close()


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the daemon until SIGTERM or SIGINT."""
    from monitor.daemon.scheduler import Daemon  # late: APScheduler is only needed here

    return Daemon(settings, list(args.paths) or [settings.rules]).run()


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    """Print stored runs, newest first."""
    store = open_store(settings.database_url, schema=settings.database_schema)
    try:
        runs = store.runs(args.monitor, limit=args.limit)
        if args.format == "json":
            print(json.dumps([run_json(run, store.results(run.id)) for run in runs], indent=2))
            return EXIT_OK
        if not runs:
            print("no runs stored yet" + (f" for '{args.monitor}'" if args.monitor else ""))
            return EXIT_OK
        print("\n".join(run_lines(runs)))
        return EXIT_OK
    finally:
        store.close()


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    """Apply migrations."""
    engine = create_store_engine(settings.database_url, schema=settings.database_schema)
    try:
        before = current_revision(engine)
        revision = upgrade(engine)
    finally:
        engine.dispose()
    change = "already up to date" if before == revision else f"upgraded from {before or 'empty'}"
    where = f" schema {settings.database_schema}" if settings.database_schema else ""
    print(f"database {describe(settings.database_url)}{where} is at revision {revision} "
          f"({change})")
    return EXIT_OK


def _dispatch(store: Store, rules: RuleSet, settings: Settings) -> DispatchReport:
    dispatcher = Dispatcher(store, build_notifiers(rules), clock=utc_now,
                            policy=RetryPolicy.from_settings(settings))
    report = dispatcher.dispatch(utc_now())
    pending = OutboxQueue(store).messages(stages=("pending", "retrying"))
    if report.delivered or pending:
        line = f"notifications: {report.delivered} delivered"
        if pending:
            errors = sorted({f"{m.notifier}: {m.last_error}" for m in pending if m.last_error})
            line += (f", {len(pending)} waiting for retry by the daemon"
                     + (f" ({'; '.join(errors)})" if errors else ""))
        print(line)
    return report


def _exit_status(store: Store, outcomes: Sequence[RunOutcome]) -> int:
    """2 if a run failed, else 1 if an alert of these monitors is firing, else 0."""
    firing = sorted(
        (state.alert_key, state.since)
        for monitor in dict.fromkeys(o.monitor for o in outcomes)
        for state in store.alert_states(monitor).values() if state.state == "firing"
    )
    for key, since in firing:
        print(f"FIRING {key} since {terminal_time(since)}")
    if any(o.status == "failed" for o in outcomes):
        return EXIT_BAD_INPUT
    return EXIT_FINDINGS if firing else EXIT_OK
