"""What a monitor checks: column roles, drift tests and data-quality limits."""

from __future__ import annotations

import importlib.util
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from monitor.rules.fields import MAX_ROWS, Finite, Method, PositiveDuration, Rows, Share, Strict
from monitor.rules.quality import (
    ColumnChecksSpec,
    ConditionSpec,
    DuplicatesSpec,
    SchemaSpec,
    SqlSpec,
)

__all__ = [
    "MAX_HISTORY", "ColumnDriftSpec", "ColumnsSpec", "DriftSpec", "Limit", "PerformanceSpec",
    "QualitySpec", "TextDriftSpec", "VolumeSpec",
]

MAX_HISTORY = 1_000
"""The most past windows the expected volume may be the median of (each is read from the runs)."""


def _listed(value: object) -> object:
    """One block or a list of them."""
    return [value] if isinstance(value, dict) else value


class ColumnsSpec(Strict):
    """Column roles; columns not named are profiled with an inferred kind."""

    categorical: list[str] = []
    numeric: list[str] = []
    text: list[str] = Field(default=[], description="Free-text columns: compared by length, "
                            "descriptors and vocabulary (drift.text).")
    prediction: str | None = None
    target: str | None = None
    task: Literal["classification", "regression"] | None = Field(
        default=None, description="The model's task; inferred from the labels when left out.")
    score: str | list[str] | dict[str, str] | None = Field(
        default=None, description="The classifier's score: one column (the positive class's "
        "probability) for binary models, one per class (a list, or a mapping of class to "
        "column) for multiclass ones. With a target in the reference, performance is "
        "estimated without labels (CBPE).")
    embedding: list[str] = Field(
        default=[], description="Vector columns (a list<float> column, a JSON array, or "
        "PREFIX* for the columns starting with PREFIX), tested as vectors (drift.embedding).")
    model_version: str | None = Field(
        default=None, description="The column naming the model version of each row: each "
        "version is compared with its own rows of the reference, and judged on its own.")
    exclude: list[str] = []

    @model_validator(mode="after")
    def _no_conflicts(self) -> ColumnsSpec:
        for a, b in (("categorical", "numeric"), ("categorical", "text"), ("numeric", "text")):
            both = sorted(set(getattr(self, a)) & set(getattr(self, b)))
            if both:
                raise ValueError(f"columns {both} are listed as both {a} and {b}")
        named = {*self.categorical, *self.numeric, *self.text, self.prediction, self.target,
                 *self.score_columns, self.model_version, *self.embedding}
        excluded = sorted(set(self.exclude) & named)
        if excluded:
            raise ValueError(f"columns {excluded} are excluded but also named in 'columns'")
        if self.target is not None and self.target in self.score_columns:
            raise ValueError(f"column '{self.target}' is the target and also a score")
        if isinstance(self.score, list) and not self.score:
            raise ValueError("'score' lists no column: name the score column(s)")
        return self

    @property
    def score_columns(self) -> tuple[str, ...]:
        """The score column(s), whatever form ``score`` takes."""
        if self.score is None:
            return ()
        if isinstance(self.score, str):
            return (self.score,)
        return tuple(self.score.values() if isinstance(self.score, dict) else self.score)


class PerformanceSpec(Strict):
    """Performance estimated without labels, from the reference's labels."""

    estimate: list[Literal["accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse"]] = (
        Field(default=[], description="The metrics to estimate and report (estimated.METRIC in "
              "conditions): CBPE (classification: accuracy, precision, recall, f1, roc_auc) "
              "with columns.score, DLE (regression: mae, rmse) without. Empty: no estimate."))


class ColumnDriftSpec(Strict):
    """A per-column override of the drift method or threshold."""

    method: Method | None = None
    threshold: Finite | None = Field(default=None, gt=0)
    min_effect: Finite | None = Field(
        default=None, gt=0, description="Smallest effect size that counts as drift.")


class EmbeddingDriftSpec(Strict):
    """The test of the embeddings: its method and p-value threshold."""

    method: Literal["mmd", "classifier", "cosine", "components"] = Field(
        default="mmd", description="mmd (the default), classifier, cosine or components.")
    threshold: Finite = Field(default=0.05, gt=0, lt=1, description="The p-value threshold.")


