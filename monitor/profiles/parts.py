"""Merging a profile's optional parts (joint sample, performance, estimator, embeddings, texts).

A part absent from one side that had rows cannot be merged, so the merged
profile goes without it rather than pretend it covers every row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

import numpy as np

from monitor.profiles.estimation.estimator import Estimator

__all__ = ["merge_named", "merge_part", "same_estimator", "sum_states"]


class _Mergeable(Protocol):
    def merge(self: _Part, other: _Part) -> _Part | None: ...


_Part = TypeVar("_Part", bound=_Mergeable)


def merge_named(a: Mapping[str, _Part], b: Mapping[str, _Part]) -> dict[str, _Part]:
    """The named parts both sides hold (embeddings, texts), merged; one a side lacks, or that
    cannot merge (an embedding of another size), is dropped."""
    merged = {k: a[k].merge(b[k]) for k in a if k in b}
    return {k: v for k, v in merged.items() if v is not None}


def same_estimator(a: Estimator | None, b: Estimator | None) -> Estimator | None:
    """Two parts' estimator when they share it (a merged reference is not refitted)."""
    if a is b:
        return a
    if a is None or b is None:
        return None
    return a if a.to_dict() == b.to_dict() else None


def sum_states(a: np.ndarray | None, b: np.ndarray | None, rows_a: int, rows_b: int
                ) -> np.ndarray | None:
    """Two parts' estimation states added up (a part without one is fine when empty)."""
    if a is None or b is None:
        return merge_part(a, b, rows_a, rows_b)  # type: ignore[no-any-return]
    return a + b if a.shape == b.shape else None


def merge_part(a: Any, b: Any, rows_a: int, rows_b: int) -> Any:
    """Merge optional parts; a part absent from a side that had rows cannot be merged."""
    if a is None or b is None:
        if (a is None and rows_a) or (b is None and rows_b):
            return None
        return a if a is not None else b
    return a.merge(b)
