"""The alert state machine: firing after `for` windows, resolving once, flapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.alerts.state import AlertState, Transition, alert_key, step

KEY = "credit-scoring/feature-drift"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _run(holds: list[bool], for_windows: int) -> list[tuple[AlertState, Transition | None]]:
    """Feed one boolean per hourly window through step and collect every outcome."""
    state: AlertState | None = None
    out = []
    for i, h in enumerate(holds):
        state, transition = step(
            state,
            key=KEY,
            for_windows=for_windows,
            holds=h,
            value=float(i),
            window_end=T0 + timedelta(hours=i),
        )
        out.append((state, transition))
    return out


def _trace(holds: list[bool], for_windows: int) -> list[tuple[str, str | None]]:
    """Reduce a run to (state, transition status) pairs."""
    return [(s.state, t.status if t else None) for s, t in _run(holds, for_windows)]


@pytest.mark.parametrize(
    ("holds", "for_windows", "expected"),
    [
        ([True], 1, [("firing", "firing")]),
        ([False], 1, [("inactive", None)]),
        ([True, True, False], 1,
         [("firing", "firing"), ("firing", None), ("inactive", "resolved")]),
        ([True, True], 2, [("pending", None), ("firing", "firing")]),
        ([True, False, True, True], 2,
         [("pending", None), ("inactive", None), ("pending", None), ("firing", "firing")]),
        ([True, True, True, False, False], 2,
         [("pending", None), ("firing", "firing"), ("firing", None), ("inactive", "resolved"),
          ("inactive", None)]),
        ([True, False, True, False], 1,
         [("firing", "firing"), ("inactive", "resolved"), ("firing", "firing"),
          ("inactive", "resolved")]),
        ([True, False, True, False, True], 2,
         [("pending", None), ("inactive", None), ("pending", None), ("inactive", None),
          ("pending", None)]),
        ([True, True, True], 3, [("pending", None), ("pending", None), ("firing", "firing")]),
    ],
    ids=["for1-fire", "for1-quiet", "for1-resolve", "for2-fire", "for2-reset", "for2-resolve-once",
         "for1-flapping", "for2-flapping-never-fires", "for3"],
)
def test_state_table(holds: list[bool], for_windows: int, expected: list) -> None:
    """Each sequence of windows yields the expected states and notifications."""
    assert _trace(holds, for_windows) == expected


def test_consecutive_counts_and_resets() -> None:
    """consecutive counts holding windows in a row and drops to 0 when the condition clears."""
    states = [s.consecutive for s, _ in _run([True, True, True, False, True], 2)]
    assert states == [1, 2, 3, 0, 1]


def test_same_window_twice_does_not_advance() -> None:
    """Evaluating the same window again returns the state unchanged and no transition."""
    first, t1 = step(None, key=KEY, for_windows=2, holds=True, value=0.5, window_end=T0)
    again, t2 = step(first, key=KEY, for_windows=2, holds=True, value=0.9, window_end=T0)
    assert t1 is None and t2 is None
    assert again == first
    assert again.state == "pending" and again.consecutive == 1


def test_same_firing_window_twice_does_not_repeat_firing() -> None:
    """A firing window re-evaluated sends no second firing message."""
    fired, transition = step(None, key=KEY, for_windows=1, holds=True, value=1.0, window_end=T0)
    assert transition is not None and transition.status == "firing"
    again, repeat = step(fired, key=KEY, for_windows=1, holds=True, value=1.0, window_end=T0)
    assert repeat is None and again == fired


def test_older_window_does_not_rewrite_state() -> None:
    """A window older than the last one evaluated (a late backfill) leaves the state alone."""
    fired, _ = step(None, key=KEY, for_windows=1, holds=True, value=1.0, window_end=T0)
    older, transition = step(
        fired, key=KEY, for_windows=1, holds=False, value=0.0, window_end=T0 - timedelta(hours=1)
    )
    assert transition is None and older == fired


def test_resolved_sent_once_and_carries_start() -> None:
    """The resolved transition comes once, with the time the episode started firing."""
    outcomes = _run([True, True, True, False, False, False], 2)
    resolved = [t for _, t in outcomes if t is not None and t.status == "resolved"]
    assert len(resolved) == 1
    assert resolved[0].started_at == T0 + timedelta(hours=1)
    assert resolved[0].window_end == T0 + timedelta(hours=3)
    assert resolved[0].state.fired_at is None


def test_firing_records_times_and_value() -> None:
    """A firing transition records since, fired_at, last value and last window end."""
    outcomes = _run([True, True], 2)
    state, transition = outcomes[1]
    end = T0 + timedelta(hours=1)
    assert transition == Transition("firing", state, end, started_at=end)
    assert (state.since, state.fired_at, state.last_value, state.last_window_end) == (
        end, end, 1.0, end,
    )


def test_pending_keeps_its_since() -> None:
    """since stays at the first holding window while the alert is pending."""
    outcomes = _run([True, True, True], 3)
    assert [s.since for s, _ in outcomes[:2]] == [T0, T0]


def test_for_windows_below_one_is_rejected() -> None:
    """for: 0 is an error that names the alert and the value."""
    with pytest.raises(ValueError, match=r"'for' must be at least 1 window, got 0"):
        step(None, key=KEY, for_windows=0, holds=True, value=None, window_end=T0)


def test_naive_window_end_is_rejected() -> None:
    """A naive window end is refused rather than compared with aware times."""
    with pytest.raises(ValueError, match="timezone-aware"):
        step(None, key=KEY, for_windows=1, holds=True, value=None,
             window_end=datetime(2026, 1, 1))


def test_key_mismatch_is_rejected() -> None:
    """Passing another alert's state is a programming error caught at once."""
    other = AlertState(key="other/alert")
    with pytest.raises(ValueError, match="'other/alert'"):
        step(other, key=KEY, for_windows=1, holds=True, value=None, window_end=T0)


