"""`monitor compare` and `monitor profile` with the column roles of a rule file, on real files.

Timestamp, prediction, target, task, segments and text: each role must change
what is compared the way the daemon's ``columns:`` and ``segments:`` do, a
profile must carry its roles into a later comparison, and a flag naming a
column the data lacks must end in one line and exit status 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.cli import main

pytestmark = pytest.mark.integration

START = pd.Timestamp("2026-11-24T00:00:00Z")


def scored(n: int, seed: int, *, start: pd.Timestamp = START) -> pd.DataFrame:
    """Rows with ISO text times, a feature, a segment, a score, its 0/1 label and free text."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    score = 1 / (1 + np.exp(-2 * x))
    seconds = np.sort(rng.uniform(0, 86_400, n))
    return pd.DataFrame({
        "ts": (start + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x": x,
        "region": rng.choice(["north", "south"], n),
        "score": score,
        "label": (rng.random(n) < score).astype(int),
        "comment": ["word " * int(k) for k in rng.integers(1, 12, n)],
    })


def swapped(n: int, seed: int, *, swap: bool) -> pd.DataFrame:
    """Two equal segments whose means trade places when ``swap``: the whole never moves."""
    rng = np.random.default_rng(seed)
    group = np.repeat(["a", "b"], n // 2)
    centre = np.where(group == "a", 2.0, 0.0) if swap else np.where(group == "a", 0.0, 2.0)
    return pd.DataFrame({"g": group, "x": rng.normal(centre, 1.0)})


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ref.csv (Nov 24) and cur.csv (Nov 25) of one distribution; the CWD is there."""
    scored(4000, 1).to_csv(tmp_path / "ref.csv", index=False)
    scored(3000, 2, start=START + pd.Timedelta(days=1)).to_csv(tmp_path / "cur.csv", index=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `monitor ARGS...`; return exit status, stdout and stderr."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def compare_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    """`monitor compare ARGS --format json`: the status and the document."""
    status, out, err = run(capsys, "compare", *args, "--format", "json")
    assert status in (0, 1), err
    return status, json.loads(out)


def compared(document: dict) -> dict[str, str]:
    """Compared column → its kind."""
    return {c["column"]: c["kind"] for c in document["columns"]}


KEYS = {"reference", "current", "columns", "quality", "drift_share", "dataset_drift",
        "multivariate", "performance", "estimated_performance", "embeddings", "texts"}


def test_a_timestamp_is_a_time_not_a_category(files, capsys):
    """Without --timestamp, CSV times are compared as times (and drift: new days), never as
    categories; with it they are never compared, and the table shows each side's span."""
    _, plain = compare_json(capsys, "ref.csv", "cur.csv")
    assert compared(plain)["ts"] == "datetime"
    assert not any(q["check"] == "new_category" for q in plain["quality"])
    _, document = compare_json(capsys, "ref.csv", "cur.csv", "--timestamp", "ts")
    assert "ts" not in compared(document) and set(document) == KEYS
    assert not any(q["column"] == "ts" for q in document["quality"])
    _, out, _ = run(capsys, "compare", "ref.csv", "cur.csv", "--timestamp", "ts")
    ref, cur = pd.read_csv("ref.csv")["ts"], pd.read_csv("cur.csv")["ts"]  # ISO: text order
    assert (f"Timestamps (ts): reference {ref.min()} to {ref.max()}; current {cur.min()} to "
            f"{cur.max()}") in out.splitlines()
    assert not any(line.startswith("ts ") for line in out.splitlines())


def test_prediction_and_target_give_model_metrics_and_the_target_is_never_compared(
        files, capsys):
    """--prediction and --target score the current rows (as the daemon does); labels drift never."""
    _, plain = compare_json(capsys, "ref.csv", "cur.csv", "--timestamp", "ts")
    assert "label" in compared(plain) and plain["performance"] is None
    _, document = compare_json(capsys, "ref.csv", "cur.csv", "--timestamp", "ts",
                               "--prediction", "score", "--target", "label")
    assert "label" not in compared(document) and "score" in compared(document)
    current = pd.read_csv("cur.csv")
    predicted = (current["score"] >= 0.5).astype(int)
    performance = document["performance"]
    assert performance["accuracy"] == pytest.approx((predicted == current["label"]).mean())
    assert set(performance) >= {"precision", "recall", "roc_auc", "log_loss"}


def test_task_regression_scores_numbers(files, capsys):
    """--task regression reads the labels as numbers: mean absolute error by hand."""
    for name in ("ref.csv", "cur.csv"):
        data = pd.read_csv(name)
        data["amount"] = data["x"] * 3 + 1
        data["guess"] = data["amount"] + np.linspace(-1, 1, len(data))
        data.to_csv(name, index=False)
    _, document = compare_json(capsys, "ref.csv", "cur.csv", "--timestamp", "ts",
                               "--prediction", "guess", "--target", "amount",
                               "--task", "regression")
    current = pd.read_csv("cur.csv")
    expected = (current["guess"] - current["amount"]).abs().mean()
    assert document["performance"]["mae"] == pytest.approx(expected)
    assert "accuracy" not in document["performance"] and "amount" not in compared(document)


def test_a_drift_inside_segments_shows_and_fails_although_the_whole_holds(tmp_path, capsys,
                                                                         monkeypatch):
    """Segments whose means trade places: the whole compares clean (exit 0); --segment shows
    both segments drifted in the table and the HTML report, and exits 1."""
    monkeypatch.chdir(tmp_path)
    swapped(4000, 1, swap=False).to_csv("ref.csv", index=False)
    swapped(4000, 2, swap=True).to_parquet("cur.parquet", index=False)
    status, out, _ = run(capsys, "compare", "ref.csv", "cur.parquet")
    assert status == 0 and "0 of 2 columns drifted" in out and "Segments" not in out
    status, out, _ = run(capsys, "compare", "ref.csv", "cur.parquet", "--segment", "g")
    assert status == 1
    table = out.split("Segments (")[1].splitlines()
    rows = {line.split()[0]: line.split() for line in table[3:] if line.strip()}
    assert set(rows) == {"g=a", "g=b"}
    assert all(r[1] == "2,000" and r[2:5] == ["1", "of", "2"] and r[-1] == "x"
               for r in rows.values())
    status, page, _ = run(capsys, "compare", "ref.csv", "cur.parquet", "--segment", "g",
                          "--format", "html")
    assert status == 1 and "g=a" in page and "g=b" in page
    status, out, _ = run(capsys, "compare", "ref.csv", "cur.parquet", "--segment", "g",
                         "--format", "json")
    assert set(json.loads(out)) == KEYS  # the stable document: segments show elsewhere


def test_text_columns_are_compared_by_length(files, capsys):
    """--text reads free text as its length, on both sides."""
    _, plain = compare_json(capsys, "ref.csv", "cur.csv", "--timestamp", "ts")
    assert compared(plain)["comment"] == "categorical"
    _, document = compare_json(capsys, "ref.csv", "cur.csv", "--timestamp", "ts",
                               "--text", "comment")
    assert compared(document)["comment"] == "text"


def test_a_profile_carries_its_roles_into_compare(files, capsys):
    """`monitor profile --text --segment --exclude` keeps the roles; compare uses them and adds
    the flags' (prediction and labels)."""
    status, _, err = run(capsys, "profile", "ref.csv", "--out", "ref.json", "--text", "comment",
                         "--segment", "region", "--exclude", "ts")
    assert status == 0, err
    saved = json.loads(Path("ref.json").read_text())
    assert saved["roles"]["text"] == ["comment"] and saved["roles"]["segments"] == ["region"]
    assert {k.split("=")[0] for k in saved["segments"]} == {"region"}
    status, out, err = run(capsys, "compare", "ref.json", "cur.csv", "--prediction", "score",
                           "--target", "label")
    assert status in (0, 1), err
    assert "region=north" in out and "region=south" in out and "Model performance" in out
    assert "Extra columns" not in out  # ts stays out, as the profile says
    _, document = compare_json(capsys, "ref.json", "cur.csv", "--prediction", "score",
                               "--target", "label")
    assert compared(document)["comment"] == "text" and "label" not in compared(document)


def test_flags_add_roles_to_a_profile_built_without_them(files, capsys):
    """A profile built with the timestamp and labels as columns: --timestamp and --target take
    them out of the comparison, so neither is compared nor reported missing."""
    assert run(capsys, "profile", "ref.csv", "--out", "plain.json")[0] == 0
    assert "roles" not in json.loads(Path("plain.json").read_text())
    _, document = compare_json(capsys, "plain.json", "cur.csv", "--timestamp", "ts",
                               "--target", "label")
    assert set(compared(document)) == {"x", "region", "score", "comment"}
    assert all(q["passed"] for q in document["quality"]), document["quality"]


@pytest.mark.parametrize(("args", "message"), [
    (["compare", "ref.csv", "cur.csv", "--target", "outcome"],
     "column 'outcome' (--target) is not in REFERENCE 'ref.csv'; its columns are: ts, x, "
     "region, score, label, comment"),
    (["compare", "ref.csv", "cur.csv", "--timestamp", "time", "--segment", "zone"],
     "columns 'time' (--timestamp), 'zone' (--segment) are not in REFERENCE 'ref.csv'"),
    (["compare", "ref.csv", "cur.csv", "--prediction", "label", "--target", "label"],
     "column 'label' is given two roles, --prediction and --target; give it one"),
    (["compare", "ref.json", "cur.csv", "--categorical", "comment"],
     "column 'comment' (--categorical) is text in the reference profile 'ref.json': profile "
     "the reference again with --categorical comment"),
    (["compare", "ref.json", "cur.csv", "--prediction", "guess"],
     "column 'guess' (--prediction) is not in the reference profile 'ref.json'"),
    (["profile", "ref.csv", "--out", "x.json", "--segment", "zone"],
     "column 'zone' (--segment) is not in DATA 'ref.csv'"),
])
def test_a_flag_naming_an_absent_column_is_one_line_and_exit_2(files, capsys, args, message):
    """Each named column is looked up in the data (or the profile) it must be in."""
    assert run(capsys, "profile", "ref.csv", "--out", "ref.json", "--text", "comment")[0] == 0
    status, out, err = run(capsys, *args)
    assert status == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not Path("x.json").exists()


def test_task_must_be_a_known_one(files, capsys):
    """--task takes classification or regression only (argparse's own exit status 2)."""
    with pytest.raises(SystemExit) as stopped:
        main(["compare", "ref.csv", "cur.csv", "--task", "ranking"])
    assert stopped.value.code == 2
    assert "invalid choice: 'ranking'" in capsys.readouterr().err
