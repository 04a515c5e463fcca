"""The peer benchmark's data set: the same Parquet files for every contender.

1,000,000 reference rows and 1,000,000 current rows, 29 columns:

- 20 normal numeric columns ``x00``..``x19``, ``x00``..``x03`` shifted by
  0.1 standard deviation in the current data (every test sees that);
- ``x20`` shifted by 0.006 σ and ``x21`` by 0.01 σ: at a million rows a
  Kolmogorov–Smirnov test on all rows sees 0.01 σ (D ≈ 0.004, against a
  critical 0.0019) and 0.006 σ only just, while one on 20,000 values per
  side does not see either (critical D ≈ 0.014);
- 5 categorical columns ``c0``..``c4`` with 4 levels, ``c0`` with a changed
  mix (shares moving by up to 10 points);
- ``c5``, 4 levels whose shares move by half a point: a chi-square test on
  all rows sees it, an effect floor of 1.5 % of the values does not;
- one prediction column ``prediction``, a logistic score of ``x00``..``x04``.

The columns of the original 26-column set are drawn exactly as before (one
generator per side, the same order); the added ones come from a generator of
their own, so every value is the same from one run to the next.

Two layouts of the same rows: ``groups`` (row groups of 100,000 rows) and
``single`` (the whole file as one row group, as ``pyarrow.parquet.write_table``
and ``pandas.DataFrame.to_parquet`` write a million rows by default).

    python benchmarks/peer_data.py OUT_DIR [--rows N] [--layout groups|single]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

NUMERIC = [f"x{i:02d}" for i in range(20)]
SHIFTED = NUMERIC[:4]
SMALL_SHIFTS = {"x20": 0.006, "x21": 0.01}
"""Columns shifted by a few thousandths of a standard deviation: who sees what."""
CATEGORICAL = [f"c{i}" for i in range(5)]
CHANGED = CATEGORICAL[0]
SLIGHT = "c5"
"""A categorical column whose mix moves by half a point per level."""
LEVELS = np.array(["a", "b", "c", "d"])
BASE_MIX = [0.4, 0.3, 0.2, 0.1]
NEW_MIX = [0.3, 0.3, 0.25, 0.15]
SLIGHT_MIX = [0.395, 0.3, 0.2, 0.105]
PREDICTION = "prediction"
LAYOUTS = {"groups": 100_000, "single": None}
"""Rows per row group of each layout (None: the whole file in one)."""
VERSION = 2
"""Bumped whenever the columns change, so a kept file of an older set is not reused."""


def numeric_columns() -> list[str]:
    """Every numeric column (the prediction too) in file order."""
    return [*NUMERIC, *SMALL_SHIFTS, PREDICTION]


def categorical_columns() -> list[str]:
    """Every categorical column in file order."""
    return [*CATEGORICAL, SLIGHT]


def change(column: str) -> str:
    """What the current data changes in ``column`` (``none`` where nothing)."""
    if column in SHIFTED:
        return "+0.1 σ"
    if column in SMALL_SHIFTS:
        return f"+{SMALL_SHIFTS[column]} σ"
    if column == CHANGED:
        return "mix ±10 pt"
    if column == SLIGHT:
        return "mix ±0.5 pt"
    if column == PREDICTION:
        return "via x00..x03"
    return "none"


def _categories(codes: np.ndarray) -> pa.Array:
    return pa.DictionaryArray.from_arrays(codes.astype(np.int32), pa.array(LEVELS)).cast(
        pa.string())


def table(rows: int, drifted: bool, seed: int) -> pa.Table:
    """One data set: reference (``drifted=False``) or current."""
    rng = np.random.default_rng(seed)
    columns: dict[str, pa.Array] = {}
    for name in NUMERIC:
        shift = 0.1 if drifted and name in SHIFTED else 0.0
        columns[name] = pa.array(rng.normal(shift, 1.0, rows))
    for name in CATEGORICAL:
        mix = NEW_MIX if drifted and name == CHANGED else BASE_MIX
        columns[name] = _categories(rng.choice(4, rows, p=mix))
    logit = sum(columns[n].to_numpy() for n in NUMERIC[:5]) / 3
    columns[PREDICTION] = pa.array(1 / (1 + np.exp(-logit)))
    extra = np.random.default_rng(seed + 1000)
    for name, shift in SMALL_SHIFTS.items():
        columns[name] = pa.array(extra.normal(shift if drifted else 0.0, 1.0, rows))
    columns[SLIGHT] = _categories(extra.choice(4, rows, p=SLIGHT_MIX if drifted else BASE_MIX))
    return pa.table(columns)


def paths(out: Path, rows: int, layout: str = "groups") -> tuple[Path, Path]:
    """Where the reference and the current file of ``rows`` rows in ``layout`` are kept."""
    stem = f"v{VERSION}-{rows}-{layout}"
    return out / f"reference-{stem}.parquet", out / f"current-{stem}.parquet"


def write(out: Path, rows: int, layout: str = "groups") -> tuple[Path, Path]:
    """Write the reference and the current file under ``out`` (kept if present)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; use one of {', '.join(LAYOUTS)}")
    out.mkdir(parents=True, exist_ok=True)
    kept = paths(out, rows, layout)
    group = LAYOUTS[layout] or max(rows, 1)
    for path, drifted, seed in ((kept[0], False, 1), (kept[1], True, 2)):
        if not path.exists():
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            pq.write_table(table(rows, drifted, seed), partial, row_group_size=group)
            partial.replace(path)  # an interrupted run leaves no half-written file behind
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--layout", choices=list(LAYOUTS), default="groups")
    args = parser.parse_args()
    for path in write(args.out, args.rows, args.layout):
        print(path, pq.ParquetFile(path).metadata.num_row_groups, "row group(s)")


if __name__ == "__main__":
    main()
