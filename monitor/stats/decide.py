"""Drift decisions: the ``auto`` method, multiple-testing correction, effect floors, drift share.

**auto** picks a test per column from its kind, its values and its counts,
at ``alpha`` = 0.05 after correction:

1. numeric, datetime and text-length columns with at most
   ``DISCRETE_VALUES`` = 10 distinct values in the reference (counts, flags,
   ratings) → chi-square on the histogram bins, which then hold one value
   each (KS is conservative on heavy ties);
2. other numeric columns → Kolmogorov–Smirnov on the samples;
3. categorical and boolean columns with two categories and an expected
   count below 5 in some cell (small windows) → Fisher's exact test;
4. other categorical and boolean columns → chi-square, sparse cells pooled
   (Cochran's rule) and those seen on one side only tested apart (see
   ``monitor.stats.categorical``).

A p-value alone flags any shift once a window is large enough, so ``auto``
also asks for a change large enough to matter (the effect floor):

- KS: the distribution moved by at least ``NUMERIC_SHIFT_FLOOR`` = 0.05
  reference standard deviations (normed Wasserstein distance) or KS D is at
  least ``KS_STATISTIC_FLOOR`` = 0.05 (a change of shape a wide spread hides);
- chi-square and Fisher: at least ``CATEGORICAL_SHIFT_FLOOR`` = 0.015 of the
  values changed category or bin (total variation distance: 1.5 points).

So on large windows a mean shift of 0.1 σ (distance 0.1), a variance × 1.2
(about 0.075) and a category share moving 5 points (0.05) are flagged, while
a 0.02 σ shift (0.02) is not. A method named explicitly is used as is: a
p-value method drifts when its corrected p-value is below the threshold, a
distance method when its statistic reaches the threshold. ``min_effect``
(per column or for all) sets the floor of any method, ``auto`` included.

**Correction.** The p-values of every column scored by a p-value method are
corrected together: ``holm`` (default; family-wise error at most alpha),
``bh`` (Benjamini–Hochberg; false discovery rate at most alpha) or ``none``.
Decisions compare the adjusted p-values with each column's threshold.

References: S. Holm, "A simple sequentially rejective multiple test
procedure", Scand. J. Statist. 6 (1979); Y. Benjamini, Y. Hochberg,
"Controlling the false discovery rate", J. R. Statist. Soc. B 57 (1995);
W. G. Cochran, "Some methods for strengthening the common χ² tests",
Biometrics 10 (1954).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitor.profiles import CATEGORY_KINDS, KINDS, NUMERIC_KINDS, ColumnProfile
from monitor.stats.base import Method, StatResult, category_tables
from monitor.stats.categorical import MIN_EXPECTED
from monitor.stats.registry import get_method

__all__ = [
    "CATEGORICAL_SHIFT_FLOOR",
    "CORRECTIONS",
    "DEFAULT_ALPHA",
    "DEFAULT_DRIFT_SHARE",
    "DISCRETE_VALUES",
    "KS_STATISTIC_FLOOR",
    "NUMERIC_SHIFT_FLOOR",
    "Decision",
    "Trial",
    "adjust_p_values",
    "auto_method",
    "choose_auto",
    "dataset_drift",
    "decide_drift",
    "drift_share",
    "meets_effect_floor",
]

DEFAULT_ALPHA = 0.05
DEFAULT_DRIFT_SHARE = 0.5
NUMERIC_SHIFT_FLOOR = 0.05
KS_STATISTIC_FLOOR = 0.05
CATEGORICAL_SHIFT_FLOOR = 0.015
DISCRETE_VALUES = 10
CORRECTIONS = ("holm", "bh", "none")
_SAMPLE_TESTS = frozenset({"ks", "anderson", "cramervonmises", "mannwhitney", "ttest"})
_TABLE_TESTS = frozenset({"chisquare", "gtest", "ztest", "fisher"})


@dataclass(frozen=True, slots=True)
class Trial:
    """One scored column awaiting its decision.

    ``min_effect`` is the effect floor set in the rules; None leaves ``auto``
    trials with their default floor and other trials with none.
    """

    result: StatResult
    method: Method
    threshold: float
    auto: bool = False
    min_effect: float | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The decision on one column: the p-value after correction (None for distances)."""

    p_value: float | None
    drifted: bool


