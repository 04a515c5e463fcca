"""The metric names `when:` accepts are exactly those a comparison reports."""

import pandas as pd

from monitor.compare import compare
from monitor.profiles import build_profile
from monitor.rules.expressions import BASE_METRICS


def test_when_names_match_comparison_metrics():
    """Every reported metric may be used in `when:`, and nothing else is accepted."""
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    reference = build_profile([frame])
    current = build_profile([frame], reference=reference)
    assert set(compare(reference, current).metrics()) == set(BASE_METRICS)
