"""The rule models: parsing of values, cross-field checks, plugin blocks and located problems."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from monitor.rules.expressions import Expression
from monitor.rules.schema import (
    AlertSpec,
    ColumnsSpec,
    DriftSpec,
    MonitorSpec,
    QualitySpec,
    ReferenceSpec,
    RuleFile,
    RuleSet,
    Schedule,
    validate_file,
)
from monitor.rules.validation import Problem, plugin_config
from monitor.sources.files import FileSource
from tests.unit.rules.conftest import HttpSource, SlackNotifier


def monitor(**changes: Any) -> dict[str, Any]:
    """A valid monitor block, with some keys changed."""
    block: dict[str, Any] = {
        "name": "m1",
        "schedule": {"every": "15m"},
        "window": "1h",
        "source": {"type": "http", "url": "https://x.example"},
        "reference": {"profile": "train"},
    }
    return {**block, **changes}


def errors(model: type, data: object) -> list[str]:
    """pydantic's error messages for data that must not validate."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [e["msg"] for e in caught.value.errors()]


def test_monitor_defaults() -> None:
    """A minimal monitor gets the documented defaults."""
    spec = MonitorSpec.model_validate(monitor())
    assert spec.window == timedelta(hours=1)
    assert spec.delay == timedelta(0)
    assert spec.schedule.every == timedelta(minutes=15) and spec.schedule.cron is None
    assert spec.drift == DriftSpec(method="auto", threshold=None, correction="holm")
    assert spec.drift.drift_share == 0.5
    assert spec.quality == QualitySpec()
    assert spec.columns == ColumnsSpec()
    assert spec.segments == [] and spec.alerts == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", timedelta(seconds=90)), ("1h30m", timedelta(minutes=90)), ("2d", timedelta(days=2))],
)
def test_durations(text: str, expected: timedelta) -> None:
    """Durations are read with parse_duration."""
    assert MonitorSpec.model_validate(monitor(window=text, delay=text)).window == expected


@pytest.mark.parametrize("value", [60, 1.5, "1 h", "-1h", ""])
def test_bad_durations(value: object) -> None:
    """Numbers without a unit and malformed text are rejected, quoting the value."""
    (message,) = errors(MonitorSpec, monitor(window=value))
    assert "invalid duration" in message and str(value) in message


def test_durations_must_be_positive() -> None:
    """A zero window, schedule interval or staleness is rejected; a zero delay is fine."""
    assert errors(MonitorSpec, monitor(window="0s")) == [
        "Value error, the duration must be longer than 0s"
    ]
    assert len(errors(Schedule, {"every": "0m"})) == 1
    assert len(errors(QualitySpec, {"max_staleness": "0h"})) == 1
    assert MonitorSpec.model_validate(monitor(delay="0s")).delay == timedelta(0)


def test_schedule_cron() -> None:
    """A valid five-field cron expression is kept as written."""
    assert Schedule.model_validate({"cron": "*/15 * * * mon-fri"}).cron == "*/15 * * * mon-fri"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"every": "15m", "cron": "* * * * *"}, "give exactly one of 'every'"),
        ({}, "give exactly one of 'every'"),
        ({"cron": "61 * * * *"}, "the last value (61) is higher than the maximum value (59)"),
        ({"cron": "* * * *"}, "Wrong number of fields; got 4, expected 5"),
    ],
)
def test_bad_schedules(data: dict[str, str], fragment: str) -> None:
    """Schedules need exactly one of every or cron, and a cron APScheduler accepts."""
    (message,) = errors(Schedule, data)
    assert fragment in message


def test_reference_forms() -> None:
    """A reference is a stored profile (optionally a version) or a path."""
    assert ReferenceSpec.model_validate({"profile": "t", "version": 3}).version == 3
    assert ReferenceSpec.model_validate({"path": "train.parquet"}).path == "train.parquet"
    assert errors(ReferenceSpec, {"profile": "t", "path": "x"}) == [
        "Value error, give exactly one of 'profile' (a stored profile) or 'path'"
    ]
    assert errors(ReferenceSpec, {"path": "x", "version": 2}) == [
        "Value error, 'version' applies to a stored 'profile' only"
    ]
    assert len(errors(ReferenceSpec, {"profile": "t", "version": 0})) == 1


