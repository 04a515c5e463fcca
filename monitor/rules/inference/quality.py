"""Data-quality limits a first monitor starts with: ones its own sample passes, with room.

A limit the reference data already breaks would fail every window from the
first, so each limit is read from the sample: missing values from the
column with the most, new categories from the Good–Turing estimate (the
share of rows whose value occurs once is about the share of values later
data brings that the sample never held).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from monitor.rules.inference.columns import (
    CATEGORICAL,
    FEATURE,
    PREDICTION,
    ColumnPlan,
)
from monitor.rules.inference.timing import Timing

__all__ = ["MISSING_SHARE", "OUT_OF_RANGE_SHARE", "QualityPlan", "choose_quality"]

MISSING_SHARE = 0.05
"""The missing-value limit when the sample leaves room for it."""
OUT_OF_RANGE_SHARE = 0.01
"""Share of numbers beyond the reference's extremes tolerated (its tails go a little further)."""
_MIN_ROWS_MOST = 500


@dataclass(frozen=True, slots=True)
class QualityPlan:
    """The ``quality:`` limits, each with the reason written next to it."""

    missing_share: float
    missing_reason: str
    out_of_range_share: float
    out_of_range_reason: str
    new_category_share: float
    new_category_reason: str
    min_rows: int
    min_rows_reason: str


def choose_quality(plan: ColumnPlan, timing: Timing) -> QualityPlan:
    """Limits for the columns ``plan`` profiles, at the rows per window ``timing`` expects."""
    checked = [c for c in plan.columns if c.role in (FEATURE, PREDICTION)]
    worst = max(checked, key=lambda c: c.missing_share, default=None)
    if worst is None or worst.missing_share == 0:
        missing, missing_why = MISSING_SHARE, "per column; none is missing in the sample"
    else:
        missing = max(MISSING_SHARE, _up(1.5 * worst.missing_share + 0.01))
        missing_why = f"per column; the sample's most: {worst.name}, {worst.missing_share:.1%}"
    categories = [c for c in checked if c.kind == CATEGORICAL]
    rare = max(categories, key=lambda c: c.new_value_share, default=None)
    if rare is None:
        new, new_why = 0.0, "no categorical column yet"
    elif rare.new_value_share == 0:
        new, new_why = 0.0, "every category of the sample occurs twice or more"
    else:
        new = max(0.01, _up(2 * rare.new_value_share))
        new_why = (f"{rare.new_value_share:.1%} of {rare.name} occur once: about the share of "
                   "unseen values to expect (Good-Turing)")
    if timing.rows_per_window is None:
        min_rows, rows_why = 100, "fewer rows say little: fit it to a window's rows"
    else:
        min_rows = max(1, min(_MIN_ROWS_MOST, round(timing.rows_per_window / 4)))
        rows_why = (f"a quarter of a window's ~{timing.rows_per_window:,.0f} rows; fewer "
                    "is no data")
    return QualityPlan(
        missing_share=min(1.0, missing), missing_reason=missing_why,
        out_of_range_share=OUT_OF_RANGE_SHARE,
        out_of_range_reason="numbers beyond the reference's min and max",
        new_category_share=min(1.0, new), new_category_reason=new_why,
        min_rows=min_rows, min_rows_reason=rows_why)


def _up(share: float) -> float:
    """A share rounded up to whole percent, so that the limit reads plainly."""
    return math.ceil(round(share * 100, 6)) / 100
