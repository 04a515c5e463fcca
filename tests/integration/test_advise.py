"""``monitor advise`` on a real SQLite store: verdict rows written as a run writes them, read back.

Each run here is stored the way the runner stores one: its results, plus the
verdict rows ``verdict_results`` decides from the history already stored.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.daemon.verdicts import history_of, latest_verdicts, signals_of, verdict_results
from monitor.records import NewResult, NewRun
from monitor.rules.retrain import RetrainSpec
from monitor.rules.schema import MonitorSpec
from monitor.store import Store, open_store

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)
BUILT = T0 - timedelta(days=30)
DRIFTING = 2  # credit's column income drifts from this window on

RULES = """\
monitors:
  - name: credit
    schedule: {every: 1h}
    window: 1h
    source: {type: file, path: logs.parquet, timestamp: ts}
    reference: {profile: credit-train}
    segments: [state]
  - name: fraud
    schedule: {every: 1h}
    window: 1h
    source: {type: file, path: logs.parquet, timestamp: ts}
    reference: {profile: credit-train}
  - name: fresh
    schedule: {every: 1h}
    window: 1h
    source: {type: file, path: logs.parquet, timestamp: ts}
    reference: {profile: credit-train}
"""


def run_of(monitor: str, i: int, rows: int = 1000, status: str = "ok") -> NewRun:
    start = T0 + i * HOUR
    return NewRun(monitor=monitor, window_start=start, window_end=start + HOUR, status=status,
                  started_at=start + HOUR, finished_at=start + HOUR + timedelta(seconds=3),
                  reference_name="credit-train", reference_version=1, reference_rows=5000,
                  current_rows=rows, drift_share=0.0, dataset_drift=False)


def results_of(i: int, *, drifting: bool, auc: float) -> list[NewResult]:
    effect = 0.7 if drifting else 0.05
    whole = [
        NewResult(check="drift", column="income", kind="numeric", method="ks", statistic=effect,
                  p_value=1e-6 if drifting else 0.6, effect_size=effect, drifted=drifting,
                  passed=not drifting),
        NewResult(check="missing_share", column="age", value=0.0, threshold=0.05, passed=True),
        NewResult(check="estimated", column="score", method="roc_auc", value=auc),
    ]
    segment = [replace(r, segment="state=CA") for r in whole[1:]]  # the segment does not drift
    return whole + segment + [NewResult(check="min_rows", column=None, segment="state=CA",
                                        value=800.0, threshold=10.0, passed=True)]


def store_run(store: Store, policy: RetrainSpec, run: NewRun, results: Sequence[NewResult]
              ) -> None:
    """Store ``run`` as the runner does: its results plus the verdicts decided before saving."""
    verdicts = verdict_results(store, policy, run, results, built=BUILT, now=run.finished_at)
    assert store.save_run(run, [*results, *verdicts], [], []) is not None


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """Rules in tmp_path/rules.yaml and a store holding six windows of credit, two of fraud."""
    for name in ("MONITOR_DATABASE_URL", "MONITOR_RULES"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "rules.yaml").write_text(RULES)
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    store = open_store(url)
    try:
        store.save_profile("credit-train", {"rows": 5000}, "hash", 5000, BUILT)
        policy = RetrainSpec()
        for i in range(6):
            store_run(store, policy, run_of("credit", i),
                      results_of(i, drifting=i >= DRIFTING, auc=0.9))
        store_run(store, policy, run_of("credit", 6, status="failed"), [])
        for i in range(2):
            whole = [r for r in results_of(i, drifting=False, auc=0.9) if r.segment is None]
            store_run(store, policy, run_of("fraud", i), whole)
    finally:
        store.close()
    yield tmp_path, url


def advise(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    status = main(["--database-url", url, "advise", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_json_lists_each_monitor_and_segment(workspace: tuple[Path, str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root, url = workspace
    status, out, err = advise(capsys, url, str(root / "rules.yaml"), "--format", "json")
    assert status == 1, err  # credit says watch
    items = json.loads(out)
    assert [(i["monitor"], i.get("segment"), i["verdict"]) for i in items] == [
        ("credit", None, "watch"), ("credit", "state=CA", "ok"), ("fraud", None, "ok"),
        ("fresh", None, None)]
    credit, segment, fraud, fresh = items
    assert credit["since"] == "2026-11-20T04:00:00Z"  # the third window of lasting drift
    assert credit["reasons"] == [
        "no performance floors set",
        "column income (effect 0.7) drifted with large effect (>= 0.5) since "
        "2026-11-20T02:00:00Z",
        "data quality fine"]
    assert credit["evidence"]["drifted"]["income"]["since"] == "2026-11-20T02:00:00Z"
    assert credit["evidence"]["windows"]["considered"] == 6
    assert "segment" not in credit and segment["segment"] == "state=CA"
    assert segment["since"] == "2026-11-20T00:00:00Z"
    assert fraud["reasons"] == ["no performance floors set", "no persistent drift",
                                "data quality fine"]
    assert fresh == {"monitor": "fresh", "verdict": None, "reasons": ["no run yet"],
                     "since": None, "evidence": {}}


def test_table_and_exit_status(workspace: tuple[Path, str],
                               capsys: pytest.CaptureFixture[str]) -> None:
    root, url = workspace
    rules = str(root / "rules.yaml")
    status, out, _ = advise(capsys, url, rules)
    lines = out.splitlines()
    assert status == 1
    assert lines[0] == "VERDICTS: 1 watch, 2 ok, 1 without a verdict yet"
    assert lines[1].split() == ["monitor", "segment", "verdict", "since", "reasons"]
    credit = next(line for line in lines if line.startswith("credit ") and " watch " in line)
    assert "2026-11-20T04:00:00Z" in credit and "column income (effect 0.7)" in credit
    assert any(line.split()[:3] == ["credit", "state=CA", "ok"] for line in lines)
    assert any(line.split()[:4] == ["fresh", "-", "none", "-"] for line in lines)
    assert advise(capsys, url, rules, "--monitor", "fraud")[0] == 0
    status, out, _ = advise(capsys, url, rules, "--monitor", "fresh")
    assert status == 0 and "no run yet" in out
    status, _, err = advise(capsys, url, rules, "--monitor", "nope")
    assert status == 2 and "no monitor named 'nope'" in err


def test_the_stored_verdict_matches_deciding_on_the_stored_history(
        workspace: tuple[Path, str]) -> None:
    """What the runner stored is what the stored history gives (the glue reads what it wrote)."""
    _, url = workspace
    store = open_store(url)
    try:
        history = history_of(store, "credit", segment=None, limit=50)
        assert [w.start for w in history] == [T0 + i * HOUR for i in range(6)]  # failed left out
        assert [sorted(w.drifted) for w in history] == [[]] * DRIFTING + [["income"]] * 4
        assert all(w.estimated == {"roc_auc": (0.9, None, None)} for w in history)
        segment = history_of(store, "credit", segment="state=CA", limit=50)
        assert [w.rows for w in segment] == [800] * 6 and not any(w.drifted for w in segment)
        assert history_of(store, "credit", segment=None, limit=50, before=T0 + 3 * HOUR)[-1] \
            .end == T0 + 3 * HOUR
    finally:
        store.close()


def test_floors_make_retrain_and_since_comes_back_both_ways(tmp_path: Path) -> None:
    """With floors the estimate decides; without the spec, ``since`` comes from stored rows."""
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        store.save_profile("credit-train", {"rows": 5000}, "hash", 5000, BUILT)
        policy = RetrainSpec(floors={"roc_auc": 0.85})
        aucs = [0.9, 0.9, 0.8, 0.8, 0.8, 0.79, 0.78]
        for i, auc in enumerate(aucs):
            store_run(store, policy, run_of("credit", i), results_of(i, drifting=False, auc=auc))
        [again] = [i for i in latest_verdicts(store, "credit", specs={"credit": policy})
                   if "segment" not in i]
        [stored] = [i for i in latest_verdicts(store, "credit") if "segment" not in i]
    finally:
        store.close()
    assert again["verdict"] == stored["verdict"] == "retrain"
    # Watch from the first window below the floor, retrain from the fourth (persistence 4).
    assert again["since"] == stored["since"] == "2026-11-20T05:00:00Z"
    assert again["reasons"][0] == ("estimated roc_auc 0.78, below the 0.85 floor in 5 of the "
                                   "last 6 windows")
    assert again["evidence"]["metrics"]["roc_auc"]["bound"] == 0.85 and stored["evidence"] == {}


def test_a_small_window_stored_does_not_count(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        policy = RetrainSpec(floors={"roc_auc": 0.85})
        for i in range(5):
            store_run(store, policy, run_of("credit", i, rows=100),
                      results_of(i, drifting=False, auc=0.5))
        [whole] = [i for i in latest_verdicts(store, specs={"credit": policy})
                   if "segment" not in i]
    finally:
        store.close()
    assert whole["verdict"] == "ok"
    assert whole["evidence"]["windows"]["too_small"] == 5


def test_signals_read_bands_when_results_carry_them() -> None:
    """``lower``/``upper`` are read when the result has them (the estimate's band)."""
    result: Any = NewResult(check="estimated", column=None, method="roc_auc", value=0.8)
    if not hasattr(result, "lower"):
        result = _Banded(result)
    else:
        result = replace(result, lower=0.7, upper=0.84)
    signals = signals_of(run_of("credit", 0), [result])
    assert signals.estimated == {"roc_auc": (0.8, 0.7, 0.84)}


class _Banded:
    """A result with a band, for a records module without ``lower``/``upper`` yet."""

    def __init__(self, result: NewResult) -> None:
        self._result = result
        self.lower, self.upper = 0.7, 0.84

    def __getattr__(self, name: str) -> object:
        return getattr(self._result, name)


@pytest.mark.skipif("retrain" not in MonitorSpec.model_fields,
                    reason="rule files take a retrain: block once MonitorSpec has it")
def test_the_rules_retrain_block_is_used(workspace: tuple[Path, str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    root, url = workspace
    rules = root / "rules.yaml"
    rules.write_text(RULES.replace("    segments: [state]\n", textwrap.indent(
        "segments: [state]\nretrain: {floors: {roc_auc: 0.95}, important: [income]}\n", "    ")))
    status, out, err = advise(capsys, url, str(rules), "--format", "json", "--monitor", "credit")
    assert status == 1, err
    [whole, _] = json.loads(out)
    assert whole["evidence"]["metrics"]["roc_auc"]["bound"] == 0.95
    assert whole["evidence"]["drifted"]["income"]["important"] is True
