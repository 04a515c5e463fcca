"""Column summaries: the mergeable parts a column profile is made of.

``NumericSummary`` holds what the numeric tests need: min/max, mean and the
sum of squared deviations ``m2`` (merged with Chan's parallel formula,
``profiles.moments``), the count of ±inf values kept apart, a histogram on
fixed edges with two open ends, and a uniform random sample of the finite
values.
``CategoricalSummary`` holds category counts, bounded to ``top_k`` with the
rest in ``other``.

**The sample.** A uniform sample without replacement of at most ``limit``
values (default 20 000), stored sorted. While a column holds at most
``limit`` values the sample *is* the column, so every order statistic is
exact. Beyond that, two samples merge exactly in distribution: the number
taken from each side is drawn from the hypergeometric law of a uniform
``limit``-subset of the union, then that many are drawn from each side
(seeded, so merging is deterministic). By the Dvoretzky–Kiefer–Wolfowitz
inequality the sample's CDF is within ``sqrt(ln(2/δ) / (2·limit))`` of the
column's everywhere with probability 1 − δ: 0.0115 at δ = 0.01 for 20 000.
Tests that use the sample take ``n`` as its size, so their p-values are valid.

**The histogram.** Bins are ``[e0, e1), …, [e(k-1), ek]`` plus an open bin
below ``e0`` and one above ``ek``: ``counts`` has ``len(edges) + 1`` entries.
A profile built without a reference chooses its edges at the end from the
sample: ``e0``/``ek`` are the exact min/max and the inner edges are the
deduplicated sample quantiles (actual values, so discrete columns get one bin
per value). Its counts are the sample's bin counts scaled to the column
count, rounded so they add up to it: exact while the column holds at most
``limit`` values, otherwise each bin share has a standard error of
``sqrt(p(1−p)/limit)`` (at most 0.0035 at 20 000), which moves PSI by about
``bins/limit`` (0.001). A profile built with a reference counts every value
on the reference's edges, so those counts are exact and merge by addition.

References: T. F. Chan, G. H. Golub, R. J. LeVeque, "Updating formulae and a
pairwise algorithm for computing sample variances", 1979; A. Dvoretzky,
J. Kiefer, J. Wolfowitz, Ann. Math. Statist. 27 (1956).
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from monitor.profiles.fine import decode_fine, encode_fine
from monitor.profiles.moments import merge_moments

__all__ = [
    "DEFAULT_BINS",
    "DEFAULT_SAMPLE_SIZE",
    "DEFAULT_TOP_K",
    "CategoricalSummary",
    "NumericSummary",
    "choose_edges",
    "histogram_counts",
    "merge_samples",
    "scale_counts",
    "truncate_categories",
]

DEFAULT_SAMPLE_SIZE = 20_000
DEFAULT_BINS = 20
DEFAULT_TOP_K = 1000
_SAMPLE_ENCODING = "float64-le-base64"


def merge_samples(
    a: np.ndarray, count_a: int, b: np.ndarray, count_b: int, limit: int, rng: np.random.Generator
) -> np.ndarray:
    """Merge uniform samples of two value sets into a uniform sample of their union.

    ``a`` is a uniform sample of ``min(limit, count_a)`` of ``count_a`` values
    (likewise ``b``); the result is unsorted, of size ``min(limit, count_a + count_b)``.

    >>> rng = np.random.default_rng(0)
    >>> merge_samples(np.array([1.0]), 1, np.array([2.0, 3.0]), 2, 10, rng).tolist()
    [1.0, 2.0, 3.0]
    """
    if count_a + count_b <= limit:
        return np.concatenate([a, b])
    take_a = int(rng.hypergeometric(count_a, count_b, limit)) if count_a and count_b else None
    if take_a is None:
        take_a = limit if count_a else 0
    parts = []
    for values, take in ((a, take_a), (b, limit - take_a)):
        if take >= values.size:
            parts.append(values)
        else:
            parts.append(values[rng.choice(values.size, take, replace=False)])
    return np.concatenate(parts)


def histogram_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Count finite ``values`` into the bins of ``edges`` (see the module docstring).

    One comparison pass per edge: far faster than a binary search per value
    for the ~20 edges used here.

    >>> histogram_counts(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]), np.array([0.0, 1.0])).tolist()
    [1, 3, 1]
    """
    if edges.size == 0:
        return np.zeros(0, dtype=np.int64)
    below_edge = np.array([np.count_nonzero(values < e) for e in edges[:-1]], dtype=np.int64)
    upto_last = np.int64(np.count_nonzero(values <= edges[-1]))
    cumulative = np.concatenate([below_edge, [upto_last, values.size]])
    return np.diff(cumulative, prepend=0).astype(np.int64)


