"""Embedding drift: false alarms at α, power on topic shifts and rotations, errors, the API.

The embeddings are a mixture of 4 Gaussian "topics" in 32 dimensions whose
centres differ mostly along the first 6 coordinates (real sentence
embeddings also keep their topic structure in a few directions). Windows are
built as the profile keeps them: an exact total and a uniform sample of at
most 1 000 vectors. The sample is drawn row by row; the total of the rows
left out of it is drawn exactly in distribution (multinomial topic counts
times the centres plus a Gaussian sum of the noise), so a window of 100 000
rows costs no more than one of 1 000 and ``cosine``'s CLT scaling to the
window sizes is what its large-window test checks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import cosine as cosine_distance
from scipy.spatial.distance import pdist, squareform
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

import monitor
from monitor.analysis.vectors import embedding_drift
from monitor.profiles import Profile
from monitor.profiles.embeddings import EMBEDDING_SAMPLE, EmbeddingSummary
from monitor.stats.embedding import EMBEDDING_METHODS, embedding_test

DIMENSION = 32
NOISE = 0.7
EVEN = (0.25, 0.25, 0.25, 0.25)
SHIFTED = (0.35, 0.15, 0.25, 0.25)
REFERENCE_ROWS = 20_000
ALPHA = 0.05
_SCALES = np.where(np.arange(DIMENSION) < 6, 2.0, 0.3)
CENTRES = np.random.default_rng(2024).normal(size=(4, DIMENSION)) * _SCALES + 1.0
CENTROID = CENTRES.mean(axis=0)


@pytest.fixture(autouse=True)
def _one_blas_thread() -> Iterator[None]:
    """One BLAS thread: on busy shared cores, BLAS threads waiting for each other made
    the MMD's permutations four times slower."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _rotation(degrees: float, pairs: int) -> np.ndarray:
    """Rotate the coordinate pairs (0, 1), (2, 3), … by ``degrees`` (row vectors @ matrix)."""
    matrix = np.eye(DIMENSION)
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    for i in range(0, 2 * pairs, 2):
        matrix[i:i + 2, i:i + 2] = [[c, s], [-s, c]]
    return matrix


ROTATION = _rotation(30, 3)


def _window(rows: int, seed: Sequence[int], shares: Sequence[float] = EVEN,
            rotated: bool = False) -> EmbeddingSummary:
    """A window's summary: ``min(rows, 1000)`` vectors drawn, the rest only summed."""
    rng = np.random.default_rng(list(seed))
    kept, rest = min(rows, EMBEDDING_SAMPLE), rows - min(rows, EMBEDDING_SAMPLE)
    vectors = CENTRES[rng.choice(4, kept, p=shares)] + rng.normal(0.0, NOISE, (kept, DIMENSION))
    rest_total = (rng.multinomial(rest, shares) @ CENTRES
                  + rng.normal(0.0, NOISE * math.sqrt(rest), DIMENSION))
    if rotated:  # about the centroid, which stays where it was
        vectors = CENTROID + (vectors - CENTROID) @ ROTATION
        rest_total = rest * CENTROID + (rest_total - rest * CENTROID) @ ROTATION
    sample = vectors.astype(np.float32)
    return EmbeddingSummary(DIMENSION, rows, 0, 0,
                            sample.sum(axis=0, dtype=np.float64) + rest_total, sample)


def _alarms(method: str, rows: int, repetitions: int, shares: Sequence[float] = EVEN,
            rotated: bool = False) -> int:
    """How many of ``repetitions`` fresh (reference, current) pairs ``method`` flags at α."""
    flagged = 0
    for rep in range(repetitions):
        reference = _window(REFERENCE_ROWS, (1, rows, rep))
        current = _window(rows, (2, rows, rep), shares, rotated)
        result = embedding_test(method, reference, current)
        assert result is not None and result.p_value is not None
        assert 0.0 < result.p_value <= 1.0
        flagged += result.p_value < ALPHA
    return flagged


_CHECKS_AT_ALPHA = 9
"""The tests below that count false alarms: 4 methods × 2 window sizes, and cosine on a
rotation that keeps the centroid."""


def _limit(repetitions: int) -> int:
    """The most false alarms a test that holds its level α gives in ``repetitions`` windows,
    at 99 % for the whole family (Bonferroni: each at 1 − 0.01 / 9), so a sound method
    fails none of them on fresh seeds more than once in 100."""
    return int(stats.binom.ppf(1 - 0.01 / _CHECKS_AT_ALPHA, repetitions, ALPHA))


