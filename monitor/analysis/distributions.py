"""The report document: a comparison plus the distributions a chart draws, as plain JSON.

``report_document`` is the ``monitor compare --format json`` document
(``Comparison.to_dict``) with three more keys: ``distributions`` (per
compared column, the reference's and the current shares on the same bins or
categories), ``segments`` (one line per segment) and ``extra_columns``. The
HTML report (``monitor.report``) renders it, and the daemon stores it with
each run so that the console draws the same page later without the profiles.

**Numbers.** Shares are of the column's valid values (missing, invalid and
±inf left out). A numeric column keeps the reference's bins (at most
``MAX_BINS``; adjacent bins are merged beyond) and the shares below the first
and above the last edge, so ``sum(reference) + below + above == 1``. A
categorical column keeps the ``MAX_CATEGORIES`` categories largest on either
side (a category new in the current data ranks by its current share) and
pools the rest into ``other``. Shares and edges keep 6 significant digits
(edges more where 6 would merge two of them); non-finite numbers are null.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from monitor.analysis.comparison import Comparison
from monitor.errors import ProfileError
from monitor.profiles import ColumnProfile, Profile
from monitor.stats.base import histogram_tables

__all__ = ["MAX_BINS", "MAX_CATEGORIES", "report_document"]

MAX_BINS = 50
"""Most bins a numeric distribution keeps; more are merged with their neighbours."""
MAX_CATEGORIES = 20
"""Most categories a categorical distribution names; the rest are pooled in ``other``."""
_DIGITS = 6


def report_document(
    comparison: Comparison,
    reference: Profile,
    current: Profile,
    *,
    reference_source: str,
    current_source: str,
    segments: Mapping[str, Comparison] | None = None,
) -> dict[str, Any]:
    """The comparison's JSON document with the distributions of its columns and its segments.

    Args:
        comparison: ``compare(reference, current, ...)``.
        reference, current: the profiles compared (``current`` binned on the
            reference's edges, as ``compare`` requires).
        reference_source, current_source: what the two sides were read from.
        segments: each segment's comparison, by key (``state=CA``).

    Raises:
        ProfileError: a compared column is missing from a profile or was not
            binned on the reference's edges (``compare`` refuses those too).
    """
    document = comparison.to_dict(reference_source, current_source)
    document["distributions"] = {
        c.column: _distribution(_column(reference, c.column, "reference"),
                                      _column(current, c.column, "current"))
        for c in comparison.columns
    }
    document["segments"] = [
        {"segment": key, "rows": part.current_rows, "drift_share": _rounded(part.drift_share),
         "dataset_drift": part.dataset_drift,
         "drifted_columns": [c.column for c in part.drifted_columns]}
        for key, part in (segments or {}).items()
    ]
    document["extra_columns"] = list(comparison.extra_columns)
    return document


def _distribution(reference: ColumnProfile, current: ColumnProfile) -> dict[str, Any]:
    """The shares of one column on both sides: histogram bins or categories."""
    if reference.numeric is not None:
        return _numeric(reference, current)
    return _categorical(reference, current)


def _column(profile: Profile, name: str, side: str) -> ColumnProfile:
    column = profile.columns.get(name)
    if column is None:
        raise ProfileError(f"column {name!r} was compared but the {side} profile lacks it; "
                           "pass the profiles the comparison was made of")
    return column


def _numeric(reference: ColumnProfile, current: ColumnProfile) -> dict[str, Any]:
    ref_counts, cur_counts = histogram_tables(reference, current, "distributions")
    assert reference.numeric is not None  # histogram_tables checked both
    edges = reference.numeric.edges
    ref, cur = _shares(ref_counts), _shares(cur_counts)
    ends = {}
    if ref.size == edges.size + 1:  # an open bin at each end (monitor.profiles.summaries)
        ends = {"below": {"reference": _rounded(ref[0]), "current": _rounded(cur[0])},
                "above": {"reference": _rounded(ref[-1]), "current": _rounded(cur[-1])}}
        ref, cur = ref[1:-1], cur[1:-1]
    edges, ref, cur = _merge_bins(edges, ref, cur, MAX_BINS)
    return {"kind": "numeric", "edges": _edges(edges), "reference": [_rounded(s) for s in ref],
            "current": [_rounded(s) for s in cur], **ends}


def _merge_bins(
    edges: np.ndarray, reference: np.ndarray, current: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At most ``limit`` bins: every run of ``ceil(bins / limit)`` neighbours summed into one.

    >>> edges, ref, cur = _merge_bins(np.arange(6.0), np.ones(5), np.arange(5.0), 2)
    >>> edges.tolist(), ref.tolist(), cur.tolist()
    ([0.0, 3.0, 5.0], [3.0, 2.0], [3.0, 7.0])
    """
    bins = reference.size
    if bins <= limit:
        return edges, reference, current
    width = math.ceil(bins / limit)
    starts = np.arange(0, bins, width)
    kept = np.append(edges[starts], edges[-1])
    return kept, np.add.reduceat(reference, starts), np.add.reduceat(current, starts)


def _categorical(reference: ColumnProfile, current: ColumnProfile) -> dict[str, Any]:
    ref, cur = reference.categorical, current.categorical
    if ref is None or cur is None:
        raise ProfileError(f"a {reference.kind} column cannot be compared with a "
                           f"{current.kind} one")
    ref_total = sum(ref.counts.values()) + ref.other
    cur_total = sum(cur.counts.values()) + cur.other
    ref_share = {k: v / ref_total for k, v in ref.counts.items()} if ref_total else {}
    cur_share = {k: v / cur_total for k, v in cur.counts.items()} if cur_total else {}
    names = [k for k in dict.fromkeys([*ref.counts, *cur.counts])
             if ref_share.get(k, 0.0) > 0 or cur_share.get(k, 0.0) > 0]
    names.sort(key=lambda k: -max(ref_share.get(k, 0.0), cur_share.get(k, 0.0)))
    kept, pooled = names[:MAX_CATEGORIES], names[MAX_CATEGORIES:]
    other = {
        "reference": _rounded(_pooled(ref.other, ref_total, pooled, ref_share)),
        "current": _rounded(_pooled(cur.other, cur_total, pooled, cur_share)),
    }
    return {
        "kind": "categorical",
        "categories": kept,
        "reference": [_rounded(ref_share.get(k, 0.0)) for k in kept],
        "current": [_rounded(cur_share.get(k, 0.0)) for k in kept],
        "other": other,
    }


def _pooled(other: int, total: int, names: Sequence[str], shares: Mapping[str, float]) -> float:
    """The profile's own ``other`` plus the categories left out, as a share."""
    return (other / total if total else 0.0) + sum(shares.get(k, 0.0) for k in names)


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts)


def _edges(edges: np.ndarray) -> list[float | None]:
    """Edges to 6 significant digits, or more where 6 would make two distinct edges equal.

    >>> _edges(np.array([0.1234567, 1.0])), _edges(np.array([1733100000.0, 1733100600.0]))
    ([0.123457, 1.0], [1733100000.0, 1733100600.0])
    """
    distinct = len(set(edges.tolist()))
    for digits in (_DIGITS, 9, 12, 17):
        rounded = [_rounded(e, digits) for e in edges]
        if len(set(rounded)) == distinct:
            return rounded
    return [_rounded(e, 17) for e in edges]


def _rounded(value: float | None, digits: int = _DIGITS) -> float | None:
    """``value`` to ``digits`` significant digits; None for None, NaN and ±inf.

    >>> _rounded(0.123456789), _rounded(float("nan")), _rounded(123456789.0)
    (0.123457, None, 123457000.0)
    """
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")
