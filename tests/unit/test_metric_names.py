"""The metric names `when:` accepts are exactly those a comparison reports."""

import pandas as pd

from monitor.analysis import COLUMN_STATS
from monitor.analysis.comparison import compare
from monitor.profiles import build_profile
from monitor.rules.expressions import BASE_METRICS
from monitor.rules.metric_names import QUALITY_STATS


def per_column_names(metrics: dict[str, float]) -> set[str]:
    return {k for k in metrics if k.startswith("column.")}


def test_when_names_match_comparison_metrics():
    """Base metrics are BASE_METRICS; the rest are column.<name>.<stat>, stat in COLUMN_STATS."""
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    reference = build_profile([frame])
    current = build_profile([frame], reference=reference)
    metrics = compare(reference, current).metrics()
    # ``verdict`` is added by the daemon once the run decided it, not by the comparison.
    plain = {k for k in metrics if "." not in k or k == "quality.failed"}
    assert plain | {"verdict"} == set(BASE_METRICS)
    checks = {k for k in metrics if k.startswith("quality.") and k != "quality.failed"}
    assert checks and all(k.rsplit(".", 1)[1] in QUALITY_STATS for k in checks)
    assert set(metrics) | {"verdict"} == set(BASE_METRICS) | per_column_names(metrics) | checks
    per_column = {k for k in metrics if k.startswith("column.")}
    assert per_column == {f"column.x.{s}" for s in COLUMN_STATS} | {
        f"column.c.{s}" for s in COLUMN_STATS if s != "wasserstein"}
