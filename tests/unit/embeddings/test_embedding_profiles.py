"""Embedding profiles: how vectors are read, counted, summed, sampled, merged and stored.

The drift methods are only as good as what the profile keeps: an exact mean
(cosine reads it) and a uniform sample (every other method reads it). These
tests check both against numpy on the very vectors streamed in, and that the
summary survives JSON and merging as a profile does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitor.errors import ProfileError
from monitor.profiles import Profile, ProfileBuilder, build_profile
from monitor.profiles.embeddings import (
    EMBEDDING_SAMPLE,
    EmbeddingSampler,
    EmbeddingSummary,
    embedding_columns,
    read_vectors,
)


def _vectors(rows: int, dimension: int, seed: int) -> np.ndarray:
    """Float32 vectors, as embedding models give them."""
    return np.random.default_rng(seed).normal(0.5, 1.0, (rows, dimension)).astype(np.float32)


def _chunks(vectors: np.ndarray, size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(vectors), size):
        part = vectors[start:start + size]
        yield pd.DataFrame({"vec": list(part), "x": np.arange(start, start + len(part))})


def _summary(vectors: np.ndarray, chunk: int, seed: int = 0) -> EmbeddingSummary:
    sampler = EmbeddingSampler("vec", None, EMBEDDING_SAMPLE, np.random.default_rng(seed))
    for frame in _chunks(vectors, chunk):
        sampler.add(frame)
    built = sampler.build()
    assert built is not None
    return built


@pytest.mark.parametrize("form", ["list", "array", "json"])
def test_vectors_read_from_lists_arrays_and_json_text(form: str) -> None:
    """The same vectors given as lists, numpy arrays or JSON-array text read back equal."""
    vectors = _vectors(40, 8, seed=1)
    cells: list[Any] = {"list": [v.tolist() for v in vectors], "array": list(vectors),
                        "json": [json.dumps(v.tolist()) for v in vectors]}[form]
    read, missing, invalid = read_vectors(pd.DataFrame({"vec": cells}), "vec", None)
    assert (missing, invalid) == (0, 0)
    np.testing.assert_array_equal(read, vectors)


def test_prefix_group_reads_columns_in_natural_order() -> None:
    """``e_*`` gathers e_1 … e_12 as 1, 2, …, 12 (not e_1, e_10, e_11, e_12, e_2)."""
    vectors = _vectors(30, 12, seed=2)
    names = [f"e_{i}" for i in range(1, 13)]
    shuffled = list(np.random.default_rng(3).permutation(names))
    frame = pd.DataFrame(vectors, columns=names)[shuffled].assign(e_=1.0, other=2.0)
    assert embedding_columns("e_*", list(frame.columns)) == names
    read, missing, invalid = read_vectors(frame, "e_*", None)
    assert (missing, invalid) == (0, 0)
    np.testing.assert_array_equal(read, vectors)


def test_missing_and_invalid_vectors_are_counted() -> None:
    """Absent cells are missing; unparsable, wrong-length or non-finite ones invalid."""
    cells = [[1.0, 2.0], None, float("nan"), "[3, 4]", "[1, 2", "abc", [1.0, np.nan],
             [1.0, 2.0, 3.0], [np.inf, 0.0], [], np.array([7.0, 8.0])]
    read, missing, invalid = read_vectors(pd.DataFrame({"vec": cells}), "vec", None)
    assert read.tolist() == [[1.0, 2.0], [3.0, 4.0], [7.0, 8.0]]
    assert (missing, invalid) == (2, 6)
    _, missing, invalid = read_vectors(pd.DataFrame({"vec": cells}), "vec", 3)
    assert (missing, invalid) == (2, 8)  # a known dimension of 3: only [1, 2, 3] is valid


def test_prefix_group_missing_and_invalid_rows() -> None:
    """In a group, a row of all-absent values is missing; a partly absent or text one invalid."""
    frame = pd.DataFrame({"e_2": [1.0, np.nan, np.nan, 3.0], "e_1": [0.0, np.nan, 1.0, "x"],
                          "e_10": [5.0, np.nan, 2.0, 2.0]})
    read, missing, invalid = read_vectors(frame, "e_*", None)
    assert read.tolist() == [[0.0, 1.0, 5.0]] and (missing, invalid) == (1, 2)


def test_an_absent_column_counts_every_row_missing() -> None:
    read, missing, invalid = read_vectors(pd.DataFrame({"x": [1, 2, 3]}), "vec", 4)
    assert read.shape == (0, 4) and (missing, invalid) == (3, 0)


@pytest.mark.parametrize(("rows", "chunk"), [(3_000, 1), (20_000, 1_500), (20_000, 20_000)])
def test_mean_is_exact_and_sample_bounded_and_uniform(rows: int, chunk: int) -> None:
    """Streaming in chunks: the mean equals numpy's; the sample is ≤ 1000 distinct input
    rows, and a stream whose halves differ keeps about half of each (uniform)."""
    vectors = _vectors(rows, 4, seed=rows + chunk)
    vectors[:, 0] = np.arange(rows)  # the row number, exact in float32 below 2**24
    vectors[:, 1] = (np.arange(rows) >= rows // 2).astype(np.float32)  # second half: 1
    summary = _summary(vectors, chunk, seed=chunk)
    assert (summary.count, summary.missing, summary.invalid) == (rows, 0, 0)
    np.testing.assert_allclose(summary.mean, vectors.astype(np.float64).mean(axis=0),
                               rtol=0, atol=1e-9)
    assert summary.sample.shape == (EMBEDDING_SAMPLE, 4)
    picked = summary.sample[:, 0].astype(np.int64)
    assert len(set(picked.tolist())) == EMBEDDING_SAMPLE
    np.testing.assert_array_equal(summary.sample, vectors[picked])
    # Hypergeometric sd of the second half's share: sqrt(1000·¼·(1 − 1000/rows)) ≤ 16.
    assert 435 <= int(summary.sample[:, 1].sum()) <= 565
    blocks = np.bincount(picked * 10 // rows, minlength=10)
    assert stats.chisquare(blocks).pvalue > 1e-3


def test_mean_of_float64_vectors_is_exact() -> None:
    """Vectors given as float64 (numpy or JSON text): the mean is numpy's to 1e-9."""
    vectors = np.tile([1 / 3, 0.1, 2 / 3], (50, 1))
    summary = _summary(vectors, 50)
    np.testing.assert_allclose(summary.mean, vectors.mean(axis=0), rtol=0, atol=1e-9)


