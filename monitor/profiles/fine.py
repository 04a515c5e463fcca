"""The fine histogram: a column's exact counts on its reference's quantile edges.

A sample of 20,000 values sees a CDF only to within about 0.01; a window of
a million rows resolves differences of 0.002. So a reference profile keeps,
per numeric column, up to ``FINE_EDGES`` edges at evenly spaced ranks of its
values (every distinct value when it has no more than that), and every
profile built on that reference counts *all* its values on those edges.
Counts merge by addition, so the bound holds at any size and in the database
(push-down counts the same bins in SQL).

**Bins.** Edges ``e0 < … < e(k-1)`` cut the line into ``k + 1`` half-open
bins: ``(-inf, e0)``, ``[e0, e1)``, …, ``[e(k-1), +inf)``; a value goes to
bin ``searchsorted(edges, value, side="right")``. ``e0`` is the reference's
minimum and the last edge lies just above its maximum, so the reference has
nothing in the outer bins. A value that fills more than one bin's share (an
atom) gets a bin of its own, ``[v, nextafter(v))``.

**The bound.** The CDFs of both windows are known exactly at every edge, so
a statistic read from the bins errs only inside a bin: the KS distance by at
most the largest mass a bin holds in either window, which for the reference
is ``1 / FINE_EDGES`` (1e-4) and for a window from the same distribution about
the same. When the reference has at most ``FINE_EDGES`` distinct values (codes,
counts, ratings) each has a bin of its own, and a window holding no value
the reference never saw gets exact statistics.

**Building the edges** needs every value of the reference, which a stream
sees once. A column with at most ``FINE_EDGES`` distinct values keeps their
exact counts (``DistinctCounts``); beyond, ``ValueSpill`` writes its finite
values as they stream by (4 or 8 bytes per value; in memory up to 128 MB
for the whole process, then in temporary files; freed with the builder),
and ``fine_histogram`` reads them back in blocks when the profile is built.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "FINE_EDGES",
    "MEMORY_BUDGET",
    "DistinctCounts",
    "ValueSpill",
    "choose_fine_edges",
    "count_sorted",
    "decode_fine",
    "encode_fine",
    "fine_histogram",
]

FINE_EDGES = 10_000
_BLOCK = 4_000_000  # values read back at a time: 32 MB
_EDGE_SAMPLE = 8_000_000  # beyond this many values, edges come from every s-th value


def count_sorted(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of sorted ``values`` in the ``len(edges) + 1`` fine bins.

    >>> count_sorted(np.array([0.0, 1.0, 1.0, 5.0]), np.array([1.0, 2.0])).tolist()
    [1, 2, 1]
    """
    below = np.searchsorted(values, edges, side="left")
    return np.diff(below, prepend=0, append=values.size).astype(np.int64)


def choose_fine_edges(values: np.ndarray, limit: int = FINE_EDGES) -> np.ndarray:
    """Edges for sorted finite ``values``: every distinct value, or ``limit`` evenly ranked ones.

    The last edge is just above the maximum and each atom (a value holding
    more than a bin's share) gets a bin of its own.

    >>> choose_fine_edges(np.array([1.0, 1.0, 2.0, 3.0])).tolist()
    [1.0, 2.0, 3.0, 3.0000000000000004]
    """
    if values.size == 0:
        return np.zeros(0, dtype=np.float64)
    starts = np.flatnonzero(values[1:] != values[:-1]) + 1  # sorted: where a new value starts
    if starts.size < limit:
        edges = values[np.concatenate([[0], starts])]
    else:
        ranks = np.linspace(0, values.size - 1, limit).round().astype(np.int64)
        picked = values[ranks]
        edges, repeats = np.unique(picked, return_counts=True)
        atoms = edges[repeats > 1]
        edges = np.union1d(edges, np.nextafter(atoms, np.inf))
    top = np.nextafter(values[-1], np.inf)
    return np.append(edges[edges < top], top).astype(np.float64)


