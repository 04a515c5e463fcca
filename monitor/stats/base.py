"""The drift-method contract: a ``Method`` scores a reference column against a current one.

A method only scores; thresholds, multiple-testing correction and the drift
decision live in ``monitor.stats.decide``. The helpers here line up what
methods compare: the two samples, the two histograms on shared edges, or the
two category tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from monitor.errors import ProfileError
from monitor.profiles import ColumnProfile, NumericSummary

__all__ = [
    "Method",
    "StatResult",
    "ThresholdKind",
    "binary_table",
    "category_tables",
    "frequency_tables",
    "histogram_tables",
    "numeric_summaries",
]

ThresholdKind = Literal["p_value", "distance"]


@dataclass(frozen=True, slots=True)
class StatResult:
    """One method's verdict on one column.

    ``statistic`` is the method's own statistic; ``p_value`` is None for
    distance methods; ``effect_size`` says how large the change is on a scale
    that does not grow with the number of rows.
    """

    method: str
    statistic: float
    p_value: float | None
    effect_size: float | None


class Method(Protocol):
    """A drift method: its name, the column kinds it accepts and how its threshold reads.

    ``kind_of_threshold`` is ``"p_value"`` (drift when the p-value is below
    the threshold) or ``"distance"`` (drift when the statistic reaches it).
    """

    name: str
    kinds: frozenset[str]
    kind_of_threshold: ThresholdKind
    default_threshold: float

    def score(self, reference: ColumnProfile, current: ColumnProfile) -> StatResult:
        """Score ``current`` against ``reference``; both must hold at least one value."""
        ...


def numeric_summaries(
    reference: ColumnProfile, current: ColumnProfile, method: str
) -> tuple[NumericSummary, NumericSummary]:
    """The numeric summaries of both columns, or a ProfileError saying why not."""
    if reference.numeric is None or current.numeric is None:
        raise ProfileError(
            f"method '{method}' needs numeric columns, got {reference.kind} and {current.kind}"
        )
    if reference.count == 0 or current.count == 0:
        raise ProfileError(f"method '{method}' needs values on both sides, got none")
    return reference.numeric, current.numeric


def histogram_tables(
    reference: ColumnProfile, current: ColumnProfile, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """Bin counts of both columns on the reference's edges (open ends included)."""
    ref, cur = numeric_summaries(reference, current, method)
    if not np.array_equal(ref.edges, cur.edges):
        raise ProfileError(
            f"method '{method}' compares histograms, but the current column was binned on "
            "other edges than the reference; profile the current data with "
            "ProfileBuilder(reference=...) so both share the reference's edges"
        )
    return ref.counts.astype(np.float64), cur.counts.astype(np.float64)


def category_cells(
    reference: ColumnProfile, current: ColumnProfile, method: str
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The categories both sides are compared on, and each side's counts of them, with one
    ``other`` cell last (so the counts have one more entry than the names).

    When the reference kept only its most frequent categories (its ``other``
    is not empty), a category the current side has and the reference does not
    name may be one of those it dropped: it counts in the current ``other``,
    else a high-cardinality column (ids, e-mails) would differ from itself.
    """
    ref, cur = reference.categorical, current.categorical
    if ref is None or cur is None:
        raise ProfileError(
            f"method '{method}' needs categorical columns, got {reference.kind} and {current.kind}"
        )
    if reference.count == 0 or current.count == 0:
        raise ProfileError(f"method '{method}' needs values on both sides, got none")
    unnamed = [k for k in cur.counts if k not in ref.counts]
    hidden = sum(cur.counts[k] for k in unnamed) if ref.other else 0
    names = list(ref.counts) + ([] if ref.other else unnamed)
    ref_counts = np.array([ref.counts.get(k, 0) for k in names] + [ref.other], dtype=np.float64)
    cur_counts = np.array([cur.counts.get(k, 0) for k in names] + [cur.other + hidden],
                          dtype=np.float64)
    return names, ref_counts, cur_counts


def category_tables(
    reference: ColumnProfile, current: ColumnProfile, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """Counts of both columns over their categories (``category_cells``), plus one ``other``
    cell; cells empty on both sides are dropped."""
    _, ref_counts, cur_counts = category_cells(reference, current, method)
    keep = (ref_counts + cur_counts) > 0
    return ref_counts[keep], cur_counts[keep]


def frequency_tables(
    reference: ColumnProfile, current: ColumnProfile, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """Histogram bins for numeric columns, category cells for categorical ones."""
    if reference.kind != current.kind:
        raise ProfileError(
            f"method '{method}' cannot compare a {reference.kind} reference column "
            f"with a {current.kind} current one"
        )
    if reference.numeric is not None:
        return histogram_tables(reference, current, method)
    return category_tables(reference, current, method)


def binary_table(
    reference: ColumnProfile, current: ColumnProfile, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """Counts of the reference's most frequent category and of all others, on both sides.

    For a two-category column this is the column itself; for more, it asks
    whether the leading category's share moved.
    """
    ref, cur = category_tables(reference, current, method)
    lead = int(np.argmax(ref))
    return (np.array([ref[lead], ref.sum() - ref[lead]]),
            np.array([cur[lead], cur.sum() - cur[lead]]))
