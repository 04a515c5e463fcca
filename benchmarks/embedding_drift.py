"""Embedding drift: false alarms, power, memory and speed of the four methods, and Evidently's.

The data are sentence-like vectors of dimension 384 drawn from a mixture of
topic Gaussians (``embedding_data.py``). Every repetition draws a fresh
reference of 50,000 rows and fresh current windows, profiles them as the
monitor does (``build_profile(..., embeddings=["vec"])``: exact mean, a
uniform sample of 1,000 vectors) and runs each method of
``monitor.stats.embedding`` at alpha = 0.05.

1. **Calibration**: share of repetitions flagged without drift, for current
   windows of 500, 5,000 and 100,000 rows; a count beyond binomial noise
   (one-sided binomial p < 0.01 against alpha) is marked ``!``.
2. **Detection**: share flagged when the topic mix moves 10 points, when
   three coordinate pairs rotate by 30°, when a new topic takes 5 % of rows.
3. **Memory and speed**: 1,000,000 vectors streamed through
   ``ProfileBuilder(embeddings=["vec"])`` in chunks of 50,000 (generated one
   chunk at a time) in a child process: peak RSS (``VmHWM``, reset per phase),
   peak Python allocations (tracemalloc), rows/s, and each test's time and
   memory on the resulting summaries.
4. **Evidently 0.7**: its ``EmbeddingsDrift`` methods (``model``, ``ratio``,
   ``distance``, ``mmd``, default options) on the same Parquet files, run by
   its own interpreter: verdicts and seconds beside the monitor's.

    python benchmarks/embedding_drift.py [--quick] [--repeats N] [--skip-evidently]
        [--evidently /work/peers-evidently/bin/python]

The peer's environment (outside the repository; Evidently needs pandas < 3):

    python3 -m venv /work/peers-evidently
    /work/peers-evidently/bin/pip install 'evidently>=0.7,<0.8' 'pandas<3' pyarrow

BLAS runs on one thread unless ``OPENBLAS_NUM_THREADS`` says otherwise: on
a small shared machine, threaded BLAS spends its time waiting. With the
defaults the script runs for about 25 minutes; ``--quick`` in under a minute.
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections import defaultdict  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import embedding_data as data  # noqa: E402

import monitor  # noqa: E402
from monitor.profiles import ProfileBuilder, build_profile  # noqa: E402
from monitor.stats.base import StatResult  # noqa: E402
from monitor.stats.embedding import EMBEDDING_METHODS, embedding_test  # noqa: E402

ALPHA = 0.05
SHIFTS = ("mix", "rotation", "new_topic")
PEER_METHODS = ("model", "ratio", "distance", "mmd")
MB = 1024 * 1024


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions of one run."""

    repeats: int
    reference: int
    calibration: tuple[int, ...]
    detection: tuple[int, ...]
    stream: int
    chunk: int
    peer_repeats: int
    report: bool


FULL = Plan(50, 50_000, (500, 5_000, 100_000), (5_000, 500), 1_000_000, 50_000, 5, True)
QUICK = Plan(2, 10_000, (500, 5_000), (500,), 100_000, 50_000, 1, False)

Counts = dict[tuple[str, int], dict[str, int]]


def _p_value(result: StatResult | None) -> float:
    return float("nan") if result is None or result.p_value is None else result.p_value


def _flagged(result: StatResult | None) -> bool:
    return _p_value(result) < ALPHA


def simulate(topics: data.Topics, plan: Plan, seed: int) -> tuple[Counts, dict[str, float]]:
    """Flag counts per (scenario, n) and method, and each method's median seconds."""
    cases = [("none", n) for n in plan.calibration]
    cases += [(shift, n) for shift in SHIFTS for n in plan.detection]
    counts: Counts = {case: dict.fromkeys(EMBEDDING_METHODS, 0) for case in cases}
    seconds: dict[str, list[float]] = defaultdict(list)
    began = time.perf_counter()
    for rep in range(plan.repeats):
        rng = np.random.default_rng([seed, rep])
        reference = build_profile([data.vector_frame(data.vectors(topics, rng, plan.reference))],
                                  embeddings=["vec"], seed=rep).embeddings["vec"]
        for scenario, n in cases:
            frame = data.vector_frame(data.vectors(topics, rng, n, scenario))
            current = build_profile([frame], embeddings=["vec"], seed=rep).embeddings["vec"]
            for method in EMBEDDING_METHODS:
                start = time.perf_counter()
                result = embedding_test(method, reference, current, seed=rep)
                seconds[method].append(time.perf_counter() - start)
                counts[(scenario, n)][method] += _flagged(result)
        print(f"  repetition {rep + 1}/{plan.repeats}: {time.perf_counter() - began:.0f} s",
              file=sys.stderr, flush=True)
    return counts, {m: statistics.median(s) for m, s in seconds.items()}