def test_small_streams_keep_every_vector() -> None:
    vectors = _vectors(300, 6, seed=4)
    summary = _summary(vectors, 70)
    np.testing.assert_array_equal(summary.sample, vectors)


def _integer_vectors(rows: int, seed: int) -> np.ndarray:
    """Small integers: their float sums are exact in any order, so totals compare exactly."""
    return np.random.default_rng(seed).integers(-50, 50, (rows, 5)).astype(np.float32)


@pytest.mark.parametrize(("first", "second"), [(300, 200), (3_000, 1_000), (900, 40_000)])
def test_merge_equals_one_pass(first: int, second: int) -> None:
    """Merging two windows' summaries gives one pass's counts and total, and a joint sample
    of min(limit, rows) vectors drawn from each part in proportion."""
    vectors = _integer_vectors(first + second, seed=first)
    vectors[:, 0] = np.arange(first + second) >= first  # which part a vector came from
    whole = _summary(vectors, 700)
    merged = _summary(vectors[:first], 700, seed=1).merge(_summary(vectors[first:], 700, seed=2))
    assert merged is not None
    assert ((merged.dimension, merged.count, merged.missing, merged.invalid, merged.limit)
            == (whole.dimension, whole.count, whole.missing, whole.invalid, whole.limit))
    np.testing.assert_array_equal(merged.total, whole.total)
    np.testing.assert_array_equal(merged.total, vectors.astype(np.float64).sum(axis=0))
    size = min(EMBEDDING_SAMPLE, first + second)
    assert len(merged.sample) == size
    expected = size * second / (first + second)
    assert abs(merged.sample[:, 0].sum() - expected) <= 5 * np.sqrt(size * 0.25) + 1


def test_merge_adds_missing_and_invalid_and_refuses_other_dimensions() -> None:
    frame = pd.DataFrame({"vec": [[1.0, 2.0], None, "bad", [3.0, 4.0]]})
    sampler = EmbeddingSampler("vec", None, EMBEDDING_SAMPLE, np.random.default_rng(0))
    sampler.add(frame)
    one = sampler.build()
    assert one is not None and (one.count, one.missing, one.invalid) == (2, 1, 1)
    both = one.merge(one)
    assert both is not None and (both.count, both.missing, both.invalid) == (4, 2, 2)
    np.testing.assert_array_equal(both.mean, [2.0, 3.0])
    other = _summary(_vectors(20, 3, seed=5), 20)
    assert one.merge(other) is None


def test_summary_round_trips_through_json() -> None:
    summary = _summary(_vectors(2_500, 16, seed=6), 1_000)
    again = EmbeddingSummary.from_dict(json.loads(json.dumps(summary.to_dict())))
    assert again == summary
    np.testing.assert_array_equal(again.total, summary.total)
    np.testing.assert_array_equal(again.sample, summary.sample)
    assert again.sample.dtype == np.float32 and again.sample.shape == (EMBEDDING_SAMPLE, 16)