REPETITIONS = {"mmd": 40, "classifier": 100, "cosine": 60, "components": 300}
"""Windows per method and size: MMD's 200 permutations and cosine's 500 bootstraps
cost the most (about 0.15-0.3 s a test on a busy core), the others little."""

@pytest.mark.parametrize("rows", [500, 100_000])
@pytest.mark.parametrize("method", ["mmd", "classifier", "cosine", "components"])
def test_false_alarms_without_drift_stay_near_alpha(method: str, rows: int) -> None:
    """Reference (20 000 rows) and current from the same mixture: the false alarms at α stay
    within the binomial margin of ``_limit``."""
    repetitions = REPETITIONS[method]
    assert _alarms(method, rows, repetitions) <= _limit(repetitions)


POWER_REPETITIONS = {"mmd": 12, "classifier": 40, "cosine": 12, "components": 40}


@pytest.mark.parametrize(("method", "least"), [
    ("mmd", 9), ("classifier", 20), ("cosine", 11), ("components", 36)])
def test_topic_shares_moving_ten_points_are_detected(method: str, least: int) -> None:
    """Topic shares 25/25/25/25 → 35/15/25/25 in a window of 5 000 rows.

    ``least`` sits a little below what these seeds gave (mmd 11/12, classifier 25/40,
    cosine 12/12, components 39/40): the classifier, on 500 + 500 held-out vectors, is
    the weakest at this size of change."""
    assert _alarms(method, 5_000, POWER_REPETITIONS[method], SHIFTED) >= least


@pytest.mark.parametrize(("method", "least"), [
    ("mmd", 10), ("classifier", 36), ("components", 36)])
def test_a_rotation_of_three_coordinate_pairs_is_detected(method: str, least: int) -> None:
    """Pairs (0, 1), (2, 3), (4, 5) rotated by 30° about the centroid, 5 000 rows: the
    topics move within the plane that holds them (these seeds: every window flagged)."""
    assert _alarms(method, 5_000, POWER_REPETITIONS[method], rotated=True) >= least


def test_cosine_does_not_see_a_rotation_that_keeps_the_centroid() -> None:
    """The same rotation leaves the mean vector in place: cosine flags it no more often
    than it false-alarms (its blind spot, by design)."""
    repetitions = POWER_REPETITIONS["cosine"]
    assert _alarms("cosine", 5_000, repetitions, rotated=True) <= _limit(repetitions)


def test_mmd_statistic_and_p_value_match_a_direct_computation() -> None:
    """The unbiased MMD² with the median-heuristic Gaussian kernel, from scipy's pairwise
    distances on 300 + 200 vectors (all kept), and its permutation p-value recomputed
    with 4 000 relabellings (the method's 200 give it a Monte Carlo sd of about 0.015)."""
    reference = _window(300, (3,))
    current = _window(200, (4,), SHIFTED)
    x = reference.sample.astype(np.float64)
    y = current.sample.astype(np.float64)
    squared = pdist(np.vstack([x, y]), "sqeuclidean")
    kernel = np.exp(-squareform(squared) / (2 * np.median(squared)))
    np.fill_diagonal(kernel, 0.0)
    n, m = len(x), len(y)

    def mmd2(labels: np.ndarray) -> np.ndarray:
        """MMD² of each column of 0/1 labels (1: the reference side)."""
        within = kernel @ labels
        across = kernel.sum(axis=1)[:, None] - within
        others = 1.0 - labels
        found: np.ndarray = ((labels * within).sum(axis=0) / (n * (n - 1))
                             + (others * across).sum(axis=0) / (m * (m - 1))
                             - 2 * (labels * across).sum(axis=0) / (n * m))
        return found

    observed = float(mmd2(np.r_[np.ones(n), np.zeros(m)][:, None])[0])
    rng = np.random.default_rng(0)
    shuffled = np.argsort(rng.random((n + m, 4_000)), axis=0) < n
    p_value = (1 + np.count_nonzero(mmd2(shuffled.astype(np.float64)) >= observed)) / 4_001
    result = embedding_test("mmd", reference, current)
    assert result is not None and result.p_value is not None
    assert result.statistic == pytest.approx(observed, rel=1e-9)
    assert result.effect_size == pytest.approx(math.sqrt(observed), rel=1e-9)
    assert 0.0 < p_value < 0.2 and abs(result.p_value - p_value) < 0.05
    assert round(result.p_value * 201) == pytest.approx(result.p_value * 201)


