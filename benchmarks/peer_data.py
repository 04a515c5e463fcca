"""The peer benchmark's data set: the same Parquet files for every contender.

1,000,000 reference rows and 1,000,000 current rows; 20 normal numeric
columns ``x00``..``x19`` (``x00``..``x03`` shifted by 0.1 standard deviation
in the current data), 5 categorical columns ``c0``..``c4`` with 4 levels
(``c0`` with a changed mix), and one prediction column ``prediction``.

    python benchmarks/peer_data.py OUT_DIR [--rows N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

NUMERIC = [f"x{i:02d}" for i in range(20)]
SHIFTED = NUMERIC[:4]
CATEGORICAL = [f"c{i}" for i in range(5)]
CHANGED = CATEGORICAL[0]
LEVELS = np.array(["a", "b", "c", "d"])
BASE_MIX = [0.4, 0.3, 0.2, 0.1]
NEW_MIX = [0.3, 0.3, 0.25, 0.15]


def table(rows: int, drifted: bool, seed: int) -> pa.Table:
    """One data set: reference (``drifted=False``) or current."""
    rng = np.random.default_rng(seed)
    columns: dict[str, pa.Array] = {}
    for name in NUMERIC:
        shift = 0.1 if drifted and name in SHIFTED else 0.0
        columns[name] = pa.array(rng.normal(shift, 1.0, rows))
    for name in CATEGORICAL:
        mix = NEW_MIX if drifted and name == CHANGED else BASE_MIX
        codes = rng.choice(4, rows, p=mix).astype(np.int32)
        columns[name] = pa.DictionaryArray.from_arrays(codes, pa.array(LEVELS)).cast(pa.string())
    logit = sum(columns[n].to_numpy() for n in NUMERIC[:5]) / 3
    columns["prediction"] = pa.array(1 / (1 + np.exp(-logit)))
    return pa.table(columns)


def write(out: Path, rows: int) -> tuple[Path, Path]:
    """Write ``reference.parquet`` and ``current.parquet`` under ``out`` (kept if present)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = out / f"reference-{rows}.parquet", out / f"current-{rows}.parquet"
    for path, drifted, seed in ((paths[0], False, 1), (paths[1], True, 2)):
        if not path.exists():
            pq.write_table(table(rows, drifted, seed), path, row_group_size=100_000)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    for path in write(args.out, args.rows):
        print(path)


if __name__ == "__main__":
    main()
