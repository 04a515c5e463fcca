"""Collecting one window of a monitor: ask its source, hand the answers to the analysis.

``collect_window`` is the runner's read step, the one place where a source
and the analysis meet. It asks the source for the window's profile computed
in place (``Source.profile_window``: a table on PostgreSQL or SQLite is
profiled inside the database) and otherwise streams the rows into
``analyse``. Then it asks the source what the read itself says (rows left
out, the newest row's time, rows that landed in the previous window after
its run) and hands those numbers to ``with_read_checks``. ``collect_labels``
reads an earlier window's predictions and the labels that came since, for
the model's metrics.

Monitors with ``segments`` or with labels (``columns.prediction`` and
``columns.target``) are always profiled from pulled rows: those parts of a
profile are not computed in place.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta

import pandas as pd

from monitor.analysis import (
    Analysis,
    ReadFacts,
    analyse,
    analyse_profile,
    labelled_window,
    with_labels,
    with_read_checks,
)
from monitor.analysis.options import profile_exclusions, segment_columns
from monitor.analysis.window import check_plan_of, reference_kinds, with_checks
from monitor.checks import QualityResult
from monitor.profiles import Profile
from monitor.rules.schema import MonitorSpec
from monitor.sources.base import ProfileRequest, Source, open_source
from monitor.windows import Window

__all__ = ["STALENESS_LOOKBACK", "collect_labels", "collect_window", "profile_request"]

log = logging.getLogger(__name__)

STALENESS_LOOKBACK = 2
"""Sources without a cheap ``max`` look this many ``max_staleness`` back for the newest row."""

Wrap = Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]


def profile_request(spec: MonitorSpec, reference: Profile) -> ProfileRequest | None:
    """What to ask a source to profile in place; None when the rows must be read.

    Segments, model metrics, estimated performance, embeddings and texts read the rows.
    """
    columns = spec.columns
    if (segment_columns(spec) or (columns.prediction and columns.target)
            or reference.estimator is not None or reference.embeddings or reference.texts):
        return None
    return ProfileRequest(reference=reference, exclude=tuple(profile_exclusions(spec)))


def collect_window(
    spec: MonitorSpec,
    reference: Profile,
    source: Source,
    window: Window,
    *,
    now: datetime,
    history: Sequence[int] = (),
    previous: tuple[Window, int] | None = None,
    wrap: Wrap = lambda chunks: chunks,
) -> Analysis:
    """Profile the window (in place when the source can), compare it, add the read checks.

    Args:
        history: rows of the windows processed before this one, newest first
            (for the expected volume).
        previous: the window just before this one and the rows its run
            counted, to find rows that arrived after it ran (``late_rows``).
        wrap: applied to the chunks of pulled rows (the runner stops there).
    """
    request = profile_request(spec, reference)
    current = source.profile_window(window.start, window.end, request) if request else None
    plan = check_plan_of(spec)
    checked: list[QualityResult] = []
    if current is not None and plan:
        found = source.check_window(window.start, window.end, plan, reference_kinds(reference))
        if found is None:  # the rows are read after all: profile and checks in one pass
            current = None
        checked = found or []
    if current is not None:
        log.debug("window profiled in place: %d rows", current.rows)
        analysis = with_checks(analyse_profile(spec, reference, current), checked)
    else:
        analysis = analyse(spec, reference, wrap(source.read(window.start, window.end)))
    stats = source.read_stats()  # before newest() and count_rows() read again
    queried = [source.sql_check(check, window.start, window.end) for check in plan.sql]
    facts = ReadFacts(stats, _newest(spec, source, now), _late(source, previous))
    return with_read_checks(with_checks(analysis, queried), spec, facts, history=history,
                            now=now)


def collect_labels(
    spec: MonitorSpec, analysis: Analysis, window: Window, *, stop: threading.Event | None = None,
    reference: Profile | None = None,
) -> Analysis:
    """The analysis with the model measured on the window whose labels are in by now.

    Reads that earlier window's predictions from the monitor's source and the
    labels that arrived since from the ``labels:`` source (see
    ``monitor.analysis.labels``); ``stop`` interrupts the sources' waits.
    """
    assert spec.labels is not None
    earlier = labelled_window(spec, window)
    base = spec.origin.parent
    predictions = open_source(spec.source.config, base_dir=base, stop=stop).read(
        earlier.start, earlier.end)
    labels = open_source(spec.labels.source.config, base_dir=base, stop=stop).read(
        earlier.start, window.end)
    estimator = reference.estimator if reference is not None else None
    return with_labels(analysis, spec, earlier, predictions, labels, estimator)


def _newest(spec: MonitorSpec, source: Source, now: datetime) -> datetime | None:
    limit = spec.quality.max_staleness
    if limit is None:
        return None
    return source.newest(now, max(limit * STALENESS_LOOKBACK, timedelta(seconds=1)))


def _late(source: Source, previous: tuple[Window, int] | None) -> tuple[int | None, int] | None:
    if previous is None:
        return None
    window, counted = previous
    return source.count_rows(window.start, window.end), counted
