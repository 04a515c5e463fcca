"""Memory of a large window: a 10,000,000-row current file streamed through `monitor compare`.

Writes the current data set of ``peer_data.py`` with ``--rows`` rows (default
10,000,000, about 2 GB of Parquet) row group by row group, so writing it
needs little memory either, then runs ``monitor compare`` against the
1,000,000-row reference as a whole process and reports its wall time and
peak resident memory. The window is profiled chunk by chunk: memory stays
near one chunk plus the bounded profiles, whatever the row count.

    python benchmarks/stream_memory.py [--rows N] [--data DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compare_peers  # noqa: E402
import peer_data  # noqa: E402

PART = 500_000


def write_large(path: Path, rows: int) -> None:
    """The drifted current data set, ``rows`` rows, written part by part."""
    if path.exists():
        return
    writer = None
    try:
        for i, start in enumerate(range(0, rows, PART)):
            table = peer_data.table(min(PART, rows - start), drifted=True, seed=100 + i)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=100_000)
    finally:
        if writer is not None:
            writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/monitor-bench"))
    args = parser.parse_args()
    reference, _ = peer_data.write(args.data, 1_000_000)
    current = args.data / f"current-stream-{args.rows}.parquet"
    write_large(current, args.rows)
    monitor = Path(sys.executable).with_name("monitor")
    seconds, megabytes, status = compare_peers.run(
        [str(monitor), "compare", str(reference), str(current), "--format", "json"])
    print(f"monitor compare, {args.rows:,}-row current window streamed from Parquet: "
          f"{seconds:.1f} s, peak memory {megabytes:.0f} MB (exit status {status})")
    print(f"machine: {compare_peers.machine()}")


if __name__ == "__main__":
    main()
