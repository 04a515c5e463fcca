"""A run's alert rules evaluated on its analysis: new states, transitions, outbox rows.

The runner passes the previous states and the active silences (from the
store) and receives what to store in the run's transaction. Each rule gives
one alert instance per severity level and, with ``segments``, per segment
value; each instance is observed (its condition on the window's metrics, or
the rule's ``on_no_data``/``on_error`` for an empty window or a failed run),
stepped through the state machine (``alerts.state``), then routed
(``alerts.routing``): silenced and inhibited instances keep their state but
write no outbox row. Instances whose rule is gone are resolved.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast

from monitor.alerts.messages import Delivery, Instance, Message
from monitor.alerts.notifications import notifications_for
from monitor.alerts.routing import SilenceLike, muted_by, route
from monitor.alerts.state import AlertState, Reason, StateName, Transition, alert_key, step
from monitor.analysis.window import Analysis
from monitor.records import AlertStateRecord, NewNotification
from monitor.rules.alerting import StatePolicy, windows
from monitor.rules.schema import MonitorSpec
from monitor.windows import Window

__all__ = ["AlertTransition", "Evaluation", "evaluate_alerts"]


@dataclass(frozen=True, slots=True)
class AlertTransition:
    """An alert instance that started firing or resolved in this run."""

    alert: str
    status: str
    key: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What a run's alerts decided: states to store, transitions, outbox rows.

    ``firing`` names the instances firing after the run; ``muted`` those whose
    due message a silence or a higher level held back.
    """

    states: tuple[AlertStateRecord, ...]
    transitions: tuple[AlertTransition, ...]
    notifications: tuple[NewNotification, ...]
    firing: tuple[str, ...]
    muted: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Observation:
    holds: bool
    value: float | None
    reason: Reason


def evaluate_alerts(
    spec: MonitorSpec,
    window: Window,
    analysis: Analysis | None,
    previous: Mapping[str, AlertStateRecord],
    now: datetime,
    *,
    silences: Sequence[SilenceLike] = (),
    error: str | None = None,
    public_url: str | None = None,
    run_end: datetime | None = None,
) -> Evaluation:
    """Step and route every alert instance of ``spec`` on this window.

    Args:
        spec: the monitor and its alert rules.
        window: the window evaluated; for a failed run, the latest complete
            window, so that an outage counts one window per window of time.
        analysis: the window's analysis; None, or one without rows, is no data.
        previous: the stored alert states of the monitor by key.
        now: the time of the evaluation (silences are matched at it).
        silences: the silences active at ``now``.
        error: the reason the run failed, or None when it did not.
        public_url: the web console's address (``MONITOR_PUBLIC_URL``); each
            message then links to its run's page. None: no link.
        run_end: the end of the stored run's window when it is not
            ``window.end`` (a failed run, evaluated on the latest window), so
            the link names the run that raised the message.
    """
    instances = list(_instances(spec, analysis, previous))
    stepped = _step_all(spec, instances, window, analysis, previous, error)
    records, messages, muted = _route_all(spec, instances, stepped, previous, window, now,
                                          silences)
    removed_records, removed_messages = _removed(spec, instances, previous, window, now)
    records += removed_records
    transitions = [AlertTransition(i.name, t.status, i.key)
                   for i, _, t in stepped.values() if t is not None]
    transitions += [AlertTransition(r.alert, "resolved", r.alert_key)
                    for r in removed_records if previous[r.alert_key].state == "firing"]
    # Resolutions first: "critical resolved" reads before "warning firing" of the same window.
    messages = sorted(messages + removed_messages, key=lambda m: m.status != "resolved")
    notifications = notifications_for(spec, window, messages, analysis, now, error=error,
                                      public_url=public_url, run_end=run_end)
    names = {k: r.alert for k, r in previous.items()} | {i.key: i.name for i in instances}
    final = {k: r.state for k, r in previous.items()} | {r.alert_key: r.state for r in records}
    firing = sorted(names[k] for k, s in final.items() if s == "firing")
    return Evaluation(tuple(records), tuple(transitions), tuple(notifications), tuple(firing),
                      tuple(sorted(muted)))


_Stepped = dict[str, tuple[Instance, AlertState, Transition | None]]


def _step_all(
    spec: MonitorSpec,
    instances: Sequence[Instance],
    window: Window,
    analysis: Analysis | None,
    previous: Mapping[str, AlertStateRecord],
    error: str | None,
) -> _Stepped:
    """Each instance observed and stepped; those kept as they are (or seen already) left out."""
    stepped: _Stepped = {}
    for instance in instances:
        observation = _observe(spec, instance, analysis, error)
        if observation is None:
            continue
        before = _to_state(previous.get(instance.key))
        state, transition = step(
            before, key=instance.key, for_windows=windows(instance.rule.for_, spec.window),
            holds=observation.holds, value=observation.value, window_end=window.end,
            keep_firing_windows=windows(instance.rule.keep_firing_for, spec.window),
            reason=observation.reason,
        )
        if before is None or state is not before:  # the same object: window seen already
            stepped[instance.key] = (instance, state, transition)
    return stepped


