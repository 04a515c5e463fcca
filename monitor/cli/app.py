"""The ``monitor`` command: parse, set up logging, call the command, map errors to exit statuses.

Every error is one line on stderr that names the thing and what to do (see
``exit_status`` for the statuses). The commands are imported only once
chosen, so that ``monitor --help`` and ``monitor compare`` stay fast. Output
whose reader stops early (``monitor history | head -1``) ends the command
quietly, as ``git log | head`` ends git: no traceback, status 141.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from monitor.cli.exit_status import (
    EXIT_BAD_INPUT,
    EXIT_CLOSED_PIPE,
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
)
from monitor.cli.parser import build_parser
from monitor.daemon.logs import Redactor, configure_logging
from monitor.errors import MonitorError, RulesInvalid
from monitor.settings import Settings

__all__ = ["main"]

def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        "database_url": args.database_url,
        "log_format": args.log_format,
        "log_level": args.log_level,
        "http": getattr(args, "http", None),
    }
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status, quietly 141 when stdout's reader went away."""
    try:
        try:
            return _run(argv)
        finally:
            sys.stdout.flush()  # so that a closed pipe shows here, not at interpreter exit
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_CLOSED_PIPE


def _discard_stdout() -> None:
    """Point stdout at /dev/null: Python flushes it again at exit, which would fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # a stream without a file descriptor has nothing to flush
        pass


def _run(argv: Sequence[str] | None) -> int:
    """Run one command; return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ValidationError as exc:
        for error in exc.errors():
            print(f"monitor: error: {error['msg']}", file=sys.stderr)
        return EXIT_BAD_INPUT
    default_level = "INFO" if args.command == "run" else "WARNING"
    configure_logging(settings.log_format, settings.log_level or default_level,
                      Redactor.from_environment(os.environ))
    if args.command == "compare":  # light: no database, HTTP client or scheduler imports
        from monitor.cli import compare as module
    elif args.command == "init":  # light too: it opens no results database
        module = importlib.import_module("monitor.cli.init")
    else:
        from monitor.cli import alerts, commands  # late: keeps `monitor --help` fast

        module = alerts if args.command in ("silence", "alerts") else commands
    handler = getattr(module, f"cmd_{args.command}")
    try:
        return int(handler(args, settings))
    except RulesInvalid as exc:
        for problem in exc.errors:
            print(problem, file=sys.stderr)
        return EXIT_FINDINGS if args.command == "validate" else EXIT_BAD_INPUT
    except MonitorError as exc:
        print(f"monitor: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED

