"""Mean and spread that merge: a count, a mean and a sum of squared deviations (``m2``).

Two parts of a data set summarised as ``(n, mean, m2)`` merge exactly into
the summary of the whole, without the values: that is how a column's
variance survives chunked reads, merged profiles and partial sums of labels.
The variance is ``m2 / n``. This is the one place the formula lives.

Reference: T. F. Chan, G. H. Golub, R. J. LeVeque, "Updating formulae and a
pairwise algorithm for computing sample variances", 1979.
"""

from __future__ import annotations

__all__ = ["merge_moments"]


def merge_moments(
    n_a: int, mean_a: float, m2_a: float, n_b: int, mean_b: float, m2_b: float
) -> tuple[float, float]:
    """The mean and ``m2`` of two parts together (0.0 and 0.0 when both are empty).

    >>> import numpy as np
    >>> a, b = np.array([1.0, 2.0, 4.0]), np.array([8.0, 16.0])
    >>> def m2(x): return float(((x - x.mean()) ** 2).sum())
    >>> mean, spread = merge_moments(3, a.mean(), m2(a), 2, b.mean(), m2(b))
    >>> both = np.concatenate([a, b])
    >>> bool(np.isclose(mean, both.mean()) and np.isclose(spread, m2(both)))
    True
    """
    total = n_a + n_b
    if total == 0:
        return 0.0, 0.0
    delta = mean_b - mean_a
    return mean_a + delta * n_b / total, m2_a + m2_b + delta * delta * n_a * n_b / total
