"""Loading rule files: the design example, folders, ${NAME} substitution and YAML details."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.alerts.notifiers.webhook import WebhookNotifier
from monitor.errors import RulesInvalid
from monitor.rules.loader import load_rules, rule_files, validate_paths
from monitor.sources.sql import SqlSource
from tests.unit.rules.conftest import HttpSource, SlackNotifier

Write = Callable[[str, str], Path]

EXAMPLE = Path(__file__).parent / "fixtures" / "design_example.yaml"
EXAMPLE_ENV = {
    "OPS_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.example/T000/B000/XXXX",
    "PROD_DB_URL": "postgresql+psycopg://monitor:p%40ss@db.internal:5432/prod",
}
MONITOR = """
monitors:
  - name: {name}
    schedule: {{every: 15m}}
    window: 1h
    source: {{type: http, url: "https://x.example"}}
    reference: {{profile: train}}
"""


def messages(paths: list[Path], env: dict[str, str] | None = None) -> list[str]:
    """The error messages for the given paths, without their positions."""
    return [e.message for e in validate_paths(paths, env or {})]


def test_design_example_loads() -> None:
    """The rule file of the design document loads with the values it states."""
    rules = load_rules([EXAMPLE], EXAMPLE_ENV)
    assert sorted(rules.notifiers) == ["ml-slack", "ops-webhook"]
    webhook = rules.notifiers["ops-webhook"]
    assert webhook.type == "webhook" and webhook.origin == EXAMPLE
    assert isinstance(webhook.config, WebhookNotifier.Config)
    assert webhook.config.url == "https://hooks.example.com/ml"
    assert webhook.config.secret == EXAMPLE_ENV["OPS_WEBHOOK_SECRET"]
    slack = rules.notifiers["ml-slack"]
    assert isinstance(slack.config, SlackNotifier.Config)
    assert slack.config.url == EXAMPLE_ENV["SLACK_WEBHOOK_URL"]

    (spec,) = rules.monitors
    assert spec.name == "credit-scoring" and spec.origin == EXAMPLE
    assert spec.schedule.every == timedelta(minutes=15) and spec.schedule.cron is None
    assert (spec.window, spec.delay) == (timedelta(hours=1), timedelta(minutes=5))
    assert spec.source.type == "sql"
    assert isinstance(spec.source.config, SqlSource.Config)
    assert spec.source.config.url == EXAMPLE_ENV["PROD_DB_URL"]
    assert (spec.source.config.table, spec.source.config.query) == ("prediction_log", None)
    assert spec.source.config.timestamp == "logged_at"
    assert (spec.reference.profile, spec.reference.version) == ("credit-scoring-train", None)
    assert spec.columns.categorical == ["state", "product"]
    assert (spec.columns.prediction, spec.columns.target) == ("score", "defaulted")
    assert spec.columns.exclude == ["request_id"] and spec.segments == ["state"]
    assert spec.drift.method == "auto" and spec.drift.correction == "holm"


def test_design_example_quality_and_alerts() -> None:
    """The example's quality limits and alerts load as written."""
    (spec,) = load_rules([EXAMPLE], EXAMPLE_ENV).monitors
    quality = spec.quality
    assert quality.missing_share is not None and quality.missing_share.max == 0.05
    assert quality.out_of_range_share is not None and quality.out_of_range_share.max == 0.01
    assert quality.new_category_share is not None and quality.new_category_share.max == 0.0
    assert quality.type_mismatch_share is None
    assert quality.min_rows == 500 and quality.max_staleness == timedelta(hours=2)
    drift, data = spec.alerts
    assert (drift.name, drift.when, drift.for_, drift.severity) == (
        "feature-drift", "drift_share > 0.3", 2, "critical")  # fmt: skip
    assert drift.notify == ["ops-webhook", "ml-slack"]
    assert (data.name, data.for_, data.severity, data.notify) == (
        "data-quality", 1, "warning", ["ml-slack"])  # fmt: skip
    assert drift.expression.value({"drift_share": 0.42}) == 0.42
    assert data.expression.evaluate({"failed_quality_checks": 1}) is True


def test_design_example_reports_unset_variables() -> None:
    """Without its environment the example names each missing variable."""
    found = [str(e) for e in validate_paths([EXAMPLE], {})]
    assert found == [
        f"{EXAMPLE}:5:13: environment variable OPS_WEBHOOK_SECRET is not set "
        "(used in notifiers.ops-webhook.secret)",
        f"{EXAMPLE}:8:10: environment variable SLACK_WEBHOOK_URL is not set "
        "(used in notifiers.ml-slack.url)",
        f"{EXAMPLE}:17:12: environment variable PROD_DB_URL is not set "
        "(used in monitors[0].source.url)",
    ]


