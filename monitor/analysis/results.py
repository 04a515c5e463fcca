"""An analysis as the result rows a run stores: one per test, check and metric."""

from __future__ import annotations

from monitor.analysis.comparison import Comparison
from monitor.analysis.texts import text_results
from monitor.analysis.window import Analysis
from monitor.records import NewResult

__all__ = ["results_of"]


def results_of(analysis: Analysis) -> list[NewResult]:
    """One result row per drift test, quality check, model metric, multivariate and text test.

    Segments' rows carry their key in ``segment``. An estimated metric is
    stored with its band (``check="estimated"``); once labels arrive, the
    labelled window's estimate (``statistic``, band) beside the realized value
    as ``check="estimation_error"`` (``value``: realized − estimated;
    ``passed``: realized inside the band).
    """
    rows = _rows(analysis.comparison, None)
    for key, segment in analysis.segments.items():
        rows += _rows(segment.comparison, key)
    labelled = analysis.labelled_estimate
    if labelled is not None:  # the estimate of the labelled window beside its realized value
        rows += [
            NewResult(check="estimation_error", column=None, method=name, statistic=band.value,
                      value=realized - band.value, lower=band.lower, upper=band.upper,
                      passed=band.lower <= realized <= band.upper)
            for name, realized in labelled.realized.items()
            if (band := labelled.metrics.get(name)) is not None
        ]
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
                  value=q.value, passed=q.passed, failing_rows=q.failing_rows, name=q.name,
                  samples=q.samples, note=q.note)
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
    rows += [
        NewResult(check="embedding", column=e.embedding, segment=segment, method=e.method,
                  statistic=e.statistic, p_value=e.p_value, threshold=e.threshold,
                  effect_size=e.effect_size, passed=not e.drifted, drifted=e.drifted)
        for e in comparison.embeddings
    ]
    rows += text_results(comparison.texts, segment)
    estimated = comparison.estimated
    rows += [
        NewResult(check="estimated", column=None, segment=segment, method=name,
                  value=band.value, lower=band.lower, upper=band.upper)
        for name, band in (estimated.metrics.items() if estimated is not None else ())
    ]
    return rows
