"""Multivariate drift: changes no single column shows, read from the joint row samples.

Both methods read the ``JointSample`` of the reference and current profiles
(whole rows of the numeric columns both have, at most 2 000 by default), so
their power does not grow with the window and a p-value threshold alone
decides. Values are standardised with the reference's mean and standard
deviation; a missing value becomes the reference mean (0 after
standardising).

- ``pca``: principal components are fitted on half of the reference rows,
  keeping those that explain ``variance_kept`` = 90 % of the variance. Each
  row's reconstruction error is its distance to that subspace. The errors of
  the current rows are compared with those of the held-out reference half by
  a two-sided Mann–Whitney test; ``statistic`` is the ratio of mean errors
  (1 when nothing changed). A broken correlation raises the error although
  every column keeps its own distribution.
- ``domain_classifier``: a logistic regression on the standardised values
  and their squares learns to tell reference rows from current rows on half
  of each; on the other halves its ROC AUC is the ``statistic`` (0.5: the
  two cannot be told apart) and the one-sided Mann–Whitney test of the
  current scores being higher is its exact p-value (the held-out rows never
  trained the model). ``effect_size`` is ``AUC − 0.5``.

References: NannyML, "Data reconstruction with PCA" (2022); D. Lopez-Paz,
M. Oquab, "Revisiting classifier two-sample tests", ICLR (2017).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.profiles import JointSample
from monitor.stats.base import StatResult, ThresholdKind

__all__ = [
    "MIN_JOINT_ROWS",
    "DomainClassifier",
    "MultivariateMethod",
    "PcaReconstruction",
    "get_multivariate",
    "held_out_auc",
    "known_multivariate",
]

MIN_JOINT_ROWS = 20


@dataclass(frozen=True, slots=True)
class _Design:
    """Standardised reference and current rows over the shared columns."""

    reference: np.ndarray
    current: np.ndarray
    columns: tuple[str, ...]


def _design(reference: JointSample, current: JointSample) -> _Design | None:
    shared = [c for c in reference.columns if c in current.columns]
    ref = np.column_stack([reference.column(c) for c in shared]) if shared else None
    cur = np.column_stack([current.column(c) for c in shared]) if shared else None
    if ref is None or cur is None or len(ref) < MIN_JOINT_ROWS or len(cur) < MIN_JOINT_ROWS:
        return None
    with np.errstate(all="ignore"):
        mean = np.nanmean(ref, axis=0)
        spread = np.nanstd(ref, axis=0)
    varies = np.isfinite(spread) & (spread > 0)
    if np.count_nonzero(varies) < 2:
        return None
    columns = tuple(c for c, keep in zip(shared, varies, strict=True) if keep)

    def standardise(rows: np.ndarray) -> np.ndarray:
        z = (rows[:, varies] - mean[varies]) / spread[varies]
        finite: np.ndarray = np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)
        return finite

    return _Design(standardise(ref), standardise(cur), columns)


def _halves(size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(size)
    return order[: size // 2], order[size // 2:]


class PcaReconstruction:
    """PCA reconstruction-error drift (see the module docstring).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(1000, 1))
    >>> ref = JointSample(("a", "b"), np.hstack([x, x + rng.normal(0, .1, (1000, 1))]), 1000)
    >>> cur = JointSample(("a", "b"), rng.normal(size=(1000, 2)), 1000)
    >>> result = PcaReconstruction().score(ref, cur)
    >>> result.statistic > 5 and result.p_value < 1e-9
    True
    """

    name = "pca"
    kind_of_threshold: ThresholdKind = "p_value"
    default_threshold = 0.05

    def __init__(self, variance_kept: float = 0.9, seed: int = 0) -> None:
        self.variance_kept = variance_kept
        self.seed = seed

    def score(self, reference: JointSample, current: JointSample) -> StatResult | None:
        """Compare reconstruction errors; None when there are too few rows or columns."""
        design = _design(reference, current)
        if design is None:
            return None
        fit, held_out = _halves(len(design.reference), np.random.default_rng(self.seed))
        basis_rows = design.reference[fit]
        center = basis_rows.mean(axis=0)
        _, singular, vt = np.linalg.svd(basis_rows - center, full_matrices=False)
        explained = np.cumsum(singular**2) / max(float(np.sum(singular**2)), 1e-300)
        keep = min(int(np.searchsorted(explained, self.variance_kept) + 1), vt.shape[0] - 1)
        basis = vt[: max(keep, 1)]

        def errors(rows: np.ndarray) -> np.ndarray:
            centered = rows - center
            distances: np.ndarray = np.linalg.norm(centered - (centered @ basis.T) @ basis, axis=1)
            return distances

        from scipy import stats as sps  # imported on use: see monitor.stats.kolmogorov

        ref_errors, cur_errors = errors(design.reference[held_out]), errors(design.current)
        baseline = float(ref_errors.mean())
        ratio = float(cur_errors.mean()) / baseline if baseline > 0 else 1.0
        result = sps.mannwhitneyu(cur_errors, ref_errors, alternative="two-sided")
        return StatResult(self.name, ratio, float(result.pvalue), abs(ratio - 1.0))


class DomainClassifier:
    """Classifier two-sample test: can a model tell current rows from reference rows?

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = JointSample(("a", "b"), rng.normal(size=(1000, 2)), 1000)
    >>> cur = JointSample(("a", "b"), rng.normal(0.5, 1, size=(1000, 2)), 1000)
    >>> result = DomainClassifier().score(ref, cur)
    >>> 0.6 < result.statistic < 0.8 and result.p_value < 1e-9
    True
    """

    name = "domain_classifier"
    kind_of_threshold: ThresholdKind = "p_value"
    default_threshold = 0.05

    def __init__(self, penalty: float = 1e-2, seed: int = 0) -> None:
        self.penalty = penalty
        self.seed = seed

    def score(self, reference: JointSample, current: JointSample) -> StatResult | None:
        """Train on half of each side, score the other halves; None when too small."""
        design = _design(reference, current)
        if design is None:
            return None
        rng = np.random.default_rng(self.seed)
        ref_fit, ref_test = _halves(len(design.reference), rng)
        cur_fit, cur_test = _halves(len(design.current), rng)

        def features(rows: np.ndarray) -> np.ndarray:
            return np.hstack([rows, rows**2 - 1.0, np.ones((len(rows), 1))])

        x = features(np.vstack([design.reference[ref_fit], design.current[cur_fit]]))
        y = np.concatenate([np.zeros(len(ref_fit)), np.ones(len(cur_fit))])
        weights = np.where(y == 1, 0.5 / len(cur_fit), 0.5 / len(ref_fit))
        coef = self._fit(x, y, weights)
        ref_scores = features(design.reference[ref_test]) @ coef
        cur_scores = features(design.current[cur_test]) @ coef
        auc, p_value = held_out_auc(cur_scores, ref_scores)
        return StatResult(self.name, auc, p_value, max(0.0, auc - 0.5))

    def _fit(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Weighted logistic regression with an L2 penalty (intercept not penalised)."""
        from scipy import optimize, special

        penalised = np.ones(x.shape[1])
        penalised[-1] = 0.0

        def loss(coef: np.ndarray) -> tuple[float, np.ndarray]:
            margin = x @ coef
            value = np.sum(weights * (np.logaddexp(0.0, margin) - y * margin))
            gradient = x.T @ (weights * (special.expit(margin) - y))
            value += 0.5 * self.penalty * float(np.sum(penalised * coef**2))
            return float(value), gradient + self.penalty * penalised * coef

        start = np.zeros(x.shape[1])
        fitted: np.ndarray = optimize.minimize(loss, start, jac=True, method="L-BFGS-B").x
        return fitted


def held_out_auc(current: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """A classifier's ROC AUC on held-out scores and its exact p-value (the one-sided
    Mann–Whitney test of current scores being higher), for every domain classifier.

    >>> held_out_auc(np.array([2.0, 3.0]), np.array([0.0, 1.0]))
    (1.0, 0.16666666666666666)
    """
    from scipy import stats as sps

    result = sps.mannwhitneyu(current, reference, alternative="greater")
    return float(result.statistic) / (len(current) * len(reference)), float(result.pvalue)


MultivariateMethod = PcaReconstruction | DomainClassifier
_MULTIVARIATE: dict[str, type[MultivariateMethod]] = {
    "pca": PcaReconstruction, "domain_classifier": DomainClassifier}


def known_multivariate() -> list[str]:
    """The names of the multivariate methods, sorted."""
    return sorted(_MULTIVARIATE)


def get_multivariate(name: str) -> MultivariateMethod:
    """A multivariate method by name.

    Raises:
        ValueError: the name is unknown; the message lists the known ones.
    """
    try:
        return _MULTIVARIATE[name]()
    except KeyError:
        raise ValueError(f"unknown multivariate method '{name}'; known: "
                         f"{', '.join(known_multivariate())}") from None
