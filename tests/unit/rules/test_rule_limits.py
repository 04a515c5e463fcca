"""Rule files that used to hang or crash validation: each is now one located error, quickly."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.errors import RulesInvalid
from monitor.rules import document
from monitor.rules.limits import MAX_ALIASES, MAX_DEPTH, MAX_FILE_BYTES
from monitor.rules.loader import load_rules, load_rules_with_warnings, validate_paths
from monitor.rules.schema import MonitorSpec
from tests.processes import monitor_env

Write = Callable[[str, str], Path]

MONITOR = """
monitors:
  - name: m1
    schedule: {every: 15m}
    window: 1h
    source: {type: sql, url: "sqlite://", table: t, timestamp: ts}
    reference: {profile: train}
"""


def problems(path: Path) -> list[str]:
    """The errors of one file, each as 'file.yaml:line:col: message'."""
    return [f"{Path(e.path).name}:{e.line}:{e.column}: {e.message}"
            for e in validate_paths([path], {})]


def only(path: Path) -> str:
    """The single error of a file that has exactly one."""
    found = problems(path)
    assert len(found) == 1, found
    return found[0]


def bomb(levels: int, width: int) -> str:
    """A 'billion laughs': each level a list of ``width`` aliases to the level below."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_where_it_grows_too_large(write: Write) -> None:
    """Aliases expanding to more values than a file may hold stop at the alias that overflows."""
    path = write("a.yaml", bomb(5, 10))  # l4 holds 111,111 values once expanded
    message = only(path)
    assert message.startswith("a.yaml:5:")
    assert "too many values: a rule file may hold at most 50000 once its aliases are expanded" \
        in message


def test_billion_laughs_is_refused_in_seconds(write: Write) -> None:
    """Nine levels of nine aliases (a few hundred bytes, 4e8 values) end in one error at once."""
    path = write("a.yaml", bomb(9, 9))
    started = time.monotonic()
    message = only(path)
    assert time.monotonic() - started < 5
    assert "too many values" in message and message.startswith("a.yaml:5:")


@pytest.mark.parametrize(("text", "position"), [
    ("monitors: " + "[" * 5000 + "]" * 5000, "1:74"),
    ("monitors: " + "{a: " * 5000 + "1" + "}" * 5000, "1:260"),
    ("".join("  " * i + "a:\n" for i in range(200)) + "  " * 200 + "x\n", "64:127"),
])
def test_deep_nesting_is_refused_at_the_first_level_too_deep(
    write: Write, text: str, position: str
) -> None:
    """Thousands of nested lists or mappings are refused at the first level past the limit."""
    message = only(write("a.yaml", text + "\n"))
    assert message == f"a.yaml:{position}: values nested too deeply: at most {MAX_DEPTH} levels"


def test_nesting_through_aliases_is_bounded(write: Write) -> None:
    """A deep value reused inside another deep value is refused where the alias is used."""
    text = "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n"
    message = only(write("a.yaml", text))
    assert message.startswith("a.yaml:2:")
    assert "values nested too deeply once its aliases are expanded" in message


def test_nesting_up_to_the_limit_is_read(write: Write) -> None:
    """A value nested exactly as deep as allowed is read (and rejected by the schema only)."""
    text = "monitors: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert "nested too deeply" not in " ".join(problems(write("a.yaml", text)))


def test_too_many_aliases_are_refused(write: Write) -> None:
    """Each use of an alias counts; past the limit the file is refused at that alias."""
    text = "x: &x 1\ny: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n"
    message = only(write("a.yaml", text))
    assert message.startswith("a.yaml:2:") and f"at most {MAX_ALIASES} ('*name')" in message


def test_a_file_larger_than_the_limit_is_refused(write: Write) -> None:
    """A rule file past the size limit is not parsed at all."""
    path = write("a.yaml", MONITOR + "# " + "x" * MAX_FILE_BYTES + "\n")
    assert only(path) == ("a.yaml:0:0: the file is larger than 2 MiB, the most a rule file may "
                          "be: split it into several files")


@pytest.mark.parametrize(("line", "key", "value"), [
    (4, "window", "999999999999d"),
    (4, "window", "3651d"),
    (4, "window", "9" * 5000 + "s"),
    (3, "schedule", "{every: 99999999999999999999w}"),
    (7, "delay", "999999999999d"),
])
def test_huge_durations_are_errors(write: Write, line: int, key: str, value: str) -> None:
    """Durations past ten years are a located error, not an OverflowError."""
    text = MONITOR.replace(f"    {key}: ", f"    {key}: {value}\n    old_{key}: ", 1)
    if key == "delay":
        text = MONITOR + f"    delay: {value}\n"
    found = problems(write("a.yaml", text))
    assert any(f"a.yaml:{line}:" in p and "is too long: at most 3650d (about ten years)" in p
               for p in found), found


