"""The process's one Spark session, started on first use.

The master comes from ``MONITOR_SPARK_MASTER`` (default ``local[*]``), so
the same rule file runs on a laptop and on a cluster; a source's ``spark:``
block adds configuration (``spark.executor.memory``, ...). Spark keeps one
session per process: the first source to start it sets its static
configuration, and a later block's ``spark.sql.*`` keys are set at run time
on the shared session. Times are compared in UTC (``spark.sql.session.timeZone``),
as every other source does, whatever the block says.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from monitor.errors import SourceError
from monitor.settings import Settings

__all__ = ["INSTALL_HINT", "require_pyspark", "spark_session"]

INSTALL_HINT = "pip install 'monitor[spark]'"
_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
}
_lock = threading.Lock()


def require_pyspark() -> ModuleType:
    """PySpark's ``pyspark.sql``, or a SourceError that says what to install."""
    try:
        import pyspark.sql
    except ImportError as exc:
        raise SourceError(f"the spark source needs PySpark, which is not installed: "
                          f"{INSTALL_HINT}") from exc
    return pyspark.sql


def spark_session(conf: Mapping[str, str] | None = None, master: str | None = None) -> Any:
    """The process's SparkSession, started with ``conf`` if it is not running yet.

    A local master runs its Python workers with this interpreter (where
    ``monitor`` is installed) unless ``PYSPARK_PYTHON`` says otherwise; on a
    cluster, ``monitor`` must be installed in the executors' Python.
    """
    sql = require_pyspark()
    master = master or Settings().spark_master
    settings = {**_DEFAULTS, **dict(conf or {}), "spark.sql.session.timeZone": "UTC"}
    with _lock:
        if master.startswith("local"):
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        active = sql.SparkSession.getActiveSession()
        if active is None:
            builder = sql.SparkSession.builder.master(master).appName("monitor")
            for key, value in settings.items():
                builder = builder.config(key, value)
            try:
                active = builder.getOrCreate()
            except Exception as exc:  # a JVM that cannot start: no Java, a bad master URL
                raise SourceError(f"cannot start Spark on '{master}': "
                                  f"{_first_line(exc)}") from exc
        for key, value in settings.items():
            if key.startswith("spark.sql."):
                active.conf.set(key, value)
        return active


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
