"""What one window's data says: its profile compared with the reference.

``analyse`` streams a window's chunks into a profile built on the
reference's edges and compares the two; ``results_of`` turns the analysis
into the result rows the store keeps. The runner calls both; nothing here
touches the database or the network.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from monitor.compare import Comparison, compare
from monitor.options import drift_options, profile_exclusions, quality_options
from monitor.profiles import Profile, ProfileBuilder
from monitor.rules.schema import MonitorSpec
from monitor.store.records import NewResult

__all__ = ["Analysis", "analyse", "results_of"]


@dataclass(frozen=True, slots=True)
class Analysis:
    """The current window's profile and its comparison with the reference."""

    current: Profile
    comparison: Comparison

    @property
    def rows(self) -> int:
        """Rows in the window."""
        return self.current.rows

    def metrics(self) -> dict[str, float]:
        """The numbers alert conditions (``when:``) are evaluated on."""
        return self.comparison.metrics()


def analyse(spec: MonitorSpec, reference: Profile, chunks: Iterable[pd.DataFrame]) -> Analysis:
    """Profile ``chunks`` on the reference's edges and compare them with it."""
    builder = ProfileBuilder(reference=reference, exclude=profile_exclusions(spec))
    for chunk in chunks:
        builder.update(chunk)
    current = builder.build()
    comparison = compare(reference, current, drift_options(spec), quality_options(spec))
    return Analysis(current, comparison)


def results_of(analysis: Analysis) -> list[NewResult]:
    """One result row per drift test and per quality check."""
    comparison = analysis.comparison
    rows = [
        NewResult(check="drift", column=c.column, kind=c.kind, method=c.method,
                  statistic=c.statistic, p_value=c.p_value, threshold=c.threshold,
                  effect_size=c.effect_size, passed=not c.drifted, drifted=c.drifted)
        for c in comparison.columns
    ]
    rows += [
        NewResult(check=q.check, column=q.column, threshold=q.threshold, value=q.value,
                  passed=q.passed)
        for q in comparison.quality
    ]
    return rows
