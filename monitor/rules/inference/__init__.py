"""A first monitor inferred from a sample of its data: what ``monitor init`` drafts.

Pure: a pandas sample in, plain values out, each choice with the reason an
operator reads next to it in the drafted rule file. ``columns`` finds the
timestamp, the ids to leave out, the prediction and the labels, and each
column's kind; ``timing`` the window, schedule and delay that fit how dense
the data is in time; ``quality`` the data-quality limits the sample itself
passes. Reading the data and writing the rule file are the command's
(``monitor.cli.init``).
"""

from monitor.rules.inference.columns import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    EXCLUDED,
    FEATURE,
    NUMERIC,
    PREDICTION,
    TARGET,
    TEXT,
    TIMESTAMP,
    ColumnChoice,
    ColumnPlan,
    as_times,
    infer_columns,
    named_like_time,
    time_name_rank,
)
from monitor.rules.inference.quality import QualityPlan, choose_quality
from monitor.rules.inference.timing import Timing, choose_timing

__all__ = [
    "BOOLEAN",
    "CATEGORICAL",
    "DATETIME",
    "EXCLUDED",
    "FEATURE",
    "NUMERIC",
    "PREDICTION",
    "TARGET",
    "TEXT",
    "TIMESTAMP",
    "ColumnChoice",
    "ColumnPlan",
    "QualityPlan",
    "Timing",
    "as_times",
    "choose_quality",
    "choose_timing",
    "infer_columns",
    "named_like_time",
    "time_name_rank",
]