def _document() -> dict[str, Any]:
    sampler = EmbeddingSampler("vec", None, 20, np.random.default_rng(0))
    sampler.add(pd.DataFrame({"vec": list(_vectors(50, 4, seed=7))}))
    built = sampler.build()
    assert built is not None
    return built.to_dict()


@pytest.mark.parametrize(("change", "error"), [
    ({"encoding": "float16-le-base64"}, ValueError),
    ({"dimension": 3}, ValueError),  # 80 values are not rows of 3
    ({"dimension": 0}, ValueError),
    ({"total": [0.0, 1.0]}, ValueError),
    ({"sample": "not base64!"}, ValueError),
    ({"count": "many"}, ValueError),
    ({"total": None}, ValueError),  # NaN of the wrong shape
    ({"total": {"a": 1.0}}, TypeError),
])
def test_malformed_summary_documents_raise(change: dict[str, Any], error: type[Exception]
                                           ) -> None:
    with pytest.raises(error):
        EmbeddingSummary.from_dict({**_document(), **change})


@pytest.mark.parametrize("key", ["dimension", "count", "missing", "invalid", "total", "sample",
                                 "limit", "encoding"])
def test_summary_documents_without_a_field_raise(key: str) -> None:
    document = _document()
    del document[key]
    with pytest.raises(KeyError):
        EmbeddingSummary.from_dict(document)


@pytest.mark.parametrize("change", [{"count": -3}, {"count": 5}, {"missing": -1},
                                    {"limit": 10}])
def test_summary_documents_with_impossible_counts_raise(change: dict[str, Any]) -> None:
    """20 sampled vectors of a window of 50: a count below 20 (or negative), a negative
    missing count or a limit below the sample size cannot be."""
    with pytest.raises(ValueError):
        EmbeddingSummary.from_dict({**_document(), **change})


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = pd.DataFrame(rng.normal(size=(rows, 12)).astype(np.float32),
                         columns=[f"e_{i}" for i in range(1, 13)])
    return group.assign(vec=list(_vectors(rows, 16, seed)), x=rng.normal(size=rows),
                        label=rng.choice(["a", "b"], rows))


def test_profile_with_embeddings_round_trips_and_owns_their_columns() -> None:
    """The vector column and the e_* group are embeddings, not columns; JSON keeps them."""
    frame = _frame(1_500, seed=8)
    profile = build_profile([frame.iloc[:600], frame.iloc[600:]], embeddings=["vec", "e_*"])
    assert list(profile.columns) == ["x", "label"] and profile.extra_columns == ()
    assert set(profile.embeddings) == {"vec", "e_*"}
    assert profile.embeddings["e_*"].dimension == 12 and profile.embeddings["vec"].count == 1_500
    np.testing.assert_allclose(
        profile.embeddings["e_*"].mean,
        frame[[f"e_{i}" for i in range(1, 13)]].to_numpy(np.float64).mean(axis=0), atol=1e-9)
    document = json.loads(json.dumps(profile.to_dict()))
    again = Profile.from_dict(document)
    assert again.to_dict() == profile.to_dict()
    assert again.embeddings["vec"] == profile.embeddings["vec"]


def test_current_window_reads_the_reference_embeddings() -> None:
    """A builder on a reference takes its embeddings and dimensions: vectors of another
    length are invalid, and the embedding's columns are neither profiled nor extra."""
    reference = build_profile([_frame(500, seed=9)], embeddings=["vec", "e_*"])
    builder = ProfileBuilder(reference=reference)
    builder.update(_frame(300, seed=10).assign(vec=list(_vectors(300, 8, seed=11))))
    current = builder.build()
    assert list(current.columns) == ["x", "label"] and current.extra_columns == ()
    assert current.embeddings["e_*"].count == 300
    vec = current.embeddings["vec"]
    assert (vec.dimension, vec.count, vec.invalid) == (16, 0, 300)


def test_profiles_merge_their_embeddings() -> None:
    frame = _frame(1_200, seed=12)
    parts = [build_profile([frame.iloc[:700]], embeddings=["vec"]),
             build_profile([frame.iloc[700:]], embeddings=["vec"])]
    merged = parts[0].merge(parts[1]).embeddings["vec"]
    assert merged.count == 1_200 and len(merged.sample) == EMBEDDING_SAMPLE
    np.testing.assert_allclose(merged.mean, np.stack(frame["vec"]).astype(np.float64).mean(0),
                               atol=1e-9)


@pytest.mark.parametrize("embeddings", [[], {"vec": {"encoding": "x"}}, {"vec": "text"}])
def test_malformed_embeddings_in_a_profile_raise_profile_error(embeddings: object) -> None:
    document = build_profile([_frame(100, seed=13)], embeddings=["vec"]).to_dict()
    document["embeddings"] = embeddings
    with pytest.raises(ProfileError, match="embeddings"):
        Profile.from_dict(document)