def choose_edges(sample: np.ndarray, lo: float, hi: float, bins: int) -> np.ndarray:
    """Pick histogram edges: ``lo``, the distinct sample quantiles in ``(lo, hi]``, then ``hi``.

    >>> choose_edges(np.array([0.0, 0.0, 1.0, 1.0]), 0.0, 1.0, 4).tolist()
    [0.0, 1.0, 1.0]
    """
    probabilities = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    inner = np.unique(np.quantile(sample, probabilities, method="inverted_cdf"))
    inner = inner[(inner > lo) & (inner <= hi)]
    return np.concatenate([[lo], inner, [hi]]).astype(np.float64)


def scale_counts(counts: np.ndarray, total: int) -> np.ndarray:
    """Scale sample bin counts to ``total``, rounding by largest remainder so they add up.

    >>> scale_counts(np.array([1, 1, 1]), 10).tolist()
    [4, 3, 3]
    """
    size = int(counts.sum())
    if size == 0 or size == total:
        return counts.astype(np.int64)
    exact = counts * (total / size)
    floored = np.floor(exact).astype(np.int64)
    short = total - int(floored.sum())
    order = np.argsort(-(exact - floored), kind="stable")
    floored[order[:short]] += 1
    return floored


def truncate_categories(
    counts: Mapping[str, int], limit: int, pinned: Collection[str] = ()
) -> tuple[dict[str, int], int]:
    """Keep the ``pinned`` categories and the most frequent others, up to ``limit`` in all.

    Returns the kept counts (most frequent first, ties by name) and the total
    moved out, which the caller adds to ``other``.

    >>> truncate_categories({"a": 5, "b": 1, "c": 3}, 2)
    ({'a': 5, 'c': 3}, 1)
    """
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ordered) <= limit:
        return dict(ordered), 0
    keep = {k for k in pinned if k in counts}
    for key, _ in ordered:
        if len(keep) >= limit:
            break
        keep.add(key)
    kept = {k: v for k, v in ordered if k in keep}
    return kept, sum(v for k, v in ordered if k not in keep)


