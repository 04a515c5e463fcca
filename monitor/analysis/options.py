"""A monitor's rule spec as the options of the analysis, checked against its reference.

The rules speak the operator's words (``drift:``, ``quality:``, ``columns:``);
the analysis takes plain option values. This is the one place that
translates between them.
"""

from __future__ import annotations

from typing import Any

from monitor.analysis.comparison import ColumnDriftOptions, DriftOptions
from monitor.analysis.freshness import VolumeOptions
from monitor.analysis.quality import QualityOptions
from monitor.errors import ProfileError
from monitor.profiles import Profile
from monitor.rules.checks import QualitySpec
from monitor.rules.schema import MonitorSpec

__all__ = [
    "check_columns",
    "column_kinds",
    "drift_options",
    "estimation_options",
    "profile_exclusions",
    "quality_limits",
    "quality_options",
    "segment_columns",
    "volume_options",
]


def drift_options(spec: MonitorSpec) -> DriftOptions:
    """The ``drift:`` block as DriftOptions."""
    drift = spec.drift
    return DriftOptions(
        method=drift.method,
        threshold=drift.threshold,
        correction=drift.correction,
        drift_share=drift.drift_share,
        columns={name: ColumnDriftOptions(method=o.method, threshold=o.threshold,
                                          min_effect=o.min_effect)
                 for name, o in drift.columns.items()},
        min_effect=drift.min_effect,
        multivariate=tuple(drift.multivariate),
        prediction=spec.columns.prediction,
        estimates=tuple(spec.performance.estimate),
        embedding_method=drift.embedding.method,
        embedding_threshold=drift.embedding.threshold,
        text_method=drift.text.method,
        text_threshold=drift.text.threshold,
    )


def column_kinds(spec: MonitorSpec) -> dict[str, str]:
    """Kinds the ``columns:`` block forces (categorical, numeric, text)."""
    columns = spec.columns
    kinds = dict.fromkeys(columns.numeric, "numeric")
    kinds.update(dict.fromkeys(columns.categorical, "categorical"))
    kinds.update(dict.fromkeys(columns.text, "text"))
    return kinds


def quality_options(spec: MonitorSpec) -> QualityOptions:
    """The ``quality:`` block as QualityOptions."""
    return quality_limits(spec.quality)


def quality_limits(quality: QualitySpec) -> QualityOptions:
    """The whole-window limits of a ``quality:`` block (a monitor's or a checks file's)."""

    def limit(name: str) -> float | None:
        value = getattr(quality, name)
        return None if value is None else value.max

    return QualityOptions(
        missing_share_max=limit("missing_share"),
        out_of_range_share_max=limit("out_of_range_share"),
        new_category_share_max=limit("new_category_share"),
        type_mismatch_share_max=(0.0 if quality.type_mismatch_share is None
                                 else quality.type_mismatch_share.max),
        min_rows=quality.min_rows,
    )


def volume_options(spec: MonitorSpec) -> VolumeOptions | None:
    """The ``quality.volume`` block as VolumeOptions (None when not set)."""
    volume = spec.quality.volume
    if volume is None:
        return None
    return VolumeOptions(min_ratio=volume.min, max_ratio=volume.max, expected=volume.expected,
                         history=volume.history)


def profile_exclusions(spec: MonitorSpec) -> list[str]:
    """Columns never profiled for drift: the timestamp, the labels and ``exclude``."""
    excluded = list(spec.columns.exclude)
    timestamp = getattr(spec.source.config, "timestamp", None)
    excluded += [c for c in (timestamp, spec.columns.target) if c]
    return excluded


def segment_columns(spec: MonitorSpec) -> list[str]:
    """The columns profiled apart per value: ``segments``, and the model version's."""
    version = spec.columns.model_version
    return [*spec.segments, *([version] if version and version not in spec.segments else [])]


def estimation_options(spec: MonitorSpec) -> dict[str, Any]:
    """The reference builder's options that fit the performance estimator ({} when none)."""
    columns = spec.columns
    if not spec.performance.estimate:
        return {}
    return {"target": columns.target, "prediction": columns.prediction, "score": columns.score,
            "estimate_errors": columns.score is None}


def check_columns(spec: MonitorSpec, reference: Profile, reference_name: str) -> None:
    """Fail clearly when the rules name a column the reference does not have."""
    columns = spec.columns
    named = [("columns.categorical", c) for c in columns.categorical]
    named += [("columns.numeric", c) for c in columns.numeric]
    named += [("columns.text", c) for c in columns.text]
    named += [("columns.prediction", c) for c in [columns.prediction] if c]
    named += [("columns.score", c) for c in columns.score_columns]
    named += [("columns.model_version", c) for c in [columns.model_version] if c]
    named += [("segments", c) for c in spec.segments]
    named += [("drift.columns", c) for c in spec.drift.columns]
    missing = [(where, c) for where, c in named if c not in reference.columns]
    missing += [("columns.embedding", e) for e in columns.embedding
                if e not in reference.embeddings]
    missing += [("columns.text", c) for c in columns.text
                if c in reference.columns and reference.texts and c not in reference.texts]
    if missing:
        listed = "; ".join(f"'{c}' ({where})" for where, c in missing)
        known = ", ".join(sorted(reference.columns))
        raise ProfileError(
            f"monitor '{spec.name}' names columns that are not in the reference "
            f"'{reference_name}': {listed}. Its columns are: {known}"
        )
