"""Side by side: `monitor compare` against Evidently 0.7 and NannyML 0.13, same tests, all rows.

The data (``peer_data.py``): 1,000,000 reference and 1,000,000 current rows,
29 columns: 20 normal numeric columns with 4 shifted by 0.1 σ, two shifted by
0.006 σ and 0.01 σ (which only a test on all rows sees), 5 categorical columns
with 4 levels and one changed mix, one whose mix moves by half a point, one
prediction column. Written as Parquet in two layouts: ``groups`` (row groups
of 100,000 rows) and ``single`` (one row group per file, as pyarrow and pandas
write a million rows by default).

Every contender reads every row and runs KS on numbers and chi-square on
categories, at alpha 0.05, without correction across columns:

- ``monitor compare REF CUR --format json --method ks --correction none``:
  KS on numbers (with ``--method ks`` no effect floor applies), categories
  left to ``auto``, which runs the chi-square contingency test (equal to
  ``chi2_contingency``) and calls drift only when at least 1.5 % of the values
  changed category (the floor it always applies to categories: the table
  notes the columns it decides). A KS run on the profiles' samples (at
  most 20,000 values per column) shows D and p apart from scipy's; one run
  on all rows matches them.
- Evidently 0.7 ``DataDriftPreset(num_method="ks", cat_method="chisquare")``:
  by default it would run the normed Wasserstein distance and Jensen–Shannon
  (reference above 1,000 rows); its KS is ``ks_2samp`` on all rows, its
  chi-square a goodness-of-fit test of the current counts against the
  reference shares (not the contingency test, so its p-values differ).
  It reports p-values only.
- NannyML 0.13 ``UnivariateDriftCalculator``, KS and chi2, one chunk per
  side, exact KS (its default bins references of 10,000 rows or more), the
  KS alert a constant threshold at the critical D of alpha 0.05 (its default
  is a threshold on D from the reference's chunks); chi2 is
  ``chi2_contingency``. KS reports D only. See ``peers/nannyml_drift.py``.
- the ground truth: ``scipy.stats.ks_2samp`` and ``chi2_contingency`` on all
  rows in this process.

Each contender runs as a whole process, one after the other, and its wall
time and peak resident memory (the process's own ``ru_maxrss``) are measured.
The peers run in their own virtual environments (``setup_peers.sh``).

    python benchmarks/compare_peers.py [--rows N] [--layout groups|single|both]
        [--data DIR] [--peers DIR] [--repeat K] [--skip NAME]

Prints, per layout, a Markdown table of time and memory (``monitor``: the
median of ``--repeat`` runs; the peers run once) with the targets checked,
then the per-column table (statistic, p-value and verdict of each contender
and of scipy) and the disagreements.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import peer_data  # noqa: E402
import peer_verdicts  # noqa: E402

MONITOR = "monitor compare"
EVIDENTLY = "Evidently 0.7 DataDriftPreset"
NANNYML = "NannyML 0.13 UnivariateDriftCalculator"
FASTER_THAN = {EVIDENTLY: 50, NANNYML: 10}
"""How many times faster than each peer the monitor is meant to be."""
MEMORY_LIMIT_MB = {"groups": 600, "single": 400}
"""The monitor's peak memory target per layout."""


