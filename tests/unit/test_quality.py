"""Tests of the data-quality checks."""

from __future__ import annotations

import ast
import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import monitor.analysis.quality
from monitor.analysis.quality import QualityOptions, QualityResult, check_quality
from monitor.errors import ProfileError
from monitor.profiles import Profile, build_profile


@pytest.fixture
def reference() -> Profile:
    """A reference with one numeric column on [0, 99] and one categorical column."""
    return build_profile([pd.DataFrame({"x": np.arange(100.0), "c": ["a", "b"] * 50})])


def _current(reference: Profile, **columns: object) -> Profile:
    return build_profile([pd.DataFrame(columns)], reference=reference)


def _by_check(results: list[QualityResult]) -> dict[tuple[str, str | None], QualityResult]:
    return {(r.check, r.column): r for r in results}


def test_only_configured_checks_run_besides_the_default_ones(reference: Profile) -> None:
    """With default options only missing_share_increase and type_mismatch_share run, once per
    column, and pass (new_category reports only categories the reference never saw)."""
    results = check_quality(reference, _current(reference, x=[1.0, 2.0], c=["a", "b"]))
    assert [(r.check, r.column, r.passed) for r in results] == [
        ("missing_share_increase", "x", True), ("type_mismatch_share", "x", True),
        ("missing_share_increase", "c", True), ("type_mismatch_share", "c", True),
    ]


def test_missing_share(reference: Profile) -> None:
    """Missing share is nulls over rows; above the maximum it fails."""
    current = _current(reference, x=[1.0, None, None, 4.0], c=["a", None, "b", "a"])
    results = _by_check(check_quality(reference, current, QualityOptions(missing_share_max=0.3)))
    assert results[("missing_share", "x")] == QualityResult("missing_share", "x", 0.5, 0.3, False)
    assert results[("missing_share", "c")].value == 0.25 and results[("missing_share", "c")].passed


def test_type_mismatch_fails_on_any_string_in_a_numeric_column(reference: Profile) -> None:
    """One unreadable value among four non-null ones is a 0.25 share and fails the default 0."""
    current = _current(reference, x=pd.Series(["1", "abc", "3", None, "4"], dtype=object),
                       c=["a"] * 5)
    result = _by_check(check_quality(reference, current))[("type_mismatch_share", "x")]
    assert (result.value, result.threshold, result.passed) == (0.25, 0.0, False)


def test_out_of_range_counts_open_bins_and_infinities(reference: Profile) -> None:
    """Values below min, above max and ±inf count as out of range."""
    current = _current(reference, x=[-1.0, 0.0, 50.0, 99.0, 150.0, np.inf, np.nan, 10.0],
                       c=["a"] * 8)
    options = QualityOptions(out_of_range_share_max=0.2)
    result = _by_check(check_quality(reference, current, options))[("out_of_range_share", "x")]
    assert result.value == pytest.approx(3 / 7) and not result.passed
    assert ("out_of_range_share", "c") not in _by_check(check_quality(reference, current, options))


def test_new_category_share(reference: Profile) -> None:
    """Values of categories the reference lacks, over valid values."""
    current = _current(reference, x=[1.0] * 5, c=["a", "b", "z", "z", None])
    options = QualityOptions(new_category_share_max=0.0)
    result = _by_check(check_quality(reference, current, options))[("new_category_share", "c")]
    assert (result.value, result.passed) == (0.5, False)


def test_missing_column_always_reported(reference: Profile) -> None:
    """A reference column absent from the data fails missing_column, with no option set."""
    results = check_quality(reference, _current(reference, x=[1.0]))
    assert QualityResult("missing_column", "c", 1.0, None, False) in results


def test_min_rows(reference: Profile) -> None:
    """min_rows compares the window's rows with the minimum."""
    current = _current(reference, x=[1.0, 2.0], c=["a", "b"])
    result = check_quality(reference, current, QualityOptions(min_rows=3))[0]
    assert result == QualityResult("min_rows", None, 2.0, 3.0, False)
    assert check_quality(reference, current, QualityOptions(min_rows=2))[0].passed


def test_empty_window(reference: Profile) -> None:
    """No rows: min_rows fails (even unset), missing shares are 1, no missing_column noise."""
    empty = build_profile([], reference=reference)
    results = check_quality(reference, empty, QualityOptions(missing_share_max=0.5))
    assert [(r.check, r.column, r.value, r.passed) for r in results] == [
        ("min_rows", None, 0.0, False), ("missing_share", "x", 1.0, False),
        ("missing_share", "c", 1.0, False),
    ]


def test_all_null_column(reference: Profile) -> None:
    """A column of nulls fails missing_share and has nothing out of range."""
    current = _current(reference, x=[None, None], c=["a", "b"])
    options = QualityOptions(missing_share_max=0.1, out_of_range_share_max=0.0)
    results = _by_check(check_quality(reference, current, options))
    assert results[("missing_share", "x")].value == 1.0
    assert not results[("missing_share", "x")].passed
    assert results[("out_of_range_share", "x")].value == 0.0
    assert results[("type_mismatch_share", "x")].value == 0.0


def test_kind_mismatch_and_foreign_edges_are_errors(reference: Profile) -> None:
    """Comparing against a current profile not built with the reference is a ProfileError."""
    forced = build_profile([pd.DataFrame({"x": [1, 2], "c": ["a", "b"]})], categorical=["x"])
    with pytest.raises(ProfileError, match="column 'x' is numeric in the reference but categ"):
        check_quality(reference, forced)
    own_edges = build_profile([pd.DataFrame({"x": [1.0, 500.0], "c": ["a", "b"]})])
    with pytest.raises(ProfileError, match="out_of_range_share needs the current values binned"):
        check_quality(reference, own_edges, QualityOptions(out_of_range_share_max=0.1))


def test_options_are_validated() -> None:
    """Shares outside [0, 1] are refused, quoting the value."""
    with pytest.raises(ValueError, match="missing_share_max must be a share between 0 and 1"):
        QualityOptions(missing_share_max=5)


def test_quality_module_is_pure_and_its_examples_run() -> None:
    """quality.py imports no database or HTTP client, and its doctests pass."""
    tree = ast.parse(Path(monitor.analysis.quality.__file__).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith(("sqlalchemy", "requests", "monitor.store"))]
    assert doctest.testmod(monitor.analysis.quality).failed == 0
