"""The runner testing a text column: a monitor's rules, its reference, results, alerts."""

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
from tests.unit.text.corpus import Corpus

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)

RULES = """\
monitors:
  - name: reviews
    schedule: {every: 1h}
    window: 1h
    source: {type: file, path: logs.parquet, timestamp: logged_at}
    reference: {path: train.parquet}
    columns: {text: [review]}
    drift: {text: {method: vocabulary}}
    alerts:
      - name: new-wording
        when: text.review.vocabulary.drifted == 1
"""


@pytest.fixture
def rules_path(tmp_path: Path) -> Path:
    """A reference of 4 000 reviews; hour 0 alike, hour 1 with a new template in 5 % of rows."""
    rng = np.random.default_rng(3)
    corpus = Corpus()
    pd.DataFrame({"review": corpus.documents(rng, 4000), "x": rng.normal(size=4000)}
                 ).to_parquet(tmp_path / "train.parquet")
    hours = []
    for hour, scenario in ((0, "none"), (1, "template")):
        logged = [T0 + hour * HOUR + timedelta(seconds=float(s))
                  for s in np.sort(rng.uniform(0, 3600, 1500))]
        hours.append(pd.DataFrame({"logged_at": logged,
                                   "review": corpus.documents(rng, 1500, scenario),
                                   "x": rng.normal(size=1500)}))
    pd.concat(hours, ignore_index=True).to_parquet(tmp_path / "logs.parquet")
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


def test_a_new_template_is_stored_and_fires(rules_path: Path, database_url: str) -> None:
    spec = load_rules([rules_path], env={}).monitor("reviews")
    store = open_store(database_url)
    try:
        runner = Runner(store, clock=lambda: T0 + 3 * HOUR)
        calm = runner.run_window(spec, Window(T0, T0 + HOUR))
        moved = runner.run_window(spec, Window(T0 + HOUR, T0 + 2 * HOUR))
        assert calm.status == moved.status == "ok", (calm.error, moved.error)
        rows = {}
        for name, outcome in (("calm", calm), ("moved", moved)):
            assert outcome.run_id is not None
            found = [r for r in store.results(outcome.run_id) if r.check == "text"]
            assert [r.name for r in found] == [None, "words", "non_letter_share", "empty",
                                               "oov_share"]
            rows[name] = found[0]
        assert rows["calm"].column == "review" and rows["calm"].method == "vocabulary"
        assert rows["calm"].drifted is False and rows["moved"].drifted is True
        assert rows["moved"].p_value is not None and rows["moved"].p_value < 0.05
        assert "new-wording" not in calm.firing and "new-wording" in moved.firing
        # the length of the review is still compared as a column
        assert moved.run_id is not None and [r for r in store.results(moved.run_id)
                if r.check == "drift" and r.column == "review" and r.kind == "text"]
    finally:
        store.close()
