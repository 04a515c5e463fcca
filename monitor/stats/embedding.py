"""Embedding drift: is the distribution of a window's vectors that of the reference's?

Each method reads two ``EmbeddingSummary``s (exact mean vectors and bounded
uniform samples of vectors, ``monitor.profiles.embeddings``) and returns a
p-value, so one threshold (0.05 by default) decides, whatever the dimension.

- ``mmd`` (the default): the maximum mean discrepancy with a Gaussian kernel
  whose width is the median distance between the pooled vectors (the median
  heuristic), on at most ``MMD_SAMPLE`` vectors a side; its p-value comes
  from ``PERMUTATIONS`` random relabellings of the pooled vectors, so it holds
  at any dimension. ``statistic`` is the unbiased MMD², ``effect_size`` its
  root. It sees any change of the distribution, given enough vectors.
- ``classifier``: the domain classifier of ``monitor.stats.multivariate``
  (a logistic regression on the components and their squares, trained on
  half of each sample, its held-out ROC AUC and exact Mann–Whitney p-value).
- ``cosine``: the cosine distance between the two exact mean vectors (the
  centroids). Its p-value is the share of ``BOOTSTRAPS`` distances as large
  from the reference alone: the reference sample resampled, each resampled
  mean's deviation scaled by the CLT to the two windows' sizes
  (``sqrt(m·(1/n_ref + 1/n_cur))``). It sees a moving centre, cheaply.
- ``components``: principal components fitted on both samples pooled (at
  most ``COMPONENTS``; the split between the sides is then a random one under
  no drift, so KS stays exact); each is compared between the samples by KS, the
  p-values are Holm-corrected, and the method's p-value is the smallest
  corrected one. ``statistic`` is the share of components that drifted at
  0.05. It tells how widespread a change is.

References: A. Gretton et al., "A kernel two-sample test", JMLR 13 (2012);
S. Rabanser, S. Günnemann, Z. Lipton, "Failing loudly", NeurIPS (2019).
"""

from __future__ import annotations

import math

import numpy as np

from monitor.profiles import JointSample
from monitor.profiles.embeddings import EmbeddingSummary
from monitor.stats.base import StatResult
from monitor.stats.kolmogorov import ks_2samp
from monitor.stats.multivariate import DomainClassifier

__all__ = ["BOOTSTRAPS", "COMPONENTS", "DEFAULT_EMBEDDING_METHOD", "EMBEDDING_METHODS",
           "MMD_SAMPLE", "PERMUTATIONS", "embedding_test"]

EMBEDDING_METHODS = ("mmd", "classifier", "cosine", "components")
DEFAULT_EMBEDDING_METHOD = "mmd"
MMD_SAMPLE = 500
PERMUTATIONS = 200
BOOTSTRAPS = 500
COMPONENTS = 10
_MIN_VECTORS = 10


def embedding_test(method: str, reference: EmbeddingSummary, current: EmbeddingSummary,
                   seed: int = 0) -> StatResult | None:
    """Run one method; None when a side has fewer than 10 sampled vectors.

    Raises:
        ValueError: an unknown method (the message lists the known ones), or
            embeddings of different dimensions.
    """
    if method not in EMBEDDING_METHODS:
        raise ValueError(f"unknown embedding drift method '{method}'; known: "
                         f"{', '.join(EMBEDDING_METHODS)}")
    if reference.dimension != current.dimension:
        raise ValueError(f"the embedding has {reference.dimension} dimensions in the reference "
                         f"but {current.dimension} in the current data")
    if len(reference.sample) < _MIN_VECTORS or len(current.sample) < _MIN_VECTORS:
        return None
    rng = np.random.default_rng(seed)
    x = reference.sample.astype(np.float64)
    y = current.sample.astype(np.float64)
    if method == "mmd":
        return _mmd(x, y, rng)
    if method == "cosine":
        return _cosine(reference, current, x, rng)
    if method == "components":
        return _components(x, y)
    names = tuple(f"e{i}" for i in range(reference.dimension))
    found = DomainClassifier(seed=seed).score(
        JointSample(names, x, reference.count, len(x)),
        JointSample(names, y, current.count, len(y)))
    return None if found is None else StatResult("classifier", found.statistic,
                                                  found.p_value, found.effect_size)


