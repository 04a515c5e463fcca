"""What one window's data says: its profile compared with the reference, whole and per segment.

``analyse`` streams a window's chunks into a profile built on the reference's
edges (with the labelled predictions and the segments the rules ask for) and
compares the two; ``results_of`` turns the analysis into the result rows the
store keeps. The runner calls both; nothing here touches the database or the
network.

**Metric names** that ``Analysis.metrics()`` reports and alert conditions
read: the base names (``drift_share``, ``rows``, ...; see
``monitor.rules.expressions.BASE_METRICS``); ``column.<name>.<stat>`` for
every compared column with ``<stat>`` in ``COLUMN_STATS`` (``wasserstein``
for numbers only); ``prediction.<stat>`` for the prediction column;
``performance.<metric>`` with ``<metric>`` in ``PERFORMANCE_METRICS`` when
labels were there (the task's metrics only); ``multivariate.<method>.<stat>``
with ``<stat>`` in ``MULTIVARIATE_STATS`` for the multivariate methods run.
Each segment (``state=CA``) has its own ``metrics()`` with the same names.

**Labels that arrive later** (a monitor's ``labels:`` block): the run of a
window also measures the model on the window that ended ``labels.delay``
before it (``labelled_window``); ``with_labels`` joins that window's
predictions with the labels that arrived since, on the id column, and puts
the metrics in ``performance.*``. The predictions of a window are held as
(id, prediction) pairs while the labels stream past.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from monitor.compare import Comparison, DriftOptions, compare
from monitor.options import column_kinds, drift_options, profile_exclusions, quality_options
from monitor.profiles import PerformanceSummary, Profile, ProfileBuilder
from monitor.profiles.performance import PerformanceAccumulator
from monitor.quality import QualityOptions
from monitor.rules.schema import MonitorSpec
from monitor.stats import PERFORMANCE_METRICS, known_multivariate, performance_metrics
from monitor.store.records import NewResult
from monitor.windows import Window, align

__all__ = [
    "COLUMN_STATS",
    "MULTIVARIATE_METHODS",
    "MULTIVARIATE_STATS",
    "PERFORMANCE_METRICS",
    "Analysis",
    "analyse",
    "compare_segments",
    "join_labels",
    "labelled_window",
    "results_of",
    "with_labels",
]

logger = logging.getLogger(__name__)

COLUMN_STATS: tuple[str, ...] = ("statistic", "p_value", "effect_size", "drifted", "psi",
                                 "jensenshannon", "hellinger", "wasserstein", "missing_share")
"""Per-column metric names: ``column.<name>.<stat>`` and ``prediction.<stat>``."""

MULTIVARIATE_METHODS: tuple[str, ...] = tuple(known_multivariate())
MULTIVARIATE_STATS: tuple[str, ...] = ("statistic", "p_value", "drifted")
"""Multivariate metric names: ``multivariate.<method>.<stat>``."""


@dataclass(frozen=True, slots=True)
class Analysis:
    """The current window's profile and its comparison with the reference, and per segment."""

    current: Profile
    comparison: Comparison
    segments: Mapping[str, Analysis] = field(default_factory=dict)
    labelled_window: Window | None = None
    """With ``labels:``, the earlier window that ``performance.*`` measures."""

    @property
    def rows(self) -> int:
        """Rows in the window (or the segment)."""
        return self.current.rows

    def metrics(self) -> dict[str, float]:
        """The numbers alert conditions (``when:``) are evaluated on."""
        return self.comparison.metrics()


def analyse(spec: MonitorSpec, reference: Profile, chunks: Iterable[pd.DataFrame]) -> Analysis:
    """Profile ``chunks`` on the reference's edges and compare them, whole and per segment."""
    target = spec.columns.target
    exclude = [c for c in profile_exclusions(spec) if c != target]
    builder = ProfileBuilder(
        reference=reference, exclude=exclude, kinds=column_kinds(spec),
        prediction=spec.columns.prediction, target=target, task=spec.columns.task,
        segments=spec.segments,
    )
    for chunk in chunks:
        builder.update(chunk)
    current = builder.build()
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
    options = DriftOptions(
        method=drift.method, threshold=drift.threshold, correction=drift.correction,
        drift_share=drift.drift_share, columns=drift.columns, min_effect=drift.min_effect,
        prediction=drift.prediction,
    )
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


