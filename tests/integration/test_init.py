"""`monitor init` on real files and databases, run as a user runs it, then validated and checked.

Each drafted rule file must pass `monitor validate` and run with `monitor
check` (exit 0 or 1) storing a run with rows; bad input must end with exit
status 2, one line naming what is wrong, and no file written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from tests.processes import monitor_env

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
NEXT_HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def monitor(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run one `monitor` command to completion in ``cwd`` with a results database there."""
    settings = {"MONITOR_DATABASE_URL": f"sqlite:///{cwd / 'results.db'}", **env}
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=cwd,
                          env=monitor_env(**settings), capture_output=True, text=True,
                          timeout=180)


def events(n: int = 30_000, days: int = 3, seed: int = 5) -> pd.DataFrame:
    """Logs of another shape than the example's, up to the next hour (so windows have rows)."""
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.uniform(0, days * 86_400, n))
    start = pd.Timestamp(NEXT_HOUR - timedelta(days=days))
    return pd.DataFrame({
        "event_time": start + pd.to_timedelta(seconds, unit="s"),
        "id": rng.permutation(n) + 1,
        "f1": rng.normal(0, 1, n), "f2": rng.lognormal(3, 0.5, n), "f3": rng.uniform(0, 9, n),
        "f4": rng.gamma(2.0, 2.0, n), "f5": rng.normal(100, 15, n).round(),
        "channel": rng.choice(["web", "app", "store"], n, p=[0.5, 0.3, 0.2]),
        "tier": rng.integers(1, 4, n),
        "label": rng.integers(0, 2, n),
    })


def validated_and_checked(cwd: Path, rules: str, **env: str) -> dict:
    """`monitor validate` then `monitor check` on ``rules``; the run `check` stored."""
    valid = monitor(cwd, "validate", rules, **env)
    assert valid.returncode == 0, valid.stderr
    checked = monitor(cwd, "check", rules, **env)
    assert checked.returncode in (0, 1), checked.stdout + checked.stderr
    history = monitor(cwd, "history", "--format", "json", **env)
    (run,) = json.loads(history.stdout)
    assert run["status"] == "ok" and run["current_rows"] > 0, run
    assert {r["check"] for r in run["results"]} >= {"drift", "missing_share"}
    return run


def monitor_block(rule_file: Path) -> dict:
    """The monitor a rule file holds, as plain data."""
    (block,) = yaml.safe_load(rule_file.read_text())["monitors"]
    return block


def test_init_on_the_example_data_validates_and_checks(tmp_path: Path) -> None:
    """The example logs: timestamp, id, prediction and kinds found; the sample is the reference."""
    subprocess.run([sys.executable, str(REPO / "examples" / "generate.py"), "--out",
                    str(tmp_path / "data"), "--now", NEXT_HOUR.isoformat()],
                   check=True, capture_output=True)
    done = monitor(tmp_path, "init", "data/production/*.parquet")
    assert done.returncode == 0, done.stderr
    table = {line.split()[0]: line.split()[1:3] for line in done.stdout.splitlines()
             if line.split()[:1] and line.split()[0] in {"logged_at", "request_id", "score",
                                                         "state", "defaulted", "income"}}
    assert table == {"logged_at": ["datetime", "timestamp"],
                     "request_id": ["categorical", "excluded"],
                     "score": ["numeric", "prediction"], "state": ["categorical", "feature"],
                     "defaulted": ["categorical", "feature"], "income": ["numeric", "feature"]}
    assert "  monitor validate rules/" in done.stdout and "  monitor run rules/" in done.stdout
    block = monitor_block(tmp_path / "rules" / "production.yaml")
    assert block["source"] == {"type": "file", "path": "../data/production/*.parquet",
                               "timestamp": "logged_at"}
    assert (block["window"], block["schedule"], block["delay"]) == ("1h", {"every": "15m"}, "5m")
    assert block["reference"] == {"path": "production.reference.parquet"}
    assert block["columns"]["exclude"] == ["request_id"]
    assert block["columns"]["categorical"] == ["state", "product", "defaulted"]
    assert len(pd.read_parquet(tmp_path / "rules" / "production.reference.parquet")) == 72_000
    text = (tmp_path / "rules" / "production.yaml").read_text()
    assert "# id-like: named like an id, 100% unique values" in text
    run = validated_and_checked(tmp_path, "rules/")
    assert run["monitor"] == "production" and run["reference_rows"] == 72_000


