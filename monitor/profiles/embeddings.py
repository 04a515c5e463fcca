"""Embeddings: vector columns kept as an exact mean and a bounded sample of whole vectors.

A model that takes sentence or image embeddings needs their drift checked as
vectors: one test per component would be hundreds of tests that each see
little. An ``EmbeddingSummary`` keeps, per embedding, the exact sum of the
vectors (so the mean, hence the centroid, is exact and merges by addition)
and a uniform sample of at most ``EMBEDDING_SAMPLE`` vectors (1 000, stored
as float32), merged as the joint sample is. So a window of any size streams
through in bounded memory: 1 000 × 384 float32 values are 1.5 MB.

**Where vectors come from.** An embedding is named by a column whose values
are vectors (a Parquet ``list<float>``, a numpy array, a list, or the text of
a JSON array), or by a prefix ending with ``*`` that gathers the columns
starting with it (``emb_*``: ``emb_0``, ``emb_1``, ... in natural order) into
one vector. A row whose vector is absent is ``missing``; one that cannot be
read, has the wrong length or holds a non-finite number is ``invalid``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from monitor.profiles.joint import merge_rows

__all__ = ["EMBEDDING_SAMPLE", "EmbeddingSampler", "EmbeddingSet", "EmbeddingSummary",
           "embedding_columns", "read_vectors"]

EMBEDDING_SAMPLE = 1_000
_ENCODING = "float32-le-base64"


@dataclass(frozen=True, slots=True, eq=False)
class EmbeddingSummary:
    """One embedding's exact vector sum and a uniform sample of its vectors."""

    dimension: int
    count: int
    missing: int
    invalid: int
    total: np.ndarray
    sample: np.ndarray
    limit: int = EMBEDDING_SAMPLE

    @property
    def mean(self) -> np.ndarray:
        """The exact mean vector (NaN without vectors)."""
        return self.total / self.count if self.count else np.full(self.dimension, np.nan)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EmbeddingSummary):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def merge(self, other: EmbeddingSummary) -> EmbeddingSummary | None:
        """Both parts' summary; None when their dimensions differ."""
        if other.dimension != self.dimension:
            return None
        limit = min(self.limit, other.limit)
        rng = np.random.default_rng([self.count, other.count, limit, 13])
        sample = merge_rows(self.sample, self.count, other.sample, other.count, limit, rng)
        return EmbeddingSummary(self.dimension, self.count + other.count,
                                self.missing + other.missing, self.invalid + other.invalid,
                                self.total + other.total, sample.astype(np.float32), limit)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the sample as base64 of little-endian float32, row-major)."""
        raw = np.ascontiguousarray(self.sample, dtype="<f4").tobytes()
        return {"dimension": self.dimension, "count": self.count, "missing": self.missing,
                "invalid": self.invalid, "total": [float(v) for v in self.total],
                "limit": self.limit, "encoding": _ENCODING,
                "sample": base64.b64encode(raw).decode("ascii")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EmbeddingSummary:
        """Rebuild from ``to_dict``; raises ValueError/KeyError/TypeError on bad input."""
        if data["encoding"] != _ENCODING:
            raise ValueError(f"embedding sample encoding {data['encoding']!r} is unknown")
        dimension, count = int(data["dimension"]), int(data["count"])
        flat = np.frombuffer(base64.b64decode(data["sample"], validate=True), dtype="<f4")
        if dimension < 1 or flat.size % dimension:
            raise ValueError(f"embedding sample of {flat.size} values is not rows of {dimension}")
        total = np.asarray(data["total"], dtype=np.float64)
        if total.shape != (dimension,):
            raise ValueError(f"embedding total has {total.size} values, not {dimension}")
        missing, invalid, limit = int(data["missing"]), int(data["invalid"]), int(data["limit"])
        if min(count, missing, invalid) < 0 or limit < 1:
            raise ValueError("embedding counts must be >= 0 and its limit >= 1")
        sample = flat.astype(np.float32).reshape(-1, dimension)
        if len(sample) != min(count, limit):
            raise ValueError(f"embedding sample holds {len(sample)} vectors for count {count}")
        return cls(dimension, count, missing, invalid, total, sample, limit)


def embedding_columns(name: str, columns: Sequence[str]) -> list[str]:
    """The frame columns an embedding reads: itself, or those its prefix (``emb_*``) names.

    >>> embedding_columns("e_*", ["e_10", "x", "e_2", "e_1"])
    ['e_1', 'e_2', 'e_10']
    """
    if not name.endswith("*"):
        return [name] if name in columns else []
    prefix = name[:-1]
    found = [c for c in columns if c.startswith(prefix) and c != prefix]
    return sorted(found, key=lambda c: [int(p) if p.isdigit() else p
                                        for p in re.split(r"(\d+)", c[len(prefix):])])


def read_vectors(frame: pd.DataFrame, name: str, dimension: int | None
                 ) -> tuple[np.ndarray, int, int]:
    """The readable vectors of an embedding (rows × dimension float64), missing and invalid.

    ``dimension`` None takes the first readable vector's length.

    >>> frame = pd.DataFrame({"v": [[1, 2], None, "[3, 4]", [5]]})
    >>> vectors, missing, invalid = read_vectors(frame, "v", None)
    >>> vectors.tolist(), missing, invalid
    ([[1.0, 2.0], [3.0, 4.0]], 1, 1)
    """
    columns = embedding_columns(name, [str(c) for c in frame.columns])
    if not columns:
        return np.zeros((0, dimension or 0)), len(frame), 0
    if name.endswith("*"):
        matrix = frame[columns].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
        absent = np.isnan(matrix).all(axis=1)
        width = len(columns) if dimension is None else dimension
        ok = ~absent & np.isfinite(matrix).all(axis=1) & (matrix.shape[1] == width)
        return (matrix[ok], int(absent.sum()),
                int((~absent & ~ok).sum()))
    values = frame[columns[0]].to_numpy()
    stacked = _stacked(values, dimension)
    if stacked is not None:
        return stacked, 0, 0
    rows: list[np.ndarray] = []
    missing = invalid = 0
    for value in values.tolist():
        vector = _vector(value)
        if vector is None:
            missing += 1
            continue
        if dimension is None and vector.size:
            dimension = vector.size
        if vector.size != dimension or not np.isfinite(vector).all():
            invalid += 1
            continue
        rows.append(vector)
    matrix = np.array(rows, dtype=np.float64) if rows else np.zeros((0, dimension or 0))
    return matrix, missing, invalid


def _stacked(values: np.ndarray, dimension: int | None) -> np.ndarray | None:
    """The fast path: every cell an array or list of one length, all finite; else None."""
    if not len(values) or not all(isinstance(v, np.ndarray | list) for v in values[:64]):
        return None
    try:
        matrix = np.stack(values).astype(np.float64)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    if matrix.ndim != 2 or (dimension is not None and matrix.shape[1] != dimension):
        return None
    return matrix if np.isfinite(matrix).all() else None


class EmbeddingSet:
    """The embeddings a builder reads: which frame columns they own, and their samplers."""

    def __init__(self, names: Sequence[str], reference: Mapping[str, EmbeddingSummary] | None,
                 limit: int, rng: np.random.Generator) -> None:
        known = reference or {}
        self.samplers = {n: EmbeddingSampler(n, known[n].dimension if n in known else None,
                                             limit, rng) for n in names}
        self.prefixes = tuple(n[:-1] for n in names if n.endswith("*"))

    def owns(self, column: str) -> bool:
        """Whether ``column`` belongs to an embedding (and so is not profiled on its own)."""
        return column in self.samplers or (bool(self.prefixes)
                                           and column.startswith(self.prefixes))

    def update(self, frame: pd.DataFrame) -> None:
        """Add a chunk's vectors to every embedding."""
        for sampler in self.samplers.values():
            sampler.add(frame)

    def build(self) -> dict[str, EmbeddingSummary]:
        """Each embedding's summary (those that met no vector yet are left out)."""
        built = {n: s.build() for n, s in self.samplers.items()}
        return {n: b for n, b in built.items() if b is not None}


