"""Tests of the multivariate methods: PCA reconstruction error and the domain classifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitor.analysis.comparison import DriftOptions, compare
from monitor.profiles import JointSample, build_profile
from monitor.stats import DomainClassifier, PcaReconstruction, get_multivariate


def _correlated(n: int, rho: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cov = np.array([[1.0, rho, 0.0], [rho, 1.0, 0.0], [0.0, 0.0, 1.0]])
    return rng.multivariate_normal(np.zeros(3), cov, n)


def _joint(rows: np.ndarray) -> JointSample:
    return JointSample(("a", "b", "c"), rows, len(rows))


def test_pca_sees_a_broken_correlation_that_no_column_shows() -> None:
    """Marginals unchanged, correlation 0.9 → 0: the reconstruction error rises and is flagged."""
    reference, broken = _correlated(2000, 0.9, 1), _correlated(2000, 0.0, 2)
    result = PcaReconstruction().score(_joint(reference), _joint(broken))
    assert result is not None and result.statistic > 1.2 and result.p_value < 1e-6


@pytest.mark.parametrize("method", [PcaReconstruction(), DomainClassifier()])
def test_multivariate_false_alarms_stay_near_alpha(
    method: PcaReconstruction | DomainClassifier,
) -> None:
    """On 60 undrifted windows each method flags at most α plus a 3-sd margin (≤ 8)."""
    reference = _joint(_correlated(2000, 0.6, 3))
    results = [method.score(reference, _joint(_correlated(600, 0.6, 100 + i))) for i in range(60)]
    assert sum(r is not None and (r.p_value or 1.0) < 0.05 for r in results) <= 8


def test_domain_classifier_auc_and_exact_p_value() -> None:
    """A 0.5 σ shift of every column gives an AUC near the optimal Φ(√3·0.5/√2) ≈ 0.73."""
    rng = np.random.default_rng(5)
    reference = _joint(rng.normal(size=(2000, 3)))
    shifted = _joint(rng.normal(0.5, 1.0, size=(2000, 3)))
    result = DomainClassifier().score(reference, shifted)
    assert result is not None and 0.68 < result.statistic < 0.78 and result.p_value < 1e-12
    assert result.effect_size == pytest.approx(result.statistic - 0.5)


def test_domain_classifier_sees_a_variance_change() -> None:
    """The squared features let the classifier catch a variance × 2 with equal means."""
    rng = np.random.default_rng(6)
    result = DomainClassifier().score(_joint(rng.normal(size=(2000, 3))),
                                      _joint(rng.normal(0, np.sqrt(2), size=(2000, 3))))
    assert result is not None and result.p_value < 1e-6


def test_multivariate_needs_two_varying_columns_and_rows() -> None:
    """Too few rows or a single varying column: the method returns None (skipped)."""
    rng = np.random.default_rng(7)
    few = JointSample(("a", "b"), rng.normal(size=(10, 2)), 10)
    assert PcaReconstruction().score(few, few) is None
    flat = JointSample(("a", "b"), np.column_stack([rng.normal(size=100), np.ones(100)]), 100)
    assert DomainClassifier().score(flat, flat) is None


def test_compare_runs_multivariate_methods_on_joint_samples() -> None:
    """compare() with multivariate options reports each method and its metrics."""
    frame = pd.DataFrame(_correlated(3000, 0.9, 8), columns=["a", "b", "c"])
    broken = pd.DataFrame(_correlated(3000, 0.0, 9), columns=["a", "b", "c"])
    reference = build_profile([frame])
    current = build_profile([broken], reference=reference)
    result = compare(reference, current, DriftOptions(multivariate=("pca", "domain_classifier")))
    assert [m.method for m in result.multivariate] == ["pca", "domain_classifier"]
    assert result.multivariate[0].drifted
    assert result.metrics()["multivariate.pca.drifted"] == 1.0
    assert not any(c.drifted for c in result.columns)


def test_unknown_multivariate_method() -> None:
    """An unknown name lists the known ones."""
    with pytest.raises(ValueError, match="unknown multivariate method 'pcb'; known: "
                                         "domain_classifier, pca"):
        get_multivariate("pcb")
