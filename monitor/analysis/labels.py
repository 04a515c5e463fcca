"""Labels that arrive later: the model measured on an earlier window once its labels are in.

A monitor's ``labels:`` block names a label source. The run of a window also
measures the model on the window that ended ``labels.delay`` before it
(``labelled_window``); ``with_labels`` joins that window's predictions with
the labels that arrived since, on the id column, and puts the metrics in
``performance.*``. The predictions of a window are held as (id, prediction)
pairs while the labels stream past. Pure: the runner passes both streams in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from monitor.analysis.window import Analysis
from monitor.profiles import PerformanceSummary
from monitor.profiles.estimation import Estimate, EstimationAccumulator, Estimator
from monitor.profiles.performance import PerformanceAccumulator
from monitor.rules.schema import MonitorSpec
from monitor.stats import performance_metrics
from monitor.windows import Window, align

__all__ = ["join_labels", "labelled_estimate", "labelled_window", "matched_labels", "with_labels"]

logger = logging.getLogger(__name__)


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
    joined, unmatched = matched_labels(predictions, labels, id_column=id_column,
                                       keep=(prediction,), target=target)
    return _summary(joined, unmatched, prediction=prediction, target=target, task=task,
                    seed=seed)


def _summary(joined: pd.DataFrame, unmatched: int, *, prediction: str, target: str,
             task: str | None, seed: int) -> PerformanceSummary | None:
    """The metrics' sums of the matched rows; the unmatched predictions count as unlabelled."""
    accumulator = PerformanceAccumulator("prediction", "label", task,  # type: ignore[arg-type]
                                         rng=np.random.default_rng(seed))
    accumulator.add(pd.DataFrame({"prediction": joined[prediction].to_numpy(),
                                  "label": joined[_LABEL].to_numpy()}))
    summary = accumulator.build()
    if summary is None:
        return None
    return replace(summary, prediction=prediction, target=target,
                   unlabelled=summary.unlabelled + unmatched)


_LABEL = "\0label"


def matched_labels(
    predictions: Iterable[pd.DataFrame], labels: Iterable[pd.DataFrame], *, id_column: str,
    keep: Sequence[str], target: str,
) -> tuple[pd.DataFrame, int]:
    """The predicted rows (``keep`` columns) that got a label, and how many did not.

    The label is in column ``"\\0label"``; an id predicted twice keeps its
    last row, an id labelled twice its first label.
    """
    wanted = [id_column, *dict.fromkeys(keep)]
    kept = [c[[n for n in wanted if n in c.columns]] for c in predictions
            if id_column in c.columns and keep[0] in c.columns]
    rows = (pd.concat(kept, ignore_index=True) if kept
            else pd.DataFrame({n: [] for n in wanted}))
    rows = rows.drop_duplicates(id_column, keep="last").reset_index(drop=True)
    index = pd.Index(rows[id_column])
    label = np.full(len(index), None, dtype=object)
    seen = np.zeros(len(index), dtype=bool)
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
        label[position[pick]] = chunk[target].to_numpy()[pick]
    joined = rows[seen].assign(**{_LABEL: pd.Series(label[seen]).infer_objects().to_numpy()})
    return joined.reset_index(drop=True), len(index) - int(np.count_nonzero(seen))


def labelled_estimate(estimator: Estimator, joined: pd.DataFrame) -> Estimate:
    """The estimate of the labelled rows, with their realized metrics beside it.

    Both are measured on the same rows, so their difference is the
    estimator's own error, not the share of rows labelled.
    """
    accumulator = EstimationAccumulator(estimator)
    accumulator.update(joined.rename(columns={_LABEL: estimator.target}))
    return accumulator.estimate()


def with_labels(
    analysis: Analysis, spec: MonitorSpec, window: Window,
    predictions: Iterable[pd.DataFrame], labels: Iterable[pd.DataFrame],
    estimator: Estimator | None = None,
) -> Analysis:
    """The analysis with ``performance.*`` measured on ``window``'s predictions and later labels.

    With the reference's ``estimator``, also the estimate of the same labelled
    rows (``Analysis.labelled_estimate``), whence ``estimation_error.*``.
    """
    assert spec.labels is not None and spec.columns.prediction is not None
    keep = [spec.columns.prediction]
    if estimator is not None:
        keep += [*estimator.scores, *(estimator.encoding.features if estimator.encoding else ())]
    joined, unmatched = matched_labels(predictions, labels, id_column=spec.labels.id,
                                       keep=keep, target=spec.labels.target)
    summary = _summary(joined, unmatched, prediction=keep[0], target=spec.labels.target,
                       task=spec.columns.task, seed=0)
    metrics: dict[str, float] = (performance_metrics(summary)
                                 if summary is not None and summary.count else {})
    estimate = (labelled_estimate(estimator, joined)
                if estimator is not None and len(joined) else None)
    logger.info("model metrics of %s: %d labelled rows, %d without a label yet", window,
                summary.count if summary else 0, summary.unlabelled if summary else 0)
    comparison = replace(analysis.comparison, performance=metrics)
    return replace(analysis, comparison=comparison, labelled_window=window,
                   labelled_estimate=estimate)