def _cell(hits: int, repeats: int, calibration: bool) -> str:
    text = f"{hits}/{repeats} ({hits / repeats:.0%})"
    if calibration and stats.binom.sf(hits - 1, repeats, ALPHA) < 0.01:
        text += " !"
    return text


def print_simulation(counts: Counts, seconds: dict[str, float], plan: Plan) -> None:
    """The calibration and detection tables."""
    print(f"\n### Calibration: flagged without drift (alpha {ALPHA}, {plan.repeats} "
          f"repetitions, reference {plan.reference:,} rows, d = {data.DIMENSION})\n")
    print("| method | " + " | ".join(f"n = {n:,}" for n in plan.calibration) + " |")
    print("|---" * (len(plan.calibration) + 1) + "|")
    for method in EMBEDDING_METHODS:
        cells = [_cell(counts[("none", n)][method], plan.repeats, True)
                 for n in plan.calibration]
        print(f"| {method} | " + " | ".join(cells) + " |")
    limit = int(stats.binom.isf(0.01, plan.repeats, ALPHA)) + 1
    print(f"\n`!`: {limit} or more of {plan.repeats} — beyond binomial noise "
          f"(P < 0.01 at a true rate of {ALPHA}).")
    print("\n### Detection: share of repetitions flagged\n")
    print("| shift | n | " + " | ".join(EMBEDDING_METHODS) + " |")
    print("|---|---" + "|---" * len(EMBEDDING_METHODS) + "|")
    for shift in SHIFTS:
        for n in plan.detection:
            cells = [_cell(counts[(shift, n)][m], plan.repeats, False)
                     for m in EMBEDDING_METHODS]
            print(f"| {shift} | {n:,} | " + " | ".join(cells) + " |")
    print("\nMedian seconds per test: " + ", ".join(f"{m} {s:.3f}"
                                                  for m, s in seconds.items()))


def _status(field: str) -> float:
    """A ``/proc/self/status`` memory figure in MB (NaN where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _reset_peak() -> None:
    """Restart the peak-RSS mark (``VmHWM``), so each phase has its own peak (Linux)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def memory_part(plan: Plan, seed: int) -> dict[str, Any]:
    """Stream ``plan.stream`` vectors through a builder, then time each test (child process)."""
    topics, rng = data.make_topics(), np.random.default_rng([seed, 99])
    found: dict[str, Any] = {"baseline_rss": _status("VmRSS")}
    _reset_peak()
    tracemalloc.start()
    builder = ProfileBuilder(embeddings=["vec"])
    busy, update_peak = 0.0, 0
    for start in range(0, plan.stream, plan.chunk):
        frame = data.vector_frame(data.vectors(topics, rng, min(plan.chunk, plan.stream - start)))
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        began = time.perf_counter()
        builder.update(frame)
        busy += time.perf_counter() - began
        update_peak = max(update_peak, tracemalloc.get_traced_memory()[1] - held)
        del frame
    current = builder.build().embeddings["vec"]
    found.update(stream_rss=_status("VmHWM"), stream_python=tracemalloc.get_traced_memory()[1] / MB,
                 update_python=update_peak / MB, rows_per_second=plan.stream / busy,
                 summary_json=len(json.dumps(current.to_dict())) / MB, count=current.count)
    frame = data.vector_frame(data.vectors(topics, rng, plan.reference))
    reference = build_profile([frame], embeddings=["vec"]).embeddings["vec"]
    del frame
    tests: dict[str, tuple[float, float, float, float]] = {}
    for method in EMBEDDING_METHODS:
        _reset_peak()
        tracemalloc.reset_peak()
        held = tracemalloc.get_traced_memory()[0]
        began = time.perf_counter()
        result = embedding_test(method, reference, current)
        spent = time.perf_counter() - began
        peak = (tracemalloc.get_traced_memory()[1] - held) / MB
        tests[method] = (spent, _status("VmHWM"), peak, _p_value(result))
    found["tests"] = tests
    return found