def labelled_window(spec: MonitorSpec, window: Window) -> Window:
    """The window whose labels are in by the end of ``window``: ``labels.delay`` earlier.

    >>> from datetime import UTC, datetime, timedelta
    >>> spec = MonitorSpec.model_validate({
    ...     "name": "m", "schedule": {"every": "1h"}, "window": "1h",
    ...     "source": {"type": "file", "path": "p.parquet", "timestamp": "ts"},
    ...     "reference": {"path": "r.parquet"}, "columns": {"prediction": "score"},
    ...     "labels": {"source": {"type": "file", "path": "l.parquet", "timestamp": "at"},
    ...                "id": "rid", "target": "y", "delay": "2d"}})
    >>> end = datetime(2026, 11, 24, 10, tzinfo=UTC)
    >>> str(labelled_window(spec, Window(end - timedelta(hours=1), end)))
    '[2026-11-22T09:00:00Z, 2026-11-22T10:00:00Z)'
    """
    assert spec.labels is not None
    end = align(window.end - spec.labels.delay, spec.window)
    return Window(end - spec.window, end)


def join_labels(
    predictions: Iterable[pd.DataFrame], labels: Iterable[pd.DataFrame], *, id_column: str,
    prediction: str, target: str, task: str | None = None, seed: int = 0,
) -> PerformanceSummary | None:
    """Model metrics' sums of predictions joined with later labels on ``id_column``.

    A prediction without a label counts as unlabelled; a label without a
    prediction in the window is ignored; an id labelled twice keeps its
    first label. None when no label matched (the task is then unknown).
    """
    kept = [c[[id_column, prediction]] for c in predictions
            if id_column in c.columns and prediction in c.columns]
    pairs = (pd.concat(kept, ignore_index=True) if kept
             else pd.DataFrame({id_column: [], prediction: []}))
    pairs = pairs.drop_duplicates(id_column, keep="last")
    index = pd.Index(pairs[id_column])
    values = pairs[prediction].reset_index(drop=True)
    seen = np.zeros(len(index), dtype=bool)
    accumulator = PerformanceAccumulator("prediction", "label", task,  # type: ignore[arg-type]
                                         rng=np.random.default_rng(seed))
    for chunk in labels:
        if id_column not in chunk.columns or target not in chunk.columns:
            continue
        chunk = chunk[chunk[target].notna()]
        position = index.get_indexer(chunk[id_column])
        _, first = np.unique(position, return_index=True)
        pick = np.zeros(len(position), dtype=bool)
        pick[first] = True
        pick &= position >= 0
        pick[pick] = ~seen[position[pick]]
        seen[position[pick]] = True
        accumulator.add(pd.DataFrame({"prediction": values.iloc[position[pick]].to_numpy(),
                                      "label": chunk[target].to_numpy()[pick]}))
    summary = accumulator.build()
    if summary is None:
        return None
    unmatched = len(index) - int(np.count_nonzero(seen))
    return replace(summary, prediction=prediction, target=target,
                   unlabelled=summary.unlabelled + unmatched)


def with_labels(
    analysis: Analysis, spec: MonitorSpec, window: Window,
    predictions: Iterable[pd.DataFrame], labels: Iterable[pd.DataFrame],
) -> Analysis:
    """The analysis with ``performance.*`` measured on ``window``'s predictions and later labels."""
    assert spec.labels is not None and spec.columns.prediction is not None
    summary = join_labels(predictions, labels, id_column=spec.labels.id,
                          prediction=spec.columns.prediction, target=spec.labels.target,
                          task=spec.columns.task)
    metrics = performance_metrics(summary) if summary is not None and summary.count else {}
    logger.info("model metrics of %s: %d labelled rows, %d without a label yet", window,
                summary.count if summary else 0, summary.unlabelled if summary else 0)
    comparison = replace(analysis.comparison, performance=metrics)
    return replace(analysis, comparison=comparison, labelled_window=window)


def results_of(analysis: Analysis) -> list[NewResult]:
    """One result row per drift test, quality check, model metric and multivariate test.

    Segments' rows carry their key in ``segment``.
    """
    rows = _rows(analysis.comparison, None)
    for key, segment in analysis.segments.items():
        rows += _rows(segment.comparison, key)
    return rows


def _rows(comparison: Comparison, segment: str | None) -> list[NewResult]:
    rows = [
        NewResult(check="drift", column=c.column, segment=segment, kind=c.kind, method=c.method,
                  statistic=c.statistic, p_value=c.p_value, threshold=c.threshold,
                  effect_size=c.effect_size, passed=not c.drifted, drifted=c.drifted)
        for c in comparison.columns
    ]
    rows += [
        NewResult(check=q.check, column=q.column, segment=segment, threshold=q.threshold,
                  value=q.value, passed=q.passed)
        for q in comparison.quality
    ]
    rows += [
        NewResult(check="multivariate", column=None, segment=segment, method=m.method,
                  statistic=m.statistic, p_value=m.p_value, threshold=m.threshold,
                  effect_size=m.effect_size, passed=not m.drifted, drifted=m.drifted)
        for m in comparison.multivariate
    ]
    rows += [
        NewResult(check="performance", column=comparison.prediction, segment=segment,
                  method=name, value=value)
        for name, value in comparison.performance.items()
    ]
    return rows