def run(command: list[str]) -> tuple[float, float, str]:
    """Run a whole process; wall seconds, peak RSS in MB, its standard output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code not in (0, 1):  # monitor compare exits 1 when it finds drift
            raise SystemExit(f"{command[0]} failed ({code}): {err.read().decode()[-2000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode()


def machine() -> str:
    """CPU model, cores, memory and Python of this machine."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except OSError:
        memory = "?"
    return (f"{model}, {os.cpu_count()} cores, {memory} RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def commands(reference: Path, current: Path, peers: Path, out: Path) -> dict[str, list[str]]:
    """Each contender's command line; the peers write their results to ``out``/NAME.json."""
    monitor = Path(sys.executable).with_name("monitor")
    return {
        MONITOR: [str(monitor), "compare", str(reference), str(current), "--format", "json",
                  "--method", "ks", "--correction", "none"],
        EVIDENTLY: [str(peers / "evidently/bin/python"), str(HERE / "peers/evidently_drift.py"),
                    str(reference), str(current), str(out / "evidently.json")],
        NANNYML: [str(peers / "nannyml/bin/python"), str(HERE / "peers/nannyml_drift.py"),
                  str(reference), str(current), str(out / "nannyml.json")],
    }


def measure(layout: str, args: argparse.Namespace
            ) -> tuple[dict[str, tuple[float, float]], dict[str, peer_verdicts.Results], Path]:
    """Run every contender on one layout: time and memory, and each one's per-column results."""
    reference, current = peer_data.write(args.data, args.rows, layout)
    out = args.data / f"results-{args.rows}-{layout}"
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, tuple[float, float]] = {}
    results: dict[str, peer_verdicts.Results] = {}
    for name, command in commands(reference, current, args.peers, out).items():
        if any(skip.lower() in name.lower() for skip in args.skip):
            continue
        repeat = args.repeat if name == MONITOR else 1  # the peers take minutes
        runs = [run(command) for _ in range(repeat)]
        timings[name] = (statistics.median(r[0] for r in runs),
                         statistics.median(r[1] for r in runs))
        if name == MONITOR:
            document: dict[str, Any] = json.loads(runs[0][2])
            results[name] = peer_verdicts.from_monitor(document)
        else:
            path = out / ("evidently.json" if name == EVIDENTLY else "nannyml.json")
            results[name] = json.loads(path.read_text())["columns"]
        print(f"[{layout}] {name}: {timings[name][0]:.2f} s, {timings[name][1]:.0f} MB",
              flush=True)
    return timings, results, reference


def print_timings(layout: str, timings: dict[str, tuple[float, float]]) -> None:
    """The time and memory table of one layout, and the targets."""
    groups = "one row group per file" if layout == "single" else "row groups of 100,000 rows"
    print(f"\n### Layout `{layout}` ({groups})\n")
    print("| contender | wall time | peak memory | monitor is faster by |")
    print("|---|---:|---:|---:|")
    ours = timings.get(MONITOR)
    for name, (seconds, megabytes) in timings.items():
        ratio = f"{seconds / ours[0]:.1f}×" if ours and name != MONITOR else "-"
        print(f"| {name} | {seconds:.2f} s | {megabytes:,.0f} MB | {ratio} |")
    if ours is None:
        return
    print()
    for name, factor in FASTER_THAN.items():
        if name in timings:
            times = timings[name][0] / ours[0]
            print(f"- target: monitor ≥ {factor}× faster than {name}: {times:.1f}× "
                  f"({'met' if times >= factor else 'MISSED'})")
    limit = MEMORY_LIMIT_MB[layout]
    print(f"- target: monitor peak memory < {limit} MB on `{layout}`: {ours[1]:.0f} MB "
          f"({'met' if ours[1] < limit else 'MISSED'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--layout", choices=[*peer_data.LAYOUTS, "both"], default="both")
    parser.add_argument("--data", type=Path, default=Path("/tmp/monitor-bench"))
    parser.add_argument("--peers", type=Path, default=Path("/work/peers"))
    parser.add_argument("--repeat", type=int, default=3, help="runs of monitor (median)")
    parser.add_argument("--skip", action="append", default=[], help="contender to leave out")
    args = parser.parse_args()
    layouts = list(peer_data.LAYOUTS) if args.layout == "both" else [args.layout]
    measured = {layout: measure(layout, args) for layout in layouts}
    began = time.perf_counter()
    truth = peer_verdicts.ground_truth(*peer_data.paths(args.data, args.rows, layouts[0]))
    truth_seconds = time.perf_counter() - began
    n = args.rows
    print(f"\n{n:,} + {n:,} rows, {len(truth)} columns; {dt.date.today().isoformat()}; "
          f"{machine()}")
    for layout, (timings, _, _) in measured.items():
        print_timings(layout, timings)
    first, (_, results, _) = layouts[0], measured[layouts[0]]
    print(f"\n### Per column (layout `{first}`; scipy took {truth_seconds:.1f} s)\n")
    every = {**results, peer_verdicts.TRUTH: truth}
    print("\n".join(peer_verdicts.table(every)))
    print("\nStatistic: KS D, or the chi-square statistic. Evidently reports p-values only, "
          "NannyML's KS D only. drift: the contender's verdict (scipy: p < 0.05).\n")
    print("Disagreements:\n")
    print("\n".join(peer_verdicts.disagreements(every)))
    for layout in layouts[1:]:
        other = measured[layout][1]
        for name, found in other.items():
            changed = peer_verdicts.same_results(results[name], found)
            print(f"- {name} on `{layout}`: "
                  + (f"results differ from `{first}` on {', '.join(changed)}" if changed
                     else f"the same results as on `{first}`"))


if __name__ == "__main__":
    main()
