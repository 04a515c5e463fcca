"""Analysis: what one window's data says, against its reference, as pure logic.

Owns the comparison of two profiles (``compare``: drift per column,
multivariate drift, model metrics), the data-quality checks (``quality``),
the checks about the read itself (``freshness``: volume, staleness, late and
unreadable rows), the translation of a monitor's rules into their options
(``options``), one window's analysis whole and per segment (``window``), the
model measured once late labels arrive (``labels``), the result rows a run
stores (``results``) and the report document its pages draw (``distributions``).

It takes profiles, chunks and numbers in and returns values: it imports no
database, HTTP client, scheduler or driver, and nothing from
``monitor.sources``, ``monitor.store``, ``monitor.alerts`` or
``monitor.daemon`` (the runner asks the source and hands the answers in).
"""

from monitor.analysis.comparison import (
    ColumnDrift,
    ColumnDriftOptions,
    Comparison,
    DriftOptions,
    MultivariateDrift,
    compare,
)
from monitor.analysis.distributions import MAX_BINS, MAX_CATEGORIES, report_document
from monitor.analysis.labels import join_labels, labelled_window, with_labels
from monitor.analysis.quality import QualityOptions, QualityResult, check_quality
from monitor.analysis.results import results_of
from monitor.analysis.window import (
    COLUMN_STATS,
    MULTIVARIATE_METHODS,
    MULTIVARIATE_STATS,
    PERFORMANCE_METRICS,
    Analysis,
    ReadFacts,
    analyse,
    analyse_profile,
    compare_segments,
    with_read_checks,
    with_verdicts,
)

__all__ = [
    "COLUMN_STATS",
    "MAX_BINS",
    "MAX_CATEGORIES",
    "MULTIVARIATE_METHODS",
    "MULTIVARIATE_STATS",
    "PERFORMANCE_METRICS",
    "Analysis",
    "ColumnDrift",
    "ColumnDriftOptions",
    "Comparison",
    "DriftOptions",
    "MultivariateDrift",
    "QualityOptions",
    "QualityResult",
    "ReadFacts",
    "analyse",
    "analyse_profile",
    "check_quality",
    "compare",
    "compare_segments",
    "join_labels",
    "labelled_window",
    "report_document",
    "results_of",
    "with_labels",
    "with_read_checks",
    "with_verdicts",
]
