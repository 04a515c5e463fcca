"""The Spark source: windows of a data-lake table profiled and checked on the cluster.

``source`` holds the ``spark`` kind (its ``Config`` validates without
PySpark, so rule files load anywhere); ``session`` starts the one Spark
session of the process from ``MONITOR_SPARK_MASTER`` and a source's
``spark:`` block; ``partials`` is what runs on the executors (a partial
profile per partition) and the tree that merges the partials; ``checks``
the quality checks as mergeable states, with a second pass for the checks
that do not merge (``unique``, ``duplicates``, ``quantile``);
``reference`` builds a reference profile on Spark in passes (``monitor
profile --engine spark``).

PySpark is an optional extra (``monitor[spark]``): it is imported inside
functions only. Like every source, this package imports the profiles,
the checks and the foundation only: never the rules, analysis, alerts,
store or daemon.
"""

from monitor.sources.spark.source import SparkSource

__all__ = ["SparkSource"]
