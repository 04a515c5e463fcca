"""A reference profile built on Spark in passes, equal to the one ``ProfileBuilder`` builds.

Without a reference, partitions choose their own histogram and fine edges,
and partials with different edges merge only approximately. So:

1. **Partials.** Each partition builds a profile with ``ProfileBuilder``
   (kinds, counts, moments, min/max, categories, samples, joint sample,
   performance sums) and they are merged in a tree: all of that is exact
   (or a uniform sample) after the merge. The coarse histogram edges are
   chosen from the merged sample as one pass chooses them from its own.
2. **Fine edges.** Every numeric column's values, read as their kind
   (numbers, seconds, lengths), go to Spark's aggregates: a column with at
   most ``FINE_EDGES`` distinct values gets every distinct value (exactly as
   in one pass); any other gets the values at ``FINE_EDGES`` evenly spaced
   ranks from ``percentile_approx`` with relative rank error
   ``1 / ACCURACY`` (1e-5). Each such fine bin then holds ``1/FINE_EDGES ±
   2/ACCURACY`` of the values (1e-4 ± 2e-5), so the KS distance read from
   the bins errs by at most 1.2e-4 instead of 1e-4; an atom gets a bin of its
   own as in one pass.
3. **Counts.** Every value is counted on the coarse and fine edges on the
   cluster (``ProfileBuilder`` with those edges as its reference, per
   partition, merged): the histograms are exact, not scaled from a sample.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from monitor.profiles import ColumnProfile, Profile, readers
from monitor.profiles.fine import FINE_EDGES, choose_fine_edges
from monitor.sources.spark.partials import CHUNK_ROWS, arrow_chunks, profile_on_cluster
from monitor.sources.spark.session import spark_session
from monitor.sources.spark.source import load_frame

__all__ = ["ACCURACY", "fine_edges_on_cluster", "profile_reference", "profile_table",
           "ranked_edges"]

ACCURACY = 100_000
"""``percentile_approx``'s accuracy: ranks within ``n / ACCURACY`` of the asked ones."""
_READERS = {"numeric": readers.read_numbers, "datetime": readers.read_datetimes,
            "text": readers.read_lengths}
_VALUES = pa.schema([("col", pa.int32()), ("value", pa.float64())])


def profile_table(table: str | None, path: str | None, fmt: str | None, *,
                  master: str | None = None, **options: Any) -> tuple[Profile, list[str]]:
    """The reference profile of a Spark table or of the files at ``path``, and its columns;
    ``options`` are ``ProfileBuilder``'s."""
    if path is not None and "://" not in path:
        path = str(Path(path).resolve())
    frame = load_frame(spark_session(master=master), table, path, fmt)
    return profile_reference(frame, options), [str(name) for name in frame.columns]


def profile_reference(frame: Any, options: Mapping[str, Any], chunk_rows: int = CHUNK_ROWS
                      ) -> Profile:
    """The reference profile of a Spark DataFrame's rows (``options``: ``ProfileBuilder``'s,
    without ``reference``, ``seed`` or segments)."""
    first = profile_on_cluster(frame, None, options, chunk_rows)
    numeric = {name: column for name, column in first.columns.items()
               if column.numeric is not None and column.count}
    if not numeric:
        return first
    fine = fine_edges_on_cluster(frame.select(*numeric), {n: c.kind for n, c in numeric.items()},
                                 chunk_rows)
    edges = Profile(first.rows, {name: _with_edges(column, fine[name])
                                 for name, column in numeric.items()})
    counted = profile_on_cluster(frame.select(*numeric), edges, {
        "sample_size": options.get("sample_size", 20_000), "joint_sample_size": 0,
        "texts": False}, chunk_rows)
    columns = dict(first.columns)
    for name, column in numeric.items():
        exact = counted.columns[name].numeric
        assert exact is not None and column.numeric is not None
        columns[name] = replace(column, numeric=replace(
            column.numeric, counts=exact.counts, fine_edges=exact.fine_edges,
            fine_counts=exact.fine_counts))
    return replace(first, columns=columns)


def _with_edges(column: ColumnProfile, fine: np.ndarray) -> ColumnProfile:
    assert column.numeric is not None
    placeholder = np.zeros(fine.size + 1, dtype=np.int64)  # only the edges are read;
    placeholder[0] = column.count  # counts that add up keep the profile consistent
    summary = replace(column.numeric, fine_edges=fine, fine_counts=placeholder)
    return replace(column, numeric=summary)


def _number_partition(names: list[str], kinds: Mapping[str, str], chunk_rows: int,
                      batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Each numeric column's finite values as their kind reads them: (column, value) rows."""
    for chunk in arrow_chunks(batches, chunk_rows):
        for index, name in enumerate(names):
            values = _READERS[kinds[name]](chunk[name])[0]
            values = values[np.isfinite(values)]
            yield pa.RecordBatch.from_arrays(
                [pa.array(np.full(values.size, index, dtype=np.int32)),
                 pa.array(values, type=pa.float64())], schema=_VALUES)


def ranked_edges(picked: np.ndarray, low: float, high: float) -> np.ndarray:
    """Fine edges from the values at evenly spaced ranks, as ``choose_fine_edges`` makes them
    from all values: each repeated pick is an atom with a bin of its own, the first edge the
    minimum and the last just above the maximum.

    >>> ranked_edges(np.array([0.0, 1.0, 1.0, 2.0]), 0.0, 2.0).tolist()
    [0.0, 1.0, 1.0000000000000002, 2.0, 2.0000000000000004]
    """
    edges, repeats = np.unique(picked, return_counts=True)
    edges = np.union1d(edges, np.nextafter(edges[repeats > 1], np.inf))
    edges = np.union1d(edges[edges > low], [low])
    top = np.nextafter(high, np.inf)
    return np.append(edges[edges < top], top).astype(np.float64)


def fine_edges_on_cluster(frame: Any, kinds: Mapping[str, str], chunk_rows: int = CHUNK_ROWS,
                          limit: int = FINE_EDGES) -> dict[str, np.ndarray]:
    """Each numeric column's fine edges, from Spark's aggregates of its values (see the
    module's docstring): one job, and one more for columns with few distinct values."""
    from pyspark.sql import functions as F

    names = list(kinds)
    values = frame.mapInArrow(partial(_number_partition, names, dict(kinds), chunk_rows),
                              "col int, value double")
    ranks = np.linspace(0.0, 1.0, limit).tolist()
    rows = values.groupBy("col").agg(
        F.min("value").alias("low"), F.max("value").alias("high"),
        F.approx_count_distinct("value", 0.02).alias("distinct"),
        F.percentile_approx("value", ranks, ACCURACY).alias("picked")).collect()
    found = {int(row["col"]): row for row in rows}
    few = [index for index, row in found.items() if row["distinct"] <= 2 * limit]
    distinct: dict[int, list[float]] = {index: [] for index in few}
    if few:
        pairs = (values.where(F.col("col").isin(few)).select("col", "value").distinct()
                 .toLocalIterator())
        for pair in pairs:
            distinct[int(pair["col"])].append(float(pair["value"]))
    edges: dict[str, np.ndarray] = {}
    for index, name in enumerate(names):
        row = found.get(index)
        if row is None:
            edges[name] = np.zeros(0, dtype=np.float64)
        elif index in distinct and len(distinct[index]) < limit:
            edges[name] = choose_fine_edges(np.sort(np.asarray(distinct[index])), limit)
        else:
            edges[name] = ranked_edges(np.asarray(row["picked"], dtype=np.float64),
                                       float(row["low"]), float(row["high"]))
    return edges
