"""Synthetic sentence-like embeddings for ``embedding_drift.py``, and Evidently's side of it.

Vectors of dimension 384 drawn from a mixture of topic Gaussians: every topic
centre is a common offset (norm 8, as real embeddings share a direction)
plus its own part (norm about 4, so two centres are about 5.7 apart), and each
vector is its topic's centre plus unit Gaussian noise in every component.
The topic shares are unequal (25 % down to 4 %). The shifts:

- ``mix``: 10 points of share move from the largest topic to the smallest;
- ``rotation``: coordinates (0, 1), (2, 3), (4, 5) rotated by 30°;
- ``new_topic``: 5 % of the rows come from a ninth topic never seen before.

Run with Evidently's interpreter (numpy, pandas, pyarrow and evidently only)
as ``python embedding_data.py evidently FOLDER... [--report STEM]``, it reads
each ``FOLDER/reference.parquet`` and ``FOLDER/current_*.parquet`` (columns
``e_0`` … ``e_383``) and prints one JSON line per data set and method of
Evidently's embedding drift: verdict, score and seconds. Evidently's ``mmd``
builds a kernel matrix over all reference and current rows, so it gets a
5,000-row sample of the reference. ``--report`` also times a whole
``Report([EmbeddingsDrift])`` from the Parquet files (it runs a t-SNE too).
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DIMENSION = 384
SHARES = np.array([0.25, 0.20, 0.15, 0.12, 0.10, 0.08, 0.06, 0.04])
OFFSET, SPREAD = 8.0, 4.0
SCENARIOS = ("none", "mix", "rotation", "new_topic")
ROTATED = ((0, 1), (2, 3), (4, 5))
ANGLE = math.radians(30)
NEW_SHARE = 0.05
MMD_REFERENCE_ROWS = 5_000


@dataclass(frozen=True)
class Topics:
    """The generating model: one centre per topic (the last one is the new topic)."""

    centres: np.ndarray  # float32
    shares: np.ndarray

    @property
    def dimension(self) -> int:
        """The vectors' length."""
        return int(self.centres.shape[1])


def make_topics(seed: int = 2024, dimension: int = DIMENSION) -> Topics:
    """Topic centres: a shared offset plus a random part per topic (one extra, new topic)."""
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal(dimension)
    offset = OFFSET * direction / np.linalg.norm(direction)
    parts = rng.standard_normal((len(SHARES) + 1, dimension)) * SPREAD / math.sqrt(dimension)
    return Topics((offset + parts).astype(np.float32), SHARES)


def vectors(topics: Topics, rng: np.random.Generator, n: int, scenario: str = "none"
            ) -> np.ndarray:
    """``n`` vectors (float32) of the reference distribution, or shifted by ``scenario``."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}")
    shares = np.append(topics.shares, 0.0)
    if scenario == "mix":
        shares[0] -= 0.10
        shares[len(topics.shares) - 1] += 0.10
    elif scenario == "new_topic":
        shares = np.append(topics.shares * (1 - NEW_SHARE), NEW_SHARE)
    topic = rng.choice(len(shares), n, p=shares / shares.sum())
    out = rng.standard_normal((n, topics.dimension), dtype=np.float32)
    out += topics.centres[topic]
    if scenario == "rotation":
        cos, sin = math.cos(ANGLE), math.sin(ANGLE)
        for i, j in ROTATED:
            a, b = out[:, i].copy(), out[:, j].copy()
            out[:, i], out[:, j] = cos * a - sin * b, sin * a + cos * b
    return out


def vector_frame(matrix: np.ndarray) -> pd.DataFrame:
    """One column ``vec`` whose cells are the rows (numpy float32 arrays)."""
    return pd.DataFrame({"vec": pd.Series(list(matrix), dtype=object)})


def column_frame(matrix: np.ndarray) -> pd.DataFrame:
    """One float32 column per component: ``e_0`` … ``e_{d-1}``."""
    return pd.DataFrame(matrix, columns=[f"e_{i}" for i in range(matrix.shape[1])])


def _evidently_methods() -> dict[str, Any]:
    """Evidently's four embedding drift methods with their default options."""
    from evidently.metrics.embeddings import (  # type: ignore[import-not-found]
        DistanceDriftMethod,
        MMDDriftMethod,
        ModelDriftMethod,
        RatioDriftMethod,
    )
    return {"model": ModelDriftMethod(), "ratio": RatioDriftMethod(),
            "distance": DistanceDriftMethod(), "mmd": MMDDriftMethod()}


def _report_seconds(reference_path: Path, current_path: Path) -> tuple[float, float]:
    """A whole ``Report([EmbeddingsDrift])`` (default method) from Parquet: seconds, value."""
    from evidently import DataDefinition, Dataset, Report  # type: ignore[import-not-found]
    from evidently.metrics import EmbeddingsDrift  # type: ignore[import-not-found]

    began = time.perf_counter()
    reference, current = pd.read_parquet(reference_path), pd.read_parquet(current_path)
    definition = DataDefinition(embeddings={"emb": list(reference.columns)},
                                numerical_columns=[])
    snapshot = Report([EmbeddingsDrift(embeddings_name="emb")]).run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition))
    value = float(snapshot.dict()["metrics"][0]["value"])
    return time.perf_counter() - began, value


def evidently_main(folders: list[Path], report: str | None) -> None:
    """Evidently's verdicts on each folder's data sets (see the module docstring).

    ``report``: the ``current_*`` stem (in the first folder) to also run a whole Report on.
    """
    methods = _evidently_methods()
    for folder in folders:
        reference = pd.read_parquet(folder / "reference.parquet")
        for path in sorted(folder.glob("current_*.parquet")):
            current = pd.read_parquet(path)
            for name, method in methods.items():
                ref = reference
                if name == "mmd" and len(reference) > MMD_REFERENCE_ROWS:
                    # Its kernel matrix spans all rows: (50,000 + n)² float64 is over 20 GB.
                    ref = reference.sample(MMD_REFERENCE_ROWS, random_state=0)
                began = time.perf_counter()
                score, drifted, _ = method(current.copy(), ref.copy())
                _emit(folder, path.stem, name, float(score), bool(drifted), len(ref),
                      time.perf_counter() - began)
            if report is not None and folder == folders[0] and path.stem.startswith(report):
                seconds, value = _report_seconds(folder / "reference.parquet", path)
                _emit(folder, path.stem, "report", value, None, len(reference), seconds)


def _emit(folder: Path, data: str, method: str, score: float, drifted: bool | None,
          reference_rows: int, seconds: float) -> None:
    print(json.dumps({"folder": folder.name, "data": data, "method": method, "score": score,
                      "drifted": drifted, "reference_rows": reference_rows,
                      "seconds": seconds}), flush=True)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments or arguments[0] != "evidently":
        raise SystemExit("usage: python embedding_data.py evidently FOLDER... "
                         "[--report STEM]")
    stem = None
    if "--report" in arguments:
        at = arguments.index("--report")
        stem = arguments[at + 1]
        del arguments[at:at + 2]
    evidently_main([Path(a) for a in arguments[1:]], stem)
