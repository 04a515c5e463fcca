"""Sources: where production rows come from, one window at a time.

Owns the plug point (``base``: ``Source``, its ``Config``, ``ProfileRequest``),
read counting (``readstats``), timestamp handling (``timestamps``) and the
built-in kinds: files (``files``), SQL databases (``sql``, with ``pushdown``
profiling a table inside the database and ``engines`` sharing engines and
table reflections process-wide), HTTP APIs (``http``) and data-lake tables on
Spark (``spark``: profiles and checks computed on the cluster).

It imports the profiles and the foundation only: never the rules, analysis,
alerts, store or daemon. The runner asks a source and hands the answers to
the analysis.
"""
