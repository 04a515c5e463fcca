"""Order-statistic tests read from fine histograms, with every row counted.

Two windows counted on the same fine edges (``monitor.profiles.fine``) give
both CDFs exactly at every edge. KS, Mann–Whitney, Cramér–von Mises and
Anderson–Darling are computed here as scipy computes them on the raw values,
treating the values inside one fine bin as tied (scipy's midrank rules), and
with the full counts ``n``: the statistic differs from the raw-data one only
by what happens inside a bin, at most the largest mass one bin holds
(1e-4 of the reference), and not at all when every bin holds a single value
(a reference with few distinct values, and a window holding none it never saw).
The p-values use scipy's large-sample distributions, as scipy does at these
sizes (binned tests run only when a window holds more values than its sample).

References: Smirnov (1948); Mann & Whitney (1947); T. W. Anderson, Ann.
Math. Statist. 33 (1962); Scholz & Stephens, JASA 82 (1987).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from monitor.profiles import NumericSummary
from monitor.stats.kolmogorov import ks_p_value

__all__ = [
    "Binned",
    "anderson_binned",
    "binned_of",
    "cramervonmises_binned",
    "ks_binned",
    "mannwhitney_binned",
    "wasserstein_binned",
]


@dataclass(frozen=True, slots=True)
class Binned:
    """Two windows' counts on the same fine edges (``len(edges) + 1`` bins each).

    ``low``/``high`` are the smallest and largest finite values of either
    window, which bound the two open outer bins.
    """

    edges: np.ndarray
    reference: np.ndarray
    current: np.ndarray
    low: float
    high: float

    @property
    def sizes(self) -> tuple[int, int]:
        return int(self.reference.sum()), int(self.current.sum())


def binned_of(reference: NumericSummary, current: NumericSummary) -> Binned | None:
    """The two fine histograms, when both windows have them on the same edges and a sample
    no longer holds every value (while both do, the samples give scipy's exact results)."""
    if not (reference.has_fine and current.has_fine):
        return None
    if not np.array_equal(reference.fine_edges, current.fine_edges):
        return None
    n1, n2 = int(reference.fine_counts.sum()), int(current.fine_counts.sum())
    if not n1 or not n2 or (reference.sample.size >= n1 and current.sample.size >= n2):
        return None
    assert reference.min is not None and current.min is not None
    assert reference.max is not None and current.max is not None
    return Binned(reference.fine_edges, reference.fine_counts, current.fine_counts,
                  min(reference.min, current.min), max(reference.max, current.max))


def _occupied(binned: Binned) -> tuple[np.ndarray, np.ndarray]:
    """The counts of the bins either window has values in (empty bins change nothing)."""
    keep = (binned.reference + binned.current) > 0
    return binned.reference[keep].astype(np.float64), binned.current[keep].astype(np.float64)


def ks_binned(binned: Binned) -> tuple[float, float]:
    """KS distance ``max |F_ref − F_cur|`` over the edges, and scipy's p-value for it."""
    n1, n2 = binned.sizes
    differences = np.cumsum(binned.reference) / n1 - np.cumsum(binned.current) / n2
    statistic = float(np.abs(differences).max())
    return statistic, ks_p_value(statistic, n1, n2)


def mannwhitney_binned(binned: Binned) -> tuple[float, float]:
    """U of the reference and scipy's two-sided asymptotic p-value (ties, continuity)."""
    r, c = _occupied(binned)
    n1, n2 = float(r.sum()), float(c.sum())
    below = np.cumsum(c) - c
    u1 = float(np.sum(r * (below + c / 2.0)))
    n = n1 + n2
    ties = r + c
    tie_term = float(np.sum(ties**3 - ties)) / (n * (n - 1))
    sigma = math.sqrt(n1 * n2 / 12.0 * ((n + 1) - tie_term))
    u = max(u1, n1 * n2 - u1)
    if sigma == 0:
        return u1, 1.0
    z = (u - n1 * n2 / 2.0 - 0.5) / sigma
    return u1, float(min(1.0, 2 * special.ndtr(-z)))


def cramervonmises_binned(binned: Binned) -> tuple[float, float]:
    """scipy's ``cramervonmises_2samp`` statistic T (midranks) and asymptotic p-value."""
    r, c = _occupied(binned)
    nx, ny = float(r.sum()), float(c.sum())
    ref_before, cur_before = np.cumsum(r) - r, np.cumsum(c) - c
    tied = r + c
    # Sum over the values of one window in a bin of (midrank − own rank)²: with
    # d = midrank − ranks before, that is Σ_{j=1..m} (d − j)².
    midrank_offset = (tied + 1) / 2.0
    u = (nx * _squares(cur_before + midrank_offset, r)
         + ny * _squares(ref_before + midrank_offset, c))
    k, n = nx * ny, nx + ny
    t = u / (k * n) - (4 * k - 1) / (6 * n)
    expected = (1 + 1 / n) / 6
    variance = (n + 1) * (4 * k * n - 3 * (nx**2 + ny**2) - 2 * k) / (45 * n**2 * 4 * k)
    normalised = 1 / 6 + (t - expected) / math.sqrt(45 * variance)
    p_value = 1.0 if normalised < 0.003 else max(0.0, 1.0 - _cdf_cvm_inf(normalised))
    return float(t), float(min(1.0, p_value))


def _squares(offset: np.ndarray, m: np.ndarray) -> float:
    """Σ over bins of Σ_{j=1..m} (offset − j)², in closed form."""
    total = m * offset**2 - offset * m * (m + 1) + m * (m + 1) * (2 * m + 1) / 6.0
    return float(np.sum(total))


def _cdf_cvm_inf(x: float) -> float:
    """CDF of the limiting Cramér–von Mises law (Csörgő & Faraway 1996), as scipy sums it."""
    total, k = 0.0, 0
    while True:
        log_ratio = float(special.gammaln(k + 0.5) - special.gammaln(k + 1))
        u = math.exp(log_ratio) / (math.pi**1.5 * math.sqrt(x))
        y = 4 * k + 1
        q = y**2 / (16 * x)
        term = u * math.sqrt(y) * math.exp(-q) * float(special.kv(0.25, q))
        total += term
        if abs(term) < 1e-7:
            return float(total)
        k += 1


def anderson_binned(binned: Binned) -> float:
    """scipy's standardised 2-sample Anderson–Darling statistic (midrank version)."""
    r, c = _occupied(binned)
    sizes = np.array([r.sum(), c.sum()])
    n = float(sizes.sum())
    tied = r + c
    midpoint = np.cumsum(tied) - tied / 2.0
    denominator = midpoint * (n - midpoint) - n * tied / 4.0
    usable = denominator > 0
    a2kn = 0.0
    for counts, size in zip((r, c), sizes, strict=True):
        below_mid = np.cumsum(counts) - counts / 2.0
        inner = tied / n * (n * below_mid - midpoint * size) ** 2
        a2kn += float(np.sum(inner[usable] / denominator[usable])) / size
    a2kn *= (n - 1.0) / n
    return (a2kn - 1.0) / math.sqrt(_anderson_variance(int(n), sizes))


def _anderson_variance(n: int, sizes: np.ndarray) -> float:
    """Variance of A²kN under the null for k = 2 (Scholz & Stephens, eq. 4), as in scipy."""
    k = 2
    h_sum = float(np.sum(1.0 / sizes))
    harmonic = np.cumsum(1.0 / np.arange(n - 1, 1, -1, dtype=np.float64))
    h = float(harmonic[-1]) + 1
    g = float(np.sum(harmonic / np.arange(2, n, dtype=np.float64)))
    a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * h_sum
    b = (2 * g - 4) * k**2 + 8 * h * k + (2 * g - 14 * h - 4) * h_sum - 8 * h + 4 * g - 6
    c = (6 * h + 2 * g - 2) * k**2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * h_sum + 4 * h
    d = (2 * h + 6) * k**2 - 4 * h * k
    return (a * n**3 + b * n**2 + c * n + d) / ((n - 1.0) * (n - 2.0) * (n - 3.0))


def wasserstein_binned(binned: Binned) -> float:
    """``∫ |F_ref − F_cur|`` with each CDF constant across a bin (linear in the outer two).

    Exact when every bin holds a single value; otherwise off by at most the
    sum over bins of width × larger mass.
    """
    n1, n2 = binned.sizes
    differences = np.cumsum(binned.reference) / n1 - np.cumsum(binned.current) / n2
    widths = np.diff(binned.edges)
    inner = float(np.sum(np.abs(differences[1:-1]) * widths))
    below = abs(float(differences[0])) * max(0.0, float(binned.edges[0]) - binned.low) / 2
    above = (abs(float(differences[-2])) * max(0.0, binned.high - float(binned.edges[-1])) / 2)
    return inner + below + above
