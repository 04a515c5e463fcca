"""The Python API: what ``import monitor`` offers a notebook or a script.

Owns the functions and result types the ``monitor`` package re-exports
(``profile``, ``load_profile``, ``compare``, ``check``, ``validate``,
``Comparison``, ``CheckResult``): the data a caller hands in (``inputs``:
a pandas DataFrame, a pyarrow Table or a file path), profiles with their
column roles (``profiling``), a comparison and its table, JSON and HTML views
(``comparison``) and the monitors of a rule file run once (``checks``).

It sits at the top beside ``monitor.cli`` and may import every package below
it, but never the command line. This face imports nothing, so that
``import monitor`` stays light: each module loads its libraries when first used.
"""
