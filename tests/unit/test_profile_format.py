"""Tests of the profile format: version-1 files, the optional parts, joint samples, segments."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.analysis.comparison import compare
from monitor.errors import ProfileError
from monitor.profiles import (
    FORMAT_VERSION,
    Profile,
    build_profile,
    categorical_column,
    numeric_column,
)

FIXTURE = Path(__file__).parent / "fixtures" / "profile_v1.json"


def test_a_version_1_profile_loads_and_compares() -> None:
    """A profile stored in format version 1 loads unchanged and is a usable reference."""
    data = json.loads(FIXTURE.read_text())
    assert data["format_version"] == 1
    reference = Profile.from_dict(data)
    assert reference.rows == 400 and reference.joint is None and reference.segments == {}
    assert {n: c.kind for n, c in reference.columns.items()} == {
        "age": "numeric", "flag": "categorical", "income": "numeric", "score": "numeric",
        "state": "categorical"}
    frame = pd.DataFrame({"age": [30.0, 50.0], "income": [2e4, 3e4], "state": ["CA", "NY"],
                          "flag": [True, False], "score": [0.2, 0.9]})
    current = build_profile([frame], reference=reference)
    assert current.columns["flag"].kind == "categorical"  # kinds come from the reference
    assert len(compare(reference, current).columns) == 5
    assert reference.to_dict()["format_version"] == FORMAT_VERSION == 3


def test_version_2_round_trip_with_every_part() -> None:
    """Joint sample, performance summary and segments survive to_dict → JSON → from_dict."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(size=900), "b": rng.normal(size=900),
                          "s": rng.choice(["x", "y"], 900), "p": rng.random(900),
                          "y": rng.random(900) < 0.5})
    profile = build_profile([frame.iloc[:400], frame.iloc[400:]], prediction="p", target="y",
                            segments=["s"], joint_sample_size=300)
    assert profile.joint is not None and profile.joint.rows.shape == (300, 3)
    assert profile.performance is not None and sorted(profile.segments) == ["s=x", "s=y"]
    text = json.dumps(profile.to_dict(), allow_nan=False)
    loaded = Profile.from_dict(json.loads(text))
    assert loaded == profile and loaded.content_hash() == profile.content_hash()


def test_joint_sample_is_bounded_uniform_and_keeps_rows_together() -> None:
    """The joint sample holds whole rows (a == -b on every row) drawn across all chunks."""
    values = np.arange(20_000, dtype=float)
    frame = pd.DataFrame({"a": values, "b": -values})
    chunks = [frame.iloc[i:i + 1500] for i in range(0, 20_000, 1500)]
    joint = build_profile(chunks, joint_sample_size=1000).joint
    assert joint is not None and joint.rows.shape == (1000, 2) and joint.count == 20_000
    np.testing.assert_array_equal(joint.column("a"), -joint.column("b"))
    per_tenth = np.bincount((joint.column("a") // 2000).astype(int), minlength=10)
    assert per_tenth.min() > 60 and per_tenth.max() < 140


def test_joint_samples_merge_in_proportion() -> None:
    """Merging joint samples of 15 000 and 5 000 rows keeps about a quarter from the second."""
    a = build_profile([pd.DataFrame({"a": np.zeros(15_000), "b": np.zeros(15_000)})],
                      joint_sample_size=800)
    b = build_profile([pd.DataFrame({"a": np.ones(5_000), "b": np.ones(5_000)})],
                      joint_sample_size=800)
    merged = a.merge(b).joint
    assert merged is not None and merged.rows.shape == (800, 2) and merged.count == 20_000
    assert 200 - 4 * 12 <= int(merged.column("a").sum()) <= 200 + 4 * 12  # hypergeometric


def test_segments_keep_the_most_frequent_values() -> None:
    """segment_limit keeps the largest segments; each holds only its rows."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"s": rng.choice(list("abcdef"), 3000, p=[.4, .3, .1, .1, .05, .05]),
                          "x": rng.normal(size=3000)})
    profile = build_profile([frame], segments=["s"], segment_limit=2)
    assert sorted(profile.segments) == ["s=a", "s=b"]
    assert profile.segments["s=a"].rows == int((frame["s"] == "a").sum())


def test_segments_merge_by_key() -> None:
    """Merging profiles merges their segments key by key."""
    frame = pd.DataFrame({"s": ["a", "b", "a", "c"], "x": [1.0, 2.0, 3.0, 4.0]})
    merged = build_profile([frame.iloc[:2]], segments=["s"]).merge(
        build_profile([frame.iloc[2:]], segments=["s"]))
    assert {k: p.rows for k, p in merged.segments.items()} == {"s=a": 2, "s=b": 1, "s=c": 1}


def test_malformed_optional_parts_are_refused() -> None:
    """A corrupt joint sample or segment names where it is."""
    data = build_profile([pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})]).to_dict()
    data["joint"]["count"] = 7
    with pytest.raises(ProfileError, match="malformed profile: joint sample holds 2 rows"):
        Profile.from_dict(data)
    data = build_profile([pd.DataFrame({"s": ["a"], "x": [1.0]})], segments=["s"]).to_dict()
    data["segments"]["s=a"]["rows"] = -1
    with pytest.raises(ProfileError, match="malformed profile segment 's=a'"):
        Profile.from_dict(data)


def test_aggregates_build_the_same_column_as_the_builder() -> None:
    """numeric_column/categorical_column from SQL-style aggregates equal built profiles."""
    values = np.array([1.0, 2.0, 2.0, 5.0, 9.0])
    built = build_profile([pd.DataFrame({"x": values, "c": list("abbab")})])
    x = built.columns["x"].numeric
    assert x is not None
    column = numeric_column(count=5, minimum=1.0, maximum=9.0, total=float(values.sum()),
                            total_of_squares=float((values**2).sum()), edges=x.edges,
                            counts=x.counts, sample=values)
    assert column.numeric is not None
    assert column.numeric.mean == pytest.approx(x.mean)
    assert column.numeric.m2 == pytest.approx(x.m2)
    np.testing.assert_array_equal(column.numeric.sample, x.sample)
    assert categorical_column({"a": 2, "b": 3}) == built.columns["c"]
    with pytest.raises(ValueError, match="2 edges need 3 counts"):
        numeric_column(count=1, mean=1.0, m2=0.0, edges=[0.0, 1.0], counts=[1])
