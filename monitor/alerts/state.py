"""Alert state: the pure inactive → pending → firing machine of one alert instance.

An alert fires when its condition holds for ``for`` consecutive windows, and
resolves once when it has stopped holding for more than ``keep_firing_for``
windows (0 by default), so a condition that flaps does not fire and resolve
over and over::

    inactive ──holds──▶ pending ──holds for `for` windows──▶ firing
       ▲                   │                                   │
       └──── not holds ────┘◀── not holds for keep_firing_for+1 windows (resolved)

``step`` moves one instance by one evaluated window and says whether it
started firing or resolved. It reads no clock and does no I/O: the window
end is passed in, and the caller stores the returned state.

Each step carries the reason of its evaluation: ``condition`` (the window's
metrics), ``no_data`` (an empty window) or ``error`` (the run failed); the
caller decides from the rule's ``on_no_data``/``on_error`` whether such a
window holds, does not hold, or is not stepped at all (keep the state). A
window is stepped once: the same or an older window changes nothing, except
that a window evaluated after an ``error`` step always counts, so a run that
failed and then succeeds replaces the error with its real result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

__all__ = [
    "AlertState", "Reason", "StateName", "Transition", "TransitionStatus", "alert_key", "step",
]

StateName = Literal["inactive", "pending", "firing"]
TransitionStatus = Literal["firing", "resolved"]
Reason = Literal["condition", "no_data", "error"]


@dataclass(frozen=True, slots=True)
class AlertState:
    """Where one alert instance stands after the windows seen so far.

    Attributes:
        key: identity of the alert instance (see ``alert_key``).
        state: "inactive", "pending" (holds, not yet ``for`` windows) or "firing".
        consecutive: windows in a row the condition held, up to the last one.
        since: end of the window that moved the alert into ``state``.
        fired_at: end of the window that made it fire; None unless firing.
        last_value: the alert expression's value in the last window.
        last_window_end: end of the last window evaluated.
        clear: windows in a row the condition did not hold while the alert
            kept firing (``keep_firing_for``).
        reason: what the last evaluation was based on.
    """

    key: str
    state: StateName = "inactive"
    consecutive: int = 0
    since: datetime | None = None
    fired_at: datetime | None = None
    last_value: float | None = None
    last_window_end: datetime | None = None
    clear: int = 0
    reason: Reason = "condition"


@dataclass(frozen=True, slots=True)
class Transition:
    """A notification due after one step.

    Attributes:
        status: "firing" when the alert starts firing, "resolved" when it stops.
        state: the alert's state after the step.
        window_end: end of the window that caused the transition.
        started_at: when the alert began firing (for "resolved", the start of
            the episode that just ended).
    """

    status: TransitionStatus
    state: AlertState
    window_end: datetime
    started_at: datetime


def alert_key(
    monitor: str, alert: str, segment: str | None = None, severity: str | None = None
) -> str:
    """Return the stable, readable identity of one alert instance.

    The severity is part of the key only for rules with several levels.

    >>> alert_key("credit-scoring", "feature-drift")
    'credit-scoring/feature-drift'
    >>> alert_key("credit-scoring", "feature-drift", "state=CA", "critical")
    'credit-scoring/feature-drift/segment=state=CA/severity=critical'

    Raises:
        ValueError: the monitor or alert name is empty.
    """
    if not monitor or not alert:
        raise ValueError(
            f"alert_key needs a monitor and an alert name, got monitor={monitor!r}, "
            f"alert={alert!r}"
        )
    key = f"{monitor}/{alert}"
    key = f"{key}/segment={segment}" if segment else key
    return f"{key}/severity={severity}" if severity else key


def step(
    previous: AlertState | None,
    *,
    key: str,
    for_windows: int,
    holds: bool,
    value: float | None,
    window_end: datetime,
    keep_firing_windows: int = 0,
    reason: Reason = "condition",
) -> tuple[AlertState, Transition | None]:
    """Advance one alert instance by one evaluated window.

    Args:
        previous: the stored state, or None for an alert never evaluated.
        key: the alert's key; must match ``previous.key``.
        for_windows: consecutive holding windows needed to fire (>= 1).
        holds: whether the alert condition held in this window.
        value: the alert expression's value, kept for display.
        window_end: end of the evaluated window (timezone-aware).
        keep_firing_windows: windows a firing alert keeps firing after its
            condition stopped holding (>= 0).
        reason: what this evaluation is based on (see the module docstring).

    Returns:
        The new state and the transition to notify, if any. A window that
        ends at or before the last one evaluated (the same window twice, or
        an older one backfilled later) changes nothing, unless the last step
        was an ``error`` and this one is not.

    Raises:
        ValueError: ``for_windows`` < 1, ``keep_firing_windows`` < 0, a naive
            ``window_end``, or a key mismatch.
    """
    _check_step_args(previous, key, for_windows, window_end)
    if keep_firing_windows < 0:
        raise ValueError(f"alert {key!r}: keep_firing_for must be 0 or more windows, got "
                         f"{keep_firing_windows}")
    prev = previous if previous is not None else AlertState(key=key)
    replaces_error = prev.reason == "error" and reason != "error"
    if (prev.last_window_end is not None and window_end <= prev.last_window_end
            and not replaces_error):
        return prev, None
    seen = replace(prev, last_value=value, last_window_end=window_end, reason=reason)
    if holds:
        return _on_hold(replace(seen, clear=0), for_windows, window_end)
    if seen.state == "firing" and seen.clear < keep_firing_windows:
        return replace(seen, consecutive=0, clear=seen.clear + 1), None
    return _on_clear(seen, window_end)


def _on_hold(
    seen: AlertState, for_windows: int, window_end: datetime
) -> tuple[AlertState, Transition | None]:
    consecutive = seen.consecutive + 1
    if seen.state == "firing":
        return replace(seen, consecutive=consecutive), None
    if consecutive >= for_windows:
        firing = replace(
            seen, state="firing", consecutive=consecutive, since=window_end, fired_at=window_end
        )
        return firing, Transition("firing", firing, window_end, started_at=window_end)
    since = seen.since if seen.state == "pending" else window_end
    return replace(seen, state="pending", consecutive=consecutive, since=since), None


def _on_clear(seen: AlertState, window_end: datetime) -> tuple[AlertState, Transition | None]:
    if seen.state == "inactive":
        return replace(seen, consecutive=0, clear=0), None
    inactive = replace(seen, state="inactive", consecutive=0, since=window_end, fired_at=None,
                       clear=0)
    if seen.state == "pending":
        return inactive, None
    started_at = seen.fired_at if seen.fired_at is not None else window_end
    return inactive, Transition("resolved", inactive, window_end, started_at=started_at)


def _check_step_args(
    previous: AlertState | None, key: str, for_windows: int, window_end: datetime
) -> None:
    if for_windows < 1:
        raise ValueError(
            f"alert {key!r}: 'for' must be at least 1 window, got {for_windows}"
        )
    if window_end.tzinfo is None or window_end.utcoffset() is None:
        raise ValueError(
            f"alert {key!r}: window_end must be timezone-aware (UTC), got naive "
            f"{window_end.isoformat()}"
        )
    if previous is not None and previous.key != key:
        raise ValueError(
            f"alert state for {previous.key!r} passed to step for {key!r}: "
            "pass the stored state of the same alert"
        )
