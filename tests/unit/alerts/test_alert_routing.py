"""Routing: silences mute without changing states, announcements after muting, matching."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.alerts.routing import matches
from tests.unit.alerts.alert_fakes import HOUR, T0, FakeSilence, Timeline, analysis, monitor

DRIFT = {"name": "drift", "when": "drift_share > 0.3", "notify": ["hook"]}


def silence(hours: tuple[int, int], **fields: object) -> FakeSilence:
    """A silence of alert 'drift' between two hours after T0."""
    start, end = hours
    return FakeSilence(id=7, alert=str(fields.pop("alert", "drift")),
                       starts_at=T0 + start * HOUR, ends_at=T0 + end * HOUR, **fields)  # type: ignore[arg-type]


def test_silenced_alert_keeps_state_and_is_announced_when_the_silence_ends() -> None:
    """Fires while silenced: no row, state firing and muted; after the silence: one firing row."""
    timeline = Timeline(monitor(DRIFT))
    mute = [silence((0, 3))]
    first = timeline.run(analysis(0.4), silences=mute)
    assert first.notifications == () and first.firing == ("drift",) and first.muted == ("drift",)
    state = timeline.states["credit/drift"]
    assert (state.state, state.muted, state.announced) == ("firing", "silence 7", False)
    timeline.run(analysis(0.5), silences=mute)
    assert timeline.outbox == {}
    timeline.run(analysis(0.5), silences=mute)  # evaluated at 03:05, the silence ended at 03:00
    assert [(p["status"], p["window"]["end"]) for p in timeline.outbox.values()] == [
        ("firing", "2026-11-24T03:00:00Z")]
    assert timeline.states["credit/drift"].announced is True


def test_resolution_of_a_silenced_unannounced_alert_sends_nothing() -> None:
    """An episode that started and ended under a silence leaves no message at all."""
    timeline = Timeline(monitor(DRIFT))
    mute = [silence((0, 10))]
    for share in (0.4, 0.4, 0.1):
        timeline.run(analysis(share), silences=mute)
    assert timeline.outbox == {}
    assert timeline.states["credit/drift"].state == "inactive"


def test_resolution_is_sent_under_a_silence_when_the_firing_was_announced() -> None:
    """A receiver told of the firing hears of the resolution, silence or not."""
    timeline = Timeline(monitor(DRIFT))
    timeline.run(analysis(0.4))
    timeline.run(analysis(0.4), silences=[silence((1, 10))])
    timeline.run(analysis(0.1), silences=[silence((1, 10))])
    assert [p["status"] for p in timeline.outbox.values()] == ["firing", "resolved"]


def test_reminders_pause_under_a_silence() -> None:
    """repeat_every sends nothing while silenced; after the silence the alert is announced."""
    timeline = Timeline(monitor({**DRIFT, "repeat_every": 1}))
    mute = [silence((2, 4))]
    for _ in range(6):
        timeline.run(analysis(0.4), silences=mute)
    ends = [p["window"]["end"][11:16] for p in timeline.outbox.values()]
    assert ends == ["01:00", "04:00", "05:00", "06:00"]
    assert [p["reminder"] for p in timeline.outbox.values()] == [False, False, True, True]


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, True),
    ({"alert": "dr*"}, True),
    ({"alert": "*"}, True),
    ({"alert": "drifts"}, False),
    ({"monitor": "credit"}, True),
    ({"monitor": "fraud"}, False),
    ({"severity": "warning"}, True),
    ({"severity": "critical"}, False),
    ({"segment": "state=CA"}, False),  # an instance without a segment
])
def test_silence_matching(fields: dict[str, str], expected: bool) -> None:
    """Silences match on alert (patterns allowed), monitor, segment and severity."""
    assert matches(silence((0, 1), **fields), "credit", "drift", None, "warning") is expected


def test_segment_silence_matches_only_its_segments() -> None:
    """A silence naming a segment (or pattern) mutes those segments; one without, all of them."""
    some = silence((0, 1), segment="state=C*")
    assert matches(some, "credit", "drift", "state=CA", "warning")
    assert not matches(some, "credit", "drift", "state=NY", "warning")
    assert matches(silence((0, 1)), "credit", "drift", "state=NY", "warning")


def test_silence_of_one_level_lets_the_other_through() -> None:
    """Silencing the critical level of a rule still lets its warning level be sent."""
    rule = {"name": "drift", "levels": {"warning": "drift_share > 0.2",
                                        "critical": "drift_share > 0.5"}, "notify": ["hook"]}
    timeline = Timeline(monitor(rule))
    timeline.run(analysis(0.3), silences=[silence((0, 5), severity="critical")])
    timeline.run(analysis(0.7), silences=[silence((0, 5), severity="critical")])
    assert [(p["severity"], p["status"]) for p in timeline.outbox.values()] == [
        ("warning", "firing")]
    assert timeline.states["credit/drift/severity=critical"].muted == "silence 7"
    assert timeline.states["credit/drift/severity=warning"].muted == "inhibited by critical"


def test_inactive_silence_window_is_respected() -> None:
    """A silence that starts later does not mute now."""
    later = FakeSilence(1, "drift", T0 + timedelta(days=1), T0 + timedelta(days=2))
    timeline = Timeline(monitor(DRIFT))
    timeline.run(analysis(0.4), silences=[later])
    assert len(timeline.outbox) == 1