def auto_method(kind: str) -> Method:
    """The method ``auto`` uses for a column of ``kind`` with many values and large counts."""
    if kind in NUMERIC_KINDS:
        return get_method("ks")
    if kind in CATEGORY_KINDS:
        return get_method("chisquare")
    raise ValueError(f"no automatic method for column kind '{kind}'; known kinds: "
                     f"{', '.join(sorted(KINDS))}")


def choose_auto(reference: ColumnProfile, current: ColumnProfile) -> Method:
    """The method ``auto`` uses for this pair of columns (rules in the module docstring)."""
    kind = reference.kind
    if kind in NUMERIC_KINDS:
        summary = reference.numeric
        if summary is not None and np.unique(summary.sample).size <= DISCRETE_VALUES:
            return get_method("chisquare")
        return get_method("ks")
    if kind in CATEGORY_KINDS and reference.count and current.count:
        ref, cur = category_tables(reference, current, "auto")
        if ref.size <= 2:
            total = ref.sum() + cur.sum()
            expected = np.outer([ref.sum(), cur.sum()], ref + cur) / total
            if expected.min() < MIN_EXPECTED:
                return get_method("fisher")
    return auto_method(kind)


def adjust_p_values(p_values: Sequence[float], correction: str) -> list[float]:
    """Adjusted p-values for ``holm``, ``bh`` or ``none``, in the input order.

    >>> adjust_p_values([0.01, 0.04, 0.03], "holm")
    [0.03, 0.06, 0.06]
    >>> [round(p, 6) for p in adjust_p_values([0.01, 0.04, 0.03], "bh")]
    [0.03, 0.04, 0.04]
    """
    if correction not in CORRECTIONS:
        raise ValueError(
            f"unknown correction '{correction}'; use one of: {', '.join(CORRECTIONS)}"
        )
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0 or correction == "none":
        return [float(x) for x in p]
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if correction == "holm":
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        adjusted = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return [float(x) for x in out]


def meets_effect_floor(result: StatResult, min_effect: float | None = None) -> bool:
    """Whether a result shows a change large enough to report (see the module docstring).

    With ``min_effect`` the effect size must reach it; without, the default
    floor of the method applies.
    """
    effect = result.effect_size if result.effect_size is not None else 0.0
    if min_effect is not None:
        return effect >= min_effect
    if result.method == "ks":
        return effect >= NUMERIC_SHIFT_FLOOR or result.statistic >= KS_STATISTIC_FLOOR
    if result.method in _SAMPLE_TESTS:
        return effect >= NUMERIC_SHIFT_FLOOR
    if result.method in _TABLE_TESTS:
        return effect >= CATEGORICAL_SHIFT_FLOOR
    return True


def decide_drift(trials: Sequence[Trial], correction: str = "holm") -> list[Decision]:
    """Decide every column at once, correcting the p-values of p-value methods together."""
    tested = [i for i, t in enumerate(trials) if t.method.kind_of_threshold == "p_value"]
    raw = [_p_value(trials[i]) for i in tested]
    adjusted = dict(zip(tested, adjust_p_values(raw, correction), strict=True))
    decisions = []
    for i, trial in enumerate(trials):
        floor_applies = trial.auto or trial.min_effect is not None
        big_enough = not floor_applies or meets_effect_floor(trial.result, trial.min_effect)
        # bool(): a statistic that is a numpy float compares to numpy's bool, which JSON refuses.
        if i in adjusted:
            p = adjusted[i]
            decisions.append(Decision(p, bool(p < trial.threshold and big_enough)))
        else:
            decisions.append(Decision(None, bool(trial.result.statistic >= trial.threshold
                                                 and big_enough)))
    return decisions


def drift_share(drifted: int, compared: int) -> float:
    """Share of compared columns that drifted (0 when none were compared)."""
    return drifted / compared if compared else 0.0


def dataset_drift(share: float, compared: int, threshold: float = DEFAULT_DRIFT_SHARE) -> bool:
    """Whether the dataset as a whole drifted: some columns compared and share >= threshold."""
    return compared > 0 and share >= threshold


def _p_value(trial: Trial) -> float:
    p = trial.result.p_value
    if p is None or not np.isfinite(p):
        return 1.0
    return p
