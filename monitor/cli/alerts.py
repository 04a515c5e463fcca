"""The alerting commands: ``monitor silence add|list|expire`` and ``monitor alerts``.

Silences are stored in the database, so a silence added from a laptop mutes
the daemon's alerts from their next evaluation on. ``monitor alerts`` is
what an operator on call reads first: which alerts fire or wait, since when,
which are muted and why, and which notifications are still waiting, retrying
or dead, with their last error.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from monitor.alerts.routing import matches
from monitor.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK
from monitor.errors import MonitorError
from monitor.records import AlertStateRecord, NewSilence, OutboxMessage, SilenceRecord
from monitor.report.text import format_table
from monitor.settings import Settings
from monitor.store import Store, open_store
from monitor.store.alerting import (
    add_silence,
    alert_names,
    expire_silence,
    list_alert_states,
    silences,
)
from monitor.store.outbox import OutboxQueue
from monitor.times import format_duration, format_time, parse_duration, utc_now

__all__ = ["cmd_alerts", "cmd_silence"]



def cmd_silence(args: argparse.Namespace, settings: Settings) -> int:
    """Add, list or expire silences."""
    store = open_store(settings.database_url, schema=settings.database_schema)
    try:
        action = {"add": _add, "list": _list, "expire": _expire}[args.silence_command]
        return action(args, store, utc_now())
    finally:
        store.close()


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    """Print alert states, silences and the notifications not delivered yet."""
    now = utc_now()
    store = open_store(settings.database_url, schema=settings.database_schema)
    try:
        states = list_alert_states(store, args.monitor, include_inactive=args.all)
        found = silences(store, now, include_ended=args.all)
        queue = OutboxQueue(store)
        counts = queue.stage_counts()
        waiting = queue.messages(stages=("pending", "retrying", "dead"), limit=args.limit)
    finally:
        store.close()
    if args.format == "json":
        print(json.dumps({
            "alerts": [_state_json(s, found, now) for s in states],
            "silences": [_silence_json(s, now) for s in found],
            "outbox": {"counts": counts, "undelivered": [_message_json(m) for m in waiting]},
        }, indent=2))
        return EXIT_OK
    _print_states(states, found, now, args.all)
    _print_silences(found, now)
    _print_outbox(counts, waiting)
    return EXIT_OK


def _add(args: argparse.Namespace, store: Store, now: datetime) -> int:
    starts = args.start or now
    if args.duration is not None:
        try:
            length = parse_duration(args.duration)
        except ValueError as exc:
            raise MonitorError(f"--for: {exc}") from None
        ends = starts + length
    else:
        ends = args.until
    if ends <= now:
        raise MonitorError(f"the silence would end at {_when(ends)}, which has passed: give a "
                           "later --until or a --for from now")
    record = add_silence(store, NewSilence(
        alert=args.alert, monitor=args.monitor, segment=args.segment, severity=args.severity,
        reason=args.reason, starts_at=starts, ends_at=ends, created_at=now,
        created_by=args.by or _login()))
    print(f"silence {record.id} added: {_scope(record)} from {_when(starts)} until {_when(ends)} "
          f"({format_duration(ends - starts)})")
    _say_what_it_mutes(store, record, now)
    return EXIT_OK


def _say_what_it_mutes(store: Store, record: SilenceRecord, now: datetime) -> None:
    firing = [s for s in list_alert_states(store) if s.state == "firing"
              and matches(record, s.monitor, s.alert, s.segment, s.severity or "warning")]
    if firing:
        print(f"it mutes {len(firing)} firing alert(s) from their next window: "
              + ", ".join(s.alert_key for s in firing))
        return
    known = sorted(alert_names(store))
    if not any(matches(record, m, a, None, record.severity or "warning") or
               (record.segment is not None and matches(record, m, a, record.segment,
                                                         record.severity or "warning"))
               for m, a in known):
        listed = ", ".join(f"{m}/{a}" for m, a in known) or "none yet"
        print(f"warning: no alert evaluated so far matches this silence (known: {listed}); "
              "check the names", file=sys.stderr)


def _list(args: argparse.Namespace, store: Store, now: datetime) -> int:
    found = silences(store, now, include_ended=args.all)
    if args.format == "json":
        print(json.dumps([_silence_json(s, now) for s in found], indent=2))
        return EXIT_OK
    if not found:
        print("no silences" + (" at all" if args.all else " active or upcoming"))
        return EXIT_OK
    _print_silences(found, now, heading=False)
    return EXIT_OK


def _expire(args: argparse.Namespace, store: Store, now: datetime) -> int:
    status = EXIT_OK
    for silence_id in args.ids:
        try:
            record = expire_silence(store, silence_id, now)
        except MonitorError as exc:
            print(f"monitor: error: {exc}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        print(f"silence {record.id} expired: {_scope(record)} sends again from its next window")
    return status


def _print_states(states: Sequence[AlertStateRecord], found: Sequence[SilenceRecord],
                  now: datetime, everything: bool) -> None:
    firing = sum(s.state == "firing" for s in states)
    pending = sum(s.state == "pending" for s in states)
    print(f"ALERTS: {firing} firing, {pending} pending"
          + ("" if everything else " (--all shows inactive ones too)"))
    rows = [(s.monitor, s.alert, s.segment or "-", s.severity or "-", s.state,
             _when(s.since), _number(s.last_value), _note(s, found, now)) for s in states]
    _table(("monitor", "alert", "segment", "severity", "state", "since", "value", "note"), rows)


def _note(state: AlertStateRecord, found: Sequence[SilenceRecord], now: datetime) -> str:
    notes = []
    if state.reason in ("no_data", "error"):
        notes.append("no data" if state.reason == "no_data" else "run failed")
    silenced = [s.id for s in found if s.active(now) and matches(
        s, state.monitor, state.alert, state.segment, state.severity or "warning")]
    if silenced:
        notes.append("silenced by " + ", ".join(f"silence {i}" for i in silenced))
    elif state.muted and state.state == "firing":
        notes.append(state.muted)
    if state.state == "firing" and not state.announced and not silenced and not state.muted:
        notes.append("not sent yet")
    return "; ".join(notes)


def _print_silences(found: Sequence[SilenceRecord], now: datetime, heading: bool = True) -> None:
    if heading:
        active = sum(s.active(now) for s in found)
        print(f"\nSILENCES: {active} active, {len(found) - active} other")
    rows = [(str(s.id), _scope(s), _silence_status(s, now), _when(s.starts_at),
             _when(s.ended_at), s.created_by or "-", s.reason) for s in found]
    _table(("id", "matches", "status", "starts", "ends", "by", "reason"), rows)


def _print_outbox(counts: dict[str, int], waiting: Sequence[OutboxMessage]) -> None:
    print("\nOUTBOX: " + ", ".join(f"{n} {stage}" for stage, n in counts.items()))
    rows = [(str(m.id), m.notifier, str(m.payload.get("monitor", "-")),
             str(m.payload.get("alert", "-")), str(m.payload.get("status", "-")), m.stage,
             str(m.attempts), _when(m.dead_at or m.next_attempt_at), m.last_error or "")
            for m in waiting]
    _table(("id", "notifier", "monitor", "alert", "status", "stage", "attempts",
            "next/dead at", "last error"), rows)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    if rows:
        print("\n".join(format_table(header, rows, rule=False)))


def _silence_status(silence: SilenceRecord, now: datetime) -> str:
    if silence.active(now):
        return "active"
    if silence.starts_at > now and silence.ended_at > now:
        return "upcoming"
    return "expired" if silence.expired_at is not None else "ended"


def _scope(silence: SilenceRecord) -> str:
    parts = [f"alert {silence.alert}"]
    parts += [f"{name} {value}" for name, value in (
        ("monitor", silence.monitor), ("segment", silence.segment),
        ("severity", silence.severity)) if value is not None]
    return ", ".join(parts)


def _state_json(state: AlertStateRecord, found: Iterable[SilenceRecord],
                now: datetime) -> dict[str, Any]:
    data = {k: _iso(v) if isinstance(v, datetime) else v for k, v in asdict(state).items()}
    data["silenced_by"] = [s.id for s in found if s.active(now) and matches(
        s, state.monitor, state.alert, state.segment, state.severity or "warning")]
    return data


def _silence_json(silence: SilenceRecord, now: datetime) -> dict[str, Any]:
    data = {k: _iso(v) if isinstance(v, datetime) else v for k, v in asdict(silence).items()}
    data["status"] = _silence_status(silence, now)
    return data


def _message_json(message: OutboxMessage) -> dict[str, Any]:
    payload = message.payload
    return {
        "id": message.id, "idempotency_key": message.idempotency_key,
        "notifier": message.notifier, "monitor": payload.get("monitor"),
        "alert": payload.get("alert"), "status": payload.get("status"),
        "stage": message.stage, "attempts": message.attempts,
        "created_at": _iso(message.created_at), "next_attempt_at": _iso(message.next_attempt_at),
        "dead_at": _iso(message.dead_at), "last_error": message.last_error,
    }


def _login() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else format_time(moment, "seconds")


def _when(moment: datetime | None) -> str:
    return _iso(moment) or "-"