@pytest.mark.parametrize(("block", "fragment"), [
    ("    quality: {max_staleness: 999999999999d}", "too long"),
    ("    columns: {prediction: p}\n    labels: {source: {type: sql, url: 'sqlite://', table: l,"
     " timestamp: t}, id: i, target: y, delay: 99999999999999h}", "too long"),
    ("    alerts: [{name: a, when: rows > 0, for: 999999999999d}]", "too long"),
    ("    alerts: [{name: a, when: rows > 0, keep_firing_for: 1000000}]", "too many windows"),
    ("    alerts: [{name: a, when: rows > 0, repeat_every: 1000000}]", "too many windows"),
])
def test_every_duration_and_window_count_is_bounded(
    write: Write, block: str, fragment: str
) -> None:
    """Durations and counts of windows anywhere in a monitor are bounded."""
    found = problems(write("a.yaml", MONITOR + block + "\n"))
    assert any(fragment in p for p in found), found


@pytest.mark.parametrize(("block", "message"), [
    ("quality: {min_rows: 100000000000000000000000000000000000}",
     "must be at most 1000000000000 (got '100000000000000000000000000000000000')"),
    ("quality: {volume: {expected: 10000000000000}}", "must be at most 1000000000000"),
    ("quality: {volume: {history: 1000000}}", "must be at most 1000"),
    ("quality: {volume: {max: .inf}}", "expected a finite number (not .inf or .nan)"),
    ("quality: {volume: {min: 1, max: .nan}}", "expected a finite number"),
    ("drift: {threshold: .inf}", "expected a finite number"),
    ("drift: {min_effect: .inf}", "expected a finite number"),
    ("drift: {columns: {x: {threshold: .inf}}}", "expected a finite number"),
    ("drift: {columns: {x: {min_effect: .inf}}}", "expected a finite number"),
    ("reference: {profile: p, version: 2147483648}", "must be at most 2147483647"),
])
def test_numbers_are_range_checked(write: Write, block: str, message: str) -> None:
    """Counts have a sane maximum and thresholds must be finite."""
    text = MONITOR.replace("    reference: {profile: train}\n", "") if "reference" in block \
        else MONITOR
    found = problems(write("a.yaml", text + "    " + block + "\n"))
    assert len(found) == 1 and message in found[0], found


def test_durations_built_in_code_are_bounded() -> None:
    """A timedelta past the maximum is refused even when it never was text."""
    with pytest.raises(ValueError, match="from 0s to 3650d"):
        MonitorSpec.model_validate({
            "name": "m", "schedule": {"every": "1h"}, "window": timedelta(days=4000),
            "source": {"type": "sql", "url": "sqlite://", "table": "t", "timestamp": "ts"},
            "reference": {"profile": "p"}})


@pytest.mark.parametrize(("condition", "message"), [
    ("drift_share > 1e999", "the number 1e999 is too large"),
])
def test_conditions_refuse_infinite_numbers(write: Write, condition: str, message: str) -> None:
    """A number in a condition that is not finite is an error at its column."""
    found = problems(write("a.yaml", MONITOR + f"    alerts: [{{name: a, when: '{condition}'}}]\n"))
    assert found == [f"a.yaml:7:45: {message}"]


def test_template_formats_are_bounded(write: Write) -> None:
    """A number format as wide as a million characters is refused when rules load."""
    block = "    alerts: [{name: a, when: rows > 0, annotations: {s: '{{ value:1000000 }}'}}]\n"
    found = problems(write("a.yaml", MONITOR + block))
    assert len(found) == 1 and "is too wide: widths and precisions go up to 100" in found[0]


@pytest.mark.parametrize(("value", "message"), [
    ("{" * 50_000, "'{{' is not closed"),
    ("{{ value:" + " " * 30_000 + "x }}", "a field is at most 256 characters"),
])
def test_long_templates_are_read_in_linear_time(write: Write, value: str, message: str) -> None:
    """Unclosed fields and very long fields end in one error at once, not a quadratic scan."""
    block = f"    alerts: [{{name: a, when: rows > 0, annotations: {{s: '{value}'}}}}]\n"
    started = time.monotonic()
    found = problems(write("a.yaml", MONITOR + block))
    assert time.monotonic() - started < 5
    assert len(found) == 1 and message in found[0], found


def test_unclosed_references_are_reported_once_quickly(write: Write) -> None:
    """A value full of unclosed '${' is one error, found without rescanning the text."""
    started = time.monotonic()
    found = problems(write("a.yaml", MONITOR + f"    segments: ['{'${a:-' * 20_000}']\n"))
    assert time.monotonic() - started < 5
    assert len(found) == 1 and "'${' starts an environment variable reference" in found[0]


@pytest.mark.parametrize(("value", "message"), [
    ("2026-13-01", "invalid date or time '2026-13-01': month must be in 1..12"),
    ("9" * 5000, "is too long: write at most a few digits"),
])
def test_values_yaml_cannot_build_are_located(write: Write, value: str, message: str) -> None:
    """A date that does not exist or a number of thousands of digits is a located error."""
    found = problems(write("a.yaml", MONITOR + f"    quality: {{min_rows: {value}}}\n"))
    assert len(found) == 1 and found[0].startswith("a.yaml:7:25: ") and message in found[0]


