"""Drift decisions: the ``auto`` method, multiple-testing correction, effect floors, drift share.

**auto.** Numeric columns use Kolmogorov–Smirnov, categorical columns
chi-square, at ``alpha`` = 0.05 after correction. A p-value alone flags any
shift once a window is large enough, so ``auto`` also asks for a change
large enough to matter:

- numeric: KS drifts when ``p < alpha`` and the distribution moved by at
  least ``NUMERIC_SHIFT_FLOOR`` = 0.05 reference standard deviations
  (normed Wasserstein distance) or ``KS_STATISTIC_FLOOR`` = 0.05 (KS D, which
  catches changes of shape that a wide reference spread hides);
- categorical: chi-square drifts when ``p < alpha`` and at least
  ``CATEGORICAL_SHIFT_FLOOR`` = 0.015 of the values changed category (total
  variation distance: 1.5 points of share).

So on large windows a mean shift of 0.1 σ (distance 0.1), a variance × 1.2
(about 0.075) and a category share moving 5 points (0.05) are flagged, while
a 0.02 σ shift (0.02) is not. A method named explicitly is used as is: a
p-value method drifts when its corrected p-value is below the threshold, a
distance method when its statistic reaches the threshold.

**Correction.** The p-values of every column scored by a p-value method are
corrected together: ``holm`` (default; family-wise error at most alpha),
``bh`` (Benjamini–Hochberg; false discovery rate at most alpha) or ``none``.
Decisions compare the adjusted p-values with each column's threshold.

References: S. Holm, "A simple sequentially rejective multiple test
procedure", Scand. J. Statist. 6 (1979); Y. Benjamini, Y. Hochberg,
"Controlling the false discovery rate", J. R. Statist. Soc. B 57 (1995).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitor.profiles import CATEGORICAL, NUMERIC
from monitor.stats.base import Method, StatResult
from monitor.stats.registry import get_method

__all__ = [
    "CATEGORICAL_SHIFT_FLOOR",
    "CORRECTIONS",
    "DEFAULT_ALPHA",
    "DEFAULT_DRIFT_SHARE",
    "KS_STATISTIC_FLOOR",
    "NUMERIC_SHIFT_FLOOR",
    "Decision",
    "Trial",
    "adjust_p_values",
    "auto_method",
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
CORRECTIONS = ("holm", "bh", "none")
_AUTO_METHODS: dict[str, str] = {NUMERIC: "ks", CATEGORICAL: "chisquare"}


@dataclass(frozen=True, slots=True)
class Trial:
    """One scored column awaiting its decision."""

    result: StatResult
    method: Method
    threshold: float
    auto: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    """The decision on one column: the p-value after correction (None for distances)."""

    p_value: float | None
    drifted: bool


def auto_method(kind: str) -> Method:
    """The method ``auto`` uses for a column of ``kind``."""
    try:
        return get_method(_AUTO_METHODS[kind])
    except KeyError:
        raise ValueError(
            f"no automatic method for column kind '{kind}'; known kinds: "
            f"{', '.join(sorted(_AUTO_METHODS))}"
        ) from None


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


def meets_effect_floor(result: StatResult) -> bool:
    """Whether an ``auto`` result shows a change large enough to report (see module doc)."""
    effect = result.effect_size if result.effect_size is not None else 0.0
    if result.method == "ks":
        return effect >= NUMERIC_SHIFT_FLOOR or result.statistic >= KS_STATISTIC_FLOOR
    if result.method == "chisquare":
        return effect >= CATEGORICAL_SHIFT_FLOOR
    return True


def decide_drift(trials: Sequence[Trial], correction: str = "holm") -> list[Decision]:
    """Decide every column at once, correcting the p-values of p-value methods together."""
    tested = [i for i, t in enumerate(trials) if t.method.kind_of_threshold == "p_value"]
    raw = [_p_value(trials[i]) for i in tested]
    adjusted = dict(zip(tested, adjust_p_values(raw, correction), strict=True))
    decisions = []
    for i, trial in enumerate(trials):
        if i in adjusted:
            p = adjusted[i]
            drifted = p < trial.threshold and (not trial.auto or meets_effect_floor(trial.result))
            decisions.append(Decision(p, drifted))
        else:
            decisions.append(Decision(None, trial.result.statistic >= trial.threshold))
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
