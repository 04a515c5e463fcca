"""Tests of profiles: building from chunks, bad data, merging, JSON form."""

from __future__ import annotations

import ast
import base64
import doctest
import importlib
import json
import pkgutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import monitor.profiles
from monitor.errors import ProfileError
from monitor.profiles import (
    FORMAT_VERSION,
    Profile,
    ProfileBuilder,
    build_profile,
)


def _chunks(frame: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    return [frame.iloc[i : i + size] for i in range(0, len(frame), size)]


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(3.0, 2.0, n),
            "k": rng.integers(0, 5, n),
            "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        }
    )


# --- numeric columns --------------------------------------------------------


def test_numeric_summary_matches_numpy() -> None:
    """Count, missing, min, max, mean and variance equal numpy's on the same values."""
    values = np.array([1.5, np.nan, -2.0, 7.25, 3.0, np.nan, 0.5])
    column = build_profile(_chunks(pd.DataFrame({"x": values}), 3)).columns["x"]
    finite = values[~np.isnan(values)]
    assert (column.kind, column.count, column.missing, column.invalid) == ("numeric", 5, 2, 0)
    assert column.numeric is not None
    assert column.numeric.min == finite.min() and column.numeric.max == finite.max()
    assert column.numeric.mean == pytest.approx(finite.mean(), rel=1e-12)
    assert column.numeric.variance(column.count) == pytest.approx(np.var(finite), rel=1e-12)


def test_sample_is_the_column_when_small() -> None:
    """Up to sample_size values, the sample is every value, sorted."""
    values = np.random.default_rng(1).normal(size=500)
    column = build_profile(_chunks(pd.DataFrame({"x": values}), 64), sample_size=500).columns["x"]
    assert column.numeric is not None
    np.testing.assert_array_equal(column.numeric.sample, np.sort(values))


