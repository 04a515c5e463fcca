"""The report document a run stores for the console: its distributions, next to its results."""

from __future__ import annotations

import logging
from typing import Any

from monitor.analysis import Analysis, report_document
from monitor.daemon.references import Reference
from monitor.rules.schema import MonitorSpec
from monitor.times import format_time
from monitor.windows import Window

__all__ = ["report_of"]

log = logging.getLogger(__name__)


def report_of(spec: MonitorSpec, window: Window, reference: Reference,
            analysis: Analysis) -> dict[str, Any] | None:
    """The run's report document for the console; a window without rows has none.

    A report that cannot be built costs the console its charts, never the run.
    """
    if analysis.rows == 0:
        return None
    try:
        return report_document(
            analysis.comparison, reference.profile, analysis.current,
            reference_source=f"{reference.name} v{reference.version}",
            current_source=f"{spec.name} [{format_time(window.start, 'seconds')}, "
                           f"{format_time(window.end, 'seconds')})",
            segments={key: part.comparison for key, part in analysis.segments.items()})
    except Exception:  # a bug in the report must not fail the run it describes
        log.exception("the report of monitor %s was not built; the run is stored without it",
                      spec.name)
        return None
