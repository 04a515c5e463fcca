"""A comparison through the API: ``compare``, its verdict, and the views a notebook wants.

``compare`` profiles the current data on the reference's edges, with the
column roles the reference remembers, and compares the two as ``monitor
compare`` does. ``Comparison`` wraps the analysis's result with what it was
made of (the two profiles, or the report document a run stored) and gives it
four faces: the ``monitor compare --format json`` document (``to_dict``), a
pandas table (``to_frame``), the self-contained report page (``to_html``)
and the report inline in Jupyter (``_repr_html_``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd
import pyarrow as pa

from monitor import analysis
from monitor.analysis import (
    ColumnDrift,
    ColumnDriftOptions,
    DriftOptions,
    QualityOptions,
    QualityResult,
    report_document,
)
from monitor.analysis.window import reference_kinds
from monitor.api.inputs import chunks, is_profile_file, label
from monitor.api.profiling import load_profile, profile_with_roles, roles_of
from monitor.api.quality import Checks, plan_of
from monitor.checks import CheckPlan
from monitor.checks.local import CheckAccumulator
from monitor.errors import MonitorError, ProfileError
from monitor.profiles import Profile, ProfileBuilder, Roles, segment_columns, without_columns
from monitor.report import REPORT_CSS, render_report, render_report_body
from monitor.stats import AUTO, DEFAULT_DRIFT_SHARE

__all__ = ["FRAME_COLUMNS", "QUALITY_CHECKS", "Comparison", "compare"]

FRAME_COLUMNS = ("kind", "method", "statistic", "p_value", "threshold", "effect_size",
                 "drifted", "psi", "jensenshannon", "hellinger", "wasserstein", "missing_share")
"""The columns of ``Comparison.to_frame()``, whose index is the column name."""

QUALITY_CHECKS = {"missing_share": "missing_share_max",
                  "out_of_range_share": "out_of_range_share_max",
                  "new_category_share": "new_category_share_max",
                  "type_mismatch_share": "type_mismatch_share_max"}
"""The share limits ``compare(quality=...)`` takes (as in a rule file's ``quality:``), besides
``min_rows``, and the option each sets."""


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Comparison:
    """What comparing current data with a reference found, with its table and report views.

    Attributes:
        result: the analysis's verdict (``monitor.analysis.Comparison``): every
            number, the multivariate tests and the model metrics.
        reference_source, current_source: how the document names the two sides.
        reference, current: the profiles compared (None for a stored run's).
        segments: each segment's comparison, by key (``state=CA``).
        report: the report document a run stored, when there is one.
    """

    result: analysis.Comparison
    reference_source: str
    current_source: str
    reference: Profile | None = None
    current: Profile | None = None
    segments: Mapping[str, Comparison] = field(default_factory=dict)
    report: Mapping[str, Any] | None = None

    @property
    def drifted(self) -> bool:
        """Whether the dataset as a whole drifted (the share of drifted columns reached the
        drift share)."""
        return self.result.dataset_drift

    @property
    def drift_share(self) -> float:
        """Drifted columns over compared columns."""
        return self.result.drift_share

    @property
    def columns(self) -> tuple[ColumnDrift, ...]:
        """The verdict on each compared column, in the reference's column order."""
        return self.result.columns

    @property
    def quality(self) -> tuple[QualityResult, ...]:
        """The data-quality checks and whether each passed."""
        return self.result.quality

    def to_dict(self) -> dict[str, Any]:
        """The document ``monitor compare --format json`` prints for the same inputs."""
        return self.result.to_dict(self.reference_source, self.current_source)

    def to_frame(self) -> pd.DataFrame:
        """One row per compared column (index: its name), with ``FRAME_COLUMNS``.

        ``psi``, ``jensenshannon``, ``hellinger`` and ``wasserstein`` are the
        distances of the column whatever its method; a missing number is NaN.
        """
        rows = [
            {"kind": c.kind, "method": c.method, "statistic": c.statistic,
             "p_value": _number(c.p_value), "threshold": c.threshold,
             "effect_size": _number(c.effect_size), "drifted": c.drifted,
             **{name: _number(c.distances.get(name)) for name in FRAME_COLUMNS[7:11]},
             "missing_share": c.missing_share}
            for c in self.result.columns
        ]
        index = pd.Index([c.column for c in self.result.columns], name="column", dtype=object)
        return pd.DataFrame(rows, index=index, columns=list(FRAME_COLUMNS))

    def to_html(self) -> str:
        """The report as one self-contained HTML page: both sides' distributions per column."""
        return render_report(self._document())

    def _repr_html_(self) -> str:
        """The report's body with its stylesheet, for Jupyter (which shows fragments)."""
        return f"<style>{REPORT_CSS}</style>\n{render_report_body(self._document())}"

    def __repr__(self) -> str:
        result = self.result
        failed = len(result.failed_quality)
        return (f"<Comparison of {self.current_source} ({result.current_rows:,} rows) with "
                f"{self.reference_source}: "
                f"{len(result.drifted_columns)} of {len(result.columns)} columns drifted "
                f"(drift share {result.drift_share:.2f}, "
                f"{'dataset drift' if result.dataset_drift else 'no dataset drift'}), "
                f"{failed} of {len(result.quality)} quality checks failed>")

    def _document(self) -> Mapping[str, Any]:
        """The report document: the stored one, else drawn from the profiles, else the numbers."""
        if self.report is not None:
            return self.report
        if self.reference is not None and self.current is not None:
            return report_document(
                self.result, self.reference, self.current,
                reference_source=self.reference_source, current_source=self.current_source,
                segments={key: part.result for key, part in self.segments.items()})
        document = self.to_dict()
        document["extra_columns"] = list(self.result.extra_columns)
        return document


def _number(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def compare(
    reference: Profile | pd.DataFrame | pa.Table | str | os.PathLike[str],
    current: pd.DataFrame | pa.Table | str | os.PathLike[str],
    *,
    method: str | None = None,
    threshold: float | None = None,
    correction: Literal["holm", "bh", "none"] | None = None,
    drift_share: float | None = None,
    min_effect: float | None = None,
    columns: Mapping[str, Mapping[str, Any]] | None = None,
    multivariate: Sequence[str] = (),
    quality: Mapping[str, float] | None = None,
    categorical: Sequence[str] | str | None = None,
    text: Sequence[str] | str | None = None,
    prediction: str | None = None,
    target: str | None = None,
    task: Literal["classification", "regression"] | None = None,
    exclude: Sequence[str] | str | None = None,
    segments: Sequence[str] | str | None = None,
    timestamp: str | None = None,
    checks: Checks | None = None,
    score: Sequence[str] | Mapping[str, str] | str | None = None,
    embedding: Sequence[str] | str | None = None,
    text_method: Literal["vocabulary", "classifier"] | None = None,
) -> Comparison:
    """Compare current data with a reference: drift per column, then data quality.

    The current data is profiled on the reference's histogram edges, with the
    column roles the reference profile remembers; the role arguments
    (``categorical`` ... ``timestamp``, as in ``monitor.profile``) are for a
    reference given as data, or as a profile saved without roles.

    Args:
        reference: a ``Profile``, the path of a saved profile (JSON), or data:
            a DataFrame, a pyarrow Table, or a CSV, Parquet or JSON Lines path.
        current: a DataFrame, a pyarrow Table, or a data file path.
        method: the drift method of every column (default ``auto``).
        threshold: the method's threshold (default: the method's own).
        correction: ``holm`` (default), ``bh`` or ``none``, over the p-values.
        drift_share: share of drifted columns from which the dataset drifted (0.5).
        min_effect: smallest effect size that counts as drift, every column.
        columns: per-column overrides, ``{"income": {"method": "psi", "threshold": 0.2}}``
            (keys ``method``, ``threshold``, ``min_effect``).
        multivariate: multivariate methods to run (``pca``, ``domain_classifier``).
        quality: limits of the quality checks, ``{"missing_share": 0.05, "min_rows": 500}``
            (keys ``missing_share``, ``out_of_range_share``, ``new_category_share``,
            ``type_mismatch_share``: shares; ``min_rows``: a count).
        score: the classifier's score column(s), as in ``monitor.profile``: with a
            ``target`` in the reference data, ``Comparison.to_dict()`` holds the
            performance of ``current`` estimated without its labels.
        embedding: vector columns, as in ``monitor.profile``: each is tested as vectors
            (``to_dict()["embeddings"]``).
        text_method: how text columns are tested beyond their length, ``vocabulary``
            (default) or ``classifier`` (scikit-learn); ``to_dict()["texts"]``.
        checks: the checks operators write (``monitor compare --checks``): the path of a
            checks file, or its ``quality:`` block as a mapping, such as
            ``{"columns": {"age": {"range": {"min": 18}}}}``.

    Raises:
        MonitorError: bad options (the same messages as ``monitor compare``).
        ProfileError: bad data or roles, or profiles that cannot be compared.
        SourceError: a file cannot be found or read.
    """
    drift = _drift_options(method, threshold, correction, drift_share, min_effect, columns,
                           multivariate)
    limits = _quality_options(quality)
    given = roles_of(categorical=categorical, text=text, prediction=prediction, target=target,
                     task=task, exclude=exclude, segments=segments, timestamp=timestamp,
                     score=score, embedding=embedding)
    ref, roles = _reference(reference, given)
    plan = plan_of(checks, known=(roles.timestamp,) if roles.timestamp else ())
    cur, checked = _current(current, ref, roles, plan)
    ref_label, cur_label = ("profile" if isinstance(reference, Profile) else label(reference),
                            label(current))
    try:
        drift = replace(drift, prediction=roles.prediction, text_method=text_method or
                        drift.text_method)
        result = analysis.compare(ref, cur, drift, limits)
        result = replace(result, quality=result.quality + tuple(checked))
        parts = analysis.compare_segments(ref, cur, drift, limits)
    except ValueError as exc:
        raise MonitorError(str(exc)) from exc
    whole = Profile(ref.rows, ref.columns, ref.extra_columns)
    return Comparison(result, ref_label, cur_label, ref, cur, {
        key: Comparison(part.comparison, ref_label, f"{cur_label} [{key}]",
                        ref.segments.get(key, whole), part.current)
        for key, part in parts.items()})


def _reference(reference: object, given: Roles | None) -> tuple[Profile, Roles]:
    """The reference profile and the roles that hold: remembered, else given."""
    if isinstance(reference, Profile):
        loaded = reference
    elif is_profile_file(reference):
        loaded = load_profile(reference)
    else:
        roles = given or Roles()
        return profile_with_roles(reference, roles, "reference data"), roles
    if loaded.roles is not None:
        if given is not None and given != Roles():
            named = [f"{k}=" for k, v in given.to_dict().items() if v not in (None, [])]
            raise ProfileError(
                f"the reference profile remembers its column roles, so {', '.join(named)} "
                "cannot be given again; profile the reference data anew to change them")
        return loaded, loaded.roles
    roles = _implied(loaded, given or Roles())
    dropped = {*roles.unprofiled, *((roles.target,) if roles.target else ())}
    return without_columns(loaded, dropped), roles


def _implied(profile: Profile, given: Roles) -> Roles:
    """The roles of a profile saved without them: the given ones, and what its model
    summary (prediction, target, task) and its segments say, as ``monitor compare`` reads it."""
    summary = profile.performance
    cut = segment_columns(profile)
    return replace(
        given,
        prediction=given.prediction or (summary.prediction if summary else None),
        target=given.target or (summary.target if summary else None),
        task=given.task or (summary.task if summary else None),
        segments=tuple(dict.fromkeys((*cut, *given.segments))))


def _current(current: object, reference: Profile, roles: Roles, plan: CheckPlan | None
             ) -> tuple[Profile, list[QualityResult]]:
    """The current data profiled on the reference's edges, as the monitor profiles a window,
    and the results of the checks run on the same chunks."""
    if isinstance(current, Profile):
        raise ProfileError("current must be data (a DataFrame, a pyarrow Table or a file "
                           "path), not a profile: compare profiles it on the reference's edges")
    builder = ProfileBuilder(
        reference=reference, exclude=list(roles.unprofiled),
        prediction=roles.prediction, target=roles.target, task=roles.task,
        segments=roles.segments)
    accumulator = CheckAccumulator(plan, reference_kinds(reference)) if plan else None
    for chunk in chunks(current, "current"):
        builder.update(chunk)
        if accumulator is not None:
            accumulator.update(chunk)
    return builder.build(), accumulator.results() if accumulator is not None else []


def _drift_options(
    method: str | None, threshold: float | None, correction: str | None,
    drift_share: float | None, min_effect: float | None,
    columns: Mapping[str, Mapping[str, Any]] | None, multivariate: Sequence[str],
) -> DriftOptions:
    """The options as ``DriftOptions``; a bad one is a MonitorError, as on the command line."""
    try:
        overrides = {}
        for name, given in (columns or {}).items():
            if not isinstance(given, Mapping):
                raise ValueError(f"columns[{name!r}] must be a mapping such as "
                                 f"{{'method': 'psi', 'threshold': 0.2}}, got {given!r:.80}")
            unknown = sorted(set(given) - {"method", "threshold", "min_effect"})
            if unknown:
                raise ValueError(f"columns[{name!r}] has unknown keys {unknown}; known keys: "
                                 "method, threshold, min_effect")
            overrides[str(name)] = ColumnDriftOptions(**given)
        return DriftOptions(
            method=AUTO if method is None else method, threshold=threshold,
            correction="holm" if correction is None else correction,
            drift_share=DEFAULT_DRIFT_SHARE if drift_share is None else drift_share,
            columns=overrides, min_effect=min_effect,
            multivariate=(multivariate,) if isinstance(multivariate, str) else tuple(multivariate))
    except (TypeError, ValueError) as exc:
        raise MonitorError(str(exc)) from exc


def _quality_options(quality: Mapping[str, float] | None) -> QualityOptions:
    """The quality limits, named as in a rule file's ``quality:`` block."""
    if quality is None:
        return QualityOptions()
    if not isinstance(quality, Mapping):
        raise MonitorError(f"quality must be a mapping such as {{'missing_share': 0.05}}, got "
                           f"{quality!r:.80}")
    known = [*QUALITY_CHECKS, "min_rows"]
    unknown = sorted(set(quality) - set(known))
    if unknown:
        raise MonitorError(f"unknown quality checks {unknown}; known: {', '.join(known)}")
    for name, value in quality.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if name == "min_rows" and not (number and value == int(value) and value >= 0):
            raise MonitorError(f"quality min_rows must be a whole number >= 0, got {value!r}")
        if name != "min_rows" and not (number and math.isfinite(value) and 0 <= value <= 1):
            raise MonitorError(f"quality {name} must be a share between 0 and 1, got {value!r}")
    options: dict[str, Any] = {QUALITY_CHECKS[k]: v for k, v in quality.items() if k != "min_rows"}
    rows = quality.get("min_rows")
    return QualityOptions(**options, min_rows=None if rows is None else int(rows))
