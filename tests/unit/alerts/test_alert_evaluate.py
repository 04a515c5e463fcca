"""Alert evaluation over windows: lifecycle, levels, no data, errors, repeats, segments."""

from __future__ import annotations

import pytest

from monitor.alerts.payload import REASONS
from tests.unit.alerts.alert_fakes import (
    HOUR,
    T0,
    FakeAnalysis,
    Timeline,
    analysis,
    comparison,
    monitor,
)

DRIFT = {"name": "drift", "when": "drift_share > 0.3", "notify": ["hook"]}
LEVELS = {"name": "drift", "levels": {"warning": "drift_share > 0.2",
                                      "critical": "drift_share > 0.5"}, "notify": ["hook"]}


def play(timeline: Timeline, shares: list[float | None]) -> None:
    """One window per share; None is an empty window."""
    for share in shares:
        timeline.run(analysis(0.0, rows=0) if share is None else analysis(share))


def test_fires_once_and_resolves_once() -> None:
    """for: 2 fires on the second holding window and resolves once; one row per notifier."""
    timeline = Timeline(monitor({**DRIFT, "for": 2, "notify": ["hook", "mail"]}))
    play(timeline, [0.4, 0.4, 0.4, 0.1, 0.1])
    assert timeline.sent() == [("drift[warning]", "firing")] * 2 + [
        ("drift[warning]", "resolved")] * 2
    assert len(timeline.outbox) == 4


@pytest.mark.parametrize(("keep", "expected"), [
    (0, 10),  # fires and resolves on every flap
    (1, 2),   # one clear window is bridged: fires once, resolves at the end
])
def test_flapping_condition_with_keep_firing_for(keep: int, expected: int) -> None:
    """A condition alternating true/false sends few messages once keep_firing_for bridges gaps."""
    timeline = Timeline(monitor({**DRIFT, "keep_firing_for": keep}))
    play(timeline, [0.4, 0.1] * 5 + [0.1, 0.1])
    assert len(timeline.outbox) == expected
    assert [s for _, s in timeline.sent()][-1] == "resolved"


def test_flapping_never_reaches_for() -> None:
    """With for: 2, a condition true one window in two never fires."""
    timeline = Timeline(monitor({**DRIFT, "for": 2}))
    play(timeline, [0.4, 0.1] * 6)
    assert timeline.outbox == {}


def test_for_as_duration_is_rounded_up_to_windows() -> None:
    """for: 90m on hourly windows fires on the second holding window."""
    timeline = Timeline(monitor({**DRIFT, "for": "90m"}))
    play(timeline, [0.4])
    assert timeline.outbox == {}
    play(timeline, [0.4])
    assert timeline.sent() == [("drift[warning]", "firing")]


def test_identity_is_labels_not_value() -> None:
    """Changing values keep one instance: one state key, one firing message."""
    timeline = Timeline(monitor(DRIFT))
    play(timeline, [0.4, 0.9, 0.35, 0.6])
    assert list(timeline.states) == ["credit/drift"]
    assert timeline.sent() == [("drift[warning]", "firing")]
    assert timeline.states["credit/drift"].last_value == 0.6


def test_critical_inhibits_warning_and_warning_is_announced_again() -> None:
    """warning fires, critical fires (warning muted), critical resolves: warning told again."""
    timeline = Timeline(monitor(LEVELS))
    play(timeline, [0.3, 0.7, 0.7, 0.3, 0.1])
    assert timeline.sent() == [
        ("drift[warning]", "firing"), ("drift[critical]", "firing"),
        ("drift[critical]", "resolved"), ("drift[warning]", "firing"),
        ("drift[warning]", "resolved"),
    ]
    assert set(timeline.states) == {"credit/drift/severity=warning",
                                    "credit/drift/severity=critical"}


def test_levels_firing_together_send_only_the_highest() -> None:
    """Both levels start firing in one window: only critical is sent; both resolve quietly once."""
    timeline = Timeline(monitor(LEVELS))
    done = timeline.run(analysis(0.7))
    assert timeline.sent() == [("drift[critical]", "firing")]
    assert done.muted == ("drift[warning]",)
    assert timeline.states["credit/drift/severity=warning"].muted == "inhibited by critical"
    play(timeline, [0.0])
    assert timeline.sent() == [("drift[critical]", "firing"), ("drift[critical]", "resolved")]


@pytest.mark.parametrize(("policy", "state", "messages"), [
    ("keep_state", "firing", []),
    ("ok", "inactive", [("drift[warning]", "resolved")]),
    ("alert", "firing", []),
])
def test_no_data_policies_on_a_firing_alert(policy: str, state: str, messages: list) -> None:
    """An empty window keeps, resolves or keeps firing an alert, as on_no_data says."""
    timeline = Timeline(monitor({**DRIFT, "on_no_data": policy}))
    play(timeline, [0.4])
    first = list(timeline.outbox)
    play(timeline, [None])
    assert timeline.states["credit/drift"].state == state
    assert [timeline.sent()[i] for i in range(len(first), len(timeline.outbox))] == messages


