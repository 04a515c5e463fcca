"""The command line on real files and databases: each command, and bad input of every kind.

Commands run in-process through ``monitor.cli.main``; every bad input must
give a one-line message naming the thing, a non-zero status, and leave what
is stored intact.
"""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.cli import main
from monitor.store import open_store
from monitor.store.outbox import OutboxQueue

pytestmark = pytest.mark.integration

HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def frame(n: int, rng: np.random.Generator, *, shift: float = 0.0) -> pd.DataFrame:
    """Rows with a numeric column x, a categorical c and an id."""
    return pd.DataFrame({
        "id": np.arange(n),
        "x": rng.normal(shift, 1, n),
        "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2] if not shift else [0.2, 0.3, 0.5]),
    })


def logs(rng: np.random.Generator, hours: int = 4, per_hour: int = 600, shift: float = 0.0
         ) -> pd.DataFrame:
    """Timestamped logs for the `hours` hours up to the next hour (so windows are never empty)."""
    start = HOUR - timedelta(hours=hours - 1)
    data = frame(hours * per_hour, rng, shift=shift)
    seconds = np.sort(rng.uniform(0, hours * 3600, len(data)))
    data.insert(0, "ts", pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s"))
    return data


RULES = """\
notifiers:
  hook:
    type: webhook
    url: {url}
monitors:
  - name: m
    schedule: {{every: 1m}}
    window: 1h
    source: {{type: file, path: logs.parquet, timestamp: ts}}
    reference: {reference}
    columns: {{categorical: [c], exclude: [id]}}
    quality: {{min_rows: 10}}
    alerts:
      - name: drift
        when: drift_share > 0.4
        notify: [hook]
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with train.parquet, drifted logs.parquet and rules/m.yaml; the CWD is there."""
    rng = np.random.default_rng(3)
    frame(3000, rng).to_parquet(tmp_path / "train.parquet", index=False)
    logs(rng, shift=1.0).to_parquet(tmp_path / "logs.parquet", index=False)
    write_rules(tmp_path, "{path: train.parquet}")
    monkeypatch.chdir(tmp_path)
    for name in ("MONITOR_DATABASE_URL", "MONITOR_RULES"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def write_rules(root: Path, reference: str, url: str = "http://127.0.0.1:9/x") -> Path:
    """Write the rule file (next to the data) and return its path."""
    path = root / "m.yaml"
    path.write_text(RULES.format(reference=reference, url=url))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `monitor ARGS...`; return exit status, stdout and stderr."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_check_uses_sqlite_default_and_reports_drift(workspace, capsys):
    """`monitor check` with no settings stores into ./monitor.db and exits 1 on firing alerts."""
    status, out, err = run(capsys, "check", "m.yaml")
    assert status == 1, err
    assert "DRIFTED" in out and "FIRING m/drift" in out
    assert (workspace / "monitor.db").exists()


def test_check_then_history_json(workspace, capsys):
    """History lists the stored run with its results."""
    run(capsys, "check", "m.yaml")
    status, out, _ = run(capsys, "history", "--format", "json")
    assert status == 0
    [stored] = json.loads(out)
    assert stored["monitor"] == "m" and stored["status"] == "ok"
    assert {r["column"] for r in stored["results"] if r["check"] == "drift"} == {"x", "c"}


def test_profile_stores_versions_and_monitor_uses_it(workspace, capsys):
    """`monitor profile --name` stores versions; a monitor refers to the profile by name."""
    status, out, _ = run(capsys, "profile", "train.parquet", "--name", "train",
                         "--categorical", "c", "--exclude", "id")
    assert status == 0 and "version 1" in out
    assert run(capsys, "profile", "train.parquet", "--name", "train", "--categorical", "c",
               "--exclude", "id")[1].count("version 1") == 1  # same data: same version
    write_rules(workspace, "{profile: train}")
    status, out, err = run(capsys, "check", "m.yaml")
    assert status == 1, err
    store = open_store("sqlite:///monitor.db")
    try:
        [stored] = store.runs("m")
        assert (stored.reference_name, stored.reference_version) == ("train", 1)
    finally:
        store.close()


def test_profile_out_file_then_compare_with_it(workspace, capsys):
    """A profile written with --out serves as REFERENCE of `monitor compare`, no database."""
    assert run(capsys, "profile", "train.parquet", "--out", "ref.json", "--categorical", "c",
               "--exclude", "id")[0] == 0
    status, out, _ = run(capsys, "compare", "ref.json", "logs.parquet", "--format", "json",
                         "--exclude", "ts")
    assert status == 1
    report = json.loads(out)
    assert set(report) == {"reference", "current", "columns", "quality", "drift_share",
                           "dataset_drift", "multivariate", "performance",
                           "estimated_performance", "embeddings", "texts"}
    assert {c["column"] for c in report["columns"] if c["drifted"]} == {"x", "c"}
    assert not (workspace / "monitor.db").exists()


def test_compare_same_distribution_exits_zero(workspace, capsys):
    """Two samples of one distribution compare clean: exit 0."""
    rng = np.random.default_rng(11)
    frame(3000, rng).to_csv("a.csv", index=False)
    frame(3000, rng).to_csv("b.csv", index=False)
    status, out, _ = run(capsys, "compare", "a.csv", "b.csv", "--categorical", "c",
                         "--exclude", "id")
    assert status == 0, out
    assert "0 of 2 columns drifted" in out


def test_backfill_is_idempotent(workspace, capsys):
    """Backfilling the same range twice stores each window once."""
    start = (HOUR - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = HOUR.strftime("%Y-%m-%dT%H:%M:%SZ")
    first = run(capsys, "backfill", "m.yaml", "--monitor", "m", "--from", start, "--to", end)
    assert first[0] == 1 and first[1].count("columns drifted") == 3
    second = run(capsys, "backfill", "m.yaml", "--monitor", "m", "--from", start, "--to", end)
    assert second[1].count("already processed") == 3
    store = open_store("sqlite:///monitor.db")
    try:
        assert len(store.runs("m")) == 3
        assert len(OutboxQueue(store).messages()) == 1  # fired once, on the first window
    finally:
        store.close()


def test_db_upgrade_on_postgres(postgres_schema_url, capsys):
    """`monitor db upgrade` migrates a fresh PostgreSQL schema and is idempotent."""
    status, out, _ = run(capsys, "--database-url", postgres_schema_url, "db", "upgrade")
    assert status == 0 and "upgraded from empty" in out
    status, out, _ = run(capsys, "--database-url", postgres_schema_url, "db", "upgrade")
    assert status == 0 and "already up to date" in out


# --- bad input: one clear line, non-zero status, nothing damaged ---------------------------


def test_validate_reports_position(workspace, capsys):
    """An unknown key is reported as path:line:col with a suggestion; exit 1."""
    (workspace / "m.yaml").write_text((workspace / "m.yaml").read_text().replace(
        "window: 1h", "windw: 1h"))
    status, _, err = run(capsys, "validate", "m.yaml")
    assert status == 1
    assert "m.yaml:8:5: unknown key 'windw' (did you mean 'window'?)" in err


def test_invalid_rules_make_check_exit_2(workspace, capsys):
    """`monitor check` on invalid rules exits 2 and stores nothing."""
    (workspace / "m.yaml").write_text("monitors: [{name: m}]\n")
    status, _, err = run(capsys, "check", "m.yaml")
    assert status == 2 and "m.yaml:1:" in err
    assert not (workspace / "monitor.db").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["profile", "missing.parquet", "--name", "x"], "file not found: '"),
    (["profile", "train.parquet"], "--name NAME stores it"),
    (["compare", "train.parquet", "broken.parquet"], "cannot read parquet file"),
    (["compare", "no-such-profile", "logs.parquet"], "neither a file nor a profile"),
    (["check", "m.yaml", "--monitor", "other"], "no monitor named 'other' in the rules (known: m)"),
])
def test_bad_input_is_one_line_and_exit_2(workspace, capsys, args, message):
    """Missing files, corrupt Parquet, unknown names: exit 2 with one line naming the problem."""
    (workspace / "broken.parquet").write_bytes(b"PAR1 but not really")
    status, _, err = run(capsys, *args)
    assert status == 2
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_unknown_column_fails_the_run_and_keeps_history(workspace, capsys):
    """A rule naming a column the reference lacks records a failed run, exit 2, data intact."""
    assert run(capsys, "check", "m.yaml")[0] == 1
    rules = (workspace / "m.yaml").read_text()
    (workspace / "m.yaml").write_text(rules.replace("categorical: [c]", "categorical: [c, zz]"))
    earlier = [(HOUR - timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ") for h in (3, 2)]
    status, out, _ = run(capsys, "backfill", "m.yaml", "--monitor", "m",
                         "--from", earlier[0], "--to", earlier[1])
    assert status == 2
    assert "FAILED" in out and "'zz' (columns.categorical)" in out
    store = open_store("sqlite:///monitor.db")
    try:
        runs = store.runs("m")  # the latest window first
        assert [r.status for r in runs] == ["ok", "failed"]
        assert "'zz'" in (runs[1].error or "")
        assert len(store.results(runs[0].id)) > 0
    finally:
        store.close()


def test_unreachable_database_hides_password(workspace, capsys):
    """An unreachable database is one line without the password; exit 2."""
    status, _, err = run(capsys, "--database-url",
                         "postgresql+psycopg://user:hunter2@127.0.0.1:1/db", "check", "m.yaml")
    assert status == 2
    assert "cannot connect to the database" in err and "hunter2" not in err


def test_empty_window_is_no_data_not_a_crash(workspace, capsys):
    """A window without rows is stored as no_data and exits 0."""
    rng = np.random.default_rng(5)
    old = logs(rng, hours=2)
    old["ts"] -= pd.Timedelta(days=2)
    old.to_parquet(workspace / "logs.parquet", index=False)
    status, out, err = run(capsys, "check", "m.yaml")
    assert status == 0, err
    assert "no rows in this window" in out


def test_strings_in_numeric_column_become_a_quality_finding(workspace, capsys):
    """Text where numbers belong fails the type check; the run still completes."""
    rng = np.random.default_rng(6)
    data = logs(rng)
    data["x"] = data["x"].round(3).astype(str)  # a pipeline that started writing text
    data.loc[data.index[::5], "x"] = "n/a"
    data.to_parquet(workspace / "logs.parquet", index=False)
    status, out, err = run(capsys, "check", "m.yaml")
    assert status in (0, 1), err
    assert "type_mismatch_share" in out


def test_column_of_nulls_is_reported(workspace, capsys):
    """A column that is entirely null in the window fails missing_share, no crash."""
    rng = np.random.default_rng(8)
    data = logs(rng)
    data["x"] = np.nan
    data.to_parquet(workspace / "logs.parquet", index=False)
    rules = (workspace / "m.yaml").read_text()
    (workspace / "m.yaml").write_text(rules.replace(
        "quality: {min_rows: 10}", "quality: {min_rows: 10, missing_share: {max: 0.1}}"))
    status, out, err = run(capsys, "check", "m.yaml")
    assert status in (0, 1), err
    assert textwrap.dedent("missing_share  x") in out
