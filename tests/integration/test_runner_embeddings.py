"""The runner testing an embedding column: a monitor's rules, its reference, its alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.daemon.runner import Runner
from monitor.rules.loader import load_rules
from monitor.store import open_store
from monitor.windows import Window

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)
DIMENSION = 24

RULES = """\
monitors:
  - name: tickets
    schedule: {every: 1h}
    window: 1h
    source: {type: file, path: logs.parquet, timestamp: logged_at}
    reference: {path: train.parquet}
    columns: {embedding: [vector]}
    drift: {embedding: {method: METHOD}}
    alerts:
      - name: topics-moved
        when: embedding.vector.drifted == 1
"""


def _vectors(rng: np.random.Generator, n: int, shares: list[float]) -> list[np.ndarray]:
    centres = np.random.default_rng(42).normal(0, 1, (4, DIMENSION))
    topic = rng.choice(4, n, p=shares)
    return list((centres[topic] + rng.normal(0, 1, (n, DIMENSION))).astype(np.float32))


@pytest.fixture(params=["mmd", "cosine"])
def rules_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A reference of 4 even topics; hour 0 alike, hour 1 with one topic 15 points up."""
    rng = np.random.default_rng(3)
    even, moved = [0.25] * 4, [0.4, 0.1, 0.25, 0.25]
    pd.DataFrame({"vector": _vectors(rng, 8000, even), "x": rng.normal(size=8000)}
                 ).to_parquet(tmp_path / "train.parquet")
    hours = []
    for hour, shares in ((0, even), (1, moved)):
        logged = [T0 + hour * HOUR + timedelta(seconds=float(s))
                  for s in np.sort(rng.uniform(0, 3600, 1500))]
        hours.append(pd.DataFrame({"logged_at": logged, "vector": _vectors(rng, 1500, shares),
                                   "x": rng.normal(size=1500)}))
    pd.concat(hours, ignore_index=True).to_parquet(tmp_path / "logs.parquet")
    path = tmp_path / "rules.yaml"
    path.write_text(RULES.replace("METHOD", request.param))
    return path


def test_a_moved_embedding_is_stored_and_fires(rules_path: Path, database_url: str) -> None:
    spec = load_rules([rules_path], env={}).monitor("tickets")
    store = open_store(database_url)
    try:
        runner = Runner(store, clock=lambda: T0 + 3 * HOUR)
        calm = runner.run_window(spec, Window(T0, T0 + HOUR))
        moved = runner.run_window(spec, Window(T0 + HOUR, T0 + 2 * HOUR))
        assert calm.status == moved.status == "ok", (calm.error, moved.error)
        rows = {}
        for name, outcome in (("calm", calm), ("moved", moved)):
            assert outcome.run_id is not None
            (row,) = [r for r in store.results(outcome.run_id) if r.check == "embedding"]
            rows[name] = row
        method = spec.drift.embedding.method
        assert rows["calm"].column == "vector" and rows["calm"].method == method
        assert rows["calm"].drifted is False and rows["moved"].drifted is True
        assert rows["moved"].p_value is not None and rows["moved"].p_value < 0.05
        assert "topics-moved" not in calm.firing and "topics-moved" in moved.firing
        # the vector column is not also compared as a column of its own
        assert not [r for r in store.results(moved.run_id)
                    if r.check == "drift" and r.column == "vector"]
    finally:
        store.close()


def test_a_monitor_naming_an_absent_embedding_fails_clearly(tmp_path: Path,
                                                            database_url: str) -> None:
    pd.DataFrame({"x": [1.0, 2.0, 3.0]}).to_parquet(tmp_path / "train.parquet")
    pd.DataFrame({"logged_at": [T0], "x": [1.0]}).to_parquet(tmp_path / "logs.parquet")
    (tmp_path / "rules.yaml").write_text(RULES.replace("METHOD", "mmd"))
    spec = load_rules([tmp_path / "rules.yaml"], env={}).monitor("tickets")
    store = open_store(database_url)
    try:
        outcome = Runner(store, clock=lambda: T0 + 3 * HOUR).run_window(
            spec, Window(T0, T0 + HOUR))
        assert outcome.status == "failed"
        assert "'vector' (columns.embedding)" in (outcome.error or "")
    finally:
        store.close()