def _vector(value: object) -> np.ndarray | None:
    """One cell as a float vector; None when absent; an empty vector when unreadable."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return np.zeros(0)
    try:
        return np.asarray(value, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return np.zeros(0)


class EmbeddingSampler:
    """Running state of one embedding while chunks stream in."""

    def __init__(self, name: str, dimension: int | None, limit: int,
                 rng: np.random.Generator) -> None:
        self.name, self.dimension, self.limit, self.rng = name, dimension, limit, rng
        self.count = self.missing = self.invalid = 0
        self.total = np.zeros(dimension or 0)
        self.sample = np.zeros((0, dimension or 0), np.float32)

    def add(self, frame: pd.DataFrame) -> None:
        """Add a chunk's vectors."""
        vectors, missing, invalid = read_vectors(frame, self.name, self.dimension)
        self.missing += missing
        self.invalid += invalid
        if not len(vectors):
            return
        if self.dimension is None:
            self.dimension = vectors.shape[1]
            self.total = np.zeros(self.dimension)
            self.sample = np.zeros((0, self.dimension), np.float32)
        self.total += vectors.sum(axis=0, dtype=np.float64)
        self.sample = merge_rows(self.sample, self.count, vectors, len(vectors), self.limit,
                                 self.rng).astype(np.float32)
        self.count += len(vectors)

    def build(self) -> EmbeddingSummary | None:
        """The summary so far; None before any vector told the dimension."""
        if self.dimension is None:
            return None
        return EmbeddingSummary(self.dimension, self.count, self.missing, self.invalid,
                                self.total.copy(), self.sample.copy(), self.limit)
