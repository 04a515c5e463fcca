"""Comparison: a current profile against its reference, drift and data quality in one result.

``compare`` is pure: two profiles and the options in, a ``Comparison`` out.
Each reference column present in the current data with values on both sides
is scored by its method (``auto`` unless the options say otherwise), the
p-values are corrected together, and each column is decided (see
``monitor.stats.decide``). Every compared column also gets the distances an
alert may read whatever its method (PSI, Jensen–Shannon, Hellinger and, for
numbers, the normed Wasserstein distance). Multivariate methods run on the
joint row samples when asked for; model metrics when the current profile
holds labelled predictions.

``Comparison.to_dict`` is the stable JSON contract of ``monitor compare
--format json``; ``Comparison.metrics`` the numbers alert ``when:``
expressions read.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from monitor.analysis.estimates import estimate_metrics, estimate_of
from monitor.analysis.quality import QualityOptions, QualityResult, check_quality
from monitor.analysis.texts import TextDrift, check_text_options, text_drift, text_metrics
from monitor.analysis.vectors import (
    EmbeddingDrift,
    MultivariateDrift,
    embedding_drift,
    multivariate_drift,
    vector_json,
    vector_metrics,
)
from monitor.errors import ProfileError
from monitor.profiles import ColumnProfile, Profile
from monitor.profiles.estimation import Estimate
from monitor.rules.metric_names import quality_metrics
from monitor.stats import (
    AUTO,
    CORRECTIONS,
    DEFAULT_DRIFT_SHARE,
    Method,
    StatResult,
    Trial,
    choose_auto,
    dataset_drift,
    decide_drift,
    drift_share,
    get_method,
    get_multivariate,
    known_methods,
    performance_metrics,
)
from monitor.stats.base import frequency_tables
from monitor.stats.categorical import Driver, category_drivers
from monitor.stats.distances import hellinger, jensenshannon, psi
from monitor.stats.embedding import DEFAULT_EMBEDDING_METHOD, EMBEDDING_METHODS
from monitor.stats.numeric_distances import normed_wasserstein

__all__ = [
    "ColumnDrift",
    "ColumnDriftOptions",
    "Comparison",
    "DriftOptions",
    "MultivariateDrift",
    "compare",
]

logger = logging.getLogger(__name__)

# Methods whose effect size is the normed Wasserstein distance.
_WASSERSTEIN_EFFECT = frozenset({"ks", "anderson", "cramervonmises", "mannwhitney",
                                 "wasserstein"})


def _check_method(name: str | None) -> None:
    if name is not None and name not in known_methods():
        get_method(name)  # raises the ValueError listing the known methods


def _check_positive(what: str, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise ValueError(f"a drift {what} must be a number > 0, got {value!r}")


@dataclass(frozen=True, slots=True)
class ColumnDriftOptions:
    """Per-column overrides; None keeps the dataset-wide choice."""

    method: str | None = None
    threshold: float | None = None
    min_effect: float | None = None

    def __post_init__(self) -> None:
        _check_method(self.method)
        _check_positive("threshold", self.threshold)
        _check_positive("min_effect", self.min_effect)


@dataclass(frozen=True, slots=True)
class DriftOptions:
    """How drift is measured and decided.

    ``method`` applies to every column whose kind it accepts; a column of
    another kind falls back to ``auto`` (a method set for one column in
    ``columns`` must accept it). ``threshold`` applies to the columns using
    ``method``; None means the method's default. ``min_effect`` is the effect
    floor of every column (None: ``auto``'s defaults). ``drift_share`` is the
    share of drifted columns from which the dataset as a whole counts as
    drifted. ``multivariate`` names the multivariate methods to run.
    ``prediction`` names the prediction column (reported as ``prediction.*``).
    """

    method: str = AUTO
    threshold: float | None = None
    correction: str = "holm"
    drift_share: float = DEFAULT_DRIFT_SHARE
    columns: Mapping[str, ColumnDriftOptions] = field(default_factory=dict)
    min_effect: float | None = None
    multivariate: tuple[str, ...] = ()
    prediction: str | None = None
    estimates: tuple[str, ...] = ()
    """The estimated metrics to report (empty: all the task's)."""
    embedding_method: str = DEFAULT_EMBEDDING_METHOD
    embedding_threshold: float | None = None
    text_method: str = "vocabulary"  # or classifier: monitor.analysis.texts
    text_threshold: float | None = None

    def __post_init__(self) -> None:
        _check_method(self.method)
        _check_positive("threshold", self.threshold)
        _check_positive("min_effect", self.min_effect)
        if self.correction not in CORRECTIONS:
            raise ValueError(
                f"unknown correction '{self.correction}'; use one of: {', '.join(CORRECTIONS)}"
            )
        if not 0.0 <= self.drift_share <= 1.0:
            raise ValueError(f"drift_share must be between 0 and 1, got {self.drift_share!r}")
        for name in self.multivariate:
            get_multivariate(name)  # raises the ValueError listing the known ones
        if self.embedding_method not in EMBEDDING_METHODS:
            raise ValueError(f"unknown embedding drift method '{self.embedding_method}'; "
                             f"known: {', '.join(EMBEDDING_METHODS)}")
        _check_positive("embedding threshold", self.embedding_threshold)
        check_text_options(self.text_method, self.text_threshold)


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    """The drift verdict on one column; ``p_value`` is after multiple-testing correction.

    ``distances`` holds ``psi``, ``jensenshannon``, ``hellinger`` and, for
    numbers, ``wasserstein``, whatever the method; ``missing_share`` is the
    current share of missing values. ``drivers`` names, for categories and
    booleans, the categories that weigh most in the chi-square statistic (at
    most five, largest first; ``monitor.stats.categorical.category_drivers``).
    """

    column: str
    kind: str
    method: str
    statistic: float
    p_value: float | None
    threshold: float
    effect_size: float | None
    drifted: bool
    distances: Mapping[str, float] = field(default_factory=dict)
    missing_share: float = 0.0
    drivers: tuple[Driver, ...] = ()

    def stats(self) -> dict[str, float]:
        """The column's numbers as alert metrics (``rules.metric_names.COLUMN_STATS``)."""
        return {
            "statistic": self.statistic,
            "p_value": math.nan if self.p_value is None else self.p_value,
            "effect_size": math.nan if self.effect_size is None else self.effect_size,
            "drifted": 1.0 if self.drifted else 0.0,
            **self.distances,
            "missing_share": self.missing_share,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """Everything one comparison found."""

    reference_rows: int
    current_rows: int
    columns: tuple[ColumnDrift, ...]
    quality: tuple[QualityResult, ...]
    drift_share: float
    dataset_drift: bool
    extra_columns: tuple[str, ...] = ()
    multivariate: tuple[MultivariateDrift, ...] = ()
    performance: Mapping[str, float] = field(default_factory=dict)
    prediction: str | None = None
    estimated: Estimate | None = None
    embeddings: tuple[EmbeddingDrift, ...] = ()
    texts: tuple[TextDrift, ...] = ()

    @property
    def drifted_columns(self) -> tuple[ColumnDrift, ...]:
        """The columns that drifted."""
        return tuple(c for c in self.columns if c.drifted)

    @property
    def failed_quality(self) -> tuple[QualityResult, ...]:
        """The quality checks that failed."""
        return tuple(q for q in self.quality if not q.passed)

    def to_dict(self, reference_source: str, current_source: str) -> dict[str, Any]:
        """The ``monitor compare --format json`` document; non-finite numbers become null."""
        return {
            "reference": {"rows": self.reference_rows, "source": reference_source},
            "current": {"rows": self.current_rows, "source": current_source},
            "columns": [_column_json(c) for c in self.columns],
            "quality": [q.to_dict() for q in self.quality],
            "drift_share": _finite(self.drift_share),
            "dataset_drift": self.dataset_drift,
            "multivariate": [vector_json(m) for m in self.multivariate],
            "performance": {k: _finite(v) for k, v in self.performance.items()} or None,
            "estimated_performance": self.estimated.to_dict() if self.estimated else None,
            "embeddings": [{"embedding": e.embedding, **vector_json(e)} for e in self.embeddings],
            "texts": [t.to_dict() for t in self.texts],
        }

    def metrics(self) -> dict[str, float]:
        """Numbers for alert expressions (names in ``monitor.analysis.window``)."""
        out = {
            "drift_share": self.drift_share,
            "drifted_columns": float(len(self.drifted_columns)),
            "compared_columns": float(len(self.columns)),
            "failed_quality_checks": float(len(self.failed_quality)),
            "missing_columns": float(sum(q.check == "missing_column" for q in self.quality)),
            "extra_columns": float(len(self.extra_columns)),
            "rows": float(self.current_rows),
            "reference_rows": float(self.reference_rows),
            "dataset_drift": 1.0 if self.dataset_drift else 0.0,
        }
        for column in self.columns:
            stats = column.stats()
            out.update((f"column.{column.column}.{k}", v) for k, v in stats.items())
            if column.column == self.prediction:
                out.update((f"prediction.{k}", v) for k, v in stats.items())
        out.update((f"performance.{k}", v) for k, v in self.performance.items())
        out.update(estimate_metrics(self.estimated))
        out["quality.failed"] = out["failed_quality_checks"]
        out.update(quality_metrics(self.quality))
        out.update(vector_metrics(self.multivariate, self.embeddings))
        out.update(text_metrics(self.texts))
        return out


def _note_sampled(planned: list[tuple[str, ColumnProfile, ColumnProfile]]) -> None:
    """Say when a reference without fine histograms leaves large windows to their samples."""
    sampled = [name for name, ref, cur in planned
               if ref.numeric is not None and cur.numeric is not None
               and not ref.numeric.has_fine and cur.count > cur.numeric.sample.size]
    if sampled:
        logger.warning(
            "the reference profile predates fine histograms (format 1 or 2): the numeric tests "
            "of %s read %s-value samples, not every row; rebuild the reference with "
            "`monitor profile` for tests on all rows", ", ".join(sampled[:5])
            + (f" and {len(sampled) - 5} more" if len(sampled) > 5 else ""),
            f"{min(c.numeric.sample.size for _, _, c in planned if c.numeric is not None):,}")


def compare(
    reference: Profile,
    current: Profile,
    drift: DriftOptions = DriftOptions(),
    quality: QualityOptions = QualityOptions(),  # noqa: B008 - frozen, so a safe default
) -> Comparison:
    """Compare ``current`` with ``reference``: drift per column, then data quality.

    Raises:
        ValueError: a method set for a column does not accept its kind.
        ProfileError: the profiles cannot be compared (a column's kind differs,
            or the current data was not binned on the reference's edges).
    """
    quality_results = tuple(check_quality(reference, current, quality))
    for name in drift.columns:
        if name not in reference.columns:
            logger.warning("drift options name column %r, which the reference lacks", name)
    planned: list[tuple[str, ColumnProfile, ColumnProfile]] = []
    trials: list[Trial] = []
    for name, ref_column in reference.columns.items():
        column = current.columns.get(name)
        if column is None or current.rows == 0 or column.count == 0 or ref_column.count == 0:
            continue
        if column.kind != ref_column.kind:
            raise ProfileError(
                f"column {name!r} is {ref_column.kind} in the reference but {column.kind} in "
                "the current profile; profile the current data with ProfileBuilder(reference=...)"
            )
        method, threshold, auto, floor = _plan(name, ref_column, column, drift)
        trials.append(Trial(method.score(ref_column, column), method, threshold, auto, floor))
        planned.append((name, ref_column, column))
    _note_sampled(planned)
    decisions = decide_drift(trials, drift.correction)
    columns = tuple(
        ColumnDrift(name, ref.kind, trial.result.method, trial.result.statistic,
                    decision.p_value, trial.threshold, trial.result.effect_size,
                    decision.drifted, _distances(ref, cur, trial.result),
                    cur.missing / current.rows,
                    category_drivers(ref, cur, trial.result.method == "gtest"))
        for (name, ref, cur), trial, decision in zip(planned, trials, decisions, strict=True)
    )
    share = drift_share(sum(c.drifted for c in columns), len(columns))
    performance = (performance_metrics(current.performance)
                   if current.performance is not None and current.performance.count else {})
    return Comparison(
        reference.rows, current.rows, columns, quality_results, share,
        dataset_drift(share, len(columns), drift.drift_share), current.extra_columns,
        multivariate_drift(reference, current, drift.multivariate), performance,
        drift.prediction, estimate_of(reference, current, drift.estimates),
        embedding_drift(reference, current, drift.embedding_method, drift.embedding_threshold),
        text_drift(reference, current, drift.text_method, drift.text_threshold),
    )


def _plan(
    name: str, reference: ColumnProfile, current: ColumnProfile, options: DriftOptions
) -> tuple[Method, float, bool, float | None]:
    """The method, threshold, auto flag and effect floor for one column."""
    kind = reference.kind
    own = options.columns.get(name, ColumnDriftOptions())
    floor = own.min_effect if own.min_effect is not None else options.min_effect
    if own.method is not None:
        chosen, threshold, strict = own.method, own.threshold, True
    else:
        chosen, strict = options.method, False
        threshold = own.threshold if own.threshold is not None else options.threshold
    if chosen != AUTO:
        method = get_method(chosen)
        if kind in method.kinds:
            return method, _or_default(threshold, method), False, floor
        if strict:
            accepted = ", ".join(m for m in known_methods() if m == AUTO or _accepts(m, kind))
            raise ValueError(
                f"drift method '{chosen}' does not accept {kind} column '{name}'; "
                f"methods for {kind} columns: {accepted}"
            )
        threshold = own.threshold  # e.g. `--method ks` leaves categoricals to auto
    method = choose_auto(reference, current)
    return method, _or_default(threshold, method), True, floor


def _distances(
    reference: ColumnProfile, current: ColumnProfile, scored: StatResult
) -> dict[str, float]:
    """PSI, Jensen–Shannon, Hellinger and (numbers) Wasserstein, whatever the method."""
    ref, cur = frequency_tables(reference, current, "distances")
    out = {"psi": psi(ref, cur), "jensenshannon": jensenshannon(ref, cur),
           "hellinger": hellinger(ref, cur)}
    if reference.numeric is not None and current.numeric is not None:
        if scored.method in _WASSERSTEIN_EFFECT and scored.effect_size is not None:
            out["wasserstein"] = scored.effect_size  # computed already, as the effect size
        else:
            out["wasserstein"] = normed_wasserstein(reference.numeric, reference.count,
                                                    current.numeric)
    return out


def _accepts(name: str, kind: str) -> bool:
    return kind in get_method(name).kinds


def _or_default(threshold: float | None, method: Method) -> float:
    return method.default_threshold if threshold is None else threshold


def _column_json(c: ColumnDrift) -> dict[str, Any]:
    return {
        "column": c.column, "kind": c.kind, "method": c.method,
        "statistic": _finite(c.statistic), "p_value": _finite(c.p_value),
        "threshold": _finite(c.threshold), "effect_size": _finite(c.effect_size),
        "drifted": c.drifted,
        "distances": {k: _finite(v) for k, v in c.distances.items()},
        "missing_share": _finite(c.missing_share),
        "drivers": [
            {"category": d.category, "reference_share": _finite(d.reference_share),
             "current_share": _finite(d.current_share), "contribution": _finite(d.contribution)}
            for d in c.drivers
        ],
    }


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)

