"""What a monitor checks: column roles, drift tests and data-quality limits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from monitor.rules.fields import Method, PositiveDuration, Share, Strict

__all__ = ["ColumnDrift", "ColumnsSpec", "DriftSpec", "Limit", "QualitySpec"]


class ColumnsSpec(Strict):
    """Column roles; columns not named are profiled with an inferred kind."""

    categorical: list[str] = []
    numeric: list[str] = []
    prediction: str | None = None
    target: str | None = None
    exclude: list[str] = []

    @model_validator(mode="after")
    def _no_conflicts(self) -> ColumnsSpec:
        both = sorted(set(self.categorical) & set(self.numeric))
        if both:
            raise ValueError(f"columns {both} are listed as both categorical and numeric")
        named = {*self.categorical, *self.numeric, self.prediction, self.target}
        excluded = sorted(set(self.exclude) & named)
        if excluded:
            raise ValueError(f"columns {excluded} are excluded but also named in 'columns'")
        return self


class ColumnDrift(Strict):
    """A per-column override of the drift method or threshold."""

    method: Method | None = None
    threshold: float | None = Field(default=None, gt=0)


class DriftSpec(Strict):
    """How columns are tested for drift and when the dataset counts as drifted."""

    method: Method = "auto"
    threshold: float | None = Field(default=None, gt=0)
    correction: Literal["holm", "bh", "none"] = "holm"
    drift_share: float = Field(
        default=0.5, gt=0, le=1, description="Share of drifted columns that is dataset drift."
    )
    columns: dict[str, ColumnDrift] = {}


class Limit(Strict):
    """An upper bound on a share of rows, such as ``{max: 0.05}``."""

    max: Share


class QualitySpec(Strict):
    """Data-quality checks; each one left out is not run."""

    missing_share: Limit | None = None
    out_of_range_share: Limit | None = None
    new_category_share: Limit | None = None
    type_mismatch_share: Limit | None = None
    min_rows: int | None = Field(default=None, ge=0)
    max_staleness: PositiveDuration | None = None