def test_folder_reads_yaml_files_sorted(write: Write) -> None:
    """A folder stands for its *.yaml and *.yml files, sorted; others are ignored."""
    b = write("b.yml", MONITOR.format(name="from-b"))
    a = write("a.yaml", MONITOR.format(name="from-a"))
    write("notes.txt", "not rules")
    write(".draft.yaml", "monitors: [")
    (a.parent / "sub").mkdir()
    (a.parent / "sub" / "c.yaml").write_text("monitors: [", encoding="utf-8")
    rules = load_rules([a.parent], {})
    assert [m.name for m in rules.monitors] == ["from-a", "from-b"]
    assert [m.origin for m in rules.monitors] == [a, b]
    assert rule_files([a.parent]) == [a, b]


def test_file_named_twice_is_read_once(write: Write) -> None:
    """A file given on its own and through its folder is loaded once."""
    a = write("a.yaml", MONITOR.format(name="m1"))
    assert rule_files([a, a.parent, str(a)]) == [a]
    assert [m.name for m in load_rules([a, a.parent], {}).monitors] == ["m1"]


def test_missing_path(tmp_path: Path) -> None:
    """A missing path is an error at 0:0, naming the path."""
    missing = tmp_path / "nope.yaml"
    (error,) = validate_paths([missing], {})
    assert str(error) == (
        f"{missing}:0:0: no such file or directory: check the path, or create the rule file"
    )
    with pytest.raises(RulesInvalid):
        rule_files([missing])


def test_empty_folder(tmp_path: Path) -> None:
    """A folder without rule files is an error, so a wrong path is not silently empty."""
    (error,) = validate_paths([tmp_path], {})
    assert str(error) == f"{tmp_path}:0:0: no rule files (*.yaml, *.yml) in {tmp_path}/"


@pytest.mark.parametrize("text", ["", "\n\n", "# all monitors paused\n", "---\n"])
def test_empty_file_is_an_error(write: Write, text: str) -> None:
    """An empty file is rejected: a half-written file must not wipe the daemon's rules."""
    path = write("a.yaml", text)
    (error,) = validate_paths([path], {})
    assert str(error) == (
        f"{path}:0:0: empty rule file: add 'monitors:' or 'notifiers:', or remove it"
    )


def test_empty_mapping_is_allowed(write: Write) -> None:
    """A file that says it holds nothing is valid."""
    rules = load_rules([write("a.yaml", "monitors: []\nnotifiers: {}\n")], {})
    assert rules.monitors == [] and rules.notifiers == {}


def test_top_level_list(write: Write) -> None:
    """A file that is a list is reported at its start."""
    (error,) = validate_paths([write("a.yaml", "- name: m1\n")], {})
    assert (error.line, error.column) == (1, 1)
    assert error.message == (
        "a rule file is a mapping with 'monitors:' and/or 'notifiers:' keys (got a list)"
    )


def test_not_utf8(write: Write) -> None:
    """A file that is not UTF-8 text says so."""
    path = write("a.yaml", "")
    path.write_bytes(b"monitors: [\xff]\n")
    (message,) = messages([path])
    assert message.startswith("not UTF-8 text")


def test_substitution(write: Write) -> None:
    """${NAME} is replaced inside strings; text around it is kept."""
    path = write("a.yaml", """
        notifiers:
          chat: {type: slack, url: "https://${HOST}/hooks/${TOKEN}", channel: "#ml"}
        """)
    rules = load_rules([path], {"HOST": "chat.example", "TOKEN": "abc123"})
    assert rules.notifiers["chat"].config.url == "https://chat.example/hooks/abc123"
    assert rules.notifiers["chat"].config.channel == "#ml"


def test_escape(write: Write) -> None:
    """$${ writes a literal ${, and a lone $ stays as it is."""
    path = write("a.yaml", """
        notifiers:
          chat: {type: slack, url: "https://x.example/$${NOT_SET}/$5/$${", channel: "$${X}${X}"}
        """)
    config = load_rules([path], {"X": "1"}).notifiers["chat"].config
    assert config.url == "https://x.example/${NOT_SET}/$5/${"
    assert config.channel == "${X}1"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:9109/hooks"),
        ({"URL": ""}, "http://127.0.0.1:9109/hooks"),
        ({"URL": "https://set.example"}, "https://set.example"),
    ],
)
def test_default_values(write: Write, env: dict[str, str], expected: str) -> None:
    """${NAME:-default} takes the default when NAME is unset or empty, as the shell does."""
    path = write("a.yaml", """
        notifiers:
          chat: {type: slack, url: "${URL:-http://127.0.0.1:9109/hooks}", channel: "${C:-}"}
        """)
    config = load_rules([path], env).notifiers["chat"].config
    assert (config.url, config.channel) == (expected, "")


