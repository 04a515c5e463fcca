"""A run's alert rules evaluated on its analysis: new states, transitions, outbox rows.

The runner passes the previous states (from the store) and receives what to
store in the run's transaction; the pure state machine is ``alerts.state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.alerts.state import AlertState, Transition, alert_key, step
from monitor.analysis import Analysis
from monitor.notifications import notifications_for
from monitor.rules.schema import AlertSpec, MonitorSpec
from monitor.store.records import AlertStateRecord, NewNotification
from monitor.windows import Window

__all__ = ["AlertTransition", "Evaluation", "evaluate_alerts"]


@dataclass(frozen=True, slots=True)
class AlertTransition:
    """An alert that changed state in this run, with what its message needs."""

    spec: AlertSpec
    key: str
    transition: Transition
    state: AlertState

    @property
    def alert(self) -> str:
        """The alert rule's name."""
        return self.spec.name

    @property
    def status(self) -> str:
        """``firing`` or ``resolved``."""
        return self.transition.status


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What a run's alerts decided: states to store, transitions, outbox rows."""

    states: tuple[AlertStateRecord, ...]
    transitions: tuple[AlertTransition, ...]
    notifications: tuple[NewNotification, ...]
    firing: tuple[str, ...]


def evaluate_alerts(
    spec: MonitorSpec,
    window: Window,
    analysis: Analysis | None,
    previous: dict[str, AlertStateRecord],
    now: datetime,
) -> Evaluation:
    """Step every alert of ``spec`` on this window's metrics.

    With no analysis (an empty window) every alert keeps its state.
    """
    states: list[AlertStateRecord] = []
    transitions: list[AlertTransition] = []
    if analysis is not None:
        metrics = analysis.metrics()
        for alert in spec.alerts:
            key = alert_key(spec.name, alert.name)
            state, transition = step(
                _to_state(previous.get(key)), key=key, for_windows=alert.for_,
                holds=alert.expression.evaluate(metrics),
                value=alert.expression.value(metrics), window_end=window.end,
            )
            states.append(_to_record(state, spec.name, alert, now))
            if transition is not None:
                transitions.append(AlertTransition(alert, key, transition, state))
    stepped = {s.alert_key for s in states}
    firing = {s.alert for s in states if s.state == "firing"} | {
        s.alert for s in previous.values() if s.state == "firing" and s.alert_key not in stepped
    }
    notifications = (notifications_for(spec, window, analysis.comparison, transitions, now)
                     if analysis is not None else [])
    return Evaluation(tuple(states), tuple(transitions), tuple(notifications),
                      tuple(sorted(firing)))


def _to_state(record: AlertStateRecord | None) -> AlertState | None:
    if record is None:
        return None
    return AlertState(key=record.alert_key, state=record.state, consecutive=record.consecutive,
                      since=record.since, fired_at=record.fired_at,
                      last_value=record.last_value, last_window_end=record.last_window_end)


def _to_record(state: AlertState, monitor: str, alert: AlertSpec, now: datetime
               ) -> AlertStateRecord:
    return AlertStateRecord(
        alert_key=state.key, monitor=monitor, alert=alert.name, segment=None,
        state=state.state, consecutive=state.consecutive, since=state.since,
        fired_at=state.fired_at, last_value=state.last_value,
        last_window_end=state.last_window_end, updated_at=now,
    )
