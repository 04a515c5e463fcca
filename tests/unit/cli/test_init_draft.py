"""The rule file `monitor init` drafts: it reads back as drafted, loads, and says why."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from monitor.cli.init.draft import Draft, literal, rule_data, rule_text
from monitor.rules.inference import choose_quality, choose_timing, infer_columns
from monitor.rules.loader import load_rules

N = 3_000
AWKWARD = ["${HOME}", "yes", "1", "a b # c", "naïve", "line\nbreak", "x: y", "-dash", "*star",
           "[list]", "0.5"]


def draft_of(frame: pd.DataFrame, *, path: str = "../data/logs.parquet", **named: str) -> Draft:
    """The draft `monitor init` makes of ``frame`` read from ``path``."""
    plan = infer_columns(frame, **named)
    timing = choose_timing(frame[plan.timestamp or ""])
    return Draft(name="logs", source={"type": "file", "path": literal(path)},
                 reference=literal("logs.reference.parquet"),
                 reference_note="the rows init read", plan=plan, timing=timing,
                 quality=choose_quality(plan, timing), described=path, rows=len(frame),
                 made_at=datetime(2026, 11, 24, 12, tzinfo=UTC),
                 source_notes={"path": "the data, from this file's folder"})


def awkward_frame() -> pd.DataFrame:
    """Rows whose column names YAML, the loader's ${...} or a comment could misread."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({name: rng.choice(["p", "q", "r"], N) for name in AWKWARD})
    frame["logged_at"] = pd.date_range("2026-11-24", periods=N, freq="2400ms", tz="UTC")
    frame["score"] = rng.random(N)
    frame["request_id"] = [f"r{i}" for i in range(N)]
    return frame


def test_the_text_reads_back_as_the_data_whatever_the_column_names(tmp_path: Path) -> None:
    """Quotes and $${ keep every awkward name; the loader gives back the names themselves."""
    draft = draft_of(awkward_frame(), path="../data/${part}/*.parquet")
    text = rule_text(draft)
    assert yaml.safe_load(text) == rule_data(draft)
    (tmp_path / "logs.yaml").write_text(text)
    rules = load_rules([tmp_path / "logs.yaml"], env={"HOME": "/root", "part": "x"})
    (spec,) = rules.monitors
    assert spec.columns.categorical == AWKWARD
    assert spec.columns.prediction == "score"
    assert spec.columns.exclude == ["request_id"]
    assert spec.source.config.path == "../data/${part}/*.parquet"  # type: ignore[attr-defined]
    assert spec.source.config.timestamp == "logged_at"
    assert str(spec.window) == "1:00:00" and spec.reference.path == "logs.reference.parquet"


def test_every_choice_carries_its_reason_beside_it() -> None:
    """Each column, limit and timing choice is followed by its reason in a comment."""
    text = rule_text(draft_of(awkward_frame()))
    lines = text.splitlines()
    assert ("        - request_id                    # id-like: named like an id, 100% unique "
            "values") in lines
    assert ("      prediction: score                 # named like a model's prediction"
            in lines)
    assert ("      timestamp: logged_at              # a time column, named like a log time"
            in lines)
    assert any(line.startswith("    # window 1h: about 1,500 rows a 1h window") for line in lines)
    assert "      # target: COLUMN                  # labels, for model metrics, not drift " \
           "(--target)" in lines
    assert "        # notify: [ops-webhook]         # the notifier above, once uncommented" \
           in lines
    assert "#   ops-webhook:" in lines  # the notifier example, commented out
    assert '        - "line\\nbreak"                 # text, 3 values' in lines
    assert all(len(line) <= 99 for line in lines if not line.lstrip().startswith("- "))


def test_a_comment_never_breaks_the_line_it_sits_on() -> None:
    """A reason holding a line break or a '#' stays one comment line."""
    frame = pd.DataFrame({"ts": pd.date_range("2026-11-24", periods=50, freq="1h", tz="UTC"),
                          "x": np.arange(50.0)})
    draft = draft_of(frame)
    timestamp, x = draft.plan.columns
    sneaky = replace(x, reason="one\nmonitors: []  # two")
    draft = replace(draft, plan=replace(draft.plan, columns=(timestamp, sneaky)))
    text = rule_text(draft)
    assert yaml.safe_load(text) == rule_data(draft)
    assert "# one\\nmonitors: []  # two" in text


@pytest.mark.parametrize("value", ["1h", "15m", "true", "null", "1e3", "~", "@x", "a: b"])
def test_strings_that_yaml_would_read_otherwise_are_quoted(value: str) -> None:
    """A table name such as 'true' or '1e3' is written so that it stays that text."""
    frame = pd.DataFrame({"ts": pd.date_range("2026-11-24", periods=50, freq="1h", tz="UTC")})
    draft = draft_of(frame)
    draft = replace(draft, source={**draft.source, "table": literal(value)})
    assert yaml.safe_load(rule_text(draft))["monitors"][0]["source"]["table"] == value
