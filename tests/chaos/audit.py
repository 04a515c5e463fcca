"""The audit after a chaos scenario: what the daemon stored and sent, against what it owed.

Every window from the first to the newest must be stored once, as ``ok``,
with all its rows and results; the alert, which fires and resolves on each
window's ``drift_share``, owes one message per transition; every message
must be recorded as delivered and accepted by the receiver, once, or again
only when a kill explains it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.records import OutboxMessage, RunRecord
from monitor.store import open_store
from monitor.store.outbox import OutboxQueue
from monitor.times import format_time
from monitor.windows import EPOCH, Window
from tests.chaos.world import MONITOR, ROWS_PER_WINDOW, WINDOW, LedgerReceiver, World

__all__ = ["Audit", "audit"]


@dataclass
class Audit:
    """What the daemon stored and delivered, against what it must have.

    ``lost`` counts alert transitions without a message, and messages never
    delivered (or never accepted by the receiver); ``duplicated`` counts extra
    messages for one transition, and acceptances of one webhook-id after the
    first that no kill explains. ``resent_after_kill`` counts the acceptances
    a kill does explain: the daemon died between the receiver's answer and
    recording it, so the message went out again with the same webhook-id
    (at-least-once delivery; the receiver drops it by that id).
    """

    windows: int = 0
    retried_windows: int = 0
    transitions: int = 0
    sent: int = 0
    requests: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    resent_after_kill: int = 0
    problems: list[str] = field(default_factory=list)


def audit(world: World, *, first: Window | None = None, kills: Sequence[float] = ()) -> Audit:
    """Check every window from the first (``first``, else the oldest stored) to the newest."""
    store = open_store(world.url)
    try:
        runs = sorted(store.runs(MONITOR, limit=100_000), key=lambda r: r.window_start)
        results = {run.id: len(store.results(run.id)) for run in runs}
        messages = OutboxQueue(store).messages(limit=100_000)
    finally:
        store.close()
    found = Audit(requests=len(world.receiver.answers), sent=len(messages))
    _check_windows(world, runs, results, first, found)
    expected = _transitions(runs)
    found.transitions = len(expected)
    _check_messages(expected, messages, found)
    _check_deliveries(world.receiver, messages, kills, found)
    return found


def _check_windows(world: World, runs: list[RunRecord], results: dict[int, int],
                   first: Window | None, found: Audit) -> None:
    if not runs:
        found.problems.append("no run was stored")
        return
    if first is not None and runs[0].window_start > first.start:
        found.problems.append(
            f"the brand-new monitor's first window {first} was never stored (the oldest "
            f"stored window is {Window(runs[0].window_start, runs[0].window_end)})")
    start = first.start if first is not None else runs[0].window_start
    by_start = {run.window_start: run for run in runs}
    missing, moment = [], start
    while moment < runs[-1].window_end:
        if moment not in by_start:
            missing.append(str(Window(moment, moment + WINDOW)))
        moment += WINDOW
    if missing:
        found.problems.append(f"{len(missing)} windows never stored (a gap): "
                              + ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else ""))
    found.windows = len(runs)
    found.retried_windows = sum(run.attempts > 1 for run in runs)
    for run in runs:
        window = Window(run.window_start, run.window_end)
        if run.status != "ok":
            found.problems.append(f"window {window} ended {run.status}: {run.error}")
        elif run.current_rows != ROWS_PER_WINDOW or not results[run.id]:
            found.problems.append(f"window {window} stored {run.current_rows} rows and "
                                  f"{results[run.id]} results, not {ROWS_PER_WINDOW} rows")
        elif world.drifting.get((run.window_start - EPOCH) // WINDOW) and run.drift_share != 1:
            found.problems.append(f"window {window} was shifted but stored drift_share="
                                  f"{run.drift_share}")


def _transitions(runs: list[RunRecord]) -> list[tuple[str, str]]:
    """(status, window start) of each message the alert owes: it fires and resolves on drift_share.

    ``drift_share > 0.5`` with ``for: 1`` and no ``keep_firing_for``: the
    alert fires on the first window that holds and resolves on the first
    that does not, window after window in order.
    """
    firing, owed = False, []
    for run in runs:
        if run.status != "ok":
            continue
        holds = run.drift_share is not None and run.drift_share > 0.5
        if holds != firing:
            owed.append(("firing" if holds else "resolved", format_time(run.window_start)))
            firing = holds
    return owed


def _check_messages(expected: list[tuple[str, str]], messages: list[OutboxMessage],
                    found: Audit) -> None:
    by_transition: dict[tuple[str, str], list[str]] = defaultdict(list)
    for message in messages:
        payload = message.payload
        by_transition[(payload["status"], payload["window"]["start"])].append(
            message.idempotency_key)
    for status, start in expected:
        keys = by_transition.pop((status, start), [])
        if not keys:
            found.lost += 1
            found.problems.append(f"no message for the alert {status} on the window "
                                  f"starting {start}")
        elif len(keys) > 1:
            found.duplicated += len(keys) - 1
            found.problems.append(f"{len(keys)} messages (ids {', '.join(keys)}) for the "
                                  f"alert {status} on the window starting {start}")
    for (status, start), keys in sorted(by_transition.items()):
        found.problems.append(f"message {', '.join(keys)} says the alert is {status} on the "
                              f"window starting {start}, which the stored runs do not say")


def _check_deliveries(receiver: LedgerReceiver, messages: list[OutboxMessage],
                      kills: Sequence[float], found: Audit) -> None:
    accepted = receiver.accepted()
    for message in messages:
        key = message.idempotency_key
        if message.delivered_at is None:
            found.lost += 1
            found.problems.append(f"message {key} never delivered: {message.stage} after "
                                  f"{message.attempts} attempts ({message.last_error})")
            continue
        if not accepted[key]:
            found.lost += 1
            found.problems.append(f"message {key} is marked delivered but the receiver never "
                                  f"accepted it")
            continue
        found.delivered += 1
        times = receiver.acceptances(key)
        for before, after in itertools.pairwise(times):
            if any(before <= kill <= after for kill in kills):
                found.resent_after_kill += 1
            else:
                found.duplicated += 1
                found.problems.append(f"message {key} accepted again {after - before:.1f}s "
                                      f"after it was accepted, with no kill in between")
    unknown = set(accepted) - {m.idempotency_key for m in messages}
    if unknown:
        found.problems.append(f"the receiver accepted ids that are in no outbox row: "
                              f"{sorted(unknown)}")
