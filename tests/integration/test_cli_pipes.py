"""Output piped into a reader that stops early (`monitor ... | head -1`) ends quietly.

The commands run as a user runs them, `python -m monitor` in a subprocess,
writing into a real pipe that the test closes: after one line, or before the
command writes anything. Either way the command must end with status 141
(128 + SIGPIPE, as `git log | head -1` ends git) and nothing on stderr about it:
no traceback, no "Exception ignored" from the interpreter's last flush.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.processes import monitor_env

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PIPE_CAPACITY = 65_536  # Linux's default: more than this and the writer waits for the reader


def spawn(cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    """`python -m monitor ARGS` in ``cwd``, its stdout and stderr into pipes."""
    env = monitor_env(MONITOR_DATABASE_URL=f"sqlite:///{cwd / 'monitor.db'}")
    return subprocess.Popen([sys.executable, "-m", "monitor", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def ended_quietly(process: subprocess.Popen[bytes]) -> str:
    """Wait for the process; its stderr, once it is known to hold no pipe error."""
    assert process.stderr is not None
    status = process.wait(timeout=120)
    err = process.stderr.read().decode()
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
    assert status == 141, err
    return err


@pytest.fixture
def wide(tmp_path: Path) -> Path:
    """ref.csv and cur.csv of 40 columns, whose HTML report is larger than a pipe holds."""
    rng = np.random.default_rng(9)
    for name, shift in (("ref.csv", 0.0), ("cur.csv", 0.5)):
        pd.DataFrame({f"c{i:02}": rng.normal(shift, 1, 500) for i in range(40)}).to_csv(
            tmp_path / name, index=False)
    return tmp_path


def test_compare_read_one_line_then_closed(wide):
    """`monitor compare --format html | head -1`: the reader takes one line and goes away while
    the report is still being written."""
    process = spawn(wide, "compare", "ref.csv", "cur.csv", "--format", "html")
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith(b"<!doctype html")
    process.stdout.close()
    ended_quietly(process)
    whole = subprocess.run([sys.executable, "-m", "monitor", "compare", "ref.csv", "cur.csv",
                            "--format", "html"], cwd=wide, env=monitor_env(),
                           capture_output=True, check=False)
    assert len(whole.stdout) > 2 * PIPE_CAPACITY  # so the writer was still at it


@pytest.mark.parametrize("args", [
    ["history"],
    ["validate", str(REPO / "rules")],
    ["compare", "ref.csv", "cur.csv"],
])
def test_closed_before_the_first_line(wide, args):
    """The reader is gone before anything is written: history, validate, compare."""
    process = spawn(wide, *args)
    assert process.stdout is not None
    process.stdout.close()
    ended_quietly(process)


def test_an_open_pipe_keeps_the_documented_status(wide):
    """A reader that takes everything changes nothing: compare exits 1 on drift."""
    process = spawn(wide, "compare", "ref.csv", "cur.csv")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert b"columns drifted" in out