@pytest.mark.parametrize(("text", "position"), [
    ("%YAML " + "9" * 5000 + ".1\n---\na: 1\n", "1:7"),
    ('a: "\\UFFFFFFFF"\n', "1:7"),
    ('a: "\\U0011FFFF"\n', "1:7"),
])
def test_numbers_the_yaml_scanner_cannot_read_are_located(
    write: Write, text: str, position: str
) -> None:
    """A directive number of thousands of digits or an escape past Unicode is a located error."""
    assert only(write("a.yaml", text)) == (
        f"a.yaml:{position}: invalid YAML: a number or an escape sequence here is out of range")


@pytest.mark.parametrize(("text", "env", "message"), [
    ('    segments: ["\\ud800"]\n', {}, "a.yaml:7:16: the text holds a lone surrogate"),
    ('    "\\udfff": 1\n', {}, "a.yaml:7:5: a key must be plain text"),
    ('    segments: ["${RAW}"]\n', {"RAW": "\udcff"}, "a.yaml:7:16: the text holds a lone "
     "surrogate"),
])
def test_text_that_is_not_unicode_is_located(
    write: Write, text: str, env: dict[str, str], message: str
) -> None:
    """Lone surrogates, from an escape or an undecodable variable, are errors at their value."""
    found = [f"{Path(e.path).name}:{e.line}:{e.column}: {e.message}"
             for e in validate_paths([write("a.yaml", MONITOR + text)], env)]
    assert len(found) == 1 and found[0].startswith(message), found


def test_a_fault_no_check_caught_is_still_located(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever validation raises on a hostile value ends as a RuleError, not a traceback."""
    def explode(data: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(document, "validate_file", explode)
    path = write("a.yaml", MONITOR)
    with pytest.raises(RulesInvalid) as caught:
        load_rules([path], {})
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:1:1: the rule file cannot be checked: a value is out of bounds "
        "(maximum recursion depth exceeded)"]


def test_unknown_notifier_lists_a_bounded_number_of_names(write: Write) -> None:
    """With many notifiers, an unknown name's message lists the first fifty."""
    notifiers = "".join(f"  n{i:02}: {{type: webhook, url: 'https://x'}}\n" for i in range(60))
    text = "notifiers:\n" + notifiers + MONITOR.lstrip("\n")
    text += "    alerts: [{name: a, when: rows > 0, notify: [zz]}]\n"
    message = only(write("a.yaml", text))
    assert message.endswith("n48, n49 and 10 more")


def test_missing_data_files_are_listed_where_they_are_written(write: Write) -> None:
    """A reference file, or a file source matching nothing, is a warning at its path."""
    path = write("a.yaml", """
        monitors:
          - name: m1
            schedule: {every: 15m}
            window: 1h
            source: {type: file, path: logs/*.parquet, timestamp: ts}
            reference: {path: train.parquet}
          - name: m2
            schedule: {every: 15m}
            window: 1h
            source: {type: file, path: a.yaml, timestamp: ts}
            reference: {path: ../rules}
        """)
    rules, warnings = load_rules_with_warnings([path], {})
    assert len(rules.monitors) == 2
    folder = path.parent
    assert [f"{Path(w.path).name}:{w.line}:{w.column}: {w.message}" for w in warnings] == [
        f"a.yaml:5:32: no file matches: 'logs/*.parquet' (looked for {folder}/logs/*.parquet)",
        f"a.yaml:6:23: no such file or folder: 'train.parquet' (looked for "
        f"{folder}/train.parquet)",
    ]


def test_paths_that_cannot_exist_are_warnings_too(write: Write) -> None:
    """A path with a NUL byte or naming an unknown user's home is missing, not a crash."""
    path = write("a.yaml", MONITOR.replace("{profile: train}", '{path: "a\\0b"}') + """
    columns: {prediction: p}
    labels:
      source: {type: file, path: ~nobody-such-user/l.parquet, timestamp: t}
      id: i
      target: y
      delay: 1d
""")
    _, warnings = load_rules_with_warnings([path], {})
    assert [(w.line, w.column, w.message.split(":")[0]) for w in warnings] == [
        (6, 23, "no such file or folder"), (10, 34, "no such file or folder")]


def test_validate_warns_of_missing_files_and_still_succeeds(
    write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    """`monitor validate` prints each warning to stderr and keeps exit status 0."""
    path = write("a.yaml", MONITOR.replace("{profile: train}", "{path: train.parquet}"))
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert "rules are valid: 1 monitor(s)" in captured.out
    assert captured.err == (f"{path}:6:23: warning: no such file or folder: 'train.parquet' "
                            f"(looked for {path.parent}/train.parquet)\n")


@pytest.mark.integration
def test_validate_refuses_a_bomb_quickly(tmp_path: Path) -> None:
    """`monitor validate` on a billion-laughs file exits 1 within seconds, naming the place."""
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb(9, 9))
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "monitor", "validate", str(path)],
                            env=monitor_env(), capture_output=True, text=True, timeout=120)
    assert time.monotonic() - started < 60
    assert result.returncode == 1
    assert result.stderr.startswith(f"{path}:5:") and "too many values" in result.stderr