@pytest.mark.parametrize(
    "value",
    ["a: b # c", "[x, y]", "{k: v}", "*alias &anchor !tag", "line\nbreak", "'\"", "${OTHER}",
     "true", "null", "  padded  "],
)  # fmt: skip
def test_values_are_not_parsed_as_yaml(write: Write, value: str) -> None:
    """A substituted value is used as it is, never read as YAML or substituted again."""
    path = write("a.yaml", "notifiers:\n  chat: {type: slack, url: '${URL}'}\n")
    assert load_rules([path], {"URL": value}).notifiers["chat"].config.url == value


def test_substituted_text_is_validated(write: Write) -> None:
    """Substituted text goes through the same checks, e.g. a number for min_rows."""
    path = write("a.yaml", MONITOR.format(name="m1") + "    quality: {min_rows: '${ROWS}'}\n")
    (spec,) = load_rules([path], {"ROWS": "500"}).monitors
    assert spec.quality.min_rows == 500


def test_secrets_never_appear_in_errors(write: Write) -> None:
    """Messages show ${NAME}, not the value, even when a check quotes its input."""
    path = write("a.yaml", MONITOR.format(name="m1").replace("window: 1h", "window: ${WINDOW}")
                 + "    quality: {min_rows: '${ROWS}'}\n")  # fmt: skip
    env = {"WINDOW": "1h-hunter2", "ROWS": "many-hunter2"}
    found = messages([path], env)
    assert found == [
        "invalid duration '${WINDOW}': write a number and a unit (s, m, h, d, w), "
        "for example 30s, 15m, 1h or 1h30m",
        "expected a whole number (got '${ROWS}')",
    ]
    assert not any("hunter2" in m for m in found)


def test_real_webhook_errors_hide_secrets(write: Write) -> None:
    """A bad URL from the environment does not leak into the message."""
    path = write("a.yaml", "notifiers:\n  ops: {type: webhook, url: '${URL}'}\n")
    (message,) = messages([path], {"URL": "ftp://user:hunter2@example.com"})
    assert "hunter2" not in message and "url must be an http://" in message


def test_relative_paths_resolve_against_the_rule_file(write: Write) -> None:
    """A reference path is resolved from the folder of the file that names it."""
    path = write("a.yaml", MONITOR.format(name="m1").replace(
        "{profile: train}", "{path: data/train.csv}"))  # fmt: skip
    (spec,) = load_rules([path], {}).monitors
    assert spec.reference.path == "data/train.csv"
    assert spec.resolve_path(spec.reference.path) == path.parent / "data" / "train.csv"


def test_monitors_from_several_files_merge(write: Write) -> None:
    """Monitors and notifiers of all files form one rule set, in file order."""
    a = write("a.yaml", MONITOR.format(name="m1"))
    b = write("b.yaml", "notifiers: {chat: {type: slack, url: https://c.example}}\n"
              + MONITOR.format(name="m2") + "    alerts: [{name: d, when: rows > 1, "
              "notify: [chat]}]\n")  # fmt: skip
    rules = load_rules([a, b], {})
    assert [(m.name, m.origin) for m in rules.monitors] == [("m1", a), ("m2", b)]
    assert rules.notifiers["chat"].origin == b
    assert isinstance(rules.monitors[1].source.config, HttpSource.Config)


def test_aliases_are_followed(write: Write) -> None:
    """A YAML alias repeats a whole value."""
    path = write("a.yaml", MONITOR.format(name="m1").replace(
        "source: {type", "source: &src {type") + MONITOR.format(name="m2").replace(
        "monitors:\n", "").replace('{type: http, url: "https://x.example"}', "*src"))  # fmt: skip
    first, second = load_rules([path], {}).monitors
    assert second.source == first.source


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("base: &b {type: slack}\nnotifiers:\n  chat:\n    <<: *b\n    url: u\n",
         "merge keys ('<<') are not supported: write the keys out, or use an alias for a "
         "whole value"),
        ("notifiers:\n  ? [a, b]\n  : {type: slack}\n", "a key must be plain text"),
        ("monitors: &m [*m]\n", "an alias refers to a value that contains it"),
    ],
)  # fmt: skip
def test_unsupported_yaml(write: Write, text: str, message: str) -> None:
    """Merge keys, complex keys and recursive aliases are clear errors."""
    assert message in messages([write("a.yaml", text)])


def test_yaml_key_text_is_kept(write: Write) -> None:
    """Keys are read as written: 'on' or '1' stay text, not a boolean or number."""
    path = write("a.yaml", "notifiers:\n  on: {type: slack, url: u}\n  1: {type: slack, url: v}\n")
    assert sorted(load_rules([path], {}).notifiers) == ["1", "on"]
