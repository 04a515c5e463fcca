"""Column profiles from plain aggregates, for profiles computed where the data lives (SQL).

A database can compute counts, sums and histogram counts without sending the
rows; these functions turn such aggregates into ``ColumnProfile`` values that
compare and merge like profiles built from DataFrames. Give the mean and the
sum of squared deviations (``m2``) when the database can, or the sum and the
sum of squares (the variance then loses precision when the mean is large
against the spread).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from monitor.profiles.profile import CATEGORICAL, NUMERIC, ColumnProfile, Kind
from monitor.profiles.summaries import (
    DEFAULT_BINS,
    DEFAULT_SAMPLE_SIZE,
    DEFAULT_TOP_K,
    CategoricalSummary,
    NumericSummary,
    truncate_categories,
)

__all__ = ["categorical_column", "numeric_column"]


def numeric_column(
    *,
    count: int,
    missing: int = 0,
    invalid: int = 0,
    nonfinite: int = 0,
    minimum: float | None = None,
    maximum: float | None = None,
    total: float | None = None,
    total_of_squares: float | None = None,
    mean: float | None = None,
    m2: float | None = None,
    edges: Sequence[float] = (),
    counts: Sequence[int] = (),
    sample: Sequence[float] | np.ndarray = (),
    sample_limit: int = DEFAULT_SAMPLE_SIZE,
    kind: Kind = NUMERIC,
) -> ColumnProfile:
    """A numeric column profile from aggregates.

    ``counts`` are the histogram counts on ``edges`` with the two open ends:
    ``len(edges) + 1`` values (below ``edges[0]``, the bins, above
    ``edges[-1]``). ``sample`` is a uniform sample of the finite values (at
    most ``sample_limit``), needed by order-statistic methods (KS, ...).

    >>> column = numeric_column(count=3, minimum=1.0, maximum=3.0, total=6.0,
    ...                         total_of_squares=14.0, edges=[1.0, 3.0], counts=[0, 3, 0],
    ...                         sample=[1.0, 2.0, 3.0])
    >>> column.numeric.mean, column.numeric.variance(column.count)
    (2.0, 0.6666666666666666)
    """
    if mean is None or m2 is None:
        if total is None or total_of_squares is None:
            raise ValueError("give mean and m2, or total and total_of_squares")
        mean = total / count if count else 0.0
        m2 = max(total_of_squares - count * mean * mean, 0.0)
    edge_array = np.asarray(edges, dtype=np.float64)
    count_array = np.asarray(counts, dtype=np.int64)
    if len(edge_array) and len(count_array) != len(edge_array) + 1:
        raise ValueError(f"{len(edge_array)} edges need {len(edge_array) + 1} counts "
                         f"(open ends included), got {len(count_array)}")
    values = np.sort(np.asarray(sample, dtype=np.float64))
    summary = NumericSummary(minimum, maximum, float(mean), float(m2), nonfinite, edge_array,
                             count_array, values, sample_limit, max(len(edge_array) - 1,
                                                                    DEFAULT_BINS))
    return ColumnProfile(kind, count, missing, invalid, numeric=summary)


def categorical_column(
    counts: Mapping[str, int],
    *,
    missing: int = 0,
    invalid: int = 0,
    other: int = 0,
    top_k: int = DEFAULT_TOP_K,
    kind: Kind = CATEGORICAL,
) -> ColumnProfile:
    """A categorical column profile from category counts (categories beyond ``top_k`` pooled).

    >>> column = categorical_column({"a": 3, "b": 1, "c": 1}, top_k=2)
    >>> dict(column.categorical.counts), column.categorical.other, column.count
    ({'a': 3, 'b': 1}, 1, 5)
    """
    kept, moved = truncate_categories({str(k): int(v) for k, v in counts.items()}, top_k)
    summary = CategoricalSummary(kept, other + moved, top_k)
    return ColumnProfile(kind, sum(kept.values()) + other + moved, missing, invalid,
                         categorical=summary)