def test_init_on_a_parquet_file_of_another_shape_with_rules_elsewhere(tmp_path: Path) -> None:
    """One file is its own reference, named from the rule file's folder wherever that is."""
    (tmp_path / "data").mkdir()
    events().to_parquet(tmp_path / "data" / "events.parquet", index=False)
    done = monitor(tmp_path, "init", "data/events.parquet", "--out", "config/monitors")
    assert done.returncode == 0, done.stderr
    rule_file = tmp_path / "config" / "monitors" / "events.yaml"
    assert sorted(p.name for p in rule_file.parent.iterdir()) == ["events.yaml"]
    block = monitor_block(rule_file)
    assert block["source"]["path"] == "../../data/events.parquet"
    assert block["reference"] == {"path": "../../data/events.parquet"}
    assert block["source"]["timestamp"] == "event_time"
    assert block["columns"] == {"categorical": ["channel", "tier"],
                                "numeric": ["f1", "f2", "f3", "f4", "f5"],
                                "target": "label", "exclude": ["id"]}
    assert (block["window"], block["delay"]) == ("6h", "15m")  # ~417 rows an hour
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = validated_and_checked(elsewhere, str(rule_file.parent))
    assert run["reference_rows"] == 30_000


def test_init_on_a_sqlite_table(tmp_path: Path) -> None:
    """A table's newest rows are the sample, kept beside the rules; the URL becomes absolute."""
    frame = events(n=8_000, days=2)
    frame["event_time"] = frame["event_time"].dt.tz_localize(None)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    frame.to_sql("predictions", engine, index=False)
    engine.dispose()
    done = monitor(tmp_path, "init", "sqlite:///app.db", "--table", "predictions",
                   "--prediction", "f3", "--name", "app")
    assert done.returncode == 0, done.stderr
    block = monitor_block(tmp_path / "rules" / "app.yaml")
    assert block["source"] == {"type": "sql", "url": f"sqlite:///{tmp_path / 'app.db'}",
                               "table": "predictions", "timestamp": "event_time"}
    assert block["columns"]["prediction"] == "f3" and block["columns"]["target"] == "label"
    assert block["reference"] == {"path": "app.reference.parquet"}
    assert len(pd.read_parquet(tmp_path / "rules" / "app.reference.parquet")) == 8_000
    validated_and_checked(tmp_path, "rules/")


@pytest.mark.postgres
def test_init_on_a_postgresql_table(tmp_path: Path, postgres_schema_url: str) -> None:
    """A PostgreSQL table in a schema of its own, read newest first, checked in the database."""
    engine = sa.create_engine(postgres_schema_url)
    events(n=12_000, days=2).to_sql("scored_events", engine, index=False)
    engine.dispose()
    done = monitor(tmp_path, "init", postgres_schema_url, "--table", "scored_events")
    assert done.returncode == 0, done.stderr
    block = monitor_block(tmp_path / "rules" / "scored_events.yaml")
    assert block["source"]["url"] == postgres_schema_url
    assert block["source"]["timestamp"] == "event_time"
    assert block["columns"]["exclude"] == ["id"]
    validated_and_checked(tmp_path, "rules/")


