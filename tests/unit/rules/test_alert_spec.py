"""Alert rules in rule files: levels, durations, labels, annotations, policies, segments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.errors import RulesInvalid
from monitor.rules.alerting import AlertSpec, windows
from monitor.rules.loader import load_rules

Write = Callable[[str, str], Path]

MONITOR = """\
monitors:
  - name: credit
    schedule: {every: 1h}
    window: 1h
    source: {type: file, path: logs.parquet, timestamp: t}
    reference: {profile: train}
    segments: [state]
    alerts:
"""


def alert(**fields: object) -> AlertSpec:
    """An AlertSpec from keyword fields ('for' passed as for_)."""
    data = {"name": "a", **fields}
    if "for_" in data:
        data["for"] = data.pop("for_")
    return AlertSpec.model_validate(data)


def errors(write: Write, alerts: str) -> list[str]:
    """The problems of a rule file with these alert lines, without the folder."""
    path = write("a.yaml", MONITOR + alerts)
    with pytest.raises(RulesInvalid) as caught:
        load_rules([path], {})
    return [str(e).replace(f"{path.parent}/", "") for e in caught.value.errors]


def test_defaults() -> None:
    """A plain rule: one warning condition, for 1, no keep, no repeat, keep state on gaps."""
    spec = alert(when="drift_share > 0.3")
    assert (spec.for_, spec.keep_firing_for, spec.repeat_every) == (1, 0, None)
    assert (spec.on_no_data, spec.on_error, spec.leveled) == ("keep_state", "keep_state", False)
    assert [(s, str(e)) for s, e in spec.conditions] == [("warning", "drift_share > 0.3")]


def test_levels_are_ordered_lowest_first() -> None:
    """levels give one condition per severity, from info up to critical."""
    spec = alert(levels={"critical": "drift_share > 0.5", "warning": "drift_share > 0.2"})
    assert [s for s, _ in spec.conditions] == ["warning", "critical"]
    assert spec.leveled and str(spec.expression) == "drift_share > 0.5"


def test_durations_and_windows() -> None:
    """for, keep_firing_for and repeat_every take windows or durations."""
    spec = alert(when="rows > 0", for_="90m", keep_firing_for=2, repeat_every="1d")
    assert spec.for_ == timedelta(minutes=90) and spec.keep_firing_for == 2
    hour = timedelta(hours=1)
    assert (windows(spec.for_, hour), windows(spec.keep_firing_for, hour),
            windows(spec.repeat_every, hour)) == (2, 2, 24)  # type: ignore[arg-type]


@pytest.mark.parametrize(("fields", "message"), [
    ({}, "give either 'when' (one condition) or 'levels'"),
    ({"when": "rows > 0", "levels": {"warning": "rows > 0"}}, "give either 'when'"),
    ({"levels": {"warning": "rows > 0"}, "severity": "critical"}, "remove 'severity'"),
    ({"levels": {}}, "at least one level"),
    ({"when": "rows > 0", "labels": {"severity": "x"}}, "label 'severity' is set by the monitor"),
    ({"when": "rows > 0", "labels": {"9lives": "x"}}, "label name '9lives' is invalid"),
    ({"when": "rows > 0", "for": 0}, "expected a whole number of windows (1 or more)"),
    ({"when": "rows > 0", "repeat_every": "0s"}, "expected a whole number of windows"),
    ({"when": "rows > 0", "keep_firing_for": -1}, "(0 or more)"),
    ({"when": "rows > 0", "on_error": "page"}, "'alert', 'keep_state' or 'ok'"),
])
def test_invalid_rules(fields: dict[str, object], message: str) -> None:
    """Each invalid combination is refused with a message saying what to do."""
    with pytest.raises(ValueError, match=".*" + message.replace("(", r"\(").replace(")", r"\)")):
        AlertSpec.model_validate({"name": "a", **fields})


def test_errors_point_into_levels_labels_and_annotations(write: Write) -> None:
    """Condition and template errors are reported at their line and column."""
    found = errors(write, (
        "      - name: drift\n"
        "        levels:\n"
        "          warning: drift_share > 0.2\n"
        "          critical: drift_shar > 0.5\n"
        "        labels: {team: \"{{ value }}\"}\n"
        "        annotations:\n"
        "          summary: \"{{ valu }} drifted\"\n"
    ))
    assert [e.split(": ")[0] for e in found] == ["a.yaml:12:21", "a.yaml:13:28",
                                                 "a.yaml:15:24"]
    assert "unknown metric 'drift_shar'" in found[0]
    assert "labels identify an alert" in found[1]
    assert "did you mean 'value'?" in found[2]


def test_unknown_level_key_suggests(write: Write) -> None:
    """A misspelt level is an unknown key with a suggestion."""
    found = errors(write, "      - {name: d, levels: {critcal: rows > 0}}\n")
    assert found == ["a.yaml:9:28: unknown key 'critcal' (did you mean 'critical'?)"]


def test_alert_segments_must_be_monitor_segments(write: Write) -> None:
    """An alert per segment of a column the monitor does not segment by is refused."""
    found = errors(write, "      - {name: d, when: rows > 0, segments: [region]}\n")
    assert len(found) == 1
    assert "alert 'd' alerts per segment of ['region'], which the monitor does not" in found[0]


def test_valid_file_loads(write: Write) -> None:
    """A file using every alert key loads."""
    path = write("a.yaml", MONITOR + (
        "      - name: drift\n"
        "        levels: {warning: drift_share > 0.2, critical: drift_share > 0.5}\n"
        "        for: 2h\n"
        "        keep_firing_for: 1\n"
        "        repeat_every: 6h\n"
        "        labels: {team: ml, page: \"{{ monitor }}\"}\n"
        "        annotations: {summary: \"{{ value:.0% }} drifted: {{ top_columns }}\"}\n"
        "        segments: [state]\n"
        "        on_no_data: alert\n"
        "        on_error: ok\n"
        "      - name: auc\n"
        "        when: performance.roc_auc < 0.7 or column(\"income\").psi > 0.2\n"
    ))
    rules = load_rules([path], {})
    drift, auc = rules.monitor("credit").alerts
    assert drift.segments == ["state"] and drift.on_no_data == "alert"
    assert auc.expression.names == {"performance.roc_auc", "column.income.psi"}
