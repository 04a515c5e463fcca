"""``monitor advise``: each monitor's verdict, ``ok``, ``watch`` or ``retrain``, with its reasons.

Every run stores a verdict (see ``monitor.analysis.verdict``); this command
reads the newest one of each monitor of the rules (and of each of its
segments) from the database, so that an operator, or a script deciding
whether to start a training job, asks one question instead of reading
alerts and metrics. The rules give the monitors to list (one without a run
yet says so) and their ``retrain:`` blocks, with which ``since`` and the
evidence are worked out again from the stored history.

Exit status: 0 when every monitor is ``ok`` (or has no verdict yet), 1 when
one says ``watch`` or ``retrain`` (findings, as ``monitor check`` exits 1 on
firing alerts), 2 on bad input (rules, database).
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from collections.abc import Sequence
from typing import Any

from monitor.cli.exit_status import EXIT_FINDINGS, EXIT_OK
from monitor.daemon.verdicts import latest_verdicts
from monitor.report.text import format_table
from monitor.rules.loader import load_rules
from monitor.rules.retrain import RetrainSpec
from monitor.rules.schema import MonitorSpec
from monitor.settings import Settings
from monitor.store import open_store

__all__ = ["advise_status", "cmd_advise", "retrain_policy"]


def retrain_policy(spec: MonitorSpec) -> RetrainSpec:
    """The monitor's ``retrain:`` block (the defaults when it has none)."""
    policy = getattr(spec, "retrain", None)
    return policy if isinstance(policy, RetrainSpec) else RetrainSpec()


def cmd_advise(args: argparse.Namespace, settings: Settings) -> int:
    """Print the newest verdict of each monitor (or of ``--monitor``) and its segments."""
    rules = load_rules(list(args.paths) or [settings.rules], env=os.environ)
    specs = rules.select(args.monitor)
    store = open_store(settings.database_url, schema=settings.database_schema)
    try:
        items = latest_verdicts(store, specs={s.name: retrain_policy(s) for s in specs})
    finally:
        store.close()
    if args.format == "json":
        print(json.dumps(items, indent=2))
    else:
        print("\n".join(_table(items)))
    return advise_status(items)


def advise_status(items: Sequence[dict[str, Any]]) -> int:
    """1 when a verdict is ``watch`` or ``retrain``, else 0."""
    return EXIT_FINDINGS if any(i["verdict"] in ("watch", "retrain") for i in items) else EXIT_OK


def _table(items: Sequence[dict[str, Any]]) -> list[str]:
    counts = Counter(i["verdict"] for i in items)
    summary = ", ".join(f"{counts[v]} {v}" for v in ("retrain", "watch", "ok") if counts[v])
    if counts[None]:
        summary += (", " if summary else "") + f"{counts[None]} without a verdict yet"
    rows = [(i["monitor"], i.get("segment") or "-", i["verdict"] or "none", i["since"] or "-",
             "; ".join(i["reasons"])) for i in items]
    return [f"VERDICTS: {summary}",
            *format_table(("monitor", "segment", "verdict", "since", "reasons"), rows,
                          rule=False)]