def test_old_data_gets_the_backfill_command_that_runs_its_windows(tmp_path: Path) -> None:
    """Data that ended long ago: check finds the latest window empty; the printed backfill runs."""
    frame = events(n=6_000, days=4)  # 1,500 rows a day: 1d windows
    frame["event_time"] -= pd.Timestamp(NEXT_HOUR) - pd.Timestamp("2020-03-05T00:00:00Z")
    frame.to_csv(tmp_path / "old.csv", index=False)
    done = monitor(tmp_path, "init", "old.csv")
    assert done.returncode == 0, done.stderr
    (command,) = [line.split() for line in done.stdout.splitlines()
                  if line.startswith("  monitor backfill ")]
    assert command[1:] == ["backfill", "rules/", "--monitor", "old", "--from",
                           "2020-03-01T00:00:00Z", "--to", "2020-03-05T00:00:00Z"]
    checked = monitor(tmp_path, "check", "rules/")
    assert checked.returncode == 0 and "no rows in this window" in checked.stdout
    filled = monitor(tmp_path, *command[1:])
    assert filled.returncode in (0, 1), filled.stdout + filled.stderr
    runs = json.loads(monitor(tmp_path, "history", "--format", "json", "--limit", "100").stdout)
    ok = [run for run in runs if run["status"] == "ok"]
    assert len(ok) == 4 and sum(run["current_rows"] for run in ok) == 6_000


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    """A second init names the file and --force, and leaves the file as the operator edited it."""
    events(n=3_000).to_csv(tmp_path / "events.csv", index=False)
    assert monitor(tmp_path, "init", "events.csv").returncode == 0
    rule_file = tmp_path / "rules" / "events.yaml"
    rule_file.write_text(rule_file.read_text() + "# edited by hand\n")
    again = monitor(tmp_path, "init", "events.csv")
    assert again.returncode == 2
    assert again.stderr == ("monitor: error: rules/events.yaml already exists: pass --force to "
                            "overwrite it, or choose another name with --name\n")
    assert rule_file.read_text().endswith("# edited by hand\n")
    forced = monitor(tmp_path, "init", "events.csv", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "# edited by hand" not in rule_file.read_text()
    assert monitor(tmp_path, "validate", "rules/").returncode == 0


def test_init_refuses_a_name_another_rule_file_holds(tmp_path: Path) -> None:
    """Monitor names are unique across rule files: init says which file has the name."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "example.yaml").write_text((REPO / "rules" / "example.yaml").read_text())
    events(n=3_000).to_csv(tmp_path / "events.csv", index=False)
    done = monitor(tmp_path, "init", "events.csv", "--name", "credit-scoring")
    assert done.returncode == 2
    assert ("a monitor named 'credit-scoring' is already in rules/example.yaml: names are unique "
            "across rule files; choose another with --name") in done.stderr
    assert sorted(p.name for p in (tmp_path / "rules").iterdir()) == ["example.yaml"]


def _write_bad_inputs(root: Path) -> None:
    (root / "empty.csv").write_text("")
    (root / "header.csv").write_text("event_time,x\n")
    (root / "broken.parquet").write_bytes(b"PAR1 but no more")
    (root / "notes.txt").write_text("a,b\n1,2\n")
    frame = events(n=500)
    frame.drop(columns=["event_time"]).to_csv(root / "untimed.csv", index=False)
    frame.to_csv(root / "events.csv", index=False)
    engine = sa.create_engine(f"sqlite:///{root / 'app.db'}")
    frame.to_sql("predictions", engine, index=False)
    engine.dispose()


@pytest.mark.parametrize(("args", "message"), [
    (["missing.csv"], "file not found: 'missing.csv'"),
    (["empty.csv"], "cannot read csv file '{root}/empty.csv': No columns to parse from file"),
    (["header.csv"], "'header.csv' holds no rows"),
    (["broken.parquet"], "cannot read parquet file '{root}/broken.parquet'"),
    (["notes.txt"], "cannot tell the format of 'notes.txt' from its name"),
    (["untimed.csv"], "found no timestamp column in untimed.csv (its columns: id, f1"),
    (["events.csv", "--timestamp", "evnt_time"],
     "--timestamp column 'evnt_time' is not in the data (did you mean 'event_time'?)"),
    (["events.csv", "--timestamp", "channel"], "--timestamp column 'channel' holds no times"),
    (["events.csv", "--target", "channel"], "--target column 'channel' holds text values"),
    (["events.csv", "--name", "my monitor"], "--name 'my monitor' is not a monitor name"),
    (["events.csv", "--name", ".."], "--name: invalid name '..': a name must hold a letter"),
    (["sqlite:///app.db"], "is a database URL: name the table to read with --table TABLE"),
    (["sqlite:///app.db", "--table", "predictons"],
     "table 'predictons' not found in sqlite:///app.db (its tables: predictions)"),
])
def test_bad_input_exits_2_with_one_clear_line_and_writes_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    """Each bad input is named in one line; no rule file or reference is left behind."""
    _write_bad_inputs(tmp_path)
    done = monitor(tmp_path, "init", *args)
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("monitor: error: ") and done.stderr.count("\n") == 1
    assert message.format(root=tmp_path) in done.stderr
    assert not (tmp_path / "rules").exists() or not any((tmp_path / "rules").iterdir())
