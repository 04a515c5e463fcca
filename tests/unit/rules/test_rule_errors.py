"""Every kind of rule-file error, reported as ``file:line:col: message`` at the right place."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from monitor.errors import RulesInvalid
from monitor.rules.loader import load_rules, validate_paths

Write = Callable[[str, str], Path]

MONITOR = """
monitors:
  - name: m1
    schedule: {every: 15m}
    window: 1h
    source: {type: http, url: "https://x.example"}
    reference: {profile: train}
"""


def problems(*paths: Path, env: dict[str, str] | None = None) -> list[str]:
    """The errors of the given files, each as 'file.yaml:line:col: message'."""
    return [
        f"{Path(e.path).name}:{e.line}:{e.column}: {e.message}"
        for e in validate_paths(list(paths), env or {})
    ]


def only(found: Sequence[str]) -> str:
    """The single error of a file that has exactly one."""
    assert len(found) == 1, found
    return found[0]


def test_valid_monitor_has_no_errors(write: Write) -> None:
    """The base monitor of these tests is valid, so each test's error is its own."""
    assert problems(write("a.yaml", MONITOR)) == []


def test_unknown_top_level_key(write: Write) -> None:
    """A misspelt top-level key is reported at the key, with a suggestion."""
    path = write("a.yaml", MONITOR + "notifers: {}\n")
    assert only(problems(path)) == "a.yaml:7:1: unknown key 'notifers' (did you mean 'notifiers'?)"


def test_unknown_key_in_monitor(write: Write) -> None:
    """A misspelt monitor key is reported at the key, with a suggestion."""
    path = write("a.yaml", MONITOR + "    windw: 2h\n")
    assert only(problems(path)) == "a.yaml:7:5: unknown key 'windw' (did you mean 'window'?)"


def test_unknown_key_deeper_in_monitor(write: Write) -> None:
    """Unknown keys in nested blocks are found too; without a close match the keys are listed."""
    path = write("a.yaml", MONITOR + "    quality: {zzz: 1}\n")
    assert only(problems(path)) == (
        "a.yaml:7:15: unknown key 'zzz'; allowed keys: missing_share, out_of_range_share, "
        "new_category_share, type_mismatch_share, min_rows, max_staleness, volume, columns, "
        "conditions, duplicates, schema, sql, samples"
    )


def test_unknown_key_in_source_block(write: Write) -> None:
    """A key the source kind's Config does not know is reported at the key."""
    text = MONITOR.replace('url: "https://x.example"', 'url: "https://x.example", page_sise: 5')
    assert only(problems(write("a.yaml", text))) == (
        "a.yaml:5:52: unknown key 'page_sise' (did you mean 'page_size'?)"
    )


def test_unknown_key_in_notifier_block(write: Write) -> None:
    """A key the notifier kind's Config does not know is reported at the key."""
    path = write("a.yaml", """
        notifiers:
          chat:
            type: slack
            url: https://chat.example/hook
            chanel: ml
        """)
    assert only(problems(path)) == "a.yaml:5:5: unknown key 'chanel' (did you mean 'channel'?)"


def test_wrong_type(write: Write) -> None:
    """A value of the wrong type is reported at the value, quoted as written."""
    path = write("a.yaml", MONITOR + "    quality: {min_rows: many}\n")
    assert only(problems(path)) == "a.yaml:7:25: expected a whole number (got 'many')"


def test_wrong_type_in_plugin_block(write: Write) -> None:
    """Type errors inside a plugin block point at the value too."""
    text = MONITOR.replace('url: "https://x.example"', 'url: "https://x.example", page_size: 0')
    assert only(problems(write("a.yaml", text))) == (
        "a.yaml:5:63: must be greater than 0 (got '0')"
    )


def test_mapping_expected(write: Write) -> None:
    """A scalar where a mapping belongs says so."""
    path = write("a.yaml", MONITOR.replace("{profile: train}", "train"))
    assert only(problems(path)) == "a.yaml:6:16: expected a mapping of keys to values (got 'train')"


def test_missing_required_key(write: Write) -> None:
    """A missing key is reported at the start of the mapping that lacks it."""
    path = write("a.yaml", MONITOR.replace("    window: 1h\n", ""))
    assert only(problems(path)) == "a.yaml:2:5: missing required key 'window'"


