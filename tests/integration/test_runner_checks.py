"""The checks operators write, run by the daemon's runner on a SQL table, stored, alerted on.

The same window runs twice: pushed down into the database and read row by
row. Both store the same results, with exact failing rows and samples
(never for a sensitive column), and an alert reads a check by its name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.daemon.runner import Runner
from monitor.profiles import build_profile
from monitor.rules.loader import load_rules
from monitor.store import open_store
from monitor.store.history import results_of_runs
from monitor.windows import Window

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)
STATES = ["CA", "NY", "TX"]

RULES = """\
notifiers:
  hook: {{type: webhook, url: "http://127.0.0.1:9/hook"}}
monitors:
  - name: {name}
    schedule: {{every: 1m}}
    window: 1h
    source: {{type: sql, url: "{url}", table: loans, timestamp: logged_at,
              profile_in_database: {pushed}}}
    reference: {{profile: loans-train}}
    columns: {{categorical: [state], exclude: [loan_id, email]}}
    quality:
      columns:
        score:   {{range: {{min: 0, max: 1}}, mean: {{min: 0.4, max: 0.6}}}}
        email:   {{pattern: {{regex: '^[^@ ]+@[^@ ]+$'}}, sensitive: true}}
        loan_id: {{unique: {{}}}}
        state:   {{allowed: {{values: [CA, NY, TX]}}, missing: {{values: ['-'], max_share: 0.1}}}}
      conditions:
        - {{name: paid_within_amount, condition: "paid <= amount"}}
      duplicates: {{columns: [loan_id, state]}}
      sql:
        - {{name: void_rows, returns: rows,
           query: "SELECT loan_id FROM loans WHERE amount < 0 AND logged_at >= :start
                   AND logged_at < :end"}}
    alerts:
      - name: ids-repeat
        when: quality("loan_id.unique").failing_rows > 0
        notify: [hook]
"""


def loans(rng: np.random.Generator, start: datetime, n: int, *, faults: bool) -> pd.DataFrame:
    frame = pd.DataFrame({
        "logged_at": [start + timedelta(seconds=float(s))
                      for s in np.sort(rng.uniform(0, 3600, n))],
        "score": rng.uniform(0, 1, n),
        "state": rng.choice(STATES, n),
        "loan_id": np.arange(n) + int(start.timestamp()),
        "email": [f"user{i}@example.com" for i in range(n)],
        "amount": rng.uniform(100, 1_000, n).round(2),
    })
    frame["paid"] = (frame["amount"] * rng.uniform(0, 1, n)).round(2)
    if faults:
        frame.loc[0:4, "score"] = 1.5
        frame.loc[5:7, "email"] = "nobody"
        frame.loc[8:11, "loan_id"] = frame.loc[8, "loan_id"]
        frame.loc[12:13, "state"] = "ZZ"
        frame.loc[14:16, "state"] = "-"
        frame.loc[17:20, "paid"] = frame.loc[17:20, "amount"] + 5
        frame.loc[21:22, "amount"] = -3.0
    return frame


@pytest.fixture
def setup(database_url: str, tmp_path: Path):
    """A clean hour and a faulty one in a ``loans`` table, a stored reference, both monitors."""
    rng = np.random.default_rng(7)
    reference = loans(rng, T0 - timedelta(days=1), 3000, faults=False).drop(columns="logged_at")
    logs = pd.concat([loans(rng, T0, 600, faults=False),
                      loans(rng, T0 + HOUR, 600, faults=True)])
    engine = sa.create_engine(database_url)
    logs.to_sql("loans", engine, index=False, dtype={"logged_at": sa.DateTime(timezone=True)})
    engine.dispose()
    store = open_store(database_url)
    profile = build_profile([reference], categorical=["state"], exclude=["loan_id", "email"])
    store.save_profile("loans-train", profile.to_dict(), profile.content_hash(), profile.rows,
                       T0)
    path = tmp_path / "rules.yaml"
    path.write_text(RULES.format(name="pushed", url=database_url, pushed="true")
                    + RULES.format(name="pulled", url=database_url, pushed="false")
                    .split("monitors:\n", 1)[1])
    yield store, load_rules([path], env={}), logs
    store.close()


def truth(frame: pd.DataFrame) -> dict[str, int]:
    """Failing rows of each check on the faulty hour, computed with pandas."""
    state = frame["state"][frame["state"] != "-"]
    return {
        "score.range": int(((frame["score"] < 0) | (frame["score"] > 1)).sum()),
        "email.pattern": int((~frame["email"].str.contains("^[^@ ]+@[^@ ]+$")).sum()),
        "loan_id.unique": int(frame["loan_id"].duplicated().sum()),
        "state.allowed": int((~state.isin(STATES)).sum()),
        "state.missing": int((frame["state"] == "-").sum()),
        "paid_within_amount": int((frame["paid"] > frame["amount"]).sum()),
        "loan_id,state": int(frame.duplicated(["loan_id", "state"]).sum()),
        "void_rows": int((frame["amount"] < 0).sum()),
    }


def checks_of(store, run_id: int) -> dict[str, object]:
    kinds = ("drift", "multivariate", "performance", "estimated", "estimation_error", "verdict")
    return {(r.name or f"{r.column}.{r.check}"): r for r in store.results(run_id)
            if r.check not in kinds}


def test_pushed_and_pulled_runs_store_the_same_exact_checks(setup):
    store, rules, logs = setup
    runner = Runner(store, clock=lambda: T0 + 10 * HOUR)
    faulty = logs[logs["logged_at"] >= T0 + HOUR].reset_index(drop=True)
    expected = truth(faulty)
    assert all(expected.values())
    stored = {}
    for name in ("pushed", "pulled"):
        outcome = runner.run_window(rules.monitor(name), Window(T0 + HOUR, T0 + 2 * HOUR))
        assert outcome.status == "ok", outcome.error
        stored[name] = checks_of(store, outcome.run_id)
        got = {k: stored[name][k].failing_rows for k in expected}
        assert got == expected, name
        rows = stored[name]
        assert rows["score.mean"].failing_rows is None and rows["score.mean"].passed
        assert rows["score.mean"].value == pytest.approx(faulty["score"].mean(), rel=1e-9)
        assert rows["email.pattern"].samples == ()  # sensitive
        assert rows["state.allowed"].samples == ("ZZ",)
        assert set(rows["loan_id.unique"].samples) == {str(faulty.loc[8, "loan_id"])}
        assert not rows["paid_within_amount"].passed
        assert rows["paid_within_amount"].check == "condition"
        assert rows["state.missing"].passed  # 3 of 600 within 10 %
        # the console's plain-row read gives the same records as the store's
        plain = {(r.name or f"{r.column}.{r.check}"): r
                 for r in results_of_runs(store, [outcome.run_id])}
        assert {k: plain[k] for k in rows} == rows
    pushed, pulled = stored["pushed"], stored["pulled"]
    assert set(pushed) == set(pulled)
    for key in pushed:
        a, b = pushed[key], pulled[key]
        assert (a.check, a.column, a.name, a.failing_rows, a.passed) == (
            b.check, b.column, b.name, b.failing_rows, b.passed), key
        assert a.value == pytest.approx(b.value, rel=1e-9, abs=1e-12), key


def test_an_alert_reads_a_check_by_name(setup):
    store, rules, _ = setup
    runner = Runner(store, clock=lambda: T0 + 10 * HOUR)
    spec = rules.monitor("pushed")
    clean = runner.run_window(spec, Window(T0, T0 + HOUR))
    assert clean.status == "ok" and clean.transitions == ()
    assert all(r.passed for r in checks_of(store, clean.run_id).values()
               if r.check not in ("new_category", "missing_share_increase"))
    faulty = runner.run_window(spec, Window(T0 + HOUR, T0 + 2 * HOUR))
    assert faulty.transitions == (("ids-repeat", "firing"),)
