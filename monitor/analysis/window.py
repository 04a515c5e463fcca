"""What one window's data says: its profile compared with the reference, whole and per segment.

``analyse`` streams a window's chunks into a profile built on the reference's
edges (with the labelled predictions and the segments the rules ask for);
``analyse_profile`` compares a profile computed elsewhere (in the database);
both return an ``Analysis``. ``with_read_checks`` adds what the read itself
says (volume, staleness, late and unreadable rows; ``freshness``). Nothing
here touches the database or the network: the runner passes the chunks, the
profile and the facts of the read in.

**Metric names** that ``Analysis.metrics()`` reports and alert conditions
read: the base names (``drift_share``, ``rows``, ...; see
``monitor.rules.expressions.BASE_METRICS``); ``column.<name>.<stat>`` for
every compared column with ``<stat>`` in ``COLUMN_STATS`` (``wasserstein``
for numbers only); ``prediction.<stat>`` for the prediction column;
``performance.<metric>`` with ``<metric>`` in ``PERFORMANCE_METRICS`` when
labels were there (the task's metrics only); ``multivariate.<method>.<stat>``
with ``<stat>`` in ``MULTIVARIATE_STATS`` for the multivariate methods run.
Each segment (``state=CA``) has its own ``metrics()`` with the same names.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import pandas as pd

from monitor.analysis.comparison import Comparison, DriftOptions, compare
from monitor.analysis.estimates import error_metrics
from monitor.analysis.freshness import (
    check_late_rows,
    check_staleness,
    check_volume,
    expected_rows,
    read_results,
)
from monitor.analysis.options import (
    column_kinds,
    drift_options,
    profile_exclusions,
    quality_options,
    segment_columns,
    volume_options,
)
from monitor.analysis.quality import QualityOptions, QualityResult
from monitor.checks import CheckPlan
from monitor.checks.local import CheckAccumulator
from monitor.profiles import Profile, ProfileBuilder
from monitor.profiles.estimation import Estimate
from monitor.records import ReadStats
from monitor.rules.metric_names import COLUMN_STATS, MULTIVARIATE_STATS
from monitor.rules.plans import check_plan
from monitor.rules.schema import MonitorSpec
from monitor.stats import PERFORMANCE_METRICS, known_multivariate
from monitor.windows import Window

__all__ = [
    "COLUMN_STATS",
    "MULTIVARIATE_METHODS",
    "MULTIVARIATE_STATS",
    "PERFORMANCE_METRICS",
    "Analysis",
    "ReadFacts",
    "analyse",
    "analyse_profile",
    "check_plan_of",
    "compare_segments",
    "current_builder",
    "reference_kinds",
    "with_checks",
    "with_read_checks",
    "with_verdicts",
]

logger = logging.getLogger(__name__)

MULTIVARIATE_METHODS: tuple[str, ...] = tuple(known_multivariate())
"""The multivariate methods whose ``multivariate.<method>.<stat>`` names a run may report."""


@dataclass(frozen=True, slots=True)
class Analysis:
    """The current window's profile and its comparison with the reference, and per segment."""

    current: Profile
    comparison: Comparison
    segments: Mapping[str, Analysis] = field(default_factory=dict)
    labelled_window: Window | None = None
    """With ``labels:``, the earlier window that ``performance.*`` measures."""
    labelled_estimate: Estimate | None = None
    """With ``labels:`` and an estimator, the estimate of that window's labelled rows."""
    verdict: float | None = None
    """The retrain verdict's level once the run decided it (``VERDICT_LEVELS``)."""

    @property
    def rows(self) -> int:
        """Rows in the window (or the segment)."""
        return self.current.rows

    def metrics(self) -> dict[str, float]:
        """The numbers alert conditions (``when:``) are evaluated on."""
        verdict = {} if self.verdict is None else {"verdict": self.verdict}
        return {**self.comparison.metrics(), **error_metrics(self.labelled_estimate), **verdict}


@dataclass(frozen=True, slots=True)
class ReadFacts:
    """What the source said about a window besides its rows, for the read checks.

    Attributes:
        stats: the counts of the read (rows left out, unreadable records).
        newest: the newest row's time at run time (None: none found, or not asked).
        late: the previous window's rows counted now and when its run stored
            them; None when the source cannot count cheaply or there is no
            previous run.
    """

    stats: ReadStats = field(default_factory=ReadStats)
    newest: datetime | None = None
    late: tuple[int | None, int | None] | None = None