def test_missing_source_type(write: Write) -> None:
    """A plugin block without a type names the known kinds."""
    path = write("a.yaml", MONITOR.replace("type: http, ", ""))
    message = only(problems(path))
    assert message.startswith("a.yaml:5:13: missing required key 'type' (one of: ")
    assert "file" in message and "sql" in message


def test_bad_duration(write: Write) -> None:
    """A duration that does not parse is reported at the value."""
    path = write("a.yaml", MONITOR.replace("window: 1h", "window: 1 hour"))
    assert only(problems(path)) == (
        "a.yaml:4:13: invalid duration '1 hour': write a number and a unit (s, m, h, d, w), "
        "for example 30s, 15m, 1h or 1h30m"
    )


def test_zero_window(write: Write) -> None:
    """A window must be longer than zero."""
    path = write("a.yaml", MONITOR.replace("window: 1h", "window: 0m"))
    assert only(problems(path)) == "a.yaml:4:13: the duration must be longer than 0s"


def test_bad_cron(write: Write) -> None:
    """A cron expression APScheduler rejects is reported with its reason."""
    path = write("a.yaml", MONITOR.replace("{every: 15m}", '{cron: "*/15 * * *"}'))
    assert only(problems(path)) == (
        "a.yaml:3:22: invalid cron expression '*/15 * * *': Wrong number of fields; got 4, "
        "expected 5; write five fields (minute hour day month weekday), such as '*/15 * * * *'"
    )


def test_both_every_and_cron(write: Write) -> None:
    """A schedule with both every and cron is reported at the schedule."""
    path = write("a.yaml", MONITOR.replace("{every: 15m}", '{every: 15m, cron: "0 * * * *"}'))
    assert only(problems(path)) == (
        "a.yaml:3:15: give exactly one of 'every' (such as 15m) or 'cron'"
    )


def test_unknown_notifier_in_notify(write: Write) -> None:
    """A notify entry naming no notifier is reported at that list item, with a suggestion."""
    notifier = "notifiers:\n  ops-webhook: {type: slack, url: https://chat.example/a}\n"
    alert = (
        "    alerts:\n"
        "      - name: drift\n"
        "        when: drift_share > 0.3\n"
        "        notify: [ops-webhook, ops-webhok]\n"
    )
    path = write("a.yaml", notifier + MONITOR + alert)
    assert only(problems(path)) == (
        "a.yaml:13:31: unknown notifier 'ops-webhok' (did you mean 'ops-webhook'?); "
        "defined notifiers: ops-webhook"
    )


def test_notifier_defined_in_another_file(write: Write) -> None:
    """notify may name a notifier defined in any file."""
    first = write(
        "a.yaml", MONITOR + "    alerts:\n      - {name: drift, when: rows > 1, notify: [chat]}\n"
    )
    second = write("b.yaml", "notifiers: {chat: {type: slack, url: https://chat.example}}\n")
    assert problems(first, second) == []
    assert problems(first) == [
        "a.yaml:8:48: unknown notifier 'chat'; defined notifiers: none"
    ]


def test_unknown_source_type(write: Write) -> None:
    """An unknown kind is reported at the type value, quoting the registry's message."""
    path = write("a.yaml", MONITOR.replace("type: http", "type: sqll"))
    message = only(problems(path))
    assert message.startswith(
        "a.yaml:5:20: unknown source type 'sqll' (did you mean 'sql'?); known types: "
    )


def test_unknown_notifier_type(write: Write) -> None:
    """An unknown notifier kind is reported at the type value."""
    path = write("a.yaml", "notifiers:\n  ops: {type: webhok, url: https://x.example}\n")
    assert only(problems(path)).startswith(
        "a.yaml:2:15: unknown notifier type 'webhok' (did you mean 'webhook'?); known types: "
    )


def test_unknown_drift_method(write: Write) -> None:
    """A drift method the statistics registry does not know is reported at its value."""
    path = write("a.yaml", MONITOR + "    drift: {method: kss, columns: {age: {method: psii}}}\n")
    found = problems(path)
    assert len(found) == 2, found
    assert found[0].startswith("a.yaml:7:21: unknown drift method 'kss' (did you mean 'ks'?)")
    assert found[1].startswith("a.yaml:7:50: unknown drift method 'psii' (did you mean 'psi'?)")


