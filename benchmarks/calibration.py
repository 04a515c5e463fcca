"""Calibration of `method: auto`: false alarms without drift, and power on standard shifts.

Each window draws a fresh reference and a fresh current data set of ``n``
rows each with seven columns (normal, log-normal, uniform, a Poisson count,
a 4-level and a 12-level category with rare levels, a binary flag), profiles
both as the monitor does, and decides every column with ``auto`` and Holm's
correction at alpha = 0.05.

- **False alarms**: with no drift, the share of windows in which any column
  is flagged (the per-window rate the operator configures), and the share of
  single columns flagged without correction (each test's own level).
- **Power**: one column shifted, the share of windows in which it is flagged:
  mean + 0.1 σ and + 0.25 σ, variance × 1.5, a category share moving 5 points,
  a new category at 2 % — and a 0.02 σ shift, which should *not* be flagged
  on large windows.

    python benchmarks/calibration.py [--sizes 100,1000,...] [--windows W] [--seed S]

Prints two Markdown tables. With the defaults it runs for some minutes.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from monitor.analysis.comparison import DriftOptions, compare
from monitor.profiles import build_profile

ALPHA = 0.05
LEVELS4 = np.array(["a", "b", "c", "d"])
MIX4 = np.array([0.4, 0.3, 0.2, 0.1])
LEVELS12 = np.array([f"k{i}" for i in range(12)])
MIX12 = np.array([0.3, 0.2, 0.15, 0.1, 0.08, 0.06, 0.04, 0.03, 0.02, 0.01, 0.007, 0.003])

Shift = Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame]


def _categories(rng: np.random.Generator, n: int, levels: np.ndarray, mix: np.ndarray
                ) -> pd.Categorical:
    codes = rng.choice(len(levels), n, p=mix / mix.sum())
    return pd.Categorical.from_codes(codes, categories=levels)


def frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """A data set without drift."""
    return pd.DataFrame({
        "normal": rng.normal(0.0, 1.0, n),
        "lognormal": rng.lognormal(0.0, 0.75, n),
        "uniform": rng.uniform(0.0, 1.0, n),
        "count": rng.poisson(3.0, n),
        "cat4": _categories(rng, n, LEVELS4, MIX4),
        "cat12": _categories(rng, n, LEVELS12, MIX12),
        "flag": rng.random(n) < 0.3,
    })


def _mean(sigmas: float) -> Shift:
    def shift(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        return data.assign(normal=data["normal"] + sigmas)
    return shift


def _variance(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return data.assign(normal=data["normal"] * np.sqrt(1.5))


def _share(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    mix = MIX4 + np.array([-0.05, 0.05, 0.0, 0.0])
    return data.assign(cat4=_categories(rng, len(data), LEVELS4, mix))


def _new_category(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    values = data["cat4"].astype(str).to_numpy(copy=True)
    values[rng.random(len(data)) < 0.02] = "new"
    return data.assign(cat4=values)


SHIFTS: dict[str, tuple[str, Shift]] = {
    "mean + 0.1 σ": ("normal", _mean(0.1)),
    "mean + 0.25 σ": ("normal", _mean(0.25)),
    "variance × 1.5": ("normal", _variance),
    "category share ± 5 points": ("cat4", _share),
    "new category at 2 %": ("cat4", _new_category),
    "mean + 0.02 σ (should pass)": ("normal", _mean(0.02)),
}


def window(rng: np.random.Generator, n: int, shift: Shift | None) -> dict[str, tuple[bool, float]]:
    """One window: each column's (drifted under Holm, raw p-value)."""
    reference = build_profile([frame(rng, n)], seed=int(rng.integers(1 << 30)))
    data = frame(rng, n)
    if shift is not None:
        data = shift(data, rng)
    current = build_profile([data], reference=reference, seed=int(rng.integers(1 << 30)))
    holm = compare(reference, current, DriftOptions(correction="holm"))
    raw = compare(reference, current, DriftOptions(correction="none"))
    return {c.column: (c.drifted, r.p_value if r.p_value is not None else 1.0)
            for c, r in zip(holm.columns, raw.columns, strict=True)}


def windows_for(n: int, base: int) -> int:
    """Fewer windows for the largest sizes, so a run ends in minutes."""
    return base if n <= 100_000 else max(base // 5, 20)


def false_alarms(sizes: list[int], base: int, rng: np.random.Generator) -> None:
    print("| rows per window | windows | per-window false alarms (Holm, any of 7 columns) "
          "| single-column rate, no correction | seconds |")
    print("|---:|---:|---:|---:|---:|")
    for n in sizes:
        began, count = time.perf_counter(), windows_for(n, base)
        any_flag, single = 0, 0
        for _ in range(count):
            result = window(rng, n, None)
            any_flag += any(drifted for drifted, _ in result.values())
            single += sum(p < ALPHA for _, p in result.values())
        print(f"| {n:,} | {count} | {any_flag / count:.3f} | {single / (7 * count):.3f} "
              f"| {time.perf_counter() - began:.0f} |", flush=True)


def power(sizes: list[int], base: int, rng: np.random.Generator) -> None:
    print("| shift | " + " | ".join(f"n = {n:,}" for n in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for name, (column, shift) in SHIFTS.items():
        cells = []
        for n in sizes:
            count = max(windows_for(n, base) // 2, 10)
            hits = sum(window(rng, n, shift)[column][0] for _ in range(count))
            cells.append(f"{hits / count:.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000,100000,1000000")
    parser.add_argument("--windows", type=int, default=200, help="windows per size (null)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = np.random.default_rng(args.seed)
    print(f"alpha = {ALPHA}, method auto, Holm across 7 columns\n")
    false_alarms(sizes, args.windows, rng)
    print()
    power(sizes, args.windows, rng)


if __name__ == "__main__":
    main()