def current_builder(spec: MonitorSpec, reference: Profile) -> ProfileBuilder:
    """The builder of a window's profile: the reference's edges, the rules' columns and segments."""
    target = spec.columns.target
    return ProfileBuilder(
        reference=reference, exclude=[c for c in profile_exclusions(spec) if c != target],
        kinds=column_kinds(spec), prediction=spec.columns.prediction, target=target,
        task=spec.columns.task, segments=segment_columns(spec),
    )


def check_plan_of(spec: MonitorSpec) -> CheckPlan:
    """The checks the monitor's ``quality:`` block writes (its timestamp is a known column)."""
    timestamp = spec.source.config.timestamp
    return check_plan(spec.quality, known=(timestamp,) if timestamp else ())


def analyse(spec: MonitorSpec, reference: Profile, chunks: Iterable[pd.DataFrame]) -> Analysis:
    """Profile ``chunks`` on the reference's edges and compare them, whole and per segment.

    The monitor's own checks (``quality.columns``, ``conditions``...) read the
    same chunks in the same pass; its ``sql`` checks run elsewhere (on the source).
    """
    builder = current_builder(spec, reference)
    plan = check_plan_of(spec)
    checks = CheckAccumulator(plan, reference_kinds(reference)) if plan else None
    for chunk in chunks:
        builder.update(chunk)
        if checks is not None:
            checks.update(chunk)
    analysis = analyse_profile(spec, reference, builder.build())
    return analysis if checks is None else with_checks(analysis, checks.results())


def reference_kinds(reference: Profile) -> dict[str, str]:
    """Each reference column's kind: how the checks read the current values."""
    return {name: column.kind for name, column in reference.columns.items()}


def analyse_profile(spec: MonitorSpec, reference: Profile, current: Profile) -> Analysis:
    """Compare a window's profile with the reference, whole and per segment."""
    drift, quality = drift_options(spec), quality_options(spec)
    comparison = compare(reference, current, drift, quality)
    return Analysis(current, comparison, compare_segments(reference, current, drift, quality))


def compare_segments(
    reference: Profile, current: Profile, drift: DriftOptions, quality: QualityOptions
) -> dict[str, Analysis]:
    """Each current segment against the reference's same segment (or the whole reference).

    Multivariate methods run on the whole window only.
    """
    if not current.segments:
        return {}
    options = replace(drift, multivariate=())
    whole = Profile(reference.rows, reference.columns, reference.extra_columns)
    out: dict[str, Analysis] = {}
    missing = []
    for key, segment in current.segments.items():
        own = reference.segments.get(key)
        if own is None:
            missing.append(key)
        out[key] = Analysis(segment, compare(own or whole, segment, options, quality))
    if missing and reference.segments:
        logger.info("segments %s are not in the reference profile; compared with the whole "
                    "reference", ", ".join(missing[:10]))
    return out


def with_read_checks(
    analysis: Analysis, spec: MonitorSpec, facts: ReadFacts, *, history: Sequence[int] = (),
    now: datetime,
) -> Analysis:
    """The analysis with the checks about the read added to its quality results.

    Args:
        facts: what the source said about the read.
        history: rows of the windows processed before this one, newest first
            (for the expected volume).
        now: the run time (for the staleness).
    """
    extra = read_results(facts.stats)
    volume = volume_options(spec)
    if volume is not None:
        checked = check_volume(analysis.rows, expected_rows(history, volume), volume)
        extra += [checked] if checked is not None else []
    if spec.quality.max_staleness is not None:
        extra.append(check_staleness(now, facts.newest, spec.quality.max_staleness))
    if facts.late is not None:
        late = check_late_rows(*facts.late)
        extra += [late] if late is not None else []
    return with_checks(analysis, extra)


def with_verdicts(analysis: Analysis, levels: Mapping[str | None, float]) -> Analysis:
    """The analysis with each verdict level (None: the whole window's, else a segment's)."""
    segments = {key: replace(part, verdict=levels.get(key, part.verdict))
                for key, part in analysis.segments.items()}
    return replace(analysis, segments=segments, verdict=levels.get(None, analysis.verdict))


def with_checks(analysis: Analysis, results: Sequence[QualityResult]) -> Analysis:
    """The analysis with more quality results (the window's only, not its segments')."""
    if not results:
        return analysis
    comparison = analysis.comparison
    quality = comparison.quality + tuple(results)
    return replace(analysis, comparison=replace(comparison, quality=quality))
