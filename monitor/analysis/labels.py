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
from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from monitor.analysis.window import Analysis
from monitor.profiles import PerformanceSummary
from monitor.profiles.performance import PerformanceAccumulator
from monitor.rules.schema import MonitorSpec
from monitor.stats import performance_metrics
from monitor.windows import Window, align

__all__ = ["join_labels", "labelled_window", "with_labels"]

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