@dataclass(frozen=True, slots=True, eq=False)
class NumericSummary:
    """What the numeric tests need to know about a column, bounded in size.

    ``min``/``max`` are None while the column has no finite value. ``edges``
    and ``counts`` are empty when a column without a reference had no value.
    ``bins`` is the number of bins asked for when edges are chosen from data.
    ``fine_edges``/``fine_counts`` are the fine histogram (``monitor.profiles.fine``):
    every finite value counted on the reference's quantile edges, so order
    statistics are exact to a bin at any size; empty in profiles of format 1
    and 2, and when parts with different edges were merged.
    """

    min: float | None
    max: float | None
    mean: float
    m2: float
    nonfinite: int
    edges: np.ndarray
    counts: np.ndarray
    sample: np.ndarray
    sample_limit: int = DEFAULT_SAMPLE_SIZE
    bins: int = DEFAULT_BINS
    fine_edges: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    fine_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def has_fine(self) -> bool:
        """Whether every finite value was counted on fine edges."""
        return bool(self.fine_edges.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NumericSummary):
            return NotImplemented
        return (
            (self.min, self.max, self.mean, self.m2, self.nonfinite, self.sample_limit, self.bins)
            == (other.min, other.max, other.mean, other.m2, other.nonfinite, other.sample_limit,
                other.bins)
            and np.array_equal(self.edges, other.edges)
            and np.array_equal(self.counts, other.counts)
            and np.array_equal(self.sample, other.sample)
            and np.array_equal(self.fine_edges, other.fine_edges)
            and np.array_equal(self.fine_counts, other.fine_counts)
        )

    __hash__ = None  # type: ignore[assignment]

    def variance(self, count: int) -> float:
        """Population variance of the ``count`` finite values (0 when there are none)."""
        return self.m2 / count if count else 0.0

    def merge(self, count: int, other: NumericSummary, other_count: int) -> NumericSummary:
        """Summary of both value sets; ``count`` and ``other_count`` are their finite counts."""
        total = count + other_count
        mean, m2 = merge_moments(count, self.mean, self.m2, other_count, other.mean, other.m2)
        limit = min(self.sample_limit, other.sample_limit)
        rng = np.random.default_rng([count, other_count, limit])
        sample = np.sort(merge_samples(self.sample, count, other.sample, other_count, limit, rng))
        lo = _pick(min, self.min, other.min)
        hi = _pick(max, self.max, other.max)
        bins = max(self.bins, other.bins)
        edges, counts = self._merged_histogram(other, sample, lo, hi, total, bins)
        fine_edges, fine_counts = self.fine_edges[:0], self.fine_counts[:0]
        if np.array_equal(self.fine_edges, other.fine_edges):  # the same reference's edges
            fine_edges, fine_counts = self.fine_edges, self.fine_counts + other.fine_counts
        return NumericSummary(
            lo, hi, mean, m2, self.nonfinite + other.nonfinite, edges, counts, sample, limit, bins,
            fine_edges, fine_counts,
        )

    def _merged_histogram(
        self, other: NumericSummary, sample: np.ndarray, lo: float | None, hi: float | None,
        total: int, bins: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        if np.array_equal(self.edges, other.edges):
            return self.edges, self.counts + other.counts
        if other.edges.size == 0 and not other.counts.any():
            return self.edges, self.counts
        if self.edges.size == 0 and not self.counts.any():
            return other.edges, other.counts
        # Different data-chosen edges: choose again from the merged sample.
        assert lo is not None and hi is not None
        edges = choose_edges(sample, lo, hi, bins)
        return edges, scale_counts(histogram_counts(sample, edges), total)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the sample as base64 of little-endian float64)."""
        raw = self.sample.astype("<f8").tobytes()
        fine = {"fine": encode_fine(self.fine_edges, self.fine_counts)} if self.has_fine else {}
        return {**fine,
            "min": self.min,
            "max": self.max,
            "mean": self.mean,
            "m2": self.m2,
            "nonfinite": self.nonfinite,
            "edges": [float(e) for e in self.edges],
            "counts": [int(c) for c in self.counts],
            "bins": self.bins,
            "sample": {
                "limit": self.sample_limit,
                "encoding": _SAMPLE_ENCODING,
                "values": base64.b64encode(raw).decode("ascii"),
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NumericSummary:
        """Rebuild from ``to_dict`` output; raises ValueError/KeyError/TypeError on bad input."""
        sample_part = data["sample"]
        if sample_part["encoding"] != _SAMPLE_ENCODING:
            raise ValueError(
                f"sample encoding {sample_part['encoding']!r} is unknown; "
                f"expected {_SAMPLE_ENCODING!r}"
            )
        raw = base64.b64decode(sample_part["values"], validate=True)
        fine_edges, fine_counts = (decode_fine(data["fine"]) if "fine" in data
                                   else (np.zeros(0, np.float64), np.zeros(0, np.int64)))
        return cls(
            min=_optional_float(data["min"]),
            max=_optional_float(data["max"]),
            mean=float(data["mean"]),
            m2=float(data["m2"]),
            nonfinite=int(data["nonfinite"]),
            edges=_readonly(np.asarray(data["edges"], dtype=np.float64)),
            counts=_readonly(np.asarray(data["counts"], dtype=np.int64)),
            sample=_readonly(np.frombuffer(raw, dtype="<f8").astype(np.float64)),
            sample_limit=int(sample_part["limit"]),
            bins=int(data["bins"]),
            fine_edges=_readonly(fine_edges),
            fine_counts=_readonly(fine_counts),
        )


@dataclass(frozen=True, slots=True)
class CategoricalSummary:
    """Category counts (values as strings), most frequent first, at most ``top_k`` of them.

    ``other`` counts the values of categories that did not fit. Counts are
    exact while a column has at most ``top_k`` distinct values; beyond, a kept
    category may be undercounted by at most ``other``.
    """

    counts: Mapping[str, int]
    other: int = 0
    top_k: int = DEFAULT_TOP_K

    def merge(self, other: CategoricalSummary) -> CategoricalSummary:
        """Summary of both value sets, truncated to the larger ``top_k``."""
        summed = dict(self.counts)
        for key, value in other.counts.items():
            summed[key] = summed.get(key, 0) + value
        top_k = max(self.top_k, other.top_k)
        kept, moved = truncate_categories(summed, top_k)
        return CategoricalSummary(kept, self.other + other.other + moved, top_k)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"counts": dict(self.counts), "other": self.other, "top_k": self.top_k}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CategoricalSummary:
        """Rebuild from ``to_dict`` output; raises ValueError/KeyError/TypeError on bad input."""
        counts = data["counts"]
        if not isinstance(counts, Mapping):
            raise TypeError(f"'counts' must be an object of category: count, got {counts!r}")
        parsed = {str(k): _count(v) for k, v in counts.items()}
        return cls(
            dict(sorted(parsed.items(), key=lambda kv: (-kv[1], kv[0]))),
            _count(data["other"]),
            int(data["top_k"]),
        )


def _pick(choose: Any, a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return float(choose(a, b))


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a count (an integer >= 0), got {value!r}")
    return value


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