def test_duplicate_monitor_name_across_files(write: Write) -> None:
    """The second definition of a monitor name is reported, naming the first."""
    first = write("a.yaml", MONITOR)
    second = write("b.yaml", "# another team\n" + MONITOR.lstrip())
    assert problems(first, second) == [
        f"b.yaml:3:11: monitor name 'm1' is already used at {first}:2"
    ]


def test_duplicate_notifier_name_across_files(write: Write) -> None:
    """The second definition of a notifier name is reported, naming the first."""
    first = write("a.yaml", "notifiers:\n  chat: {type: slack, url: https://a.example}\n")
    second = write("b.yaml", "notifiers:\n  chat: {type: slack, url: https://b.example}\n")
    assert problems(first, second) == [
        f"b.yaml:2:9: notifier name 'chat' is already used at {first}:2"
    ]


def test_duplicate_alert_name(write: Write) -> None:
    """Alert names are unique within a monitor."""
    path = write("a.yaml", MONITOR + (
        "    alerts:\n"
        "      - {name: drift, when: drift_share > 0.3}\n"
        "      - {name: drift, when: drift_share > 0.5}\n"
    ))
    assert only(problems(path)) == f"a.yaml:9:16: alert name 'drift' is already used at {path}:8"


def test_duplicate_yaml_key(write: Write) -> None:
    """A key given twice in one mapping is an error at the second one."""
    path = write("a.yaml", MONITOR + "    window: 2h\n")
    assert only(problems(path)) == "a.yaml:7:5: duplicate key 'window' (first at line 4)"


def test_missing_env_var(write: Write) -> None:
    """An unset variable is reported at its value, naming where it is used."""
    path = write("a.yaml", """
        notifiers:
          ops-webhook:
            type: webhook
            url: https://hooks.example.com/ml
            secret: ${OPS_WEBHOOK_SECRET}
        """)
    assert only(problems(path)) == (
        "a.yaml:5:13: environment variable OPS_WEBHOOK_SECRET is not set "
        "(used in notifiers.ops-webhook.secret)"
    )


def test_missing_env_var_in_monitor(write: Write) -> None:
    """List indexes appear in the place an unset variable is used."""
    path = write("a.yaml", MONITOR.replace('"https://x.example"', '"${SOURCE_URL}"'))
    assert only(problems(path)) == (
        "a.yaml:5:31: environment variable SOURCE_URL is not set (used in monitors[0].source.url)"
    )


def test_malformed_reference(write: Write) -> None:
    """A '${' that is not a ${NAME} reference explains the escape."""
    path = write("a.yaml", MONITOR.replace('"https://x.example"', '"https://${x.example"'))
    assert only(problems(path)) == (
        "a.yaml:5:31: '${' starts an environment variable reference, such as ${NAME} or "
        "${NAME:-default}; write '$${' for a literal '${'"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("monitors:\n  - name: [a\n", "a.yaml:3:1: invalid YAML: while parsing a flow sequence: "
         "expected ',' or ']', but got '<stream end>'"),
        ("monitors: x: y\n", "a.yaml:1:12: invalid YAML: mapping values are not allowed here"),
        ("monitors:\n\t- name: a\n", "a.yaml:2:1: invalid YAML: while scanning for the next "
         "token: found character '\\t' that cannot start any token"),
        ("a: 1\n---\nb: 2\n", "a.yaml:2:1: invalid YAML: expected a single document in the "
         "stream: but found another document"),
        ("monitors: !env x\n", "a.yaml:1:11: invalid YAML: could not determine a constructor "
         "for the tag '!env'"),
    ],
)
def test_yaml_syntax_error(write: Write, text: str, expected: str) -> None:
    """YAML errors give the parser's line and column."""
    assert only(problems(write("a.yaml", text))) == expected


def test_control_character(write: Write) -> None:
    """Characters YAML does not allow are located in the text."""
    path = write("a.yaml", "monitors:\n  - name: a\x07b\n")
    message = only(problems(path))
    assert message.startswith("a.yaml:2:12: invalid YAML: unacceptable character #x0007")