def _route_all(
    spec: MonitorSpec,
    instances: Sequence[Instance],
    stepped: _Stepped,
    previous: Mapping[str, AlertStateRecord],
    window: Window,
    now: datetime,
    silences: Sequence[SilenceLike],
) -> tuple[list[AlertStateRecord], list[Message], list[str]]:
    """The records to store, the messages due and the muted instances of the stepped ones."""
    current = {k: r.state for k, r in previous.items()} | {
        k: s.state for k, (_, s, _) in stepped.items()}
    records: list[AlertStateRecord] = []
    messages: list[Message] = []
    muted: list[str] = []
    for instance, state, transition in stepped.values():
        mute = muted_by(instance, instances, current, silences, now, spec.name)
        delivery, message = route(instance, state, transition, _delivery(previous, instance),
                                  mute, window.end, spec.window)
        records.append(_to_record(state, instance, delivery, spec.name, now))
        messages += [message] if message is not None else []
        muted += [instance.name] if delivery.muted and state.state == "firing" else []
    return records, messages, muted


def _instances(
    spec: MonitorSpec, analysis: Analysis | None, previous: Mapping[str, AlertStateRecord]
) -> Iterator[Instance]:
    """Every instance of every rule: levels × (the window, or each known segment value)."""
    present = set(_segments(analysis))
    for rule in spec.alerts:
        scopes: list[str | None] = [None]
        if rule.segments:
            prefixes = tuple(f"{column}=" for column in rule.segments)
            stored = {r.segment for r in previous.values()
                      if r.alert == rule.name and r.segment is not None}
            scopes = [*sorted(s for s in present | stored if s.startswith(prefixes))]
        for segment in scopes:
            for severity, expression in rule.conditions:
                key = alert_key(spec.name, rule.name, segment,
                                severity if rule.leveled else None)
                yield Instance(rule, severity, expression, segment, key)


def _segments(analysis: Analysis | None) -> Mapping[str, Analysis]:
    return analysis.segments if analysis is not None else {}


def _observe(
    spec: MonitorSpec, instance: Instance, analysis: Analysis | None, error: str | None
) -> _Observation | None:
    """What this window says about one instance; None when its state is to be kept."""
    rule = instance.rule
    if error is not None:
        return _by_policy(rule.on_error, "error")
    scope = analysis
    if instance.segment is not None:
        scope = _segments(analysis).get(instance.segment)
    if scope is None or scope.rows == 0 or (
        instance.segment is None and spec.quality.min_rows is not None
        and scope.rows < spec.quality.min_rows
    ):
        return _by_policy(rule.on_no_data, "no_data")
    metrics = scope.metrics()
    return _Observation(instance.expression.evaluate(metrics),
                        instance.expression.value(metrics), "condition")


def _by_policy(policy: StatePolicy, reason: Reason) -> _Observation | None:
    if policy == "keep_state":
        return None
    return _Observation(policy == "alert", None, reason)


def _removed(
    spec: MonitorSpec,
    instances: Sequence[Instance],
    previous: Mapping[str, AlertStateRecord],
    window: Window,
    now: datetime,
) -> tuple[list[AlertStateRecord], list[Message]]:
    """Instances stored but no longer defined by the rules: made inactive.

    A firing one whose rule still exists under its name (its levels or
    segments changed) is resolved through that rule's notifiers; one whose
    rule is gone has no notifiers left to tell.
    """
    defined = {i.key for i in instances}
    rules = {rule.name: rule for rule in spec.alerts}
    records, messages = [], []
    for key, record in previous.items():
        if key in defined or record.state == "inactive":
            continue
        records.append(replace(record, state="inactive", consecutive=0, since=window.end,
                               fired_at=None, clear_windows=0, announced=False, muted=None,
                               updated_at=now))
        if record.state == "firing" and record.announced:
            messages.append(Message(
                key=key, alert=record.alert, severity=record.severity or "warning",
                segment=record.segment, status="resolved", reason="removed",
                value=record.last_value, started_at=record.fired_at or window.end,
                rule=rules.get(record.alert)))
    return records, messages


def _delivery(previous: Mapping[str, AlertStateRecord], instance: Instance) -> Delivery:
    record = previous.get(instance.key)
    if record is None:
        return Delivery()
    return Delivery(record.announced, record.muted, record.last_notified_at)


def _to_state(record: AlertStateRecord | None) -> AlertState | None:
    if record is None:
        return None
    reason = record.reason if record.reason in ("no_data", "error") else "condition"
    return AlertState(key=record.alert_key, state=cast(StateName, record.state),
                      consecutive=record.consecutive, since=record.since,
                      fired_at=record.fired_at, last_value=record.last_value,
                      last_window_end=record.last_window_end, clear=record.clear_windows,
                      reason=cast(Reason, reason))


def _to_record(state: AlertState, instance: Instance, delivery: Delivery, monitor: str,
               now: datetime) -> AlertStateRecord:
    return AlertStateRecord(
        alert_key=state.key, monitor=monitor, alert=instance.rule.name,
        segment=instance.segment, state=state.state, consecutive=state.consecutive,
        since=state.since, fired_at=state.fired_at, last_value=state.last_value,
        last_window_end=state.last_window_end, updated_at=now, severity=instance.severity,
        reason=state.reason, clear_windows=state.clear, announced=delivery.announced,
        muted=delivery.muted, last_notified_at=delivery.last_notified_at,
    )