def test_cosine_statistic_is_the_distance_between_the_exact_means() -> None:
    reference = _window(REFERENCE_ROWS, (5,))
    current = _window(50_000, (6,), SHIFTED)
    result = embedding_test("cosine", reference, current)
    assert result is not None
    expected = cosine_distance(reference.total / reference.count, current.total / current.count)
    assert result.statistic == pytest.approx(expected, rel=1e-9)
    assert result.p_value == pytest.approx(1 / 501)


def test_components_p_value_is_holm_over_ks_on_principal_components() -> None:
    """sklearn's PCA on both samples pooled, scipy's KS per component, Holm's correction."""
    reference = _window(800, (7,))
    current = _window(600, (8,), SHIFTED)
    x = reference.sample.astype(np.float64)
    y = current.sample.astype(np.float64)
    pca = PCA(n_components=10).fit(np.vstack([x, y]))
    p_values = np.array([stats.ks_2samp(a, b).pvalue
                         for a, b in zip(pca.transform(x).T, pca.transform(y).T, strict=True)])
    order = np.argsort(p_values)
    holm = np.maximum.accumulate(np.minimum(1.0, p_values[order] * np.arange(10, 0, -1)))
    result = embedding_test("components", reference, current)
    assert result is not None and result.p_value is not None
    assert result.p_value == pytest.approx(holm[0], rel=1e-6, abs=1e-300)
    assert result.statistic == pytest.approx(np.mean(holm < 0.05))


def test_unknown_method_raises_listing_the_known_ones() -> None:
    window = _window(50, (9,))
    with pytest.raises(ValueError, match="unknown embedding drift method 'energy'") as raised:
        embedding_test("energy", window, window)
    assert all(name in str(raised.value) for name in EMBEDDING_METHODS)


def test_different_dimensions_raise() -> None:
    window = _window(50, (10,))
    narrow = EmbeddingSummary(8, 50, 0, 0, np.zeros(8), np.zeros((50, 8), np.float32))
    with pytest.raises(ValueError, match="32 dimensions in the reference but 8"):
        embedding_test("mmd", window, narrow)


@pytest.mark.parametrize("method", EMBEDDING_METHODS)
def test_fewer_than_ten_vectors_a_side_give_none(method: str) -> None:
    """Below 10 vectors a side: None. The classifier trains on half of each side and its
    domain classifier wants 20 rows a side, so it starts at 20."""
    reference = _window(200, (11,))
    assert embedding_test(method, reference, _window(9, (12,))) is None
    assert embedding_test(method, _window(9, (13,)), reference) is None
    enough = 20 if method == "classifier" else 10
    assert embedding_test(method, reference, _window(enough, (14,))) is not None


def test_embedding_drift_tests_the_embeddings_both_profiles_hold() -> None:
    """Only shared embeddings with enough vectors are tested, at the given threshold."""
    reference = Profile(REFERENCE_ROWS, {}, embeddings={
        "a": _window(REFERENCE_ROWS, (15,)), "b": _window(REFERENCE_ROWS, (16,)),
        "c": _window(REFERENCE_ROWS, (17,))})
    current = Profile(5_000, {}, embeddings={
        "a": _window(5_000, (18,), SHIFTED), "c": _window(5, (19,))})
    found = embedding_drift(reference, current, "cosine", threshold=0.01)
    assert [(f.embedding, f.method, f.threshold, f.dimension, f.drifted) for f in found] == [
        ("a", "cosine", 0.01, DIMENSION, True)]


def _frame(rows: int, shares: Sequence[float], seed: int) -> pd.DataFrame:
    window = _window(rows, (seed,), shares)
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"vec": list(window.sample), "x": rng.normal(size=rows)})


def test_compare_lists_embeddings_in_its_json() -> None:
    reference, current = _frame(1_000, EVEN, 20), _frame(1_000, SHIFTED, 21)
    document = monitor.compare(reference, current, embedding=["vec"]).to_dict()
    assert [c["column"] for c in document["columns"]] == ["x"]
    [found] = document["embeddings"]
    assert list(found) == ["embedding", "method", "statistic", "p_value", "threshold",
                           "effect_size", "drifted"]
    assert found["embedding"] == "vec" and found["method"] == "mmd"
    assert found["threshold"] == ALPHA and found["drifted"] is True
    assert found["p_value"] < ALPHA and found["statistic"] > 0 and found["effect_size"] > 0


def test_compare_with_an_unknown_embedding_names_it() -> None:
    frame = _frame(50, EVEN, 22)
    with pytest.raises(monitor.ProfileError, match="'nope'"):
        monitor.compare(frame, frame, embedding=["nope"])
