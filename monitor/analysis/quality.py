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
- ``missing_share_increase`` (on by default, every column): the missing
  share rose clearly above the reference's own. Value: the current missing
  share; threshold: the reference share plus the floor below. It fails when
  both hold:

  * significant: a one-sided two-proportion z-test (pooled share) of the
    current share against the reference's gives p < 0.01 after Holm's
    correction over the columns tested (family-wise, so a 50-column table
    is not 50 chances of a false alarm);
  * large enough: the share rose by at least ``max(2 points, min(half the
    reference share, 10 points))``, i.e. by 2 points and by 1.5× the
    reference share, a rise of 10 points sufficing from a high share. Big
    windows make any wobble significant; a broken join or a field no
    longer sent moves the share by more than that (10% → 15%, 0% → 2%,
    40% → 50%), while 10% → 10.5% is never flagged.

  Not run for a column that is entirely missing (``missing_share`` reports it).
- ``type_mismatch_share``: non-null values that could not be read as the
  reference kind over all non-null values. Runs always, maximum 0.0 unless set.
- ``out_of_range_share`` (numeric, datetime, text length): values below the reference min or above
  its max, ±inf included, over finite and infinite values.
- ``new_category_share`` (categorical, boolean): values whose category the reference
  has not seen, over valid values. When a column has more categories than
  its profile keeps, those beyond count as new, so the share is an upper bound.
- ``new_category`` (on by default; categorical): one result per category the
  reference never saw, the ten largest first, the rest summed into one
  more result (``note`` says how many; ``samples`` names up to ten of them).
  Value: the category's share of the current valid values; ``samples``:
  the category; ``failing_rows``: its rows; threshold: 0.005. It fails when
  the share is at least 0.5%, it holds at least 5 rows, and the reference
  was large enough to have seen it: were both drawn alike, the chance that
  all its rows fell in the current window (hypergeometric, ``C(n_cur, m) /
  C(n_cur + n_ref, m)``) would be below 1%. So 1% of 5,000 rows fails,
  while one stray row in 100,000 passes (and is still listed). Only
  categories the current profile names are reported, and only when the
  reference kept all of its categories (``other`` = 0): a category beyond
  the reference's top-k may hide in its ``other`` count, so it cannot be
  called new.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from monitor.checks import QualityResult
from monitor.checks.plan import MAX_SAMPLES
from monitor.errors import ProfileError
from monitor.profiles import CATEGORICAL, CATEGORY_KINDS, NUMERIC_KINDS, ColumnProfile, Profile
from monitor.stats import adjust_p_values

__all__ = [
    "MISSING_INCREASE_ALPHA", "NEW_CATEGORY_ALPHA", "NEW_CATEGORY_LISTED", "NEW_CATEGORY_MIN_ROWS",
    "NEW_CATEGORY_MIN_SHARE", "QualityOptions", "QualityResult", "check_quality",
    "missing_increase_floor",
]

MISSING_INCREASE_ALPHA = 0.01
"""Level of the missing-share z-test, after Holm's correction over the columns."""
NEW_CATEGORY_MIN_SHARE = 0.005
NEW_CATEGORY_MIN_ROWS = 5
NEW_CATEGORY_ALPHA = 0.01
"""Largest chance that the reference missed a category by luck, for it to fail."""
NEW_CATEGORY_LISTED = 10


@dataclass(frozen=True, slots=True)
class QualityOptions:
    """Which checks run and their limits; None leaves a check out.

    ``missing_increase`` and ``new_categories`` switch the default
    ``missing_share_increase`` and ``new_category`` checks.
    """

    missing_share_max: float | None = None
    out_of_range_share_max: float | None = None
    new_category_share_max: float | None = None
    type_mismatch_share_max: float = 0.0
    min_rows: int | None = None
    missing_increase: bool = True
    new_categories: bool = True

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
    increases = _missing_increases(reference, current) if options.missing_increase else {}
    for name, ref_column in reference.columns.items():
        column = current.columns.get(name)
        if current.rows == 0:
            if options.missing_share_max is not None:
                results.append(_at_most("missing_share", name, 1.0, options.missing_share_max))
        elif column is None:
            results.append(QualityResult("missing_column", name, 1.0, None, False))
        else:
            _require_same_kind(name, ref_column, column)
            results.extend(_column_checks(name, ref_column, column, current.rows, options,
                                          increases.get(name)))
    return results


