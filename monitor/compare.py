"""Comparison: a current profile against its reference, drift and data quality in one result.

``compare`` is pure: two profiles and the options in, a ``Comparison`` out.
Each reference column present in the current data with values on both sides
is scored by its method (``auto`` unless the options say otherwise), the
p-values are corrected together, and each column is decided (see
``monitor.stats.decide``). ``Comparison.to_dict`` is the stable JSON contract
of ``monitor compare --format json``; ``Comparison.metrics`` the numbers alert
``when:`` expressions read.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from monitor.errors import ProfileError
from monitor.profiles import ColumnProfile, Profile
from monitor.quality import QualityOptions, QualityResult, check_quality
from monitor.stats import (
    AUTO,
    CORRECTIONS,
    DEFAULT_DRIFT_SHARE,
    Method,
    Trial,
    auto_method,
    dataset_drift,
    decide_drift,
    drift_share,
    get_method,
    known_methods,
)

__all__ = ["ColumnDrift", "ColumnDriftOptions", "Comparison", "DriftOptions", "compare"]

logger = logging.getLogger(__name__)


def _check_method(name: str | None) -> None:
    if name is not None and name not in known_methods():
        get_method(name)  # raises the ValueError listing the known methods


def _check_threshold(threshold: float | None) -> None:
    if threshold is not None and not (math.isfinite(threshold) and threshold > 0):
        raise ValueError(f"a drift threshold must be a number > 0, got {threshold!r}")


@dataclass(frozen=True, slots=True)
class ColumnDriftOptions:
    """Per-column overrides; None keeps the dataset-wide choice."""

    method: str | None = None
    threshold: float | None = None

    def __post_init__(self) -> None:
        _check_method(self.method)
        _check_threshold(self.threshold)


@dataclass(frozen=True, slots=True)
class DriftOptions:
    """How drift is measured and decided.

    ``method`` applies to every column whose kind it accepts; a column of
    another kind falls back to ``auto`` (a method set for one column in
    ``columns`` must accept it). ``threshold`` applies to the columns using
    ``method``; None means the method's default. ``drift_share`` is the share
    of drifted columns from which the dataset as a whole counts as drifted.
    """

    method: str = AUTO
    threshold: float | None = None
    correction: str = "holm"
    drift_share: float = DEFAULT_DRIFT_SHARE
    columns: Mapping[str, ColumnDriftOptions] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_method(self.method)
        _check_threshold(self.threshold)
        if self.correction not in CORRECTIONS:
            raise ValueError(
                f"unknown correction '{self.correction}'; use one of: {', '.join(CORRECTIONS)}"
            )
        if not 0.0 <= self.drift_share <= 1.0:
            raise ValueError(f"drift_share must be between 0 and 1, got {self.drift_share!r}")


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    """The drift verdict on one column; ``p_value`` is after multiple-testing correction."""

    column: str
    kind: str
    method: str
    statistic: float
    p_value: float | None
    threshold: float
    effect_size: float | None
    drifted: bool


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
            "columns": [
                {
                    "column": c.column,
                    "kind": c.kind,
                    "method": c.method,
                    "statistic": _finite(c.statistic),
                    "p_value": _finite(c.p_value),
                    "threshold": _finite(c.threshold),
                    "effect_size": _finite(c.effect_size),
                    "drifted": c.drifted,
                }
                for c in self.columns
            ],
            "quality": [
                {
                    "check": q.check,
                    "column": q.column,
                    "value": _finite(q.value),
                    "threshold": _finite(q.threshold),
                    "passed": q.passed,
                }
                for q in self.quality
            ],
            "drift_share": _finite(self.drift_share),
            "dataset_drift": self.dataset_drift,
        }

    def metrics(self) -> dict[str, float]:
        """Numbers for alert expressions: drift counts, failed checks, rows."""
        return {
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
    planned: list[tuple[str, ColumnProfile]] = []
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
        method, threshold, auto = _plan(name, ref_column.kind, drift)
        trials.append(Trial(method.score(ref_column, column), method, threshold, auto))
        planned.append((name, ref_column))
    decisions = decide_drift(trials, drift.correction)
    columns = tuple(
        ColumnDrift(name, ref_column.kind, trial.result.method, trial.result.statistic,
                    decision.p_value, trial.threshold, trial.result.effect_size, decision.drifted)
        for (name, ref_column), trial, decision in zip(planned, trials, decisions, strict=True)
    )
    share = drift_share(sum(c.drifted for c in columns), len(columns))
    return Comparison(
        reference.rows, current.rows, columns, quality_results, share,
        dataset_drift(share, len(columns), drift.drift_share), current.extra_columns,
    )


def _plan(name: str, kind: str, options: DriftOptions) -> tuple[Method, float, bool]:
    """The method, threshold and auto flag for one column."""
    own = options.columns.get(name, ColumnDriftOptions())
    if own.method is not None:
        chosen, threshold, strict = own.method, own.threshold, True
    else:
        chosen, strict = options.method, False
        threshold = own.threshold if own.threshold is not None else options.threshold
    if chosen != AUTO:
        method = get_method(chosen)
        if kind in method.kinds:
            return method, _or_default(threshold, method), False
        if strict:
            accepted = ", ".join(m for m in known_methods() if m == AUTO or _accepts(m, kind))
            raise ValueError(
                f"drift method '{chosen}' does not accept {kind} column '{name}'; "
                f"methods for {kind} columns: {accepted}"
            )
        threshold = own.threshold  # e.g. `--method ks` leaves categoricals to auto
    method = auto_method(kind)
    return method, _or_default(threshold, method), True


def _accepts(name: str, kind: str) -> bool:
    return kind in get_method(name).kinds


def _or_default(threshold: float | None, method: Method) -> float:
    return method.default_threshold if threshold is None else threshold


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)
