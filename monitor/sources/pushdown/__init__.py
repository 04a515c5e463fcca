"""Push-down profiling: a table window's profile computed by the database itself.

``plan.py`` decides, column by column, what the database can read exactly as
pulled rows would be read; ``aggregates.py`` builds the aggregate
expressions and decodes them; ``sample.py`` draws the random samples;
``profiler.py`` runs the queries and assembles the ``Profile``.
"""

from monitor.sources.pushdown.plan import Plan, plan_columns
from monitor.sources.pushdown.profiler import profile_table

__all__ = ["Plan", "plan_columns", "profile_table"]