class _Budget:
    """Bytes of spilled values the whole process keeps in memory before writing to disk."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bool:
        with self._lock:
            if self.used + size > self.limit:
                return False
            self.used += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self.used -= size


MEMORY_BUDGET = _Budget(128 * 2**20)
"""Spilled values kept in memory, over every builder of the process (128 MB)."""


class ValueSpill:
    """A column's finite values, kept as they stream in: in memory while the process's
    ``MEMORY_BUDGET`` lasts, then in temporary files.

    Values that float32 holds exactly (integers below 2**24, data logged as
    float32) take 4 bytes, the others 8. The files live in a directory
    removed when the spill is garbage-collected (or the process ends), so an
    abandoned builder leaves nothing behind. ``TMPDIR`` says where.
    """

    def __init__(self) -> None:
        self._held: list[np.ndarray] = []
        self._state: dict[str, int | str] = {"held": 0, "directory": ""}
        self._finalizer = weakref.finalize(self, _release, self._state)
        self.size = 0

    def append(self, values: np.ndarray) -> None:
        """Add finite values at the end."""
        narrow = values.astype(np.float32)
        exact = narrow == values
        for part in (narrow[exact], values[~exact]):
            if not part.size:
                continue
            if MEMORY_BUDGET.take(part.nbytes):
                self._held.append(part)
                self._state["held"] = int(self._state["held"]) + part.nbytes
            else:
                with open(self._path(part.dtype), "ab") as file:
                    np.ascontiguousarray(part).tofile(file)
        self.size += values.size

    def _path(self, dtype: np.dtype[Any]) -> str:
        if not self._state["directory"]:
            self._state["directory"] = tempfile.mkdtemp(prefix="monitor-spill-")
        return os.path.join(str(self._state["directory"]), f"values.{dtype.str[1:]}")

    def blocks(self, size: int = _BLOCK) -> Iterator[np.ndarray]:
        """Every value (float64), at most ``size`` at a time: those in memory first."""
        for part in self._held:
            yield part.astype(np.float64)
        if not self._state["directory"]:
            return
        for dtype in (np.dtype("<f4"), np.dtype("<f8")):
            path = self._path(dtype)
            if not os.path.exists(path):
                continue
            with open(path, "rb") as file:
                while True:
                    block = np.fromfile(file, dtype=dtype, count=size)
                    if block.size == 0:
                        break
                    yield block.astype(np.float64, copy=False)

    def close(self) -> None:
        """Free the memory and delete the files now."""
        self._held = []
        self._finalizer()


def _release(state: dict[str, int | str]) -> None:
    MEMORY_BUDGET.give(int(state["held"]))
    state["held"] = 0
    if state["directory"]:
        shutil.rmtree(str(state["directory"]), ignore_errors=True)


class DistinctCounts:
    """Exact counts of each distinct value, while a column has at most ``limit`` of them.

    A reference column of codes, counts or rounded values needs no spill:
    its fine histogram is one bin per value. ``add`` returns False once the
    column has more distinct values; the caller then spills ``values()``.
    """

    def __init__(self, values: np.ndarray, limit: int = FINE_EDGES) -> None:
        self.limit = limit
        self.keys, self.counts = np.unique(values, return_counts=True)

    def add(self, values: np.ndarray) -> bool:
        keys, counts = np.unique(values, return_counts=True)
        merged, where = np.unique(np.concatenate([self.keys, keys]), return_inverse=True)
        if merged.size > self.limit:
            return False
        self.counts = np.bincount(where, weights=np.concatenate([self.counts, counts]),
                                  minlength=merged.size).astype(np.int64)
        self.keys = merged
        return True

    def values(self) -> np.ndarray:
        """Every value counted, in order."""
        return np.repeat(self.keys, self.counts)

    def histogram(self) -> tuple[np.ndarray, np.ndarray]:
        """Fine edges (each value, then just above the largest) and their exact counts."""
        edges = np.append(self.keys, np.nextafter(self.keys[-1], np.inf)).astype(np.float64)
        return edges, np.concatenate([[0], self.counts, [0]]).astype(np.int64)


def fine_histogram(spill: ValueSpill, limit: int = FINE_EDGES) -> tuple[np.ndarray, np.ndarray]:
    """Edges and exact counts of every value in ``spill``, read back in bounded blocks.

    Up to ``_EDGE_SAMPLE`` values the edges come from all of them; beyond,
    from every ``s``-th value in stream order (a systematic sample, so bins
    hold about ``1 / limit`` each), and the counts stay exact.
    """
    if spill.size <= _EDGE_SAMPLE:
        values = np.sort(np.concatenate(list(spill.blocks())) if spill.size
                         else np.zeros(0, dtype=np.float64))
        edges = choose_fine_edges(values, limit)
        return edges, count_sorted(values, edges)
    step = -(-spill.size // _EDGE_SAMPLE)
    parts, low, high = [], np.inf, -np.inf
    for block in spill.blocks():
        parts.append(block[::step])
        low, high = min(low, float(block.min())), max(high, float(block.max()))
    edges = choose_fine_edges(np.sort(np.concatenate(parts)), limit).copy()
    edges[0] = min(edges[0], low)  # the extremes may fall between picked values
    edges[-1] = max(edges[-1], np.nextafter(high, np.inf))
    counts = np.zeros(edges.size + 1, dtype=np.int64)
    for block in spill.blocks():
        block.sort()
        counts += count_sorted(block, edges)
    return edges, counts


def encode_fine(edges: np.ndarray, counts: np.ndarray) -> dict[str, Any]:
    """JSON-ready form: zlib-compressed little-endian float64 edges and int64 counts, base64."""
    import base64

    def pack(array: np.ndarray, dtype: str) -> str:
        raw = np.ascontiguousarray(array, dtype=dtype).tobytes()
        return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")

    return {"encoding": "zlib-le-base64", "edges": pack(edges, "<f8"),
            "counts": pack(counts, "<i8")}


def decode_fine(data: Any) -> tuple[np.ndarray, np.ndarray]:
    """Edges and counts from ``encode_fine`` output; ValueError on anything else."""
    import base64

    if not isinstance(data, dict) or data.get("encoding") != "zlib-le-base64":
        raise ValueError("'fine' must be an object with encoding 'zlib-le-base64'")
    try:
        edges = np.frombuffer(zlib.decompress(base64.b64decode(data["edges"], validate=True)),
                              dtype="<f8").astype(np.float64)
        counts = np.frombuffer(zlib.decompress(base64.b64decode(data["counts"], validate=True)),
                               dtype="<i8").astype(np.int64)
    except (KeyError, TypeError, zlib.error, ValueError) as exc:
        raise ValueError(f"'fine' histogram cannot be decoded: {exc}") from exc
    if counts.size != edges.size + 1 or np.any(np.diff(edges) <= 0) or np.any(counts < 0):
        raise ValueError(f"'fine' histogram is inconsistent: {edges.size} edges, "
                         f"{counts.size} counts (edges must increase, counts be >= 0)")
    return edges, counts


def quantile_sample(edges: np.ndarray, counts: np.ndarray, low: float, high: float,
                    size: int) -> np.ndarray:
    """``size`` values at evenly spaced ranks of a fine histogram: a deterministic stand-in
    for a random sample where only the counts are known (a window counted in the database).

    A value's place inside its bin is read linearly between the bin's edges
    (between ``low`` and ``e0``, and ``e(k-1)`` and ``high``, for the outer
    bins); a bin holding one value (an atom, a reference's distinct value) gives it exactly.

    >>> quantile_sample(np.array([1.0, 2.0, 3.0]), np.array([0, 2, 2, 0]), 1.0, 2.0, 4).tolist()
    [1.0, 1.0, 2.0, 2.0]
    """
    total = int(counts.sum())
    if total == 0 or size <= 0:
        return np.zeros(0, dtype=np.float64)
    ranks = (np.arange(size, dtype=np.float64) + 0.5) * total / size
    cumulative = np.cumsum(counts)
    bins = np.searchsorted(cumulative, ranks, side="right")
    starts = np.concatenate([[low], edges])[bins]
    ends = np.concatenate([edges, [high]])[bins]
    before = cumulative[bins] - counts[bins]
    within = (ranks - before) / np.maximum(counts[bins], 1)
    width = np.where(bins == 0, ends - starts, 0.0)  # outer bins: spread between the extremes
    width = np.where(bins == edges.size, ends - starts, width)
    inner = (bins > 0) & (bins < edges.size)
    # Inside the reference's range a bin starts at a reference value: values are read there,
    # which is exact for discrete columns and within one bin otherwise.
    values = np.where(inner, starts, starts + np.floor(within * 1e9) / 1e9 * width)
    result: np.ndarray = np.clip(np.sort(values), low, high).astype(np.float64)
    return result
