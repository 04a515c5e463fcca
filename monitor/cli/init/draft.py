"""The rule file ``monitor init`` writes: one commented monitor that ``monitor validate`` accepts.

The monitor is built twice from the same choices: as data (``rule_data``,
what the file must parse to) and as YAML text with the reason for each
choice beside it (``rule_text``). The command checks that the text parses
to the data, so a comment or a quote can never change a value. Every string
value is written so that the loader reads it back as it is: ``${`` becomes
``$${`` (the loader's escape), and anything YAML could misread is quoted.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml

from monitor.rules.inference import (
    BOOLEAN,
    CATEGORICAL,
    EXCLUDED,
    FEATURE,
    NUMERIC,
    TEXT,
    ColumnPlan,
    QualityPlan,
    Timing,
)
from monitor.times import format_duration, format_time

__all__ = ["ALERT_SHARE", "Draft", "literal", "rule_data", "rule_text"]

ALERT_SHARE = 0.3
"""The example alert fires when more than this share of the columns drifted."""
_NOTE_COLUMN = 40
_WIDTH = 99
_PLAIN = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./*\-]*")  # no flow, comment or alias marks
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class Draft:
    """Everything the rule file says.

    Attributes:
        name: the monitor's name.
        source: the ``source:`` block as written (values already ``literal``),
            without the timestamp, which the plan gives.
        source_notes: a comment beside some of the source's keys.
        reference: the reference's path, relative to the rule file's folder.
        reference_note: what the reference is, for the comment above it.
        plan, timing, quality: the inferred choices.
        described: the data as the operator named it.
        rows: rows in the sample the choices come from.
        made_at: when init ran.
    """

    name: str
    source: dict[str, str]
    reference: str
    reference_note: str
    plan: ColumnPlan
    timing: Timing
    quality: QualityPlan
    described: str
    rows: int
    made_at: datetime
    source_notes: dict[str, str] = field(default_factory=dict)


def literal(text: str) -> str:
    """A string as a rule file writes it so that it reads back unchanged (``$${`` for ``${``)."""
    return text.replace("${", "$${")


def rule_data(draft: Draft) -> dict[str, Any]:
    """What the rule file parses to (before ``${...}`` substitution)."""
    plan, timing, quality = draft.plan, draft.timing, draft.quality
    columns: dict[str, Any] = {}
    for key, kind in (("categorical", CATEGORICAL), ("numeric", NUMERIC), ("text", TEXT)):
        if plan.named(FEATURE, kind):
            columns[key] = [literal(c) for c in plan.named(FEATURE, kind)]
    for key, column in (("prediction", plan.prediction), ("target", plan.target)):
        if column is not None:
            columns[key] = literal(column)
    if plan.named(EXCLUDED):
        columns["exclude"] = [literal(c) for c in plan.named(EXCLUDED)]
    monitor: dict[str, Any] = {
        "name": literal(draft.name),
        "window": format_duration(timing.window),
        "schedule": {"every": format_duration(timing.every)},
        "delay": format_duration(timing.delay),
        "source": {**draft.source, "timestamp": literal(plan.timestamp or "")},
        "reference": {"path": literal(draft.reference)},
    }
    if columns:
        monitor["columns"] = columns
    monitor["drift"] = {"method": "auto", "correction": "holm", "drift_share": 0.5}
    monitor["quality"] = {
        "missing_share": {"max": quality.missing_share},
        "out_of_range_share": {"max": quality.out_of_range_share},
        "new_category_share": {"max": quality.new_category_share},
        "type_mismatch_share": {"max": 0.0},
        "min_rows": quality.min_rows,
    }
    monitor["alerts"] = [{"name": "feature-drift", "when": f"drift_share > {ALERT_SHARE}",
                          "for": 2, "severity": "warning"}]
    return {"monitors": [monitor]}


class _Lines:
    """YAML lines with a comment beside a value, or above it when the line would be too long."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, indent: int, text: str) -> None:
        lines = textwrap.wrap(_clean(text), _WIDTH - indent - 2, break_on_hyphens=False)
        for line in lines or [""]:
            self.lines.append(f"{' ' * indent}# {line}".rstrip())

    def entry(self, indent: int, key: str, value: object = None, note: str = "") -> None:
        text = f"{' ' * indent}{key}:" + ("" if value is None else f" {_yaml(value)}")
        self.item(text, note, indent)

    def item(self, text: str, note: str, indent: int) -> None:
        if not note:
            self.lines.append(text)
            return
        padded = text.ljust(_NOTE_COLUMN - 1) + " "
        if len(padded) + len(_clean(note)) + 2 > _WIDTH:
            self.comment(indent, note)
            self.lines.append(text)
        else:
            self.lines.append(f"{padded}# {_clean(note)}")


def rule_text(draft: Draft) -> str:
    """The rule file: ``rule_data(draft)`` as YAML, each choice with its reason."""
    data = rule_data(draft)["monitors"][0]
    out = _Lines()
    _header(out, draft)
    out.lines.append("monitors:")
    out.entry(2, "- name", data["name"])
    out.comment(4, f"window {data['window']}: {draft.timing.reason}.")
    out.entry(4, "window", data["window"])
    out.entry(4, "schedule", data["schedule"], "how often to look for a newly complete window")
    out.entry(4, "delay", data["delay"], "a window runs this long after its end, for late rows")
    out.entry(4, "source")
    for key, value in data["source"].items():
        note = draft.source_notes.get(key, "")
        if key == "timestamp":
            note = draft.plan.column(draft.plan.timestamp or "").reason
        out.entry(6, key, value, note)
    out.comment(4, f"The reference each window is compared with: {draft.reference_note}.")
    out.entry(4, "reference", data["reference"])
    _columns(out, draft, data.get("columns", {}))
    _checks(out, draft, data)
    return "\n".join(out.lines) + "\n"


def _header(out: _Lines, draft: Draft) -> None:
    out.comment(0, f"Monitor '{draft.name}', drafted by `monitor init` from {draft.described} "
                f"on {format_time(draft.made_at, 'seconds')}, from a sample of {draft.rows:,} "
                "rows. Each choice below is a guess from that sample, with its reason beside "
                "it: edit what does not fit. Relative paths start at this file's folder.")
    out.lines.append("#")
    out.comment(0, "Where alerts go: uncomment a notifier, put its secret in the environment, "
                "and add `notify: [ops-webhook]` to the alert at the end (the README lists "
                "the other kinds: Slack, PagerDuty, Alertmanager, e-mail, Teams).")
    out.lines += ["# notifiers:", "#   ops-webhook:", "#     type: webhook",
                  "#     url: https://hooks.example.com/ml",
                  "#     secret: ${OPS_WEBHOOK_SECRET}         # signs each message", ""]


def _columns(out: _Lines, draft: Draft, columns: dict[str, Any]) -> None:
    plan = draft.plan
    if columns:
        out.entry(4, "columns")
    else:
        out.lines.append("    # columns:")
    for key, kind in (("categorical", CATEGORICAL), ("numeric", NUMERIC), ("text", TEXT)):
        _listed(out, key, plan, plan.named(FEATURE, kind))
    booleans = plan.named(FEATURE, BOOLEAN)
    if booleans:
        out.comment(6, f"true/false, compared as categories: {', '.join(booleans)}")
    for key, column, flag, why in (
            ("prediction", plan.prediction, "--prediction", "the model's output"),
            ("target", plan.target, "--target", "labels, for model metrics, not drift")):
        if column is not None:
            out.entry(6, key, literal(column), plan.column(column).reason)
        else:
            out.item(f"      # {key}: COLUMN", f"{why} ({flag})", 6)
    _listed(out, "exclude", plan, plan.named(EXCLUDED))
    categories = plan.named(FEATURE, CATEGORICAL)
    if categories:
        out.item(f"    # segments: [{_yaml(literal(categories[0]))}]",
                 "the same checks per value of a column (50 at most)", 4)


def _listed(out: _Lines, key: str, plan: ColumnPlan, names: list[str]) -> None:
    """A list of columns under ``columns:``, one a line with its reason."""
    if names:
        out.entry(6, key)
        for name in names:
            out.item(f"        - {_yaml(literal(name))}", plan.column(name).reason, 8)


def _checks(out: _Lines, draft: Draft, data: dict[str, Any]) -> None:
    quality, timing = draft.quality, draft.timing
    out.entry(4, "drift")
    out.entry(6, "method", "auto", "KS on numbers, chi-square on categories (README: auto)")
    out.entry(6, "correction", "holm", "p-values corrected across the columns")
    out.entry(6, "drift_share", 0.5, "half the columns drifting is dataset drift")
    checks = data["quality"]
    out.entry(4, "quality")
    out.entry(6, "missing_share", checks["missing_share"], quality.missing_reason)
    out.entry(6, "out_of_range_share", checks["out_of_range_share"],
              quality.out_of_range_reason)
    out.entry(6, "new_category_share", checks["new_category_share"],
              quality.new_category_reason)
    out.entry(6, "type_mismatch_share", checks["type_mismatch_share"],
              "text in a numeric column fails (the default)")
    out.entry(6, "min_rows", checks["min_rows"], quality.min_rows_reason)
    stale = format_duration(2 * timing.window + timing.delay)
    out.item(f"      # max_staleness: {stale}", "the newest row may be at most this old", 6)
    out.item("      # volume: {min: 0.5, max: 2}", "rows against the median of 24 windows", 6)
    alert = data["alerts"][0]
    out.entry(4, "alerts")
    out.entry(6, "- name", alert["name"])
    out.entry(8, "when", alert["when"], f"more than {ALERT_SHARE:.0%} of the columns drifted")
    out.entry(8, "for", alert["for"], "two windows in a row before it fires")
    out.entry(8, "severity", alert["severity"])
    out.item("        # notify: [ops-webhook]", "the notifier above, once uncommented", 8)


def _yaml(value: object) -> str:
    """A value in YAML flow style that reads back as the same value."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_yaml(k)}: {_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and yaml.safe_load(f"[{text}]") == [text]:  # not a number, true...
        return text
    quoted: str = yaml.safe_dump(text, default_style='"', allow_unicode=True, width=10**9)
    return quoted.strip()


def _clean(text: str) -> str:
    """Text safe in a comment: line breaks and control characters shown as escapes."""
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)
