"""Side-by-side speed and memory: `monitor compare` against Evidently 0.7 and NannyML 0.13.

Builds one data set for every contender (see ``peer_data.py``: 1,000,000
reference and 1,000,000 current rows, 20 normal numeric columns with 4
shifted by 0.1 σ, 5 categorical columns with 4 levels and one changed mix,
one prediction column), writes it as Parquet, then runs each contender as a
whole process, one after the other, and measures its wall time and peak
resident memory (the process's own ``ru_maxrss``). The peers run in their
own virtual environments (``setup_peers.sh`` creates them).

    python benchmarks/compare_peers.py [--rows N] [--data DIR] [--peers DIR] [--repeat K]

Prints a Markdown table (for ``monitor``, the median of ``--repeat`` runs;
the peers run once) and the machine it ran on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import peer_data  # noqa: E402


def run(command: list[str]) -> tuple[float, float, int]:
    """Run a whole process; wall seconds, peak RSS in MB, exit status."""
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {error[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, process.returncode


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/monitor-bench"))
    parser.add_argument("--peers", type=Path, default=Path("/work/peers"))
    parser.add_argument("--repeat", type=int, default=3, help="runs of monitor (median)")
    parser.add_argument("--skip", action="append", default=[], help="contender to leave out")
    args = parser.parse_args()
    reference, current = peer_data.write(args.data, args.rows)
    monitor = Path(sys.executable).with_name("monitor")
    contenders = {
        "monitor compare": [str(monitor), "compare", str(reference), str(current),
                            "--format", "json"],
        "Evidently 0.7 DataDriftPreset": [str(args.peers / "evidently/bin/python"),
                                          str(HERE / "peers/evidently_drift.py"),
                                          str(reference), str(current)],
        "NannyML 0.13 UnivariateDriftCalculator": [str(args.peers / "nannyml/bin/python"),
                                                   str(HERE / "peers/nannyml_drift.py"),
                                                   str(reference), str(current)],
    }
    results: dict[str, tuple[float, float]] = {}
    for name, command in contenders.items():
        if any(skip.lower() in name.lower() for skip in args.skip):
            continue
        repeat = args.repeat if name == "monitor compare" else 1  # the peers take minutes
        runs = [run(command) for _ in range(repeat)]
        results[name] = (statistics.median(r[0] for r in runs),
                         statistics.median(r[1] for r in runs))
        print(f"{name}: {results[name][0]:.2f} s, {results[name][1]:.0f} MB", flush=True)
    ours = results.get("monitor compare")
    print(f"\n{args.rows:,} + {args.rows:,} rows, 26 columns; "
          f"{dt.date.today().isoformat()}; {machine()}\n")
    print("| contender | wall time | peak memory | monitor is faster by |")
    print("|---|---:|---:|---:|")
    for name, (seconds, megabytes) in results.items():
        ratio = f"{seconds / ours[0]:.0f}×" if ours and name != "monitor compare" else "-"
        print(f"| {name} | {seconds:.2f} s | {megabytes:.0f} MB | {ratio} |")


if __name__ == "__main__":
    main()