def test_no_data_alert_fires_with_reason() -> None:
    """on_no_data: alert with for: 2 fires on the second empty window, reason no_data."""
    timeline = Timeline(monitor({**DRIFT, "for": 2, "on_no_data": "alert"}))
    play(timeline, [None, None])
    [payload] = timeline.outbox.values()
    assert (payload["status"], payload["reason"], payload["value"]) == ("firing", "no_data", None)
    assert payload["summary"] == "no data: the window has no rows"


def test_below_min_rows_is_no_data() -> None:
    """A window with fewer rows than min_rows counts as no data, not as its metrics."""
    spec = monitor({**DRIFT, "on_no_data": "alert"}, quality={"min_rows": 500})
    timeline = Timeline(spec)
    timeline.run(analysis(0.0, rows=120))
    [payload] = timeline.outbox.values()
    assert payload["reason"] == "no_data"
    assert payload["summary"] == "no data: the window has 120 rows, below min_rows 500"


def test_error_fires_then_a_successful_retry_replaces_it() -> None:
    """on_error: alert fires on a failed run; retries of it count once; the real result wins."""
    timeline = Timeline(monitor({**DRIFT, "on_error": "alert"}))
    timeline.run(None, error="source unreachable", at=3)
    timeline.run(None, error="source unreachable", at=3)  # a retry in the same window
    firing = list(timeline.outbox.values())
    assert [(p["status"], p["reason"]) for p in firing] == [("firing", "error")]
    assert firing[0]["summary"] == "the run failed: source unreachable"
    timeline.run(analysis(0.1), at=1)  # the failed window, processed at last: no drift
    assert timeline.states["credit/drift"].state == "inactive"
    assert [p["status"] for p in timeline.outbox.values()] == ["firing", "resolved"]


def test_error_keeps_state_by_default() -> None:
    """Without on_error a failed run changes nothing and sends nothing."""
    timeline = Timeline(monitor(DRIFT))
    play(timeline, [0.4])
    before = dict(timeline.states)
    done = timeline.run(None, error="boom")
    assert done.states == () and timeline.states == before and done.firing == ("drift",)


def test_repeat_every_reminds_with_new_keys() -> None:
    """repeat_every: 2 re-sends a still-firing alert every second window, marked reminder."""
    timeline = Timeline(monitor({**DRIFT, "repeat_every": "2h"}))
    play(timeline, [0.4] * 6 + [0.0])
    payloads = list(timeline.outbox.values())
    assert [(p["status"], p["reminder"]) for p in payloads] == [
        ("firing", False), ("firing", True), ("firing", True), ("resolved", False)]
    assert [p["window"]["end"][11:16] for p in payloads] == ["01:00", "03:00", "05:00", "07:00"]
    assert len({p["idempotency_key"] for p in payloads}) == 4
    assert len({p["started_at"] for p in payloads}) == 1


def test_same_window_twice_sends_nothing_new() -> None:
    """Evaluating a window again (a crash before commit) decides nothing new."""
    timeline = Timeline(monitor(DRIFT))
    timeline.run(analysis(0.4), at=0)
    again = timeline.run(analysis(0.4), at=0)
    assert again.states == () and again.notifications == ()


def segmented(**shares: float | None) -> FakeAnalysis:
    """A window with one segment analysis per ``state=XX`` share (None: no rows)."""
    parts = {f"state={k}": analysis(0.0, rows=0) if v is None else analysis(v)
             for k, v in shares.items()}
    return FakeAnalysis(3000, {}, comparison(0.0), parts)


def test_segments_keep_separate_states() -> None:
    """Per-segment alerts fire and resolve per segment, with the segment in labels and key."""
    spec = monitor({**DRIFT, "segments": ["state"]}, segments=["state"])
    timeline = Timeline(spec)
    timeline.run(segmented(CA=0.4, NY=0.1))
    timeline.run(segmented(CA=0.4, NY=0.5))
    timeline.run(segmented(CA=0.0, NY=0.5))
    assert timeline.sent() == [("drift[state=CA][warning]", "firing"),
                               ("drift[state=NY][warning]", "firing"),
                               ("drift[state=CA][warning]", "resolved")]
    assert set(timeline.states) == {"credit/drift/segment=state=CA",
                                    "credit/drift/segment=state=NY"}


def test_absent_segment_is_no_data() -> None:
    """A segment missing from a window is no data for its instance (here: resolved by ok)."""
    spec = monitor({**DRIFT, "segments": ["state"], "on_no_data": "ok"}, segments=["state"])
    timeline = Timeline(spec)
    timeline.run(segmented(CA=0.4))
    timeline.run(segmented(NY=0.1))
    payload = list(timeline.outbox.values())[-1]
    assert (payload["status"], payload["reason"]) == ("resolved", "no_data")
    assert payload["summary"] == "no data: segment state=CA has no rows"