def run_memory(plan: Plan, seed: int, quick: bool) -> None:
    """Run ``memory_part`` in a fresh process (its own peak RSS) and print its figures."""
    command = [sys.executable, str(Path(__file__).resolve()), "--part", "memory",
               "--seed", str(seed)] + (["--quick"] if quick else [])
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found = json.loads(output.strip().splitlines()[-1])
    print(f"\n### Memory and speed: {plan.stream:,} vectors (d = {data.DIMENSION}, float32) "
          f"in chunks of {plan.chunk:,}\n")
    print("| figure | value |\n|---|---|")
    print(f"| RSS after imports | {found['baseline_rss']:.0f} MB |")
    print(f"| peak RSS while streaming (incl. generating each chunk) | "
          f"{found['stream_rss']:.0f} MB |")
    print(f"| peak Python allocations while streaming (tracemalloc) | "
          f"{found['stream_python']:.0f} MB |")
    print(f"| peak allocations inside `update` above the chunk | "
          f"{found['update_python']:.0f} MB |")
    print(f"| one chunk's vectors | {plan.chunk * data.DIMENSION * 4 / MB:.0f} MB |")
    print(f"| `update` throughput | {found['rows_per_second']:,.0f} rows/s |")
    print(f"| summary as JSON (`to_dict`) | {found['summary_json']:.1f} MB |")
    print(f"\nTests of the {found['count']:,}-vector summary against a "
          f"{plan.reference:,}-vector reference (no drift):\n")
    print("| method | seconds | peak RSS | peak allocations | p-value |\n|---|---|---|---|---|")
    for method, (spent, rss, peak, p_value) in found["tests"].items():
        print(f"| {method} | {spent:.2f} | {rss:.0f} MB | {peak:.0f} MB | {p_value:.3f} |")


def _write_peer_data(topics: data.Topics, plan: Plan, seed: int, root: Path) -> list[Path]:
    folders = []
    for rep in range(plan.peer_repeats):
        folder = root / f"r{rep}"
        folder.mkdir()
        rng = np.random.default_rng([seed, 1000 + rep])
        data.column_frame(data.vectors(topics, rng, plan.reference)).to_parquet(
            folder / "reference.parquet")
        for scenario in data.SCENARIOS:
            for n in plan.detection:
                data.column_frame(data.vectors(topics, rng, n, scenario)).to_parquet(
                    folder / f"current_{scenario}_{n}.parquet")
        folders.append(folder)
    return folders


Verdicts = dict[tuple[str, str], list[tuple[bool, float]]]


def _monitor_verdicts(folders: list[Path]) -> tuple[Verdicts, list[float], dict[str, float]]:
    """Per (data, method): drifted and seconds; reference build times; end-to-end seconds."""
    found: Verdicts = defaultdict(list)
    builds, whole = [], {}
    for folder in folders:
        began = time.perf_counter()
        reference = build_profile([pd.read_parquet(folder / "reference.parquet")],
                                  embeddings=["e_*"])
        builds.append(time.perf_counter() - began)
        for path in sorted(folder.glob("current_*.parquet")):
            frame = pd.read_parquet(path)
            began = time.perf_counter()
            current = build_profile([frame], reference=reference)
            profiled = time.perf_counter() - began
            for method in EMBEDDING_METHODS:
                began = time.perf_counter()
                result = embedding_test(method, reference.embeddings["e_*"],
                                        current.embeddings["e_*"])
                spent = profiled + time.perf_counter() - began
                found[(path.stem, method)].append((_flagged(result), spent))
            if folder == folders[0] and path.stem.startswith("current_none"):
                began = time.perf_counter()
                monitor.compare(folder / "reference.parquet", path, embedding=["e_*"])
                whole[path.stem] = time.perf_counter() - began
    return found, builds, whole


def _evidently_verdicts(python: Path, folders: list[Path], report: bool
                        ) -> tuple[Verdicts, dict[str, float], int]:
    command = [str(python), str(HERE / "embedding_data.py"), "evidently",
               *map(str, folders)] + (["--report", "current_none"] if report else [])
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"Evidently failed ({done.returncode}): {done.stderr[-3000:]}")
    found: Verdicts = defaultdict(list)
    reports, mmd_rows = {}, 0
    for line in done.stdout.splitlines():
        if not line.startswith("{"):
            continue
        row = json.loads(line)
        if row["method"] == "report":
            reports[row["data"]] = row["seconds"]
            continue
        found[(row["data"], row["method"])].append((row["drifted"], row["seconds"]))
        if row["method"] == "mmd":
            mmd_rows = row["reference_rows"]
    return found, reports, mmd_rows


