"""Tests of column kinds beyond numbers and categories: booleans, times, text lengths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitor.analysis.comparison import compare
from monitor.analysis.quality import QualityOptions
from monitor.profiles import ProfileBuilder, build_profile


def test_booleans_are_their_own_kind_and_read_words() -> None:
    """A bool column is boolean; against it, yes/no and 1/0 count, other values are invalid."""
    reference = build_profile([pd.DataFrame({"flag": [True, False, True, True]})])
    assert reference.columns["flag"].kind == "boolean"
    current = build_profile([pd.DataFrame({"flag": ["yes", "NO", 1, "maybe", None]})],
                            reference=reference)
    column = current.columns["flag"]
    assert column.categorical is not None
    assert dict(column.categorical.counts) == {"True": 2, "False": 1}
    assert (column.count, column.missing, column.invalid) == (3, 1, 1)


def test_datetimes_are_seconds_since_the_epoch() -> None:
    """A datetime column keeps UTC epoch seconds; aware and naive times agree; text is parsed."""
    times = pd.Series(pd.to_datetime(["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]))
    reference = build_profile([pd.DataFrame({"t": times})])
    column = reference.columns["t"]
    assert column.kind == "datetime" and column.numeric is not None
    assert column.numeric.min == pd.Timestamp("2026-01-01", tz="UTC").timestamp()
    current = build_profile([pd.DataFrame({"t": ["2026-01-03 00:00", "soon", 5, None]})],
                            reference=reference)
    parsed = current.columns["t"]
    assert (parsed.count, parsed.missing, parsed.invalid) == (1, 1, 2)
    assert parsed.numeric is not None
    assert parsed.numeric.max == pd.Timestamp("2026-01-03", tz="UTC").timestamp()


def test_text_columns_are_compared_by_length() -> None:
    """kinds={'note': 'text'} profiles lengths; longer notes drift by KS on lengths."""
    rng = np.random.default_rng(1)
    short = ["x" * int(n) for n in rng.integers(5, 40, 500)]
    long = ["x" * int(n) for n in rng.integers(20, 80, 500)]
    reference = build_profile([pd.DataFrame({"note": short})], kinds={"note": "text"})
    column = reference.columns["note"]
    assert column.kind == "text" and column.numeric is not None
    assert column.numeric.mean == pytest.approx(np.mean([len(s) for s in short]))
    current = build_profile([pd.DataFrame({"note": long})], reference=reference)
    drift = compare(reference, current).columns[0]
    assert drift.method == "ks" and drift.drifted


def test_quality_checks_cover_the_new_kinds() -> None:
    """out_of_range_share applies to times, new_category_share to booleans."""
    reference = build_profile([pd.DataFrame({
        "t": pd.to_datetime(["2026-01-01", "2026-01-02"]), "flag": [True, True]})])
    current = build_profile([pd.DataFrame({
        "t": pd.to_datetime(["2026-01-01", "2027-01-01"]), "flag": [True, False]})],
        reference=reference)
    checks = {(q.check, q.column): q.value for q in compare(
        reference, current, quality=QualityOptions(out_of_range_share_max=0.0,
                                                   new_category_share_max=0.0)).quality}
    assert checks[("out_of_range_share", "t")] == 0.5
    assert checks[("new_category_share", "flag")] == 0.5


def test_unknown_forced_kind_is_refused() -> None:
    """A kind that does not exist is a ValueError naming the known ones."""
    with pytest.raises(ValueError, match=r"unknown column kinds \{'x': 'colour'\}"):
        ProfileBuilder(kinds={"x": "colour"})