def test_column_roles_may_not_conflict() -> None:
    """A column is not both categorical and numeric, nor excluded and named."""
    assert errors(ColumnsSpec, {"categorical": ["a", "b"], "numeric": ["b"]}) == [
        "Value error, columns ['b'] are listed as both categorical and numeric"
    ]
    assert errors(ColumnsSpec, {"target": "y", "exclude": ["y", "id"]}) == [
        "Value error, columns ['y'] are excluded but also named in 'columns'"
    ]
    assert ColumnsSpec.model_validate({"categorical": ["a"], "exclude": ["id"]}).exclude == ["id"]


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5])
def test_drift_share_bounds(share: float) -> None:
    """drift_share lies in (0, 1]."""
    assert len(errors(DriftSpec, {"drift_share": share})) == 1


def test_drift_overrides() -> None:
    """Per-column overrides keep their method and threshold."""
    drift = DriftSpec.model_validate(
        {"method": "ks", "drift_share": 1, "correction": "bh",
         "columns": {"income": {"method": "psi", "threshold": 0.2}}}
    )  # fmt: skip
    assert drift.columns["income"].method == "psi"
    assert drift.columns["income"].threshold == 0.2
    assert drift.drift_share == 1.0 and drift.correction == "bh"


def test_drift_methods_come_from_the_registry() -> None:
    """Every name the statistics registry knows is accepted; others are not."""
    from monitor.stats.registry import known_methods

    for name in known_methods():
        assert DriftSpec.model_validate({"method": name}).method == name
    (message,) = errors(DriftSpec, {"method": "wasserstien"})
    assert "unknown drift method 'wasserstien' (did you mean 'wasserstein'?)" in message


def test_quality_shares() -> None:
    """Quality limits are shares in [0, 1]; min_rows is not negative."""
    quality = QualitySpec.model_validate(
        {"missing_share": {"max": 0.05}, "new_category_share": {"max": 0}, "min_rows": 0}
    )
    assert quality.missing_share is not None and quality.missing_share.max == 0.05
    assert len(errors(QualitySpec, {"missing_share": {"max": 1.01}})) == 1
    assert len(errors(QualitySpec, {"min_rows": -1})) == 1


def test_alert_fields() -> None:
    """'for' is read through its alias, and the condition is parsed once."""
    alert = AlertSpec.model_validate({"name": "a", "when": "drift_share > 0.3", "for": 3})
    assert alert.for_ == 3 and alert.severity == "warning" and alert.notify == []
    assert isinstance(alert.expression, Expression)
    assert alert.expression is alert.expression
    assert alert.expression.evaluate({"drift_share": 0.5}) is True
    assert AlertSpec(**{"name": "a", "when": "rows > 1", "for": 2}).for_ == 2
    assert errors(AlertSpec, {"name": "a", "when": "rows > 1", "for_": 2}) == [
        "Extra inputs are not permitted"
    ]
    assert alert.model_dump(by_alias=True)["for"] == 3


def test_alert_errors() -> None:
    """for >= 1, a known severity, and a condition that parses."""
    assert len(errors(AlertSpec, {"name": "a", "when": "rows > 1", "for": 0})) == 1
    assert len(errors(AlertSpec, {"name": "a", "when": "rows > 1", "severity": "loud"})) == 1
    with pytest.raises(ValidationError) as caught:
        AlertSpec.model_validate({"name": "a", "when": "rows >"})
    (error,) = caught.value.errors()
    assert error["type"] == "expression" and error["ctx"]["offset"] == 6


@pytest.mark.parametrize("name", ["credit scoring", "a/b", "", "über", ".", ".."])
def test_names_are_slugs(name: str) -> None:
    """Monitor names hold only letters, digits, '-', '_' and '.', and not only dots."""
    (message,) = errors(MonitorSpec, monitor(name=name))
    assert f"invalid name '{name}'" in message


def test_source_block_resolves_plugin_config() -> None:
    """A source block becomes an instance of its kind's Config."""
    spec = MonitorSpec.model_validate(monitor())
    assert spec.source.type == "http"
    assert isinstance(spec.source.config, HttpSource.Config)
    assert spec.source.config.page_size == 100
    dumped = spec.model_dump(mode="json")["source"]
    assert dumped["config"] == {"type": "http", "timestamp": None, "url": "https://x.example",
                                "page_size": 100}  # fmt: skip