def _hits(results: list[tuple[bool, float]]) -> str:
    return f"{sum(d for d, _ in results)}/{len(results)}"


def run_peers(topics: data.Topics, plan: Plan, seed: int, python: Path) -> None:
    """Evidently and the monitor on the same Parquet files: verdicts and seconds."""
    with tempfile.TemporaryDirectory(prefix="embedding-drift-") as root:
        folders = _write_peer_data(topics, plan, seed, Path(root))
        mine, builds, whole = _monitor_verdicts(folders)
        theirs, reports, mmd_rows = _evidently_verdicts(python, folders, plan.report)
    stems = [f"current_{s}_{n}" for n in plan.detection for s in data.SCENARIOS]
    print(f"\n### Evidently 0.7 side by side: drifted in how many of {plan.peer_repeats} "
          f"data sets (reference {plan.reference:,} rows)\n")
    heads = [f"monitor {m}" for m in EMBEDDING_METHODS] + [f"Evidently {m}"
                                                             for m in PEER_METHODS]
    print("| shift | n | " + " | ".join(heads) + " |")
    print("|---|---" + "|---" * len(heads) + "|")
    for n in plan.detection:
        for scenario in data.SCENARIOS:
            stem = f"current_{scenario}_{n}"
            cells = [_hits(mine[(stem, m)]) for m in EMBEDDING_METHODS]
            cells += [_hits(theirs[(stem, m)]) for m in PEER_METHODS]
            print(f"| {scenario} | {n:,} | " + " | ".join(cells) + " |")
    print("\nMedian seconds per test, reading excluded (monitor: profiling the current "
          "window plus the test; Evidently: the method's call on the frames):\n")
    print("| n | " + " | ".join(heads) + " |")
    print("|---" + "|---" * len(heads) + "|")
    for n in plan.detection:
        cells = []
        for source, methods in ((mine, EMBEDDING_METHODS), (theirs, PEER_METHODS)):
            for m in methods:
                spent = [s for stem in stems if stem.endswith(f"_{n}")
                         for _, s in source[(stem, m)]]
                cells.append(f"{statistics.median(spent):.2f}")
        print(f"| {n:,} | " + " | ".join(cells) + " |")
    print(f"\nThe monitor profiles each {plan.reference:,}-row reference once: median "
          f"{statistics.median(builds):.2f} s. Evidently's `mmd` ran on a {mmd_rows:,}-row "
          "sample of the reference (its kernel matrix over all rows would need "
          f"{(plan.reference + max(plan.detection)) ** 2 * 8 / 1e9:.0f} GB).\n")
    for stem, seconds in whole.items():
        line = f"- `{stem}`: `monitor.compare(ref.parquet, cur.parquet, embedding=['e_*'])` " \
               f"{seconds:.1f} s"
        if stem in reports:
            line += f"; Evidently `Report([EmbeddingsDrift])` {reports[stem]:.1f} s"
        print(line)


def main() -> None:
    """Parse options and print every table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of under a minute")
    parser.add_argument("--repeats", type=int, help="repetitions per cell (default 50)")
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--evidently", type=Path,
                        default=Path("/work/peers-evidently/bin/python"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--part", choices=["memory"], help=argparse.SUPPRESS)
    options = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    plan = QUICK if options.quick else FULL
    if options.repeats:
        plan = replace(plan, repeats=options.repeats)
    if options.part == "memory":
        print(json.dumps(memory_part(plan, options.seed)))
        return
    topics = data.make_topics()
    began = time.perf_counter()
    counts, seconds = simulate(topics, plan, options.seed)
    print_simulation(counts, seconds, plan)
    run_memory(plan, options.seed, options.quick)
    if options.skip_evidently:
        print("\n(Evidently skipped.)")
    elif not options.evidently.exists():
        print(f"\n(Evidently skipped: {options.evidently} does not exist; see the docstring.)")
    else:
        run_peers(topics, plan, options.seed, options.evidently)
    print(f"\nTotal {time.perf_counter() - began:.0f} s.")


if __name__ == "__main__":
    main()