class TextDriftSpec(Strict):
    """The test of the text columns: its method and p-value threshold."""

    method: Literal["vocabulary", "classifier"] = Field(
        default="vocabulary", description="vocabulary (the default: document counts of the "
        "reference's top words and 3-grams) or classifier (needs scikit-learn).")
    threshold: Finite = Field(default=0.05, gt=0, lt=1, description="The p-value threshold.")

    @model_validator(mode="after")
    def _classifier_installed(self) -> TextDriftSpec:
        if self.method == "classifier" and importlib.util.find_spec("sklearn") is None:
            raise ValueError("the text classifier needs scikit-learn: "
                             "pip install 'monitor[estimate]'")
        return self


class DriftSpec(Strict):
    """How columns are tested for drift and when the dataset counts as drifted."""

    method: Method = "auto"
    threshold: Finite | None = Field(default=None, gt=0)
    correction: Literal["holm", "bh", "none"] = "holm"
    drift_share: Finite = Field(
        default=0.5, gt=0, le=1, description="Share of drifted columns that is dataset drift."
    )
    columns: dict[str, ColumnDriftSpec] = {}
    min_effect: Finite | None = Field(
        default=None, gt=0, description="Smallest effect size that counts as drift, every column.")
    multivariate: list[Literal["pca", "domain_classifier"]] = Field(
        default=[], description="Multivariate methods run on the numeric columns together.")
    embedding: EmbeddingDriftSpec = Field(
        default_factory=EmbeddingDriftSpec,
        description="How embeddings (columns.embedding) are tested.")
    text: TextDriftSpec = Field(
        default_factory=TextDriftSpec,
        description="How text columns (columns.text) are tested beyond their length.")


class Limit(Strict):
    """An upper bound on a share of rows, such as ``{max: 0.05}``."""

    max: Share


class QualitySpec(Strict):
    """Data-quality checks; each one left out is not run.

    The shares of the whole window (``missing_share`` ...) apply to every
    column; ``columns``, ``conditions``, ``duplicates``, ``schema`` and
    ``sql`` are the checks operators write (``monitor.rules.quality``).
    """

    missing_share: Limit | None = None
    out_of_range_share: Limit | None = None
    new_category_share: Limit | None = None
    type_mismatch_share: Limit | None = None
    min_rows: Rows | None = None
    max_staleness: PositiveDuration | None = Field(
        default=None, description="Oldest the newest row may be when a window runs.")
    volume: VolumeSpec | None = None
    columns: dict[str, ColumnChecksSpec] = Field(
        default={}, description="Checks per column: missing, range, allowed, pattern, format, "
        "length, unique, mean, stddev, quantile, type.")
    conditions: list[ConditionSpec] = Field(
        default=[], description="Row conditions over columns; rows where one is false fail.")
    duplicates: Annotated[list[DuplicatesSpec], BeforeValidator(_listed)] = Field(
        default=[], description="Sets of columns whose combination must not repeat.")
    schema_: SchemaSpec | None = Field(
        default=None, alias="schema", description="Required and allowed columns.")
    sql: list[SqlSpec] = Field(
        default=[], description="Named queries against the SQL source, with limits.")
    samples: bool = Field(
        default=True, description="Keep up to 10 failing values per check (never for "
        "columns marked sensitive).")

    @model_validator(mode="after")
    def _unique_names(self) -> QualitySpec:
        names = [c.name for c in self.conditions] + [s.name for s in self.sql]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"conditions and sql checks need distinct names; repeated: "
                             f"{', '.join(repeated)}")
        return self


class VolumeSpec(Strict):
    """Rows a window may hold, as a share of the expected rows (``volume_ratio``)."""

    min: Finite = Field(default=0.5, ge=0, description="Fewest rows, as a share of expected.")
    max: Finite | None = Field(
        default=2.0, gt=0, description="Most rows, as a share of expected.")
    expected: int | None = Field(
        default=None, gt=0, le=MAX_ROWS, description="Rows a window should hold; left out, "
        "the median of the last 'history' windows.")
    history: int = Field(
        default=24, ge=3, le=MAX_HISTORY, description="Windows the expected rows come from.")

    @model_validator(mode="after")
    def _ordered(self) -> VolumeSpec:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"volume max ({self.max:g}) must not be below min ({self.min:g})")
        return self