def test_sample_is_bounded_seeded_and_drawn_from_the_data() -> None:
    """Beyond sample_size the sample has that size, holds data values and follows the seed."""
    values = np.arange(10_000, dtype=float)
    chunks = _chunks(pd.DataFrame({"x": values}), 700)
    first = build_profile(chunks, sample_size=1000, seed=3).columns["x"].numeric
    again = build_profile(chunks, sample_size=1000, seed=3).columns["x"].numeric
    other = build_profile(chunks, sample_size=1000, seed=4).columns["x"].numeric
    assert first is not None and again is not None and other is not None
    assert first.sample.size == 1000 and np.unique(first.sample).size == 1000
    assert np.isin(first.sample, values).all()
    np.testing.assert_array_equal(first.sample, again.sample)
    assert not np.array_equal(first.sample, other.sample)
    # Uniform over the stream: about a tenth of the sample in each tenth of the data.
    per_tenth = np.bincount((first.sample // 1000).astype(int), minlength=10)
    assert per_tenth.min() > 60 and per_tenth.max() < 140


def test_reference_histogram_is_exact_when_small() -> None:
    """Without a reference, edges run from min to max and the counts are exact for small data."""
    values = np.random.default_rng(2).exponential(size=3000)
    column = build_profile([pd.DataFrame({"x": values})], bins=10).columns["x"]
    summary = column.numeric
    assert summary is not None
    assert summary.edges[0] == values.min() and summary.edges[-1] == values.max()
    assert len(summary.edges) == 11
    inner = np.histogram(values, bins=summary.edges)[0]
    np.testing.assert_array_equal(summary.counts, np.concatenate([[0], inner, [0]]))
    assert inner.min() >= 290 and inner.max() <= 310  # quantile edges: near-equal bins


def test_reference_histogram_from_sample_when_large() -> None:
    """Beyond sample_size, counts are the sample's scaled to the count, within sampling error."""
    values = np.random.default_rng(3).normal(size=50_000)
    column = build_profile(_chunks(pd.DataFrame({"x": values}), 10_000), sample_size=5000)
    summary = column.columns["x"].numeric
    assert summary is not None
    assert int(summary.counts.sum()) == 50_000
    true = np.concatenate([[0], np.histogram(values, bins=summary.edges)[0], [0]]) / 50_000
    bound = 5 * np.sqrt(true * (1 - true) / 5000) + 1e-9
    assert (np.abs(summary.counts / 50_000 - true) <= bound).all()


def test_discrete_numeric_column_gets_one_bin_per_value() -> None:
    """A 0/1 column is split at 1, so PSI can see its mix change."""
    column = build_profile([pd.DataFrame({"x": [0, 0, 0, 1, 1]})]).columns["x"].numeric
    assert column is not None
    assert column.edges.tolist() == [0.0, 1.0, 1.0]
    assert column.counts.tolist() == [0, 3, 2, 0]


def test_current_counts_use_reference_edges_and_open_ends() -> None:
    """With a reference, values are counted on its edges; outside values land in the open bins."""
    reference = build_profile([pd.DataFrame({"x": np.arange(10.0)})], bins=2)
    current = build_profile(
        [pd.DataFrame({"x": [-5.0, 0.0, 4.0, 5.0, 9.0, 9.5, 100.0]})], reference=reference
    )
    ref_summary, summary = reference.columns["x"].numeric, current.columns["x"].numeric
    assert ref_summary is not None and summary is not None
    np.testing.assert_array_equal(summary.edges, ref_summary.edges)
    assert ref_summary.edges.tolist() == [0.0, 4.0, 9.0]  # the median is a data value
    assert summary.counts.tolist() == [1, 1, 3, 2]


def test_infinities_are_counted_apart() -> None:
    """±inf is counted as nonfinite and never reaches mean, variance, min/max or the histogram."""
    frame = pd.DataFrame({"x": [1.0, np.inf, 3.0, -np.inf, np.nan, 5.0]})
    column = build_profile([frame]).columns["x"]
    assert column.numeric is not None
    assert (column.count, column.missing, column.nonfinite, column.rows) == (3, 1, 2, 6)
    assert column.numeric.mean == 3.0 and column.numeric.max == 5.0
    assert int(column.numeric.counts.sum()) == 3


def test_strings_in_numeric_column_count_as_invalid() -> None:
    """Against a numeric reference, unreadable values are invalid, readable strings count."""
    reference = build_profile([pd.DataFrame({"x": [1.0, 2.0, 3.0]})])
    current = build_profile(
        [pd.DataFrame({"x": pd.Series(["4", "abc", None, "2.5", "x1"], dtype="string")})],
        reference=reference,
    )
    column = current.columns["x"]
    assert (column.count, column.missing, column.invalid) == (2, 1, 2)
    assert column.numeric is not None and column.numeric.mean == pytest.approx(3.25)


def test_datetimes_in_numeric_column_are_invalid() -> None:
    """Timestamps where the reference has numbers are a type mismatch, not numbers."""
    reference = build_profile([pd.DataFrame({"x": [1.0, 2.0]})])
    times = pd.Series(pd.to_datetime(["2024-01-01", None, "2024-01-02"]))
    column = build_profile([pd.DataFrame({"x": times})], reference=reference).columns["x"]
    assert (column.count, column.missing, column.invalid) == (0, 1, 2)


@pytest.mark.parametrize(
    "dtype", ["Int64", "Float64", "float64[pyarrow]", "int64[pyarrow]", "float32", "uint8"]
)
def test_numeric_dtypes_read_alike(dtype: str) -> None:
    """Nullable, pyarrow-backed and narrow numeric dtypes give the same numeric profile."""
    series = pd.Series([1, None, 3, 4], dtype=dtype) if dtype != "uint8" else pd.Series(
        [1, 3, 4], dtype=dtype
    )
    column = build_profile([pd.DataFrame({"x": series})]).columns["x"]
    assert column.kind == "numeric"
    assert column.count == 3 and column.missing == len(series) - 3
    assert column.numeric is not None and column.numeric.mean == pytest.approx(8 / 3)


def test_all_null_column() -> None:
    """A column of nulls has no values: count 0, every row missing, no histogram."""
    frame = pd.DataFrame({"x": [np.nan, np.nan], "s": pd.Series([None, None], dtype="string")})
    profile = build_profile([frame])
    assert profile.columns["x"].count == 0 and profile.columns["x"].missing == 2
    assert profile.columns["x"].numeric is not None
    assert profile.columns["x"].numeric.edges.size == 0
    assert profile.columns["s"].kind == "categorical" and profile.columns["s"].missing == 2


# --- categorical columns ----------------------------------------------------


@pytest.mark.parametrize("dtype", [object, "string", "str", "category", "string[pyarrow]"])
def test_categorical_dtypes_read_alike(dtype: object) -> None:
    """Object, string, pyarrow-backed and pandas categorical columns give the same counts."""
    series = pd.Series(["b", "a", None, "b", "c"], dtype=dtype)  # type: ignore[call-overload]
    column = build_profile([pd.DataFrame({"c": series})]).columns["c"]
    assert column.kind == "categorical" and column.categorical is not None
    assert dict(column.categorical.counts) == {"b": 2, "a": 1, "c": 1}
    assert (column.count, column.missing, column.categorical.other) == (4, 1, 0)


def test_kind_inference_and_forced_categorical() -> None:
    """Booleans are categorical; `categorical` forces a kind; 3.0 and 3 are one category."""
    frame = pd.DataFrame({"flag": [True, False, True], "zip": [3.0, 3.0, 7.5], "n": [1, 2, 3]})
    profile = build_profile([frame], categorical=["zip"])
    assert profile.columns["flag"].kind == "boolean"
    assert profile.columns["n"].kind == "numeric"
    zip_column = profile.columns["zip"].categorical
    assert zip_column is not None and dict(zip_column.counts) == {"3": 2, "7.5": 1}
    other = build_profile([pd.DataFrame({"zip": pd.Series([3, 7], dtype="Int64")})],
                          reference=profile)
    counts = other.columns["zip"].categorical
    assert counts is not None and set(counts.counts) == {"3", "7"}


def test_top_k_bounds_categories_and_keeps_reference_ones() -> None:
    """Beyond top_k, rare categories go to `other`; a reference's categories are never dropped."""
    values = [f"v{i}" for i in range(50) for _ in range(50 - i)]
    column = build_profile([pd.DataFrame({"c": values})], top_k=10).columns["c"]
    assert column.categorical is not None
    assert list(column.categorical.counts)[:3] == ["v0", "v1", "v2"]
    assert len(column.categorical.counts) == 10
    assert column.categorical.other == len(values) - sum(range(41, 51))
    reference = build_profile([pd.DataFrame({"c": ["rare", "v0"]})])
    current = build_profile([pd.DataFrame({"c": [*values, "rare"]})], reference=reference,
                            top_k=3).columns["c"].categorical
    assert current is not None and "rare" in current.counts and len(current.counts) == 5


# --- building ---------------------------------------------------------------


def test_exclude_and_extra_columns() -> None:
    """Excluded columns vanish; with a reference, unknown columns are only listed as extra."""
    reference = build_profile([_frame(20)], exclude=["k"])
    assert list(reference.columns) == ["x", "c"]
    current = build_profile([_frame(20).assign(ts=1, new=2)], reference=reference, exclude=["ts"])
    assert list(current.columns) == ["x", "c"]
    assert current.extra_columns == ("k", "new")


def test_column_missing_from_some_chunks_counts_as_missing() -> None:
    """A column absent from a chunk counts that chunk's rows as missing."""
    chunks = [pd.DataFrame({"a": [1.0, 2.0]}), pd.DataFrame({"b": [1.0]}),
              pd.DataFrame({"a": [3.0], "b": [2.0]})]
    profile = build_profile(chunks)
    assert profile.rows == 4
    assert (profile.columns["a"].count, profile.columns["a"].missing) == (3, 1)
    assert (profile.columns["b"].count, profile.columns["b"].missing) == (2, 2)


def test_reference_column_absent_from_data_is_not_profiled() -> None:
    """A reference column never seen in the data is absent from the profile."""
    reference = build_profile([_frame(10)])
    current = build_profile([_frame(10).drop(columns=["k"])], reference=reference)
    assert list(current.columns) == ["x", "c"]


def test_empty_data() -> None:
    """No chunk gives an empty profile; an empty chunk records its columns with no values."""
    assert build_profile([]) == Profile(0, {})
    profile = build_profile([_frame(0)])
    assert profile.rows == 0 and profile.columns["x"].count == 0
    assert Profile.from_dict(json.loads(json.dumps(profile.to_dict()))) == profile


def test_duplicate_column_names_are_rejected() -> None:
    """Duplicate column names are a ProfileError naming them."""
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(ProfileError, match=r"duplicate column names \['a'\]"):
        build_profile([frame])


def test_bad_builder_options() -> None:
    """Nonsense sizes are refused, quoting the value."""
    with pytest.raises(ValueError, match="sample_size must be an integer >= 1, got 0"):
        ProfileBuilder(sample_size=0)


# --- merging ----------------------------------------------------------------


def test_merge_equals_profile_of_the_whole_with_a_reference() -> None:
    """merge(profile(A), profile(B)) equals profile(A ∪ B) on a reference's edges."""
    reference = build_profile([_frame(5000, seed=9)])
    a, b = _frame(3000, seed=1), _frame(2000, seed=2)
    b.loc[b.index[:50], "x"] = np.nan
    whole = build_profile([a, b], reference=reference)
    merged = build_profile([a], reference=reference).merge(build_profile([b], reference=reference))
    assert merged.rows == whole.rows
    for name in ("x", "k", "c"):
        m, w = merged.columns[name], whole.columns[name]
        assert (m.count, m.missing, m.invalid) == (w.count, w.missing, w.invalid)
        assert m.categorical == w.categorical
    mx, wx = merged.columns["x"].numeric, whole.columns["x"].numeric
    assert mx is not None and wx is not None
    assert (mx.min, mx.max) == (wx.min, wx.max)
    np.testing.assert_array_equal(mx.counts, wx.counts)
    assert mx.mean == pytest.approx(wx.mean, rel=1e-12)
    values = np.concatenate([a["x"].dropna(), b["x"].dropna()])
    assert mx.variance(merged.columns["x"].count) == pytest.approx(np.var(values), rel=1e-10)
    np.testing.assert_array_equal(mx.sample, wx.sample)  # 4950 values: all kept


def test_merge_is_exact_for_small_data_without_reference() -> None:
    """Without a reference and below sample_size, the merge rebuilds exactly the whole."""
    a, b = _frame(300, seed=4), _frame(200, seed=5)
    merged = build_profile([a]).merge(build_profile([b]))
    whole = build_profile([pd.concat([a, b])])
    assert merged.to_dict()["columns"]["c"] == whole.to_dict()["columns"]["c"]
    mx, wx = merged.columns["x"].numeric, whole.columns["x"].numeric
    assert mx is not None and wx is not None
    np.testing.assert_array_equal(mx.edges, wx.edges)
    np.testing.assert_array_equal(mx.counts, wx.counts)
    np.testing.assert_array_equal(mx.sample, wx.sample)


def test_merged_sample_is_a_bounded_sample_of_the_union() -> None:
    """Merging large parts keeps sample_size values of the union, in proportion to each part."""
    a = pd.DataFrame({"x": np.arange(0.0, 30_000.0)})
    b = pd.DataFrame({"x": np.arange(30_000.0, 40_000.0)})
    merged = build_profile([a], sample_size=2000).merge(build_profile([b], sample_size=2000))
    sample = merged.columns["x"].numeric.sample  # type: ignore[union-attr]
    assert sample.size == 2000 and np.unique(sample).size == 2000
    from_b = np.count_nonzero(sample >= 30_000)
    assert 500 - 4 * 19 <= from_b <= 500 + 4 * 19  # hypergeometric: mean 500, sd ≈ 19
    assert int(merged.columns["x"].numeric.counts.sum()) == 40_000  # type: ignore[union-attr]


def test_merge_with_empty_profiles() -> None:
    """Merging with an empty profile changes nothing but missing rows of absent columns."""
    profile = build_profile([_frame(100)])
    assert profile.merge(Profile(0, {})) == profile
    assert Profile(0, {}).merge(profile) == profile
    empty_columns = build_profile([_frame(0)])
    merged = empty_columns.merge(profile)
    assert merged.columns["x"].count == 100 and merged.columns["x"].numeric is not None
    np.testing.assert_array_equal(merged.columns["x"].numeric.edges,
                                  profile.columns["x"].numeric.edges)  # type: ignore[union-attr]


def test_merge_counts_absent_column_rows_as_missing() -> None:
    """A column only one part has counts the other part's rows as missing."""
    merged = build_profile([_frame(10)]).merge(build_profile([_frame(5).drop(columns=["c"])]))
    assert merged.columns["c"].missing == 5 and merged.columns["c"].count == 10


def test_merge_refuses_different_kinds() -> None:
    """A column numeric in one part and categorical in the other cannot merge."""
    a = build_profile([pd.DataFrame({"z": [1, 2]})])
    b = build_profile([pd.DataFrame({"z": [1, 2]})], categorical=["z"])
    with pytest.raises(ProfileError, match="cannot merge a numeric column with a categorical"):
        a.merge(b)


@settings(max_examples=40, deadline=None)
@given(
    xs=st.lists(st.one_of(st.floats(-1e6, 1e6), st.none(), st.just(float("inf"))), max_size=60),
    cats=st.lists(st.sampled_from(["a", "b", "c", None]), min_size=60, max_size=60),
    cut=st.integers(0, 60),
)
def test_merge_property(xs: list[float | None], cats: list[str | None], cut: int) -> None:
    """For any data and split point, merging the parts' profiles gives the whole's."""
    frame = pd.DataFrame({"x": pd.Series(xs + [None] * (60 - len(xs)), dtype="float64"),
                          "c": pd.Series(cats, dtype=object)})
    whole = build_profile([frame])
    merged = build_profile([frame.iloc[:cut]]).merge(build_profile([frame.iloc[cut:]]))
    assert merged.columns["c"] == whole.columns["c"]
    mx, wx = merged.columns["x"], whole.columns["x"]
    assert (mx.count, mx.missing, mx.nonfinite) == (wx.count, wx.missing, wx.nonfinite)
    assert mx.numeric is not None and wx.numeric is not None
    assert (mx.numeric.min, mx.numeric.max) == (wx.numeric.min, wx.numeric.max)
    np.testing.assert_array_equal(mx.numeric.sample, wx.numeric.sample)
    np.testing.assert_array_equal(mx.numeric.counts, wx.numeric.counts)
    assert mx.numeric.mean == pytest.approx(wx.numeric.mean, rel=1e-9, abs=1e-6)
    assert mx.numeric.m2 == pytest.approx(wx.numeric.m2, rel=1e-9, abs=1e-3)


# --- JSON form --------------------------------------------------------------


def test_json_round_trip_and_hash() -> None:
    """to_dict → JSON → from_dict gives an equal profile with the same hash; data changes it."""
    profile = build_profile(_chunks(_frame(3000), 1000), sample_size=1000)
    text = json.dumps(profile.to_dict(), allow_nan=False)
    loaded = Profile.from_dict(json.loads(text))
    assert loaded == profile
    assert loaded.content_hash() == profile.content_hash()
    assert len(profile.content_hash()) == 64
    assert build_profile(_chunks(_frame(3000), 1000), sample_size=1000).content_hash() == (
        profile.content_hash()
    )
    assert build_profile([_frame(3001)]).content_hash() != profile.content_hash()
    assert profile.to_dict()["format_version"] == FORMAT_VERSION == 3


def test_unknown_format_version_is_rejected() -> None:
    """Loading a profile of an unknown format version names the version."""
    data = build_profile([_frame(10)]).to_dict()
    data["format_version"] = 99
    with pytest.raises(ProfileError, match="format_version 99 is not supported"):
        Profile.from_dict(data)


def test_corrupt_profiles_are_rejected_with_the_column() -> None:
    """Inconsistent or malformed columns are refused, naming column and problem."""
    data = build_profile([_frame(10)]).to_dict()
    data["columns"]["x"]["count"] = 11
    with pytest.raises(ProfileError, match=r"profile column 'x'.*accounts for 11 values"):
        Profile.from_dict(data)
    data = build_profile([_frame(10)]).to_dict()
    data["columns"]["c"]["kind"] = "colour"
    with pytest.raises(ProfileError, match="profile column 'c': kind 'colour' is unknown"):
        Profile.from_dict(data)
    data = build_profile([_frame(10)]).to_dict()
    del data["columns"]["x"]["numeric"]
    with pytest.raises(ProfileError, match="profile column 'x': missing field 'numeric'"):
        Profile.from_dict(data)


# --- package ------------------------------------------------------------------


def test_package_surface_doctests_and_purity() -> None:
    """__all__ is the public surface; doctests pass; no database or HTTP imports."""
    forbidden = ("sqlalchemy", "requests", "monitor.store")
    modules = [m.name for m in pkgutil.iter_modules(monitor.profiles.__path__)]
    public = {n for n in vars(monitor.profiles) if not n.startswith("_")} - set(modules)
    assert set(monitor.profiles.__all__) == public
    for name in modules:
        module = importlib.import_module(f"monitor.profiles.{name}")
        assert doctest.testmod(module).failed == 0
        tree = ast.parse(Path(module.__file__ or "").read_text())
        imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if m.startswith(forbidden)], name


def test_unsorted_sample_and_bad_extra_columns_are_rejected() -> None:
    """A hand-edited sample out of order, or extra_columns not a list, is refused."""
    profile = build_profile([pd.DataFrame({"x": [3.0, 1.0, 2.0]})])
    data = profile.to_dict()
    reversed_sample = profile.columns["x"].numeric.sample[::-1]  # type: ignore[union-attr]
    data["columns"]["x"]["numeric"]["sample"]["values"] = base64.b64encode(
        reversed_sample.astype("<f8").tobytes()).decode()
    with pytest.raises(ProfileError, match="profile column 'x': sample or histogram edges"):
        Profile.from_dict(data)
    data = profile.to_dict()
    data["extra_columns"] = "abc"
    with pytest.raises(ProfileError, match="'extra_columns' must be a list of names"):
        Profile.from_dict(data)
