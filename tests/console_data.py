"""Stored runs for the console's tests and benchmark: real profiles, comparisons and reports.

A handful of windows are profiled and compared for real (some drifted, some
not, with a quality failure and model metrics); each stored run takes one of
them, so thousands of runs cost the time of a few analyses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from monitor.analysis import Analysis, QualityOptions, compare, report_document, results_of
from monitor.analysis.comparison import DriftOptions
from monitor.profiles import ProfileBuilder
from monitor.records import NewResult, NewRun, RunRecord
from monitor.store import Store

HOSTILE = "<img src=x onerror=alert(1)>"
"""A column name that must show as text wherever the console prints it."""


@dataclass(frozen=True)
class Variant:
    """One analysed window: what each run that takes it stores."""

    drift_share: float
    dataset_drift: bool
    rows: int
    results: list[NewResult]
    report: dict[str, Any]


def frame(rows: int, columns: int, shift: float, seed: int) -> pd.DataFrame:
    """``columns`` columns (numbers, a few categories), the first ones moved by ``shift``."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    for i in range(columns):
        name = HOSTILE if i == 1 else f"feature_{i:02d}"
        moved = shift if i < (2 * columns) // 3 else 0.0
        if i % 5 == 4:
            levels = np.array(["red", "green", "blue", "amber"])
            weights = np.array([0.4, 0.3, 0.2, 0.1]) if not moved else np.array([.1, .2, .3, .4])
            data[name] = rng.choice(levels, size=rows, p=weights)
        else:
            data[name] = rng.normal(moved, 1.0, size=rows)
    data["score"] = rng.uniform(0, 1, size=rows)
    data["label"] = (rng.uniform(0, 1, size=rows) < data["score"]).astype(int)
    return pd.DataFrame(data)


def variants(columns: int = 26, rows: int = 2000, count: int = 6) -> list[Variant]:
    """``count`` analysed windows, drift growing from none to strong."""
    reference = ProfileBuilder(prediction="score", target="label")
    reference.update(frame(rows, columns, 0.0, seed=1))
    ref = reference.build()
    found = []
    for k in range(count):
        builder = ProfileBuilder(reference=ref, prediction="score", target="label")
        builder.update(frame(rows, columns, shift=0.6 * k / max(1, count - 1), seed=10 + k))
        current = builder.build()
        comparison = compare(ref, current, DriftOptions(prediction="score"),
                             QualityOptions())
        analysis = Analysis(current, comparison)
        found.append(Variant(
            comparison.drift_share, comparison.dataset_drift, current.rows,
            results_of(analysis),
            report_document(comparison, ref, current, reference_source="train v1",
                            current_source=f"window {k}")))
    return found


def seed_runs(
    store: Store, monitor: str, runs: int, *, end: datetime | None = None,
    step: timedelta = timedelta(hours=1), drifting_last: int = 6,
    found: list[Variant] | None = None,
) -> list[RunRecord]:
    """Store ``runs`` hourly runs of ``monitor`` ending at ``end``; the last
    ``drifting_last`` take the drifted variants, the others the quiet ones."""
    end = end or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    found = found or variants()
    quiet, loud = [found[0], found[0]], found[-2:]
    stored = []
    for i in range(runs):
        window_end = end - step * (runs - 1 - i)
        variant = (loud if i >= runs - drifting_last else quiet)[i % 2]
        run = NewRun(monitor=monitor, window_start=window_end - step, window_end=window_end,
                     status="ok", started_at=window_end, finished_at=window_end,
                     reference_name="train", reference_version=1, reference_rows=2000,
                     current_rows=variant.rows, drift_share=variant.drift_share,
                     dataset_drift=variant.dataset_drift)
        record = store.save_run(run, variant.results, [], [], report=variant.report)
        assert record is not None
        stored.append(record)
    return stored
