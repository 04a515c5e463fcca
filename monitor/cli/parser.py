"""The ``monitor`` argument parser: every command, its arguments and its ``--help`` text."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from monitor import __version__
from monitor.times import parse_time

__all__ = ["build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="monitor",
        description="Drift and data-quality monitoring for machine-learning systems.",
    )
    parser.add_argument("--version", action="version", version=f"monitor {__version__}")
    parser.add_argument("--database-url", help="results database (env MONITOR_DATABASE_URL, "
                        "default sqlite:///monitor.db)")
    parser.add_argument("--log-format", choices=["text", "json"],
                        help="log line format (env MONITOR_LOG_FORMAT)")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING... (env MONITOR_LOG_LEVEL)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser("validate", help="check rule files (default: rules/)")
    validate.add_argument("paths", nargs="*", metavar="PATH")

    profile = commands.add_parser("profile", help="build and store a reference profile")
    profile.add_argument("data", nargs="?", metavar="DATA", help="CSV, Parquet or JSONL file")
    profile.add_argument("--name", help="store the profile under this name (new version)")
    profile.add_argument("--out", type=Path, help="write the profile JSON here instead")
    profile.add_argument("--sql", metavar="URL", help="read from this database instead")
    profile.add_argument("--query", help="SELECT to profile, with --sql")
    profile.add_argument("--engine", choices=["local", "spark"], default="local",
                         help="spark: profile on Spark (MONITOR_SPARK_MASTER), in passes "
                         "over a --table or DATA path; local (default): in this process")
    profile.add_argument("--table", help="Spark table to profile, with --engine spark")
    profile.add_argument("--format", dest="data_format", choices=["parquet", "delta", "orc"],
                         help="format of DATA, with --engine spark (default parquet)")
    _column_flags(profile)
    _role_flags(profile)

    compare = commands.add_parser("compare", help="compare two data sets, no database needed")
    compare.add_argument("reference", metavar="REFERENCE",
                         help="file, profile JSON file, or stored profile name")
    compare.add_argument("current", metavar="CURRENT", help="CSV, Parquet or JSONL file")
    compare.add_argument("--format", choices=["table", "json", "html"], default="table")
    compare.add_argument("--method", default="auto", help="drift method for every column")
    compare.add_argument("--threshold", type=float, help="the method's threshold")
    compare.add_argument("--correction", choices=["holm", "bh", "none"], default="holm")
    compare.add_argument("--checks", metavar="FILE",
                         help="YAML file with a 'quality:' block (columns, conditions, "
                         "duplicates) run on CURRENT, as a monitor's rule file writes it")
    _column_flags(compare)
    _role_flags(compare)

    check = commands.add_parser("check", help="run every monitor once on its latest window")
    check.add_argument("paths", nargs="*", metavar="PATH", help="rule files (default rules/)")
    check.add_argument("--monitor", help="only this monitor")

    run = commands.add_parser("run", help="the daemon: schedule monitors, reload rules, serve "
                              "/healthz and /metrics")
    run.add_argument("paths", nargs="*", metavar="PATH", help="rule files (default rules/)")
    run.add_argument("--http", help="host:port of the console, /healthz, /readyz, /status and "
                     "/metrics (env MONITOR_HTTP; default 127.0.0.1:9108)")

    backfill = commands.add_parser("backfill", help="run past windows (idempotent)")
    backfill.add_argument("paths", nargs="*", metavar="PATH", help="rule files (default rules/)")
    backfill.add_argument("--monitor", required=True)
    backfill.add_argument("--from", dest="start", required=True, type=_time,
                          help="ISO time, UTC if no offset")
    backfill.add_argument("--to", dest="end", required=True, type=_time)

    history = commands.add_parser("history", help="stored runs and results")
    history.add_argument("--monitor")
    history.add_argument("--format", choices=["table", "json"], default="table")
    history.add_argument("--limit", type=int, default=20)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="apply the Alembic migrations")
    _alert_commands(commands)
    _init_command(commands)
    _advise_command(commands)
    return parser


def _advise_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    advise = commands.add_parser(
        "advise", help="each monitor's verdict: ok, watch or retrain, with its reasons",
        description="Print the newest stored verdict of each monitor of the rules (and of its "
        "segments): ok, watch or retrain, since when, and why. Exit status: 0 every monitor "
        "ok (or without a verdict yet), 1 a monitor says watch or retrain, 2 bad input.")
    advise.add_argument("paths", nargs="*", metavar="RULES",
                        help="rule files (default rules/): the monitors and their retrain: blocks")
    advise.add_argument("--monitor", help="only this monitor")
    advise.add_argument("--format", choices=["table", "json"], default="table")


def _init_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = commands.add_parser(
        "init", help="draft a commented rule file (and its reference) from a look at the data",
        description="Look at a sample of DATA, infer the timestamp, the columns' roles and "
        "kinds, a window and quality limits, and write DIR/NAME.yaml with the reason for each "
        "choice beside it (and, unless DATA is one file, the sample as DIR/NAME.reference."
        "parquet).")
    init.add_argument("data", metavar="DATA", help="a CSV, Parquet or JSONL file, a glob or "
                      "folder of them, or a database URL (with --table)")
    init.add_argument("--table", help="the table to read when DATA is a database URL "
                      "(schema.table allowed)")
    init.add_argument("--timestamp", metavar="COL", help="the column that dates each row")
    init.add_argument("--prediction", metavar="COL", help="the model's output column")
    init.add_argument("--target", metavar="COL", help="the labels column")
    init.add_argument("--out", type=Path, default=Path("rules"), metavar="DIR",
                      help="folder of the rule file (default rules/)")
    init.add_argument("--name", help="the monitor's name (default: from DATA's name)")
    init.add_argument("--force", action="store_true", help="overwrite files already there")


def _alert_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    silence = commands.add_parser("silence", help="mute alerts for a while: add, list, expire")
    actions = silence.add_subparsers(dest="silence_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="mute matching alerts; their states keep changing")
    add.add_argument("--alert", required=True, help="alert name, or a pattern (feature-*, *)")
    add.add_argument("--monitor", help="only this monitor (a name or a pattern)")
    add.add_argument("--segment", help="only this segment, such as state=CA (or a pattern)")
    add.add_argument("--severity", choices=["info", "warning", "critical"], help="only this level")
    length = add.add_mutually_exclusive_group(required=True)
    length.add_argument("--for", dest="duration", help="how long, such as 2h or 1d")
    length.add_argument("--until", type=_time, help="ISO time it ends, UTC if no offset")
    add.add_argument("--start", type=_time, help="ISO time it starts (default: now)")
    add.add_argument("--reason", required=True, help="why, for whoever is on call")
    add.add_argument("--by", help="who adds it (default: the login name)")
    listing = actions.add_parser("list", help="active and upcoming silences")
    listing.add_argument("--all", action="store_true", help="ended silences too")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    expire = actions.add_parser("expire", help="end silences now")
    expire.add_argument("ids", nargs="+", type=int, metavar="ID")
    alerts = commands.add_parser("alerts", help="alert states, silences, undelivered messages")
    alerts.add_argument("--monitor", help="only this monitor's alerts")
    alerts.add_argument("--all", action="store_true",
                        help="inactive alerts and ended silences too")
    alerts.add_argument("--format", choices=["table", "json"], default="table")
    alerts.add_argument("--limit", type=int, default=50, help="most outbox messages listed")


def _column_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--categorical", action="append", default=[], metavar="COL",
                        help="treat COL as categorical (repeatable)")
    parser.add_argument("--text", action="append", default=[], metavar="COL",
                        help="COL is free text: compared by length, descriptors (words, "
                        "non-letters, empty, out-of-vocabulary) and vocabulary (repeatable)")
    parser.add_argument("--exclude", action="append", default=[], metavar="COL",
                        help="leave COL out (repeatable)")
    parser.add_argument("--embedding", action="append", default=[], metavar="COL",
                        help="COL holds vectors (list<float> or JSON arrays; PREFIX* gathers "
                        "the columns starting with PREFIX): compared as vectors, MMD by "
                        "default (repeatable)")
    parser.add_argument("--segment", action="append", default=[], metavar="COL",
                        help="profile (and compare) the rows of each value of COL apart "
                        "(repeatable; 50 values at most)")


def _role_flags(parser: argparse.ArgumentParser) -> None:
    """The roles of a rule file's ``columns:`` block, for ``compare``."""
    parser.add_argument("--timestamp", metavar="COL",
                        help="the time of each row: never compared; its span is shown")
    parser.add_argument("--prediction", metavar="COL",
                        help="the model's output: compared, and scored against --target")
    parser.add_argument("--target", metavar="COL",
                        help="the labels: never compared; with --prediction, model metrics "
                        "on the rows of CURRENT that have one")
    parser.add_argument("--task", choices=["classification", "regression"],
                        help="the model's task (default: inferred from the labels); with "
                        "regression, --prediction and a --target in REFERENCE, the error "
                        "is estimated on rows without labels (DLE; needs monitor[estimate])")
    parser.add_argument("--score", action="append", default=[], metavar="COL",
                        help="the classifier's score: the positive class's probability "
                        "(binary), or one column per class, repeated (COL, or CLASS=COL); "
                        "with a --target in REFERENCE, performance is estimated on "
                        "CURRENT without its labels (CBPE)")


def _time(text: str) -> datetime:
    try:
        return parse_time(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO time such as 2026-11-24T10:00:00Z") from None
