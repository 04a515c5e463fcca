"""Store upkeep the daemon does: retire the alerts of removed rules, prune old run reports.

The daemon owns the alert states of its database: when a monitor or an alert
rule leaves its rule files, the alerts it left firing are resolved here (the
pure decision is ``monitor.alerts.retire``). One-shot commands do not do
this, as they may run on a subset of the rules.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from monitor.alerts.retire import orphaned, retirement
from monitor.errors import MonitorError
from monitor.rules.schema import RuleSet
from monitor.store.alerting import list_alert_states
from monitor.store.history import prune_reports
from monitor.store.outbox import OutboxQueue
from monitor.store.repository import Store

__all__ = ["RECENT_MESSAGES", "prune_old_reports", "retire_removed_alerts"]

log = logging.getLogger(__name__)

RECENT_MESSAGES = 5000
"""Outbox messages searched for the notifiers a removed alert fired to."""


def retire_removed_alerts(
    store: Store, rules: RuleSet, notifiers: Collection[str], now: datetime,
    *, public_url: str | None = None,
) -> int:
    """Make inactive every alert state whose rule is gone; return how many were retired."""
    defined = {(m.name, rule.name) for m in rules.monitors for rule in m.alerts}
    states = orphaned(list_alert_states(store), defined)
    if not states:
        return 0
    sent = [(m.notifier, m.payload) for m in OutboxQueue(store).messages(limit=RECENT_MESSAGES)]
    records, notifications = retirement(states, sent, notifiers, now, public_url=public_url)
    store.save_alerts(records, notifications)
    for state in states:
        log.info("alert %s of monitor %s is no longer in the rules: %s -> inactive%s",
                 state.alert, state.monitor, state.state,
                 " (resolution sent)" if any(n.payload["alert"] == state.alert
                                             and n.payload["monitor"] == state.monitor
                                             for n in notifications) else "")
    return len(states)


def prune_old_reports(store: Store, now: datetime, days: float) -> int:
    """Delete the reports of runs older than ``days`` (``MONITOR_REPORT_DAYS``); their
    results stay. A database error is logged and tried again at the next pass."""
    try:
        pruned = prune_reports(store, now - timedelta(days=days))
    except MonitorError as exc:
        log.warning("old run reports not pruned: %s", exc)
        return 0
    if pruned:
        log.info("pruned the reports of %d run(s) older than %g days", pruned, days)
    return pruned