def _mmd(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> StatResult:
    x = x[rng.permutation(len(x))[:MMD_SAMPLE]]
    y = y[rng.permutation(len(y))[:MMD_SAMPLE]]
    pooled = np.vstack([x, y])
    norms = np.einsum("ij,ij->i", pooled, pooled)
    squared = np.maximum(norms[:, None] + norms[None, :] - 2 * pooled @ pooled.T, 0.0)
    off = squared[np.triu_indices(len(pooled), 1)]
    width = float(np.median(off[off > 0])) if np.any(off > 0) else 1.0
    kernel = np.exp(-squared / (2 * width))
    np.fill_diagonal(kernel, 0.0)
    n, m = len(x), len(y)
    labels = np.concatenate([np.ones(n), np.zeros(m)])
    # The observed labelling and every relabelling as columns: one kernel product scores all.
    first = np.column_stack([labels, *(rng.permutation(labels) for _ in range(PERMUTATIONS))])
    second = 1.0 - first
    within_x = np.einsum("ip,ip->p", first, kernel @ first) / (n * (n - 1))
    within_y = np.einsum("ip,ip->p", second, kernel @ second) / (m * (m - 1))
    across = np.einsum("ip,ip->p", first, kernel @ second) / (n * m)
    statistics = within_x + within_y - 2 * across
    observed, shuffled = float(statistics[0]), statistics[1:]
    p_value = (1 + int(np.count_nonzero(shuffled >= observed))) / (1 + PERMUTATIONS)
    return StatResult("mmd", observed, p_value, math.sqrt(max(observed, 0.0)))


def _cosine_distances(centre: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The cosine distance of each row of ``points`` from ``centre`` (0 for a zero vector)."""
    norms = np.linalg.norm(points, axis=1) * np.linalg.norm(centre)
    similarity = np.divide(points @ centre, norms, out=np.ones(len(points)), where=norms > 0)
    distances: np.ndarray = 1.0 - similarity
    return distances


def _cosine(reference: EmbeddingSummary, current: EmbeddingSummary, x: np.ndarray,
            rng: np.random.Generator) -> StatResult:
    centre = reference.mean
    observed = float(_cosine_distances(centre, current.mean[None, :])[0])
    size = len(x)
    scale = math.sqrt(size * (1 / reference.count + 1 / current.count))
    sample_mean = x.mean(axis=0)
    weights = rng.multinomial(size, np.full(size, 1 / size), size=BOOTSTRAPS) / size
    deviations = (weights @ x - sample_mean) * scale  # resampled means, without the copies
    null = _cosine_distances(centre, centre + deviations)
    p_value = (1 + int(np.count_nonzero(null >= observed))) / (1 + BOOTSTRAPS)
    return StatResult("cosine", observed, p_value, observed)


def _components(x: np.ndarray, y: np.ndarray) -> StatResult:
    # Axes fitted on both samples pooled: fitted on the reference alone they follow its own
    # noise, its projections come out wider than the current's, and KS false-alarms.
    pooled = np.vstack([x, y])
    centre = pooled.mean(axis=0)
    _, singular, basis = np.linalg.svd(pooled - centre, full_matrices=False)
    keep = min(COMPONENTS, int(np.count_nonzero(singular > singular[0] * 1e-9)))
    axes = basis[:keep].T
    ref, cur = (x - centre) @ axes, (y - centre) @ axes
    p_values = np.array([ks_2samp(np.sort(ref[:, j]), np.sort(cur[:, j]))[1]
                         for j in range(keep)])
    order = np.argsort(p_values)
    adjusted = np.empty(keep)
    running = 0.0
    for rank, j in enumerate(order):  # Holm's step-down correction
        running = max(running, min(1.0, float(p_values[j]) * (keep - rank)))
        adjusted[j] = running
    share = float(np.mean(adjusted < 0.05))
    return StatResult("components", share, float(adjusted.min()), share)
