"""The metric names `when:` checks agree with the names an analysis reports."""

from __future__ import annotations

import pytest

from monitor import analysis, stats
from monitor.rules.expressions import ExpressionError, parse
from monitor.rules.metric_names import (
    COLUMN_STATS,
    MULTIVARIATE_STATS,
    PERFORMANCE_METRICS,
    metric_problem,
)


def test_families_match_the_analysis() -> None:
    """Column statistics, performance metrics and multivariate stats are the reported ones."""
    assert set(analysis.COLUMN_STATS) == COLUMN_STATS
    assert set(stats.PERFORMANCE_METRICS) == PERFORMANCE_METRICS
    assert set(analysis.MULTIVARIATE_STATS) == MULTIVARIATE_STATS


@pytest.mark.parametrize("name", [
    "column.income.psi", "column.a.b.drifted", "prediction.wasserstein", "performance.f1",
    *(f"multivariate.{m}.p_value" for m in analysis.MULTIVARIATE_METHODS),
])
def test_valid_names(name: str) -> None:
    """Every family member with a known last part is valid."""
    assert metric_problem(name) is None
    assert parse(f"{name} > 0").names == {name}


@pytest.mark.parametrize(("name", "fragment"), [
    ("multivariate.pcaa.statistic", "did you mean 'multivariate.pca'?"),
    ("multivariate.pca.mean", "unknown statistic 'mean' in 'multivariate.pca.mean'"),
    ("multivariate.pca", "'multivariate.pca' needs a statistic after it"),
    ("performance.", "unknown metric"),
])
def test_invalid_names(name: str, fragment: str) -> None:
    """Unknown methods and statistics are named, with a suggestion when one is close."""
    problem = metric_problem(name)
    assert problem is not None and fragment in problem


def test_error_of_multivariate_name_in_condition() -> None:
    """A bad multivariate name in a condition points at the name."""
    with pytest.raises(ExpressionError) as caught:
        parse("rows > 0 and multivariate.pca.pvalue < 0.01")
    assert caught.value.offset == 13 and "(did you mean 'multivariate.pca.p_value'?)" in str(
        caught.value)
