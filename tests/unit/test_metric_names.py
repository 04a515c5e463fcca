"""The metric names `when:` accepts are exactly those a comparison reports."""

import pandas as pd

from monitor.analysis import COLUMN_STATS
from monitor.analysis.comparison import compare
from monitor.profiles import build_profile
from monitor.rules.expressions import BASE_METRICS


def test_when_names_match_comparison_metrics():
    """Base metrics are BASE_METRICS; the rest are column.<name>.<stat>, stat in COLUMN_STATS."""
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    reference = build_profile([frame])
    current = build_profile([frame], reference=reference)
    metrics = compare(reference, current).metrics()
    assert {k for k in metrics if "." not in k} == set(BASE_METRICS)
    per_column = {k for k in metrics if "." in k}
    assert per_column == {f"column.x.{s}" for s in COLUMN_STATS} | {
        f"column.c.{s}" for s in COLUMN_STATS if s != "wasserstein"}