def test_alert_key_forms() -> None:
    """alert_key is readable and includes the segment only when there is one."""
    assert alert_key("credit-scoring", "feature-drift") == "credit-scoring/feature-drift"
    assert (
        alert_key("credit-scoring", "feature-drift", "state:CA")
        == "credit-scoring/feature-drift/segment=state:CA"
    )
    with pytest.raises(ValueError, match="monitor and an alert name"):
        alert_key("", "x")


def _keep(holds: list[bool], keep: int) -> list[tuple[str, str | None]]:
    """A run with for: 1 and keep_firing_for: keep, as (state, transition) pairs."""
    state: AlertState | None = None
    out = []
    for i, h in enumerate(holds):
        state, t = step(state, key=KEY, for_windows=1, holds=h, value=None,
                        window_end=T0 + timedelta(hours=i), keep_firing_windows=keep)
        out.append((state.state, t.status if t else None))
    return out


def test_keep_firing_for_bridges_short_gaps() -> None:
    """keep_firing_for: 2 keeps firing through two clear windows and resolves on the third."""
    assert _keep([True, False, False, True, False, False, False], 2) == [
        ("firing", "firing"), ("firing", None), ("firing", None), ("firing", None),
        ("firing", None), ("firing", None), ("inactive", "resolved")]


def test_keep_firing_for_counts_clear_windows() -> None:
    """clear counts the clear windows bridged so far and resets when the condition holds."""
    state, _ = step(None, key=KEY, for_windows=1, holds=True, value=1.0, window_end=T0,
                    keep_firing_windows=3)
    clears = []
    for i, h in enumerate([False, False, True, False], start=1):
        state, _ = step(state, key=KEY, for_windows=1, holds=h, value=None,
                        window_end=T0 + timedelta(hours=i), keep_firing_windows=3)
        clears.append(state.clear)
    assert clears == [1, 2, 0, 1]


def test_negative_keep_firing_for_is_rejected() -> None:
    """keep_firing_windows below 0 is an error naming the alert."""
    with pytest.raises(ValueError, match="keep_firing_for must be 0 or more"):
        step(None, key=KEY, for_windows=1, holds=True, value=None, window_end=T0,
             keep_firing_windows=-1)


def test_error_step_is_replaced_by_a_real_result_of_an_older_window() -> None:
    """After an error step, a successful older window counts; an error never overrides."""
    failed, t1 = step(None, key=KEY, for_windows=1, holds=True, value=None,
                      window_end=T0 + timedelta(hours=3), reason="error")
    assert t1 is not None and failed.reason == "error"
    again, t2 = step(failed, key=KEY, for_windows=1, holds=True, value=None,
                     window_end=T0 + timedelta(hours=3), reason="error")
    assert again is failed and t2 is None
    real, t3 = step(failed, key=KEY, for_windows=1, holds=False, value=0.1,
                    window_end=T0 + timedelta(hours=1))
    assert t3 is not None and t3.status == "resolved"
    assert (real.reason, real.last_window_end) == ("condition", T0 + timedelta(hours=1))
    older, t4 = step(real, key=KEY, for_windows=1, holds=True, value=None,
                     window_end=T0, reason="error")
    assert older is real and t4 is None


def test_alert_key_with_severity() -> None:
    """Rules with levels put the severity last in the key."""
    assert alert_key("m", "a", None, "critical") == "m/a/severity=critical"
    assert alert_key("m", "a", "state=CA", "warning") == "m/a/segment=state=CA/severity=warning"