def test_expression_syntax_error(write: Write) -> None:
    """A bad condition is reported at the offending character of the value."""
    path = write("a.yaml", MONITOR + (
        "    alerts:\n"
        "      - name: drift\n"
        "        when: drift_share >> 0.3\n"
    ))
    assert only(problems(path)) == (
        "a.yaml:9:28: unexpected '>': expected a number, a metric name or '('"
    )


def test_expression_error_in_quoted_value(write: Write) -> None:
    """In a quoted value the column accounts for the quote."""
    path = write(
        "a.yaml", MONITOR + '    alerts:\n      - {name: drift, when: "drift_share = 0.3"}\n'
    )
    assert only(problems(path)) == "a.yaml:8:42: unexpected '=': write '==' to compare"


def test_expression_error_in_block_value(write: Write) -> None:
    """A condition written over several lines is reported at its start."""
    path = write("a.yaml", MONITOR + (
        "    alerts:\n"
        "      - name: drift\n"
        "        when: >\n"
        "          drift_share > 0.3\n"
        "          and rows >\n"
    ))
    assert only(problems(path)) == (
        "a.yaml:9:15: the condition ends too early: expected a number, a metric name or '('"
    )


def test_unknown_metric_in_when(write: Write) -> None:
    """An unknown metric is reported at its name, with a suggestion."""
    path = write("a.yaml", MONITOR + (
        "    alerts:\n"
        "      - name: drift\n"
        "        when: rows > 100 and drift_shre > 0.3\n"
    ))
    message = only(problems(path))
    assert message.startswith(
        "a.yaml:9:30: unknown metric 'drift_shre' (did you mean 'drift_share'?); known metrics: "
    )


def test_several_errors_in_one_file(write: Write) -> None:
    """Every problem of a file is reported, in order of position."""
    path = write("a.yaml", """
        monitors:
          - name: m1
            schedule: {every: 15x}
            windw: 1h
            source: {type: http, url: "https://x.example", extra: 1}
            reference: {profile: train, path: x.parquet}
            alerts:
              - {name: a, when: rows >, for: 0, severity: loud}
          - name: m1
            schedule: {cron: "0 * * * *"}
            window: 1h
            source: {type: http, url: "https://x.example"}
            reference: {profile: train}
            columns: {categorical: [a], numeric: [a]}
        """)
    assert problems(path) == [
        "a.yaml:2:5: missing required key 'window'",
        "a.yaml:3:23: invalid duration '15x': write a number and a unit (s, m, h, d, w), "
        "for example 30s, 15m, 1h or 1h30m",
        "a.yaml:4:5: unknown key 'windw' (did you mean 'window'?)",
        "a.yaml:5:52: unknown key 'extra'; allowed keys: type, timestamp, url, page_size",
        "a.yaml:6:16: give exactly one of 'profile' (a stored profile) or 'path'",
        "a.yaml:8:31: the condition ends too early: expected a number, a metric name or '('",
        "a.yaml:8:38: expected a whole number of windows (1 or more) or a duration such as 2h,"
        " got 0",
        "a.yaml:8:51: Input should be 'info', 'warning' or 'critical' (got 'loud')",
        f"a.yaml:9:11: monitor name 'm1' is already used at {path}:2",
        "a.yaml:14:14: columns ['a'] are listed as both categorical and numeric",
    ]


def test_errors_of_all_files_are_reported(write: Write) -> None:
    """One bad file does not hide the problems of the next."""
    first = write("a.yaml", MONITOR.replace("window: 1h", "window: soon"))
    second = write("b.yaml", "monitors: [}\n")
    found = problems(first, second)
    assert [f.split(": ")[0] for f in found] == ["a.yaml:4:13", "b.yaml:1:12"]


def test_load_rules_raises_with_all_errors(write: Write) -> None:
    """load_rules raises RulesInvalid carrying every RuleError, one per line of its text."""
    path = write("a.yaml", MONITOR.replace("window: 1h", "window: soon") + "    windw: 1h\n")
    with pytest.raises(RulesInvalid) as caught:
        load_rules([path], {})
    assert [(e.line, e.column) for e in caught.value.errors] == [(4, 13), (7, 5)]
    assert str(caught.value).splitlines() == [str(e) for e in caught.value.errors]
    assert str(caught.value).startswith(f"{path}:4:13: invalid duration 'soon'")