def test_real_file_source_block() -> None:
    """The built-in file source validates its own block."""
    spec = MonitorSpec.model_validate(
        monitor(source={"type": "file", "path": "logs/*.parquet", "timestamp": "ts"})
    )
    assert isinstance(spec.source.config, FileSource.Config)
    assert spec.source.config.format == "auto"
    (message,) = errors(MonitorSpec, monitor(source={"type": "file", "path": "x", "fmt": "csv"}))
    assert "unknown key 'fmt' (did you mean 'format'?)" in message


def test_plugin_config_lookup() -> None:
    """plugin_config finds Config models through the registry."""
    assert plugin_config("notifier", "slack") is SlackNotifier.Config
    assert plugin_config("source", "http") is HttpSource.Config
    assert plugin_config("source", "file") is FileSource.Config


def test_origin_and_relative_paths(tmp_path: Path) -> None:
    """with_origin remembers the rule file; relative paths resolve from its folder."""
    spec = MonitorSpec.model_validate(monitor())
    assert spec.origin == Path("<inline>")
    located = spec.with_origin(tmp_path / "rules" / "a.yaml")
    assert located.origin == tmp_path / "rules" / "a.yaml"
    assert spec.origin == Path("<inline>")  # the original is unchanged
    assert located.resolve_path("data/train.csv") == tmp_path / "rules" / "data" / "train.csv"
    assert located.resolve_path("/srv/train.csv") == Path("/srv/train.csv")


def test_specs_are_frozen() -> None:
    """Rules cannot be changed after loading."""
    spec = MonitorSpec.model_validate(monitor())
    with pytest.raises(ValidationError):
        spec.window = timedelta(hours=2)  # type: ignore[misc]


def test_rule_set_lookup() -> None:
    """RuleSet.monitor finds a monitor by name."""
    rules = RuleSet(monitors=[MonitorSpec.model_validate(monitor())])
    assert rules.monitor("m1").name == "m1"
    with pytest.raises(KeyError):
        rules.monitor("m2")


def test_validate_file_returns_model() -> None:
    """A valid document validates to a RuleFile with resolved plugin configs."""
    rule_file, problems = validate_file(
        {"notifiers": {"chat": {"type": "slack", "url": "https://c.example"}},
         "monitors": [monitor()]}
    )  # fmt: skip
    assert problems == []
    assert isinstance(rule_file, RuleFile)
    assert isinstance(rule_file.notifiers["chat"], SlackNotifier.Config)


def test_validate_file_locates_problems() -> None:
    """Problems carry their location; plugin-block problems are prefixed with theirs."""
    rule_file, problems = validate_file(
        {"notifiers": {"chat": {"type": "slack"}, "bad name": {"type": "slack", "url": "u"}},
         "monitors": [monitor(source={"type": "http", "url": "u", "page": 2}, windw="1h")]}
    )  # fmt: skip
    assert rule_file is None
    assert problems == [
        Problem(("notifiers", "chat", "url"), "missing required key 'url'"),
        Problem(("monitors", 0, "source", "page"),
                "unknown key 'page' (did you mean 'page_size'?)", at_key=True),
        Problem(("notifiers", "bad name"),
                "invalid name 'bad name': use only letters, digits, '-', '_' and '.'", at_key=True),
        Problem(("monitors", 0, "windw"), "unknown key 'windw' (did you mean 'window'?)",
                at_key=True),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("block", "loc", "message"),
    [
        ("webhook", ("notifiers", "n"),
         "expected a mapping with a 'type' key naming the notifier kind"),
        ({"url": "u"}, ("notifiers", "n", "type"), "missing required key 'type' (one of: "),
        ({"type": 3}, ("notifiers", "n", "type"), "expected a notifier kind: one of "),
    ],
)  # fmt: skip
def test_plugin_block_phase_one(block: object, loc: tuple, message: str) -> None:
    """Phase one: a plugin block is a mapping with a string type."""
    rule_file, (problem,) = validate_file({"notifiers": {"n": block}})
    assert rule_file is None
    assert problem.loc == loc and problem.message.startswith(message)
    assert "webhook" in problem.message


def test_top_level_must_be_mapping() -> None:
    """A document that is not a mapping is one problem at the top."""
    rule_file, problems = validate_file(["monitors"])
    assert rule_file is None and [p.loc for p in problems] == [()]
