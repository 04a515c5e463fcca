"""The ``retrain:`` block: what turns a monitor's verdict to ``watch`` or ``retrain``.

A monitor's verdict (see ``monitor.analysis.verdict``) weighs the model's
metrics against floors, the drift of the features that matter and the data's
quality over the last few windows. This block holds the operator's numbers
for it; every one has a default, so a monitor without the block still gets a
verdict (``ok`` or ``watch`` from drift and quality alone until floors are set).

A floor is the lowest acceptable value of a metric where higher is better
(``roc_auc: 0.85``); for a metric where lower is better (``mae``, ``rmse``,
``mape``, ``log_loss``, ``calibration_error``) the number is a ceiling, the
highest acceptable value.
"""

from __future__ import annotations

import difflib
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from monitor.rules.checks import MAX_HISTORY
from monitor.rules.fields import MAX_ROWS, Duration, Finite, Strict
from monitor.rules.metric_names import PERFORMANCE_METRICS

__all__ = ["BOUNDED_METRICS", "LOWER_IS_BETTER", "RetrainSpec", "is_ceiling"]

LOWER_IS_BETTER: frozenset[str] = frozenset(
    {"mae", "rmse", "mape", "log_loss", "calibration_error"})
"""Metrics where lower is better: their ``floors`` entry is a ceiling."""

BOUNDED_METRICS: frozenset[str] = frozenset(
    {"accuracy", "precision", "recall", "f1", "roc_auc", "calibration_error"})
"""Metrics that lie between 0 and 1, so a floor (or ceiling) outside that range is a typo."""


def is_ceiling(metric: str) -> bool:
    """Whether the ``floors`` entry of ``metric`` is a ceiling (lower is better)."""
    return metric in LOWER_IS_BETTER


def _check_floors(floors: dict[str, float]) -> dict[str, float]:
    known = sorted(PERFORMANCE_METRICS)
    for metric, bound in floors.items():
        if metric not in PERFORMANCE_METRICS:
            hint = difflib.get_close_matches(metric, known, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ValueError(f"unknown metric '{metric}' in floors{suggestion}; known metrics: "
                             f"{', '.join(known)}")
        if metric in BOUNDED_METRICS and not 0 <= bound <= 1:
            raise ValueError(f"the {metric} {'ceiling' if is_ceiling(metric) else 'floor'} "
                             f"must lie between 0 and 1, got {bound:g}")
        if metric in LOWER_IS_BETTER and bound < 0:
            raise ValueError(f"the {metric} ceiling must be at least 0, got {bound:g} "
                             f"({metric} is never negative)")
        if metric == "r2" and bound > 1:
            raise ValueError(f"the r2 floor must be at most 1, got {bound:g}")
    return floors


Floors = Annotated[dict[str, Finite], AfterValidator(_check_floors)]


class RetrainSpec(Strict):
    """When the verdict says ``watch`` and when ``retrain`` (see the README's "What to
    monitor and when to retrain")."""

    floors: Floors = Field(
        default={},
        description="The worst acceptable value of each model metric, such as {roc_auc: 0.85}: "
        "a floor for metrics where higher is better, a ceiling for mae, rmse, mape, log_loss "
        "and calibration_error. Left empty, model metrics do not weigh in the verdict.")
    windows: int = Field(
        default=6, ge=1, le=MAX_HISTORY,
        description="How many recent windows (of at least min_rows rows) the verdict looks at.")
    persistence: int = Field(
        default=4, ge=1, le=MAX_HISTORY,
        description="In how many of those windows a metric must be beyond its floor for "
        "'retrain' (one is enough for 'watch').")
    drift_persistence: int = Field(
        default=3, ge=1, le=MAX_HISTORY,
        description="For how many consecutive windows a column must drift with a large effect "
        "to count.")
    large_effect: Finite = Field(
        default=0.5, gt=0, description="The effect size from which a drift counts as large.")
    important: list[str] = Field(
        default=[],
        description="The features whose drift weighs most: with no model metric to judge by, "
        "their lasting large drift alone means 'retrain'. Drift of other columns means 'watch' "
        "at most.")
    min_rows: int = Field(
        default=500, ge=1, le=MAX_ROWS,
        description="Windows with fewer rows are not evidence.")
    min_age: Duration = Field(
        default=timedelta(days=7), json_schema_extra={"default": "7d"},
        description="A reference younger than this never gives 'retrain', only 'watch': the "
        "model was just retrained. 0s turns this off.")

    @model_validator(mode="after")
    def _persistence_fits(self) -> RetrainSpec:
        for name in ("persistence", "drift_persistence"):
            if getattr(self, name) > self.windows:
                raise ValueError(
                    f"{name} ({getattr(self, name)}) must not exceed windows ({self.windows}): "
                    f"the verdict looks at the last {self.windows} windows only")
        return self