def test_removed_rule_is_closed_and_changed_rule_resolves_old_instance() -> None:
    """A rule turned into levels resolves its old instance; a deleted rule goes quiet."""
    timeline = Timeline(monitor(DRIFT))
    play(timeline, [0.4])
    timeline.spec = monitor(LEVELS)
    timeline.run(analysis(0.1))
    assert timeline.sent() == [("drift[warning]", "firing"), ("drift[warning]", "resolved")]
    assert list(timeline.outbox.values())[-1]["reason"] == "removed"
    assert timeline.states["credit/drift"].state == "inactive"
    timeline.spec = monitor({**DRIFT, "name": "other"})
    timeline.run(analysis(0.6))
    assert timeline.states["credit/drift"].state == "inactive"
    assert timeline.sent()[-1] == ("other[warning]", "firing")


def test_labels_annotations_and_summary_templates() -> None:
    """Rendered labels and annotations go into the payload; an annotation summary wins."""
    rule = {**DRIFT, "severity": "critical",
            "labels": {"team": "ml", "page": "{{ monitor }}-{{ severity }}"},
            "annotations": {"summary": "{{ value:.0% }} drifted in {{ monitor }}",
                            "top": "{{ top_columns }}", "auc": "{{ performance.roc_auc }}"}}
    timeline = Timeline(monitor(rule))
    timeline.run(analysis(0.42))
    [payload] = timeline.outbox.values()
    assert payload["labels"] == {"alert": "drift", "monitor": "credit", "severity": "critical",
                                 "team": "ml", "page": "credit-critical"}
    assert payload["annotations"] == {"summary": "42% drifted in credit",
                                      "top": "income (ks 0.31), age (ks 0.2)", "auc": "n/a"}
    assert payload["summary"] == "42% drifted in credit"
    assert payload["reason"] in REASONS and payload["details"][0]["column"] == "income"


def test_column_and_performance_conditions() -> None:
    """Conditions on column statistics and performance metrics read the flat metric names."""
    rule = {"name": "auc", "when": 'performance.roc_auc < 0.7 or column("income").psi > 0.2',
            "notify": ["hook"]}
    timeline = Timeline(monitor(rule))
    timeline.run(analysis(0.0))  # no labels, no column stats: undefined, so false
    timeline.run(analysis(0.0, **{"performance.roc_auc": 0.65}))
    assert timeline.sent() == [("auc[warning]", "firing")]
    assert timeline.states["credit/auc"].last_value == pytest.approx(0.65)
    assert timeline.states["credit/auc"].last_window_end == T0 + 2 * HOUR


CONSOLE = "https://monitor.example.com/"


def test_messages_link_to_their_run_in_the_console() -> None:
    """With a public URL, firing and resolved payloads link to the page of their own run."""
    timeline = Timeline(monitor({**DRIFT, "notify": ["hook", "mail"]}), public_url=CONSOLE)
    play(timeline, [0.4, 0.1])
    links = [(p["status"], p["url"]) for p in timeline.outbox.values()]
    fired = "https://monitor.example.com/monitors/credit/windows/2026-11-24T01:00:00Z"
    resolved = "https://monitor.example.com/monitors/credit/windows/2026-11-24T02:00:00Z"
    assert links == [("firing", fired)] * 2 + [("resolved", resolved)] * 2


def test_without_a_public_url_messages_have_no_link() -> None:
    """The default, no MONITOR_PUBLIC_URL: every payload's url is null, as before."""
    timeline = Timeline(monitor(DRIFT))
    play(timeline, [0.4, 0.1])
    assert [p["url"] for p in timeline.outbox.values()] == [None, None]


def test_failed_run_message_links_to_the_failed_run() -> None:
    """A failure evaluated on a later window links to the run that failed, not that window."""
    timeline = Timeline(monitor({**DRIFT, "on_error": "alert"}), public_url=CONSOLE)
    timeline.run(None, error="source unreachable", at=3, run_end=T0 + HOUR)
    [payload] = timeline.outbox.values()
    assert payload["window"]["end"] == "2026-11-24T04:00:00Z"
    assert payload["url"] == (
        "https://monitor.example.com/monitors/credit/windows/2026-11-24T01:00:00Z")


def test_resolution_of_a_changed_rule_links_to_the_run_that_sent_it() -> None:
    """An instance removed by a rule change is resolved by a run, and links to that run."""
    timeline = Timeline(monitor(DRIFT), public_url=CONSOLE)
    play(timeline, [0.4])
    timeline.spec = monitor(LEVELS)
    timeline.run(analysis(0.1))
    resolved = list(timeline.outbox.values())[-1]
    assert resolved["reason"] == "removed"
    assert resolved["url"] == (
        "https://monitor.example.com/monitors/credit/windows/2026-11-24T02:00:00Z")