def _column_checks(
    name: str, reference: ColumnProfile, current: ColumnProfile, rows: int,
    options: QualityOptions, increase: QualityResult | None,
) -> list[QualityResult]:
    results = []
    present = current.count + current.invalid + current.nonfinite
    if options.missing_share_max is not None:
        results.append(
            _at_most("missing_share", name, current.missing / rows, options.missing_share_max)
        )
    elif present == 0 and reference.count + reference.invalid + reference.nonfinite > 0:
        results.append(QualityResult("missing_share", name, 1.0, None, False))
    if increase is not None:
        results.append(increase)
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
    if options.new_categories and reference.kind == CATEGORICAL:
        results.extend(_new_category_results(name, reference, current))
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


def missing_increase_floor(reference_share: float) -> float:
    """How far the missing share must rise above the reference's to count (module docstring).

    >>> [round(missing_increase_floor(s), 4) for s in (0.0, 0.1, 0.4)]
    [0.02, 0.05, 0.1]
    """
    return max(0.02, min(0.5 * reference_share, 0.10))


def _missing_increases(reference: Profile, current: Profile) -> dict[str, QualityResult]:
    """``missing_share_increase`` of every column tested, Holm-corrected together."""
    if current.rows == 0 or reference.rows == 0:
        return {}
    tested: list[tuple[str, float, float, float]] = []
    for name, ref_column in reference.columns.items():
        column = current.columns.get(name)
        if column is None or column.missing == current.rows:
            continue  # reported as missing_column or missing_share
        ref_share, share = ref_column.missing / reference.rows, column.missing / current.rows
        tested.append((name, ref_share, share,
                       _rise_p_value(ref_share, reference.rows, share, current.rows)))
    adjusted = adjust_p_values([p for *_, p in tested], "holm")
    out = {}
    for (name, ref_share, share, _), p in zip(tested, adjusted, strict=True):
        limit = min(1.0, ref_share + missing_increase_floor(ref_share))
        failed = p < MISSING_INCREASE_ALPHA and share >= limit
        note = (f"reference {ref_share:.2%} missing; one-sided z-test p = {p:.2g} "
                f"(Holm, {len(tested)} columns)")
        out[name] = QualityResult("missing_share_increase", name, share, limit, not failed,
                                  failing_rows=current.columns[name].missing, note=note)
    return out


def _rise_p_value(ref_share: float, ref_rows: int, share: float, rows: int) -> float:
    """One-sided two-proportion z-test (pooled share) that ``share`` exceeds ``ref_share``."""
    pooled = (ref_share * ref_rows + share * rows) / (ref_rows + rows)
    spread = math.sqrt(pooled * (1.0 - pooled) * (1.0 / ref_rows + 1.0 / rows))
    if spread == 0.0:
        return 1.0
    return float(special.ndtr(-(share - ref_share) / spread))


def _new_category_results(
    name: str, reference: ColumnProfile, current: ColumnProfile
) -> list[QualityResult]:
    """``new_category`` results: the categories the reference surely never saw."""
    ref, cur = reference.categorical, current.categorical
    if ref is None or cur is None or ref.other or current.count == 0:
        return []
    new = sorted(((k, n) for k, n in cur.counts.items() if n > 0 and k not in ref.counts),
                 key=lambda kv: (-kv[1], kv[0]))
    results = [_new_category(name, reference.count, current.count, rows, (category,), None)
               for category, rows in new[:NEW_CATEGORY_LISTED]]
    rest = new[NEW_CATEGORY_LISTED:]
    if rest:
        rows = sum(n for _, n in rest)
        note = f"{len(rest)} more new categories, {rows} rows in all"
        results.append(_new_category(name, reference.count, current.count, rows,
                                     tuple(k for k, _ in rest[:MAX_SAMPLES]), note))
    return results


def _new_category(
    name: str, ref_count: int, count: int, rows: int, samples: tuple[str, ...], note: str | None
) -> QualityResult:
    share, total = rows / count, count + ref_count
    # C(count, rows) / C(total, rows): the chance that all `rows` fell on the current side.
    missed = math.exp(math.lgamma(count + 1) - math.lgamma(count - rows + 1)
                      - math.lgamma(total + 1) + math.lgamma(total - rows + 1))
    failed = (share >= NEW_CATEGORY_MIN_SHARE and rows >= NEW_CATEGORY_MIN_ROWS
              and missed < NEW_CATEGORY_ALPHA)
    return QualityResult("new_category", name, share, NEW_CATEGORY_MIN_SHARE, not failed,
                         failing_rows=rows, samples=samples, note=note)
