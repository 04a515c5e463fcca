"""Data-quality checks: a current profile against its reference, check by check.

Checks and their values (a check passes when its value is at most its
maximum, or for ``min_rows`` when the rows reach the minimum):

- ``min_rows``: rows in the window. Always reported for an empty window.
- ``missing_column``: a reference column absent from the current data
  (value 1.0, always failed). Runs always; reported only for absent columns.
  Not run on an empty window, whose columns cannot be known.
- ``missing_share``: null/NaN values over rows (1.0 on an empty window).
  A column with no value at all in a window that has rows, where the
  reference has values, is reported even when not configured (value 1.0,
  failed, no threshold), as a missing column is: both mean the data stopped
  arriving, and neither can be tested for drift.
- ``type_mismatch_share``: non-null values that could not be read as the
  reference kind over all non-null values. Runs always, maximum 0.0 unless set.
- ``out_of_range_share`` (numeric, datetime, text length): values below the reference min or above
  its max, ±inf included, over finite and infinite values.
- ``new_category_share`` (categorical, boolean): values whose category the reference
  has not seen, over valid values. When a column has more categories than
  its profile keeps, those beyond count as new, so the share is an upper bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.checks import QualityResult
from monitor.errors import ProfileError
from monitor.profiles import CATEGORY_KINDS, NUMERIC_KINDS, ColumnProfile, Profile

__all__ = ["QualityOptions", "QualityResult", "check_quality"]


@dataclass(frozen=True, slots=True)
class QualityOptions:
    """Which checks run and their limits; None leaves a check out."""

    missing_share_max: float | None = None
    out_of_range_share_max: float | None = None
    new_category_share_max: float | None = None
    type_mismatch_share_max: float = 0.0
    min_rows: int | None = None

    def __post_init__(self) -> None:
        for name in (
            "missing_share_max", "out_of_range_share_max", "new_category_share_max",
            "type_mismatch_share_max",
        ):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a share between 0 and 1, got {value!r}")
        if self.min_rows is not None and self.min_rows < 0:
            raise ValueError(f"min_rows must be >= 0, got {self.min_rows!r}")


def check_quality(
    reference: Profile, current: Profile, options: QualityOptions = QualityOptions()
) -> list[QualityResult]:
    """Run the configured checks (and the always-on ones) of ``current`` against ``reference``."""
    results: list[QualityResult] = []
    if options.min_rows is not None or current.rows == 0:
        minimum = options.min_rows if options.min_rows is not None else 1
        results.append(
            QualityResult("min_rows", None, float(current.rows), float(minimum),
                          current.rows >= minimum)
        )
    for name, ref_column in reference.columns.items():
        column = current.columns.get(name)
        if current.rows == 0:
            if options.missing_share_max is not None:
                results.append(_at_most("missing_share", name, 1.0, options.missing_share_max))
        elif column is None:
            results.append(QualityResult("missing_column", name, 1.0, None, False))
        else:
            _require_same_kind(name, ref_column, column)
            results.extend(_column_checks(name, ref_column, column, current.rows, options))
    return results


def _column_checks(
    name: str, reference: ColumnProfile, current: ColumnProfile, rows: int,
    options: QualityOptions,
) -> list[QualityResult]:
    results = []
    present = current.count + current.invalid + current.nonfinite
    if options.missing_share_max is not None:
        results.append(
            _at_most("missing_share", name, current.missing / rows, options.missing_share_max)
        )
    elif present == 0 and reference.count + reference.invalid + reference.nonfinite > 0:
        results.append(QualityResult("missing_share", name, 1.0, None, False))
    mismatch = current.invalid / present if present else 0.0
    results.append(
        _at_most("type_mismatch_share", name, mismatch, options.type_mismatch_share_max)
    )
    if options.out_of_range_share_max is not None and reference.kind in NUMERIC_KINDS:
        results.append(_at_most("out_of_range_share", name, _out_of_range(name, reference, current),
                                options.out_of_range_share_max))
    if options.new_category_share_max is not None and reference.kind in CATEGORY_KINDS:
        results.append(_at_most("new_category_share", name, _new_categories(reference, current),
                                options.new_category_share_max))
    return results


def _at_most(check: str, column: str, value: float, maximum: float) -> QualityResult:
    return QualityResult(check, column, value, maximum, value <= maximum)


def _require_same_kind(name: str, reference: ColumnProfile, current: ColumnProfile) -> None:
    if reference.kind != current.kind:
        raise ProfileError(
            f"column {name!r} is {reference.kind} in the reference but {current.kind} in the "
            "current profile; profile the current data with ProfileBuilder(reference=...)"
        )


def _out_of_range(name: str, reference: ColumnProfile, current: ColumnProfile) -> float:
    summary, ref = current.numeric, reference.numeric
    if summary is None or ref is None:
        return 0.0
    if not np.array_equal(summary.edges, ref.edges) and current.count:
        raise ProfileError(
            f"column {name!r}: out_of_range_share needs the current values binned on the "
            "reference's edges; profile the current data with ProfileBuilder(reference=...)"
        )
    outside = summary.nonfinite
    if len(summary.counts):
        outside += int(summary.counts[0]) + int(summary.counts[-1])
    values = current.count + summary.nonfinite
    return outside / values if values else 0.0


def _new_categories(reference: ColumnProfile, current: ColumnProfile) -> float:
    if current.categorical is None or reference.categorical is None or current.count == 0:
        return 0.0
    known = reference.categorical.counts
    new = sum(n for k, n in current.categorical.counts.items() if k not in known)
    return (new + current.categorical.other) / current.count
